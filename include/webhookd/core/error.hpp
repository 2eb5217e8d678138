// SPDX-License-Identifier: MIT
// webhookd's error codes: a std::error_code category for outcomes and failures.
#ifndef WEBHOOKD_CORE_ERROR_HPP
#define WEBHOOKD_CORE_ERROR_HPP

#include <webhookd/detail/config.hpp>

#include <string>
#include <system_error>

namespace webhookd {

/** Error codes raised by webhookd itself.

    Network and protocol failures of an attempt are recorded as these codes (or as the
    operating system's codes, e.g. `std::errc::connection_refused`), never thrown.
    The values are stable: they may be stored, so new ones are only ever appended.
*/
enum class errc {
  // --- time and identifiers -------------------------------------------------------
  /// A timestamp is not in RFC 3339 form, or names a day or time that does not exist.
  invalid_timestamp = 1,
  /// A URL could not be parsed, or breaks a rule of webhookd's URL policy.
  invalid_url,
  /// base64 or base64url input holds a character outside its alphabet or bad padding.
  invalid_base64,

  // --- signatures (receiver-side verification) -----------------------------------
  /// The signature header is missing or empty.
  missing_signature,
  /// The signature header is not in the scheme's form.
  malformed_signature,
  /// No signature in the header matches the one computed for the body.
  signature_mismatch,
  /// The timestamp header is missing or empty.
  missing_timestamp,
  /// The timestamp header is not in the scheme's form.
  malformed_timestamp,
  /// The timestamp is further from the verifier's clock than the tolerance allows.
  timestamp_out_of_tolerance,
  /// A secret is empty, or not in the form the scheme requires (e.g. `whsec_<base64>`).
  invalid_secret,

  // --- transport (recorded on attempts) ------------------------------------------
  /// The attempt's deadline passed before a complete answer arrived.
  timeout,
  /// The receiver's answer is not valid HTTP/1.1.
  protocol_error,
  /// The receiver's response headers exceed the size or count limit.
  headers_too_large,
  /// The resolved address is in a blocked network (SSRF guard).
  blocked_address,
  /// The URL's scheme is not allowed (plain `http://` without the host's consent).
  scheme_not_allowed,
  /// The TLS handshake failed for a reason other than certificate verification.
  tls_handshake_failed,
  /// The receiver's certificate could not be verified.
  tls_verify_failed,
  /// The receiver closed the connection before a complete answer.
  connection_closed,
  /// The operation was cancelled because the engine is stopping.
  cancelled,

  // --- store ----------------------------------------------------------------------
  /// The resource does not exist.
  not_found,
  /// The store's lease on a delivery expired or belongs to another owner.
  lease_lost,
  /// The store's schema is newer than this version of webhookd understands.
  schema_too_new,
};

namespace detail {

class error_category final : public std::error_category {
public:
  const char* name() const noexcept override { return "webhookd"; }

  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
    case errc::invalid_timestamp: return "invalid RFC 3339 timestamp";
    case errc::invalid_url: return "invalid URL";
    case errc::invalid_base64: return "invalid base64";
    case errc::missing_signature: return "signature header missing";
    case errc::malformed_signature: return "signature header malformed";
    case errc::signature_mismatch: return "signature does not match";
    case errc::missing_timestamp: return "timestamp header missing";
    case errc::malformed_timestamp: return "timestamp header malformed";
    case errc::timestamp_out_of_tolerance: return "timestamp outside the tolerance";
    case errc::invalid_secret: return "invalid secret";
    case errc::timeout: return "timeout";
    case errc::protocol_error: return "malformed HTTP response";
    case errc::headers_too_large: return "response headers too large";
    case errc::blocked_address: return "address blocked";
    case errc::scheme_not_allowed: return "URL scheme not allowed";
    case errc::tls_handshake_failed: return "TLS handshake failed";
    case errc::tls_verify_failed: return "TLS: certificate verify failed";
    case errc::connection_closed: return "connection closed by peer";
    case errc::cancelled: return "cancelled";
    case errc::not_found: return "not found";
    case errc::lease_lost: return "lease lost";
    case errc::schema_too_new: return "store schema is newer than this webhookd";
    }
    return "unknown webhookd error";
  }
};

} // namespace detail

/// The category of webhookd's own error codes; its `name()` is `"webhookd"`.
inline const std::error_category& error_category() noexcept {
  static const detail::error_category category;
  return category;
}

/// Makes a `std::error_code` from a webhookd error (found by ADL).
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

} // namespace webhookd

template <>
struct std::is_error_code_enum<webhookd::errc> : std::true_type {};

#endif // WEBHOOKD_CORE_ERROR_HPP
