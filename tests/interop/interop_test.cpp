// Deliveries verified by a receiver that shares no code with webhookd
// (tests/interop/receiver.py: the Lucca check as SPEC.md §7.3 writes it, the Standard
// Webhooks check as the reference Python library does it), over real HTTPS, through
// the engine, in each signature scheme, before and after a secret rotation.
#include "../engine/engine_fixture.hpp"
#include "../support/child_process.hpp"

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace webhookd::engine::engine_test {
namespace {

// receiver.py in a child process. Its standard output is read as it comes (a full
// pipe would block the receiver's handlers): the first line, `port N`, by `port()`,
// the request records by a thread, handed over by `stop()`.
class python_receiver {
public:
  python_receiver(const std::string& cert, const std::string& key, const std::string& secrets,
                  const std::string& scheme)
      : child_(test::child::spawn({WEBHOOKD_PYTHON3, WEBHOOKD_INTEROP_RECEIVER, "--cert", cert,
                                   "--key", key, "--secrets", secrets, "--scheme", scheme})),
        out_(fdopen(child_.out, "r")) {
    hello_ = line();
    reader_ = std::thread([this] {
      for (std::string l = line(); !l.empty(); l = line()) records_.push_back(std::move(l));
    });
  }

  python_receiver(const python_receiver&) = delete;
  python_receiver& operator=(const python_receiver&) = delete;

  ~python_receiver() {
    stop();
    std::fclose(out_);
  }

  // The port it listens on, or nullopt (with what it printed) if it did not start.
  std::optional<std::string> port() const {
    if (hello_.rfind("port ", 0) != 0) return std::nullopt;
    return hello_.substr(5);
  }
  const std::string& hello() const { return hello_; }

  // Stops the receiver; returns the records it printed, one per request.
  std::vector<std::string> stop() {
    if (child_.pid > 0) {
      kill(child_.pid, SIGTERM);
      child_.wait();
      child_.pid = -1;
    }
    if (reader_.joinable()) reader_.join(); // the pipe's end of file ends it
    return std::move(records_);
  }

private:
  // The next line it printed, without its newline; empty at end of output.
  std::string line() {
    std::string s;
    for (int c; (c = std::fgetc(out_)) != EOF && c != '\n';) s += static_cast<char>(c);
    return s;
  }

  test::child child_;
  std::FILE* out_;
  std::string hello_;
  std::vector<std::string> records_; // the reader thread's until stop() joins it
  std::thread reader_;
};

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

void append_line(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::app) << text << '\n';
}

// Events whose bodies exercise the JSON writer: escapes, non-ASCII, nesting, size.
std::vector<model::event> awkward_events() {
  std::vector<model::event> out;
  const std::vector<nlohmann::json> data = {
      {{"id", 42}, {"name", "Ada"}},
      {{"name", "Zoë Ångström — 北京 🎉"}, {"quote", "she said \"hi\"\n\ttab\\slash"}},
      {{"nested", {{"list", {1, 2.5, -3, true, nullptr, "x"}}, {"empty", nlohmann::json::object()}}}},
      {{"control", std::string("a\x01" "b\x1f" "c")}, {"solidus", "</script>"}},
      {{"big", std::string(20'000, 'z')}},
  };
  for (const auto& d : data) {
    model::event e = employee_created();
    e.data = d;
    out.push_back(std::move(e));
  }
  return out;
}

struct request_seen {
  std::string endpoint; // "lucca" or "cloud" (the path)
  int status = 0;
  std::string why;
  std::optional<int> lucca;
  std::vector<int> standard_webhooks;
  std::string event_id;
  std::string content_type;
  nlohmann::json data; // the event's data as the receiver parsed it
};

request_seen parse(const std::string& line) {
  const auto j = nlohmann::json::parse(line);
  request_seen r;
  r.endpoint = j.at("path").get<std::string>().substr(1);
  r.status = j.at("status").get<int>();
  r.why = j.at("why").get<std::string>();
  if (!j.at("lucca").is_null()) r.lucca = j.at("lucca").get<int>();
  r.standard_webhooks = j.at("standard_webhooks").get<std::vector<int>>();
  if (j.contains("event_id") && j.at("event_id").is_string())
    r.event_id = j.at("event_id").get<std::string>();
  if (j.at("content_type").is_string()) r.content_type = j.at("content_type").get<std::string>();
  if (j.contains("data")) r.data = j.at("data");
  return r;
}

// The engine's signature scheme, and its name (the receiver's `--scheme`).
struct scheme_case {
  const char* name;
  signature_scheme scheme;
  bool lucca() const { return scheme != signature_scheme::standard_webhooks; }
  bool standard_webhooks() const { return scheme != signature_scheme::lucca; }
};

class interop : public ::testing::TestWithParam<scheme_case> {};

INSTANTIATE_TEST_SUITE_P(
    schemes, interop,
    ::testing::Values(scheme_case{"lucca", signature_scheme::lucca},
                      scheme_case{"standard_webhooks", signature_scheme::standard_webhooks},
                      scheme_case{"both", signature_scheme::both}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_P(interop, an_independent_receiver_verifies_the_signatures_before_and_after_a_rotation) {
  const scheme_case sc = GetParam();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("webhookd-interop-" + std::to_string(::getpid()) + "-" +
                    std::to_string(static_cast<int>(sc.scheme)));
  std::filesystem::create_directories(dir);
  write_file(dir / "cert.pem", test::pki().server.cert_pem);
  write_file(dir / "key.pem", test::pki().server.key_pem);
  write_file(dir / "secrets", std::string(secret) + "\n"); // index 0: both endpoints' secret

  python_receiver receiver((dir / "cert.pem").string(), (dir / "key.pem").string(),
                           (dir / "secrets").string(), sc.name);
  ASSERT_TRUE(receiver.port()) << "receiver.py did not start: '" << receiver.hello() << "'";
  const std::string base = "https://127.0.0.1:" + *receiver.port();

  asio::io_context io;
  store::memory_store store;
  add_endpoint(store, "lucca", base + "/lucca");
  add_endpoint(store, "cloud", base + "/cloud", model::endpoint_status::active, {"employee.*"},
               model::endpoint_content_type::cloud_events);
  engine_options options = test_options("50ms");
  options.signature_scheme = sc.scheme;
  engine<store::memory_store> e(io.get_executor(), store, options);
  e.start();

  // What the receiver must see of each event: its data, and whether the "lucca"
  // endpoint's secret had been rotated when it was published.
  struct published_event {
    nlohmann::json data;
    bool after_rotation = false;
  };
  std::map<std::string, published_event> published;
  const std::vector<model::event> events = awkward_events();
  const auto publish_all = [&](bool after_rotation) {
    for (const auto& ev : events) {
      auto stored = e.publish(ev);
      ASSERT_TRUE(stored.has_value());
      published[stored->id] = {ev.data, after_rotation};
    }
  };
  publish_all(false);
  const std::uint64_t first = 2 * events.size();
  // A refused delivery is retried once, then failed: either ends the wait.
  const auto done = [&](std::uint64_t n) {
    return e.metrics().delivered.load() >= n || e.metrics().failed.load() > 0;
  };
  // On a failure the test goes on, so that the receiver's records say why.
  EXPECT_TRUE(test::run_until(io, [&] { return done(first); }) &&
              e.metrics().delivered.load() == first)
      << "delivered " << e.metrics().delivered.load() << " of " << first
      << " (failed " << e.metrics().failed.load() << ", retried " << e.metrics().retried.load() << ")";

  // A rotation: the receiver is given the new secret as well.
  auto rotated = e.rotate_secret("lucca");
  ASSERT_TRUE(rotated.has_value());
  append_line(dir / "secrets", rotated->endpoint.secret); // index 1
  publish_all(true);
  const std::uint64_t all = 4 * events.size();
  EXPECT_TRUE(test::run_until(io, [&] { return done(all); }) && e.metrics().delivered.load() == all)
      << "delivered " << e.metrics().delivered.load() << " of " << all;
  EXPECT_EQ(e.metrics().failed.load(), 0u);
  EXPECT_EQ(e.metrics().retried.load(), 0u);

  bool stopped = false;
  e.stop(std::chrono::seconds{1}, [&] { stopped = true; });
  test::run_until(io, [&] { return stopped; });
  std::vector<request_seen> seen;
  for (const std::string& l : receiver.stop()) seen.push_back(parse(l));
  EXPECT_EQ(seen.size(), all);
  for (const request_seen& r : seen) {
    SCOPED_TRACE(r.endpoint + " " + r.event_id);
    EXPECT_EQ(r.status, 200) << r.why;
    ASSERT_TRUE(published.contains(r.event_id));
    const published_event& sent = published.at(r.event_id);
    const bool after_rotation = sent.after_rotation && r.endpoint == "lucca";
    // The Lucca header is signed with the current secret; the Standard Webhooks one
    // with the current secret and, during the overlap, the previous one.
    EXPECT_EQ(r.lucca, sc.lucca() ? std::optional<int>(after_rotation ? 1 : 0) : std::nullopt);
    std::vector<int> keys;
    if (sc.standard_webhooks()) keys = after_rotation ? std::vector<int>{0, 1} : std::vector<int>{0};
    EXPECT_EQ(r.standard_webhooks, keys);
    EXPECT_EQ(r.content_type,
              r.endpoint == "cloud" ? "application/cloudevents+json" : "application/json");
    EXPECT_EQ(r.data, sent.data) << "the body did not carry the published data";
  }
  std::filesystem::remove_all(dir);
}

} // namespace
} // namespace webhookd::engine::engine_test
