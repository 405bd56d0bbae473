// The attribute history in RocksDB's "history" column family (keys:
// history_codec.h; values: history_blocks.h): what RocksStore's history
// operations do there. Writes are added to the caller's WriteBatch, so that
// the history changes in one atomic write with the entity change it goes with;
// RocksStore serialises the writers of one entity.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "store/embedded/binary_io.h"
#include "store/embedded/history_retention.h"
#include "store/embedded/key_dictionary.h"
#include "store/history.h"

namespace allmende::store::history {

class HistoryColumn {
 public:
  // The column family's options (block merge, compression, retention filter).
  static rocksdb::ColumnFamilyOptions options(const rocksdb::Options& base,
                                              std::shared_ptr<rocksdb::Cache> cache,
                                              const Retention* retention);

  // Moves history stored by an earlier version (one record per instance)
  // into blocks, once (the "V" record then says so).
  HistoryColumn(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family, const KeyDictionary& keys,
                const Retention* retention, const rocksdb::WriteOptions& writeOptions);

  // Adds what one entity's write records in the history to the batch.
  void add(rocksdb::WriteBatch& batch, std::string_view tenant, std::string_view id,
           const HistoryWrite& h, binary::KeyWriter& names);

  std::vector<HistoryEntity> entities(std::string_view tenant) const;
  std::optional<HistoryEntity> entity(std::string_view tenant, std::string_view id) const;
  std::vector<std::pair<std::string, std::string>> attributes(std::string_view tenant,
                                                              std::string_view id) const;
  void scan(std::string_view tenant, const HistoryScan& scan,
            const std::function<bool(HistoryInstance&)>& visit) const;
  void scanValues(std::string_view tenant, const HistoryScan& scan,
                  const std::function<bool(HistoryValue&)>& visit) const;

  // Adds the change of one instance (Store::changeHistoryInstance) to the
  // batch; false if there is no such instance.
  bool change(rocksdb::WriteBatch& batch, std::string_view tenant, std::string_view id,
              std::string_view attribute, std::string_view instanceId,
              const std::function<std::optional<HistoryInstance>(const HistoryInstance&)>& change,
              binary::KeyWriter& names);
  // Adds the deletion of an entity's history (with its record), an attribute's
  // or one datasetId's to the batch; false if there is none.
  bool erase(rocksdb::WriteBatch& batch, std::string_view tenant, std::string_view id,
             const std::optional<std::string>& attribute,
             const std::optional<std::string>& datasetId) const;
  // Adds the deletion of a tenant's whole history to the batch.
  void dropTenant(rocksdb::WriteBatch& batch, std::string_view tenant) const;

 private:
  template <typename Visit>
  void scanRecords(std::string_view tenant, const HistoryScan& scan, Visit&& visit) const;
  void upgrade(const rocksdb::WriteOptions& writeOptions);

  rocksdb::DB& db_;
  rocksdb::ColumnFamilyHandle* family_;
  const KeyDictionary& keys_;
  const Retention* retention_;   // null: keep all
  std::atomic<uint32_t> seq_{0};  // tells apart the instances one millisecond records
};

}  // namespace allmende::store::history
