// SPDX-License-Identifier: MIT
// The SQLite store's schema: versioned migrations, applied on open, newest refused.
#ifndef WEBHOOKD_STORE_SQLITE_SCHEMA_HPP
#define WEBHOOKD_STORE_SQLITE_SCHEMA_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/store/sqlite/connection.hpp>
#include <webhookd/store/sqlite/error.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <system_error>

namespace webhookd::store::sqlite {

/** One step of the schema: the SQL that takes a database from `version - 1` to `version`.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe (immutable).
*/
struct migration {
  int version;     ///< the `PRAGMA user_version` after this step
  const char* sql; ///< statements run in the migrating transaction
};

/** Every migration, oldest first. Append-only: a released step is never edited, so a
    database at version k is brought up to date by running steps k+1 to the last.

    Conventions of the schema: ids are `TEXT COLLATE BINARY` (compared as bytes, the
    order of `id_generator`), timestamps `INTEGER` milliseconds since the Unix epoch,
    statuses their API spelling. A resource's fields that the store never queries
    are kept as the model's JSON (`resource` columns); the fields it filters, orders
    or updates have columns of their own.
*/
inline constexpr std::array<migration, 3> migrations{{
    {1, R"sql(
CREATE TABLE endpoints (
  id                            TEXT COLLATE BINARY PRIMARY KEY NOT NULL,
  status                        TEXT NOT NULL,
  version                       INTEGER NOT NULL,
  topics                        TEXT NOT NULL,   -- JSON array, the fan-out's pre-filter
  secret                        TEXT NOT NULL,
  previous_secret               TEXT,
  previous_secret_expires_at    INTEGER,
  consecutive_failed_deliveries INTEGER NOT NULL DEFAULT 0,
  last_success_at               INTEGER,
  failing_since                 INTEGER,
  resource                      TEXT NOT NULL    -- model::webhook_endpoint as JSON
) WITHOUT ROWID;

CREATE TABLE events (
  id         TEXT COLLATE BINARY PRIMARY KEY NOT NULL,
  topic      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  resource   TEXT NOT NULL                       -- model::event as JSON
);

CREATE TABLE idempotency_keys (
  key        TEXT COLLATE BINARY PRIMARY KEY NOT NULL,
  event_id   TEXT COLLATE BINARY NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE deliveries (
  id                     TEXT COLLATE BINARY PRIMARY KEY NOT NULL,
  event_id               TEXT COLLATE BINARY NOT NULL REFERENCES events (id),
  endpoint_id            TEXT COLLATE BINARY NOT NULL, -- the endpoint may be deleted first
  status                 TEXT NOT NULL,
  attempts_count         INTEGER NOT NULL,
  next_attempt_at        INTEGER,                      -- NULL: no attempt planned (held)
  lease_owner            TEXT,
  lease_until            INTEGER,
  ignore_endpoint_status INTEGER NOT NULL,
  created_at             INTEGER NOT NULL,
  extra                  TEXT                          -- url, links, embedded; NULL if none
) WITHOUT ROWID;

CREATE TABLE attempts (
  id            TEXT COLLATE BINARY PRIMARY KEY NOT NULL,
  delivery_id   TEXT COLLATE BINARY NOT NULL REFERENCES deliveries (id),
  is_successful INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  resource      TEXT NOT NULL                    -- model::webhook_delivery_attempt as JSON
);

PRAGMA application_id = 2003265892; -- 'whkd'
)sql"},
    // Indexes of the claim loop, of holds and per-endpoint limits (the pending
    // deliveries of an endpoint), of release, of the listings' filters, of purge
    // (age), and of the foreign keys' parent deletes. Claims read two indexes: the
    // scheduled deliveries under no lease, in due order, which a claim leaves at
    // once (so it never walks over the work in flight), and the leases by expiry
    // (so expired ones are found without scanning the live ones).
    {2, R"sql(
CREATE INDEX deliveries_claimable ON deliveries (next_attempt_at, id)
  WHERE next_attempt_at IS NOT NULL AND lease_owner IS NULL;
CREATE INDEX deliveries_lease_expiry ON deliveries (lease_until) WHERE lease_owner IS NOT NULL;
CREATE INDEX deliveries_lease_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX deliveries_pending ON deliveries (endpoint_id, id) WHERE status = 'undelivered';
CREATE INDEX deliveries_event ON deliveries (event_id, id);
CREATE INDEX deliveries_created ON deliveries (created_at);
CREATE INDEX attempts_delivery ON attempts (delivery_id, id);
CREATE INDEX events_created ON events (created_at);
CREATE INDEX idempotency_keys_event ON idempotency_keys (event_id);
)sql"},
    // A claim with per-endpoint limits walks the due deliveries and skips those of
    // endpoints at their limit: with every column that walk reads in the index (the
    // endpoint, the status, and lease_owner, always NULL here, which SQLite 3.40
    // still wants to see), it reads the index alone; only the deliveries taken are
    // read in full.
    {3, R"sql(
DROP INDEX deliveries_claimable;
CREATE INDEX deliveries_claimable
  ON deliveries (next_attempt_at, id, endpoint_id, status, lease_owner)
  WHERE next_attempt_at IS NOT NULL AND lease_owner IS NULL;
)sql"},
}};

/// The schema version this code reads and writes: the last migration's.
inline constexpr int schema_version = migrations.back().version;

/** The schema version recorded in the database (`PRAGMA user_version`; 0 when new).

    Only reads: this is the first statement run on a file, so a file that is not a
    database fails here with `SQLITE_NOTADB` and is left as it was.
*/
inline result<int> read_schema_version(connection& c) {
  auto v = c.query_int("PRAGMA user_version");
  if (!v) return unexpected(v.error());
  return static_cast<int>(*v);
}

/** Brings the schema to `target` (default: `schema_version`), in one transaction.

    Takes the write lock first (`BEGIN IMMEDIATE`) and reads the version again under
    it, so two processes opening one file at once migrate it once. A version above
    `schema_version` fails with `errc::schema_too_new` before anything is written.

    @par Preconditions
    No transaction is open on `c`; `0 <= target <= schema_version`.
    @returns the version before the migration, or the error (nothing changed then).
*/
inline result<int> migrate(connection& c, int target = schema_version) {
  if (const auto ec = c.exec("BEGIN IMMEDIATE")) return unexpected(ec);
  auto fail = [&](std::error_code ec) {
    (void)c.exec("ROLLBACK");
    return unexpected(ec);
  };
  const auto found = read_schema_version(c);
  if (!found) return fail(found.error());
  if (*found > schema_version) return fail(make_error_code(errc::schema_too_new));
  for (const auto& m : migrations) {
    if (m.version <= *found || m.version > target) continue;
    if (const auto ec = c.exec(m.sql)) return fail(ec);
    const std::string set = "PRAGMA user_version = " + std::to_string(m.version);
    if (const auto ec = c.exec(set.c_str())) return fail(ec);
  }
  if (const auto ec = c.exec("COMMIT")) return fail(ec);
  c.clear_cache(); // statements compiled against the old schema would be re-prepared anyway
  return *found;
}

} // namespace webhookd::store::sqlite

#endif // WEBHOOKD_STORE_SQLITE_SCHEMA_HPP
