// SPDX-License-Identifier: MIT
// postgres_store's tables: created and migrated by version number, under an advisory lock.
#ifndef WEBHOOKD_STORE_POSTGRES_SCHEMA_HPP
#define WEBHOOKD_STORE_POSTGRES_SCHEMA_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/store/postgres/connection.hpp>
#include <webhookd/store/postgres/pool.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace webhookd::store::postgres {

/** The migrations, in order: `migrations[i]` takes the schema from version `i` to
    `i + 1`. A migration is only ever appended, never edited once released.

    Ids are `text COLLATE "C"` (byte order, the order ids are made in: `delivery_store`
    requirement 10); times are bigint milliseconds since the Unix epoch, so they
    round-trip exactly. Events and endpoints keep their resource as JSON text (`doc`,
    written by the model's `to_json`), beside the columns that queries filter on;
    deliveries and attempts, read on every claim, are plain columns, with `extra`
    holding `links`/`embedded` when a caller set them.

    The partial indexes serve the hot paths: `due` is the claim order
    (`next_attempt_at`, id) of the scheduled undelivered deliveries, `endpoint_due`
    (migration 2) the same per endpoint; `pending` the undelivered ones of an endpoint
    by id (FIFO, per-endpoint limits, holds). No index
    names a lease column, and deliveries leave a fifth of each page free: a claim,
    which only writes the lease, is then a HOT update that touches no index.
*/
inline constexpr std::array<std::string_view, 2> migrations = {
    R"sql(
CREATE TABLE webhookd_endpoints (
  id text COLLATE "C" PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('active', 'suspended', 'inactive')),
  version bigint NOT NULL,
  doc text NOT NULL,
  previous_secret text,
  previous_secret_expires_at bigint,
  consecutive_failed_deliveries integer NOT NULL DEFAULT 0,
  last_success_at bigint,
  failing_since bigint
);
CREATE TABLE webhookd_events (
  id text COLLATE "C" PRIMARY KEY,
  topic text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL,
  doc text NOT NULL
);
CREATE INDEX webhookd_events_topic ON webhookd_events (topic, id);
CREATE TABLE webhookd_idempotency_keys (
  key text COLLATE "C" PRIMARY KEY,
  event_id text COLLATE "C" NOT NULL,
  expires_at bigint NOT NULL
);
CREATE TABLE webhookd_deliveries (
  id text COLLATE "C" PRIMARY KEY,
  url text NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  event_type text NOT NULL,
  event_url text NOT NULL,
  endpoint_id text COLLATE "C" NOT NULL,
  endpoint_type text NOT NULL,
  endpoint_url text NOT NULL,
  status text NOT NULL CHECK (status IN ('delivered', 'undelivered', 'failed')),
  next_attempt_at bigint,
  attempts_count integer NOT NULL,
  lease_owner text,
  lease_until bigint,
  ignore_endpoint_status boolean NOT NULL,
  created_at bigint NOT NULL,
  extra text
) WITH (fillfactor = 80);
CREATE INDEX webhookd_deliveries_due ON webhookd_deliveries (next_attempt_at, id)
  WHERE status = 'undelivered' AND next_attempt_at IS NOT NULL;
CREATE INDEX webhookd_deliveries_pending ON webhookd_deliveries (endpoint_id, id)
  WHERE status = 'undelivered';
CREATE INDEX webhookd_deliveries_event ON webhookd_deliveries (event_id, id);
CREATE INDEX webhookd_deliveries_endpoint ON webhookd_deliveries (endpoint_id, id);
CREATE INDEX webhookd_deliveries_created ON webhookd_deliveries (created_at);
CREATE TABLE webhookd_attempts (
  id text COLLATE "C" PRIMARY KEY,
  url text NOT NULL,
  signature text NOT NULL,
  delivery_id text COLLATE "C" NOT NULL,
  delivery_type text NOT NULL,
  delivery_url text NOT NULL,
  is_successful boolean NOT NULL,
  response_status_code integer,
  error_response_body text NOT NULL,
  created_at bigint NOT NULL,
  extra text
);
CREATE INDEX webhookd_attempts_delivery ON webhookd_attempts (delivery_id, id);
)sql",
    // 2: the claim order per endpoint, so a claim under per-endpoint limits reads the
    // first few due deliveries of each endpoint instead of sorting all of them.
    R"sql(
CREATE INDEX webhookd_deliveries_endpoint_due
  ON webhookd_deliveries (endpoint_id, next_attempt_at, id)
  WHERE status = 'undelivered' AND next_attempt_at IS NOT NULL;
)sql",
};

/// The schema version this code reads and writes.
inline constexpr std::int64_t schema_version = static_cast<std::int64_t>(migrations.size());

/** Creates or migrates the tables in the connection's current schema.

    Everything happens in one transaction that first takes a transaction-level advisory
    lock named after the schema, so that processes starting at once queue up: the
    first creates the tables, the others find them made (`CREATE TABLE IF NOT EXISTS`
    alone races on the catalog's unique indexes). The version lives in
    `webhookd_schema_version`, one row. A version newer than `schema_version` is
    refused with `errc::schema_too_new`, and the transaction is rolled back: nothing is
    touched by a process that does not know the schema.

    @returns nothing, `errc::schema_too_new`, or a PostgreSQL error.
*/
inline result<void> ensure_schema(pool& connections) {
  return connections.run(
      "BEGIN", retry_mode::idempotent,
      [](connection& c, const attempt_context&) -> result<void> {
        // 0x77686b64 is "whkd": keeps the lock apart from the host's advisory locks.
        if (auto r = c.exec("SELECT pg_advisory_xact_lock(2003332964, "
                            "hashtext(coalesce(current_schema(), '')))");
            !r)
          return unexpected(r.error());
        auto exists = c.exec("SELECT to_regclass('webhookd_schema_version') IS NOT NULL");
        if (!exists) return unexpected(exists.error());
        std::int64_t version = 0;
        if (exists->boolean(0, 0)) {
          auto v = c.exec("SELECT version FROM webhookd_schema_version");
          if (!v) return unexpected(v.error());
          if (!v->empty()) version = v->integer(0, 0);
        } else {
          auto made = c.exec_simple(
              "CREATE TABLE webhookd_schema_version (version bigint NOT NULL);"
              "INSERT INTO webhookd_schema_version VALUES (0)");
          if (!made) return unexpected(made.error());
        }
        if (version > schema_version) return unexpected(make_error_code(errc::schema_too_new));
        for (std::int64_t v = version; v < schema_version; ++v) {
          if (auto m = c.exec_simple(std::string(migrations[static_cast<std::size_t>(v)])); !m)
            return unexpected(m.error());
        }
        if (version != schema_version) {
          params p;
          auto u = c.exec("UPDATE webhookd_schema_version SET version = " + p.add(schema_version), p);
          if (!u) return unexpected(u.error());
        }
        return {};
      });
}

} // namespace webhookd::store::postgres

#endif // WEBHOOKD_STORE_POSTGRES_SCHEMA_HPP
