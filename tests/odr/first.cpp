#include <webhookd/webhookd.hpp>

#include <string>

std::string first_translation_unit() {
  return webhookd::format_rfc3339_seconds(webhookd::timestamp{}) + webhookd::version_string;
}
