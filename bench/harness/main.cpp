// webhookd_harness: runs end-to-end scenarios through the real engine and a real
// loopback receiver, and, where a scenario applies to them, the same workload through
// webhookd's raw sender, the libcurl multi sender and wrk, in one run. Prints a table
// and the targets, and writes every figure to a JSON file (bench/harness/plot.py turns
// it into the SVG plots of docs/performance.md).
//
//   webhookd_harness [--scenarios NAME,NAME|all] [--quick] [--json FILE]
//                    [--postgres CONNINFO] [--peer-seconds S] [--no-peers]
//                    [--receiver-url URL --ca-file FILE] [--receiver-threads N]
//                    [--backlog N] [--list]
//
// Each scenario runs in a child process of its own (so peak RSS and memory per pending
// delivery are its own); the receiver runs in another (so the client's CPU figures
// never include it). See docs/performance.md, "The harness".
#include "engine_run.hpp"
#include "measure.hpp"
#include "peers.hpp"
#include "receiver.hpp"
#include "scenario.hpp"

#include <webhookd/store/memory_store.hpp>
#ifdef WEBHOOKD_HARNESS_SQLITE
#include <webhookd/store/sqlite_store.hpp>
#endif
#ifdef WEBHOOKD_HARNESS_POSTGRES
#include <libpq-fe.h>
#include <webhookd/store/postgres_store.hpp>
#endif

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;

struct options {
  std::vector<std::string> only;
  bool quick = false;
  bool list = false;
  bool peers = true;
  std::string json_file = "harness-results.json";
  std::string postgres;
  std::string receiver_url;
  std::string ca_file;
  int receiver_threads = 1;
  double peer_seconds = 5;
  std::size_t backlog = 0;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "webhookd_harness: %s\n"
               "usage: webhookd_harness [--scenarios NAME,...|all] [--quick] [--json FILE] [--postgres CONNINFO]\n"
               "       [--peer-seconds S] [--no-peers] [--receiver-url URL --ca-file FILE]\n"
               "       [--receiver-threads N] [--backlog N] [--list]\n",
               why);
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage((k + " needs a value").c_str());
      return argv[++i];
    };
    const auto number = [&](double min) {
      const std::string v = value();
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || d < min)
        usage((k + " must be a number of at least " + std::to_string(min) + ", got '" + v + "'").c_str());
      return d;
    };
    if (k == "--scenarios") {
      std::stringstream in(value());
      for (std::string name; std::getline(in, name, ',');)
        if (!name.empty() && name != "all") o.only.push_back(name);
    } else if (k == "--quick") o.quick = true;
    else if (k == "--list") o.list = true;
    else if (k == "--no-peers") o.peers = false;
    else if (k == "--json") o.json_file = value();
    else if (k == "--postgres") o.postgres = value();
    else if (k == "--receiver-url") o.receiver_url = value();
    else if (k == "--ca-file") o.ca_file = value();
    else if (k == "--receiver-threads") o.receiver_threads = static_cast<int>(number(1));
    else if (k == "--peer-seconds") o.peer_seconds = number(1);
    else if (k == "--backlog") o.backlog = static_cast<std::size_t>(number(0));
    else usage(("unknown option '" + k + "'").c_str());
  }
  while (!o.receiver_url.empty() && o.receiver_url.back() == '/') o.receiver_url.pop_back();
  return o;
}

bool run(const std::string& command) { return std::system(command.c_str()) == 0; }

/// A CA and a certificate for 127.0.0.1 signed by it, made now with the openssl tool.
void make_certificates(const std::string& dir) {
  const std::string q = " 2>/dev/null";
  const bool ok =
      run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=webhookd harness CA'"
          " -keyout " + dir + "/ca.key -out " + dir + "/ca.pem" + q) &&
      run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 -keyout " + dir +
          "/server.key -out " + dir + "/server.csr" + q) &&
      run("printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > " +
          dir + "/ext.cnf") &&
      run("openssl x509 -req -in " + dir + "/server.csr -CA " + dir + "/ca.pem -CAkey " + dir +
          "/ca.key -CAcreateserial -days 2 -extfile " + dir + "/ext.cnf -out " + dir + "/server.pem" + q);
  if (!ok) throw std::runtime_error("cannot make the test certificates (is the openssl tool installed?)");
}

#ifdef WEBHOOKD_HARNESS_POSTGRES
/// Runs one statement on a fresh connection; empty on success, else the error.
std::string pg_exec(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  std::string error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return error;
}
#endif

/// Runs the scenario in this (child) process with the store it names.
json run_in_child(const harness::scenario& s, const harness::run_context& ctx) {
  if (s.store == "memory") {
    webhookd::store::memory_store store;
    return harness::run_engine_scenario(store, s, ctx);
  }
#ifdef WEBHOOKD_HARNESS_SQLITE
  if (s.store == "sqlite") {
    const std::string path = ctx.work_dir + "/" + s.name + ".db";
    json r;
    {
      webhookd::store::sqlite_store store(path);
      r = harness::run_engine_scenario(store, s, ctx);
    }
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
    return r;
  }
#endif
#ifdef WEBHOOKD_HARNESS_POSTGRES
  if (s.store == "postgres") {
    // A schema of its own, so that nothing left in the database is delivered too.
    const std::string schema = "harness_" + std::to_string(::getpid());
    if (auto err = pg_exec(ctx.postgres_conninfo, "CREATE SCHEMA " + schema); !err.empty())
      return {{"error", "postgres: " + err}};
    json r;
    {
      webhookd::store::postgres_options po;
      po.conninfo = ctx.postgres_conninfo + " options='-c search_path=" + schema + "'";
      auto store = webhookd::store::postgres_store::open(po);
      if (!store) r = {{"error", "postgres: " + store.error().message()}};
      else r = harness::run_engine_scenario(**store, s, ctx);
    }
    pg_exec(ctx.postgres_conninfo, "DROP SCHEMA " + schema + " CASCADE");
    return r;
  }
#endif
  return {{"error", "store '" + s.store + "' not built into this harness"}};
}

/// Forks, runs the scenario in the child, and returns what it reported.
json run_scenario(const harness::scenario& s, const harness::run_context& ctx) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    try {
      out = run_in_child(s, ctx).dump();
    } catch (const std::exception& e) {
      out = json{{"error", e.what()}}.dump();
    }
    const char* p = out.data();
    for (std::size_t left = out.size(); left > 0;) {
      const ssize_t n = ::write(fds[1], p, left);
      if (n <= 0) break;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    std::_Exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[8192];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (text.empty()) return {{"error", "the scenario's process died (status " + std::to_string(status) + ")"}};
  return json::parse(text);
}

std::string fmt(const json& v, const char* format, double scale = 1) {
  if (!v.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v.get<double>() * scale);
  return buf;
}

json ratio(const json& a, const json& b) {
  if (!a.is_number() || !b.is_number() || b.get<double>() <= 0) return nullptr;
  return a.get<double>() / b.get<double>();
}

const json& at(const json& j, std::initializer_list<const char*> path) {
  static const json none;
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return none;
    p = &(*p)[k];
  }
  return *p;
}

void print_table(const json& results) {
  std::printf("\n%-16s %6s %5s %7s | %9s %8s %8s %8s | %7s %8s %9s | %8s %8s %8s\n", "scenario", "store", "conns",
              "endpts", "deliv/s", "p50 ms", "p99 ms", "p99.9 ms", "CPU s/k", "peak MiB", "B/pending", "raw/s",
              "curl/s", "wrk/s");
  for (const auto& r : results) {
    if (r.contains("error")) {
      std::printf("%-16s error: %s\n", r.value("name", "?").c_str(), r["error"].get<std::string>().c_str());
      continue;
    }
    std::printf("%-16s %6s %5d %7d | %9s %8s %8s %8s | %7s %8s %9s | %8s %8s %8s%s\n",
                r["name"].get<std::string>().c_str(), r["store"].get<std::string>().c_str(), r["connections"].get<int>(),
                r["endpoints"].get<int>(), fmt(r["deliveries_per_s"], "%.0f").c_str(),
                fmt(at(r, {"latency_us", "p50"}), "%.2f", 1e-3).c_str(),
                fmt(at(r, {"latency_us", "p99"}), "%.2f", 1e-3).c_str(),
                fmt(at(r, {"latency_us", "p999"}), "%.2f", 1e-3).c_str(), fmt(r["cpu_s_per_1000"], "%.4f").c_str(),
                fmt(r["peak_rss_bytes"], "%.1f", 1.0 / (1 << 20)).c_str(), fmt(r.value("bytes_per_pending", json()), "%.0f").c_str(),
                fmt(at(r, {"peers", "raw_sender", "rps"}), "%.0f").c_str(),
                fmt(at(r, {"peers", "libcurl", "rps"}), "%.0f").c_str(), fmt(at(r, {"peers", "wrk", "rps"}), "%.0f").c_str(),
                r.value("complete", true) ? "" : "  (incomplete)");
  }
}

const json* find(const json& results, const std::string& name) {
  for (const auto& r : results)
    // An incomplete run's figures say nothing about a target.
    if (r.value("name", "") == name && !r.contains("error") && r.value("complete", false)) return &r;
  return nullptr;
}

/// The targets, each as reached / wanted, from this run's figures.
json evaluate_targets(const json& results) {
  json t = json::array();
  const auto add = [&](const std::string& what, const json& value, double want, bool at_most = false) {
    const bool met = value.is_number() && (at_most ? value.get<double>() <= want : value.get<double>() >= want);
    t.push_back({{"target", what}, {"value", value}, {"want", want}, {"at_most", at_most}, {"met", met}});
  };
  if (const json* r = find(results, "https-c16")) {
    add("HTTPS c16 memory: engine / libcurl", ratio((*r)["deliveries_per_s"], at(*r, {"peers", "libcurl", "rps"})), 2.0);
    add("HTTPS c16 memory: engine / wrk", ratio((*r)["deliveries_per_s"], at(*r, {"peers", "wrk", "rps"})), 0.8);
    add("HTTPS c16 memory: engine / raw sender", ratio((*r)["deliveries_per_s"], at(*r, {"peers", "raw_sender", "rps"})), 0.85);
    add("HTTPS c16: raw sender / libcurl", ratio(at(*r, {"peers", "raw_sender", "rps"}), at(*r, {"peers", "libcurl", "rps"})), 2.0);
    add("HTTPS c16: raw sender / wrk", ratio(at(*r, {"peers", "raw_sender", "rps"}), at(*r, {"peers", "wrk", "rps"})), 0.8);
    if (const json* q = find(results, "https-c16-sqlite"))
      add("HTTPS c16: SQLite / memory store", ratio((*q)["deliveries_per_s"], (*r)["deliveries_per_s"]), 0.5);
  }
  if (const json* r = find(results, "fanout-100")) add("fan-out 100: bodies encoded per event", (*r)["bodies_per_event"], 1.0, true);
  if (const json* r = find(results, "pending-1m"))
    add("1M pending: bytes per pending delivery beyond the body", (*r)["bytes_per_pending"], 200, true);
  const json* small = find(results, "pending-10k");
  const json* large = find(results, "pending-1m");
  if (small && large)
    add("pending 1M vs 10k: CPU per delivery ratio (O(1): about 1)",
        ratio((*large)["cpu_us_per_delivery"], (*small)["cpu_us_per_delivery"]), 1.5, true);
  return t;
}

} // namespace

int main(int argc, char** argv) {
  const options opt = parse(argc, argv);
  std::vector<harness::scenario> scenarios = harness::default_scenarios(opt.quick);
  if (opt.list) {
    for (const auto& s : scenarios)
      std::printf("%-16s store=%s %s conns=%d endpoints=%d events=%llu%s%s\n", s.name.c_str(), s.store.c_str(),
                  s.proto.c_str(), s.connections, s.endpoints, static_cast<unsigned long long>(s.events),
                  s.peers ? " +peers" : "", s.pending ? " (pending in the wheel)" : "");
    return 0;
  }
  if (!opt.only.empty()) {
    std::vector<harness::scenario> chosen;
    for (const auto& name : opt.only) {
      const auto it = std::find_if(scenarios.begin(), scenarios.end(), [&](const auto& s) { return s.name == name; });
      if (it == scenarios.end()) usage(("unknown scenario '" + name + "' (see --list)").c_str());
      chosen.push_back(*it);
    }
    scenarios = std::move(chosen);
  }
  if (opt.postgres.empty())
    std::erase_if(scenarios, [](const auto& s) {
      if (s.store != "postgres") return false;
      std::fprintf(stderr, "%s: skipped (no --postgres CONNINFO)\n", s.name.c_str());
      return true;
    });

  char dir_template[] = "/tmp/webhookd-harness.XXXXXX";
  const char* made = ::mkdtemp(dir_template);
  if (!made) usage("cannot make a scratch directory in /tmp");
  const std::string work = made;

  harness::run_context ctx;
  ctx.work_dir = work;
  ctx.postgres_conninfo = opt.postgres;
  ctx.backlog = opt.backlog;
  ctx.progress = ::isatty(2) != 0;
  std::unique_ptr<harness::receiver_process> receiver;
  try {
    if (opt.receiver_url.empty()) {
      make_certificates(work);
      receiver = std::make_unique<harness::receiver_process>(work + "/server.pem", work + "/server.key", opt.receiver_threads);
      ctx.http_base = "http://127.0.0.1:" + std::to_string(receiver->ports().http);
      ctx.https_base = "https://127.0.0.1:" + std::to_string(receiver->ports().https);
      ctx.ca_file = work + "/ca.pem";
    } else {
      // An external receiver answers every path as it likes: no latency, no mix.
      ctx.http_base = ctx.https_base = opt.receiver_url;
      ctx.ca_file = opt.ca_file;
      std::erase_if(scenarios, [](const auto& s) { return s.path != "ok"; });
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "webhookd_harness: %s\n", e.what());
    std::filesystem::remove_all(work);
    return 1;
  }

  harness::peer_options peers;
  peers.bin_dir = std::filesystem::canonical("/proc/self/exe").parent_path().parent_path().string();
  peers.ca_file = ctx.ca_file;
  peers.work_dir = work;
  peers.seconds = opt.peer_seconds;

  json results = json::array();
  for (const auto& s : scenarios) {
    std::fprintf(stderr, "%s ...\n", s.name.c_str());
    if (receiver) receiver->stats(true);
    json r = run_scenario(s, ctx);
    r["name"] = s.name;
    if (receiver) {
      const json st = receiver->stats(true);
      if (!r.contains("error")) {
        r["latency_us"] = st["latency_us"];
        r["receiver"] = {{"accepted", st["accepted"]}, {"unavailable", st["unavailable"]},
                         {"held", st["held"]}, {"gone", st["gone"]}};
      }
    }
    if (s.peers && opt.peers && !r.contains("error")) {
      const std::string url = (s.proto == "https" ? ctx.https_base : ctx.http_base) + "/ok/peer";
      r["peers"] = harness::run_peers(url, s.connections, peers);
      if (receiver) receiver->stats(true);
    }
    results.push_back(r);
  }

  print_table(results);
  const json targets = evaluate_targets(results);
  if (!targets.empty()) {
    std::printf("\ntargets (this run):\n");
    for (const auto& t : targets)
      std::printf("  %-58s %10s  want %s %-6g %s\n", t["target"].get<std::string>().c_str(), fmt(t["value"], "%.3f").c_str(),
                  t["at_most"].get<bool>() ? "<=" : ">=", t["want"].get<double>(), t["met"].get<bool>() ? "met" : "NOT met");
  }
  json doc;
  doc["machine"] = {{"cpus", std::thread::hardware_concurrency()}};
  doc["quick"] = opt.quick;
  doc["results"] = results;
  doc["targets"] = targets;
  std::ofstream(opt.json_file) << doc.dump(2) << "\n";
  std::printf("\nwrote %s\n", opt.json_file.c_str());
  std::filesystem::remove_all(work);
  bool ok = true;
  for (const auto& r : results) ok = ok && !r.contains("error") && r.value("complete", true);
  return ok ? 0 : 1;
}
