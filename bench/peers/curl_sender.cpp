// The same work as bench/sender/webhookd_sender.cpp done with libcurl's multi
// interface: N easy handles kept busy, keep-alive on, peer and host verification on,
// a fresh timestamp and signature per request.
#include "../sender/bench_common.hpp"

#include <curl/curl.h>

#include <cstdio>
#include <vector>

namespace {

struct slot {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
};

std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

void prepare(slot& s, const bench::signer& signer, const std::string& body) {
  if (s.headers) curl_slist_free_all(s.headers);
  const std::string ts = bench::now_timestamp();
  s.headers = curl_slist_append(nullptr, "Content-Type: application/json");
  s.headers = curl_slist_append(s.headers, "Api-Version: 2024-11-01");
  s.headers = curl_slist_append(s.headers, ("Lucca-Timestamp: " + ts).c_str());
  s.headers = curl_slist_append(s.headers, ("Lucca-Signature: " + signer.sign(ts, body)).c_str());
  s.headers = curl_slist_append(s.headers, "Expect:");
  curl_easy_setopt(s.easy, CURLOPT_HTTPHEADER, s.headers);
}

} // namespace

int main(int argc, char** argv) {
  const bench::args a = bench::parse_args(argc, argv);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const std::string body = bench::make_event(a.body_size);
  const bench::signer signer(bench::secret);

  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(a.connections));
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(a.connections));
  std::vector<slot> slots(static_cast<std::size_t>(a.connections));
  for (auto& s : slots) {
    s.easy = curl_easy_init();
    curl_easy_setopt(s.easy, CURLOPT_URL, a.url.c_str());
    curl_easy_setopt(s.easy, CURLOPT_POST, 1L);
    curl_easy_setopt(s.easy, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(s.easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(s.easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(s.easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(s.easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!a.ca_file.empty()) curl_easy_setopt(s.easy, CURLOPT_CAINFO, a.ca_file.c_str());
    curl_easy_setopt(s.easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(s.easy, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(s.easy, CURLOPT_PRIVATE, &s);
    prepare(s, signer, body);
    curl_multi_add_handle(multi, s.easy);
  }

  unsigned long long ok = 0, errors = 0;
  bench::meter m;
  const auto begin = std::chrono::steady_clock::now();
  const auto warm = begin + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(a.warmup));
  const auto end = warm + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(a.seconds));
  bool measuring = false, stopping = false;
  int running = 0;
  do {
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      slot* s = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s);
      long code = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
      if (msg->data.result == CURLE_OK && code >= 200 && code < 300) ++ok;
      else if (++errors <= 5) std::fprintf(stderr, "error: %ld %s\n", code, curl_easy_strerror(msg->data.result));
      curl_multi_remove_handle(multi, s->easy);
      if (!stopping) {
        prepare(*s, signer, body);
        curl_multi_add_handle(multi, s->easy);
        ++running;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (!measuring && now >= warm) {
      m.start(ok);
      measuring = true;
    }
    if (measuring && !stopping && now >= end) {
      m.report("libcurl", ok, errors);
      stopping = true;
    }
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  } while (running > 0 || !stopping);

  for (auto& s : slots) {
    curl_easy_cleanup(s.easy);
    curl_slist_free_all(s.headers);
  }
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  return errors > 0 ? 1 : 0;
}
