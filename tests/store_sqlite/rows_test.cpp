#include <webhookd/store/sqlite/rows.hpp> // must be self-contained

#include "temp_database.hpp"

#include <webhookd/store/sqlite/connection.hpp>
#include <webhookd/store/sqlite/query.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace {

namespace sqlite = webhookd::store::sqlite;
namespace model = webhookd::model;
using webhookd::timestamp;
using namespace std::chrono_literals;


model::webhook_delivery read_back(const model::webhook_delivery& d) {
  auto c = sqlite::connection::open(webhookd::testing::fresh_database_path(),
                                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1s);
  EXPECT_TRUE(c.has_value());
  EXPECT_FALSE(c->exec("CREATE TABLE d (id, event_id, endpoint_id, status, attempts_count, "
                       "next_attempt_at, extra)"));
  EXPECT_FALSE(sqlite::execute(*c, "INSERT INTO d VALUES (?, ?, ?, ?, ?, ?, ?)", d.id, d.event.id,
                               d.webhook_endpoint.id, model::to_string(d.status),
                               d.attempts_count, d.next_attempt_at, sqlite::delivery_extra(d)));
  std::optional<model::webhook_delivery> out;
  EXPECT_FALSE(sqlite::for_each_row(*c, "SELECT * FROM d", [&](sqlite::statement& s) {
    out = sqlite::read_delivery(s);
  }));
  return out.value_or(model::webhook_delivery{});
}

model::webhook_delivery plain_delivery() {
  model::webhook_delivery d;
  d.id = "d1";
  d.event = model::reference{"e1", "event", ""};
  d.webhook_endpoint = model::reference{"w1", "webhook-endpoint", ""};
  d.status = model::delivery_status::failed;
  d.attempts_count = 4;
  return d;
}

TEST(sqlite_rows, a_plain_delivery_needs_no_extra_column) {
  const auto d = plain_delivery();
  EXPECT_EQ(sqlite::delivery_extra(d), std::nullopt);
  EXPECT_EQ(read_back(d), d);
}

TEST(sqlite_rows, urls_links_and_embedded_round_trip_through_extra) {
  auto d = plain_delivery();
  d.status = model::delivery_status::undelivered;
  d.next_attempt_at = timestamp{1735689600123ms};
  d.url = "https://api.example.com/webhook-deliveries/d1";
  d.event.url = "https://api.example.com/events/e1";
  d.webhook_endpoint.url = "https://api.example.com/webhook-endpoints/w1";
  model::link_map links;
  links.set("attempts", "https://api.example.com/webhook-delivery-attempts?webhookDelivery.id=d1");
  d.links = links;
  ASSERT_TRUE(sqlite::delivery_extra(d).has_value());
  EXPECT_EQ(read_back(d), d);
  d.links = nullptr; // a null member is kept as null, not dropped
  EXPECT_EQ(read_back(d), d);
}

TEST(sqlite_rows, events_and_attempts_round_trip_through_their_json) {
  model::event e;
  e.id = "e1";
  e.topic = "employee.updated";
  e.occurred_at = timestamp{1735689600123ms};
  e.source = "https://example.ilucca.net";
  e.data = nlohmann::json{{"id", 1}, {"ratio", 0.1}, {"tags", {"a", "b"}}};
  e.previous_attributes = nlohmann::json{{"name", "Ada"}};
  EXPECT_EQ(sqlite::read_event(sqlite::event_resource(e)), e);

  model::webhook_delivery_attempt a;
  a.id = "a1";
  a.signature = "c2ln";
  a.webhook_delivery = model::reference{"d1", "webhook-delivery", ""};
  a.error_response_body = "timeout after 3000 ms";
  a.created_at = timestamp{1735689600999ms};
  EXPECT_EQ(sqlite::read_attempt(sqlite::attempt_resource(a)), a);
  a.response_status_code = 503;
  EXPECT_EQ(sqlite::read_attempt(sqlite::attempt_resource(a)), a);
}

TEST(sqlite_rows, an_unknown_status_is_corruption) {
  EXPECT_THROW(sqlite::delivery_status_of("lost"), std::runtime_error);
  EXPECT_THROW(sqlite::endpoint_status_of(""), std::runtime_error);
  EXPECT_EQ(sqlite::delivery_status_of("delivered"), model::delivery_status::delivered);
}

} // namespace
