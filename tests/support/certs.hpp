// Test certificates, generated at run time with the OpenSSL API.
#ifndef WEBHOOKD_TESTS_SUPPORT_CERTS_HPP
#define WEBHOOKD_TESTS_SUPPORT_CERTS_HPP

#include <string>

namespace webhookd::test {

/// A certificate and its private key, both PEM.
struct cert_key {
  std::string cert_pem;
  std::string key_pem;
};

/// A small PKI: a CA and certificates for loopback servers.
struct test_pki {
  cert_key ca;          ///< self-signed CA (trusted by clients via `ca_file`/`ca_pem`)
  cert_key server;      ///< signed by `ca`: 127.0.0.1, ::1 and localhost
  cert_key wrong_host;  ///< signed by `ca`: wrong.example only
  cert_key untrusted;   ///< self-signed: 127.0.0.1, ::1 and localhost
  std::string ca_file;  ///< `ca.cert_pem` written to a temporary file
};

/// The process's PKI, generated on first use (EC P-256 keys, valid for a day).
const test_pki& pki();

/// Generates a certificate for `subject_alt_names` (OpenSSL syntax, e.g.
/// "IP:127.0.0.1,DNS:localhost"), signed by `issuer` or self-signed when null.
cert_key make_certificate(const std::string& common_name, const std::string& subject_alt_names,
                          const cert_key* issuer, bool is_ca);

} // namespace webhookd::test

#endif
