// The PostgreSQL schema (schema.h). Tables:
//   schema_migrations  the versions applied
//   tenants            the tenants that exist ("" = the default tenant)
//   entities           each entity as JSON (the internal, expanded form, as the broker wrote
//                      it: json, not jsonb, keeps member order and numbers as written) with what
//                      queries select on extracted beside it: types, attributes and their kinds,
//                      createdAt/modifiedAt, the earliest expiry. modified_at has no index,
//                      and pages are filled to 80 %: an update changes no indexed column and
//                      finds room on its page, so it is a HOT update that writes no index
//                      entry. A large doc is compressed with LZ4 (a fraction of the CPU of
//                      PostgreSQL's default, pglz)
//   entity_numbers     the numbers, strings and points in time a q term compares, one row
//   entity_strings     each (store::EntityMeta), in B-tree indexes by tenant, attribute and
//   entity_times       value, and by tenant, id, attribute and value (an entity's rows: what
//                      a write replaces; a candidate's check, whatever plan the database
//                      chooses, also before it has statistics of a table just loaded).
//                      Strings are bytea: compared byte by byte, as in the embedded store
//                      (a range's bound need not be UTF-8). A number that is not its
//                      attribute's sole one in its entity is also in a partial index: whether
//                      an attribute has such numbers is one look-up
//   entity_geometries  the bounding box of each GeoProperty value (PostGIS, GiST index)
//   history_entities   the entities that have history (store/history.h), deleted ones too
//   history            the attribute instances, partitioned by month of their time
//                      (observedAt, else when recorded); partitions are made by the broker
//                      as instances need them and dropped by the retention. Beside each
//                      instance, what an aggregation reads of it: its value when a number,
//                      whether it has a value (a deletion has none), its expiry
//                      (value_number, has_value, expires_ms)
//   audit              the audit trail
//   documents          subscriptions, registrations, snapshots, ... (store::DocumentKind)
//   settings, contexts broker-wide settings; hosted @contexts
//   changes            the entity changes of tenants with subscriptions, before and after, for
//                      every broker's subscriptions (feed.h), kept for minutes; `xid` is the
//                      writing transaction's (its NOTIFY names it)
//   leases             which broker notifies each subscription (of entities or of registrations),
//                      until when, and the last change it had seen when it last renewed the lease
#include "store/postgres/schema.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace allmende::store::pg {

namespace {

// The migrations, in version order (version = position + 1). A released
// migration never changes; a new schema is a new migration.
const std::vector<const char*>& migrations() {
  static const std::vector<const char*> all = {
      // 1: the first schema
      R"sql(
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE tenants (tenant text PRIMARY KEY);
CREATE TABLE entities (
  tenant text NOT NULL,
  id text NOT NULL,
  doc json COMPRESSION lz4 NOT NULL,
  types text[] NOT NULL,
  attrs text[] NOT NULL,
  kinds text[] NOT NULL,
  created_at bigint NOT NULL,
  modified_at bigint NOT NULL,
  expires_at bigint,
  PRIMARY KEY (tenant, id) ) WITH (fillfactor = 80);
CREATE INDEX entities_types ON entities USING gin (types);
CREATE INDEX entities_attrs ON entities USING gin (attrs);
CREATE INDEX entities_created ON entities (tenant, created_at, id);
CREATE INDEX entities_expiry ON entities (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX entities_tenant_expiry ON entities (tenant, expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE entity_numbers (
  tenant text NOT NULL, id text NOT NULL, attribute text NOT NULL,
  value double precision NOT NULL, sole boolean NOT NULL );
CREATE INDEX entity_numbers_value ON entity_numbers (tenant, attribute, value, id);
CREATE INDEX entity_numbers_entity ON entity_numbers (tenant, id, attribute, value);
CREATE TABLE entity_strings (
  tenant text NOT NULL, id text NOT NULL, attribute text NOT NULL,
  value bytea NOT NULL );
CREATE INDEX entity_strings_value ON entity_strings (tenant, attribute, value, id);
CREATE INDEX entity_strings_entity ON entity_strings (tenant, id, attribute, value);
CREATE TABLE entity_times (
  tenant text NOT NULL, id text NOT NULL, attribute text NOT NULL,
  observed boolean NOT NULL, value bigint NOT NULL );
CREATE INDEX entity_times_value ON entity_times (tenant, attribute, observed, value, id);
CREATE INDEX entity_times_entity ON entity_times (tenant, id, attribute, observed, value);
CREATE TABLE entity_geometries (
  tenant text NOT NULL, id text NOT NULL, attribute text NOT NULL,
  box geometry NOT NULL );
CREATE INDEX entity_geometries_box ON entity_geometries USING gist (box);
CREATE INDEX entity_geometries_entity ON entity_geometries (tenant, id, attribute);
CREATE TABLE history_entities (
  tenant text NOT NULL, id text NOT NULL,
  types text[] NOT NULL, created_at bigint NOT NULL, deleted_at bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, id) );
CREATE SEQUENCE history_seq CYCLE MAXVALUE 4294967295;
CREATE TABLE history (
  tenant text NOT NULL, entity text NOT NULL, attribute text NOT NULL, dataset text NOT NULL,
  time_ms bigint NOT NULL, recorded_ms bigint NOT NULL, seq bigint NOT NULL,
  instance json COMPRESSION lz4 NOT NULL
) PARTITION BY RANGE (time_ms);
CREATE INDEX history_series ON history (tenant, entity, attribute, dataset, time_ms, seq);
CREATE INDEX history_instance ON history (tenant, entity, attribute, recorded_ms, seq);
CREATE TABLE audit (
  tenant text NOT NULL, resource text NOT NULL, time_ms bigint NOT NULL,
  seq bigserial NOT NULL, operation text NOT NULL, attributes text[] NOT NULL,
  subject text NOT NULL, client text NOT NULL, request_id text NOT NULL );
CREATE INDEX audit_resource ON audit (tenant, resource, time_ms DESC, seq DESC);
CREATE INDEX audit_subject ON audit (tenant, subject, time_ms DESC, seq DESC);
CREATE INDEX audit_time ON audit (time_ms);
CREATE TABLE documents (
  kind text NOT NULL, tenant text NOT NULL, id text NOT NULL, document text NOT NULL,
  PRIMARY KEY (kind, tenant, id) );
CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE contexts (id text PRIMARY KEY, document text NOT NULL);
CREATE TABLE changes (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(), at timestamptz NOT NULL DEFAULT now(),
  tenant text NOT NULL, id text NOT NULL,
  before json COMPRESSION lz4, after json COMPRESSION lz4 );
CREATE INDEX changes_xid ON changes (xid);
CREATE INDEX changes_tenant ON changes (tenant, seq);
CREATE TABLE leases (
  tenant text NOT NULL, kind text NOT NULL, subscription text NOT NULL,
  holder text NOT NULL, expires_at timestamptz NOT NULL, cursor bigint NOT NULL,
  PRIMARY KEY (tenant, kind, subscription) );
)sql",
      // 2: what aggregations read of a history instance, beside it; the
      // attributes that have an entity with two numbers
      R"sql(
CREATE INDEX entity_numbers_multi ON entity_numbers (tenant, attribute, id) WHERE NOT sole;
ALTER TABLE history ADD COLUMN value_number double precision,
  ADD COLUMN has_value boolean NOT NULL DEFAULT false, ADD COLUMN expires_ms bigint;
CREATE FUNCTION pg_temp.value_member(i json) RETURNS json LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN json_typeof(i->'deletedAt') IS DISTINCT FROM 'number' THEN coalesce(i->'value',
    i->'object', i->'languageMap', i->'vocab', i->'json', i->'valueList', i->'objectList') END $$;
UPDATE history SET
  has_value = pg_temp.value_member(instance) IS NOT NULL,
  value_number = CASE WHEN json_typeof(pg_temp.value_member(instance)) = 'number' THEN
    CASE WHEN abs((pg_temp.value_member(instance)#>>'{}')::numeric) < 1e308
    THEN (pg_temp.value_member(instance)#>>'{}')::double precision END END,
  expires_ms = CASE WHEN json_typeof(instance->'expiresAt') = 'string'
    THEN (extract(epoch FROM (instance->>'expiresAt')::timestamptz) * 1000)::bigint END;
)sql",
  };
  return all;
}

// The advisory lock the brokers of one database migrate under (any number
// that no other user of the database takes).
constexpr int64_t kMigrationLock = 0x416c6d656e6465;  // "Almende"

}  // namespace

std::string_view kindName(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::Subscription:
      return "subscription";
    case DocumentKind::Snapshot:
      return "snapshot";
    case DocumentKind::Registration:
      return "registration";
    case DocumentKind::RegistrationSubscription:
      return "registrationSubscription";
    case DocumentKind::RemoteSubscription:
      return "remoteSubscription";
    case DocumentKind::ApiKey:
      return "apiKey";
    case DocumentKind::Grant:
      return "grant";
    case DocumentKind::EntityMap:
      return "entityMap";
  }
  return "subscription";
}

std::optional<DocumentKind> kindNamed(std::string_view name) {
  for (auto kind : {DocumentKind::Subscription, DocumentKind::Snapshot, DocumentKind::Registration,
                    DocumentKind::RegistrationSubscription, DocumentKind::RemoteSubscription,
                    DocumentKind::ApiKey, DocumentKind::Grant, DocumentKind::EntityMap})
    if (kindName(kind) == name) return kind;
  return std::nullopt;
}

int schemaVersion() {
  return static_cast<int>(migrations().size());
}

void migrate(Connection& connection) {
  connection.exec("SELECT pg_advisory_lock($1)", Params().add(kMigrationLock));
  try {
    connection.run(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    auto applied =
        connection.exec("SELECT coalesce(max(version), 0) FROM schema_migrations").number(0, 0);
    if (applied > schemaVersion())
      throw std::runtime_error("the database has schema version " + std::to_string(applied) +
                               ", newer than this broker's " + std::to_string(schemaVersion()) +
                               ": run a broker of that version or later");
    for (auto version = applied + 1; version <= schemaVersion(); ++version) {
      Transaction t(connection);
      connection.run(migrations()[version - 1]);
      connection.exec("INSERT INTO schema_migrations (version) VALUES ($1)", Params().add(version));
      t.commit();
    }
  } catch (...) {
    connection.exec("SELECT pg_advisory_unlock($1)", Params().add(kMigrationLock));
    throw;
  }
  connection.exec("SELECT pg_advisory_unlock($1)", Params().add(kMigrationLock));
}

}  // namespace allmende::store::pg
