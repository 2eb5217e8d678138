// Shared by the sender benchmark programs (webhookd and peers): the event body, the
// Lucca signature, the command line and the report line, so every sender does the
// same work per delivery.
#ifndef WEBHOOKD_BENCH_SENDER_COMMON_HPP
#define WEBHOOKD_BENCH_SENDER_COMMON_HPP

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bench {

/// A JSON event of exactly `size` bytes (padded in a `data.note` field).
inline std::string make_event(std::size_t size) {
  std::string head = R"({"id":"evt_0123456789","type":"event","topic":"employee.created",)"
                     R"("occurredAt":"2025-01-01T08:34:23.000Z","data":{"note":")";
  const std::string tail = "\"}}";
  if (size < head.size() + tail.size()) size = head.size() + tail.size();
  head.append(size - head.size() - tail.size(), 'x');
  return head + tail;
}

/// HMAC-SHA256 with a keyed context prepared once and copied per message.
class signer {
public:
  explicit signer(std::string_view secret) {
    mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    keyed_ = EVP_MAC_CTX_new(mac_);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (!EVP_MAC_init(keyed_, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params))
      throw std::runtime_error("HMAC init");
  }
  ~signer() {
    EVP_MAC_CTX_free(keyed_);
    EVP_MAC_free(mac_);
  }
  signer(const signer&) = delete;
  signer& operator=(const signer&) = delete;

  /// base64(HMAC-SHA256(secret, timestamp + "." + body)), the Lucca-Signature value.
  std::string sign(std::string_view timestamp, std::string_view body) const {
    EVP_MAC_CTX* c = EVP_MAC_CTX_dup(keyed_);
    EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(timestamp.data()), timestamp.size());
    EVP_MAC_update(c, reinterpret_cast<const unsigned char*>("."), 1);
    EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(body.data()), body.size());
    unsigned char out[32];
    std::size_t n = 0;
    EVP_MAC_final(c, out, &n, sizeof out);
    EVP_MAC_CTX_free(c);
    char b64[48];
    const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64), out, static_cast<int>(n));
    return std::string(b64, static_cast<std::size_t>(len));
  }

private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* keyed_ = nullptr;
};

/// `YYYY-MM-DDTHH:MM:SSZ` for now.
inline std::string now_timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

inline constexpr const char* secret = "b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta";

struct args {
  std::string url;
  std::string ca_file;
  int connections = 16;
  double seconds = 5;
  double warmup = 1;
  std::size_t body_size = 1024;
  // The engine benchmark only: publish this many events, then stop (0: run for
  // `seconds`); undelivered events to keep published (0: its default).
  unsigned long long events = 0;
  std::size_t backlog = 0;
  // Who calls publish(): the engine's own I/O thread ("loop", everything on one
  // thread) or a thread of the host's ("host", as a server's request threads do).
  std::string publisher = "loop";
};

inline args parse_args(int argc, char** argv) {
  args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") a.url = v;
    else if (k == "--ca-file") a.ca_file = v;
    else if (k == "--connections") a.connections = std::atoi(v.c_str());
    else if (k == "--seconds") a.seconds = std::atof(v.c_str());
    else if (k == "--warmup") a.warmup = std::atof(v.c_str());
    else if (k == "--body-size") a.body_size = static_cast<std::size_t>(std::atol(v.c_str()));
    else if (k == "--events") a.events = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--backlog") a.backlog = static_cast<std::size_t>(std::atol(v.c_str()));
    else if (k == "--publisher" && (v == "loop" || v == "host")) a.publisher = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (a.url.empty()) {
    std::fprintf(stderr, "usage: %s --url URL [--ca-file F] [--connections N] [--seconds S] [--warmup S] [--body-size B] [--events N] [--backlog N]\n",
                 argv[0]);
    std::exit(2);
  }
  return a;
}

/// CPU time (user + system) of this process, in microseconds.
inline double cpu_us() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/// Measures the steady phase of a run: call start() after warm-up, stop() at the end.
struct meter {
  std::chrono::steady_clock::time_point t0;
  double cpu0 = 0;
  unsigned long long ok0 = 0;

  void start(unsigned long long ok) {
    t0 = std::chrono::steady_clock::now();
    cpu0 = cpu_us();
    ok0 = ok;
  }
  /// Prints the report line; `extra` (e.g. " key=value") is appended to it.
  void report(const char* name, unsigned long long ok, unsigned long long errors, const std::string& extra = {}) const {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_us() - cpu0;
    const double n = static_cast<double>(ok - ok0);
    std::printf("sender=%s requests=%llu errors=%llu seconds=%.2f rps=%.0f cpu_us_per_req=%.2f%s\n", name, ok - ok0,
                errors, secs, n / secs, n > 0 ? cpu / n : 0.0, extra.c_str());
  }
};

} // namespace bench

#endif
