// The Store interface: tenant-aware persistence of entities, their attribute
// history (store/history.h) and hosted @contexts. It carries no backend type, so the embedded
// RocksDB store and a later PostgreSQL store are interchangeable. Entities are passed in their
// internal (expanded) JSON form, see ngsi/entity.h.
//
// Thread-safety: every method may be called from any thread concurrently.
// modifyEntities serialises writers of the same entity; readers never block.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "query/geo.h"
#include "store/entity_query.h"
#include "store/history.h"

namespace allmende::store {

using Entity = boost::json::object;

// What a mutator decided to do with one entity, and what the write records in
// the history (written in the same atomic batch). A mutator leaves `history`
// empty unless it records instances of its own (the temporal API's create and
// append); ngsi::WritePath derives it from the change otherwise.
// One entry of the audit trail (docs/security.md): who changed what, when,
// through which application and request.
struct AuditRecord {
  int64_t timeMs = 0;     // when (for an entity write: the recording time of the history it records)
  std::string resource;   // the entity id, or the grant's or API key's id of an admin action
  std::string operation;  // create, update, delete; deleteHistory, ...; createGrant, ...
  std::vector<std::string> attributes;  // the attributes changed (expanded IRIs)
  std::string subject;    // the caller's token subject or "apikey:<id>" ("" anonymous or no authentication)
  std::string client;     // the application: a token's client id, an API key's name
  std::string requestId;
};

// A page of the audit trail of one resource or of one subject (exactly one is
// given), newest first, within [fromMs, toMs).
struct AuditQuery {
  std::string resource;
  std::string subject;
  int64_t fromMs = std::numeric_limits<int64_t>::min();
  int64_t toMs = std::numeric_limits<int64_t>::max();
  size_t offset = 0;
  size_t limit = 20;
  bool count = false;
};
struct AuditPage {
  std::vector<AuditRecord> records;
  size_t total = 0;  // with count
};

struct EntityWrite {
  enum class Kind { Put, Delete };
  Kind kind = Kind::Put;
  Entity entity;  // the complete new state, for Put
  std::optional<HistoryWrite> history;
  std::optional<AuditRecord> audit = std::nullopt;  // recorded in the same durable batch
};

// What the indexes need to know of an entity; computed by the layer above
// (it knows the entity format) through the MetaExtractor given to the store.
// The names are views: of the entity it was extracted from (which must outlive
// it), or of `backing` when it was read from a record.
struct EntityMeta {
  std::vector<std::string_view> types;
  std::vector<std::pair<std::string_view, std::string_view>> attrs;        // attribute IRI, kind name
  std::vector<std::pair<std::string_view, query::GeoBox>> geometries;  // GeoProperty IRI, box
  // Every number a q term on an attribute compares (its instances' values,
  // array elements, @value), grouped by attribute. `sole`: the attribute's only
  // value, the plain number of its one instance, which does not expire (the
  // value it sorts by).
  template <class T>
  struct Value {
    std::string_view attribute;
    T value{};
    bool sole = false;
    bool operator==(const Value&) const = default;
  };
  using Number = Value<double>;
  std::vector<Number> numbers;
  // Every string a q term on an attribute compares with a string (value
  // strings, array elements, @value, a languageMap's strings, Relationship
  // objects, vocab IRIs), grouped by attribute; never sole. Times come from
  // the whole strings.
  using Text = Value<std::string_view>;
  std::vector<Text> strings;
  // A longer string is listed (and indexed) by its first so many bytes.
  static constexpr size_t kIndexedStringBytes = 128;
  // Every point in time a q term on an attribute compares with a date-time,
  // in epoch ms, grouped by attribute: the strings above that are dates or
  // date-times, and, apart, its instances' observedAt; never sole.
  std::vector<Number> times;
  std::vector<Number> observedAt;
  int64_t createdAtMs = 0, modifiedAtMs = 0;  // the entity's own; 0 = none
  int64_t expiresAtMs = 0;  // earliest expiry of the entity or any instance; 0 = none
  std::shared_ptr<const void> backing;  // what the names view, when not an entity
};
using MetaExtractor = std::function<EntityMeta(const Entity&)>;

// A hosted or cached @context kept across restarts.
struct StoredContext {
  std::string id;
  std::string document;  // serialized JSON
};

// What the layers above keep across restarts, serialized by them, per tenant:
// subscriptions, snapshots, context source registrations and their subscriptions,
// the copies of subscriptions at context sources, entity maps.
enum class DocumentKind {
  Subscription,
  Snapshot,
  Registration,
  RegistrationSubscription,
  RemoteSubscription,
  ApiKey,
  Grant,
  EntityMap
};
struct StoredDocument {
  std::string tenant;
  std::string id;
  std::string document;
};

// What a store reports about itself, for GET /metrics. A figure that a backend
// does not have stays 0. "Since start" counts begin with each process.
struct StoreStats {
  std::vector<std::pair<std::string, uint64_t>> entitiesPerTenant;  // in tenant order, "" = default
  uint64_t sizeBytes = 0;         // the store's files on disk
  uint64_t liveDataBytes = 0;     // estimated size of the current data (no overwritten or deleted data)
  uint64_t historyBytes = 0;      // the attribute history's data files on disk (flushed data only)
  uint64_t unflushedBytes = 0;    // memory holding written data not yet in data files
  uint64_t flushes = 0;           // times unflushed data was written to a data file, since start
  uint64_t compactions = 0;       // background merges of data files completed since start
  uint64_t compactionWrittenBytes = 0;  // what those compactions wrote
  uint64_t compactionsRunning = 0;
  uint64_t compactionPendingBytes = 0;  // estimated bytes compaction has yet to rewrite
  // Times, and seconds in all, that the store delayed (slowed down) or stopped
  // writes since start because its background work fell behind.
  struct Stalls {
    uint64_t count = 0;
    double seconds = 0;
  };
  Stalls writesDelayed;
  Stalls writesStopped;
};

class Store {
 public:
  virtual ~Store() = default;

  // True once anything was written in that tenant ("" is the default tenant).
  virtual bool tenantExists(std::string_view tenant) const = 0;
  virtual std::vector<std::string> tenants() const = 0;

  // The entity's stored state, or nullopt if it does not exist; made in
  // `storage` (the default: the heap).
  virtual std::optional<Entity> getEntity(std::string_view tenant, std::string_view id,
                                          boost::json::storage_ptr storage = {}) const = 0;

  // Read-modify-write of entities, each atomic, all durable together: for each
  // mutation in order, its mutator sees the entity's current state (nullopt if
  // absent; the state an earlier mutation of the same call left, for repeated
  // ids) while the entities' write locks are held. The writes of the mutators
  // that return one are persisted in one atomic batch (one WAL record, one
  // fsync with --sync) before modifyEntities returns, and the indexes are
  // updated. A mutator that throws leaves its entity unchanged; its exception
  // is returned in its outcome and the others still apply.
  using Mutator = std::function<std::optional<EntityWrite>(const std::optional<Entity>& current)>;
  // `after` may live in the memory of the request that made it (a batch builds
  // its entities in an arena): it is valid until that request's handler returns.
  // Anything kept longer is copied with its own storage (Entity(x, {}));
  // note that Boost.JSON's copy constructor keeps the source's storage.
  struct Change {
    std::optional<Entity> before;
    std::optional<Entity> after;
    bool written = false;
  };
  struct Mutation {
    std::string id;
    Mutator mutator;
  };
  struct Outcome {
    Change change;
    std::exception_ptr error;  // what the mutator threw, if it threw
  };
  virtual std::vector<Outcome> modifyEntities(std::string_view tenant,
                                              const std::vector<Mutation>& mutations) = 0;

  // The entities matching q, in a stable order, paged (see store/entity_query.h).
  // Throws DeadlineExceeded when q.deadline passes while candidates are examined.
  virtual EntityPage queryEntities(std::string_view tenant, const EntityQuery& q) const = 0;
  virtual size_t entityCount(std::string_view tenant) const = 0;

  // Discovery: per entity type, its entity count and attribute IRIs with the
  // kinds used; per attribute, its entity count, kinds and entity types.
  struct TypeInfo {
    size_t entityCount = 0;
    std::map<std::string, std::set<std::string>> attributes;  // IRI -> kinds
  };
  struct AttributeInfo {
    size_t entityCount = 0;
    std::set<std::string> kinds;
    std::set<std::string> types;
  };
  virtual std::map<std::string, TypeInfo> types(std::string_view tenant) const = 0;
  virtual std::map<std::string, AttributeInfo> attributes(std::string_view tenant) const = 0;

  // (tenant, id) of entities holding data that expires at or before nowMs
  // (epoch milliseconds), at most `limit` of them.
  virtual std::vector<std::pair<std::string, std::string>> dueForExpiry(int64_t nowMs,
                                                                       size_t limit) const = 0;

  // History (store/history.h), written by modifyEntities with the entity changes.
  // The entities that have history, deleted ones included, in id order.
  virtual std::vector<HistoryEntity> historyEntities(std::string_view tenant) const = 0;
  // The entity's history record, or nullopt if it has no history.
  virtual std::optional<HistoryEntity> historyEntity(std::string_view tenant,
                                                     std::string_view id) const = 0;
  // The (attribute, datasetId) pairs the entity has instances of, in attribute
  // then datasetId order ("" = the default instance).
  virtual std::vector<std::pair<std::string, std::string>> historyAttributes(
      std::string_view tenant, std::string_view id) const = 0;
  // Calls visit for each instance of the scan in its order until visit
  // returns false; nothing is held in memory beyond the current instance.
  // visit may move the instance it gets away (the scan fills every member anew
  // for the next one, reusing what is left).
  virtual void scanHistory(std::string_view tenant, const HistoryScan& scan,
                           const std::function<bool(HistoryInstance&)>& visit) const = 0;
  // Like scanHistory, with only what an aggregation reads of each instance.
  virtual void scanHistoryValues(std::string_view tenant, const HistoryScan& scan,
                                 const std::function<bool(HistoryValue&)>& visit) const = 0;
  // Calls visit for each period of the aggregation that has instances, in time
  // order (a period whose instances are all deletions too). Returns the "type"
  // of its first instance ("" when it has none).
  virtual std::string aggregateHistory(
      std::string_view tenant, const HistoryAggregation& aggregation,
      const std::function<void(const HistoryPeriod&)>& visit) const = 0;
  // Changes one instance of the entity's attribute (any datasetId), found by
  // its instanceId: change(current) returns its replacement (its time may
  // differ; its instanceId stays) or nullopt to delete it. False if there is
  // no such instance. What change throws leaves the history unchanged.
  virtual bool changeHistoryInstance(
      std::string_view tenant, std::string_view id, std::string_view attribute,
      std::string_view instanceId,
      const std::function<std::optional<HistoryInstance>(const HistoryInstance&)>& change) = 0;
  // Deletes history durably: the entity's whole history and record (attribute
  // nullopt), or one attribute's (every datasetId when datasetId is nullopt).
  // False if there was none.
  virtual bool deleteHistory(std::string_view tenant, std::string_view id,
                             const std::optional<std::string>& attribute,
                             const std::optional<std::string>& datasetId) = 0;

  // Broker-wide settings that must survive restarts (e.g. the broker's identity),
  // made once: putSetting stores the value unless the key has one already (of
  // this or of another broker sharing the store), and returns the one stored.
  virtual std::optional<std::string> getSetting(std::string_view key) const = 0;
  virtual std::string putSetting(std::string_view key, std::string_view value) = 0;

  // The documents of one kind, of every tenant. Putting one makes its tenant exist.
  virtual void putDocument(DocumentKind kind, const StoredDocument& document) = 0;
  virtual void deleteDocument(DocumentKind kind, std::string_view tenant, std::string_view id) = 0;
  virtual std::vector<StoredDocument> documents(DocumentKind kind) const = 0;

  // Deletes the tenant and everything in it (entities, history, documents)
  // durably, recording nothing; afterwards the tenant does not exist.
  // The caller makes sure that nothing writes in the tenant meanwhile.
  virtual void dropTenant(std::string_view tenant) = 0;

  // Figures for monitoring; reads sizes from disk, so not for the hot path.
  virtual StoreStats stats() const = 0;

  // The audit trail (kept for the store's audit retention). putAudit records
  // an action that is not an entity write (an admin action, a change of
  // history alone), durably.
  virtual void putAudit(std::string_view tenant, const AuditRecord& record) = 0;
  virtual AuditPage queryAudit(std::string_view tenant, const AuditQuery& q) const = 0;
  // The recording time an instanceId of the history names (the time of the
  // audit record of the write that recorded it), or nullopt if it is not one.
  virtual std::optional<int64_t> instanceRecordedMs(std::string_view instanceId) const = 0;

  // Hosted @contexts (not tenant-specific).
  virtual void putContext(const StoredContext& context) = 0;
  virtual void deleteContext(std::string_view id) = 0;
  virtual std::vector<StoredContext> contexts() const = 0;

  // What the broker learns of the store's changes (set once with watch(),
  // before serving). Several brokers may share a store (the PostgreSQL store):
  // each then learns of every entity change committed by any of them, and of
  // every document and context another one changed, on the store's own
  // thread, in commit order. A store of one broker (the embedded store)
  // reports its entity changes as it commits them, in the writer's thread.
  struct Watchers {
    // A committed entity change, for the subscriptions this broker notifies;
    // `only`: for that subscription alone (what it missed while no broker held
    // it). Valid during the call only.
    std::function<void(std::string_view tenant, const Change& change, const std::string* only)> entityChanged;
    // A document another broker put (its content) or deleted (nullopt).
    std::function<void(DocumentKind kind, const std::string& tenant, const std::string& id,
                       const std::optional<std::string>& document)>
        documentChanged;
    // A hosted @context another broker put (its stored form) or deleted (nullopt).
    std::function<void(const std::string& id, const std::optional<std::string>& document)> contextChanged;
  };
  virtual void watch(Watchers watchers) = 0;
  // Whether this broker sends the notifications of the subscription (of kind
  // Subscription or RegistrationSubscription): always with a store of one
  // broker; with several, while it holds the subscription's lease.
  virtual bool notifies(DocumentKind kind, std::string_view tenant, std::string_view subscriptionId) const = 0;
};

}  // namespace allmende::store
