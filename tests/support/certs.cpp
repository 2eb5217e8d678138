#include "certs.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <unistd.h>

namespace webhookd::test {
namespace {

template <class T, void (*F)(T*)>
struct deleter {
  void operator()(T* p) const { F(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("certificate generation failed: ") + what);
}

std::string bio_string(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

pkey_ptr read_key(const std::string& pem) {
  bio_ptr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  pkey_ptr k(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
  check(k != nullptr, "read key");
  return k;
}

x509_ptr read_cert(const std::string& pem) {
  bio_ptr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  x509_ptr c(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
  check(c != nullptr, "read certificate");
  return c;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// Plain storage, so the file can be removed at exit after statics are destroyed.
char ca_path[4096];

} // namespace

cert_key make_certificate(const std::string& common_name, const std::string& subject_alt_names,
                          const cert_key* issuer, bool is_ca) {
  pkey_ptr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "key");
  x509_ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7F;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  x509_ptr issuer_cert;
  pkey_ptr issuer_key;
  if (issuer) {
    issuer_cert = read_cert(issuer->cert_pem);
    issuer_key = read_key(issuer->key_pem);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert.get()));
  } else {
    X509_set_issuer_name(cert.get(), name);
  }
  X509* signer = issuer ? issuer_cert.get() : cert.get();
  add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (is_ca) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    if (issuer) add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  }
  if (!subject_alt_names.empty()) add_ext(cert.get(), signer, NID_subject_alt_name, subject_alt_names);
  check(X509_sign(cert.get(), issuer ? issuer_key.get() : key.get(), EVP_sha256()) > 0, "sign");

  cert_key out;
  bio_ptr cb(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cb.get(), cert.get());
  out.cert_pem = bio_string(cb.get());
  bio_ptr kb(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  out.key_pem = bio_string(kb.get());
  return out;
}

const test_pki& pki() {
  static const test_pki p = [] {
    test_pki r;
    const std::string local = "IP:127.0.0.1,IP:::1,DNS:localhost";
    r.ca = make_certificate("webhookd test CA", "", nullptr, true);
    r.server = make_certificate("localhost", local, &r.ca, false);
    r.wrong_host = make_certificate("wrong.example", "DNS:wrong.example", &r.ca, false);
    r.untrusted = make_certificate("localhost", local, nullptr, false);
    const auto path = std::filesystem::temp_directory_path() /
                      ("webhookd-test-ca-" + std::to_string(::getpid()) + ".pem");
    std::ofstream(path) << r.ca.cert_pem;
    r.ca_file = path.string();
    std::snprintf(ca_path, sizeof ca_path, "%s", r.ca_file.c_str());
    std::atexit([] { std::remove(ca_path); });
    return r;
  }();
  return p;
}

} // namespace webhookd::test
