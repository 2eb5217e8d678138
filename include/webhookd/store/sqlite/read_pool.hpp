// SPDX-License-Identifier: MIT
// read_pool: read-only connections, one per concurrent reader, kept for reuse.
#ifndef WEBHOOKD_STORE_SQLITE_READ_POOL_HPP
#define WEBHOOKD_STORE_SQLITE_READ_POOL_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/store/sqlite/connection.hpp>
#include <webhookd/store/sqlite/error.hpp>

#include <sqlite3.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace webhookd::store::sqlite {

/** Connections for reads (REST listings, counts, the fan-out's endpoint lookup).

    In WAL mode a reader works on a snapshot of the last commit and neither waits for
    the writer nor makes it wait, so reads get connections of their own: `acquire`
    hands out an idle one, or opens a new one when every connection is busy (there
    is no upper bound: a reader never queues behind another). At most `max_idle`
    are kept for reuse, each with its prepared statements. Reader connections are
    `query_only`: a bug that tries to write through one fails instead of bypassing
    the group commit.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe.
*/
class read_pool {
public:
  /// A connection on loan; it returns to the pool when the lease is destroyed.
  class lease {
  public:
    lease(read_pool* pool, std::unique_ptr<connection> c) noexcept
        : pool_(pool), c_(std::move(c)) {}
    lease(lease&&) noexcept = default;
    lease& operator=(lease&&) = delete;
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() {
      if (c_) pool_->give_back(std::move(c_));
    }
    connection& operator*() const noexcept { return *c_; }
    connection* operator->() const noexcept { return c_.get(); }

  private:
    read_pool* pool_;
    std::unique_ptr<connection> c_;
  };

  read_pool(std::string path, std::chrono::milliseconds busy_timeout, std::size_t max_idle)
      : path_(std::move(path)), busy_timeout_(busy_timeout), max_idle_(max_idle) {}
  read_pool(const read_pool&) = delete;
  read_pool& operator=(const read_pool&) = delete;

  /// An idle connection, or a new one. @returns the lease, or the SQLite error.
  result<lease> acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return lease(this, std::move(c));
      }
    }
    // Opened outside the lock: opening touches the file system.
    auto c = connection::open(path_, SQLITE_OPEN_READWRITE, busy_timeout_);
    if (!c) return unexpected(c.error());
    if (const auto ec = c->exec("PRAGMA query_only = 1; PRAGMA foreign_keys = 1"))
      return unexpected(ec);
    return lease(this, std::make_unique<connection>(std::move(*c)));
  }

private:
  void give_back(std::unique_ptr<connection> c) noexcept {
    if (c->in_transaction()) (void)c->exec("ROLLBACK"); // never park a snapshot
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle_) {
      try {
        idle_.push_back(std::move(c));
      } catch (...) {
        // Could not keep it: it closes here, which is only a lost reuse.
      }
    }
  }

  const std::string path_;
  const std::chrono::milliseconds busy_timeout_;
  const std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<connection>> idle_;
};

} // namespace webhookd::store::sqlite

#endif // WEBHOOKD_STORE_SQLITE_READ_POOL_HPP
