// The other senders the harness runs against the same receiver, body and connection
// count: webhookd's raw sender (http::client alone, bench/sender/), the libcurl multi
// sender (bench/peers/) and wrk, the machine's ceiling. Each runs as a child process;
// its CPU is read from wait4's rusage (wrk) or reported by the program itself over
// its measured phase (the two senders).
#ifndef WEBHOOKD_BENCH_HARNESS_PEERS_HPP
#define WEBHOOKD_BENCH_HARNESS_PEERS_HPP

#include "measure.hpp"

#include "../sender/bench_common.hpp"

#include <nlohmann/json.hpp>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

extern char** environ;

namespace harness {

/// What a command printed on stdout, and its CPU seconds; nullopt if it could not run.
struct command_result {
  std::string out;
  double cpu_seconds = 0;
  int status = 0;
};

inline std::optional<command_result> run_command(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe(fds) != 0) return std::nullopt;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (spawned != 0) {
    ::close(fds[0]);
    return std::nullopt;
  }
  command_result r;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  rusage u{};
  ::wait4(pid, &r.status, 0, &u);
  r.cpu_seconds = seconds_of(u.ru_utime) + seconds_of(u.ru_stime);
  if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) == 127) return std::nullopt;
  return r;
}

/// How the peers are run.
struct peer_options {
  std::string bin_dir;  ///< the build's bench/ folder
  std::string ca_file;
  std::string work_dir; ///< where wrk's script is written
  double seconds = 5;
  double warmup = 1;
};

/** Runs one sender program of bench/ (same command line and report line as
    bench/sender/webhookd_sender.cpp): {"rps", "cpu_us_per_request"} or null. */
inline nlohmann::json run_sender_program(const std::string& binary, const std::string& url, int connections,
                                         const peer_options& o) {
  const auto r = run_command({binary, "--url", url, "--connections", std::to_string(connections), "--seconds",
                              std::to_string(o.seconds), "--warmup", std::to_string(o.warmup), "--ca-file",
                              o.ca_file});
  std::smatch m;
  static const std::regex line(R"(rps=([0-9.]+) cpu_us_per_req=([0-9.]+))");
  if (!r || !std::regex_search(r->out, m, line)) return nullptr;
  return {{"rps", std::stod(m[1])}, {"cpu_us_per_request", std::stod(m[2])}};
}

/** wrk -t1 posting the senders' body and headers (a fixed valid signature) after a
    warm-up run: {"rps", "cpu_us_per_request"} or null when wrk is missing. */
inline nlohmann::json run_wrk(const std::string& url, int connections, const peer_options& o) {
  const std::string script = o.work_dir + "/post.lua";
  {
    const std::string body = bench::make_event(1024);
    const std::string ts = bench::now_timestamp();
    const bench::signer signer(bench::secret);
    std::ofstream f(script);
    f << "wrk.method = \"POST\"\nwrk.body = [[" << body << "]]\n"
      << "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
      << "wrk.headers[\"Api-Version\"] = \"2024-11-01\"\n"
      << "wrk.headers[\"Lucca-Timestamp\"] = \"" << ts << "\"\n"
      << "wrk.headers[\"Lucca-Signature\"] = \"" << signer.sign(ts, body) << "\"\n";
  }
  const std::string c = std::to_string(connections);
  const auto secs = [](double s) { return std::to_string(static_cast<int>(s + 0.5)) + "s"; };
  if (!run_command({"wrk", "-t1", "-c", c, "-d", secs(o.warmup < 1 ? 1 : o.warmup), "-s", script, url})) return nullptr;
  const auto r = run_command({"wrk", "-t1", "-c", c, "-d", secs(o.seconds), "-s", script, url});
  std::smatch rps, count;
  static const std::regex rps_line(R"(Requests/sec:\s+([0-9.]+))");
  static const std::regex count_line(R"((\d+) requests in)");
  if (!r || !std::regex_search(r->out, rps, rps_line) || !std::regex_search(r->out, count, count_line)) return nullptr;
  const double n = std::stod(count[1]);
  return {{"rps", std::stod(rps[1])}, {"cpu_us_per_request", n > 0 ? r->cpu_seconds / n * 1e6 : 0.0}};
}

/// Every peer at one URL: {"raw_sender", "libcurl", "wrk"} (null where one could not run).
inline nlohmann::json run_peers(const std::string& url, int connections, const peer_options& o) {
  nlohmann::json j;
  j["raw_sender"] = run_sender_program(o.bin_dir + "/sender/webhookd_sender_bench", url, connections, o);
  j["libcurl"] = run_sender_program(o.bin_dir + "/peers/webhookd_curl_sender", url, connections, o);
  j["wrk"] = run_wrk(url, connections, o);
  return j;
}

} // namespace harness

#endif // WEBHOOKD_BENCH_HARNESS_PEERS_HPP
