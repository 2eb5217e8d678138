// SPDX-License-Identifier: MIT
// The bodies of engine<Store>: publish, the claim/gate/send/record loop, suspension, stop.
#ifndef WEBHOOKD_ENGINE_IMPL_ENGINE_HPP
#define WEBHOOKD_ENGINE_IMPL_ENGINE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/engine/engine.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/id.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/core/url.hpp>
#include <webhookd/encoding/encoded_event.hpp>
#include <webhookd/engine/detail/endpoint_gate.hpp>
#include <webhookd/engine/detail/wake_schedule.hpp>
#include <webhookd/http/client.hpp>
#include <webhookd/http/request.hpp>
#include <webhookd/model/event_validation.hpp>
#include <webhookd/schedule/response_policy.hpp>
#include <webhookd/signing/lucca.hpp>
#include <webhookd/signing/secret.hpp>
#include <webhookd/signing/standard_webhooks.hpp>

#include <asio/associated_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace webhookd::engine {
namespace detail {

// `wh-` and 12 random hex digits (48 bits): 15 characters, which std::string keeps
// inline, so the lease every claim, outcome and store row copies never allocates.
inline std::string make_owner() {
  std::random_device rd;
  static constexpr char hex[] = "0123456789abcdef";
  std::string s = "wh-";
  for (int i = 0; i < 3; ++i) {
    auto v = rd();
    for (int k = 0; k < 4; ++k) {
      s += hex[v & 15];
      v >>= 4;
    }
  }
  return s;
}

// The event goes to the endpoint unless the endpoint names establishments and the
// event belongs to none of them. An event without an establishment goes to every
// subscribed endpoint.
inline bool establishment_matches(const model::webhook_endpoint& ep, const model::event& e) {
  if (!ep.business_establishments || !e.business_establishment) return true;
  return std::any_of(ep.business_establishments->begin(), ep.business_establishments->end(),
                     [&](const model::reference& r) { return r.id == e.business_establishment->id; });
}

/// `ex`'s target if it is an `Executor`, else null. Asio's `target<T>()` (1.22)
/// casts without looking at the type, so the type is compared first.
template <class Executor>
const Executor* target_as(const asio::any_io_executor& ex) noexcept {
  return ex.target_type() == typeid(Executor) ? ex.target<Executor>() : nullptr;
}

/** The executor the engine runs on, given the host's `ex`: `ex` itself when it is a
    strand already or the host says it is serial (`engine_options::serial_executor`),
    otherwise a strand over it. Over an `io_context`'s own executor when that is what
    the host gave: a `strand<io_context::executor_type>` fits `any_io_executor`'s
    small buffer, so the client's sockets and timers copy, query and re-wrap it
    without allocating. A `strand<any_io_executor>` does not fit, and every
    handler-work `prefer` and `blocking` query on it allocates (~20 heap allocations
    per delivery, measured with heaptrack on the engine benchmark). */
inline asio::any_io_executor make_engine_executor(const asio::any_io_executor& ex, bool serial) {
  if (serial || target_as<asio::strand<asio::io_context::executor_type>>(ex) != nullptr ||
      target_as<asio::strand<asio::any_io_executor>>(ex) != nullptr)
    return ex;
  if (const auto* io = target_as<asio::io_context::executor_type>(ex))
    return asio::make_strand(*io);
  return asio::make_strand(ex);
}

inline std::string join_url(const std::string& base, std::string_view collection,
                            const std::string& id) {
  if (base.empty()) return {};
  std::string u;
  u.reserve(base.size() + collection.size() + id.size() + 2);
  u.append(base).append("/").append(collection).append("/").append(id);
  return u;
}

// What the engine keeps about an endpoint it sends to: the signer keyed with the
// current secret and the parsed webhook URL, so neither is redone per attempt. Valid
// while the endpoint record's version is the one it was made from.
struct endpoint_context {
  std::uint64_t version = 0;
  std::string secret;
  std::shared_ptr<const signing::lucca_signer> signer; // null: the secret is unusable
  std::string signer_error;
  // Standard Webhooks mode: the current secret, and the previous one while it is
  // valid; the context is remade when that validity ends.
  std::shared_ptr<const signing::standard_webhooks_signer> sw_signer;
  std::optional<timestamp> remake_at;
  std::optional<url> target; // nullopt: the webhookUrl does not parse
  std::error_code target_error;
  std::string target_rule;
  std::string api_version;
};

// An event's encoded bodies. `pinned` keeps them while deliveries of the event that
// this process has not sent yet are likely to come (its fan-out, claimed in several
// batches); `weak` shares them with whatever attempt still holds them.
struct cached_body {
  // The event whose id is this entry's key (a view of it): held by the entry, so
  // the key lives as long as the entry and no id is copied per event.
  std::shared_ptr<const model::event> event;
  std::shared_ptr<encoding::encoded_event> pinned;
  std::weak_ptr<encoding::encoded_event> weak;
  std::size_t unsent = 0;
  timestamp pinned_until{};
};

// What the engine needs after an outcome is recorded, besides the outcome itself.
struct pending_record {
  std::string endpoint_id;
  std::string event_id;
  schedule::response_action action = schedule::response_action::failed;
  std::string reason; // for operational events: "HTTP 503" or the transport error
  int tries = 0;      // record calls that failed for this outcome so far
};

// Outcomes waiting for the next `record` call, with what comes after each. The
// outcomes are handed to the store as they are (a span), never copied.
struct record_batch {
  std::vector<store::attempt_outcome> outcomes;
  std::vector<pending_record> records; // parallel to `outcomes`

  bool empty() const noexcept { return outcomes.empty(); }
  void clear() noexcept {
    outcomes.clear();
    records.clear();
  }
  void push_back(store::attempt_outcome o, pending_record r) {
    outcomes.push_back(std::move(o));
    records.push_back(std::move(r));
  }
};

template <class Store>
class engine_state : public std::enable_shared_from_this<engine_state<Store>> {
  static constexpr bool blocking_store = store::is_blocking_store_v<Store>;
  static constexpr int max_record_tries = 3;

public:
  using strand_type = asio::any_io_executor; // serial: see make_engine_executor
  using publish_result = webhookd::engine::publish_result;

  engine_state(const asio::any_io_executor& ex, Store& store, engine_options options)
      : strand_(make_engine_executor(ex, options.serial_executor)), store_(store), options_(std::move(options)),
        client_(asio::any_io_executor(strand_), client_options_of(options_)), timer_(strand_),
        stop_timer_(strand_), rng_(std::random_device{}()),
        wakes_(options_.clock ? options_.clock->now() : default_clock().now()) {
    if (options_.owner.empty()) options_.owner = make_owner();
    if (options_.clock == nullptr) options_.clock = &default_clock();
    if (options_.claim_batch == 0) options_.claim_batch = 1;
    if constexpr (blocking_store)
      pool_.emplace(std::max<std::size_t>(1, options_.store_threads));
  }

  const strand_type& strand() const noexcept { return strand_; }
  const engine_options& options() const noexcept { return options_; }
  const webhookd::engine::metrics& counters() const noexcept { return metrics_; }

  // --- any thread ---------------------------------------------------------------------

  publish_result publish(model::event e, const publish_options& opts) {
    const timestamp now = options_.clock->now();
    if (e.id.empty()) e.id = ids_.next(now);
    if (auto valid = model::validate_event(e); !valid)
      return unexpected(publish_error{std::make_error_code(std::errc::invalid_argument),
                                      std::move(valid.error())});
    if (e.url.empty()) e.url = join_url(options_.base_url, "events", e.id);

    auto endpoints = store_.endpoints_for_topic(e.topic);
    if (!endpoints) return unexpected(publish_error{endpoints.error(), {}});

    store::enqueue_request request;
    for (const store::shared_endpoint_record& rec : *endpoints) {
      const model::webhook_endpoint& ep = rec->endpoint;
      if (ep.status == model::endpoint_status::inactive) continue; // SPEC.md Part 1 §10
      if (!establishment_matches(ep, e)) continue;
      request.deliveries.push_back(make_delivery(e, ep, now));
    }
    if (!opts.idempotency_key.empty()) {
      request.idempotency_key = opts.idempotency_key;
      request.idempotency_window = opts.idempotency_window;
    }
    request.event = std::move(e);
    // Stored all or nothing: a new enqueue stored exactly these, so the store need
    // not copy them back.
    const std::size_t fanned_out = request.deliveries.size();
    request.return_deliveries = false;
    // A store that can take the request's values over (memory_store) does; the
    // others take it by reference, as the concept says.
    auto stored = store_.enqueue(std::move(request), now);
    if (!stored) return unexpected(publish_error{stored.error(), {}});
    WEBHOOKD_ASSERT(stored->event != nullptr);
    if (!stored->replayed) {
      metrics_.published.fetch_add(1, std::memory_order_relaxed);
      metrics_.deliveries_created.fetch_add(fanned_out, std::memory_order_relaxed);
      if (fanned_out > 0) {
        // Encoded lazily, once, by the first attempt, from the event its claim
        // carries; pinned from then on for the whole fan-out.
        // Many publishers, one wake-up: what arrives before the strand runs is
        // taken in one go, followed by one claim.
        bool post = false;
        {
          std::lock_guard lock(inbox_mutex_);
          inbox_.push_back(pin_request{stored->event, fanned_out});
          post = !std::exchange(inbox_posted_, true);
        }
        if (post)
          asio::post(strand_, [self = this->shared_from_this()] { self->take_inbox(); });
      }
    }
    return publish_result(std::move(stored->event));
  }

  template <class Handler>
  void async_publish(model::event e, publish_options opts, Handler handler) {
    auto run = [self = this->shared_from_this(), e = std::move(e), opts = std::move(opts),
                handler = std::move(handler)]() mutable {
      publish_result r = self->publish(std::move(e), opts);
      auto ex = asio::get_associated_executor(handler, self->strand_);
      asio::post(ex, [handler = std::move(handler), r = std::move(r)]() mutable {
        std::move(handler)(std::move(r));
      });
    };
    if constexpr (blocking_store) asio::post(*pool_, std::move(run));
    else asio::post(strand_, std::move(run));
  }

  result<model::webhook_delivery, publish_error> send_test(std::string_view endpoint_id) {
    const timestamp now = options_.clock->now();
    auto rec = store_.get_endpoint(endpoint_id);
    if (!rec) return unexpected(publish_error{rec.error(), {}});
    model::event e;
    e.id = ids_.next(now);
    e.url = join_url(options_.base_url, "events", e.id);
    e.topic = "ping";
    e.occurred_at = now;
    e.source = options_.base_url;
    e.data = nlohmann::json{{"webhookEndpoint", {{"id", rec->endpoint.id}}}};
    store::enqueue_request request;
    request.deliveries.push_back(make_delivery(e, rec->endpoint, now));
    request.event = std::move(e);
    return enqueue_direct(request, now);
  }

  result<model::webhook_delivery, publish_error> resend(std::string_view event_id,
                                                        std::string_view endpoint_id) {
    const timestamp now = options_.clock->now();
    auto ev = store_.get_event(event_id);
    if (!ev) return unexpected(publish_error{ev.error(), {}});
    auto rec = store_.get_endpoint(endpoint_id);
    if (!rec) return unexpected(publish_error{rec.error(), {}});
    store::enqueue_request request;
    request.deliveries.push_back(make_delivery(*ev, rec->endpoint, now));
    return enqueue_direct(request, now);
  }

  void challenge(std::string_view webhook_url, std::function<void(challenge_result)> done) {
    std::string value = signing::generate_challenge();
    std::string text(webhook_url);
    text += text.find('?') == std::string::npos ? '?' : '&';
    text += "echo=" + value + "&challenge=" + value;
    auto target = parse_url(text);
    if (!target) {
      asio::post(strand_, [done = std::move(done), rule = target.error().rule] {
        done(challenge_result{false, std::nullopt, "invalid webhookUrl: " + rule});
      });
      return;
    }
    asio::post(strand_, [self = this->shared_from_this(), target = std::move(*target),
                         value = std::move(value), done = std::move(done)]() mutable {
      http::request req("GET", std::move(target));
      self->client_.async_send(std::move(req), [value = std::move(value), done = std::move(done)](
                                                   http::outcome o) {
        challenge_result r;
        if (!o.answered()) {
          r.reason = o.reason();
        } else {
          r.status_code = o.status;
          std::string_view body = o.body;
          if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
          if (o.status != 200) r.reason = "HTTP " + std::to_string(o.status);
          else if (body != value) r.reason = "the answer's body is not the challenge value";
          else r.passed = true;
        }
        done(std::move(r));
      });
    });
  }

  result<store::endpoint_record> rotate_secret(std::string_view id) {
    const timestamp now = options_.clock->now();
    // The next claim snapshot carries the new secret and version: the endpoint's
    // context (signer) is made afresh.
    return store_.rotate_secret(id, signing::generate_secret(), now + options_.secret_overlap, now);
  }

  void wake() {
    asio::post(strand_, [self = this->shared_from_this()] { self->tick(true); });
  }

  void start() {
    asio::post(strand_, [self = this->shared_from_this()] {
      if (self->starting_ || self->stopping_ || self->abandoned_) return;
      self->starting_ = true;
      // What a previous run of the same owner left is given back first (claiming
      // before that would see the new leases released too), then the store is asked
      // for due work: its own and what other processes left.
      self->with_store([owner = self->options_.owner](Store& s) { return s.release(owner); },
                       [self](result<std::size_t> released) {
                         if (!released)
                           self->metrics_.store_errors.fetch_add(1, std::memory_order_relaxed);
                         if (self->stopping_) return;
                         self->running_ = true;
                         self->tick(true);
                       });
    });
  }

  void stop(std::chrono::milliseconds deadline, std::function<void()> on_stopped) {
    asio::post(strand_, [self = this->shared_from_this(), deadline,
                         on_stopped = std::move(on_stopped)]() mutable {
      if (on_stopped) {
        if (self->stopped_) {
          on_stopped();
          return;
        }
        self->stop_waiters_.push_back(std::move(on_stopped));
      }
      if (self->stopping_) return;
      self->stopping_ = true;
      self->timer_.cancel();
      self->drop_waiting();
      if (self->maybe_finish_stop()) return;
      self->stop_timer_.expires_after(deadline);
      self->stop_timer_.async_wait([self](const std::error_code& ec) {
        if (ec || self->stopped_) return;
        // Past the deadline: what is still on the wire is cancelled and not recorded.
        self->client_.stop();
      });
    });
  }

  // Called by ~engine: from now on nothing touches the store. Store calls already
  // running on the pool are waited for, so no pool thread outlives the engine.
  void abandon() {
    abandoned_.store(true, std::memory_order_release);
    asio::post(strand_, [self = this->shared_from_this()] {
      self->timer_.cancel();
      self->stop_timer_.cancel();
      self->client_.stop();
    });
    if (pool_) {
      pool_->stop();
      pool_->join();
    }
  }

  result<store::endpoint_record> reactivate_endpoint(std::string_view id) {
    const timestamp now = options_.clock->now();
    auto rec = store_.get_endpoint(id);
    if (!rec) return unexpected(rec.error());
    model::webhook_endpoint ep = rec->endpoint;
    const bool was_active = ep.status == model::endpoint_status::active;
    ep.status = model::endpoint_status::active;
    auto updated = store_.update_endpoint(ep, rec->version, now);
    if (!updated) return unexpected(updated.error());
    if (!was_active) {
      asio::post(strand_, [self = this->shared_from_this(), id = std::string(id), now] {
        operational_event ev;
        ev.kind = operational_event_kind::endpoint_reactivated;
        ev.endpoint_id = id;
        ev.at = now;
        self->emit(ev);
        self->pump();
      });
    }
    return updated;
  }

private:
  model::webhook_delivery make_delivery(const model::event& e, const model::webhook_endpoint& ep,
                                        timestamp now) {
    model::webhook_delivery d;
    d.id = ids_.next(now);
    d.url = join_url(options_.base_url, "webhook-deliveries", d.id);
    d.next_attempt_at = now; // SPEC.md Part 1 §12
    d.attempts_count = 0;
    d.status = model::delivery_status::undelivered;
    d.event = model::reference{e.id, std::string(model::event::type_name), e.url};
    d.webhook_endpoint =
        model::reference{ep.id, std::string(model::webhook_endpoint::type_name), ep.url};
    return d;
  }

  // A test or manual delivery: sent now whatever the endpoint's status (SPEC.md Part 1 §13).
  result<model::webhook_delivery, publish_error> enqueue_direct(store::enqueue_request& request,
                                                                timestamp now) {
    request.ignore_endpoint_status = true;
    auto stored = store_.enqueue(request, now);
    if (!stored) return unexpected(publish_error{stored.error(), {}});
    WEBHOOKD_ASSERT(stored->deliveries.size() == 1);
    metrics_.deliveries_created.fetch_add(1, std::memory_order_relaxed);
    asio::post(strand_, [self = this->shared_from_this()] { self->pump(); });
    return std::move(stored->deliveries.front());
  }

  static http::client_options client_options_of(const engine_options& o) {
    http::client_options c = o.http;
    c.timeout = o.attempt_timeout;
    // An attempt that starts later than this could outlive its lease, and another
    // process could claim and send the same delivery meanwhile.
    if (c.queue_timeout.count() == 0 && o.lease_duration > o.attempt_timeout)
      c.queue_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(o.lease_duration -
                                                                              o.attempt_timeout);
    return c;
  }

  bool live() const noexcept {
    return running_ && !stopping_ && !abandoned_.load(std::memory_order_acquire);
  }

  void emit(const operational_event& ev) {
    if (options_.on_event) options_.on_event(ev);
  }

  // --- strand only --------------------------------------------------------------------

  /** Runs `call(store)` and hands its result to `done` on the strand: inline for a
      non-blocking store, on the pool for a blocking one. Nothing of the engine is
      touched from the pool thread but the store. */
  template <class Call, class Done>
  void with_store(Call call, Done done) {
    if constexpr (!blocking_store) {
      done(call(store_));
    } else {
      asio::post(*pool_, [self = this->shared_from_this(), call = std::move(call),
                          done = std::move(done)]() mutable {
        if (self->abandoned_.load(std::memory_order_acquire)) return;
        auto r = call(self->store_);
        auto strand = self->strand_;
        // `self` moves into the strand's handler so the last reference is never
        // dropped on a pool thread (whose pool the destructor would join).
        asio::post(strand, [self = std::move(self), done = std::move(done),
                            r = std::move(r)]() mutable {
          if (self->abandoned_.load(std::memory_order_acquire)) return;
          done(std::move(r));
        });
      });
    }
  }

  // The loop's one timer fired, or `wake()` was called.
  void tick(bool look_at_store) {
    if (!live()) return;
    const timestamp now = options_.clock->now();
    armed_for_.reset();
    wakes_.fire(now);
    metrics_.wheel_pending.store(static_cast<std::int64_t>(wakes_.deliveries()),
                                 std::memory_order_relaxed);
    if (!rate_blocked_.empty()) {
      auto blocked = std::move(rate_blocked_);
      rate_blocked_.clear();
      for (const std::string& id : blocked) drain(id);
    }
    if (look_at_store || now >= next_store_look_) look_at_store_now(now);
    maybe_purge(now);
    maybe_refresh_stats(now);
    pump();
  }

  // Work this process did not schedule itself: other processes, an earlier run.
  void look_at_store_now(timestamp now) {
    next_store_look_ = now + options_.max_idle;
    with_store([now](Store& s) { return s.next_due_at(now); },
               [self = this->shared_from_this(), now](result<std::optional<timestamp>> next) {
                 if (!next) {
                   self->metrics_.store_errors.fetch_add(1, std::memory_order_relaxed);
                 } else if (*next && **next > now) {
                   // A due time already past means work that limits or another
                   // owner's lease hold back: completions and idle looks catch it.
                   self->wakes_.hint_store(**next);
                 }
                 self->arm();
               });
  }

  // Arms the timer for the earliest wake-up, at most `max_idle` away.
  void arm() {
    if (!live()) return;
    timestamp target = next_store_look_;
    if (auto next = wakes_.next(); next && *next < target) target = *next;
    if (armed_for_ && *armed_for_ == target) return;
    armed_for_ = target;
    const auto now = options_.clock->now();
    const auto wait = target > now ? std::chrono::duration_cast<std::chrono::milliseconds>(target - now)
                                   : std::chrono::milliseconds{0};
    timer_.expires_after(wait);
    timer_.async_wait([self = this->shared_from_this()](const std::error_code& ec) {
      if (ec) return;
      self->tick(false);
    });
  }

  void pump() {
    if (!live()) return;
    if (claiming_) {
      pump_again_ = true;
      return;
    }
    // Claims stop while the engine holds `max_held` deliveries (waiting for their
    // endpoint, on the wire, or waiting to be recorded): more would only queue
    // behind the connection pool with their leases running. A completion pumps again.
    const std::size_t held = held_deliveries();
    if (options_.max_held > 0 && held >= options_.max_held) {
      arm();
      return;
    }
    claiming_ = true;
    pump_again_ = false;
    store::claim_request req = next_claim(held);
    with_store([req = std::move(req)](Store& s) { return s.claim_due(req); },
               [self = this->shared_from_this()](
                   result<std::vector<store::claimed_delivery>> claimed) {
                 self->on_claimed(std::move(claimed));
               });
  }

  // The claim to make now, `held` deliveries being held (see `pump`).
  store::claim_request next_claim(std::size_t held) {
    store::claim_request req;
    req.now = options_.clock->now();
    req.max = options_.max_held > 0 ? std::min(options_.claim_batch, options_.max_held - held)
                                    : options_.claim_batch;
    claim_max_ = req.max;
    req.owner = options_.owner;
    req.lease_duration = options_.lease_duration;
    req.max_in_flight_per_endpoint = options_.max_in_flight_per_endpoint;
    req.fifo = options_.fifo;
    return req;
  }

  std::size_t held_deliveries() const noexcept {
    return in_flight_ + static_cast<std::size_t>(std::max<std::int64_t>(
                            0, metrics_.waiting.load(std::memory_order_relaxed))) +
           pending_.outcomes.size() + recorded_.outcomes.size();
  }

  void on_claimed(result<std::vector<store::claimed_delivery>> claimed) {
    claiming_ = false;
    if (!live()) {
      // Stopping: what was just claimed is given back by the final release.
      maybe_finish_stop();
      return;
    }
    if (!claimed) {
      metrics_.store_errors.fetch_add(1, std::memory_order_relaxed);
      arm();
      return;
    }
    const bool full = claimed->size() >= claim_max_;
    for (store::claimed_delivery& cd : *claimed) admit(std::move(cd));
    sweep();
    if (full || pump_again_) {
      asio::post(strand_, [self = this->shared_from_this()] { self->pump(); });
      return;
    }
    arm();
  }

  // --- endpoint gates -----------------------------------------------------------------

  // An attempt from its admission to its outcome: its claim, then what it was signed
  // with, when, and the body it holds (shared with the event's other attempts).
  struct attempt_state {
    store::claimed_delivery cd;
    std::string signature;
    timestamp sent_at{};
    std::shared_ptr<encoding::encoded_event> encoded;
  };

  struct endpoint_slot {
    endpoint_gate gate;
    // Boxed from admission on: a claim is moved once, into its box, and the box is
    // what waits, goes on the wire and comes back with the outcome.
    std::deque<std::unique_ptr<attempt_state>> waiting;
  };

  auto slot_for(const std::string& endpoint_id, timestamp now) {
    auto it = gates_.find(endpoint_id);
    if (it == gates_.end()) {
      const std::size_t max = options_.max_in_flight_per_endpoint != 0
                                  ? options_.max_in_flight_per_endpoint
                                  : std::max<std::size_t>(options_.claim_batch, 64);
      it = gates_
               .emplace(endpoint_id, endpoint_slot{endpoint_gate(max, options_.rate_limit,
                                                                 options_.adaptive_throttling, now),
                                                   {}})
               .first;
    }
    return it;
  }

  void admit(store::claimed_delivery&& cd) {
    auto attempt = std::make_unique<attempt_state>();
    attempt->cd = std::move(cd);
    auto it = slot_for(attempt->cd.endpoint->endpoint.id, options_.clock->now());
    it->second.waiting.push_back(std::move(attempt));
    metrics_.waiting.fetch_add(1, std::memory_order_relaxed);
    drain(it);
  }

  void drain(const std::string& endpoint_id) {
    if (auto it = gates_.find(endpoint_id); it != gates_.end()) drain(it);
  }

  // Sends what the endpoint's gate lets through, oldest first. The id is the map's
  // key, which outlives every delivery popped here.
  void drain(typename std::unordered_map<std::string, endpoint_slot>::iterator it) {
    const std::string& endpoint_id = it->first;
    endpoint_slot& slot = it->second;
    while (!slot.waiting.empty() && live()) {
      const timestamp now = options_.clock->now();
      const auto a = slot.gate.admit(now);
      if (!a.admitted) {
        if (a.retry_at) {
          rate_blocked_.insert(endpoint_id);
          wakes_.hint_gate(*a.retry_at);
          arm();
        }
        return;
      }
      std::unique_ptr<attempt_state> attempt = std::move(slot.waiting.front());
      slot.waiting.pop_front();
      metrics_.waiting.fetch_sub(1, std::memory_order_relaxed);
      send(std::move(attempt));
    }
  }

  void drop_waiting() {
    for (auto& [id, slot] : gates_) {
      metrics_.waiting.fetch_sub(static_cast<std::int64_t>(slot.waiting.size()),
                                 std::memory_order_relaxed);
      slot.waiting.clear();
    }
    rate_blocked_.clear();
  }

  // --- bodies, signers, URLs ----------------------------------------------------------

  void take_inbox() {
    // `inbox_taken_` (strand only) and `inbox_` swap, so both keep their capacity.
    {
      std::lock_guard lock(inbox_mutex_);
      inbox_taken_.swap(inbox_);
      inbox_posted_ = false;
    }
    for (const pin_request& p : inbox_taken_) pin(p.event, p.deliveries);
    inbox_taken_.clear();
    pump();
  }

  // The event's next `deliveries` attempts are expected: the body is kept for them
  // from its first use on (or now, if an attempt still holds it).
  void pin(const std::shared_ptr<const model::event>& event, std::size_t deliveries) {
    cached_body& c = body_entry(event);
    if (!c.pinned) c.pinned = c.weak.lock();
    c.unsent += deliveries;
    c.pinned_until = options_.clock->now() + std::max(options_.lease_duration,
                                                      std::chrono::milliseconds{60'000});
  }

  cached_body& body_entry(const std::shared_ptr<const model::event>& event) {
    const auto [it, added] = bodies_.try_emplace(event->id);
    if (added) it->second.event = event; // the key views this event's id
    return it->second;
  }

  std::shared_ptr<encoding::encoded_event> encoded_for(
      const std::shared_ptr<const model::event>& event) {
    cached_body& c = body_entry(event);
    std::shared_ptr<encoding::encoded_event> e = c.pinned ? c.pinned : c.weak.lock();
    if (!e) {
      e = std::make_shared<encoding::encoded_event>(event, options_.cloudevents);
      c.weak = e;
    }
    if (c.unsent > 0) {
      if (--c.unsent == 0) c.pinned.reset();
      else c.pinned = e;
    }
    return e;
  }

  // Forgets idle gates and bodies nobody holds, once the maps have grown.
  void sweep() {
    const timestamp now = options_.clock->now();
    // Each map is walked when it has doubled since its last walk left it, so the
    // walks cost O(1) per entry added however many stay (a backlog of published
    // events keeps its pins; endpoints with work waiting keep their gates).
    if (gates_.size() >= sweep_gates_at_) {
      for (auto it = gates_.begin(); it != gates_.end();) {
        if (it->second.waiting.empty() && it->second.gate.at_rest(now)) it = gates_.erase(it);
        else ++it;
      }
      sweep_gates_at_ = std::max<std::size_t>(256, 2 * gates_.size());
    }
    if (bodies_.size() < sweep_bodies_at_) return;
    for (auto it = bodies_.begin(); it != bodies_.end();) {
      cached_body& c = it->second;
      if ((c.pinned || c.unsent > 0) && now >= c.pinned_until) {
        c.pinned.reset();
        c.unsent = 0;
      }
      if (!c.pinned && c.unsent == 0 && c.weak.expired()) it = bodies_.erase(it);
      else ++it;
    }
    sweep_bodies_at_ = std::max<std::size_t>(256, 2 * bodies_.size());
  }

  const endpoint_context& context_for(const store::endpoint_record& rec, timestamp now) {
    const model::webhook_endpoint& ep = rec.endpoint;
    auto it = contexts_.find(ep.id);
    if (it != contexts_.end() && it->second.version == rec.version &&
        it->second.secret == ep.secret && !(it->second.remake_at && now >= *it->second.remake_at))
      return it->second;
    if (contexts_.size() > 16384) contexts_.clear(); // bounded; remade on demand
    endpoint_context c;
    c.version = rec.version;
    c.secret = ep.secret;
    try {
      c.signer = std::make_shared<const signing::lucca_signer>(ep.secret);
    } catch (const std::invalid_argument& ex) { // empty secret
      c.signer_error = ex.what();
    }
    if (c.signer && options_.signature_scheme != signature_scheme::lucca) {
      auto bytes = [](const std::string& s) {
        return std::span<const std::uint8_t>{reinterpret_cast<const std::uint8_t*>(s.data()),
                                             s.size()};
      };
      std::vector<signing::standard_webhooks_key> keys;
      keys.emplace_back(bytes(ep.secret));
      if (rec.previous_secret && !rec.previous_secret->empty() && rec.previous_secret_expires_at &&
          now < *rec.previous_secret_expires_at) {
        keys.emplace_back(bytes(*rec.previous_secret));
        c.remake_at = rec.previous_secret_expires_at;
      }
      c.sw_signer = std::make_shared<const signing::standard_webhooks_signer>(std::move(keys));
    }
    if (auto target = parse_url(ep.webhook_url)) {
      c.target = std::move(*target);
    } else {
      c.target_error = target.error().code;
      c.target_rule = target.error().rule;
    }
    c.api_version = format_date(ep.api_version);
    return contexts_.insert_or_assign(ep.id, std::move(c)).first->second;
  }

  // --- one attempt --------------------------------------------------------------------

  void send(std::unique_ptr<attempt_state> attempt) {
    const store::claimed_delivery& cd = attempt->cd;
    const model::webhook_endpoint& ep = cd.endpoint->endpoint;
    const timestamp sent_at = options_.clock->now();
    const endpoint_context& ctx = context_for(*cd.endpoint, sent_at);
    auto encoded = encoded_for(cd.event);
    auto body = encoded->body(ep.content_type);
    char ts[rfc3339_seconds_length];
    write_rfc3339_seconds(ts, sent_at);
    const std::string_view ts_view(ts, sizeof ts);

    ++in_flight_;
    metrics_.in_flight.fetch_add(1, std::memory_order_relaxed);

    std::string signature;
    http::outcome local; // set when the request cannot even be made
    std::optional<http::request> req;
    if (!ctx.signer) {
      local.error = make_error_code(errc::invalid_secret);
      local.detail = ctx.signer_error;
    } else if (!ctx.target) {
      signature.assign(signing::lucca_signature_length, '\0');
      ctx.signer->sign_into(ts_view, *body, signature.data());
      local.error = ctx.target_error;
      local.detail = "invalid webhookUrl: " + ctx.target_rule;
    } else {
      signature.assign(signing::lucca_signature_length, '\0');
      ctx.signer->sign_into(ts_view, *body, signature.data());
      try {
        req.emplace("POST", *ctx.target, body);
        req->set("Content-Type", encoding::encoded_event::media_type(ep.content_type))
            .set("Api-Version", ctx.api_version);
        if (options_.signature_scheme != signature_scheme::standard_webhooks)
          req->set(signing::lucca_timestamp_header, ts_view)
              .set(signing::lucca_signature_header, signature);
        if (ctx.sw_signer) {
          const auto h = ctx.sw_signer->sign(cd.event->id, sent_at, *body);
          req->set(signing::standard_webhooks_id_header, h.id)
              .set(signing::standard_webhooks_timestamp_header, h.timestamp)
              .set(signing::standard_webhooks_signature_header, h.signature);
          // The attempt records what was sent; in Standard Webhooks mode alone,
          // that is the webhook-signature value.
          if (options_.signature_scheme == signature_scheme::standard_webhooks)
            signature = h.signature;
        }
      } catch (const std::invalid_argument& ex) { // a header value that cannot be sent
        req.reset();
        local.error = make_error_code(errc::protocol_error);
        local.detail = ex.what();
      }
    }
    // What the outcome needs travels in the box: the completion handler, moved
    // through every layer of the client and the strand, stays two pointers wide.
    attempt->signature = std::move(signature);
    attempt->sent_at = sent_at;
    attempt->encoded = std::move(encoded);
    if (!req) {
      asio::post(strand_, [self = this->shared_from_this(), attempt = std::move(attempt),
                           local = std::move(local)]() mutable {
        self->on_outcome(*attempt, std::move(local));
      });
      return;
    }
    client_.async_send(std::move(*req), [self = this->shared_from_this(),
                                         attempt = std::move(attempt)](http::outcome o) mutable {
      self->on_outcome(*attempt, std::move(o));
    });
  }

  // The attempt is done with after this call: the strings of its claim move into
  // the outcome instead of being copied.
  void on_outcome(attempt_state& attempt, http::outcome o) {
    store::claimed_delivery& cd = attempt.cd;
    const timestamp sent_at = attempt.sent_at;
    --in_flight_;
    metrics_.in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (abandoned_.load(std::memory_order_acquire) || stopped_) return;
    const std::string& endpoint_id = cd.endpoint->endpoint.id;
    auto slot = gates_.find(endpoint_id);
    if (stopping_ && o.error == errc::cancelled) {
      if (slot != gates_.end()) slot->second.gate.abandon();
      maybe_finish_stop();
      return;
    }
    if (slot != gates_.end()) {
      const auto before = slot->second.gate.throttles();
      slot->second.gate.complete(o.answered() && o.status >= 200 && o.status < 300,
                                 o.answered() && is_overload_status(o.status));
      if (slot->second.gate.throttles() != before)
        metrics_.throttled.fetch_add(1, std::memory_order_relaxed);
    }
    const timestamp done_at = options_.clock->now();
    if (o.latency.count() > 0) metrics_.attempt_latency.observe(o.latency);

    const auto attempts_made = static_cast<std::size_t>(cd.delivery.attempts_count) + 1;
    const schedule::attempt_plan plan = schedule::plan_after_attempt(
        options_.policy, options_.retries, o, attempts_made, done_at, rng_);
    const bool success = plan.action == schedule::response_action::delivered;

    pending_record p;
    store::attempt_outcome out;
    p.endpoint_id = std::move(cd.delivery.webhook_endpoint.id); // == endpoint_id
    p.event_id = std::move(cd.delivery.event.id);
    p.action = plan.action;
    // Only a failure is reported with its reason (operational events, suspension).
    if (!success) p.reason = o.answered() ? "HTTP " + std::to_string(o.status) : o.reason();
    auto& a = out.attempt;
    a.id = ids_.next(sent_at);
    a.url = join_url(options_.base_url, "webhook-delivery-attempts", a.id);
    a.signature = std::move(attempt.signature);
    a.webhook_delivery = model::reference{std::move(cd.delivery.id),
                                          std::string(model::webhook_delivery::type_name),
                                          std::move(cd.delivery.url)};
    a.is_successful = success;
    if (o.answered()) {
      a.response_status_code = o.status;
      if (!success) a.error_response_body = std::move(o.body); // SPEC.md Part 1 §7: non-2xx only
    } else {
      a.error_response_body = p.reason; // unanswered: never a success
    }
    a.created_at = sent_at;
    out.lease = std::move(cd.lease);
    switch (plan.action) {
    case schedule::response_action::delivered: out.status = model::delivery_status::delivered; break;
    case schedule::response_action::retry:
      out.status = model::delivery_status::undelivered;
      out.next_attempt_at = plan.next_attempt_at;
      break;
    case schedule::response_action::failed:
    case schedule::response_action::failed_and_suspend:
      out.status = model::delivery_status::failed;
      break;
    }
    pending_.push_back(std::move(out), std::move(p));
    schedule_flush();
    drain(endpoint_id);
  }

  // --- recording ----------------------------------------------------------------------

  // Outcomes that complete while a record call runs, or in the same turn of the
  // strand, go to the store together.
  void schedule_flush() {
    if (flush_posted_ || recording_) return;
    flush_posted_ = true;
    asio::post(strand_, [self = this->shared_from_this()] {
      self->flush_posted_ = false;
      self->flush();
    });
  }

  // The batch being recorded is a member (one record call at a time): it and
  // `pending_` swap, and both keep their capacity from one batch to the next.
  void flush() {
    if (recording_ || pending_.empty() || abandoned_.load(std::memory_order_acquire)) return;
    recording_ = true;
    WEBHOOKD_ASSERT(recorded_.empty());
    std::swap(recorded_, pending_);
    const timestamp now = options_.clock->now();
    metrics_.record_batches.fetch_add(1, std::memory_order_relaxed);
    if constexpr (store::records_then_claims<Store>) {
      // The claim goes with the record when none is on its way: the deliveries just
      // recorded stop counting against their endpoint's in-flight limit inside the
      // same transaction, so a busy endpoint costs one round trip per cycle.
      const std::size_t held = held_deliveries() - recorded_.outcomes.size();
      if (live() && !claiming_ && (options_.max_held == 0 || held < options_.max_held)) {
        claiming_ = true;
        pump_again_ = false;
        metrics_.claims_with_records.fetch_add(1, std::memory_order_relaxed);
        with_store(
            [batch = std::span<const store::attempt_outcome>(recorded_.outcomes), now,
             req = next_claim(held)](Store& s) { return s.record_then_claim(batch, req, now); },
            // By reference: the by-value parameter, moved into from the pool's
            // result, is what GCC 12 at -O3 reports as maybe-uninitialized (-Werror).
            [self = this->shared_from_this()](result<store::record_and_claim_result>&& r) {
              if (!r) {
                // Counted once, as a record that failed (its outcomes are retried);
                // the claim took nothing.
                self->on_recorded(self->recorded_, unexpected(r.error()), false);
                self->on_claimed(std::vector<store::claimed_delivery>{});
                return;
              }
              self->on_recorded(self->recorded_, std::move(r->recorded), false);
              self->on_claimed(std::move(r->claimed));
            });
        return;
      }
    }
    with_store(
        [batch = std::span<const store::attempt_outcome>(recorded_.outcomes), now](Store& s) {
          return s.record(batch, now);
        },
        [self = this->shared_from_this()](result<std::vector<store::record_result>> r) {
          self->on_recorded(self->recorded_, std::move(r));
        });
  }

  // `then_pump`: false when a claim made with the record follows (`on_claimed`).
  void on_recorded(record_batch& batch, result<std::vector<store::record_result>> recorded,
                   bool then_pump = true) {
    recording_ = false;
    const std::size_t n = batch.outcomes.size();
    if (!recorded || recorded->size() != n) {
      // `record` is idempotent (attempt ids): the same outcomes can be sent again.
      // After a few failures they are left to their leases: the deliveries are
      // claimed and attempted again (at-least-once).
      metrics_.store_errors.fetch_add(1, std::memory_order_relaxed);
      for (std::size_t i = 0; i < n; ++i)
        if (++batch.records[i].tries < max_record_tries)
          pending_.push_back(std::move(batch.outcomes[i]), std::move(batch.records[i]));
    } else {
      const timestamp now = options_.clock->now();
      for (std::size_t i = 0; i < n; ++i)
        after_record(batch.outcomes[i], batch.records[i], (*recorded)[i], now);
    }
    batch.clear();
    if (!pending_.empty()) schedule_flush();
    if (stopping_) {
      maybe_finish_stop();
      return;
    }
    // Finished deliveries free per-endpoint capacity in the store: claim again.
    if (then_pump) pump();
  }

  void after_record(const store::attempt_outcome& out, const pending_record& p,
                    const store::record_result& rr, timestamp now) {
    // A lost lease: the attempt is not ours to report (another process owns the
    // delivery now). Already recorded: a retried record that had succeeded.
    if (rr.error || rr.already_recorded) return;
    metrics_.attempts.fetch_add(1, std::memory_order_relaxed);
    if (out.status == model::delivery_status::delivered) {
      metrics_.delivered.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    operational_event ev;
    ev.kind = operational_event_kind::attempt_failed;
    ev.endpoint_id = p.endpoint_id;
    ev.event_id = p.event_id;
    ev.delivery_id = out.attempt.webhook_delivery.id;
    ev.attempt_id = out.attempt.id;
    ev.status_code = out.attempt.response_status_code;
    ev.reason = p.reason;
    ev.at = now;
    emit(ev);
    if (out.status == model::delivery_status::failed) {
      metrics_.failed.fetch_add(1, std::memory_order_relaxed);
      ev.kind = operational_event_kind::delivery_failed;
      emit(ev);
    } else {
      metrics_.retried.fetch_add(1, std::memory_order_relaxed);
      // The store may have held it instead (endpoint no longer active).
      if (rr.delivery && rr.delivery->next_attempt_at) {
        wakes_.add(*rr.delivery->next_attempt_at, out.attempt.webhook_delivery.id);
        metrics_.wheel_pending.store(static_cast<std::int64_t>(wakes_.deliveries()),
                                     std::memory_order_relaxed);
        arm();
      }
    }
    if (p.action == schedule::response_action::failed_and_suspend) {
      suspend(p.endpoint_id, p.reason, now);
    } else if (rr.health) {
      check_health(p.endpoint_id, *rr.health, now);
    }
  }

  void check_health(const std::string& endpoint_id, const store::endpoint_health& h,
                    timestamp now) {
    const suspension_policy& pol = options_.suspension;
    if (pol.consecutive_failed_deliveries > 0 &&
        h.consecutive_failed_deliveries >= pol.consecutive_failed_deliveries) {
      suspend(endpoint_id,
              std::to_string(h.consecutive_failed_deliveries) + " deliveries in a row failed", now);
      return;
    }
    if (pol.failing_for.count() > 0 && h.failing_since && now - *h.failing_since >= pol.failing_for)
      suspend(endpoint_id, "no success while failing since " + format_rfc3339(*h.failing_since),
              now);
  }

  void suspend(const std::string& endpoint_id, std::string reason, timestamp now) {
    with_store(
        [endpoint_id, now](Store& s) -> result<bool> {
          auto current = s.get_endpoint(endpoint_id);
          if (!current || current->endpoint.status != model::endpoint_status::active) return false;
          auto done = s.suspend_endpoint(endpoint_id, now);
          if (!done) return unexpected(done.error());
          return true;
        },
        [self = this->shared_from_this(), endpoint_id, reason = std::move(reason),
         now](result<bool> suspended) {
          if (!suspended) {
            self->metrics_.store_errors.fetch_add(1, std::memory_order_relaxed);
            return;
          }
          if (!*suspended) return;
          self->metrics_.suspended.fetch_add(1, std::memory_order_relaxed);
          operational_event ev;
          ev.kind = operational_event_kind::endpoint_suspended;
          ev.endpoint_id = endpoint_id;
          ev.reason = reason;
          ev.at = now;
          self->emit(ev);
        });
  }

  // --- housekeeping -------------------------------------------------------------------

  // Retention (SPEC.md Part 1 §17): at most once per purge_interval of engine time.
  void maybe_purge(timestamp now) {
    if (options_.retention.count() <= 0) return;
    if (next_purge_ && now < *next_purge_) return;
    next_purge_ = now + options_.purge_interval;
    store::purge_request req;
    req.older_than = now - options_.retention;
    with_store([req](Store& s) { return s.purge(req); },
               [self = this->shared_from_this()](result<store::purge_report> r) {
                 // A failure is retried at the next interval.
                 if (!r) self->metrics_.store_errors.fetch_add(1, std::memory_order_relaxed);
               });
  }

  void maybe_refresh_stats(timestamp now) {
    if (next_stats_ && now < *next_stats_) return;
    next_stats_ = now + options_.stats_interval;
    with_store([now](Store& s) { return s.stats(now); },
               [self = this->shared_from_this()](result<store::store_stats> st) {
                 if (!st) {
                   self->metrics_.store_errors.fetch_add(1, std::memory_order_relaxed);
                   return;
                 }
                 self->metrics_.queue_depth.store(st->scheduled, std::memory_order_relaxed);
                 self->metrics_.held.store(st->held, std::memory_order_relaxed);
               });
  }

  // --- stop ---------------------------------------------------------------------------

  // Finishes the stop once nothing of this engine is on the wire, waiting to be
  // recorded, or being claimed. @returns true when the stop is (being) finished.
  bool maybe_finish_stop() {
    if (!stopping_ || stopped_) return stopped_;
    if (releasing_) return true;
    if (in_flight_ != 0 || claiming_ || recording_ || !pending_.empty()) return false;
    releasing_ = true;
    timer_.cancel();
    stop_timer_.cancel();
    client_.stop();
    with_store([owner = options_.owner](Store& s) { return s.release(owner); },
               [self = this->shared_from_this()](result<std::size_t>) {
                 self->stopped_ = true;
                 self->running_ = false;
                 auto waiters = std::move(self->stop_waiters_);
                 self->stop_waiters_.clear();
                 for (auto& w : waiters) w();
               });
    return true;
  }

  // An event just published, whose body the strand pins for its fan-out.
  struct pin_request {
    std::shared_ptr<const model::event> event; // shared: its id is not copied
    std::size_t deliveries = 0;
  };

  strand_type strand_;
  Store& store_;
  engine_options options_;
  http::client client_;
  asio::steady_timer timer_;      // the loop's one wake-up
  asio::steady_timer stop_timer_; // the graceful stop's deadline
  id_generator ids_;
  std::mt19937_64 rng_;
  webhookd::engine::metrics metrics_;
  std::atomic<bool> abandoned_{false};
  bool starting_ = false;
  bool running_ = false;
  bool stopping_ = false;
  bool releasing_ = false;
  bool stopped_ = false;
  bool claiming_ = false;
  bool pump_again_ = false;
  bool recording_ = false;
  bool flush_posted_ = false;
  std::size_t in_flight_ = 0;
  std::size_t claim_max_ = 0; // `max` of the claim under way
  std::size_t sweep_gates_at_ = 256;  // sweep(): walk `gates_` at this size
  std::size_t sweep_bodies_at_ = 256; // and `bodies_` at this one
  wake_schedule wakes_;
  std::optional<timestamp> armed_for_;
  timestamp next_store_look_{};
  std::optional<timestamp> next_purge_;
  std::optional<timestamp> next_stats_;
  std::vector<std::function<void()>> stop_waiters_;
  record_batch pending_;
  record_batch recorded_; // handed to the store's `record`
  std::unordered_map<std::string, endpoint_slot> gates_;
  std::unordered_set<std::string> rate_blocked_;
  std::unordered_map<std::string_view, cached_body> bodies_; // keys: view of `event->id`
  std::unordered_map<std::string, endpoint_context> contexts_;
  std::optional<asio::thread_pool> pool_; // blocking stores only
  std::mutex inbox_mutex_; // publish (any thread) -> strand
  std::vector<pin_request> inbox_;
  std::vector<pin_request> inbox_taken_;
  bool inbox_posted_ = false;
};

} // namespace detail

template <store::delivery_store Store>
engine<Store>::engine(const asio::any_io_executor& ex, Store& store, engine_options options)
    : state_(std::make_shared<detail::engine_state<Store>>(ex, store, std::move(options))) {}

template <store::delivery_store Store>
engine<Store>::~engine() {
  if (state_) state_->abandon();
}

template <store::delivery_store Store>
auto engine<Store>::get_executor() const noexcept -> executor_type {
  return state_->strand();
}

template <store::delivery_store Store>
void engine<Store>::start() {
  state_->start();
}

template <store::delivery_store Store>
void engine<Store>::stop(std::chrono::milliseconds deadline, std::function<void()> on_stopped) {
  state_->stop(deadline, std::move(on_stopped));
}

template <store::delivery_store Store>
auto engine<Store>::publish(model::event e, const publish_options& options) -> publish_result {
  return state_->publish(std::move(e), options);
}

template <store::delivery_store Store>
template <class CompletionToken>
auto engine<Store>::async_publish(model::event e, publish_options options,
                                  CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(publish_result)>(
      [state = state_](auto handler, model::event ev, publish_options o) {
        state->async_publish(std::move(ev), std::move(o), std::move(handler));
      },
      token, std::move(e), std::move(options));
}

template <store::delivery_store Store>
result<model::webhook_delivery, publish_error> engine<Store>::send_test(
    std::string_view endpoint_id) {
  return state_->send_test(endpoint_id);
}

template <store::delivery_store Store>
result<model::webhook_delivery, publish_error> engine<Store>::resend(
    std::string_view event_id, std::string_view endpoint_id) {
  return state_->resend(event_id, endpoint_id);
}

template <store::delivery_store Store>
void engine<Store>::challenge(std::string_view webhook_url,
                              std::function<void(challenge_result)> done) {
  state_->challenge(webhook_url, std::move(done));
}

template <store::delivery_store Store>
result<store::endpoint_record> engine<Store>::rotate_secret(std::string_view endpoint_id) {
  return state_->rotate_secret(endpoint_id);
}

template <store::delivery_store Store>
void engine<Store>::wake() {
  state_->wake();
}

template <store::delivery_store Store>
result<store::endpoint_record> engine<Store>::reactivate_endpoint(std::string_view endpoint_id) {
  return state_->reactivate_endpoint(endpoint_id);
}

template <store::delivery_store Store>
const webhookd::engine::metrics& engine<Store>::metrics() const noexcept {
  return state_->counters();
}

template <store::delivery_store Store>
const std::string& engine<Store>::owner() const noexcept {
  return state_->options().owner;
}

} // namespace webhookd::engine

#endif // WEBHOOKD_ENGINE_IMPL_ENGINE_HPP
