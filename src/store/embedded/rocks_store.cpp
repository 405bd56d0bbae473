// RocksDB implementation of Store. Writers of one entity are serialised by a
// striped mutex; each write is one WriteBatch (entity + tenant marker + the
// attribute history it records, in the "history" column family). The
// in-memory index (per tenant: id -> meta, plus an expiry queue) is rebuilt by
// scanning the entities at open and kept current under a shared mutex.
#include "store/embedded/rocks_store.h"

#include "store/embedded/audit_column.h"
#include "store/embedded/entity_cache.h"
#include "store/embedded/entity_codec.h"
#include "store/embedded/history_codec.h"
#include "store/embedded/history_column.h"
#include "store/embedded/history_retention.h"
#include "store/embedded/meta_codec.h"
#include "store/embedded/rocks_events.h"
#include "store/embedded/rocks_status.h"
#include "store/embedded/tenant_index.h"
#include "store/history_periods.h"
#include "store/mutations.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <unordered_map>

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

namespace allmende::store {

namespace {

// Key layout: "<kind>\0<part>" or "<kind>\0<tenant>\0<id>" with kinds T
// (tenant marker), E (entity with its index record, see entity_codec.h), K (a
// key number of the stored form: "K\0" and the number in 4 bytes, big-endian;
// see key_dictionary.h), U (subscription), P (snapshot), R (context source
// registration), Q (registration subscription), S (setting), C (hosted or cached
// @context). Earlier versions kept index records under M; they are moved at open.
std::string makeKey(char kind, std::initializer_list<std::string_view> parts) {
  size_t size = 1;
  for (auto p : parts) size += 1 + p.size();
  std::string k;
  k.reserve(size);
  k.push_back(kind);
  for (auto p : parts) k.append(1, '\0').append(p);
  return k;
}

char documentKey(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::Subscription: return 'U';
    case DocumentKind::Snapshot: return 'P';
    case DocumentKind::Registration: return 'R';
    case DocumentKind::RegistrationSubscription: return 'Q';
    case DocumentKind::RemoteSubscription: return 'D';
    case DocumentKind::ApiKey: return 'A';  // broker-wide (tenant "")
    case DocumentKind::Grant: return 'G';   // broker-wide (tenant ""; the grant names its tenant)
    case DocumentKind::EntityMap: return 'M';
  }
  return 'U';
}

std::string tenantKey(std::string_view tenant) { return makeKey('T', {tenant}); }
std::string entityPrefix(std::string_view tenant) { return makeKey('E', {tenant, ""}); }
std::string entityKey(std::string_view tenant, std::string_view id) { return makeKey('E', {tenant, id}); }
std::string settingKey(std::string_view key) { return makeKey('S', {key}); }
std::string contextKey(std::string_view id) { return makeKey('C', {id}); }
std::string keyNumberKey(uint32_t id) {
  std::string number(4, '\0');
  for (int i = 0; i < 4; ++i) number[i] = static_cast<char>(id >> (24 - 8 * i));
  return makeKey('K', {number});
}

class RocksStore final : public Store {
 public:
  RocksStore(const EmbeddedOptions& options, MetaExtractor extractor)
      : directory_(options.directory),
        retention_(options.historyRetentionMs > 0
                       ? std::make_unique<history::Retention>(options.historyRetentionMs)
                       : nullptr),
        auditRetention_(options.auditRetentionMs > 0
                            ? std::make_unique<audit::AuditRetention>(options.auditRetentionMs)
                            : nullptr),
        extractor_(std::move(extractor)),
        cache_(options.entityCacheBytes) {
    rocksdb::Options opts;
    opts.create_if_missing = true;
    opts.listeners.push_back(events_);
    opts.compression = rocksdb::kLZ4Compression;
    opts.IncreaseParallelism(2);
    // Level-0 files (one per 64 MB memtable) are merged into level 1 sixteen at a
    // time (default four): a quarter of the rewrites of level 1 under sustained
    // writes (batch upsert +11 % at eight, +4-15 % more at sixteen); a point read
    // checks the Bloom filters of up to twelve more files. Writes slow down at 32
    // files and stop at 48 (defaults 20 and 36) so that merging sixteen stays ahead.
    opts.level0_file_num_compaction_trigger = 16;
    opts.level0_slowdown_writes_trigger = 32;
    opts.level0_stop_writes_trigger = 48;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(options.blockCacheBytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // Point reads dominate: a hash index inside each data block, and block
    // checksums with XXH3 (Debian's portable build computes crc32c in software).
    table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
    table.checksum = rocksdb::kXXH3;
    opts.memtable_whole_key_filtering = true;
    opts.memtable_prefix_bloom_size_ratio = 0.02;
    opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    opts.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(opts)},
        {"history", history::HistoryColumn::options(opts, table.block_cache, retention_.get())},
        {"audit", audit::AuditColumn::options(opts, auditRetention_.get())}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    auto status =
        rocksdb::DB::Open(rocksdb::DBOptions(opts), options.directory, families, &handles, &db);
    if (!status.ok())
      throw std::runtime_error("cannot open the store in '" + options.directory +
                               "': " + status.ToString());
    db_.reset(db);
    db_->DestroyColumnFamilyHandle(handles[0]);  // the default family is db_->DefaultColumnFamily()
    historyFamily_ = handles[1];
    auditFamily_ = handles[2];
    audit_ = std::make_unique<audit::AuditColumn>(*db_, auditFamily_, auditRetention_.get());
    writeOptions_.sync = options.sync;
    history_ = std::make_unique<history::HistoryColumn>(*db_, historyFamily_, keys_, retention_.get(),
                                                        writeOptions_);
    loadKeyNumbers();
    rebuildIndexes();
  }

  ~RocksStore() override {
    if (db_) {
      history_.reset();
      db_->DestroyColumnFamilyHandle(historyFamily_);
      db_->DestroyColumnFamilyHandle(auditFamily_);
      db_->FlushWAL(true);
      db_->Close();
    }
  }

  bool tenantExists(std::string_view tenant) const override {
    std::shared_lock lock(indexMutex_);
    return tenants_.contains(std::string(tenant));
  }

  std::vector<std::string> tenants() const override {
    std::shared_lock lock(indexMutex_);
    std::vector<std::string> out;
    for (const auto& [name, _] : tenants_) out.push_back(name);
    return out;
  }

  std::optional<Entity> getEntity(std::string_view tenant, std::string_view id,
                                  boost::json::storage_ptr storage) const override {
    return std::move(readEntities({entityKey(tenant, id)}, std::move(storage))[0]);
  }

  std::vector<Outcome> modifyEntities(std::string_view tenant,
                                      const std::vector<Mutation>& mutations) override {
    // Lock every stripe involved, in index order, so that batches cannot deadlock.
    std::vector<std::string> keys;
    std::vector<size_t> stripes;
    for (const auto& m : mutations) {
      keys.push_back(entityKey(tenant, m.id));
      stripes.push_back(std::hash<std::string>{}(keys.back()) % stripes_.size());
    }
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    std::vector<std::unique_lock<std::mutex>> locks;
    for (auto s : stripes) locks.emplace_back(stripes_[s]);

    // Only the ids the index knows are read (a batch of new entities reads nothing).
    std::vector<std::optional<Entity>> current(mutations.size());
    std::vector<bool> historyRecorded(mutations.size());
    {
      std::vector<std::string> known;
      std::vector<size_t> at;
      {
        std::shared_lock lock(indexMutex_);
        auto it = tenants_.find(std::string(tenant));
        for (size_t i = 0; it != tenants_.end() && i < mutations.size(); ++i)
          if (it->second.contains(mutations[i].id)) {
            known.push_back(keys[i]);
            at.push_back(i);
            historyRecorded[i] = it->second.historyRecorded(mutations[i].id);
          }
      }
      auto read = readEntities(known);
      for (size_t k = 0; k < at.size(); ++k) current[at[k]] = std::move(read[k]);
    }
    std::vector<Outcome> out(mutations.size());
    auto [written, last, histories, audits] =
        runMutators(mutations, out, [&current](size_t i) { return std::move(current[i]); });
    // An entity record stored as it is need not be written again (a write of one
    // attribute costs one memtable insert less).
    for (auto& [i, h] : histories)
      if (h.entityAsBefore && historyRecorded[i]) h.entity.reset();
    rocksdb::WriteBatch batch;
    if (written.empty()) return out;
    if (!tenantExists(tenant)) batch.Put(tenantKey(tenant), "");
    // Each entity is stored with its index record (entity_codec.h); the metas
    // view the entities in `out`.
    std::vector<std::pair<std::optional<EntityMeta>, std::optional<EntityMeta>>> metas;
    std::vector<std::string> encoded;  // what is stored under each written key ("" deleted)
    auto keyIds = keys_.snapshot();
    binary::KeyWriter names(*keyIds);
    for (auto i : written) {
      const auto& change = out[i].change;
      metas.emplace_back(change.before ? std::optional(extractor_(*change.before)) : std::nullopt,
                         change.after ? std::optional(extractor_(*change.after)) : std::nullopt);
      if (const auto& meta = metas.back().second) {
        names.restart();
        encoded.push_back(encodeEntity(*change.after, encodeMeta(*meta, names), names));
        batch.Put(keys[i], encoded.back());
      } else {
        encoded.emplace_back();
        batch.Delete(keys[i]);
      }
    }
    for (const auto& [i, h] : histories) history_->add(batch, tenant, mutations[i].id, h, names);
    for (const auto& a : audits) audit_->add(batch, tenant, a);
    check(db_->Write(writeOptions_, &batch), "write");
    for (size_t k = 0; k < written.size(); ++k) {  // the stripes are still locked
      const auto& key = keys[written[k]];
      if (metas[k].second)
        cache_.put(key, std::move(encoded[k]));
      else
        cache_.erase(key);
    }
    {
      std::unique_lock lock(indexMutex_);
      auto& index = tenants_[std::string(tenant)];
      for (size_t k = 0; k < written.size(); ++k) {
        const auto& id = mutations[written[k]].id;
        auto& [oldMeta, newMeta] = metas[k];
        if (oldMeta && oldMeta->expiresAtMs) expiry_.erase({oldMeta->expiresAtMs, std::string(tenant), id});
        if (newMeta && newMeta->expiresAtMs) expiry_.insert({newMeta->expiresAtMs, std::string(tenant), id});
        if (oldMeta && newMeta)
          index.replace(id, *oldMeta, *newMeta);
        else if (oldMeta)
          index.remove(id, *oldMeta);
        else if (newMeta)
          index.add(id, *newMeta);
      }
      for (const auto& [i, h] : histories)
        if (h.entity) index.setHistoryRecorded(mutations[i].id, true);
    }
    if (!names.unnumbered().empty()) numberKeys(names.unnumbered());
    locks.clear();
    if (watchers_.entityChanged)
      for (auto i : written) watchers_.entityChanged(tenant, out[i].change, nullptr);
    return out;
  }

  EntityPage queryEntities(std::string_view tenant, const EntityQuery& q) const override {
    EntityPage page;
    std::shared_lock lock(indexMutex_);
    auto it = tenants_.find(std::string(tenant));
    if (it == tenants_.end()) return page;
    std::string prefix = entityPrefix(tenant);
    std::string key;
    QueryExplain unasked;
    auto& explain = q.explain ? *q.explain : unasked;
    StoredValues one;
    auto readOne = [&](const std::string& id) -> std::optional<std::string_view> {
      key.assign(prefix).append(id);
      readValues({rocksdb::Slice(key)}, one);
      if (!one.found[0]) return std::nullopt;
      ++explain.read;
      return one.text[0];
    };
    // Sort keys and counted candidates are parsed into an arena on the stack (a
    // fresh one per candidate: Boost 1.81's monotonic_resource cannot be reused
    // after release()).
    auto visitParsed = [&](const std::string& id, const std::function<void(const Entity&)>& use) {
      auto value = readOne(id);
      if (!value) return;
      alignas(std::max_align_t) unsigned char buffer[65536];
      boost::json::monotonic_resource arena(buffer, sizeof buffer);
      use(decodeEntity(*value, keys_, &arena));
    };
    // An entity that may be returned is parsed into an arena of the page (its
    // memory is freed at once with the page; dropped again if it is not kept).
    auto parseIntoPage = [&](std::string_view text) -> Entity& {
      auto& arena = page.arenas.emplace_back(std::make_unique<boost::json::monotonic_resource>(text.size() * 8));
      return page.entities.emplace_back(decodeEntity(text, keys_, arena.get()));
    };
    auto dropLast = [&] {
      page.entities.pop_back();
      page.arenas.pop_back();
    };
    const auto& index = it->second;
    auto byIndex = q.ordering && q.limit > 0 ? q.ordering->indexedOrder() : std::nullopt;
    if (byIndex && !index.ordersBy(*byIndex)) byIndex.reset();
    if (q.ordering && q.limit > 0 && !byIndex) {
      // Every match's sort key first; then only the page's entities are read again.
      std::vector<std::pair<query::Ordering::Key, std::string>> keyed;
      index.forEachCandidate(q, [&](const std::string& id, bool) {
        if (q.deadline) q.deadline->check();
        ++explain.candidates;
        visitParsed(id, [&](const Entity& entity) {
          if (!q.predicate || q.predicate(entity)) keyed.emplace_back(q.ordering->key(entity, q.now), id);
        });
        return true;
      });
      // Ties by id (candidates may have come in the order of a value).
      std::sort(keyed.begin(), keyed.end(), [&q](const auto& a, const auto& b) {
        return q.ordering->less(a.first, b.first) || (!q.ordering->less(b.first, a.first) && a.second < b.second);
      });
      page.total = explain.matched = keyed.size();
      for (size_t i = q.offset; i < keyed.size() && page.entities.size() < q.limit; ++i) {
        if (auto value = readOne(keyed[i].second)) parseIntoPage(*value);
      }
      return page;
    }
    // Candidates come in the order of the results (an index order for
    // orderBy, when the index has it). They are read in batches (one RocksDB
    // MultiGet each), as many at a time as the page may still need (64 when
    // everything is counted); one the indexes prove to match is counted
    // without reading unless the page takes it (the batch before it is read
    // first, so that the offset skips the right ones).
    size_t matched = 0;
    std::vector<const std::string*> batch;
    std::vector<std::string> keys;
    std::vector<rocksdb::Slice> slices;
    StoredValues values;
    auto full = [&] { return page.entities.size() >= q.limit; };
    auto flush = [&] {
      size_t n = batch.size();
      if (n == 0) return;
      keys.resize(n);
      slices.resize(n);
      for (size_t i = 0; i < n; ++i) slices[i] = keys[i].assign(prefix).append(*batch[i]);
      readValues(slices, values);
      for (size_t i = 0; i < n && (q.count || !full()); ++i) {
        if (!values.found[i]) continue;
        ++explain.read;
        std::string_view text = values.text[i];
        if (matched < q.offset || full()) {  // only counted
          alignas(std::max_align_t) unsigned char buffer[65536];
          boost::json::monotonic_resource arena(buffer, sizeof buffer);
          matched += !q.predicate || q.predicate(decodeEntity(text, keys_, &arena));
          continue;
        }
        const auto& entity = parseIntoPage(text);
        if (q.predicate && !q.predicate(entity)) {
          dropLast();
          continue;
        }
        ++matched;
      }
      batch.clear();
    };
    auto visit = [&](const std::string& id, bool certain) {
      if (q.deadline) q.deadline->check();
      ++explain.candidates;
      if (certain) {
        flush();
        if (matched < q.offset || full()) {
          ++matched;
          ++explain.counted;
          return q.count || !full();
        }
      }
      batch.push_back(&id);
      size_t wanted = q.count ? 64 : (q.offset > matched ? q.offset - matched : 0) + q.limit - page.entities.size();
      if (batch.size() >= std::clamp<size_t>(wanted, 1, 64)) flush();
      return q.count || !full();
    };
    size_t counted = byIndex ? index.forEachInOrder(q, *byIndex, visit)
                             : index.forEachCandidate(q, visit);
    flush();
    explain.candidates += counted;
    explain.counted += counted;
    page.total = explain.matched = matched + counted;
    return page;
  }

  size_t entityCount(std::string_view tenant) const override {
    std::shared_lock lock(indexMutex_);
    auto it = tenants_.find(std::string(tenant));
    return it == tenants_.end() ? 0 : it->second.size();
  }

  std::map<std::string, TypeInfo> types(std::string_view tenant) const override {
    std::shared_lock lock(indexMutex_);
    auto it = tenants_.find(std::string(tenant));
    return it == tenants_.end() ? std::map<std::string, TypeInfo>{} : it->second.types();
  }

  std::map<std::string, AttributeInfo> attributes(std::string_view tenant) const override {
    std::shared_lock lock(indexMutex_);
    auto it = tenants_.find(std::string(tenant));
    return it == tenants_.end() ? std::map<std::string, AttributeInfo>{} : it->second.attributes();
  }

  std::vector<std::pair<std::string, std::string>> dueForExpiry(int64_t nowMs,
                                                               size_t limit) const override {
    std::shared_lock lock(indexMutex_);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [at, tenant, id] : expiry_) {
      if (at > nowMs || out.size() >= limit) break;
      out.emplace_back(tenant, id);
    }
    return out;
  }

  std::vector<HistoryEntity> historyEntities(std::string_view tenant) const override {
    return history_->entities(tenant);
  }

  std::optional<HistoryEntity> historyEntity(std::string_view tenant,
                                             std::string_view id) const override {
    return history_->entity(tenant, id);
  }

  std::vector<std::pair<std::string, std::string>> historyAttributes(
      std::string_view tenant, std::string_view id) const override {
    return history_->attributes(tenant, id);
  }

  void scanHistory(std::string_view tenant, const HistoryScan& scan,
                   const std::function<bool(HistoryInstance&)>& visit) const override {
    history_->scan(tenant, scan, visit);
  }

  void scanHistoryValues(std::string_view tenant, const HistoryScan& scan,
                         const std::function<bool(HistoryValue&)>& visit) const override {
    history_->scanValues(tenant, scan, visit);
  }

  std::string aggregateHistory(
      std::string_view tenant, const HistoryAggregation& aggregation,
      const std::function<void(const HistoryPeriod&)>& visit) const override {
    return aggregateByScan(*this, tenant, aggregation, visit);
  }

  bool changeHistoryInstance(
      std::string_view tenant, std::string_view id, std::string_view attribute,
      std::string_view instanceId,
      const std::function<std::optional<HistoryInstance>(const HistoryInstance&)>& change)
      override {
    std::unique_lock lock(
        stripes_[std::hash<std::string>{}(entityKey(tenant, id)) % stripes_.size()]);
    rocksdb::WriteBatch batch;
    auto names = keys_.snapshot();
    binary::KeyWriter writer(*names);
    if (!history_->change(batch, tenant, id, attribute, instanceId, change, writer)) return false;
    check(db_->Write(writeOptions_, &batch), "write");
    if (!writer.unnumbered().empty()) numberKeys(writer.unnumbered());
    return true;
  }

  bool deleteHistory(std::string_view tenant, std::string_view id,
                     const std::optional<std::string>& attribute,
                     const std::optional<std::string>& datasetId) override {
    // In step with the entity's writes: one that finds its record stored (see
    // modifyEntities) must not be left without it.
    std::unique_lock stripe(stripes_[std::hash<std::string>{}(entityKey(tenant, id)) % stripes_.size()]);
    rocksdb::WriteBatch batch;
    if (!history_->erase(batch, tenant, id, attribute, datasetId)) return false;
    check(db_->Write(writeOptions_, &batch), "write");
    if (!attribute) {
      std::unique_lock lock(indexMutex_);
      if (auto it = tenants_.find(std::string(tenant)); it != tenants_.end())
        it->second.setHistoryRecorded(id, false);
    }
    return true;
  }

  std::optional<std::string> getSetting(std::string_view key) const override {
    std::string value;
    auto status = db_->Get(rocksdb::ReadOptions(), settingKey(key), &value);
    if (status.IsNotFound()) return std::nullopt;
    check(status, "read");
    return value;
  }

  std::string putSetting(std::string_view key, std::string_view value) override {
    std::lock_guard lock(settingsMutex_);
    if (auto stored = getSetting(key)) return *stored;
    check(db_->Put(writeOptions_, settingKey(key), rocksdb::Slice(value.data(), value.size())), "write");
    return std::string(value);
  }

  // A document under "<kind>\0<tenant>\0<id>"; its tenant exists from then on.
  void putDocument(DocumentKind kind, const StoredDocument& d) override {
    rocksdb::WriteBatch batch;
    batch.Put(makeKey(documentKey(kind), {d.tenant, d.id}), d.document);
    bool newTenant = !tenantExists(d.tenant);
    if (newTenant) batch.Put(tenantKey(d.tenant), "");
    check(db_->Write(writeOptions_, &batch), "write");
    if (newTenant) {
      std::unique_lock lock(indexMutex_);
      tenants_[d.tenant];
    }
  }

  void deleteDocument(DocumentKind kind, std::string_view tenant, std::string_view id) override {
    check(db_->Delete(writeOptions_, makeKey(documentKey(kind), {tenant, id})), "write");
  }

  std::vector<StoredDocument> documents(DocumentKind kind) const override {
    std::vector<StoredDocument> out;
    std::string prefix = makeKey(documentKey(kind), {""});  // "<kind>\0"
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      auto sep = key.find('\0', 2);
      out.push_back({std::string(key.substr(2, sep - 2)), std::string(key.substr(sep + 1)),
                     it->value().ToString()});
    }
    check(it->status(), "scan");
    return out;
  }

  void dropTenant(std::string_view tenant) override {
    rocksdb::WriteBatch batch;
    for (char kind : {'E', 'U', 'P', 'R', 'Q', 'D'}) {
      auto prefix = makeKey(kind, {tenant, ""});
      batch.DeleteRange(prefix, history::prefixEnd(prefix));
    }
    batch.Delete(tenantKey(tenant));
    history_->dropTenant(batch, tenant);
    audit_->dropTenant(batch, tenant);
    check(db_->Write(writeOptions_, &batch), "write");
    cache_.clear();
    std::unique_lock lock(indexMutex_);
    tenants_.erase(std::string(tenant));
    std::erase_if(expiry_, [&](const auto& due) { return std::get<1>(due) == tenant; });
  }

  // Sizes and compaction figures from RocksDB's properties (see docs/operations.md),
  // event counts from the listener, the size on disk from the data directory.
  StoreStats stats() const override {
    StoreStats out;
    {
      std::shared_lock lock(indexMutex_);
      for (const auto& [tenant, index] : tenants_) out.entitiesPerTenant.emplace_back(tenant, index.size());
    }
    // A file RocksDB deletes meanwhile is skipped.
    std::error_code ec;
    for (std::filesystem::directory_iterator it(directory_, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code gone;
      auto size = it->is_regular_file(gone) ? it->file_size(gone) : 0;
      if (!gone) out.sizeBytes += size;
    }
    // Of both column families (entities and history) unless named.
    auto property = [this](const std::string& name, rocksdb::ColumnFamilyHandle* family = nullptr) {
      uint64_t sum = 0;
      for (auto* cf : {db_->DefaultColumnFamily(), historyFamily_}) {
        uint64_t value = 0;
        if ((!family || cf == family) && db_->GetIntProperty(cf, name, &value)) sum += value;
      }
      return sum;
    };
    out.liveDataBytes = property(rocksdb::DB::Properties::kEstimateLiveDataSize);
    out.historyBytes = property(rocksdb::DB::Properties::kTotalSstFilesSize, historyFamily_);
    out.unflushedBytes = property(rocksdb::DB::Properties::kCurSizeAllMemTables);
    out.compactionsRunning = property(rocksdb::DB::Properties::kNumRunningCompactions,
                                      db_->DefaultColumnFamily());  // counts the whole store
    out.compactionPendingBytes = property(rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
    events_->report(out);
    return out;
  }

  void putAudit(std::string_view tenant, const AuditRecord& record) override {
    rocksdb::WriteBatch batch;
    audit_->add(batch, tenant, record);
    check(db_->Write(writeOptions_, &batch), "write");
  }

  AuditPage queryAudit(std::string_view tenant, const AuditQuery& q) const override {
    return audit_->query(tenant, q);
  }

  std::optional<int64_t> instanceRecordedMs(std::string_view instanceId) const override {
    auto parsed = history::parseInstanceId(instanceId);
    return parsed ? std::optional(parsed->first) : std::nullopt;
  }

  void putContext(const StoredContext& context) override {
    check(db_->Put(writeOptions_, contextKey(context.id), context.document), "write");
  }

  void deleteContext(std::string_view id) override {
    check(db_->Delete(writeOptions_, contextKey(id)), "write");
  }

  std::vector<StoredContext> contexts() const override {
    std::vector<StoredContext> out;
    std::string prefix = contextKey("");
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
      out.push_back({it->key().ToString().substr(prefix.size()), it->value().ToString()});
    check(it->status(), "scan");
    return out;
  }

  // Only this broker writes here: its changes are all there is to learn.
  void watch(Watchers watchers) override { watchers_ = std::move(watchers); }
  bool notifies(DocumentKind, std::string_view, std::string_view) const override { return true; }

 private:
  // The entities stored under `keys` (nullopt where none is), read together.
  std::vector<std::optional<Entity>> readEntities(const std::vector<std::string>& keys,
                                                  const boost::json::storage_ptr& storage = {}) const {
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    StoredValues values;
    readValues(slices, values);
    std::vector<std::optional<Entity>> out(keys.size());
    for (size_t i = 0; i < keys.size(); ++i)
      if (values.found[i]) out[i] = decodeEntity(values.text[i], keys_, storage);
    return out;
  }

  // Stored values, read through the entity cache.
  struct StoredValues {
    std::vector<std::string_view> text;  // each viewing one of the two below
    std::vector<bool> found;
    std::vector<EntityCache::Value> cached;
    std::vector<rocksdb::PinnableSlice> pinned;
  };

  // The values under `keys`: from the entity cache, the others with one
  // RocksDB MultiGet (then added to the cache).
  void readValues(const std::vector<rocksdb::Slice>& keys, StoredValues& out) const {
    size_t n = keys.size();
    out.text.assign(n, {});
    out.found.assign(n, false);
    out.cached.assign(n, nullptr);
    std::vector<size_t> missing;
    std::vector<rocksdb::Slice> missingKeys;
    std::vector<EntityCache::Ticket> tickets;
    for (size_t i = 0; i < n; ++i) {
      EntityCache::Ticket ticket = 0;
      std::string_view key(keys[i].data(), keys[i].size());
      if ((out.cached[i] = cache_.find(key, ticket))) {
        out.text[i] = out.cached[i]->value();
        out.found[i] = true;
        continue;
      }
      missing.push_back(i);
      missingKeys.push_back(keys[i]);
      tickets.push_back(ticket);
    }
    if (missing.empty()) return;
    out.pinned = std::vector<rocksdb::PinnableSlice>(missing.size());
    std::vector<rocksdb::Status> statuses(missing.size());
    db_->MultiGet(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), missing.size(), missingKeys.data(),
                  out.pinned.data(), statuses.data());  // the keys in the caller's order: not always sorted
    for (size_t k = 0; k < missing.size(); ++k) {
      if (statuses[k].IsNotFound()) continue;
      check(statuses[k], "read");
      auto i = missing[k];
      out.text[i] = std::string_view(out.pinned[k].data(), out.pinned[k].size());
      out.found[i] = true;
      cache_.add(std::string_view(keys[i].data(), keys[i].size()), out.text[i], tickets[k]);
    }
  }

  void loadKeyNumbers() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    std::string prefix = makeKey('K', {""});
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string_view number(it->key().data() + prefix.size(), it->key().size() - prefix.size());
      if (number.size() != 4) throw std::runtime_error("unreadable key record");
      uint32_t id = 0;
      for (char c : number) id = id << 8 | static_cast<uint8_t>(c);
      keys_.load(id, it->value().ToString());
    }
    check(it->status(), "scan");
  }

  // Numbers for keys that were written as text, for the writes after this one.
  // The write itself is done: if the numbers cannot be stored, the keys stay text.
  void numberKeys(const std::vector<std::string>& unnumbered) {
    try {
      keys_.assign(unnumbered, [this](const std::vector<std::pair<uint32_t, std::string>>& added) {
        rocksdb::WriteBatch batch;
        for (const auto& [id, key] : added) batch.Put(keyNumberKey(id), key);
        check(db_->Write(writeOptions_, &batch), "write");
      });
    } catch (const std::exception& e) {
      spdlog::warn("key numbers not stored (keys stay text): {}", e.what());
    }
  }

  // The indexes come from the index records at the start of the entity values
  // (entity_codec.h). A data directory of an earlier version (records under
  // "M" keys, none, or ones without sole numbers or strings) gets them once
  // from its entities; the setting says which version the records have.
  static constexpr std::string_view kIndexRecords = "4";
  void rebuildIndexes() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    std::string tPrefix = tenantKey("");
    for (it->Seek(tPrefix); it->Valid() && it->key().starts_with(tPrefix); it->Next())
      tenants_[it->key().ToString().substr(tPrefix.size())];
    if (getSetting("indexRecords") != kIndexRecords) moveIndexRecords();
    it.reset(db_->NewIterator(rocksdb::ReadOptions()));  // one that sees the moved records
    std::string ePrefix = makeKey('E', {""});
    size_t count = 0;
    for (it->Seek(ePrefix); it->Valid() && it->key().starts_with(ePrefix); it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      auto sep = key.find('\0', 2);
      std::string tenant(key.substr(2, sep - 2));
      std::string id(key.substr(sep + 1));
      auto facts = factsOf(std::string_view(it->value().data(), it->value().size()));
      if (!facts) throw std::runtime_error("entity without index record: " + id);
      auto meta = decodeMeta(*facts, keys_);
      if (meta.expiresAtMs) expiry_.insert({meta.expiresAtMs, tenant, id});
      auto& index = tenants_[tenant];
      index.beginBulk();
      index.add(id, meta);
      ++count;
    }
    check(it->status(), "scan");
    for (auto& [tenant, index] : tenants_) index.endBulk();
    spdlog::info("store opened: {} tenants, {} entities", tenants_.size(), count);
  }

  // Writes each entity anew with a current index record in front of its value
  // and drops the "M" records earlier versions kept them in.
  void moveIndexRecords() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    std::string ePrefix = makeKey('E', {""});
    rocksdb::WriteBatch batch;
    size_t count = 0;
    auto keyIds = keys_.snapshot();
    for (it->Seek(ePrefix); it->Valid() && it->key().starts_with(ePrefix); it->Next()) {
      std::string_view stored(it->value().data(), it->value().size());
      if (auto facts = factsOf(stored); facts && isCurrentMeta(*facts)) continue;
      auto entity = decodeEntity(stored, keys_);
      binary::KeyWriter names(*keyIds);  // names without a number stay text in these records
      batch.Put(it->key(), encodeEntity(entity, encodeMeta(extractor_(entity), names), names));
      if (++count % 10000 == 0) {
        check(db_->Write(writeOptions_, &batch), "write");
        batch.Clear();
      }
    }
    check(it->status(), "scan");
    // One range deletion for all M keys, only if there are any (a range
    // tombstone costs every read until compaction drops it).
    it->Seek(makeKey('M', {}));
    if (it->Valid() && it->key().starts_with("M")) batch.DeleteRange(makeKey('M', {}), makeKey('N', {}));
    batch.Put(settingKey("indexRecords"), kIndexRecords);
    check(db_->Write(writeOptions_, &batch), "write");
    if (count) spdlog::info("index records of {} entities written anew", count);
  }

  std::string directory_;
  std::shared_ptr<RocksEvents> events_ = std::make_shared<RocksEvents>();
  std::unique_ptr<history::Retention> retention_;  // null: keep all history; outlives db_
  std::unique_ptr<audit::AuditRetention> auditRetention_;  // null: keep the whole audit trail; outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* historyFamily_ = nullptr;  // the "history" column family
  std::unique_ptr<history::HistoryColumn> history_;        // what is stored in it
  rocksdb::ColumnFamilyHandle* auditFamily_ = nullptr;    // the "audit" column family
  std::unique_ptr<audit::AuditColumn> audit_;
  rocksdb::WriteOptions writeOptions_;
  MetaExtractor extractor_;
  KeyDictionary keys_;
  mutable EntityCache cache_;  // recently read or written entity values
  mutable std::array<std::mutex, 256> stripes_;
  Watchers watchers_;
  std::mutex settingsMutex_;  // one putSetting at a time
  mutable std::shared_mutex indexMutex_;
  std::map<std::string, TenantIndex> tenants_;
  std::set<std::tuple<int64_t, std::string, std::string>> expiry_;
};

}  // namespace

std::unique_ptr<Store> openEmbeddedStore(const EmbeddedOptions& options, MetaExtractor extractor) {
  return std::make_unique<RocksStore>(options, std::move(extractor));
}

}  // namespace allmende::store
