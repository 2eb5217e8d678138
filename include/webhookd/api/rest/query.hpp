// SPDX-License-Identifier: MIT
// Query strings of the REST API: percent-decoding, parameters, filters and `limit`.
#ifndef WEBHOOKD_API_REST_QUERY_HPP
#define WEBHOOKD_API_REST_QUERY_HPP

#include <webhookd/detail/config.hpp>

#include <webhookd/core/result.hpp>
#include <webhookd/model/validation.hpp>
#include <webhookd/store/records.hpp>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhookd::api::rest {

/** Decodes `%XX` escapes. `+` is kept as is (RFC 3986; ids and cursors never hold
    spaces, and a literal `+` is then never lost).
    @returns the decoded text, or nullopt on a broken escape (`%`, `%4`, `%zz`).
*/
inline std::optional<std::string> percent_decode(std::string_view in) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = hex(in[i + 1]);
    const int lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

/** Escapes everything but RFC 3986 unreserved characters and `!`, `,`, `*`, `:`, `@`
    (safe in a query value, and what cursors, comma lists and dates are made of). */
inline std::string percent_encode(std::string_view in) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (const char c : in) {
    const auto u = static_cast<unsigned char>(c);
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || c == '!' || c == ',' ||
                      c == '*' || c == ':' || c == '@';
    if (keep) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(digits[u >> 4]);
      out.push_back(digits[u & 15]);
    }
  }
  return out;
}

/// One `name=value` pair of a query string, decoded.
struct query_parameter {
  std::string name;
  std::string value;
  friend bool operator==(const query_parameter&, const query_parameter&) = default;
};

/** The parameters of a query string, decoded, in order (a name may repeat).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class query_parameters {
public:
  /** Parses `a=1&b=x%2Cy&c` (a parameter without `=` has an empty value; empty
      segments are skipped).
      @returns the parameters, or the error `query: must be valid percent-encoding`
      naming the offending parameter when it can be told.
  */
  static result<query_parameters, model::validation_errors> parse(std::string_view query) {
    query_parameters q;
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view part = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (part.empty()) continue;
      const auto eq = part.find('=');
      auto name = percent_decode(part.substr(0, eq));
      if (!name)
        return unexpected(model::validation_errors{{"query", "must be valid percent-encoding"}});
      auto value = percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                                : part.substr(eq + 1));
      if (!value)
        return unexpected(model::validation_errors{{*name, "must be valid percent-encoding"}});
      q.items_.push_back({std::move(*name), std::move(*value)});
    }
    return q;
  }

  /// The value of the last parameter named `name`, or nullptr.
  const std::string* find(std::string_view name) const noexcept {
    const std::string* found = nullptr;
    for (const auto& p : items_)
      if (p.name == name) found = &p.value;
    return found;
  }

  /// Every value of the parameters named `name`, in order.
  std::vector<std::string_view> all(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& p : items_)
      if (p.name == name) out.emplace_back(p.value);
    return out;
  }

  /** The query string again, each value percent-encoded, without the parameters
      named in `drop`, `first` put before the rest (e.g. `page=!x&limit=25&…`). */
  std::string encode(std::initializer_list<std::string_view> drop = {},
                     const std::vector<query_parameter>& first = {}) const {
    std::string out;
    auto append = [&](const query_parameter& p) {
      if (!out.empty()) out += '&';
      out += percent_encode(p.name);
      out += '=';
      out += percent_encode(p.value);
    };
    for (const auto& p : first) append(p);
    for (const auto& p : items_) {
      bool dropped = false;
      for (const auto d : drop) dropped = dropped || p.name == d;
      if (!dropped) append(p);
    }
    return out;
  }

  const std::vector<query_parameter>& items() const noexcept { return items_; }

private:
  std::vector<query_parameter> items_;
};

/** Reads the filter on `name` (SPEC.md Part 2 §1.7): `?name=a,b` keeps items whose
    property is a or b, `?-name=c` drops those whose property is c; repeated
    parameters add up. `parse_value` turns one value into a `T` (nullopt: invalid,
    recorded as `name: rule`).
*/
template <class T, class Parse>
store::value_filter<T> parse_filter(const query_parameters& query, std::string_view name,
                                    Parse parse_value, std::string_view rule,
                                    model::validation_errors& errors) {
  store::value_filter<T> filter;
  auto read = [&](std::string_view param, std::vector<T>& into) {
    for (std::string_view list : query.all(param)) {
      while (true) {
        const auto comma = list.find(',');
        const std::string_view item = list.substr(0, comma);
        if (std::optional<T> v = parse_value(item)) {
          into.push_back(std::move(*v));
        } else {
          errors.add(std::string(param), std::string(rule));
          return;
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
  };
  read(name, filter.include);
  read("-" + std::string(name), filter.exclude);
  return filter;
}

/// A filter on opaque strings (ids, topics): any non-empty value.
inline store::value_filter<std::string> parse_string_filter(const query_parameters& query,
                                                            std::string_view name,
                                                            model::validation_errors& errors) {
  return parse_filter<std::string>(
      query, name,
      [](std::string_view v) -> std::optional<std::string> {
        if (v.empty()) return std::nullopt;
        return std::string(v);
      },
      "must be a comma-separated list of non-empty values", errors);
}

/// `limit` (SPEC.md Part 1 §15): absent → `fallback`, else an integer 0..`max`.
inline std::optional<std::size_t> parse_limit(const query_parameters& query, std::size_t fallback,
                                              std::size_t max, model::validation_errors& errors) {
  const std::string* text = query.find("limit");
  if (text == nullptr) return fallback;
  std::size_t v = 0;
  bool ok = !text->empty() && text->size() <= 3;
  for (const char c : *text) {
    if (c < '0' || c > '9') ok = false;
    else v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  if (!ok || v > max) {
    errors.add("limit", "must be an integer from 0 to " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

} // namespace webhookd::api::rest

#endif // WEBHOOKD_API_REST_QUERY_HPP
