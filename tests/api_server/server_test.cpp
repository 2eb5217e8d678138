#include <webhookd/api/server.hpp> // must be self-contained

#include "certs.hpp"
#include "client.hpp"
#include "test_server.hpp"

#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/ip/address.hpp>
#include <asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace api = webhookd::api;
namespace test = webhookd::test;
using namespace std::chrono_literals;

namespace {

// Answers "<method> <target> <body>" and reports the peer in X-Remote.
void echo(api::request req, api::response_sink done) {
  api::response r;
  r.headers.add("Content-Type", "text/plain");
  r.headers.add("X-Remote", req.remote_address);
  r.body = req.method + " " + req.target + " " + req.body;
  done(std::move(r));
}

std::string get_request(std::string_view target, std::string_view extra = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

asio::ssl::context server_tls() {
  asio::ssl::context ctx(asio::ssl::context::tls_server);
  ctx.use_certificate_chain(asio::buffer(test::pki().server.cert_pem));
  ctx.use_private_key(asio::buffer(test::pki().server.key_pem), asio::ssl::context::pem);
  return ctx;
}

asio::ssl::context client_tls() {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.add_certificate_authority(asio::buffer(test::pki().ca.cert_pem));
  ctx.set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

} // namespace

// One io_context runs the server and the test's clients, on the test's thread.
class api_server : public ::testing::Test {
protected:
  void start(api::request_handler h, api::server_options o = {}) {
    server = std::make_unique<api::server>(io.get_executor(), std::move(h), o);
    ASSERT_FALSE(server->listen({asio::ip::make_address("127.0.0.1"), 0}));
  }
  void start_tls(api::request_handler h, api::server_options o = {}) {
    server = std::make_unique<api::server>(io.get_executor(), tls, std::move(h), o);
    ASSERT_FALSE(server->listen({asio::ip::make_address("127.0.0.1"), 0}));
  }
  test::wire_client connect() {
    test::wire_client c(io);
    EXPECT_FALSE(c.connect(server->local_endpoint()));
    return c;
  }
  bool eventually(const std::function<bool()>& f) { return test::run_until(io, f, 15s); }
  bool no_connections() {
    return eventually([&] { return server->connection_count() == 0; });
  }

  // Sends `bytes` and reads one response (status 0 when none came).
  static test::wire_response ask(test::wire_client& c, std::string_view bytes, bool head = false) {
    EXPECT_FALSE(c.send(bytes));
    auto r = c.read_response(head);
    EXPECT_TRUE(r) << bytes;
    return r ? *r : test::wire_response{};
  }
  // Starts a server whose handler keeps each sink in `held`, and returns a client whose
  // request is being handled.
  test::wire_client client_with_request_held(api::response_sink& held) {
    start([&held](api::request, api::response_sink done) { held = std::move(done); });
    auto c = connect();
    EXPECT_FALSE(c.send(get_request("/held")));
    EXPECT_TRUE(eventually([&] { return static_cast<bool>(held); }));
    return c;
  }
  // The next response refuses with `status`, says close, and the connection ends.
  static void expect_refusal(test::wire_client& c, int status) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << "expected " << status;
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.ends_within());
  }

  asio::io_context io;
  asio::ssl::context tls = server_tls();
  std::unique_ptr<api::server> server;
};

TEST_F(api_server, answers_with_content_length_date_and_connection) {
  start([](api::request req, api::response_sink done) {
    api::response r;
    r.status = 201;
    r.headers.add("Content-Type", "text/plain");
    r.headers.add("Connection", "close");         // the server's own, replaced
    r.headers.add("Content-Length", "999");       // likewise
    r.headers.add("X-Split", "a\r\nInjected: 1"); // would split the head: dropped
    r.body = req.method + " " + req.target + " " + req.remote_address;
    done(std::move(r));
  });
  EXPECT_NE(server->local_endpoint().port(), 0);
  auto c = connect();
  const auto r = ask(c, get_request("/a?b=1"));
  EXPECT_EQ(r.head.substr(0, 21), "HTTP/1.1 201 Created\r");
  EXPECT_EQ(r.body, "GET /a?b=1 127.0.0.1");
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  EXPECT_EQ(r.header("connection"), "keep-alive");
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_TRUE(r.header("date").ends_with(" GMT")) << r.head;
  EXPECT_FALSE(r.has_header("x-split"));
  EXPECT_FALSE(r.has_header("injected"));
  EXPECT_EQ(server->connection_count(), 1u);
}

TEST_F(api_server, keep_alive_serves_several_requests_on_one_connection) {
  std::atomic<int> calls{0};
  start([&](api::request req, api::response_sink done) {
    ++calls;
    echo(std::move(req), std::move(done));
  });
  auto c = connect();
  for (int i = 0; i < 5; ++i) {
    const std::string body = "n=" + std::to_string(i);
    const auto r = ask(c, "POST /n HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\n\r\n" + body);
    EXPECT_EQ(r.body, "POST /n " + body);
    EXPECT_EQ(r.header("connection"), "keep-alive");
  }
  EXPECT_EQ(calls.load(), 5);
  EXPECT_EQ(server->connection_count(), 1u);
}

TEST_F(api_server, pipelined_requests_are_answered_in_order) {
  start(echo);
  auto c = connect();
  std::string all;
  for (int i = 0; i < 4; ++i) all += get_request("/p" + std::to_string(i));
  all += "POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  ASSERT_FALSE(c.send(all));
  for (int i = 0; i < 5; ++i) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->body, i < 4 ? "GET /p" + std::to_string(i) + " " : "POST /chunked abc");
  }
}

TEST_F(api_server, connection_close_is_honoured) {
  start(echo);
  auto c = connect();
  EXPECT_EQ(ask(c, get_request("/bye", "Connection: close\r\n") + get_request("/never")).header("connection"),
            "close");
  EXPECT_TRUE(c.ends_within());
  EXPECT_TRUE(c.pending().empty()) << "the pipelined request after close is not answered";
  c.socket().close(); // else the server lingers for linger_timeout
  EXPECT_TRUE(no_connections());
}

TEST_F(api_server, http_1_0_closes_unless_keep_alive_is_asked) {
  start(echo);
  {
    auto c = connect();
    const auto r = ask(c, "GET /old HTTP/1.0\r\n\r\n");
    EXPECT_EQ(r.body, "GET /old ");
    EXPECT_EQ(r.header("connection"), "close");
    EXPECT_TRUE(c.ends_within());
  }
  auto c = connect();
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(ask(c, "GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").header("connection"), "keep-alive");
}

TEST_F(api_server, expect_100_continue) {
  start(echo, {.max_body_bytes = 100});
  auto c = connect();
  EXPECT_EQ(ask(c, "PUT /up HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n").status, 100);
  const auto r = ask(c, "data");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "PUT /up data");

  // Too large: 413 at once, without 100 Continue, then close.
  auto big = connect();
  ASSERT_FALSE(big.send("PUT /up HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n"));
  expect_refusal(big, 413);
}

TEST_F(api_server, head_is_answered_without_a_body) {
  start(echo);
  auto c = connect();
  const auto r = ask(c, "HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n", true);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-length"), "8") << "the size of the body a GET would get";
  EXPECT_TRUE(c.pending().empty());
  // The framing is right: the next answer on the connection parses.
  EXPECT_EQ(ask(c, get_request("/after")).body, "GET /after ");
}

TEST_F(api_server, no_content_has_no_length_and_no_body) {
  start([](api::request, api::response_sink done) { done({204, {}, "ignored"}); });
  auto c = connect();
  for (int i = 0; i < 2; ++i) {
    const auto r = ask(c, get_request("/"));
    EXPECT_EQ(r.status, 204);
    EXPECT_FALSE(r.has_header("content-length"));
  }
  EXPECT_TRUE(c.pending().empty());
}

TEST_F(api_server, malformed_requests_are_refused_and_closed) {
  bool called = false;
  start([&](api::request req, api::response_sink done) {
    called = true;
    echo(std::move(req), std::move(done));
  });
  const std::pair<std::string, int> cases[] = {
      {"hello\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n\r\n", 400}, // no Host
      {"BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501},
      {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505}};
  for (const auto& [bytes, status] : cases) {
    SCOPED_TRACE(bytes);
    auto c = connect();
    ASSERT_FALSE(c.send(bytes));
    expect_refusal(c, status);
  }
  EXPECT_FALSE(called);
}

TEST_F(api_server, a_throwing_or_silent_handler_gives_500) {
  start([](api::request req, api::response_sink done) {
    if (req.target == "/throw") throw std::runtime_error("boom");
    if (req.target == "/drop") return; // the sink is dropped unanswered
    if (req.target == "/status") return done({42, {}, {}});
    echo(std::move(req), std::move(done));
  });
  auto c = connect();
  for (const char* target : {"/throw", "/drop", "/status"}) {
    const auto r = ask(c, get_request(target));
    EXPECT_EQ(r.status, 500) << target;
    EXPECT_EQ(r.header("connection"), "keep-alive");
  }
  EXPECT_EQ(ask(c, get_request("/fine")).status, 200);
}

TEST_F(api_server, a_handler_may_answer_from_another_thread_once) {
  std::vector<std::thread> threads;
  start([&](api::request req, api::response_sink done) {
    threads.emplace_back([req = std::move(req), done = std::move(done)]() mutable {
      std::this_thread::sleep_for(10ms);
      done({200, {}, "late " + req.target});
      done({500, {}, "second answer"}); // ignored
    });
  });
  auto c = connect();
  for (int i = 0; i < 3; ++i) {
    const auto r = ask(c, get_request("/t" + std::to_string(i)));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "late /t" + std::to_string(i));
  }
  EXPECT_TRUE(c.quiet_for(100ms)) << "no stray second answer";
  for (auto& t : threads) t.join();
}

TEST_F(api_server, a_sink_called_after_its_connection_died_is_harmless) {
  api::response_sink held;
  start([&](api::request req, api::response_sink done) {
    if (req.target == "/hold") held = std::move(done);
    else echo(std::move(req), std::move(done));
  });
  {
    auto c = connect();
    ASSERT_FALSE(c.send(get_request("/hold")));
    ASSERT_TRUE(eventually([&] { return static_cast<bool>(held); }));
  } // the client goes away
  // The server notices only when it writes; answer now, then again through a copy.
  held({200, {}, "too late"});
  ASSERT_TRUE(no_connections());
  held({200, {}, "much too late"});
  test::run_for(io, 50ms);
  auto c = connect();
  EXPECT_EQ(ask(c, get_request("/alive")).status, 200);
}

TEST_F(api_server, oversized_head_gets_431) {
  start(echo, {.max_header_bytes = 256});
  auto c = connect();
  ASSERT_FALSE(c.send(get_request("/", "X-Big: " + std::string(300, 'a') + "\r\n")));
  expect_refusal(c, 431);
}

TEST_F(api_server, oversized_body_gets_413_by_length_or_by_chunks) {
  start(echo, {.max_body_bytes = 1000});
  {
    auto c = connect();
    // Only the head is sent: the declared length is refused before any body byte.
    ASSERT_FALSE(c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n"));
    expect_refusal(c, 413);
  }
  {
    auto c = connect();
    ASSERT_FALSE(c.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "190\r\n" + std::string(400, 'x') + "\r\n"; // 400 bytes each
    ASSERT_FALSE(c.send(chunk + chunk));
    EXPECT_TRUE(c.quiet_for(50ms)) << "800 bytes are within the limit";
    (void)c.send(chunk); // may fail once the server closed
    expect_refusal(c, 413);
  }
  auto c = connect();
  EXPECT_EQ(ask(c, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'y')).status, 200);
}

TEST_F(api_server, slow_head_gets_408_then_close) {
  start(echo, {.header_timeout = 200ms});
  auto c = connect();
  ASSERT_FALSE(c.send("GET / HTTP/1.1\r\nHost: t\r\n")); // never finished
  expect_refusal(c, 408);
}

TEST_F(api_server, slow_head_after_a_first_request_gets_408) {
  start(echo, {.header_timeout = 1s});
  auto c = connect();
  EXPECT_EQ(ask(c, get_request("/first")).status, 200);
  ASSERT_FALSE(c.send("GET /second HTTP/1.1\r\n"));
  expect_refusal(c, 408);
}

TEST_F(api_server, slow_body_gets_408_then_close) {
  start(echo, {.body_timeout = 200ms});
  auto c = connect();
  ASSERT_FALSE(c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhalf"));
  expect_refusal(c, 408);
}

TEST_F(api_server, idle_connections_close_silently) {
  start(echo, {.idle_timeout = 200ms});
  auto c = connect();
  EXPECT_EQ(ask(c, get_request("/")).status, 200);
  EXPECT_TRUE(c.ends_within());
  EXPECT_TRUE(c.pending().empty());
  EXPECT_TRUE(no_connections());
}

TEST_F(api_server, a_connection_that_sends_nothing_closes_at_the_header_deadline) {
  start(echo, {.header_timeout = 200ms});
  auto silent = connect();
  EXPECT_TRUE(silent.ends_within());
  EXPECT_TRUE(silent.pending().empty());
  EXPECT_TRUE(no_connections());
}

TEST_F(api_server, max_requests_per_connection) {
  start(echo, {.max_requests_per_connection = 2});
  auto c = connect();
  EXPECT_EQ(ask(c, get_request("/1") + get_request("/2") + get_request("/3")).header("connection"), "keep-alive");
  auto second = c.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->header("connection"), "close");
  EXPECT_TRUE(c.ends_within());
  EXPECT_TRUE(c.pending().empty());
}

TEST_F(api_server, max_connections_pauses_accepting) {
  start(echo, {.max_connections = 2});
  auto a = connect();
  auto b = connect();
  EXPECT_EQ(ask(a, get_request("/a")).status, 200);
  EXPECT_EQ(ask(b, get_request("/b")).status, 200);
  EXPECT_EQ(server->connection_count(), 2u);
  auto third = connect(); // completes in the kernel's listen queue
  ASSERT_FALSE(third.send(get_request("/third")));
  EXPECT_TRUE(third.quiet_for(300ms)) << "not served while two connections are open";
  EXPECT_LE(server->connection_count(), 2u);
  a.socket().close();
  auto r = third.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "GET /third ");
  EXPECT_LE(server->connection_count(), 2u);
}

TEST_F(api_server, graceful_stop_finishes_the_request_in_flight) {
  api::response_sink held;
  start([&](api::request req, api::response_sink done) {
    if (req.target == "/slow") held = std::move(done);
    else echo(std::move(req), std::move(done));
  });
  const auto at = server->local_endpoint();
  auto idle = connect();
  EXPECT_EQ(ask(idle, get_request("/quick")).status, 200);
  auto busy = connect();
  ASSERT_FALSE(busy.send(get_request("/slow")));
  ASSERT_TRUE(eventually([&] { return static_cast<bool>(held); }));

  bool stopped = false;
  server->stop(10s, [&] { stopped = true; });
  EXPECT_TRUE(idle.ends_within()) << "idle connections close at once";
  EXPECT_TRUE(idle.pending().empty());
  EXPECT_FALSE(stopped);
  test::wire_client late(io);
  EXPECT_TRUE(late.connect(at)) << "the listener is closed";

  held({200, {}, "finished"});
  auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "finished");
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(busy.ends_within());
  busy.socket().close();
  EXPECT_TRUE(eventually([&] { return stopped; }));
  EXPECT_EQ(server->connection_count(), 0u);

  bool again = false;
  server->stop(1s, [&] { again = true; });
  EXPECT_TRUE(eventually([&] { return again; })) << "a later stop completes at once";
}

TEST_F(api_server, graceful_stop_closes_what_remains_at_the_deadline) {
  api::response_sink held;
  auto c = client_with_request_held(held);
  ASSERT_TRUE(held);
  bool stopped = false;
  server->stop(200ms, [&] { stopped = true; });
  EXPECT_TRUE(c.ends_within());
  EXPECT_TRUE(c.pending().empty()) << "nothing was answered";
  EXPECT_TRUE(eventually([&] { return stopped; }));
  held({200, {}, "after the end"}); // harmless
  test::run_for(io, 50ms);
}

TEST_F(api_server, tls_round_trip_with_keep_alive) {
  start_tls(echo);
  asio::ssl::context ctx = client_tls();
  test::wire_client c(io, ctx);
  ASSERT_FALSE(c.connect(server->local_endpoint()));
  for (int i = 0; i < 3; ++i) {
    const auto r = ask(c, "POST /tls HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
    EXPECT_EQ(r.body, "POST /tls hi");
    EXPECT_EQ(r.header("connection"), "keep-alive");
  }
  EXPECT_EQ(ask(c, get_request("/end", "Connection: close\r\n")).header("connection"), "close");
  EXPECT_TRUE(c.ends_within());
}

TEST_F(api_server, plain_text_on_the_tls_port_is_dropped) {
  start_tls(echo, {.header_timeout = 2s});
  {
    auto c = connect();
    ASSERT_FALSE(c.send(get_request("/plain")));
    EXPECT_TRUE(c.ends_within());
  }
  {
    auto c = connect(); // a client that never says hello: closed at the header deadline
    EXPECT_TRUE(c.ends_within());
  }
  asio::ssl::context ctx = client_tls();
  test::wire_client c(io, ctx);
  ASSERT_FALSE(c.connect(server->local_endpoint()));
  EXPECT_EQ(ask(c, get_request("/still")).body, "GET /still ");
}

TEST_F(api_server, tls_slow_head_gets_408_then_close) {
  start_tls(echo, {.header_timeout = 1s});
  asio::ssl::context ctx = client_tls();
  test::wire_client c(io, ctx);
  ASSERT_FALSE(c.connect(server->local_endpoint()));
  ASSERT_FALSE(c.send("GET / HTTP/1.1\r\nHost: t\r\n"));
  expect_refusal(c, 408);
}

TEST_F(api_server, destroying_the_server_with_a_request_in_flight_is_safe) {
  api::response_sink held;
  auto c = client_with_request_held(held);
  ASSERT_TRUE(held);
  server.reset();
  EXPECT_TRUE(c.ends_within());
  EXPECT_TRUE(c.pending().empty());
  held({200, {}, "nobody listens"}); // harmless
  test::run_for(io, 50ms);
}

TEST_F(api_server, network_faults_do_not_disturb_the_server) {
  start(echo);
  {
    auto c = connect(); // reset in the middle of a body
    ASSERT_FALSE(c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\npartial"));
    test::run_for(io, 20ms);
    c.socket().set_option(asio::socket_base::linger(true, 0));
    c.socket().close();
  }
  {
    auto c = connect(); // half-closed after a complete request: still answered
    ASSERT_FALSE(c.send(get_request("/half")));
    c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "GET /half ");
    EXPECT_TRUE(c.ends_within());
  }
  {
    auto c = connect(); // binary noise
    std::string noise;
    for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>((i * 131 + 7) & 0xff));
    (void)c.send(noise);
    EXPECT_TRUE(c.ends_within());
  }
  EXPECT_TRUE(no_connections());
  auto c = connect();
  EXPECT_EQ(ask(c, get_request("/ok")).status, 200);
}

namespace {

// Runs an io_context on several threads until destroyed.
class threaded_io {
public:
  explicit threaded_io(int n) : work_(asio::make_work_guard(io)) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { io.run(); });
  }
  ~threaded_io() {
    work_.reset();
    io.stop();
    for (auto& t : threads_) t.join();
  }
  asio::io_context io;

private:
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

} // namespace

TEST_F(api_server, many_connections_on_a_multithreaded_io_context) {
  std::atomic<bool> stopped{false}; // outlives the threads that may set it
  threaded_io pool(3);
  {
    api::server srv(pool.io.get_executor(), echo);
    ASSERT_FALSE(srv.listen({asio::ip::make_address("127.0.0.1"), 0}));
    constexpr int clients = 40;
    std::vector<test::wire_client> cs;
    cs.reserve(clients);
    for (int i = 0; i < clients; ++i) {
      cs.emplace_back(io);
      ASSERT_FALSE(cs.back().connect(srv.local_endpoint()));
    }
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < clients; ++i) ASSERT_FALSE(cs[i].send(get_request("/c" + std::to_string(i))));
      for (int i = 0; i < clients; ++i) {
        auto r = cs[i].read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body, "GET /c" + std::to_string(i) + " ");
      }
    }
    EXPECT_EQ(srv.connection_count(), static_cast<std::size_t>(clients));
    srv.stop(5s, [&] { stopped = true; });
    for (auto& c : cs) EXPECT_TRUE(c.ends_within());
    for (int i = 0; i < 1500 && !stopped; ++i) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(stopped.load());
}
