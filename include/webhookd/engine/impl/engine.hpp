// SPDX-License-Identifier: MIT
// The bodies of engine<Store>: publish, the claim/send/record loop, suspension, stop.
#ifndef WEBHOOKD_ENGINE_IMPL_ENGINE_HPP
#define WEBHOOKD_ENGINE_IMPL_ENGINE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/engine/engine.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/id.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/core/url.hpp>
#include <webhookd/encoding/encoded_event.hpp>
#include <webhookd/http/client.hpp>
#include <webhookd/http/request.hpp>
#include <webhookd/model/event_validation.hpp>
#include <webhookd/schedule/response_policy.hpp>
#include <webhookd/signing/lucca.hpp>
#include <webhookd/signing/secret.hpp>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace webhookd::engine {
namespace detail {

inline std::string make_owner() {
  std::random_device rd;
  static constexpr char hex[] = "0123456789abcdef";
  std::string s = "webhookd-";
  for (int i = 0; i < 4; ++i) {
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

inline std::string join_url(const std::string& base, std::string_view collection,
                            const std::string& id) {
  if (base.empty()) return {};
  std::string u = base;
  u.append("/").append(collection).append("/").append(id);
  return u;
}

template <class Store>
class engine_state : public std::enable_shared_from_this<engine_state<Store>> {
public:
  using strand_type = asio::strand<asio::any_io_executor>;

  engine_state(const asio::any_io_executor& ex, Store& store, engine_options options)
      : strand_(asio::make_strand(ex)), store_(store), options_(std::move(options)),
        client_(asio::any_io_executor(strand_), client_options_of(options_)), timer_(strand_),
        stop_timer_(strand_), rng_(std::random_device{}()) {
    if (options_.owner.empty()) options_.owner = make_owner();
    if (options_.clock == nullptr) options_.clock = &default_clock();
    if (options_.claim_batch == 0) options_.claim_batch = 1;
  }

  const strand_type& strand() const noexcept { return strand_; }
  const engine_options& options() const noexcept { return options_; }
  const webhookd::engine::metrics& counters() const noexcept { return metrics_; }

  // --- any thread ---------------------------------------------------------------------

  result<model::event, publish_error> publish(model::event e) {
    const timestamp now = options_.clock->now();
    if (e.id.empty()) e.id = ids_.next(now);
    if (auto valid = model::validate_event(e); !valid)
      return unexpected(publish_error{std::make_error_code(std::errc::invalid_argument),
                                      std::move(valid.error())});
    if (e.url.empty()) e.url = join_url(options_.base_url, "events", e.id);

    auto endpoints = store_.endpoints_for_topic(e.topic);
    if (!endpoints) return unexpected(publish_error{endpoints.error(), {}});

    store::enqueue_request request;
    for (const store::endpoint_record& rec : *endpoints) {
      const model::webhook_endpoint& ep = rec.endpoint;
      if (ep.status == model::endpoint_status::inactive) continue; // SPEC.md Part 1 §10
      if (!establishment_matches(ep, e)) continue;
      request.deliveries.push_back(make_delivery(e, ep, now));
    }
    request.event = std::move(e);
    auto stored = store_.enqueue(request, now);
    if (!stored) return unexpected(publish_error{stored.error(), {}});
    WEBHOOKD_ASSERT(stored->event.has_value());
    if (!stored->replayed) {
      metrics_.published.fetch_add(1, std::memory_order_relaxed);
      metrics_.deliveries_created.fetch_add(stored->deliveries.size(), std::memory_order_relaxed);
    }
    if (!stored->deliveries.empty() && !stored->replayed) {
      // The body is encoded once, on the strand, by the first delivery that needs it;
      // holding the encoded_event until the loop has claimed keeps it for the batch.
      auto encoded = std::make_shared<encoding::encoded_event>(
          std::make_shared<const model::event>(*stored->event), options_.cloudevents);
      asio::post(strand_, [self = this->shared_from_this(), encoded] {
        self->remember(encoded);
        self->pump();
      });
    }
    return std::move(*stored->event);
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
    // Signers are cached by endpoint id and secret: the next claim snapshot carries
    // the new secret and is keyed afresh.
    return store_.rotate_secret(id, signing::generate_secret(), now + options_.secret_overlap, now);
  }

  void wake() {
    asio::post(strand_, [self = this->shared_from_this()] { self->pump(); });
  }

  void start() {
    asio::post(strand_, [self = this->shared_from_this()] {
      if (self->running_ || self->stopped_ || self->abandoned_) return;
      (void)self->store_.release(self->options_.owner); // what a previous run left
      self->running_ = true;
      self->pump();
    });
  }

  void stop(std::chrono::milliseconds deadline, std::function<void()> on_stopped) {
    asio::post(strand_, [self = this->shared_from_this(), deadline,
                         on_stopped = std::move(on_stopped)]() mutable {
      if (self->stopped_ || self->stopping_) {
        if (on_stopped) {
          if (self->stopped_) on_stopped();
          else self->stop_waiters_.push_back(std::move(on_stopped));
        }
        return;
      }
      self->stopping_ = true;
      if (on_stopped) self->stop_waiters_.push_back(std::move(on_stopped));
      self->timer_.cancel();
      if (self->in_flight_ == 0) {
        self->finish_stop();
        return;
      }
      self->stop_timer_.expires_after(deadline);
      self->stop_timer_.async_wait([self](const std::error_code& ec) {
        if (ec || self->stopped_) return;
        self->finish_stop();
      });
    });
  }

  // Called by ~engine: from now on nothing touches the store.
  void abandon() {
    abandoned_.store(true, std::memory_order_release);
    asio::post(strand_, [self = this->shared_from_this()] {
      self->timer_.cancel();
      self->stop_timer_.cancel();
      self->client_.stop();
    });
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
    wake();
    return std::move(stored->deliveries.front());
  }

  static http::client_options client_options_of(const engine_options& o) {
    http::client_options c = o.http;
    c.timeout = o.attempt_timeout;
    return c;
  }

  bool live() const noexcept {
    return running_ && !stopping_ && !abandoned_.load(std::memory_order_acquire);
  }

  void emit(const operational_event& ev) {
    if (options_.on_event) options_.on_event(ev);
  }

  // --- strand only --------------------------------------------------------------------

  void remember(const std::shared_ptr<encoding::encoded_event>& e) {
    encoded_[e->event().id] = e;
  }

  std::shared_ptr<encoding::encoded_event> encoded_for(
      const std::shared_ptr<const model::event>& event) {
    auto& slot = encoded_[event->id];
    if (auto e = slot.lock()) return e;
    auto e = std::make_shared<encoding::encoded_event>(event, options_.cloudevents);
    slot = e;
    return e;
  }

  void sweep() {
    if (encoded_.size() < 64 + 2 * in_flight_) return;
    std::erase_if(encoded_, [](const auto& kv) { return kv.second.expired(); });
  }

  std::shared_ptr<const signing::lucca_signer> signer_for(const model::webhook_endpoint& ep) {
    auto it = signers_.find(ep.id);
    if (it != signers_.end() && it->second.first == ep.secret) return it->second.second;
    if (signers_.size() > 4096) signers_.clear(); // bounded; re-keyed on demand
    auto s = std::make_shared<const signing::lucca_signer>(ep.secret);
    signers_[ep.id] = {ep.secret, s};
    return s;
  }

  void pump() {
    if (!live()) return;
    const timestamp now = options_.clock->now();
    maybe_purge(now);
    store::claim_request req;
    req.now = now;
    req.max = options_.claim_batch;
    req.owner = options_.owner;
    req.lease_duration = options_.lease_duration;
    req.max_in_flight_per_endpoint = options_.max_in_flight_per_endpoint;
    req.fifo = options_.fifo;
    auto claimed = store_.claim_due(req);
    if (!claimed) {
      arm(options_.max_idle);
      return;
    }
    const bool full = claimed->size() >= options_.claim_batch;
    for (store::claimed_delivery& cd : *claimed) send(std::move(cd));
    sweep();
    if (full) {
      asio::post(strand_, [self = this->shared_from_this()] { self->pump(); });
      return;
    }
    arm_from_store(now);
  }

  // Retention (SPEC.md Part 1 §17): at most once per purge_interval of engine time.
  void maybe_purge(timestamp now) {
    if (options_.retention.count() <= 0) return;
    if (next_purge_ && now < *next_purge_) return;
    next_purge_ = now + options_.purge_interval;
    store::purge_request req;
    req.older_than = now - options_.retention;
    (void)store_.purge(req); // a failure is retried at the next interval
  }

  void arm_from_store(timestamp now) {
    auto wait = options_.max_idle;
    auto next = store_.next_due_at(now);
    // A due time in the past means work that limits or another owner's lease hold
    // back: an attempt's completion (or max_idle) looks again.
    if (next && *next && **next > now)
      wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(**next - now));
    arm(wait);
  }

  void arm(std::chrono::milliseconds wait) {
    timer_.expires_after(wait);
    timer_.async_wait([self = this->shared_from_this()](const std::error_code& ec) {
      if (ec) return;
      self->pump();
    });
  }

  void send(store::claimed_delivery cd) {
    const model::webhook_endpoint& ep = cd.endpoint->endpoint;
    auto encoded = encoded_for(cd.event);
    auto body = encoded->body(ep.content_type);
    const timestamp sent_at = options_.clock->now();
    char ts[rfc3339_seconds_length];
    write_rfc3339_seconds(ts, sent_at);
    const std::string_view ts_view(ts, sizeof ts);

    ++in_flight_;
    metrics_.in_flight.fetch_add(1, std::memory_order_relaxed);

    std::string signature;
    http::outcome local; // set when the request cannot even be made
    std::optional<http::request> req;
    try {
      auto signer = signer_for(ep);
      signature.assign(signing::lucca_signature_length, '\0');
      signer->sign_into(ts_view, *body, signature.data());
      auto target = parse_url(ep.webhook_url);
      if (!target) {
        local.error = target.error().code;
        local.detail = "invalid webhookUrl: " + target.error().rule;
      } else {
        req.emplace("POST", std::move(*target), body);
        req->set("Content-Type", encoding::encoded_event::media_type(ep.content_type))
            .set("Api-Version", format_date(ep.api_version))
            .set(signing::lucca_timestamp_header, ts_view)
            .set(signing::lucca_signature_header, signature);
      }
    } catch (const std::invalid_argument& ex) { // empty secret, bad header value
      local.error = make_error_code(errc::protocol_error);
      local.detail = ex.what();
    }
    if (!req) {
      asio::post(strand_, [self = this->shared_from_this(), cd = std::move(cd),
                           signature = std::move(signature), sent_at,
                           local = std::move(local)]() mutable {
        self->on_outcome(cd, signature, sent_at, std::move(local));
      });
      return;
    }
    client_.async_send(std::move(*req),
                       [self = this->shared_from_this(), cd = std::move(cd),
                        signature = std::move(signature), sent_at,
                        encoded = std::move(encoded)](http::outcome o) mutable {
                         self->on_outcome(cd, signature, sent_at, std::move(o));
                       });
  }

  void on_outcome(const store::claimed_delivery& cd, const std::string& signature,
                  timestamp sent_at, http::outcome o) {
    --in_flight_;
    metrics_.in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (abandoned_.load(std::memory_order_acquire) || stopped_) return;
    if (stopping_ && o.error == errc::cancelled) {
      maybe_finish_stop();
      return;
    }
    const timestamp done_at = options_.clock->now();
    if (o.latency.count() > 0) metrics_.attempt_latency.observe(o.latency);

    const auto attempts_made = static_cast<std::size_t>(cd.delivery.attempts_count) + 1;
    const schedule::attempt_plan plan =
        schedule::plan_after_attempt(options_.policy, options_.retries, o, attempts_made, done_at, rng_);
    const bool success = plan.action == schedule::response_action::delivered;

    store::attempt_outcome out;
    auto& a = out.attempt;
    a.id = ids_.next(sent_at);
    a.url = join_url(options_.base_url, "webhook-delivery-attempts", a.id);
    a.signature = signature;
    a.webhook_delivery = model::reference{cd.delivery.id,
                                          std::string(model::webhook_delivery::type_name),
                                          cd.delivery.url};
    a.is_successful = success;
    if (o.answered()) {
      a.response_status_code = o.status;
      if (!success) a.error_response_body = o.body; // SPEC.md Part 1 §7: non-2xx only
    } else {
      a.error_response_body = o.reason();
    }
    a.created_at = sent_at;
    out.lease = cd.lease;
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

    auto recorded = store_.record(std::span<const store::attempt_outcome>(&out, 1), done_at);
    // A store failure or a lost lease: the attempt is not ours to report; the lease
    // runs out and the delivery is claimed again (at-least-once).
    if (recorded && recorded->size() == 1 && !(*recorded)[0].error &&
        !(*recorded)[0].already_recorded) {
      const store::record_result& rr = (*recorded)[0];
      metrics_.attempts.fetch_add(1, std::memory_order_relaxed);
      const std::string& endpoint_id = cd.endpoint->endpoint.id;
      if (success) {
        metrics_.delivered.fetch_add(1, std::memory_order_relaxed);
      } else {
        operational_event ev;
        ev.kind = operational_event_kind::attempt_failed;
        ev.endpoint_id = endpoint_id;
        ev.event_id = cd.delivery.event.id;
        ev.delivery_id = cd.delivery.id;
        ev.attempt_id = a.id;
        ev.status_code = a.response_status_code;
        ev.reason = o.answered() ? "HTTP " + std::to_string(o.status) : a.error_response_body;
        ev.at = done_at;
        emit(ev);
        if (out.status == model::delivery_status::failed) {
          metrics_.failed.fetch_add(1, std::memory_order_relaxed);
          ev.kind = operational_event_kind::delivery_failed;
          emit(ev);
        } else {
          metrics_.retried.fetch_add(1, std::memory_order_relaxed);
        }
        if (plan.action == schedule::response_action::failed_and_suspend) {
          suspend(endpoint_id, "HTTP " + std::to_string(o.status), done_at);
        } else if (rr.health) {
          check_health(endpoint_id, *rr.health, done_at);
        }
      }
    }
    if (stopping_) {
      maybe_finish_stop();
      return;
    }
    pump();
  }

  void check_health(const std::string& endpoint_id, const store::endpoint_health& h,
                    timestamp now) {
    const suspension_policy& p = options_.suspension;
    if (p.consecutive_failed_deliveries > 0 &&
        h.consecutive_failed_deliveries >= p.consecutive_failed_deliveries) {
      suspend(endpoint_id,
              std::to_string(h.consecutive_failed_deliveries) + " deliveries in a row failed", now);
      return;
    }
    if (p.failing_for.count() > 0 && h.failing_since && now - *h.failing_since >= p.failing_for)
      suspend(endpoint_id, "no success while failing since " + format_rfc3339(*h.failing_since),
              now);
  }

  void suspend(const std::string& endpoint_id, std::string reason, timestamp now) {
    auto current = store_.get_endpoint(endpoint_id);
    if (!current || current->endpoint.status != model::endpoint_status::active) return;
    if (!store_.suspend_endpoint(endpoint_id, now)) return;
    metrics_.suspended.fetch_add(1, std::memory_order_relaxed);
    operational_event ev;
    ev.kind = operational_event_kind::endpoint_suspended;
    ev.endpoint_id = endpoint_id;
    ev.reason = std::move(reason);
    ev.at = now;
    emit(ev);
  }

  void maybe_finish_stop() {
    if (stopping_ && !stopped_ && in_flight_ == 0) finish_stop();
  }

  void finish_stop() {
    stopped_ = true;
    running_ = false;
    timer_.cancel();
    stop_timer_.cancel();
    client_.stop(); // what is still in flight ends with errc::cancelled, unrecorded
    (void)store_.release(options_.owner);
    auto waiters = std::move(stop_waiters_);
    for (auto& w : waiters) w();
  }

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
  bool running_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  std::size_t in_flight_ = 0;
  std::optional<timestamp> next_purge_;
  std::vector<std::function<void()>> stop_waiters_;
  std::unordered_map<std::string, std::weak_ptr<encoding::encoded_event>> encoded_;
  std::unordered_map<std::string,
                     std::pair<std::string, std::shared_ptr<const signing::lucca_signer>>>
      signers_;
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
result<model::event, publish_error> engine<Store>::publish(model::event e) {
  return state_->publish(std::move(e));
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
