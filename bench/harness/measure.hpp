// What the harness measures about a process: CPU time, resident memory, monotonic
// time shared by every process of the machine, and latency distributions.
#ifndef WEBHOOKD_BENCH_HARNESS_MEASURE_HPP
#define WEBHOOKD_BENCH_HARNESS_MEASURE_HPP

#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace harness {

/// CLOCK_MONOTONIC in nanoseconds: comparable between the harness and its receiver.
inline std::uint64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline double seconds_of(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

/// User + system CPU seconds of this process (every thread).
inline double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return seconds_of(u.ru_utime) + seconds_of(u.ru_stime);
}

/// A field of /proc/self/status in bytes (`VmRSS`: now, `VmHWM`: peak), 0 if absent.
inline std::uint64_t proc_status_bytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return std::stoull(line.substr(prefix.size())) * 1024;
  return 0;
}
inline std::uint64_t resident_bytes() { return proc_status_bytes("VmRSS"); }
inline std::uint64_t peak_resident_bytes() { return proc_status_bytes("VmHWM"); }

/** Percentiles and a CDF of latency samples (microseconds): `p50`, `p90`, `p99`,
    `p999`, `max`, `count`, and `cdf`, about 100 [latency, fraction] points spaced
    evenly in log(latency), for the plots. */
inline nlohmann::json latency_summary(std::vector<std::uint32_t> samples) {
  nlohmann::json j;
  j["count"] = samples.size();
  if (samples.empty()) return j;
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size()))) ;
    return samples[std::min(samples.size() - 1, i == 0 ? 0 : i - 1)];
  };
  j["p50"] = at(0.50);
  j["p90"] = at(0.90);
  j["p99"] = at(0.99);
  j["p999"] = at(0.999);
  j["max"] = samples.back();
  nlohmann::json cdf = nlohmann::json::array();
  const double lo = std::log(std::max<double>(1, samples.front()));
  const double hi = std::log(std::max<double>(2, samples.back()));
  std::size_t i = 0;
  for (int step = 0; step <= 100; ++step) {
    const double bound = std::exp(lo + (hi - lo) * step / 100.0);
    while (i < samples.size() && samples[i] <= bound) ++i;
    cdf.push_back({std::round(bound), static_cast<double>(i) / static_cast<double>(samples.size())});
  }
  j["cdf"] = std::move(cdf);
  return j;
}

/** Progress of a long scenario on stderr: one line rewritten in place (`\r`) on a
    terminal, else a line every five seconds (logs stay readable). */
class progress_line {
public:
  progress_line(std::string name, bool terminal) : name_(std::move(name)), terminal_(terminal) {}

  /// Call often; prints at most twice a second (terminal) or every five seconds,
  /// with what `detail()` returns (only called when the line is printed).
  template <class Detail>
  void update(std::uint64_t done, std::uint64_t total, double seconds, Detail&& detail) {
    if (seconds < next_) return;
    next_ = seconds + (terminal_ ? 0.5 : 5.0);
    std::fprintf(stderr, "%s  %-16s %10llu / %-10llu %9.0f/s %6.1f s %s%s", terminal_ ? "\r" : "", name_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 seconds > 0 ? static_cast<double>(done) / seconds : 0.0, seconds, std::string(detail()).c_str(),
                 terminal_ ? " " : "\n");
    std::fflush(stderr);
    shown_ = true;
  }
  void finish() {
    if (shown_ && terminal_) std::fprintf(stderr, "\r%*s\r", 80, "");
    shown_ = false;
  }

private:
  std::string name_;
  bool terminal_;
  bool shown_ = false;
  double next_ = 0.5;
};

} // namespace harness

#endif // WEBHOOKD_BENCH_HARNESS_MEASURE_HPP
