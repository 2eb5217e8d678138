// Shared by the model tests: the seed fixtures, and validation messages as strings.
#ifndef WEBHOOKD_TESTS_MODEL_MODEL_TEST_SUPPORT_HPP
#define WEBHOOKD_TESTS_MODEL_MODEL_TEST_SUPPORT_HPP

#include <webhookd/model/validation.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace model_test {

/// A JSON fixture of tests/fixtures/seeds/ (the seed pages' examples).
inline nlohmann::json load_seed(const std::string& name) {
  std::ifstream in(std::string(WEBHOOKD_TEST_FIXTURES) + "/seeds/" + name);
  if (!in) throw std::runtime_error("missing fixture " + name);
  return nlohmann::json::parse(in);
}

/// The message of every violation, in order.
inline std::vector<std::string> messages(const webhookd::model::validation_errors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.message());
  return out;
}

} // namespace model_test

#endif // WEBHOOKD_TESTS_MODEL_MODEL_TEST_SUPPORT_HPP
