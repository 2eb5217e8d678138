// SPDX-License-Identifier: MIT
// Asynchronous name resolution with a small time-to-live cache.
#ifndef WEBHOOKD_HTTP_RESOLVER_HPP
#define WEBHOOKD_HTTP_RESOLVER_HPP

#include <webhookd/detail/config.hpp>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace webhookd::http {

/// The addresses a name resolved to, shared between the cache and its readers.
using address_list = std::shared_ptr<const std::vector<asio::ip::address>>;

/** Resolves host names to addresses, remembering answers for a while.

    The system resolver (`getaddrinfo`) does not report record TTLs, so answers are
    kept for a fixed `ttl` (30 s by default) and the cache holds at most
    `max_entries` names; it is emptied of expired entries, then entirely, when full.
    IP literals are answered at once without a lookup. Failures are not cached.

    The addresses are returned as resolved: callers decide which of them may be
    connected to (see `address_guard`).

    @note Asio performs `getaddrinfo` on an internal thread of its resolver service,
    started on the first name lookup; handlers still run on their own executors.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe (use one strand).
*/
class resolver {
public:
  using executor_type = asio::any_io_executor;
  using clock_type = std::chrono::steady_clock;

  explicit resolver(const executor_type& ex, std::chrono::seconds ttl = std::chrono::seconds{30},
                    std::size_t max_entries = 1024)
      : resolver_(ex), ttl_(ttl), max_entries_(max_entries) {}

  executor_type get_executor() noexcept { return resolver_.get_executor(); }

  /// The cached answer for `host` if it has not expired, otherwise null. IP literals
  /// are always answered.
  address_list cached(std::string_view host) {
    asio::error_code ec;
    const auto literal = asio::ip::make_address(std::string(host), ec);
    if (!ec) return std::make_shared<const std::vector<asio::ip::address>>(1, literal);
    const auto it = cache_.find(std::string(host));
    if (it == cache_.end()) return nullptr;
    if (clock_type::now() >= it->second.expires) {
      cache_.erase(it);
      return nullptr;
    }
    return it->second.addresses;
  }

  /** Resolves `host` to its addresses.

      @param host a DNS name or an IP literal (IPv6 without brackets).
      @param token the completion token.

      @par Completion signature
      @code void(std::error_code ec, address_list addresses) @endcode
      `addresses` is non-null and non-empty when `ec` is empty.

      @par Per-operation cancellation
      Not supported; `cancel()` aborts every lookup in progress with
      `asio::error::operation_aborted`.
  */
  template <asio::completion_token_for<void(std::error_code, address_list)> CompletionToken =
                asio::default_completion_token_t<executor_type>>
  auto async_resolve(std::string host,
                     CompletionToken&& token = asio::default_completion_token_t<executor_type>()) {
    return asio::async_initiate<CompletionToken, void(std::error_code, address_list)>(
        [this](auto handler, std::string host) {
          if (auto hit = cached(host)) {
            auto ex = asio::get_associated_executor(handler, resolver_.get_executor());
            asio::post(ex, [h = std::move(handler), hit = std::move(hit)]() mutable {
              std::move(h)(std::error_code{}, std::move(hit));
            });
            return;
          }
          resolver_.async_resolve(
              host, std::string_view{}, asio::ip::tcp::resolver::flags{},
              [this, h = std::move(handler), host](const std::error_code& ec,
                                                   asio::ip::tcp::resolver::results_type r) mutable {
                if (ec) return std::move(h)(ec, address_list{});
                std::vector<asio::ip::address> out;
                for (const auto& entry : r) {
                  const auto a = entry.endpoint().address();
                  if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
                }
                if (out.empty())
                  return std::move(h)(make_error_code(asio::error::host_not_found), address_list{});
                auto list = std::make_shared<const std::vector<asio::ip::address>>(std::move(out));
                store(std::move(host), list);
                std::move(h)(std::error_code{}, std::move(list));
              });
        },
        token, std::move(host));
  }

  /// Aborts the lookups in progress.
  void cancel() { resolver_.cancel(); }

  /// Forgets every cached answer.
  void clear() noexcept { cache_.clear(); }

  /// The number of cached names (expired ones included until they are evicted).
  std::size_t size() const noexcept { return cache_.size(); }

private:
  struct entry {
    address_list addresses;
    clock_type::time_point expires;
  };

  void store(std::string host, address_list list) {
    if (ttl_.count() <= 0 || max_entries_ == 0) return;
    const auto now = clock_type::now();
    if (cache_.size() >= max_entries_) {
      std::erase_if(cache_, [now](const auto& kv) { return now >= kv.second.expires; });
      if (cache_.size() >= max_entries_) cache_.clear();
    }
    cache_[std::move(host)] = entry{std::move(list), now + ttl_};
  }

  asio::ip::tcp::resolver resolver_;
  std::chrono::seconds ttl_;
  std::size_t max_entries_;
  std::unordered_map<std::string, entry> cache_;
};

} // namespace webhookd::http

#endif // WEBHOOKD_HTTP_RESOLVER_HPP
