// SPDX-License-Identifier: MIT
// sqlite_store: the durable embedded delivery_store, one SQLite file, group commit.
#ifndef WEBHOOKD_STORE_SQLITE_STORE_HPP
#define WEBHOOKD_STORE_SQLITE_STORE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/attempt.hpp>
#include <webhookd/model/delivery.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/model/topic.hpp>
#include <webhookd/store/delivery_store.hpp>
#include <webhookd/store/detail/contract.hpp>
#include <webhookd/store/records.hpp>
#include <webhookd/store/sqlite/connection.hpp>
#include <webhookd/store/sqlite/error.hpp>
#include <webhookd/store/sqlite/group_commit.hpp>
#include <webhookd/store/sqlite/query.hpp>
#include <webhookd/store/sqlite/read_pool.hpp>
#include <webhookd/store/sqlite/rows.hpp>
#include <webhookd/store/sqlite/schema.hpp>
#include <webhookd/store/sqlite/statement.hpp>

#include <nlohmann/json.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace webhookd::store {

/** How a `sqlite_store` opens its database.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct sqlite_store_options {
  /// How long a connection waits for a lock held by another process (another
  /// webhookd sharing the file, a backup) before failing with `SQLITE_BUSY`.
  std::chrono::milliseconds busy_timeout{std::chrono::seconds{5}};
  /// Most write requests committed in one transaction. Bounds a batch's latency and
  /// the size of its WAL frames; larger batches make fewer fsyncs.
  std::size_t max_batch = 512;
  /// Read connections kept open for reuse (more are opened while reads overlap).
  std::size_t max_idle_readers = 4;
  /// Called by the writing thread just before each COMMIT, with the number of
  /// requests in the batch: instrumentation (batch-size histograms) and tests. It
  /// runs inside the transaction, so it must be quick and must not call the store.
  std::function<void(std::size_t)> before_commit;
  /// Who fsyncs a batch; a call returns only after it either way. By default SQLite,
  /// inside COMMIT (`synchronous=FULL`): readers (REST listings, other processes'
  /// claims) never see rows that are not yet durable. `after_commit` has the store's
  /// waking thread fdatasync the WAL after COMMIT while the next batch runs; readers
  /// may then see a batch a power cut could still take back, and on the 2-core
  /// machine it measured no faster (docs/performance.md), so it is opt-in (see
  /// `sqlite::commit_sync`).
  sqlite::commit_sync sync = sqlite::commit_sync::in_commit;
};

/** A `delivery_store` in one SQLite file: durable, embedded, the default store.

    Every requirement of `delivery_store` is met with the same semantics as
    `memory_store` (the conformance suite runs both), and what `enqueue`, `record`
    and `claim_due` return has been committed to disk.

    @par Durability
    The database runs in WAL mode and every transaction's WAL frames are fsynced
    before any of its calls returns, so a call that returned survives a crash of
    the process *and* of the machine (SPEC.md Part 1 §18: nothing accepted by
    `publish()` is ever lost). By default the store does that fsync itself, an
    fdatasync of the WAL file right after COMMIT on its waking thread, while the
    writer runs the next transaction (`synchronous=NORMAL` for SQLite's own syncs:
    checkpoints, WAL restarts); `sqlite_store_options::sync = in_commit` leaves it
    to SQLite inside COMMIT (`synchronous=FULL`). Plain `synchronous=NORMAL`, with
    nobody fsyncing commits, would lose the last ones on a power cut; that is not
    "durable when `publish` returns", so it is never used alone. The cost of the
    fsync (one per transaction) is what group commit amortises.

    @par Group commit
    All writes (`enqueue`, `record`, `claim_due`, endpoint changes, `release`,
    `purge`) go through one writer connection, used by the queue's own thread
    (`sqlite::group_commit`): concurrent callers' writes are batched into one
    `BEGIN IMMEDIATE ... COMMIT`, a failing request rolls back alone (its batch is
    run again with a savepoint per request), and each caller returns once the
    COMMIT that holds its write is durable. Under load a transaction holds every
    write that queued during the previous fsync, so durable throughput grows with
    concurrency instead of
    being capped at one fsync per delivery. `write_counters()` tells how many
    transactions served how many requests.

    @par Reads
    `get_*`, `list_*`, `count_*`, `stats`, `next_due_at` and `endpoints_for_topic`
    use separate read connections (`sqlite::read_pool`), each read in one
    transaction on a WAL snapshot: reads never wait for the writer, nor the writer
    for them, and a page or a `stats` is consistent within itself. A read sees every
    write whose call has returned.

    @par Recovery
    Leases are rows (`lease_owner`, `lease_until`): after a crash, the deliveries a
    previous run had claimed become claimable again when their leases expire
    (requirement 6), or at once when the new process `release`s its old owner name
    (requirement 7). Nothing else needs recovering: SQLite replays or discards the
    WAL on open.

    @par Schema
    Versioned by `PRAGMA user_version` (`sqlite::migrations`). Opening an older
    database migrates it in one transaction; a database newer than this code fails
    to open with `errc::schema_too_new` and is not written to; a file that is not an
    SQLite database fails with `SQLITE_NOTADB` (category `webhookd.sqlite`) and is
    not written to either. Several processes may open the same file (the writer
    lock is taken with `BEGIN IMMEDIATE` and waits `busy_timeout`), though one
    process per file gives the best batching.

    @par Example
    @code
    auto opened = webhookd::store::sqlite_store::open("/var/lib/app/webhooks.db");
    if (!opened) {
      std::cerr << opened.error().message() << '\n'; // e.g. errc::schema_too_new
      return 1;
    }
    webhookd::engine<webhookd::store::sqlite_store> engine(io.get_executor(), **opened);
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe. Calls block on disk I/O
    (`is_blocking`): the engine makes them from its worker pool.

    @see delivery_store, memory_store, sqlite::group_commit, sqlite::migrations
*/
class sqlite_store {
public:
  /// Calls wait for disk I/O (fsync): the engine calls them on a worker pool.
  static constexpr bool is_blocking = true;

  /** Opens (creating if needed) the database at `path`, migrating an older schema.

      @throws std::system_error with the code `open` would return (start-up
      misconfiguration); use `open` to get the code instead.
  */
  explicit sqlite_store(std::string path, sqlite_store_options options = {})
      : sqlite_store(private_tag{}, std::move(path), std::move(options)) {
    if (open_error_) throw std::system_error(open_error_, "sqlite_store: cannot open " + path_);
  }

  /** Opens the database at `path`; see the class notes.

      @returns the store, or `errc::schema_too_new`, or an SQLite error
      (`SQLITE_NOTADB` for a file that is not a database, `SQLITE_CANTOPEN`, ...).
  */
  static result<std::unique_ptr<sqlite_store>> open(std::string path,
                                                    sqlite_store_options options = {}) {
    std::unique_ptr<sqlite_store> s(
        new sqlite_store(private_tag{}, std::move(path), std::move(options)));
    if (s->open_error_) return unexpected(s->open_error_);
    return s;
  }

  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  /// The database file.
  const std::string& path() const noexcept { return path_; }

  /// How many transactions served how many write requests so far (group commit).
  sqlite::group_commit_counters write_counters() const noexcept { return writer_->counters(); }

  // --- endpoints (requirements 1-4) ---------------------------------------------------

  /// Stores a new endpoint with version 1. @returns it, or `store_errc::duplicate_id`.
  result<endpoint_record> create_endpoint(const endpoint_record& record);

  /// The endpoint with this id, or `errc::not_found`.
  result<endpoint_record> get_endpoint(std::string_view id) const;

  /// Replaces the writable fields, under the version check (see `delivery_store` 1-2).
  result<endpoint_record> update_endpoint(const model::webhook_endpoint& endpoint,
                                          std::uint64_t version, timestamp now);

  /// Makes `secret` current and keeps the old one until `previous_until`.
  result<endpoint_record> rotate_secret(std::string_view id, std::string_view secret,
                                        timestamp previous_until, timestamp now);

  /// Suspends the endpoint and holds its pending deliveries (a no-op if suspended).
  result<endpoint_record> suspend_endpoint(std::string_view id, timestamp now);

  /// Removes the endpoint; its undelivered deliveries become failed, leases dropped.
  result<void> delete_endpoint(std::string_view id, std::uint64_t version, timestamp now);

  /// The endpoints that are not inactive and subscribe to `topic`, in id order.
  result<std::vector<shared_endpoint_record>> endpoints_for_topic(std::string_view topic) const;

  /// One page of endpoints.
  result<page<endpoint_record>> list_endpoints(const endpoint_filter& filter,
                                               const page_request& request) const;

  /// How many endpoints pass `filter`.
  result<std::int64_t> count_endpoints(const endpoint_filter& filter) const;

  // --- enqueue (requirement 5) --------------------------------------------------------

  /// Stores an event and its deliveries, all or nothing, durably (see `delivery_store` 5).
  result<enqueue_result> enqueue(const enqueue_request& request, timestamp now);

  // --- claims (requirements 6-8) ------------------------------------------------------

  /// Leases up to `request.max` due deliveries (see `delivery_store` 6).
  result<std::vector<claimed_delivery>> claim_due(const claim_request& request);

  /// Drops every lease held by `owner`. @returns how many.
  result<std::size_t> release(std::string_view owner);

  /// A lower bound of the next time `claim_due` could return something.
  result<std::optional<timestamp>> next_due_at(timestamp now) const;

  // --- outcomes (requirement 9) -------------------------------------------------------

  /// Records attempts and their deliveries' new state (see `delivery_store` 9).
  result<std::vector<record_result>> record(std::span<const attempt_outcome> outcomes,
                                            timestamp now);

  /// `record(outcomes, now)`, then `claim_due(request)`, in one transaction: one
  /// commit instead of two for the engine's record-and-claim cycle (the optional
  /// member of `delivery_store`). The claim sees the leases the outcomes dropped.
  result<record_and_claim_result> record_then_claim(std::span<const attempt_outcome> outcomes,
                                                    const claim_request& request, timestamp now);

  // --- history (requirement 10) -------------------------------------------------------

  /// The event with this id, or `errc::not_found`.
  result<model::event> get_event(std::string_view id) const;
  /// The delivery with this id, or `errc::not_found`.
  result<model::webhook_delivery> get_delivery(std::string_view id) const;
  /// The attempt with this id, or `errc::not_found`.
  result<model::webhook_delivery_attempt> get_attempt(std::string_view id) const;

  /// One page of events.
  result<page<model::event>> list_events(const event_filter& filter,
                                         const page_request& request) const;
  /// One page of deliveries.
  result<page<model::webhook_delivery>> list_deliveries(const delivery_filter& filter,
                                                        const page_request& request) const;
  /// One page of attempts.
  result<page<model::webhook_delivery_attempt>> list_attempts(const attempt_filter& filter,
                                                              const page_request& request) const;

  /// How many events pass `filter`.
  result<std::int64_t> count_events(const event_filter& filter) const;
  /// How many deliveries pass `filter`.
  result<std::int64_t> count_deliveries(const delivery_filter& filter) const;
  /// How many attempts pass `filter`.
  result<std::int64_t> count_attempts(const attempt_filter& filter) const;

  // --- maintenance (requirement 11) ---------------------------------------------------

  /// Removes old finished deliveries with their attempts, then old events left bare.
  result<purge_report> purge(const purge_request& request);

  /// Queue depth and totals at `now`, from one snapshot.
  result<store_stats> stats(timestamp now) const;

private:
  struct private_tag {};

  // A listing's WHERE clause: conditions on columns, each list bound as a JSON array
  // so that the SQL text (and its cached statement) depends only on which filters
  // are set, not on how many values they hold.
  struct where_clause {
    std::string sql = "1";
    std::vector<std::string> params;

    template <class T, class ToJson>
    void add(std::string_view column, const value_filter<T>& f, ToJson to_json) {
      auto list = [&](const std::vector<T>& values) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& v : values) a.push_back(to_json(v));
        return a.dump();
      };
      if (!f.include.empty()) {
        sql.append(" AND ").append(column).append(" IN (SELECT value FROM json_each(?))");
        params.push_back(list(f.include));
      }
      if (!f.exclude.empty()) {
        sql.append(" AND ").append(column).append(" NOT IN (SELECT value FROM json_each(?))");
        params.push_back(list(f.exclude));
      }
    }
  };

  sqlite_store(private_tag, std::string path, sqlite_store_options options)
      : path_(std::move(path)), options_(std::move(options)) {
    open_error_ = open_database();
  }

  static unexpected<std::error_code> fail(std::error_code ec) { return unexpected(ec); }
  static unexpected<std::error_code> fail(errc e) { return unexpected(make_error_code(e)); }
  static unexpected<std::error_code> fail(store_errc e) { return unexpected(make_error_code(e)); }

  std::error_code open_database();

  // Runs `fn(connection&) -> result<T>` as one request of a group-commit batch.
  template <class Fn>
  auto write(Fn&& fn) -> std::invoke_result_t<Fn&, sqlite::connection&>;

  // Runs `fn(connection&) -> result<T>` in a read transaction on a pooled connection.
  template <class Fn>
  auto read(Fn&& fn) const -> std::invoke_result_t<Fn&, sqlite::connection&>;

  template <class T, class ReadRow>
  static result<page<T>> list_page(sqlite::connection& c, std::string_view table,
                                   std::string_view columns, const where_clause& where,
                                   const page_request& request, ReadRow read_row);
  static result<std::int64_t> count_rows(sqlite::connection& c, std::string_view table,
                                         const where_clause& where);

  static where_clause where_of(const endpoint_filter& f);
  static where_clause where_of(const event_filter& f);
  static where_clause where_of(const delivery_filter& f);
  static where_clause where_of(const attempt_filter& f);

  // Helpers that run inside a transaction (writer or reader).
  static result<std::optional<endpoint_record>> load_endpoint(sqlite::connection& c,
                                                              std::string_view id);
  static std::error_code save_endpoint(sqlite::connection& c, const endpoint_record& r);
  static std::error_code apply_status_change(sqlite::connection& c, std::string_view endpoint_id,
                                             model::endpoint_status from,
                                             model::endpoint_status to, timestamp now);
  static result<std::optional<model::webhook_delivery>> load_delivery(sqlite::connection& c,
                                                                      std::string_view id);
  static result<bool> exists(sqlite::connection& c, std::string_view sql, std::string_view id);
  // The endpoints one `record` call touches: each read once, its health updated in
  // memory outcome by outcome, and written once at the end (a batch of outcomes
  // mostly shares a few endpoints).
  struct endpoint_healths {
    struct entry {
      model::endpoint_status status;
      endpoint_health health;
      bool changed = false;
    };
    std::map<std::string, std::optional<entry>, std::less<>> loaded;

    // The endpoint's entry (null when there is no such endpoint).
    result<entry*> get(sqlite::connection& c, const std::string& id);
    std::error_code save(sqlite::connection& c);
  };
  result<std::vector<claimed_delivery>> claim_in(sqlite::connection& c,
                                                 const claim_request& request);
  static result<std::vector<std::string>> attempt_resources(
      std::span<const attempt_outcome> outcomes);
  result<std::vector<record_result>> record_in(sqlite::connection& c,
                                               std::span<const attempt_outcome> outcomes,
                                               const std::vector<std::string>& resources);
  static result<record_result> record_one(sqlite::connection& c, const attempt_outcome& o,
                                          const std::string& resource, endpoint_healths& healths);

  std::string path_;
  sqlite_store_options options_;
  std::error_code open_error_;
  std::unique_ptr<sqlite::group_commit> writer_;
  std::unique_ptr<sqlite::read_pool> readers_;
};

static_assert(delivery_store<sqlite_store>);

// --- opening ----------------------------------------------------------------------------

inline std::error_code sqlite_store::open_database() {
  auto c = sqlite::connection::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                    options_.busy_timeout);
  if (!c) return c.error();
  // The writer's statements allocate small buffers (records, cursors) by the dozen
  // per request; a larger lookaside serves them from the connection's own arena
  // instead of malloc. Only possible before the first statement; failing is harmless.
  (void)sqlite3_db_config(c->get(), SQLITE_DBCONFIG_LOOKASIDE, nullptr, 1200, 500);
  // Read the version before anything else: a file that is not a database, or one
  // from a newer webhookd, must be refused before a pragma writes to it (switching
  // to WAL rewrites the header).
  const auto found = sqlite::read_schema_version(*c);
  if (!found) return found.error();
  if (*found > sqlite::schema_version) return make_error_code(errc::schema_too_new);
  // WAL: readers work on snapshots beside the writer. FULL: fsync on every commit
  // (the migration's); group_commit lowers it to NORMAL when it fsyncs itself.
  // temp_store in memory: the statement journal (pages a statement may have to undo)
  // stays in memory instead of being written to a temporary file, page by page.
  if (const auto ec = c->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                              "PRAGMA foreign_keys = 1; PRAGMA temp_store = MEMORY"))
    return ec;
  auto mode = c->prepare("PRAGMA journal_mode");
  if (!mode) return mode.error();
  {
    sqlite::statement_use use(**mode);
    const auto r = use->step();
    if (r.error) return r.error;
    // A file system without shared memory cannot run WAL: refuse rather than run
    // with readers that block the writer.
    if (!r.row || use->text(0) != "wal") return sqlite::make_sqlite_error(SQLITE_CANTOPEN);
  }
  if (const auto migrated = sqlite::migrate(*c); !migrated) return migrated.error();
  try {
    writer_ = std::make_unique<sqlite::group_commit>(std::move(*c), options_.max_batch,
                                                     options_.before_commit, options_.sync);
  } catch (const std::system_error& e) {
    return e.code();
  }
  readers_ = std::make_unique<sqlite::read_pool>(path_, options_.busy_timeout,
                                                 options_.max_idle_readers);
  return {};
}

template <class Fn>
auto sqlite_store::write(Fn&& fn) -> std::invoke_result_t<Fn&, sqlite::connection&> {
  using result_type = std::invoke_result_t<Fn&, sqlite::connection&>;
  std::optional<result_type> out;
  const auto ec = writer_->submit([&](sqlite::connection& c) -> std::error_code {
    auto r = fn(c);
    if (!r) return r.error();
    out.emplace(std::move(r));
    return {};
  });
  if (ec) return fail(ec);
  return std::move(*out);
}

template <class Fn>
auto sqlite_store::read(Fn&& fn) const -> std::invoke_result_t<Fn&, sqlite::connection&> {
  auto lease = readers_->acquire();
  if (!lease) return fail(lease.error());
  sqlite::connection& c = **lease;
  // One read transaction: every statement of the call sees the same snapshot.
  if (const auto ec = sqlite::execute(c, "BEGIN")) return fail(ec);
  try {
    auto r = fn(c);
    if (const auto ec = sqlite::execute(c, "COMMIT"); ec && r) return fail(ec);
    return r;
  } catch (...) {
    return fail(sqlite::current_exception_error()); // the lease rolls back
  }
}

// --- endpoints ---------------------------------------------------------------------------

inline result<std::optional<endpoint_record>> sqlite_store::load_endpoint(sqlite::connection& c,
                                                                          std::string_view id) {
  std::optional<endpoint_record> out;
  const auto ec = sqlite::for_each_row(
      c,
      "SELECT id, status, version, secret, previous_secret, previous_secret_expires_at, "
      "consecutive_failed_deliveries, last_success_at, failing_since, resource "
      "FROM endpoints WHERE id = ?",
      [&](const sqlite::statement& s) { out = sqlite::read_endpoint(s); }, id);
  if (ec) return fail(ec);
  return out;
}

inline std::error_code sqlite_store::save_endpoint(sqlite::connection& c, const endpoint_record& r) {
  const auto& e = r.endpoint;
  return sqlite::execute(
      c,
      "INSERT OR REPLACE INTO endpoints (id, status, version, topics, secret, previous_secret, "
      "previous_secret_expires_at, consecutive_failed_deliveries, last_success_at, "
      "failing_since, resource) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      e.id, model::to_string(e.status), r.version, sqlite::endpoint_topics(e), e.secret,
      r.previous_secret, r.previous_secret_expires_at, r.health.consecutive_failed_deliveries,
      r.health.last_success_at, r.health.failing_since, sqlite::endpoint_resource(e));
}

// Holds or releases the pending deliveries of an endpoint whose status changed
// (`delivery_store` 2): leaving `active` clears their next attempt, returning to it
// schedules every held one at `now` (claims then take them in id order).
inline std::error_code sqlite_store::apply_status_change(sqlite::connection& c,
                                                         std::string_view endpoint_id,
                                                         model::endpoint_status from,
                                                         model::endpoint_status to,
                                                         timestamp now) {
  const bool was_active = from == model::endpoint_status::active;
  const bool is_active = to == model::endpoint_status::active;
  if (was_active == is_active) return {};
  if (is_active)
    return sqlite::execute(c,
                           "UPDATE deliveries SET next_attempt_at = ? WHERE endpoint_id = ? AND "
                           "status = 'undelivered' AND ignore_endpoint_status = 0 AND "
                           "next_attempt_at IS NULL",
                           now, endpoint_id);
  return sqlite::execute(c,
                         "UPDATE deliveries SET next_attempt_at = NULL WHERE endpoint_id = ? AND "
                         "status = 'undelivered' AND ignore_endpoint_status = 0",
                         endpoint_id);
}

inline result<endpoint_record> sqlite_store::create_endpoint(const endpoint_record& record) {
  if (record.endpoint.id.empty()) return fail(store_errc::invalid_request);
  return write([&](sqlite::connection& c) -> result<endpoint_record> {
    auto existing = load_endpoint(c, record.endpoint.id);
    if (!existing) return fail(existing.error());
    if (*existing) return fail(store_errc::duplicate_id);
    endpoint_record stored = record;
    stored.version = 1;
    if (const auto ec = save_endpoint(c, stored)) return fail(ec);
    return stored;
  });
}

inline result<endpoint_record> sqlite_store::get_endpoint(std::string_view id) const {
  return read([&](sqlite::connection& c) -> result<endpoint_record> {
    auto r = load_endpoint(c, id);
    if (!r) return fail(r.error());
    if (!*r) return fail(errc::not_found);
    return std::move(**r);
  });
}

inline result<endpoint_record> sqlite_store::update_endpoint(const model::webhook_endpoint& endpoint,
                                                             std::uint64_t version, timestamp now) {
  return write([&](sqlite::connection& c) -> result<endpoint_record> {
    auto loaded = load_endpoint(c, endpoint.id);
    if (!loaded) return fail(loaded.error());
    if (!*loaded) return fail(errc::not_found);
    endpoint_record& r = **loaded;
    if (version != any_version && version != r.version) return fail(store_errc::version_mismatch);
    const auto old_status = r.endpoint.status;
    // Keeps id, url, secret, created_at, links, embedded and health (memory_store's rule).
    model::webhook_endpoint& e = r.endpoint;
    detail::apply_endpoint_update(e, endpoint, now);
    ++r.version;
    if (const auto ec = save_endpoint(c, r)) return fail(ec);
    if (const auto ec = apply_status_change(c, e.id, old_status, e.status, now)) return fail(ec);
    return std::move(r);
  });
}

inline result<endpoint_record> sqlite_store::rotate_secret(std::string_view id,
                                                           std::string_view secret,
                                                           timestamp previous_until,
                                                           timestamp now) {
  if (secret.empty()) return fail(store_errc::invalid_request);
  return write([&](sqlite::connection& c) -> result<endpoint_record> {
    auto loaded = load_endpoint(c, id);
    if (!loaded) return fail(loaded.error());
    if (!*loaded) return fail(errc::not_found);
    endpoint_record& r = **loaded;
    r.previous_secret = std::move(r.endpoint.secret);
    r.previous_secret_expires_at = previous_until;
    r.endpoint.secret = std::string(secret);
    r.endpoint.last_updated_at = now;
    ++r.version;
    if (const auto ec = save_endpoint(c, r)) return fail(ec);
    return std::move(r);
  });
}

inline result<endpoint_record> sqlite_store::suspend_endpoint(std::string_view id, timestamp now) {
  return write([&](sqlite::connection& c) -> result<endpoint_record> {
    auto loaded = load_endpoint(c, id);
    if (!loaded) return fail(loaded.error());
    if (!*loaded) return fail(errc::not_found);
    endpoint_record& r = **loaded;
    if (r.endpoint.status == model::endpoint_status::suspended) return std::move(r);
    const auto old_status = r.endpoint.status;
    r.endpoint.status = model::endpoint_status::suspended;
    r.endpoint.last_updated_at = now;
    ++r.version;
    if (const auto ec = save_endpoint(c, r)) return fail(ec);
    if (const auto ec = apply_status_change(c, r.endpoint.id, old_status, r.endpoint.status, now))
      return fail(ec);
    return std::move(r);
  });
}

inline result<void> sqlite_store::delete_endpoint(std::string_view id, std::uint64_t version,
                                                  timestamp) {
  auto r = write([&](sqlite::connection& c) -> result<bool> {
    auto loaded = load_endpoint(c, id);
    if (!loaded) return fail(loaded.error());
    if (!*loaded) return fail(errc::not_found);
    if (version != any_version && version != (*loaded)->version)
      return fail(store_errc::version_mismatch);
    // Pending work fails; the lease goes, so an attempt in flight gets lease_lost.
    if (const auto ec = sqlite::execute(
            c,
            "UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, lease_owner = NULL, "
            "lease_until = NULL WHERE endpoint_id = ? AND status = 'undelivered'",
            id))
      return fail(ec);
    if (const auto ec = sqlite::execute(c, "DELETE FROM endpoints WHERE id = ?", id))
      return fail(ec);
    return true;
  });
  if (!r) return fail(r.error());
  return {};
}

inline result<std::vector<shared_endpoint_record>> sqlite_store::endpoints_for_topic(
    std::string_view topic) const {
  return read([&](sqlite::connection& c) -> result<std::vector<shared_endpoint_record>> {
    std::vector<shared_endpoint_record> out;
    // The topics column is matched first, so only subscribers' resources are parsed.
    const auto ec = sqlite::for_each_row(
        c,
        "SELECT topics, id, status, version, secret, previous_secret, "
        "previous_secret_expires_at, consecutive_failed_deliveries, last_success_at, "
        "failing_since, resource FROM endpoints WHERE status <> 'inactive' ORDER BY id",
        [&](sqlite::statement& s) {
          const auto topics = sqlite::detail::parse_json(s.text(0));
          const bool subscribed = std::any_of(topics.begin(), topics.end(), [&](const auto& p) {
            return p.is_string() &&
                   model::topic_matches(p.template get_ref<const std::string&>(), topic);
          });
          if (subscribed)
            out.push_back(std::make_shared<const endpoint_record>(sqlite::read_endpoint(s, 1)));
        });
    if (ec) return fail(ec);
    return out;
  });
}

inline result<page<endpoint_record>> sqlite_store::list_endpoints(const endpoint_filter& filter,
                                                                  const page_request& request) const {
  if (request.limit > max_page_limit) return fail(store_errc::invalid_request);
  const auto where = where_of(filter);
  return read([&](sqlite::connection& c) {
    return list_page<endpoint_record>(
        c, "endpoints", sqlite::endpoint_columns, where, request,
        [](const sqlite::statement& s) { return sqlite::read_endpoint(s); });
  });
}

inline result<std::int64_t> sqlite_store::count_endpoints(const endpoint_filter& filter) const {
  const auto where = where_of(filter);
  return read([&](sqlite::connection& c) { return count_rows(c, "endpoints", where); });
}

// --- enqueue -------------------------------------------------------------------------------

inline result<bool> sqlite_store::exists(sqlite::connection& c, std::string_view sql,
                                         std::string_view id) {
  bool found = false;
  if (const auto ec = sqlite::for_each_row(
          c, sql, [&](const sqlite::statement&) { found = true; }, id))
    return fail(ec);
  return found;
}

inline result<std::optional<model::webhook_delivery>> sqlite_store::load_delivery(
    sqlite::connection& c, std::string_view id) {
  std::optional<model::webhook_delivery> out;
  const auto ec = sqlite::for_each_row(
      c,
      "SELECT id, event_id, endpoint_id, status, attempts_count, next_attempt_at, extra "
      "FROM deliveries WHERE id = ?",
      [&](const sqlite::statement& s) { out = sqlite::read_delivery(s); }, id);
  if (ec) return fail(ec);
  return out;
}

inline result<enqueue_result> sqlite_store::enqueue(const enqueue_request& request, timestamp now) {
  if (request.idempotency_key && !request.event) return fail(store_errc::invalid_request);
  // Checks that need no database, done before queueing (the order of the errors is
  // memory_store's: per delivery, id, then event, then endpoint, then state).
  if (request.event && request.event->id.empty()) return fail(store_errc::invalid_request);

  // Everything that needs no database is done here, on the caller's thread: every
  // write waits for the one writer thread, so its share of a request is kept to
  // binding these bytes and stepping statements, and the result is built below,
  // after the write.
  const auto& deliveries = request.deliveries;
  const std::size_t n = deliveries.size();
  const std::string resource = request.event ? sqlite::event_resource(*request.event) : std::string{};
  std::vector<std::optional<std::string>> extras;
  extras.reserve(n);
  for (const auto& d : deliveries) extras.push_back(sqlite::delivery_extra(d));
  const std::string endpoint_ids =
      sqlite::json_string_array(deliveries, [](const model::webhook_delivery& d) -> const std::string& {
        return d.webhook_endpoint.id;
      });
  // Per delivery, what its checks found without the database, in memory_store's
  // order: 0 fine, else the first error.
  enum class early : unsigned char { fine, empty_id, repeated_id, foreign_event, bad_state };
  std::vector<early> checks(n, early::fine);
  {
    std::set<std::string_view> ids;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& d = deliveries[i];
      if (d.id.empty()) {
        checks[i] = early::empty_id;
      } else if (!ids.insert(d.id).second) {
        checks[i] = early::repeated_id;
      } else if (request.event && d.event.id != request.event->id) {
        checks[i] = early::foreign_event;
      } else if (d.status != model::delivery_status::undelivered || d.attempts_count != 0 ||
                 !d.next_attempt_at) {
        checks[i] = early::bad_state; // reported after the endpoint's check
      }
    }
  }
  // Written by the writer (each run overwrites them): each delivery's endpoint
  // (0 unknown, 1 active, 2 not active) and whether the delivery is held.
  std::vector<unsigned char> endpoint_state(n);
  std::vector<unsigned char> held(n);

  auto stored = write([&](sqlite::connection& c) -> result<enqueue_result> {
    // An idempotent replay: the first event and its deliveries, nothing stored.
    if (request.idempotency_key) {
      std::optional<std::string> event_id;
      if (const auto ec = sqlite::for_each_row(
              c, "SELECT event_id FROM idempotency_keys WHERE key = ? AND expires_at > ?",
              [&](const sqlite::statement& s) { event_id = s.string(0); }, *request.idempotency_key,
              now))
        return fail(ec);
      if (event_id) {
        enqueue_result out;
        out.replayed = true;
        if (const auto ec = sqlite::for_each_row(
                c, "SELECT resource FROM events WHERE id = ?",
                [&](const sqlite::statement& s) {
                  out.event = std::make_shared<const model::event>(sqlite::read_event(s.text(0)));
                },
                *event_id))
          return fail(ec);
        if (out.event) {
          if (const auto ec = sqlite::for_each_row(
                  c,
                  "SELECT id, event_id, endpoint_id, status, attempts_count, next_attempt_at, "
                  "extra FROM deliveries WHERE event_id = ? ORDER BY id",
                  [&](const sqlite::statement& s) {
                    out.deliveries.push_back(sqlite::read_delivery(s));
                  },
                  *event_id))
            return fail(ec);
          return out;
        }
      }
    }

    // Statements per event are what bounds this store when fsync is fast, so the
    // checks ride on the writes: the primary keys refuse a duplicate event or
    // delivery id, one query reads every endpoint's status, and any failure rolls
    // the request back (group_commit), leaving nothing of it stored. The errors keep
    // memory_store's order but for one case: the event's id, then per delivery its
    // event (checked before its insert, which the foreign key would refuse), id,
    // endpoint and state.
    const auto insert_failed = [](std::error_code ec) -> result<enqueue_result> {
      if (ec == sqlite::make_sqlite_error(SQLITE_CONSTRAINT_PRIMARYKEY))
        return fail(store_errc::duplicate_id);
      return fail(ec);
    };

    std::fill(endpoint_state.begin(), endpoint_state.end(), 0);
    if (n > 0) {
      if (const auto ec = sqlite::for_each_row(
              c,
              // json_each drives the join, so each id is one probe of the primary key
              // (an IN (SELECT ...) would first build a temporary table of the ids);
              // its key is the delivery's index.
              "SELECT j.key, e.status FROM json_each(?) AS j CROSS JOIN endpoints AS e "
              "ON e.id = j.value",
              [&](const sqlite::statement& s) {
                const auto i = static_cast<std::size_t>(s.int64(0));
                const bool active = sqlite::endpoint_status_of(s.text(1)) == model::endpoint_status::active;
                if (i < n) endpoint_state[i] = active ? 1 : 2;
              },
              endpoint_ids))
        return fail(ec);
    }

    if (request.event) {
      if (const auto ec = sqlite::execute(
              c, "INSERT INTO events (id, topic, created_at, resource) VALUES (?, ?, ?, ?)",
              request.event->id, request.event->topic, now, resource))
        return insert_failed(ec);
      if (request.idempotency_key) {
        if (const auto ec = sqlite::execute(
                c,
                "INSERT OR REPLACE INTO idempotency_keys (key, event_id, expires_at) "
                "VALUES (?, ?, ?)",
                *request.idempotency_key, request.event->id, now + request.idempotency_window))
          return fail(ec);
      }
    }

    std::set<std::string_view> known_events;
    const std::optional<timestamp> unscheduled;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& d = deliveries[i];
      if (checks[i] == early::empty_id) return fail(store_errc::invalid_request);
      if (checks[i] == early::repeated_id) return fail(store_errc::duplicate_id);
      if (checks[i] == early::foreign_event) return fail(store_errc::invalid_request);
      if (!request.event && !known_events.contains(d.event.id)) {
        auto ev = exists(c, "SELECT 1 FROM events WHERE id = ?", d.event.id);
        if (!ev) return fail(ev.error());
        if (!*ev) return fail(errc::not_found);
        known_events.insert(d.event.id);
      }
      const bool hold = !request.ignore_endpoint_status && endpoint_state[i] != 1;
      held[i] = hold ? 1 : 0;
      const std::optional<timestamp>& next_attempt_at = hold ? unscheduled : d.next_attempt_at;
      if (const auto ec = sqlite::execute(
              c,
              "INSERT INTO deliveries (id, event_id, endpoint_id, status, attempts_count, "
              "next_attempt_at, lease_owner, lease_until, ignore_endpoint_status, created_at, "
              "extra) VALUES (?, ?, ?, 'undelivered', 0, ?, NULL, NULL, ?, ?, ?)",
              d.id, d.event.id, d.webhook_endpoint.id, next_attempt_at,
              request.ignore_endpoint_status, now, extras[i]))
        return insert_failed(ec);
      if (endpoint_state[i] == 0) return fail(errc::not_found);
      if (checks[i] == early::bad_state) return fail(store_errc::invalid_request);
    }
    return enqueue_result{};
  });
  if (!stored || stored->replayed) return stored;
  enqueue_result out;
  if (request.event) out.event = std::make_shared<const model::event>(*request.event);
  if (!request.return_deliveries) return out;
  out.deliveries = deliveries;
  for (std::size_t i = 0; i < n; ++i)
    if (held[i]) out.deliveries[i].next_attempt_at.reset();
  return out;
}

// --- claims --------------------------------------------------------------------------------

inline result<std::vector<claimed_delivery>> sqlite_store::claim_due(const claim_request& request) {
  if (!request.valid())
    return fail(store_errc::invalid_request);
  if (request.max == 0) return std::vector<claimed_delivery>{};
  return write([&](sqlite::connection& c) { return claim_in(c, request); });
}

inline result<std::vector<claimed_delivery>> sqlite_store::claim_in(sqlite::connection& c,
                                                                    const claim_request& request) {
  const timestamp now = request.now;
  const lease granted{request.owner, now + request.lease_duration};
  const bool limited = request.fifo || request.max_in_flight_per_endpoint > 0;
  std::vector<model::webhook_delivery> picked;
  std::map<std::string, std::size_t, std::less<>> in_flight; // per endpoint, with this claim
  std::map<std::string, std::string, std::less<>> fifo_head; // per endpoint: oldest undelivered
  std::error_code inner;

  // The live leases of every endpoint, in one walk of the lease index (counted
  // here: a GROUP BY would lead SQLite to walk every pending delivery instead).
  if (limited) {
    if (const auto ec = sqlite::for_each_row(
            c,
            "SELECT endpoint_id FROM deliveries WHERE lease_owner IS NOT NULL AND "
            "lease_until > ?1 AND status = 'undelivered'",
            [&](const sqlite::statement& q) {
              const std::string_view endpoint_id = q.text(0);
              auto f = in_flight.find(endpoint_id);
              if (f == in_flight.end()) f = in_flight.emplace(std::string(endpoint_id), 0).first;
              ++f->second;
            },
            now))
      return fail(ec);
  }

  // Whether the limits let this claim take delivery `id` of `endpoint_id` (counted
  // if so). An endpoint found at its limit is added to `at_limit`. Sets `inner` when
  // a query fails.
  std::vector<std::string> at_limit;
  bool at_limit_grew = false;
  const auto is_full = [&](std::size_t in_flight_now) {
    return (request.fifo && in_flight_now > 0) ||
           (request.max_in_flight_per_endpoint > 0 &&
            in_flight_now >= request.max_in_flight_per_endpoint);
  };
  auto admit = [&](std::string_view id, std::string_view endpoint_id) -> bool {
    if (request.fifo) {
      auto h = fifo_head.find(endpoint_id);
      if (h == fifo_head.end()) {
        std::string head;
        inner = sqlite::for_each_row(
            c,
            "SELECT id FROM deliveries WHERE endpoint_id = ? AND status = 'undelivered' "
            "ORDER BY id LIMIT 1",
            [&](const sqlite::statement& q) { head = q.string(0); }, endpoint_id);
        if (inner) return false;
        h = fifo_head.emplace(std::string(endpoint_id), std::move(head)).first;
      }
      if (h->second != id) return false;
    }
    if (limited) {
      auto f = in_flight.find(endpoint_id);
      if (f == in_flight.end()) f = in_flight.emplace(std::string(endpoint_id), 0).first;
      if (is_full(f->second)) return false;
      if (is_full(++f->second)) {
        at_limit.push_back(f->first);
        at_limit_grew = true;
      }
    }
    return true;
  };
  for (const auto& [endpoint_id, n] : in_flight)
    if (is_full(n)) at_limit.push_back(endpoint_id);

  // Claimable deliveries come from two places, merged in due order
  // (next_attempt_at, id): those under no lease (deliveries_claimable, read in
  // order and lazily), and those whose lease has expired (deliveries_lease_expiry;
  // few: the leftovers of a crash or of an attempt that outlived its lease). Rows
  // under no lease are judged from the index alone (id, endpoint); only those taken
  // are read in full, after the walk.
  std::vector<model::webhook_delivery> expired;
  if (const auto ec = sqlite::for_each_row(
          c,
          "SELECT id, event_id, endpoint_id, status, attempts_count, next_attempt_at, extra "
          "FROM deliveries WHERE lease_owner IS NOT NULL AND lease_until <= ?1 AND "
          "next_attempt_at <= ?1 AND status = 'undelivered' ORDER BY next_attempt_at, id",
          [&](const sqlite::statement& s) { expired.push_back(sqlite::read_delivery(s)); }, now))
    return fail(ec);
  std::vector<std::string> taken_ids; // of rows under no lease, read in full below
  std::size_t taken = 0;
  std::size_t next_expired = 0;
  bool full = false; // `max` taken, or an inner query failed: stop
  auto take_expired = [&] {
    model::webhook_delivery& d = expired[next_expired++];
    if (admit(d.id, d.webhook_endpoint.id)) {
      picked.push_back(std::move(d));
      ++taken;
    }
    full = inner || taken >= request.max;
  };
  // The walk's position, for the next pass: (next_attempt_at, id) of its last row.
  std::int64_t after_at = std::numeric_limits<std::int64_t>::min();
  std::string after_id;
  std::size_t rows = 0; // of the current pass
  auto merge = [&](sqlite::statement& s) -> bool {
    ++rows;
    const std::string_view id = s.text(0);
    const timestamp due = s.time(2);
    after_at = s.int64(2);
    after_id.assign(id);
    // (due, id) order; spelled out because a tuple of a string and of a string_view
    // does not compare under every standard library's C++20 operator<=>.
    const auto expired_sorts_first = [&] {
      const auto& e = expired[next_expired];
      return *e.next_attempt_at < due ||
             (*e.next_attempt_at == due && std::string_view(e.id) < id);
    };
    while (!full && next_expired < expired.size() && expired_sorts_first()) take_expired();
    if (full) return false;
    if (admit(id, s.text(1))) {
      taken_ids.emplace_back(id);
      ++taken;
    }
    full = inner || taken >= request.max;
    return !full;
  };
  std::error_code ec;
  if (!limited) {
    // Every due row is taken: SQLite stops at `max`.
    ec = sqlite::for_each_row(
        c,
        "SELECT id, endpoint_id, next_attempt_at FROM deliveries "
        "WHERE next_attempt_at <= ?1 AND lease_owner IS NULL AND status = 'undelivered' "
        "ORDER BY next_attempt_at, id LIMIT ?2",
        merge, now, static_cast<std::int64_t>(request.max));
  } else {
    // With limits, the walk goes in passes of `max` rows that leave out the
    // endpoints at their limit (inside SQLite, on the covering index): a backlog
    // waiting behind a busy endpoint is stepped over there, never handed to this
    // loop. A pass that met an endpoint reaching its limit ends early and the next
    // one resumes after its last row without it.
    const auto limit = static_cast<std::int64_t>(request.max);
    // Whether an endpoint not at its limit has undelivered work at all: its
    // endpoint ids come from the pending index in id order (a skip scan, one probe
    // per endpoint, at most one more than are at their limit), so a pass that could
    // only walk the backlog of busy endpoints is not run.
    const auto others_have_work = [&]() -> result<bool> {
      bool found = false;
      const auto ec = sqlite::for_each_row(
          c,
          "WITH RECURSIVE e(id) AS ("
          "  SELECT (SELECT endpoint_id FROM deliveries WHERE status = 'undelivered' "
          "          ORDER BY endpoint_id LIMIT 1) "
          "  UNION ALL "
          "  SELECT (SELECT endpoint_id FROM deliveries WHERE status = 'undelivered' "
          "          AND endpoint_id > e.id ORDER BY endpoint_id LIMIT 1) "
          "  FROM e WHERE e.id IS NOT NULL) "
          "SELECT id FROM e WHERE id IS NOT NULL LIMIT ?1",
          [&](const sqlite::statement& q) {
            found = std::find(at_limit.begin(), at_limit.end(), q.text(0)) == at_limit.end();
            return !found;
          },
          static_cast<std::int64_t>(at_limit.size() + 1));
      if (ec) return unexpected(ec);
      return found;
    };
    for (;;) {
      if (!at_limit.empty()) {
        const auto more = others_have_work();
        if (!more) return fail(more.error());
        if (!*more) break;
      }
      at_limit_grew = false;
      rows = 0;
      const std::string excluded = nlohmann::json(at_limit).dump();
      ec = sqlite::for_each_row(
          c,
          "SELECT id, endpoint_id, next_attempt_at FROM deliveries "
          "WHERE next_attempt_at <= ?1 AND lease_owner IS NULL AND status = 'undelivered' "
          "AND (next_attempt_at, id) > (?2, ?3) "
          "AND endpoint_id NOT IN (SELECT value FROM json_each(?4)) "
          "ORDER BY next_attempt_at, id LIMIT ?5",
          [&](sqlite::statement& s) { return merge(s) && !at_limit_grew; }, now, after_at,
          after_id, excluded, limit);
      if (ec || full || (!at_limit_grew && rows < static_cast<std::size_t>(limit))) break;
    }
  }
  if (ec) return fail(ec);
  if (inner) return fail(inner);
  while (!full && next_expired < expired.size()) take_expired();
  if (inner) return fail(inner);
  for (const std::string& id : taken_ids) {
    if (const auto e = sqlite::for_each_row(
            c,
            "SELECT id, event_id, endpoint_id, status, attempts_count, next_attempt_at, extra "
            "FROM deliveries WHERE id = ?",
            [&](const sqlite::statement& s) { picked.push_back(sqlite::read_delivery(s)); }, id))
      return fail(e);
  }
  // Back in due order: the expired ones were merged in, the others appended.
  std::sort(picked.begin(), picked.end(), [](const model::webhook_delivery& a,
                                             const model::webhook_delivery& b) {
    return std::tie(*a.next_attempt_at, a.id) < std::tie(*b.next_attempt_at, b.id);
  });
  if (inner) return fail(inner);

  std::vector<claimed_delivery> out;
  out.reserve(picked.size());
  std::map<std::string, std::shared_ptr<const endpoint_record>, std::less<>> endpoints;
  std::map<std::string, std::shared_ptr<const model::event>, std::less<>> events;
  for (auto& d : picked) {
    if (const auto e = sqlite::execute(
            c, "UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?",
            granted.owner, granted.until, d.id))
      return fail(e);
    auto ep = endpoints.find(d.webhook_endpoint.id);
    if (ep == endpoints.end()) {
      auto loaded = load_endpoint(c, d.webhook_endpoint.id);
      if (!loaded) return fail(loaded.error());
      // A due delivery always has its endpoint (deleting one fails its pending work).
      if (!*loaded) return fail(sqlite::make_sqlite_error(SQLITE_CORRUPT));
      ep = endpoints
               .emplace(d.webhook_endpoint.id,
                        std::make_shared<const endpoint_record>(std::move(**loaded)))
               .first;
    }
    auto ev = events.find(d.event.id);
    if (ev == events.end()) {
      std::shared_ptr<const model::event> event;
      if (const auto e = sqlite::for_each_row(
              c, "SELECT resource FROM events WHERE id = ?",
              [&](const sqlite::statement& s) {
                event = std::make_shared<const model::event>(sqlite::read_event(s.text(0)));
              },
              d.event.id))
        return fail(e);
      if (!event) return fail(sqlite::make_sqlite_error(SQLITE_CORRUPT));
      ev = events.emplace(d.event.id, std::move(event)).first;
    }
    out.push_back(claimed_delivery{std::move(d), ep->second, ev->second, granted});
  }
  return out;
}

inline result<std::size_t> sqlite_store::release(std::string_view owner) {
  return write([&](sqlite::connection& c) -> result<std::size_t> {
    if (const auto ec = sqlite::execute(
            c, "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
            owner))
      return fail(ec);
    return static_cast<std::size_t>(c.changes());
  });
}

inline result<std::optional<timestamp>> sqlite_store::next_due_at(timestamp now) const {
  return read([&](sqlite::connection& c) -> result<std::optional<timestamp>> {
    std::optional<timestamp> best;
    auto consider = [&](const sqlite::statement& s) {
      if (s.is_null(0)) return;
      const timestamp t = s.time(0);
      if (!best || t < *best) best = t;
    };
    // The first scheduled delivery under no lease (the claimable index, in order) ...
    if (const auto ec = sqlite::for_each_row(
            c,
            "SELECT next_attempt_at FROM deliveries WHERE next_attempt_at IS NOT NULL AND "
            "lease_owner IS NULL ORDER BY next_attempt_at, id LIMIT 1",
            consider))
      return fail(ec);
    // ... and the leased ones (few: the work in flight): due when the lease ends, or
    // now if it has ended.
    if (const auto ec = sqlite::for_each_row(
            c,
            "SELECT min(CASE WHEN lease_until > ?1 THEN max(next_attempt_at, lease_until) "
            "ELSE next_attempt_at END) FROM deliveries "
            "WHERE lease_owner IS NOT NULL AND next_attempt_at IS NOT NULL",
            consider, now))
      return fail(ec);
    return best;
  });
}

// --- outcomes ------------------------------------------------------------------------------

inline result<sqlite_store::endpoint_healths::entry*> sqlite_store::endpoint_healths::get(
    sqlite::connection& c, const std::string& id) {
  auto it = loaded.find(id);
  if (it == loaded.end()) {
    std::optional<entry> e;
    if (const auto ec = sqlite::for_each_row(
            c,
            "SELECT status, consecutive_failed_deliveries, last_success_at, failing_since "
            "FROM endpoints WHERE id = ?",
            [&](const sqlite::statement& s) {
              e = entry{sqlite::endpoint_status_of(s.text(0)),
                        endpoint_health{s.int32(1), s.optional_time(2), s.optional_time(3)}};
            },
            id))
      return fail(ec);
    it = loaded.emplace(id, e).first;
  }
  return it->second ? &*it->second : nullptr;
}

inline std::error_code sqlite_store::endpoint_healths::save(sqlite::connection& c) {
  for (const auto& [id, e] : loaded) {
    if (!e || !e->changed) continue;
    const endpoint_health& h = e->health;
    if (const auto ec = sqlite::execute(
            c,
            "UPDATE endpoints SET consecutive_failed_deliveries = ?, last_success_at = ?, "
            "failing_since = ? WHERE id = ?",
            h.consecutive_failed_deliveries, h.last_success_at, h.failing_since, id))
      return ec;
  }
  return {};
}

// `resource` is the attempt's JSON, encoded by the caller outside the writer.
inline result<record_result> sqlite_store::record_one(sqlite::connection& c,
                                                      const attempt_outcome& o,
                                                      const std::string& resource,
                                                      endpoint_healths& healths) {
  record_result r;
  const std::string& delivery_id = o.attempt.webhook_delivery.id;
  if (o.attempt.id.empty()) {
    r.error = make_error_code(store_errc::invalid_request);
    return r;
  }
  struct row {
    model::webhook_delivery delivery;
    std::optional<std::string> lease_owner;
    std::optional<timestamp> lease_until;
    bool ignore_endpoint_status = false;
  };
  std::optional<row> d;
  if (const auto ec = sqlite::for_each_row(
          c,
          "SELECT id, event_id, endpoint_id, status, attempts_count, next_attempt_at, extra, "
          "lease_owner, lease_until, ignore_endpoint_status FROM deliveries WHERE id = ?",
          [&](const sqlite::statement& s) {
            d = row{sqlite::read_delivery(s), s.optional_string(7), s.optional_time(8), s.boolean(9)};
          },
          delivery_id))
    return fail(ec);

  auto seen = exists(c, "SELECT 1 FROM attempts WHERE id = ?", o.attempt.id);
  if (!seen) return fail(seen.error());
  if (*seen) {
    r.already_recorded = true;
    if (d) {
      auto e = healths.get(c, d->delivery.webhook_endpoint.id);
      if (!e) return fail(e.error());
      if (*e) r.health = (*e)->health;
      r.delivery = state_of(d->delivery);
    }
    return r;
  }
  if (!d) {
    r.error = make_error_code(errc::not_found);
    return r;
  }
  if (!d->lease_owner || *d->lease_owner != o.lease.owner || d->lease_until != o.lease.until) {
    r.error = make_error_code(errc::lease_lost);
    return r;
  }

  if (const auto ec = sqlite::execute(
          c,
          "INSERT INTO attempts (id, delivery_id, is_successful, created_at, resource) "
          "VALUES (?, ?, ?, ?, ?)",
          o.attempt.id, delivery_id, o.attempt.is_successful, o.attempt.created_at, resource))
    return fail(ec);

  model::webhook_delivery& delivery = d->delivery;
  const std::string& endpoint_id = delivery.webhook_endpoint.id;
  auto e = healths.get(c, endpoint_id);
  if (!e) return fail(e.error());
  delivery.attempts_count += 1;
  delivery.status = o.status;
  delivery.next_attempt_at.reset();
  if (o.status == model::delivery_status::undelivered) {
    // Held instead of scheduled while the endpoint is not active (requirement 2).
    const bool hold = !d->ignore_endpoint_status &&
                      (!*e || (*e)->status != model::endpoint_status::active);
    if (o.next_attempt_at && !hold) delivery.next_attempt_at = o.next_attempt_at;
  }
  if (const auto ec = sqlite::execute(
          c,
          "UPDATE deliveries SET status = ?, attempts_count = ?, next_attempt_at = ?, "
          "lease_owner = NULL, lease_until = NULL WHERE id = ?",
          model::to_string(delivery.status), delivery.attempts_count, delivery.next_attempt_at,
          delivery.id))
    return fail(ec);

  if (*e) {
    detail::apply_outcome_to_health((*e)->health, o);
    (*e)->changed = true;
    r.health = (*e)->health;
  }
  r.delivery = state_of(delivery);
  return r;
}

inline result<std::vector<record_result>> sqlite_store::record(
    std::span<const attempt_outcome> outcomes, timestamp /*now*/) {
  if (outcomes.empty()) return std::vector<record_result>{};
  auto resources = attempt_resources(outcomes);
  if (!resources) return fail(resources.error());
  return write([&](sqlite::connection& c) { return record_in(c, outcomes, *resources); });
}

// Encoded on the caller's thread, so that the writer only binds them.
inline result<std::vector<std::string>> sqlite_store::attempt_resources(
    std::span<const attempt_outcome> outcomes) {
  std::vector<std::string> resources;
  resources.reserve(outcomes.size());
  try {
    for (const auto& o : outcomes) resources.push_back(sqlite::attempt_resource(o.attempt));
  } catch (...) {
    return fail(sqlite::current_exception_error()); // as if thrown by the write
  }
  return resources;
}

inline result<std::vector<record_result>> sqlite_store::record_in(
    sqlite::connection& c, std::span<const attempt_outcome> outcomes,
    const std::vector<std::string>& resources) {
  std::vector<record_result> out;
  out.reserve(outcomes.size());
  endpoint_healths healths; // afresh in every run of the request
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    auto r = record_one(c, outcomes[i], resources[i], healths);
    if (!r) return fail(r.error());
    out.push_back(std::move(*r));
  }
  if (const auto ec = healths.save(c)) return fail(ec);
  return out;
}

inline result<record_and_claim_result> sqlite_store::record_then_claim(
    std::span<const attempt_outcome> outcomes, const claim_request& request,
    timestamp /*now*/) {
  if (!request.valid()) return fail(store_errc::invalid_request);
  auto resources = attempt_resources(outcomes);
  if (!resources) return fail(resources.error());
  // One request of the writer, so one transaction: the claim sees the leases the
  // outcomes just dropped, and the pair costs one commit instead of two.
  return write([&](sqlite::connection& c) -> result<record_and_claim_result> {
    auto recorded = record_in(c, outcomes, *resources);
    if (!recorded) return fail(recorded.error());
    record_and_claim_result out;
    out.recorded = std::move(*recorded);
    if (request.max > 0) {
      auto claimed = claim_in(c, request);
      if (!claimed) return fail(claimed.error());
      out.claimed = std::move(*claimed);
    }
    return out;
  });
}

// --- history -------------------------------------------------------------------------------

inline result<model::event> sqlite_store::get_event(std::string_view id) const {
  return read([&](sqlite::connection& c) -> result<model::event> {
    std::optional<model::event> out;
    if (const auto ec = sqlite::for_each_row(
            c, "SELECT resource FROM events WHERE id = ?",
            [&](const sqlite::statement& s) { out = sqlite::read_event(s.text(0)); }, id))
      return fail(ec);
    if (!out) return fail(errc::not_found);
    return std::move(*out);
  });
}

inline result<model::webhook_delivery> sqlite_store::get_delivery(std::string_view id) const {
  return read([&](sqlite::connection& c) -> result<model::webhook_delivery> {
    auto d = load_delivery(c, id);
    if (!d) return fail(d.error());
    if (!*d) return fail(errc::not_found);
    return std::move(**d);
  });
}

inline result<model::webhook_delivery_attempt> sqlite_store::get_attempt(std::string_view id) const {
  return read([&](sqlite::connection& c) -> result<model::webhook_delivery_attempt> {
    std::optional<model::webhook_delivery_attempt> out;
    if (const auto ec = sqlite::for_each_row(
            c, "SELECT resource FROM attempts WHERE id = ?",
            [&](const sqlite::statement& s) { out = sqlite::read_attempt(s.text(0)); }, id))
      return fail(ec);
    if (!out) return fail(errc::not_found);
    return std::move(*out);
  });
}

inline sqlite_store::where_clause sqlite_store::where_of(const endpoint_filter& f) {
  where_clause w;
  w.add("status", f.status, [](model::endpoint_status s) { return std::string(model::to_string(s)); });
  return w;
}

inline sqlite_store::where_clause sqlite_store::where_of(const event_filter& f) {
  where_clause w;
  w.add("topic", f.topic, [](const std::string& s) { return s; });
  return w;
}

inline sqlite_store::where_clause sqlite_store::where_of(const delivery_filter& f) {
  where_clause w;
  w.add("endpoint_id", f.endpoint_id, [](const std::string& s) { return s; });
  w.add("event_id", f.event_id, [](const std::string& s) { return s; });
  w.add("status", f.status, [](model::delivery_status s) { return std::string(model::to_string(s)); });
  return w;
}

inline sqlite_store::where_clause sqlite_store::where_of(const attempt_filter& f) {
  where_clause w;
  w.add("delivery_id", f.delivery_id, [](const std::string& s) { return s; });
  w.add("is_successful", f.is_successful, [](bool b) { return b ? 1 : 0; });
  return w;
}

// A page per `delivery_store` 10: ascending ids, from the cursor's key exclusive
// (backward pages are read descending and reversed), then one probe on each side
// for `prev` / `next`. Column 0 of `columns` is the id.
template <class T, class ReadRow>
result<page<T>> sqlite_store::list_page(sqlite::connection& c, std::string_view table,
                                        std::string_view columns, const where_clause& where,
                                        const page_request& request, ReadRow read_row) {
  page<T> out;
  if (request.limit == 0) return out;
  const bool backward = request.cursor && request.cursor->direction == page_direction::backward;
  std::string sql;
  sql.append("SELECT ").append(columns).append(" FROM ").append(table).append(" WHERE ");
  sql.append(where.sql);
  if (request.cursor) sql.append(backward ? " AND id < ?" : " AND id > ?");
  sql.append(backward ? " ORDER BY id DESC LIMIT ?" : " ORDER BY id LIMIT ?");

  auto s = c.prepare(sql);
  if (!s) return fail(s.error());
  std::vector<std::string> ids;
  {
    sqlite::statement_use use(**s);
    int i = 0;
    for (const auto& p : where.params) use->bind(++i, p);
    if (request.cursor) use->bind(++i, request.cursor->key);
    use->bind(++i, static_cast<std::int64_t>(request.limit));
    for (;;) {
      const auto r = use->step();
      if (r.error) return fail(r.error);
      if (!r.row) break;
      ids.push_back(use->string(0));
      out.items.push_back(read_row(*use));
    }
  }
  if (out.items.empty()) return out;
  if (backward) {
    std::reverse(out.items.begin(), out.items.end());
    std::reverse(ids.begin(), ids.end());
  }

  auto any_beyond = [&](bool before, const std::string& key) -> result<bool> {
    std::string probe;
    probe.append("SELECT 1 FROM ").append(table).append(" WHERE ").append(where.sql);
    probe.append(before ? " AND id < ? LIMIT 1" : " AND id > ? LIMIT 1");
    auto q = c.prepare(probe);
    if (!q) return fail(q.error());
    sqlite::statement_use use(**q);
    int i = 0;
    for (const auto& p : where.params) use->bind(++i, p);
    use->bind(++i, key);
    const auto r = use->step();
    if (r.error) return fail(r.error);
    return r.row;
  };
  auto has_prev = any_beyond(true, ids.front());
  if (!has_prev) return fail(has_prev.error());
  if (*has_prev) out.prev = cursor{ids.front(), page_direction::backward};
  auto has_next = any_beyond(false, ids.back());
  if (!has_next) return fail(has_next.error());
  if (*has_next) out.next = cursor{ids.back(), page_direction::forward};
  return out;
}

inline result<std::int64_t> sqlite_store::count_rows(sqlite::connection& c, std::string_view table,
                                                     const where_clause& where) {
  std::string sql;
  sql.append("SELECT count(*) FROM ").append(table).append(" WHERE ").append(where.sql);
  auto s = c.prepare(sql);
  if (!s) return fail(s.error());
  sqlite::statement_use use(**s);
  int i = 0;
  for (const auto& p : where.params) use->bind(++i, p);
  const auto r = use->step();
  if (r.error) return fail(r.error);
  return r.row ? use->int64(0) : 0;
}

inline result<page<model::event>> sqlite_store::list_events(const event_filter& filter,
                                                            const page_request& request) const {
  if (request.limit > max_page_limit) return fail(store_errc::invalid_request);
  const auto where = where_of(filter);
  return read([&](sqlite::connection& c) {
    return list_page<model::event>(
        c, "events", "id, resource", where, request,
        [](const sqlite::statement& s) { return sqlite::read_event(s.text(1)); });
  });
}

inline result<page<model::webhook_delivery>> sqlite_store::list_deliveries(
    const delivery_filter& filter, const page_request& request) const {
  if (request.limit > max_page_limit) return fail(store_errc::invalid_request);
  const auto where = where_of(filter);
  return read([&](sqlite::connection& c) {
    return list_page<model::webhook_delivery>(
        c, "deliveries", sqlite::delivery_columns, where, request,
        [](const sqlite::statement& s) { return sqlite::read_delivery(s); });
  });
}

inline result<page<model::webhook_delivery_attempt>> sqlite_store::list_attempts(
    const attempt_filter& filter, const page_request& request) const {
  if (request.limit > max_page_limit) return fail(store_errc::invalid_request);
  const auto where = where_of(filter);
  return read([&](sqlite::connection& c) {
    return list_page<model::webhook_delivery_attempt>(
        c, "attempts", "id, resource", where, request,
        [](const sqlite::statement& s) { return sqlite::read_attempt(s.text(1)); });
  });
}

inline result<std::int64_t> sqlite_store::count_events(const event_filter& filter) const {
  const auto where = where_of(filter);
  return read([&](sqlite::connection& c) { return count_rows(c, "events", where); });
}

inline result<std::int64_t> sqlite_store::count_deliveries(const delivery_filter& filter) const {
  const auto where = where_of(filter);
  return read([&](sqlite::connection& c) { return count_rows(c, "deliveries", where); });
}

inline result<std::int64_t> sqlite_store::count_attempts(const attempt_filter& filter) const {
  const auto where = where_of(filter);
  return read([&](sqlite::connection& c) { return count_rows(c, "attempts", where); });
}

// --- maintenance ---------------------------------------------------------------------------

inline result<purge_report> sqlite_store::purge(const purge_request& request) {
  return write([&](sqlite::connection& c) -> result<purge_report> {
    purge_report report;
    const timestamp cutoff = request.older_than;
    const bool pending = request.include_pending;
    if (const auto ec = sqlite::execute(
            c,
            "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE "
            "created_at < ?1 AND (status <> 'undelivered' OR ?2))",
            cutoff, pending))
      return fail(ec);
    report.attempts = c.changes();
    if (const auto ec = sqlite::execute(
            c, "DELETE FROM deliveries WHERE created_at < ?1 AND (status <> 'undelivered' OR ?2)",
            cutoff, pending))
      return fail(ec);
    report.deliveries = c.changes();
    // Their idempotency keys go with them (ON DELETE CASCADE).
    if (const auto ec = sqlite::execute(
            c,
            "DELETE FROM events WHERE created_at < ?1 AND NOT EXISTS "
            "(SELECT 1 FROM deliveries WHERE deliveries.event_id = events.id)",
            cutoff))
      return fail(ec);
    report.events = c.changes();
    return report;
  });
}

inline result<store_stats> sqlite_store::stats(timestamp now) const {
  return read([&](sqlite::connection& c) -> result<store_stats> {
    store_stats s;
    if (const auto ec = sqlite::for_each_row(
            c,
            "SELECT "
            "coalesce(sum(status = 'delivered'), 0), "
            "coalesce(sum(status = 'failed'), 0), "
            "coalesce(sum(status = 'undelivered' AND lease_until > ?1), 0), "
            "coalesce(sum(status = 'undelivered' AND next_attempt_at IS NOT NULL), 0), "
            "coalesce(sum(status = 'undelivered' AND next_attempt_at IS NULL), 0), "
            "coalesce(sum(status = 'undelivered' AND next_attempt_at <= ?1 AND "
            "             (lease_until IS NULL OR lease_until <= ?1)), 0) "
            "FROM deliveries",
            [&](const sqlite::statement& q) {
              s.delivered = q.int64(0);
              s.failed = q.int64(1);
              s.in_flight = q.int64(2);
              s.scheduled = q.int64(3);
              s.held = q.int64(4);
              s.due = q.int64(5);
            },
            now))
      return fail(ec);
    const std::pair<const char*, std::int64_t*> totals[] = {
        {"SELECT count(*) FROM events", &s.events},
        {"SELECT count(*) FROM attempts", &s.attempts},
        {"SELECT count(*) FROM endpoints", &s.endpoints}};
    for (const auto& [sql, into] : totals) {
      auto n = c.query_int(sql);
      if (!n) return fail(n.error());
      *into = *n;
    }
    return s;
  });
}

} // namespace webhookd::store

#endif // WEBHOOKD_STORE_SQLITE_STORE_HPP
