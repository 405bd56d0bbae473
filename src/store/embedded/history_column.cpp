// The history column family's operations (history_column.h).
#include "store/embedded/history_column.h"

#include <algorithm>
#include <limits>

#include <rocksdb/convenience.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>

#include "store/embedded/history_blocks.h"
#include "store/embedded/history_codec.h"
#include "store/embedded/rocks_status.h"

namespace allmende::store::history {

namespace {

constexpr std::string_view kVersionKey = "V";
constexpr std::string_view kVersion = "2";  // 1 (no record): one record per instance

// The part of a history key after its series prefix ("H" and five separators);
// empty for another record.
std::string_view afterSeries(std::string_view key, size_t& prefixSize) {
  if (key.empty() || key[0] != 'H') return {};
  size_t at = 0;
  for (int i = 0; i < 5; ++i) {
    at = key.find('\0', at + 1);
    if (at == std::string_view::npos) return {};
  }
  prefixSize = at + 1;
  return key.substr(prefixSize);
}

}  // namespace

// Read by range scans, so no Bloom filters; larger data blocks and ZSTD
// (where RocksDB has it) for series of similar instances. With a retention,
// every file is compacted (and so filtered) at least daily.
rocksdb::ColumnFamilyOptions HistoryColumn::options(const rocksdb::Options& base,
                                                    std::shared_ptr<rocksdb::Cache> cache,
                                                    const Retention* retention) {
  rocksdb::ColumnFamilyOptions cf(base);
  cf.merge_operator = std::make_shared<BlockMerge>();
  if (retention) {
    cf.compaction_filter = retention;
    cf.periodic_compaction_seconds = 24 * 3600;
  }
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = std::move(cache);
  table.block_size = 16 * 1024;
  table.checksum = rocksdb::kXXH3;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.memtable_whole_key_filtering = false;
  cf.memtable_prefix_bloom_size_ratio = 0;
  // A range scan merges every level-0 file (each holds a slice of every
  // series): merged into level 1 two at a time (not sixteen as entities).
  cf.level0_file_num_compaction_trigger = 2;
  auto supported = rocksdb::GetSupportedCompressions();
  bool zstd = std::find(supported.begin(), supported.end(), rocksdb::kZSTD) != supported.end();
  cf.compression = zstd ? rocksdb::kZSTD : rocksdb::kLZ4Compression;
  return cf;
}

HistoryColumn::HistoryColumn(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                             const KeyDictionary& keys, const Retention* retention,
                             const rocksdb::WriteOptions& writeOptions)
    : db_(db), family_(family), keys_(keys), retention_(retention) {
  upgrade(writeOptions);
}

void HistoryColumn::upgrade(const rocksdb::WriteOptions& writeOptions) {
  std::string version;
  auto status = db_.Get(rocksdb::ReadOptions(), family_, kVersionKey, &version);
  if (status.ok() && version == kVersion) return;
  if (!status.IsNotFound()) check(status, "read");
  // Version 1 keys: series prefix, then time (8 bytes), recorded (8), seq (4).
  std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(rocksdb::ReadOptions(), family_));
  rocksdb::WriteBatch batch;
  size_t moved = 0;
  std::string block;
  for (it->Seek("H"); it->Valid() && it->key().starts_with("H"); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    size_t prefixSize = 0;
    auto rest = afterSeries(key, prefixSize);
    if (rest.size() != 20) continue;  // a block already
    BlockRecord r;
    r.timeMs = readTime(rest.substr(0, 8));
    r.recordedMs = readTime(rest.substr(8, 8));
    for (char c : rest.substr(16)) r.seq = r.seq << 8 | static_cast<uint8_t>(c);
    r.instance = std::string_view(it->value().data(), it->value().size());
    auto start = blockStart(r.timeMs);
    block.clear();
    appendRecord(block, start, r);
    batch.Merge(family_, blockKey(std::string(key.substr(0, prefixSize)), start), block);
    batch.Delete(family_, it->key());
    if (++moved % 10000 == 0) {
      check(db_.Write(writeOptions, &batch), "write");
      batch.Clear();
    }
  }
  check(it->status(), "scan");
  batch.Put(family_, kVersionKey, kVersion);
  check(db_.Write(writeOptions, &batch), "write");
  if (moved) spdlog::info("history of an earlier version moved into blocks: {} instances", moved);
}

void HistoryColumn::add(rocksdb::WriteBatch& batch, std::string_view tenant, std::string_view id,
                        const HistoryWrite& h, binary::KeyWriter& names) {
  std::string operand;
  for (const auto& instance : h.instances) {
    auto start = blockStart(instance.timeMs);
    auto encoded = encodeInstance(instance, names);
    operand.clear();
    appendRecord(operand, start,
                 {h.replaceSameTime ? Op::Replace : Op::Add, instance.timeMs, instance.recordedMs,
                  seq_++, encoded});
    batch.Merge(family_,
                blockKey(seriesPrefix(tenant, id, instance.attribute, instance.datasetId), start),
                operand);
  }
  if (h.entity) batch.Put(family_, entityRecordKey(tenant, id), encodeEntityRecord(*h.entity));
}

std::vector<HistoryEntity> HistoryColumn::entities(std::string_view tenant) const {
  std::vector<HistoryEntity> out;
  std::string prefix = entityRecordPrefix(tenant);
  std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(rocksdb::ReadOptions(), family_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view id(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    out.push_back(decodeEntityRecord(id, std::string_view(it->value().data(), it->value().size())));
  }
  check(it->status(), "scan");
  return out;
}

std::optional<HistoryEntity> HistoryColumn::entity(std::string_view tenant,
                                                   std::string_view id) const {
  std::string value;
  auto status = db_.Get(rocksdb::ReadOptions(), family_, entityRecordKey(tenant, id), &value);
  if (status.IsNotFound()) return std::nullopt;
  check(status, "read");
  return decodeEntityRecord(id, value);
}

// One seek per (attribute, datasetId): each series is skipped as a whole. A
// series whose blocks are all empty (its instances deleted one by one) is not one.
std::vector<std::pair<std::string, std::string>> HistoryColumn::attributes(
    std::string_view tenant, std::string_view id) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::string prefix = entityPrefix(tenant, id);
  std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(rocksdb::ReadOptions(), family_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);) {
    std::string_view rest(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    std::string_view attribute, datasetId;
    if (!splitSeries(rest, attribute, datasetId))
      throw std::runtime_error("unreadable history key");
    std::string series = seriesPrefix(tenant, id, attribute, datasetId);
    while (it->Valid() && it->key().starts_with(series) && it->value().empty()) it->Next();
    if (it->Valid() && it->key().starts_with(series)) out.emplace_back(attribute, datasetId);
    it->Seek(prefixEnd(series));
  }
  check(it->status(), "scan");
  return out;
}

// Calls visit(record) for each instance of the scan, in its order, until
// visit returns false: the blocks that overlap the range, and in them the
// records inside it.
template <typename Visit>
void HistoryColumn::scanRecords(std::string_view tenant, const HistoryScan& scan,
                                Visit&& visit) const {
  int64_t from = retention_ ? std::max(scan.fromMs, retention_->cutoffMs()) : scan.fromMs;
  int64_t to = scan.toMs;
  if (from >= to) return;
  std::string prefix = seriesPrefix(tenant, scan.entityId, scan.attribute, scan.datasetId);
  std::string lower = blockKey(prefix, blockStart(from));
  std::string upper = blockStart(to - 1) > std::numeric_limits<int64_t>::max() - kBlockMs
                          ? prefixEnd(prefix)
                          : blockKey(prefix, blockStart(to - 1) + kBlockMs);
  rocksdb::Slice lowerSlice(lower), upperSlice(upper);
  rocksdb::ReadOptions read;
  read.iterate_lower_bound = &lowerSlice;
  read.iterate_upper_bound = &upperSlice;
  std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(read, family_));
  std::vector<BlockRecord> records;  // of one block, to be visited newest first
  for (scan.newestFirst ? it->SeekToLast() : it->SeekToFirst(); it->Valid();
       scan.newestFirst ? it->Prev() : it->Next()) {
    auto start = blockTimeOf(std::string_view(it->key().data(), it->key().size()));
    if (!start) throw std::runtime_error("unreadable history key");
    BlockReader reader(std::string_view(it->value().data(), it->value().size()), *start);
    BlockRecord r;
    records.clear();
    while (reader.next(r)) {
      if (r.timeMs < from || r.timeMs >= to) continue;
      if (scan.newestFirst)
        records.push_back(r);
      else if (!visit(r))
        return;
    }
    for (auto k = records.rbegin(); k != records.rend(); ++k)
      if (!visit(*k)) return;
  }
  check(it->status(), "scan");
}

void HistoryColumn::scan(std::string_view tenant, const HistoryScan& scan,
                         const std::function<bool(HistoryInstance&)>& visit) const {
  HistoryInstance instance{{}, {}, 0, 0, boost::json::object(scan.storage),
                           boost::json::string(scan.storage)};
  scanRecords(tenant, scan, [&](const BlockRecord& r) {
    decodeInstance(r, keys_, scan.instanceIds, instance);
    return visit(instance);
  });
}

void HistoryColumn::scanValues(std::string_view tenant, const HistoryScan& scan,
                               const std::function<bool(HistoryValue&)>& visit) const {
  HistoryValue v;
  scanRecords(tenant, scan, [&](const BlockRecord& r) {
    decodeValue(r, keys_, v);
    return visit(v);
  });
}

// The instance is looked for in each of the attribute's series (an id names
// no datasetId); it leaves its block by a Remove record and comes back, where
// its new time puts it, with its id.
bool HistoryColumn::change(
    rocksdb::WriteBatch& batch, std::string_view tenant, std::string_view id,
    std::string_view attribute, std::string_view instanceId,
    const std::function<std::optional<HistoryInstance>(const HistoryInstance&)>& change,
    binary::KeyWriter& names) {
  auto wanted = parseInstanceId(instanceId);
  if (!wanted) return false;
  for (const auto& series : attributes(tenant, id)) {
    const auto& [name, datasetId] = series;
    if (name != attribute) continue;
    std::optional<HistoryInstance> found;
    HistoryScan all{std::string(id), name, datasetId};
    scanRecords(tenant, all, [&](const BlockRecord& r) {
      if (r.recordedMs != wanted->first || r.seq != wanted->second) return true;
      found.emplace();
      found->attribute = series.first;
      found->datasetId = series.second;  // (clang 14 cannot capture structured bindings)
      decodeInstance(r, keys_, true, *found);
      return false;
    });
    if (!found) continue;
    auto replacement = change(*found);
    if (replacement) replacement->recordedMs = found->recordedMs;  // the id stays
    auto prefix = seriesPrefix(tenant, id, name, datasetId);
    std::string operand;
    auto start = blockStart(found->timeMs);
    appendRecord(operand, start, {Op::Remove, found->timeMs, found->recordedMs, wanted->second, {}});
    batch.Merge(family_, blockKey(prefix, start), operand);
    if (replacement) {
      auto encoded = encodeInstance(*replacement, names);
      start = blockStart(replacement->timeMs);
      operand.clear();
      appendRecord(operand, start,
                   {Op::Add, replacement->timeMs, found->recordedMs, wanted->second, encoded});
      batch.Merge(family_, blockKey(prefix, start), operand);
    }
    return true;
  }
  return false;
}

bool HistoryColumn::erase(rocksdb::WriteBatch& batch, std::string_view tenant,
                          std::string_view id, const std::optional<std::string>& attribute,
                          const std::optional<std::string>& datasetId) const {
  std::string prefix = !attribute   ? entityPrefix(tenant, id)
                       : !datasetId ? attributePrefix(tenant, id, *attribute)
                                    : seriesPrefix(tenant, id, *attribute, *datasetId);
  std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(rocksdb::ReadOptions(), family_));
  it->Seek(prefix);
  bool found = it->Valid() && it->key().starts_with(prefix);
  check(it->status(), "scan");
  if (found) batch.DeleteRange(family_, prefix, prefixEnd(prefix));
  if (!attribute && entity(tenant, id)) {
    batch.Delete(family_, entityRecordKey(tenant, id));
    found = true;
  }
  return found;
}

void HistoryColumn::dropTenant(rocksdb::WriteBatch& batch, std::string_view tenant) const {
  for (auto prefix : {tenantPrefix(tenant), entityRecordPrefix(tenant)})
    batch.DeleteRange(family_, prefix, prefixEnd(prefix));
}

}  // namespace allmende::store::history
