// SPDX-License-Identifier: MIT
// group_commit: many threads' writes, one transaction and one fsync per batch.
#ifndef WEBHOOKD_STORE_SQLITE_GROUP_COMMIT_HPP
#define WEBHOOKD_STORE_SQLITE_GROUP_COMMIT_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/store/sqlite/connection.hpp>
#include <webhookd/store/sqlite/error.hpp>
#include <webhookd/store/sqlite/query.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <system_error>
#include <type_traits>
#include <utility>

namespace webhookd::store::sqlite {

/** Counters of a `group_commit` queue, read at one moment.

    `requests / transactions` is the average batch: how many callers shared each
    COMMIT (and its fsync).
*/
struct group_commit_counters {
  std::uint64_t transactions = 0;        ///< batches run, one transaction each
  std::uint64_t requests = 0;            ///< write requests run
  std::uint64_t largest_batch = 0;       ///< most requests in one transaction
  std::uint64_t failed_transactions = 0; ///< batches whose BEGIN or COMMIT failed
};

/** Runs the writes of many threads on one connection, batched into transactions.

    A caller `submit`s a write (a function of the connection) and blocks until the
    transaction that holds it has committed. Callers queue their requests; whoever
    finds no batch running becomes the *leader*: it takes the whole queue (up to
    `max_batch` requests), runs it as

    @code
    BEGIN IMMEDIATE
      SAVEPOINT w; <request 1>; RELEASE w      -- or ROLLBACK TO w on its error
      SAVEPOINT w; <request 2>; RELEASE w
      ...
    COMMIT                                     -- one fsync for the whole batch
    @endcode

    then wakes every caller of the batch and steps down. Requests that arrive while
    a batch runs wait for the next one, which one of their callers leads; so under
    load a batch holds everything that queued during the previous COMMIT's fsync,
    and throughput grows with the number of callers instead of being one fsync per
    write. Alone, a caller leads its own batch at once: no added latency, no thread
    hop, and no thread owned by the queue.

    Each request runs in its own savepoint, so one that fails (a duplicate id, an
    unknown endpoint) rolls back alone and the others commit. When BEGIN or COMMIT
    itself fails (disk full, I/O error, the lock held by another process past the
    busy timeout), the whole batch is rolled back and every request of it gets that
    error: no caller is ever told "done" for a write that is not durable.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe (`submit` and `counters` may be
    called from any number of threads).
*/
class group_commit {
public:
  /// Called before each COMMIT with the number of requests in the batch.
  using commit_hook = std::function<void(std::size_t)>;

  group_commit(connection writer, std::size_t max_batch, commit_hook before_commit = {})
      : writer_(std::move(writer)), max_batch_(std::max<std::size_t>(max_batch, 1)),
        before_commit_(std::move(before_commit)) {}
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  /** Runs `fn(connection&) -> std::error_code` in a batch and waits for its COMMIT.

      `fn` runs on the leader's thread (possibly another caller's), inside the
      batch's transaction; it must not block on anything but the database, nor
      submit again. Exceptions it throws become errors (`current_exception_error`).
      Results `fn` writes to the caller's variables are valid only when the returned
      code is empty.

      @returns `fn`'s error (its savepoint rolled back), the transaction's error, or
      an empty code once the write is durable.
  */
  template <class Fn>
  std::error_code submit(Fn&& fn) {
    using fn_type = std::remove_reference_t<Fn>;
    request r;
    r.fn = const_cast<void*>(static_cast<const void*>(std::addressof(fn)));
    r.run = [](void* f, connection& c) -> std::error_code {
      return (*static_cast<fn_type*>(f))(c);
    };
    return submit(r);
  }

  /// The counters so far.
  group_commit_counters counters() const noexcept {
    group_commit_counters c;
    c.transactions = transactions_.load(std::memory_order_relaxed);
    c.requests = requests_.load(std::memory_order_relaxed);
    c.largest_batch = largest_batch_.load(std::memory_order_relaxed);
    c.failed_transactions = failed_.load(std::memory_order_relaxed);
    return c;
  }

private:
  struct request {
    std::error_code (*run)(void*, connection&) = nullptr;
    void* fn = nullptr;
    std::error_code error;
    bool done = false;
    request* next = nullptr; // the queue is intrusive: requests live on their callers' stacks
  };

  std::error_code submit(request& r) {
    std::unique_lock lock(mutex_);
    if (tail_) {
      tail_->next = &r;
    } else {
      head_ = &r;
    }
    tail_ = &r;
    for (;;) {
      if (r.done) return r.error;
      if (leading_) {
        cv_.wait(lock);
        continue;
      }
      // Lead: take up to max_batch requests off the queue (ours is among them
      // unless more than max_batch were ahead of it; then we lead again).
      leading_ = true;
      request* first = head_;
      request* last = head_;
      std::size_t n = 1;
      while (last->next && n < max_batch_) {
        last = last->next;
        ++n;
      }
      head_ = last->next;
      if (!head_) tail_ = nullptr;
      last->next = nullptr;
      lock.unlock();
      run_batch(first, n);
      lock.lock();
      for (request* q = first; q;) {
        request* next = q->next; // read before `done`: the caller may return at once
        q->done = true;
        q = next;
      }
      leading_ = false;
      cv_.notify_all();
    }
  }

  // Runs a batch as one transaction; sets every request's error. Called by the
  // leader alone, so the connection is used by one thread at a time.
  void run_batch(request* first, std::size_t n) noexcept {
    requests_.fetch_add(n, std::memory_order_relaxed);
    transactions_.fetch_add(1, std::memory_order_relaxed);
    if (n > largest_batch_.load(std::memory_order_relaxed))
      largest_batch_.store(n, std::memory_order_relaxed);
    auto fail_all = [&](std::error_code ec) {
      if (writer_.in_transaction()) (void)writer_.exec("ROLLBACK");
      for (request* q = first; q; q = q->next) q->error = ec;
      failed_.fetch_add(1, std::memory_order_relaxed);
    };
    if (const auto ec = execute(writer_, "BEGIN IMMEDIATE")) return fail_all(ec);
    for (request* q = first; q; q = q->next) {
      if (const auto ec = execute(writer_, "SAVEPOINT w")) return fail_all(ec);
      std::error_code ec;
      try {
        ec = q->run(q->fn, writer_);
      } catch (...) {
        ec = current_exception_error();
      }
      if (ec) {
        q->error = ec;
        if (const auto e2 = execute(writer_, "ROLLBACK TO w")) return fail_all(e2);
      }
      if (const auto e2 = execute(writer_, "RELEASE w")) return fail_all(e2);
    }
    if (before_commit_) {
      try {
        before_commit_(n);
      } catch (...) {
        // Instrumentation must not decide the fate of a batch.
      }
    }
    if (const auto ec = execute(writer_, "COMMIT")) {
      // The requests that had failed alone keep their own error.
      if (writer_.in_transaction()) (void)writer_.exec("ROLLBACK");
      for (request* q = first; q; q = q->next)
        if (!q->error) q->error = ec;
      failed_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  connection writer_;
  const std::size_t max_batch_;
  commit_hook before_commit_;

  std::mutex mutex_;
  std::condition_variable cv_;
  request* head_ = nullptr;
  request* tail_ = nullptr;
  bool leading_ = false;

  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> largest_batch_{0};
  std::atomic<std::uint64_t> failed_{0};
};

} // namespace webhookd::store::sqlite

#endif // WEBHOOKD_STORE_SQLITE_GROUP_COMMIT_HPP
