// SPDX-License-Identifier: MIT
// A small pool of libpq connections that runs transactions and survives lost connections.
#ifndef WEBHOOKD_STORE_POSTGRES_POOL_HPP
#define WEBHOOKD_STORE_POSTGRES_POOL_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/store/postgres/connection.hpp>
#include <webhookd/store/postgres/error.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace webhookd::store::postgres {

/// When `pool::run` may run a transaction again after its connection broke.
enum class retry_mode {
  /// Only when the break came before COMMIT was sent: the transaction surely rolled
  /// back. For calls that are not idempotent (a version check, a new id).
  before_commit,
  /// Also when COMMIT was sent but no answer came (it may have committed): for calls
  /// that give the same result when run twice (record by attempt id, enqueue by ids,
  /// reads, releases).
  idempotent,
};

/// What a transaction body is told about earlier tries of the same call.
struct attempt_context {
  /// A previous try sent COMMIT and lost the connection before the answer: its work
  /// may be in the database already.
  bool maybe_committed = false;
};

/** A fixed-size pool of connections to one database, and the transaction runner.

    `run` takes a connection (waiting while all are busy), opens a transaction, runs
    the body, commits, and gives the connection back. When the connection turns out to
    be broken — the server restarted, a network blip, `pg_terminate_backend` — it is
    reset (`PQreset`) and the whole transaction runs again, if the retry mode allows it
    (see `retry_mode`). Deadlocks and serialization failures, which PostgreSQL resolves
    by aborting one transaction, are retried the same way. Connections are made
    lazily, up to `size`; a broken idle connection is reset when next taken.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe.
*/
class pool {
public:
  /// How many times `run` tries one call before giving up with the last error.
  static constexpr int max_tries = 5;

  /// A pool of at most `size` (at least 1) connections made from `conninfo`.
  pool(std::string conninfo, std::size_t size)
      : conninfo_(std::move(conninfo)), size_(size == 0 ? 1 : size) {}

  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /** Runs `body(connection&, const attempt_context&) -> result<T>` in a transaction.

      `begin` opens it (`"BEGIN"`, `"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"`,
      ...); an empty `begin` runs the body in autocommit mode (one statement). A body
      that returns an error is rolled back and its error returned, unless the error is a
      lost connection, a deadlock or a serialization failure: then it runs again.
      @returns the body's result, or the last error after `max_tries`.
  */
  template <class Body>
  auto run(std::string_view begin, retry_mode mode, Body&& body)
      -> std::invoke_result_t<Body&, connection&, const attempt_context&> {
    using result_type = std::invoke_result_t<Body&, connection&, const attempt_context&>;
    std::error_code last = sqlstate_code(sqlstate::connection_failure);
    attempt_context context;
    for (int attempt = 0; attempt < max_tries; ++attempt) {
      // A short pause before reconnecting: a server that is restarting needs a moment.
      if (attempt > 0 && is_connection_error(last))
        std::this_thread::sleep_for(std::chrono::milliseconds{20 * attempt});
      handle h = acquire();
      connection& c = *h;
      if (!c.ok() && !c.reset()) {
        last = sqlstate_code(sqlstate::connection_failure);
        continue;
      }
      if (!begin.empty()) {
        if (auto b = c.exec_simple(std::string(begin)); !b) {
          last = b.error();
          if (retryable(last)) continue;
          return result_type(unexpected(last));
        }
      }
      result_type r = body(c, std::as_const(context));
      if (!r) {
        if (c.ok() && c.in_transaction()) (void)c.exec_simple("ROLLBACK");
        last = r.error();
        // Without BEGIN the statement commits by itself: unanswered, it may have.
        if (begin.empty() && is_connection_error(last)) {
          if (mode == retry_mode::before_commit) return r;
          context.maybe_committed = true;
        }
        if (retryable(last)) continue;
        return r;
      }
      if (!begin.empty()) {
        if (auto committed = c.exec_simple("COMMIT"); !committed) {
          last = committed.error();
          if (is_connection_error(last)) {
            if (mode == retry_mode::before_commit) return result_type(unexpected(last));
            context.maybe_committed = true;
            continue;
          }
          if (retryable(last)) continue;
          return result_type(unexpected(last));
        }
      }
      return r;
    }
    return result_type(unexpected(last));
  }

  /// The server process ids of the connections open and idle now (for tests that
  /// terminate them).
  std::vector<int> idle_backend_pids() const {
    std::lock_guard lock(mutex_);
    std::vector<int> out;
    for (const auto& c : idle_)
      if (c->ok()) out.push_back(c->backend_pid());
    return out;
  }

private:
  // A connection taken from the pool; gives it back when destroyed.
  class handle {
  public:
    handle(pool& p, std::unique_ptr<connection> c) : pool_(&p), c_(std::move(c)) {}
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;
    ~handle() { pool_->give_back(std::move(c_)); }
    connection& operator*() const noexcept { return *c_; }

  private:
    pool* pool_;
    std::unique_ptr<connection> c_;
  };

  static bool retryable(const std::error_code& ec) noexcept {
    return is_connection_error(ec) || is_sqlstate(ec, sqlstate::deadlock_detected) ||
           is_sqlstate(ec, sqlstate::serialization_failure);
  }

  handle acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return handle(*this, std::move(c));
    }
    ++open_;
    lock.unlock();
    // Connecting blocks on the network: never under the lock.
    return handle(*this, std::make_unique<connection>(conninfo_));
  }

  void give_back(std::unique_ptr<connection> c) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(c));
    }
    available_.notify_one();
  }

  std::string conninfo_;
  std::size_t size_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::size_t open_ = 0;
};

} // namespace webhookd::store::postgres

#endif // WEBHOOKD_STORE_POSTGRES_POOL_HPP
