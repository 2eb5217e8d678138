// SPDX-License-Identifier: MIT
// group_commit: many threads' writes, one transaction and one fsync per batch.
#ifndef WEBHOOKD_STORE_SQLITE_GROUP_COMMIT_HPP
#define WEBHOOKD_STORE_SQLITE_GROUP_COMMIT_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/store/sqlite/connection.hpp>
#include <webhookd/store/sqlite/error.hpp>
#include <webhookd/store/sqlite/query.hpp>

#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

namespace webhookd::store::sqlite {

/** Who makes a batch's COMMIT durable, and when.

    @par in_commit
    SQLite, inside COMMIT (`synchronous=FULL`): the writer waits for the fsync
    before it can start the next batch.

    @par after_commit
    The queue's waking thread, with an fdatasync of the WAL file once COMMIT has
    written it (the connection runs `synchronous=NORMAL`, under which SQLite still
    syncs the WAL before every checkpoint and the WAL header when it restarts). The
    callers of a batch are woken only after that fdatasync, so what they were told
    is durable is exactly as durable as with `in_commit`; meanwhile the writer runs
    the next batch, and one fdatasync covers every batch committed before it. The
    difference is for readers on other connections: they may see a batch's rows
    between its COMMIT and its fdatasync, before its callers return (a crash then
    loses rows that someone read, but never rows whose write returned). A failed
    fdatasync fails the requests of every batch it covered and every write after it
    (`SQLITE_IOERR_FSYNC`): after a failed fsync the kernel may have dropped the
    pages, so the store stops accepting writes rather than guess.
*/
enum class commit_sync { in_commit, after_commit };

/** Counters of a `group_commit` queue, read at one moment.

    `requests / transactions` is the average batch: how many callers shared each
    COMMIT (and its fsync).
*/
struct group_commit_counters {
  std::uint64_t transactions = 0;        ///< batches run, one committed transaction each
  std::uint64_t requests = 0;            ///< write requests run
  std::uint64_t largest_batch = 0;       ///< most requests in one transaction
  std::uint64_t failed_transactions = 0; ///< batches whose BEGIN or COMMIT failed
  /// Batches run a second time, one savepoint per request, because a request failed
  /// in the first run (which was rolled back whole).
  std::uint64_t rerun_batches = 0;
  /// Writer time spent running requests (from BEGIN to just before COMMIT).
  std::chrono::nanoseconds running{0};
  /// Writer time spent in COMMIT: writing the WAL, any checkpoint, and the fsync
  /// with `commit_sync::in_commit`.
  std::chrono::nanoseconds committing{0};
  /// fdatasyncs of the WAL by the waking thread (`commit_sync::after_commit`).
  std::uint64_t syncs = 0;
  /// Time spent in those fdatasyncs.
  std::chrono::nanoseconds syncing{0};
};

/** Runs the writes of many threads on one connection, batched into transactions.

    A caller `submit`s a write (a function of the connection) and blocks until the
    transaction that holds it has committed. Requests queue; the queue's own thread,
    the *writer*, takes everything that is queued (up to `max_batch` requests) and
    runs it as one transaction:

    @code
    BEGIN IMMEDIATE
      <request 1>; <request 2>; ...            -- no savepoints: the usual case
    COMMIT                                     -- one fsync for the whole batch
    @endcode

    then hands the batch to a second thread, which wakes its callers, each on its
    own condition (no herd), while the writer takes the next batch: everything that
    queued during this one's COMMIT and fsync. So under load a batch holds what
    arrived while the previous one ran, and throughput grows with the number of
    callers instead of being one fsync per write. A caller wakes only when its own
    write is done, and the writer never waits for callers to wake.

    A request that fails (a duplicate id, an unknown endpoint) must leave nothing
    behind, while the others of its batch commit. Savepoints would do that, but one
    per request makes SQLite copy every page a request touches into its
    sub-journal first, which costs more than the request itself. So the first run of
    a batch has none: when a request fails there, the whole transaction is rolled
    back and the batch runs again, this time each request in its own savepoint
    (`SAVEPOINT w; <request>; RELEASE w`, or `ROLLBACK TO w` on its error). A request
    therefore runs once, or twice when another request of its batch failed; both
    runs see the same database, so they give the same result. When BEGIN or COMMIT
    itself fails (disk full, I/O error, the lock held by another process past the
    busy timeout), the whole batch is rolled back and every request of it gets that
    error: no caller is ever told "done" for a write that is not durable.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe (`submit` and `counters` may be
    called from any number of threads). The connection is used by the writer thread
    alone; the destructor runs the batches already queued, then joins both threads.
*/
class group_commit {
public:
  /// Called before each COMMIT with the number of requests in the batch.
  using commit_hook = std::function<void(std::size_t)>;

  /** Takes the connection that every batch runs on.

      With `commit_sync::after_commit` the connection must be in WAL mode; it is
      switched to `synchronous=NORMAL` and its WAL file opened for the fdatasyncs.
      @throws std::system_error when that fails (start-up misconfiguration).
  */
  group_commit(connection writer, std::size_t max_batch, commit_hook before_commit = {},
               commit_sync sync = commit_sync::in_commit)
      : writer_(std::move(writer)), max_batch_(std::max<std::size_t>(max_batch, 1)),
        before_commit_(std::move(before_commit)), wal_(open_wal(writer_, sync)) {}
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;
  ~group_commit() {
    queue_.stop();
    writer_thread_.join(); // runs what is queued, then stops the waking thread
    waker_thread_.join();
  }

  /** Runs `fn(connection&) -> std::error_code` in a batch and waits for its COMMIT.

      `fn` runs on the writer's thread, inside the batch's transaction; it must not
      block on anything but the database, nor submit again. It may run twice (see
      the class notes), so it must not depend on having run before: results it
      writes to the caller's variables are overwritten by the second run, and are
      valid only when the returned code is empty. Exceptions it throws become
      errors (`current_exception_error`).

      @returns `fn`'s error (nothing of it stored), the transaction's error, or an
      empty code once the write is durable.
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
    c.rerun_batches = reruns_.load(std::memory_order_relaxed);
    c.running = std::chrono::nanoseconds{running_ns_.load(std::memory_order_relaxed)};
    c.committing = std::chrono::nanoseconds{committing_ns_.load(std::memory_order_relaxed)};
    c.syncs = syncs_.load(std::memory_order_relaxed);
    c.syncing = std::chrono::nanoseconds{syncing_ns_.load(std::memory_order_relaxed)};
    return c;
  }

private:
  // What a caller sleeps on. Shared with the thread that wakes it, so that the
  // caller may return (and its request go) as soon as `done` is set, while the
  // waking thread still holds the condition it notifies outside the mutex.
  struct waiter {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
  };

  // A caller's request, on the caller's stack until its waiter is done.
  struct request {
    std::error_code (*run)(void*, connection&) = nullptr;
    void* fn = nullptr;
    std::error_code error;
    request* next = nullptr; // queues and batches are intrusive lists
    std::shared_ptr<waiter> wake = std::make_shared<waiter>();
  };

  // A list of requests handed to a thread: pushed at the tail, taken from the head,
  // the thread sleeping while it is empty.
  struct handoff {
    std::mutex mutex;
    std::condition_variable cv;
    request* head = nullptr;
    request* tail = nullptr;
    bool idle = false;
    bool stopping = false;

    // Appends the list first..last (linked by `next`, last->next null).
    void push(request* first, request* last) {
      bool wake = false;
      {
        std::lock_guard lock(mutex);
        if (tail) {
          tail->next = first;
        } else {
          head = first;
        }
        tail = last;
        wake = std::exchange(idle, false);
      }
      if (wake) cv.notify_one();
    }

    // Waits for requests and takes up to `max` of them (null once stopped and empty).
    request* take(std::size_t max, std::size_t& n) {
      std::unique_lock lock(mutex);
      while (!head) {
        if (stopping) return nullptr;
        idle = true;
        cv.wait(lock);
      }
      idle = false;
      request* first = head;
      request* last = head;
      n = 1;
      while (last->next && n < max) {
        last = last->next;
        ++n;
      }
      head = last->next;
      if (!head) tail = nullptr;
      last->next = nullptr;
      return first;
    }

    void stop() {
      {
        std::lock_guard lock(mutex);
        stopping = true;
      }
      cv.notify_one();
    }
  };

  std::error_code submit(request& r) {
    waiter& w = *r.wake;
    queue_.push(&r, &r);
    std::unique_lock lock(w.mutex);
    w.cv.wait(lock, [&] { return w.done; });
    return r.error;
  }

  // The writer thread: one batch after another, until stopped and drained. A
  // committed batch goes to the waking thread, so that waking its callers (a
  // system call and often a context switch each) overlaps the next batch.
  void write_loop() noexcept {
    std::size_t n = 0;
    while (request* first = queue_.take(max_batch_, n)) {
      run_batch(first, n);
      request* last = first;
      while (last->next) last = last->next;
      done_.push(first, last);
    }
    done_.stop();
  }

  // The waking thread: makes the finished batches durable (after_commit), then
  // tells each of their callers that it is done.
  void wake_loop() noexcept {
    std::size_t n = 0;
    while (request* q = done_.take(static_cast<std::size_t>(-1), n)) {
      if (wal_.fd >= 0) {
        const auto started = std::chrono::steady_clock::now();
        const std::error_code ec = wal_.sync();
        syncs_.fetch_add(1, std::memory_order_relaxed);
        syncing_ns_.fetch_add((std::chrono::steady_clock::now() - started).count(),
                              std::memory_order_relaxed);
        if (ec) {
          {
            std::lock_guard lock(broken_mutex_);
            if (!broken_) broken_ = ec;
          }
          for (request* r = q; r; r = r->next)
            if (!r->error) r->error = ec;
        }
      }
      while (q) {
        request* next = q->next; // read before `done`: the caller may return at once
        const std::shared_ptr<waiter> w = q->wake;
        {
          std::lock_guard lock(w->mutex);
          w->done = true;
        }
        w->cv.notify_one();
        q = next;
      }
    }
  }

  // Runs a batch as one transaction; sets every request's error.
  void run_batch(request* first, std::size_t n) noexcept {
    requests_.fetch_add(n, std::memory_order_relaxed);
    if (n > largest_batch_.load(std::memory_order_relaxed))
      largest_batch_.store(n, std::memory_order_relaxed);
    auto fail_all = [&](std::error_code ec) {
      if (writer_.in_transaction()) (void)writer_.exec("ROLLBACK");
      for (request* q = first; q; q = q->next) q->error = ec;
      transactions_.fetch_add(1, std::memory_order_relaxed);
      failed_.fetch_add(1, std::memory_order_relaxed);
    };
    auto call = [&](request* q) noexcept -> std::error_code {
      try {
        return q->run(q->fn, writer_);
      } catch (...) {
        return current_exception_error();
      }
    };

    {
      std::lock_guard lock(broken_mutex_);
      if (broken_) return fail_all(broken_);
    }
    using clock = std::chrono::steady_clock;
    const auto started = clock::now();
    if (const auto ec = execute(writer_, "BEGIN IMMEDIATE")) return fail_all(ec);
    bool clean = true;
    for (request* q = first; q && clean; q = q->next) clean = !call(q);
    if (!clean) {
      // Undo the whole first run, then again with a savepoint per request.
      reruns_.fetch_add(1, std::memory_order_relaxed);
      if (writer_.in_transaction()) {
        if (const auto ec = writer_.exec("ROLLBACK")) return fail_all(ec);
      }
      if (const auto ec = execute(writer_, "BEGIN IMMEDIATE")) return fail_all(ec);
      for (request* q = first; q; q = q->next) {
        if (const auto ec = execute(writer_, "SAVEPOINT w")) return fail_all(ec);
        if (const auto ec = call(q)) {
          q->error = ec;
          if (const auto e2 = execute(writer_, "ROLLBACK TO w")) return fail_all(e2);
        }
        if (const auto e2 = execute(writer_, "RELEASE w")) return fail_all(e2);
      }
    }
    if (before_commit_) {
      try {
        before_commit_(n);
      } catch (...) {
        // Instrumentation must not decide the fate of a batch.
      }
    }
    transactions_.fetch_add(1, std::memory_order_relaxed);
    const auto committing = clock::now();
    const auto ec = execute(writer_, "COMMIT");
    const auto committed = clock::now();
    running_ns_.fetch_add((committing - started).count(), std::memory_order_relaxed);
    committing_ns_.fetch_add((committed - committing).count(), std::memory_order_relaxed);
    if (ec) {
      // The requests that had failed alone keep their own error.
      if (writer_.in_transaction()) (void)writer_.exec("ROLLBACK");
      for (request* q = first; q; q = q->next)
        if (!q->error) q->error = ec;
      failed_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // The WAL file, opened a second time for fdatasync (after_commit); fd -1 when
  // SQLite syncs in COMMIT. fsync applies to the file, not to the descriptor, and
  // SQLite keeps the WAL (same inode, rewritten from its start after a checkpoint)
  // while the writer connection is open. SQLite takes no lock on the WAL file, so
  // this descriptor cannot release one when it closes.
  struct wal_file {
    int fd = -1;
    wal_file() = default;
    explicit wal_file(int f) noexcept : fd(f) {}
    wal_file(const wal_file&) = delete;
    wal_file& operator=(const wal_file&) = delete;
    ~wal_file() {
      if (fd >= 0) ::close(fd);
    }
    std::error_code sync() const noexcept {
      while (::fdatasync(fd) != 0) {
        if (errno != EINTR) return make_sqlite_error(SQLITE_IOERR_FSYNC);
      }
      return {};
    }
  };

  static int open_wal(connection& c, commit_sync sync) {
    if (sync == commit_sync::in_commit) return -1;
    auto fail = [](int rc, const char* what) {
      throw std::system_error(make_sqlite_error(rc), what);
    };
    auto mode = c.prepare("PRAGMA journal_mode");
    if (!mode) throw std::system_error(mode.error(), "group_commit: journal_mode");
    {
      statement_use use(**mode);
      const auto r = use->step();
      if (!r.row || use->text(0) != "wal") fail(SQLITE_MISUSE, "group_commit: not in WAL mode");
    }
    if (const auto ec = c.exec("PRAGMA synchronous = NORMAL"))
      throw std::system_error(ec, "group_commit: synchronous");
    const char* db = sqlite3_db_filename(c.get(), "main");
    const char* wal = db ? sqlite3_filename_wal(db) : nullptr;
    if (!wal || !*wal) fail(SQLITE_MISUSE, "group_commit: no WAL file name");
    const int fd = ::open(wal, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(SQLITE_CANTOPEN, "group_commit: cannot open the WAL file");
    return fd;
  }

  connection writer_;
  const std::size_t max_batch_;
  commit_hook before_commit_;
  const wal_file wal_;
  std::mutex broken_mutex_;
  std::error_code broken_; // a failed fdatasync: every write fails from then on

  handoff queue_; // submitted, for the writer
  handoff done_;  // committed or failed, for the waking thread

  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> largest_batch_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> reruns_{0};
  std::atomic<std::chrono::nanoseconds::rep> running_ns_{0};
  std::atomic<std::chrono::nanoseconds::rep> committing_ns_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::chrono::nanoseconds::rep> syncing_ns_{0};

  // Last: they start once every member above is ready.
  std::thread writer_thread_{[this] { write_loop(); }};
  std::thread waker_thread_{[this] { wake_loop(); }};
};

} // namespace webhookd::store::sqlite

#endif // WEBHOOKD_STORE_SQLITE_GROUP_COMMIT_HPP
