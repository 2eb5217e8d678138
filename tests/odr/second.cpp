#include <webhookd/webhookd.hpp>

#include <string>

std::string second_translation_unit() {
  return webhookd::format_rfc3339_seconds(webhookd::timestamp{}) + webhookd::version_string;
}
