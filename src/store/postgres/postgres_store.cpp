// PostgreSQL implementation of Store (postgres_store.h). A write is one
// transaction: transaction-scoped advisory locks on the entities' ids
// serialise the writers of one entity across every broker sharing the
// database (also of an entity that does not exist yet); the entities are read,
// the mutators run, and the new rows, their extracted query columns, the side
// tables' rows, the history and the audit records are written with one
// statement each, whatever the number of entities. Reads take a pooled
// connection and see every committed write, of any broker.
#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include "store/embedded/history_codec.h"
#include "store/mutations.h"
#include "store/postgres/audit_table.h"
#include "store/postgres/connection.h"
#include "store/postgres/entity_rows.h"
#include "store/postgres/feed.h"
#include "store/postgres/history_table.h"
#include "store/postgres/pool.h"
#include "store/postgres/query_sql.h"
#include "store/postgres/read_route.h"
#include "store/postgres/schema.h"
#include "store/value_ranges.h"

namespace allmende::store {

namespace {

using pg::Params;

Entity parseEntity(std::string_view text, boost::json::storage_ptr storage) {
  auto value = boost::json::parse(text, std::move(storage));
  return std::move(value.as_object());
}

class PostgresStore final : public Store {
 public:
  PostgresStore(const PostgresOptions& options, MetaExtractor extractor)
      : pool_(options.url, options.connections),
        reads_(pool_, {options.replicaUrl, options.connections, options.replicaMaxLagMs}),
        extractor_(std::move(extractor)),
        history_(pool_, reads_, options.historyRetentionMs),
        audit_(pool_, reads_, options.auditRetentionMs),
        feed_(options.url, [this](const std::string& tenant) { forgetTenant(tenant); }) {
    {
      auto c = pool_.take();
      pg::migrate(*c);
    }
    spdlog::info("store opened: PostgreSQL, schema version {}", pg::schemaVersion());
    housekeeping_ = std::thread([this] { keepHouse(); });
  }

  ~PostgresStore() override {
    {
      std::lock_guard lock(stopMutex_);
      stopping_ = true;
    }
    stopped_.notify_all();
    housekeeping_.join();
  }

  bool tenantExists(std::string_view tenant) const override {
    {
      std::shared_lock lock(tenantsMutex_);
      if (knownTenants_.contains(std::string(tenant))) return true;
    }
    auto c = pool_.take();
    bool exists =
        c->exec("SELECT 1 FROM tenants WHERE tenant = $1", Params().add(tenant)).rows() > 0;
    if (exists) rememberTenant(tenant);
    return exists;
  }

  std::vector<std::string> tenants() const override {
    auto c = pool_.take();
    auto r = c->exec("SELECT tenant FROM tenants ORDER BY tenant COLLATE \"C\"");
    std::vector<std::string> out;
    for (size_t i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0));
    return out;
  }

  std::optional<Entity> getEntity(std::string_view tenant, std::string_view id,
                                  boost::json::storage_ptr storage) const override {
    auto c = reads_.pool().take();
    auto r = c->exec("SELECT doc::text FROM entities WHERE tenant = $1 AND id = $2",
                     Params().add(tenant).add(id));
    if (r.rows() == 0) return std::nullopt;
    return parseEntity(r.text(0, 0), std::move(storage));
  }

  std::vector<Outcome> modifyEntities(std::string_view tenant,
                                      const std::vector<Mutation>& mutations) override {
    std::vector<Outcome> out(mutations.size());
    if (mutations.empty()) return out;
    std::vector<std::string_view> ids;
    for (const auto& m : mutations) ids.push_back(m.id);
    auto idArray = pg::arrayLiteral(ids);
    // One round trip: BEGIN, the locks (in one order, that of their keys, so
    // that two batches cannot deadlock) and the entities' stored states.
    auto c = pool_.take();
    pg::Batch begin;
    begin.add("BEGIN", {});
    begin.add(
        "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended($1 || '|' || x, 0) "
        "AS k "
        "FROM unnest($2::text[]) x ORDER BY 1) l",
        Params().add(tenant).add(idArray));
    begin.add("SELECT id, doc::text FROM entities WHERE tenant = $1 AND id = ANY($2::text[])",
              Params().add(tenant).add(idArray));
    pg::Transaction t(*c, pg::Transaction::Begun{});
    auto read = c->execAll(begin).back();
    boost::unordered_flat_map<std::string_view, Entity> stored;
    std::vector<std::string> readIds(read.rows());
    for (size_t i = 0; i < read.rows(); ++i) {
      readIds[i] = read.text(i, 0);
      stored.emplace(readIds[i], parseEntity(read.text(i, 1), {}));
    }

    auto [written, last, histories, audits] =
        runMutators(mutations, out, [&](size_t i) -> std::optional<Entity> {
          auto it = stored.find(mutations[i].id);
          return it == stored.end() ? std::nullopt : std::optional<Entity>(it->second);
        });
    if (written.empty()) return out;

    // One round trip: every write, and COMMIT.
    pg::Batch writes;
    pg::writeEntities(writes, tenant, mutations, out, last, stored, extractor_);
    for (const auto& [i, h] : histories) history_.add(writes, tenant, mutations[i].id, h);
    for (const auto& a : audits) audit_.add(writes, tenant, a);
    {
      std::vector<std::string_view> changed;
      std::vector<const Entity*> before, after;
      for (auto i : written) {
        changed.push_back(mutations[i].id);
        before.push_back(out[i].change.before ? &*out[i].change.before : nullptr);
        after.push_back(out[i].change.after ? &*out[i].change.after : nullptr);
      }
      feed_.addChanges(writes, tenant, changed, before, after);
    }
    if (!knownTenant(tenant))
      writes.add("INSERT INTO tenants VALUES ($1) ON CONFLICT DO NOTHING", Params().add(tenant));
    try {
      t.commitWith(std::move(writes));
    } catch (const pg::Error& e) {
      history_.forgetPartitionIfGone(e);
      throw;
    }
    rememberTenant(tenant);
    return out;
  }

  EntityPage queryEntities(std::string_view tenant, const EntityQuery& asked) const override {
    EntityPage page;
    QueryExplain unasked;
    auto& explain = asked.explain ? *asked.explain : unasked;
    explain.path = "sql";
    auto c = reads_.pool().take();
    // In one round trip: whether a candidate may have expired data, and which
    // attributes that several number ranges are on have an entity with two
    // numbers; the ranges on each other one are merged into one (intersect).
    std::vector<std::string> repeated;
    for (size_t i = 0; i < asked.numberRanges.size(); ++i)
      for (size_t k = 0; k < i; ++k)
        if (asked.numberRanges[k].attribute == asked.numberRanges[i].attribute &&
            std::find(repeated.begin(), repeated.end(), asked.numberRanges[i].attribute) ==
                repeated.end())
          repeated.push_back(asked.numberRanges[i].attribute);
    pg::Batch first;
    first.add(
        "SELECT EXISTS (SELECT 1 FROM entities WHERE tenant = $2 AND expires_at IS NOT NULL AND "
        "expires_at <= $1)",
        Params().add(asked.now).add(tenant));
    for (const auto& attribute : repeated)  // (ORDER BY id: the planner takes the partial index)
      first.add(
          "SELECT 1 FROM entity_numbers WHERE tenant = $1 AND attribute = $2 AND NOT sole "
          "ORDER BY id LIMIT 1",
          Params().add(tenant).add(attribute));
    auto firstResults = c->execAll(first);
    std::optional<EntityQuery> merged;
    for (size_t k = 0; k < repeated.size(); ++k)
      if (firstResults[k + 1].rows() == 0) {
        if (!merged) merged = asked;
        mergeRanges(merged->numberRanges, repeated[k]);
      }
    const EntityQuery& q = merged ? *merged : asked;
    // Exact in SQL: the selectors decide, and no candidate has expired data
    // the predicate would have to look at.
    bool exact = (!q.predicate || q.selectorsExact) && !q.ordering && !firstResults[0].flag(0, 0);
    if (exact) {
      // The rows walked: the narrowest value range when one holds fewer than
      // kProbe rows (its matches in the order of their value, ties by id, as
      // the embedded store walks a value index), else the entities in id order.
      auto driver = narrowestRange(*c, tenant, q);
      explain.path = driver ? "sql value" : "sql";
      pg::SqlBuilder b;
      std::string from = "entities e";
      std::string key = "e.id, NULL::float8 AS value";  // what the page is ordered by
      if (driver) {
        std::string rows = pg::sideRangeRows(b, tenant, q, *driver);
        std::string first = pg::firstOfItsEntity(b, tenant, q, *driver);
        std::string entityTenant = b.param(tenant);
        // (Its ORDER BY keeps the walk a subquery of its own, read in the index's order.)
        from = "(SELECT d.id, d.value FROM " + rows + " AND " + first +
               " ORDER BY d.value, d.id) d JOIN entities e ON e.tenant = " + entityTenant +
               " AND e.id = d.id";
        key = "e.id, d.value";
      }
      std::string where = pg::selectorCondition(b, tenant, q, {driver, false});
      if (q.count) {
        page.total = static_cast<size_t>(c->exec("SELECT count(*) FROM " + from + " WHERE " + where,
                                                 b.params, pg::Plan::ForTheValues)
                                             .number(0, 0));
        explain.counted = page.total;
      }
      if (q.limit > 0) {
        // The page's ids first, then only their documents (a document is
        // decompressed when it is read, so not for every candidate sorted).
        std::string offset = b.param(static_cast<int64_t>(q.offset));
        std::string limit = b.param(static_cast<int64_t>(q.limit));
        std::string pageTenant = b.param(tenant);
        auto r = c->exec("SELECT e.doc::text FROM (SELECT " + key + " FROM " + from + " WHERE " +
                             where + " ORDER BY value, id OFFSET " + offset + " LIMIT " + limit +
                             ") p JOIN entities e ON e.tenant = " + pageTenant +
                             " AND e.id = p.id ORDER BY p.value, p.id",
                         b.params, pg::Plan::ForTheValues);
        for (size_t i = 0; i < r.rows(); ++i) parseIntoPage(page, r.text(i, 0));
        explain.read = r.rows();
      }
      explain.candidates = explain.matched = q.count ? page.total : page.entities.size();
      return page;
    }
    // Otherwise the candidates are read in id order, a chunk at a time, and
    // checked with the predicate: the entities, or the ids of the geo box's
    // rows when it holds fewer than kProbe. With an ordering, each match's
    // sort key is kept (not the entity) and sorted here; then the page's
    // entities are read again.
    pg::SqlBuilder b;
    std::string from = "entities e";
    bool geoWalk = q.geoProperty && q.geoBox && geoBoxIsNarrow(*c, tenant, q);
    if (geoWalk) {
      explain.path = "sql geo";
      std::string rows = pg::geoRows(b, tenant, q);
      std::string entityTenant = b.param(tenant);
      from = rows + " d JOIN entities e ON e.tenant = " + entityTenant + " AND e.id = d.id";
    }
    std::string where = pg::selectorCondition(b, tenant, q, {std::nullopt, geoWalk});
    std::vector<std::pair<query::Ordering::Key, std::string>> keyed;  // sort key, id
    size_t matched = 0;
    std::string lastId;
    bool more = true;
    auto full = [&] { return !q.ordering && page.entities.size() >= q.limit; };
    while (more && (q.count || q.ordering || !full())) {
      size_t chunk =
          q.count || q.ordering ? 512 : std::clamp<size_t>(q.offset + q.limit - matched, 16, 512);
      auto params = b.params;
      params.add(lastId).add(static_cast<int64_t>(chunk));
      auto r = c->exec("SELECT e.id, e.doc::text FROM " + from + " WHERE " + where +
                           " AND e.id > $" + std::to_string(b.params.size() + 1) +
                           " ORDER BY e.id LIMIT $" + std::to_string(b.params.size() + 2),
                       params, pg::Plan::ForTheValues);
      more = r.rows() == chunk;
      for (size_t i = 0; i < r.rows(); ++i) {
        if (q.deadline) q.deadline->check();
        ++explain.candidates;
        ++explain.read;
        if (i + 1 == r.rows()) lastId = r.text(i, 0);
        if (q.ordering || matched < q.offset || full()) {  // only checked (and keyed)
          if (full() && !q.count) break;
          alignas(std::max_align_t) unsigned char buffer[65536];
          boost::json::monotonic_resource arena(buffer, sizeof buffer);
          auto entity = parseEntity(r.text(i, 1), &arena);
          if (q.predicate && !q.predicate(entity)) continue;
          ++matched;
          if (q.ordering) keyed.emplace_back(q.ordering->key(entity, q.now), r.text(i, 0));
          continue;
        }
        auto& entity = parseIntoPage(page, r.text(i, 1));
        if (q.predicate && !q.predicate(entity)) {
          page.entities.pop_back();
          page.arenas.pop_back();
          continue;
        }
        ++matched;
      }
      if (r.rows() > 0) lastId = r.text(r.rows() - 1, 0);
    }
    page.total = explain.matched = matched;
    if (q.ordering && q.limit > 0 && keyed.size() > q.offset) {
      // Ties by id: the matches came in id order, and the sort is stable.
      std::stable_sort(keyed.begin(), keyed.end(), [&q](const auto& a, const auto& b) {
        return q.ordering->less(a.first, b.first);
      });
      std::vector<std::string_view> ids;
      for (size_t i = q.offset; i < keyed.size() && ids.size() < q.limit; ++i)
        ids.push_back(keyed[i].second);
      auto r = c->exec(
          "SELECT e.doc::text FROM unnest($2::text[]) WITH ORDINALITY AS p(id, n) "
          "JOIN entities e ON e.tenant = $1 AND e.id = p.id ORDER BY p.n",
          Params().add(tenant).add(pg::arrayLiteral(ids)));
      for (size_t i = 0; i < r.rows(); ++i) parseIntoPage(page, r.text(i, 0));
    }
    return page;
  }

  size_t entityCount(std::string_view tenant) const override {
    auto c = reads_.pool().take();
    return static_cast<size_t>(
        c->exec("SELECT count(*) FROM entities WHERE tenant = $1", Params().add(tenant))
            .number(0, 0));
  }

  std::map<std::string, TypeInfo> types(std::string_view tenant) const override {
    auto c = reads_.pool().take();
    std::map<std::string, TypeInfo> out;
    auto counts =
        c->exec("SELECT t, count(*) FROM entities, unnest(types) t WHERE tenant = $1 GROUP BY t",
                Params().add(tenant));
    for (size_t i = 0; i < counts.rows(); ++i)
      out[std::string(counts.text(i, 0))].entityCount = static_cast<size_t>(counts.number(i, 1));
    auto kinds = c->exec(
        "SELECT DISTINCT t, a, k FROM entities, unnest(types) t, unnest(attrs, kinds) AS x(a, k) "
        "WHERE tenant = $1",
        Params().add(tenant));
    for (size_t i = 0; i < kinds.rows(); ++i)
      out[std::string(kinds.text(i, 0))].attributes[std::string(kinds.text(i, 1))].emplace(
          kinds.text(i, 2));
    return out;
  }

  std::map<std::string, AttributeInfo> attributes(std::string_view tenant) const override {
    auto c = reads_.pool().take();
    std::map<std::string, AttributeInfo> out;
    auto counts = c->exec(
        "SELECT a, count(DISTINCT id) FROM entities, unnest(attrs) a WHERE tenant = $1 GROUP BY a",
        Params().add(tenant));
    for (size_t i = 0; i < counts.rows(); ++i)
      out[std::string(counts.text(i, 0))].entityCount = static_cast<size_t>(counts.number(i, 1));
    auto kinds = c->exec(
        "SELECT DISTINCT a, k FROM entities, unnest(attrs, kinds) AS x(a, k) WHERE tenant = $1",
        Params().add(tenant));
    for (size_t i = 0; i < kinds.rows(); ++i)
      out[std::string(kinds.text(i, 0))].kinds.emplace(kinds.text(i, 1));
    auto types = c->exec(
        "SELECT DISTINCT a, t FROM entities, unnest(attrs) a, unnest(types) t WHERE tenant = $1",
        Params().add(tenant));
    for (size_t i = 0; i < types.rows(); ++i)
      out[std::string(types.text(i, 0))].types.emplace(types.text(i, 1));
    return out;
  }

  std::vector<std::pair<std::string, std::string>> dueForExpiry(int64_t nowMs,
                                                                size_t limit) const override {
    auto c = pool_.take();
    auto r = c->exec(
        "SELECT tenant, id FROM entities WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2",
        Params().add(nowMs).add(static_cast<int64_t>(limit)));
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0), r.text(i, 1));
    return out;
  }

  std::vector<HistoryEntity> historyEntities(std::string_view tenant) const override {
    return history_.entities(tenant);
  }

  std::optional<HistoryEntity> historyEntity(std::string_view tenant,
                                             std::string_view id) const override {
    return history_.entity(tenant, id);
  }

  std::vector<std::pair<std::string, std::string>> historyAttributes(
      std::string_view tenant, std::string_view id) const override {
    return history_.attributes(tenant, id);
  }

  void scanHistory(std::string_view tenant, const HistoryScan& scan,
                   const std::function<bool(HistoryInstance&)>& visit) const override {
    history_.scan(tenant, scan, visit);
  }

  void scanHistoryValues(std::string_view tenant, const HistoryScan& scan,
                         const std::function<bool(HistoryValue&)>& visit) const override {
    history_.scanValues(tenant, scan, visit);
  }

  std::string aggregateHistory(
      std::string_view tenant, const HistoryAggregation& aggregation,
      const std::function<void(const HistoryPeriod&)>& visit) const override {
    return history_.aggregate(tenant, aggregation, visit);
  }

  bool changeHistoryInstance(
      std::string_view tenant, std::string_view id, std::string_view attribute,
      std::string_view instanceId,
      const std::function<std::optional<HistoryInstance>(const HistoryInstance&)>& change)
      override {
    auto c = pool_.take();
    pg::Transaction t(*c);
    lockEntity(*c, tenant, id);
    if (!history_.change(*c, tenant, id, attribute, instanceId, change)) return false;
    t.commit();
    return true;
  }

  bool deleteHistory(std::string_view tenant, std::string_view id,
                     const std::optional<std::string>& attribute,
                     const std::optional<std::string>& datasetId) override {
    auto c = pool_.take();
    pg::Transaction t(*c);
    lockEntity(*c, tenant, id);
    if (!history_.erase(*c, tenant, id, attribute, datasetId)) return false;
    t.commit();
    return true;
  }

  std::optional<std::string> getSetting(std::string_view key) const override {
    auto c = pool_.take();
    auto r = c->exec("SELECT value FROM settings WHERE key = $1", Params().add(key));
    if (r.rows() == 0) return std::nullopt;
    return std::string(r.text(0, 0));
  }

  std::string putSetting(std::string_view key, std::string_view value) override {
    auto c = pool_.take();
    c->exec("INSERT INTO settings VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            Params().add(key).add(value));
    return std::string(
        c->exec("SELECT value FROM settings WHERE key = $1", Params().add(key)).text(0, 0));
  }

  void putDocument(DocumentKind kind, const StoredDocument& d) override {
    pg::Batch b;
    b.add(
        "INSERT INTO documents VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (kind, tenant, id) DO UPDATE SET document = EXCLUDED.document",
        Params().add(pg::kindName(kind)).add(d.tenant).add(d.id).add(d.document));
    b.add("INSERT INTO tenants VALUES ($1) ON CONFLICT DO NOTHING", Params().add(d.tenant));
    feed_.addDocumentNotice(b, kind, d.tenant, d.id);
    bool leased = pg::Feed::leased(kind);
    if (leased) feed_.addLease(b, kind, d.tenant, d.id);
    auto c = pool_.take();
    pg::Transaction t(*c);
    auto results = t.commitWith(std::move(b));
    if (leased) feed_.holdIfTaken(results.back(), kind, d.tenant, d.id);
    rememberTenant(d.tenant);
  }

  void deleteDocument(DocumentKind kind, std::string_view tenant, std::string_view id) override {
    pg::Batch b;
    b.add("DELETE FROM documents WHERE kind = $1 AND tenant = $2 AND id = $3",
          Params().add(pg::kindName(kind)).add(tenant).add(id));
    feed_.addDocumentNotice(b, kind, tenant, id);
    if (pg::Feed::leased(kind)) feed_.addLeaseRemoval(b, kind, tenant, id);
    auto c = pool_.take();
    pg::Transaction t(*c);
    t.commitWith(std::move(b));
  }

  std::vector<StoredDocument> documents(DocumentKind kind) const override {
    auto c = pool_.take();
    auto r = c->exec(
        "SELECT tenant, id, document FROM documents WHERE kind = $1 ORDER BY tenant COLLATE \"C\", "
        "id COLLATE \"C\"",
        Params().add(pg::kindName(kind)));
    std::vector<StoredDocument> out;
    for (size_t i = 0; i < r.rows(); ++i)
      out.push_back(
          {std::string(r.text(i, 0)), std::string(r.text(i, 1)), std::string(r.text(i, 2))});
    return out;
  }

  void dropTenant(std::string_view tenant) override {
    auto c = pool_.take();
    pg::Transaction t(*c);
    for (const char* table :
         {"entities", "entity_numbers", "entity_strings", "entity_times", "entity_geometries"})
      c->exec(std::string("DELETE FROM ") + table + " WHERE tenant = $1", Params().add(tenant));
    // Every broker forgets the tenant's documents, and the tenant.
    auto gone = c->exec(
        "DELETE FROM documents WHERE tenant = $1 AND kind NOT IN ('apiKey', 'grant') RETURNING kind, id",
        Params().add(tenant));
    pg::Batch notices;
    for (size_t i = 0; i < gone.rows(); ++i)
      if (auto kind = pg::kindNamed(gone.text(i, 0)))
        feed_.addDocumentNotice(notices, *kind, tenant, gone.text(i, 1));
    feed_.addTenantNotice(notices, tenant);
    c->execAll(notices);
    for (const char* table : {"tenants", "leases", "changes"})
      c->exec(std::string("DELETE FROM ") + table + " WHERE tenant = $1", Params().add(tenant));
    history_.dropTenant(*c, tenant);
    audit_.dropTenant(*c, tenant);
    t.commit();
    forgetTenant(tenant);
  }

  StoreStats stats() const override {
    StoreStats out;
    auto c = pool_.take();
    auto r = c->exec(
        "SELECT t.tenant, (SELECT count(*) FROM entities e WHERE e.tenant = t.tenant) "
        "FROM tenants t ORDER BY t.tenant COLLATE \"C\"");
    for (size_t i = 0; i < r.rows(); ++i)
      out.entitiesPerTenant.emplace_back(std::string(r.text(i, 0)),
                                         static_cast<uint64_t>(r.number(i, 1)));
    out.sizeBytes =
        static_cast<uint64_t>(c->exec("SELECT pg_database_size(current_database())").number(0, 0));
    out.historyBytes = static_cast<uint64_t>(
        c->exec(
             "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0)::bigint FROM pg_inherits "
             "WHERE inhparent = 'history'::regclass")
            .number(0, 0));
    return out;
  }

  void putAudit(std::string_view tenant, const AuditRecord& record) override {
    pg::Batch b;
    audit_.add(b, tenant, record);
    pool_.take()->execAll(b);
  }

  AuditPage queryAudit(std::string_view tenant, const AuditQuery& q) const override {
    return audit_.query(tenant, q);
  }

  std::optional<int64_t> instanceRecordedMs(std::string_view instanceId) const override {
    auto parsed = history::parseInstanceId(instanceId);  // the form the embedded store's ids have
    return parsed ? std::optional(parsed->first) : std::nullopt;
  }

  void putContext(const StoredContext& context) override {
    pg::Batch b;
    b.add(
        "INSERT INTO contexts VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET document = "
        "EXCLUDED.document",
        Params().add(context.id).add(context.document));
    feed_.addContextNotice(b, context.id);
    auto c = pool_.take();
    pg::Transaction t(*c);
    t.commitWith(std::move(b));
  }

  void deleteContext(std::string_view id) override {
    pg::Batch b;
    b.add("DELETE FROM contexts WHERE id = $1", Params().add(id));
    feed_.addContextNotice(b, id);
    auto c = pool_.take();
    pg::Transaction t(*c);
    t.commitWith(std::move(b));
  }

  std::vector<StoredContext> contexts() const override {
    auto c = pool_.take();
    auto r = c->exec("SELECT id, document FROM contexts ORDER BY id COLLATE \"C\"");
    std::vector<StoredContext> out;
    for (size_t i = 0; i < r.rows(); ++i)
      out.push_back({std::string(r.text(i, 0)), std::string(r.text(i, 1))});
    return out;
  }

  void watch(Watchers watchers) override { feed_.watch(std::move(watchers)); }
  bool notifies(DocumentKind kind, std::string_view tenant,
                std::string_view subscriptionId) const override {
    return feed_.holds(kind, tenant, subscriptionId);
  }

 private:
  static Entity& parseIntoPage(EntityPage& page, std::string_view text) {
    auto& arena = page.arenas.emplace_back(
        std::make_unique<boost::json::monotonic_resource>(text.size() * 4));
    return page.entities.emplace_back(parseEntity(text, arena.get()));
  }

  // The number ranges on the attribute as one, where the first of them was.
  static void mergeRanges(std::vector<EntityQuery::NumberRange>& ranges,
                          const std::string& attribute) {
    auto first = std::find_if(ranges.begin(), ranges.end(),
                              [&](const auto& r) { return r.attribute == attribute; });
    for (auto it = first + 1; it != ranges.end();)
      if (it->attribute == attribute) {
        intersect(*first, *it);
        it = ranges.erase(it);
      } else {
        ++it;
      }
  }

  // Of the query's value ranges in side tables, the one with the fewest rows
  // if it has fewer than kProbe (counted up to that many, all in one round
  // trip, from the indexes alone); nullopt when none is that narrow.
  static constexpr int64_t kProbe = 4096;
  static std::optional<size_t> narrowestRange(pg::Connection& c, std::string_view tenant,
                                              const EntityQuery& q) {
    size_t n = pg::sideRanges(q);
    if (n == 0) return std::nullopt;
    pg::Batch probes;
    for (size_t k = 0; k < n; ++k) {
      pg::SqlBuilder b;
      auto rows = pg::sideRangeRows(b, tenant, q, k);
      auto limit = b.param(kProbe);
      probes.add("SELECT count(*) FROM (SELECT 1 FROM " + rows + " LIMIT " + limit + ") x",
                 b.params);
    }
    auto counts = c.execAll(probes);
    std::optional<size_t> best;
    for (size_t k = 0; k < n; ++k)
      if (counts[k].number(0, 0) < kProbe &&
          (!best || counts[k].number(0, 0) < counts[*best].number(0, 0)))
        best = k;
    return best;
  }

  // Whether the query's geo box meets fewer than kProbe boxes of entities.
  static bool geoBoxIsNarrow(pg::Connection& c, std::string_view tenant, const EntityQuery& q) {
    pg::SqlBuilder b;
    auto rows = pg::geoBoxRows(b, tenant, q);
    auto limit = b.param(kProbe);
    return c.exec("SELECT count(*) FROM (SELECT 1 FROM " + rows + " LIMIT " + limit + ") x",
                  b.params)
               .number(0, 0) < kProbe;
  }

  static void lockEntity(pg::Connection& c, std::string_view tenant, std::string_view id) {
    c.exec("SELECT pg_advisory_xact_lock(hashtextextended($1 || '|' || $2, 0))",
           Params().add(tenant).add(id));
  }

  bool knownTenant(std::string_view tenant) const {
    std::shared_lock lock(tenantsMutex_);
    return knownTenants_.contains(std::string(tenant));
  }
  void rememberTenant(std::string_view tenant) const {
    std::unique_lock lock(tenantsMutex_);
    knownTenants_.emplace(tenant);
  }
  void forgetTenant(std::string_view tenant) {
    std::unique_lock lock(tenantsMutex_);
    knownTenants_.erase(std::string(tenant));
  }

  // Background work, off the write path: every two seconds, fresh planner
  // statistics and visibility maps (VACUUM: index-only scans then read no
  // rows) for the entity tables whose number of rows has grown or shrunk by
  // half since their last statistics (autovacuum checks once a minute: a query
  // planned with the counts of a table before a bulk load can take a plan
  // that reads a table once per candidate; updates, which keep the counts,
  // do not make the plans kept anew), or that hold dead rows of more than a
  // tenth of their rows (updates leave them in the indexes the walks read;
  // autovacuum waits for a fifth); every minute, the retention of history
  // and audit.
  void keepHouse() {
    std::unique_lock lock(stopMutex_);
    auto lastRetention = std::chrono::steady_clock::now();
    while (!stopped_.wait_for(lock, std::chrono::seconds(2), [this] { return stopping_; })) {
      lock.unlock();
      try {
        refreshStatistics();
        if (std::chrono::steady_clock::now() - lastRetention >= std::chrono::minutes(1)) {
          lastRetention = std::chrono::steady_clock::now();
          history_.applyRetention();
          audit_.applyRetention();
        }
      } catch (const std::exception& e) {
        spdlog::warn("store housekeeping: {}", e.what());
      }
      lock.lock();
    }
  }

  void refreshStatistics() {
    auto c = pool_.take();
    auto stale = c->exec(
        "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
        "WHERE s.relname = ANY($1::text[]) AND (abs(s.n_live_tup - greatest(c.reltuples, 0)) > "
        "1000 + greatest(c.reltuples, 0) / 2 OR s.n_dead_tup > 1000 + s.n_live_tup / 10)",
        Params().add(pg::arrayOf(std::vector<std::string_view>{
            "entities", "entity_numbers", "entity_strings", "entity_times", "entity_geometries"})));
    for (size_t i = 0; i < stale.rows(); ++i)
      c->run("VACUUM (ANALYZE) " + std::string(stale.text(i, 0)));
  }

  mutable pg::Pool pool_;
  pg::ReadRoute reads_;
  MetaExtractor extractor_;
  pg::HistoryTable history_;
  pg::AuditTable audit_;
  mutable std::shared_mutex tenantsMutex_;
  mutable std::set<std::string, std::less<>>
      knownTenants_;  // tenants known to exist (forgotten when this or another broker drops one)
  std::mutex stopMutex_;
  std::condition_variable stopped_;
  bool stopping_ = false;
  std::thread housekeeping_;
  pg::Feed feed_;  // last: its thread stops first
};

}  // namespace

std::unique_ptr<Store> openPostgresStore(const PostgresOptions& options, MetaExtractor extractor) {
  try {
    return std::make_unique<PostgresStore>(options, std::move(extractor));
  } catch (const pg::Error& e) {
    throw std::runtime_error(std::string("cannot open the PostgreSQL store: ") + e.what());
  }
}

}  // namespace allmende::store
