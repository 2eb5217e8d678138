// SPDX-License-Identifier: MIT
// receiver: what a webhook receiver does with each request (activation challenge,
// Lucca signature and timestamp check, dedupe by event id), as an api::request_handler
// that needs no transport.
#ifndef WEBHOOKD_EXAMPLES_RECEIVER_HPP
#define WEBHOOKD_EXAMPLES_RECEIVER_HPP

#include <webhookd/api/message.hpp>
#include <webhookd/api/rest/query.hpp>
#include <webhookd/core/clock.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/signing/lucca.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace example {

namespace api = webhookd::api;
namespace signing = webhookd::signing;

/** Where the receiver gets the endpoint secret from.

    The secret is only known once the endpoint has been created (it is shown once, in
    the 201 answer), so a receiver started before that can read it from a file that
    is written later: `file()` reads the file again whenever its modification time or
    size changes, and has no secret while the file is missing or blank. Surrounding
    whitespace (a trailing newline from `echo`) is ignored.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class secret_source {
public:
  /// No secret: every POST is refused until one is configured.
  secret_source() = default;

  /// A secret given once (`--secret`). An empty `secret` means no secret.
  static secret_source fixed(std::string_view secret) {
    secret_source s;
    s.load(secret);
    return s;
  }

  /// A secret read from `path`, again whenever the file changes (`--secret-file`).
  static secret_source file(std::filesystem::path path) {
    secret_source s;
    s.path_ = std::move(path);
    return s;
  }

  /** The signer keyed with the current secret, or nullptr when there is none.

      For a file source, checks the file first (one `stat`) and reads it again if it
      changed; `reloaded()` then tells so.
  */
  const signing::lucca_signer* current() {
    reloaded_ = false;
    if (path_.empty()) return signer_ ? &*signer_ : nullptr;
    std::error_code ec;
    const auto mtime = std::filesystem::last_write_time(path_, ec);
    const auto size = ec ? 0 : std::filesystem::file_size(path_, ec);
    if (ec) {
      reloaded_ = stamp_.has_value();
      stamp_.reset();
      signer_.reset();
      return nullptr;
    }
    if (!stamp_ || stamp_->first != mtime || stamp_->second != size) {
      stamp_.emplace(mtime, size);
      std::ifstream in(path_, std::ios::binary);
      const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      load(text);
      reloaded_ = true;
    }
    return signer_ ? &*signer_ : nullptr;
  }

  /// True when the last `current()` call found a changed (or vanished) secret file.
  bool reloaded() const noexcept { return reloaded_; }
  /// The file the secret is read from; empty for a fixed secret.
  const std::filesystem::path& path() const noexcept { return path_; }

private:
  void load(std::string_view text) {
    constexpr std::string_view blanks = " \t\r\n";
    const auto first = text.find_first_not_of(blanks);
    if (first == std::string_view::npos) {
      signer_.reset();
      return;
    }
    text = text.substr(first, text.find_last_not_of(blanks) - first + 1);
    signer_.emplace(text);
  }

  std::filesystem::path path_;
  std::optional<std::pair<std::filesystem::file_time_type, std::uintmax_t>> stamp_;
  std::optional<signing::lucca_signer> signer_;
  bool reloaded_ = false;
};

/** The last `capacity` distinct event ids seen, oldest forgotten first.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class recent_ids {
public:
  explicit recent_ids(std::size_t capacity) : capacity_(capacity) {}

  /// Remembers `id`; false if it was already among the last `capacity` ids.
  /// A capacity of 0 remembers nothing (every id is new).
  bool insert(const std::string& id) {
    if (capacity_ == 0) return true;
    if (!set_.insert(id).second) return false;
    order_.push_back(id);
    if (order_.size() > capacity_) {
      set_.erase(order_.front());
      order_.pop_front();
    }
    return true;
  }

  std::size_t size() const noexcept { return order_.size(); }

private:
  std::size_t capacity_;
  std::unordered_set<std::string> set_;
  std::deque<std::string> order_;
};

/// What the receiver reads from an event body: its id (the dedupe key) and topic.
struct event_summary {
  std::string id;
  std::string topic;
};

/** Reads the id and topic of a webhook body: a Lucca event (`id`, `topic`) or a
    CloudEvents structured-mode envelope (`id`; topic from `data.topic`, else `type`).

    @returns nullopt unless the body is a JSON object with a non-empty string `id`;
    the topic is empty when absent.
*/
inline std::optional<event_summary> read_event(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  const auto id = j.find("id");
  if (id == j.end() || !id->is_string() || id->get_ref<const std::string&>().empty())
    return std::nullopt;
  event_summary e{id->get<std::string>(), {}};
  const auto string_at = [](const nlohmann::json& o, const char* key) -> const std::string* {
    const auto it = o.find(key);
    return it != o.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  const nlohmann::json* topic_holder = &j;
  if (j.contains("specversion")) {
    const auto data = j.find("data");
    topic_holder = data != j.end() && data->is_object() ? &*data : nullptr;
  }
  if (const auto* t = topic_holder ? string_at(*topic_holder, "topic") : nullptr) e.topic = *t;
  else if (const auto* type = string_at(j, "type"); type && j.contains("specversion")) e.topic = *type;
  return e;
}

/// How the receiver answers.
struct receiver_options {
  /// How far `Lucca-Timestamp` may be from the receiver's clock, either way.
  std::chrono::seconds tolerance = signing::default_tolerance;
  /// The status of the answer to a verified event (202). Another value, a 503 say,
  /// makes the sender retry; events answered with a non-2xx status are not remembered
  /// as seen, so the retries are verified again rather than noted as duplicates.
  int status = 202;
  /// How many event ids are remembered for deduplication; 0 turns it off.
  std::size_t remember = 1000;
};

/** A webhook receiver's logic, as an `api::request_handler`:

    - `GET <any path>?echo=<v>` (or `?challenge=<v>`): the activation challenge
      (SPEC.md Part 1 §8): 200 `text/plain` with the value, percent-decoded (`+` is
      kept), 400 without either parameter or with a broken escape.
    - `POST <any path>`: verifies `Lucca-Signature` over `Lucca-Timestamp + "." + body`
      with the endpoint secret and checks the timestamp against the tolerance
      (SPEC.md Part 2 §7.3), else 401 with a short reason (400 when the verified body
      has no event id); then dedupes by event id, and answers `options.status` (202),
      with `duplicate` as body for an id already accepted.
    - `HEAD` is answered as `GET` (the transport drops the body); anything else: 405.

    Each request is written as one line to the log stream, flushed at once: time,
    method, path, status, topic, event id, and `verified`, `duplicate` or `rejected`
    with the reason. Control characters from the request are shown as `?`.

    Copies share their state (secret, remembered ids, log), so a copy can be handed to
    a transport as its `api::request_handler`.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe (requests are handled one at a time).
    The log stream must outlive every copy.
*/
class receiver {
public:
  receiver(secret_source secret, receiver_options options, std::ostream& log,
           const webhookd::clock& clock = webhookd::default_clock())
      : state_(std::make_shared<state>(std::move(secret), options, log, clock)) {}

  /// Answers `req` through `sink`, inline.
  void operator()(api::request req, api::response_sink sink) const { sink(handle(req)); }

  /// The answer to `req` (and its log line).
  api::response handle(const api::request& req) const {
    const std::lock_guard lock(state_->mutex);
    outcome o;
    if (req.method == "GET" || req.method == "HEAD") o = challenge(req);
    else if (req.method == "POST") o = event(req);
    else {
      o = {reply(405, "only GET (activation challenge) and POST (events)\n"), "-", "-",
           "rejected: method not allowed"};
      o.answer.headers.set("Allow", "GET, HEAD, POST");
    }
    log(req, o);
    return std::move(o.answer);
  }

private:
  struct state {
    state(secret_source s, receiver_options o, std::ostream& l, const webhookd::clock& c)
        : secret(std::move(s)), options(o), log(l), clock(c), seen(o.remember) {}
    std::mutex mutex;
    secret_source secret;
    receiver_options options;
    std::ostream& log;
    const webhookd::clock& clock;
    recent_ids seen;
  };

  struct outcome {
    api::response answer;
    std::string topic;
    std::string id;
    std::string verdict;
  };

  static api::response reply(int status, std::string body) {
    api::response r;
    r.status = status;
    r.headers.set("Content-Type", "text/plain");
    r.body = std::move(body);
    return r;
  }

  // SPEC.md Part 1 §8: the value is the whole body, nothing added.
  static outcome challenge(const api::request& req) {
    const auto query = api::rest::query_parameters::parse(req.query());
    if (!query)
      return {reply(400, "bad percent-encoding in the query\n"), "-", "-",
              "rejected: bad percent-encoding in the query"};
    const std::string* value = query->find("echo");
    if (value == nullptr) value = query->find("challenge");
    if (value == nullptr)
      return {reply(400, "expected ?echo=<value> (the activation challenge)\n"), "-", "-",
              "rejected: GET without echo or challenge parameter"};
    return {reply(200, *value), "-", "-", "challenge answered"};
  }

  outcome event(const api::request& req) const {
    state& s = *state_;
    const signing::lucca_signer* signer = s.secret.current();
    if (s.secret.reloaded()) note_secret_change(signer != nullptr);

    // Read before verifying, for the log only: nothing is trusted until verified.
    const std::optional<event_summary> summary = read_event(req.body);
    outcome o{{}, summary && !summary->topic.empty() ? summary->topic : "-",
              summary ? summary->id : "-", {}};
    if (signer == nullptr) {
      o.answer = reply(401, "no secret configured\n");
      o.verdict = "rejected: no secret configured (use --secret or write the --secret-file)";
      return o;
    }
    signing::verification_failure why;
    const auto verified = signing::verify_lucca(
        *signer, req.headers.value_or(signing::lucca_timestamp_header),
        req.headers.value_or(signing::lucca_signature_header), req.body, s.clock.now(),
        s.options.tolerance, &why);
    if (!verified) {
      o.answer = reply(401, why.code.message() + "\n");
      o.verdict = "rejected: " + why.reason;
      return o;
    }
    if (!summary) {
      o.answer = reply(400, "the body is not a JSON event with a string id\n");
      o.verdict = "rejected: signature valid, but the body is not a JSON event with an id";
      return o;
    }
    const bool success = s.options.status >= 200 && s.options.status < 300;
    if (!success) {
      o.answer = reply(s.options.status, "not accepted (configured status)\n");
      o.verdict = "verified (answered " + std::to_string(s.options.status) + " as configured)";
      return o;
    }
    const bool fresh = s.seen.insert(summary->id);
    o.answer = reply(s.options.status, fresh ? "accepted\n" : "duplicate\n");
    o.verdict = fresh ? "verified" : "duplicate (signature valid; this id was already accepted)";
    return o;
  }

  void note_secret_change(bool present) const {
    state& s = *state_;
    write_line(webhookd::format_rfc3339(s.clock.now()) + "  secret " +
               (present ? "loaded from " : "gone: no usable secret in ") + s.secret.path().string());
  }

  void log(const api::request& req, const outcome& o) const {
    std::string line = webhookd::format_rfc3339(state_->clock.now());
    line += "  ";
    line += req.method;
    line += ' ';
    line += req.path();
    line += "  ";
    line += std::to_string(o.answer.status);
    line += "  topic=";
    line += o.topic;
    line += " id=";
    line += o.id;
    line += "  ";
    line += o.verdict;
    write_line(std::move(line));
  }

  // One line, flushed, with no control character a sender could use to forge lines.
  void write_line(std::string line) const {
    for (char& c : line)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    state_->log << line << std::endl;
  }

  std::shared_ptr<state> state_;
};

} // namespace example

#endif // WEBHOOKD_EXAMPLES_RECEIVER_HPP
