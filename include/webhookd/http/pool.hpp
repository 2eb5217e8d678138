// SPDX-License-Identifier: MIT
// Per-origin connection pools: keep-alive reuse, a cap per origin, idle expiry.
#ifndef WEBHOOKD_HTTP_POOL_HPP
#define WEBHOOKD_HTTP_POOL_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/http/connection.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace webhookd::http {

/// Limits of the connection pools.
struct pool_options {
  /// Connections open at once to one origin (connecting, busy and idle together).
  std::size_t max_connections_per_origin = 16;
  /// An idle connection is closed after this long without a request.
  std::chrono::milliseconds idle_timeout{30'000};
};

/** The connections to one origin (`scheme://host:port`).

    A slot is counted from the moment a request reserves it to open a connection until
    that connection is closed, so `open()` never exceeds the cap. Requests that find
    neither an idle connection nor a free slot wait in FIFO order; a released
    connection, or a freed slot, goes to the first of them.

    Idle connections are kept most-recently-used first, which lets the least used
    ones expire when traffic drops. Before an idle connection is handed out it is
    checked (`connection::usable_when_idle`): one the server closed while idle is
    discarded, and no byte of the request has been sent on it.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe (used from the client's strand).
*/
class origin_pool {
public:
  using clock_type = std::chrono::steady_clock;

  /// Something waiting for a connection or a slot.
  class waiter {
  public:
    /** Called when the waiter's turn comes: with an idle connection to reuse, or with
        null, meaning a slot was reserved for the waiter to open a new connection.
        Called from inside `release`/`closed`: implementations should defer their work
        (post it) rather than start I/O from the call. */
    virtual void on_pool_turn(std::unique_ptr<connection> c) = 0;

  protected:
    ~waiter() = default;
  };

  explicit origin_pool(const pool_options& options) : options_(options) {}

  origin_pool(const origin_pool&) = delete;
  origin_pool& operator=(const origin_pool&) = delete;

  /// Hands out the most recently used idle connection that is still usable, or null.
  /// Expired and dead connections met on the way are closed.
  std::unique_ptr<connection> take_idle(clock_type::time_point now) {
    while (!idle_.empty()) {
      std::unique_ptr<connection> c = std::move(idle_.back());
      idle_.pop_back();
      if (now - c->idle_since < options_.idle_timeout && c->usable_when_idle()) return c;
      c->close();
      --open_;
    }
    return nullptr;
  }

  /// Reserves a slot to open a new connection; false when the origin is at its cap.
  bool try_reserve() noexcept {
    if (open_ >= options_.max_connections_per_origin) return false;
    ++open_;
    return true;
  }

  /// Queues `w` until a connection or a slot is free.
  void wait(waiter& w) { waiters_.push_back(&w); }

  /// Removes `w` from the queue; false when it was not waiting.
  bool cancel_wait(waiter& w) {
    const auto it = std::find(waiters_.begin(), waiters_.end(), &w);
    if (it == waiters_.end()) return false;
    waiters_.erase(it);
    return true;
  }

  /** Gives back a connection after a request.

      A reusable connection goes to the first waiter or becomes idle; any other one is
      closed and its slot freed.
  */
  void release(std::unique_ptr<connection> c, bool reusable, clock_type::time_point now) {
    if (!reusable || stopped_ || !c->is_open()) {
      c->close();
      c.reset();
      closed();
      return;
    }
    ++c->requests;
    if (!waiters_.empty()) {
      waiter* w = waiters_.front();
      waiters_.pop_front();
      w->on_pool_turn(std::move(c));
      return;
    }
    c->idle_since = now;
    idle_.push_back(std::move(c));
  }

  /// A slot's connection was closed (or never opened): frees the slot, or passes it
  /// to the first waiter.
  void closed() {
    WEBHOOKD_ASSERT(open_ > 0);
    if (!waiters_.empty() && !stopped_) {
      waiter* w = waiters_.front();
      waiters_.pop_front();
      w->on_pool_turn(nullptr);
      return;
    }
    --open_;
  }

  /// Closes the idle connections idle for `idle_timeout` or more, and those found
  /// dead. @returns the earliest time a remaining idle connection expires, or
  /// `time_point::max()` when none is left.
  clock_type::time_point expire_idle(clock_type::time_point now) {
    auto next = clock_type::time_point::max();
    std::erase_if(idle_, [&](std::unique_ptr<connection>& c) {
      if (now - c->idle_since >= options_.idle_timeout) {
        c->close();
        --open_;
        return true;
      }
      next = std::min(next, c->idle_since + options_.idle_timeout);
      return false;
    });
    return next;
  }

  /// Closes every idle connection and refuses to keep new ones (the client stops).
  void stop() {
    stopped_ = true;
    for (auto& c : idle_) c->close();
    open_ -= idle_.size();
    idle_.clear();
  }

  /// Slots in use: connections being opened, busy or idle.
  std::size_t open() const noexcept { return open_; }
  /// Idle connections.
  std::size_t idle() const noexcept { return idle_.size(); }
  /// Requests waiting for a connection.
  std::size_t waiting() const noexcept { return waiters_.size(); }
  /// True when nothing refers to the pool any more.
  bool unused() const noexcept { return open_ == 0 && waiters_.empty(); }

  const pool_options& options() const noexcept { return options_; }

private:
  pool_options options_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::deque<waiter*> waiters_;
  std::size_t open_ = 0;
  bool stopped_ = false;
};

/** The pools of a client, one per origin.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class pool {
public:
  using clock_type = origin_pool::clock_type;

  explicit pool(const pool_options& options = {}) : options_(options) {}

  /// The pool of `origin`, created on first use.
  origin_pool& get(const std::string& origin) {
    auto it = pools_.find(origin);
    if (it == pools_.end())
      it = pools_.emplace(origin, std::make_unique<origin_pool>(options_)).first;
    if (stopped_) it->second->stop();
    return *it->second;
  }

  /// Expires idle connections everywhere and forgets unused pools. @returns the
  /// earliest time an idle connection left expires (`time_point::max()` if none).
  clock_type::time_point expire_idle(clock_type::time_point now) {
    auto next = clock_type::time_point::max();
    for (auto it = pools_.begin(); it != pools_.end();) {
      next = std::min(next, it->second->expire_idle(now));
      if (it->second->unused()) it = pools_.erase(it);
      else ++it;
    }
    return next;
  }

  /// Closes idle connections everywhere and keeps no new ones.
  void stop() {
    stopped_ = true;
    for (auto& [origin, p] : pools_) p->stop();
  }

  /// Connections open (or being opened) across all origins.
  std::size_t open() const noexcept {
    std::size_t n = 0;
    for (const auto& [origin, p] : pools_) n += p->open();
    return n;
  }
  /// Idle connections across all origins.
  std::size_t idle() const noexcept {
    std::size_t n = 0;
    for (const auto& [origin, p] : pools_) n += p->idle();
    return n;
  }
  /// Origins with a pool.
  std::size_t origins() const noexcept { return pools_.size(); }

  const pool_options& options() const noexcept { return options_; }

private:
  pool_options options_;
  std::unordered_map<std::string, std::unique_ptr<origin_pool>> pools_;
  bool stopped_ = false;
};

} // namespace webhookd::http

#endif // WEBHOOKD_HTTP_POOL_HPP
