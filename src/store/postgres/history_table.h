// The attribute history in PostgreSQL (schema.cpp: tables history_entities and
// history, the latter partitioned by month of the instances' time): what
// PostgresStore's history operations do there. Writes run in the caller's
// transaction (the entity change they go with commits with them); reads take
// a connection of the pool. The semantics are those of the embedded store's
// history column (store/history.h, store/embedded/history_column.h): the same
// scan order, instanceIds of the same form (history_codec.h's
// writeInstanceId, from the recording time and a sequence), the same retention
// (instances older than it are never answered; whole partitions older than it
// are dropped).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/history.h"
#include "store/postgres/pool.h"
#include "store/postgres/read_route.h"

namespace allmende::store::pg {

class HistoryTable {
 public:
  // retentionMs > 0: history older than that is neither answered nor kept.
  // Writes go to `pool`, reads where `reads` says.
  HistoryTable(Pool& pool, const ReadRoute& reads, int64_t retentionMs);

  // Adds the statements that record what one entity's write records in the
  // history to the caller's batch (its transaction's writes). Whoever runs
  // the batch and gets an error passes it to forgetPartitionIfGone.
  void add(Batch& b, std::string_view tenant, std::string_view id, const HistoryWrite& h);
  // After a failed write: when a partition it wrote to no longer exists
  // (dropped by another broker's retention), forgets the partitions known, so
  // that the next write makes the ones it needs again.
  void forgetPartitionIfGone(const Error& e);

  std::vector<HistoryEntity> entities(std::string_view tenant) const;
  std::optional<HistoryEntity> entity(std::string_view tenant, std::string_view id) const;
  std::vector<std::pair<std::string, std::string>> attributes(std::string_view tenant,
                                                              std::string_view id) const;
  void scan(std::string_view tenant, const HistoryScan& scan,
            const std::function<bool(HistoryInstance&)>& visit) const;
  void scanValues(std::string_view tenant, const HistoryScan& scan,
                  const std::function<bool(HistoryValue&)>& visit) const;

  // Store::aggregateHistory.
  std::string aggregate(std::string_view tenant, const HistoryAggregation& aggregation,
                        const std::function<void(const HistoryPeriod&)>& visit) const;

  // Store::changeHistoryInstance, in the caller's transaction; false if there is no such instance.
  bool change(Connection& c, std::string_view tenant, std::string_view id,
              std::string_view attribute, std::string_view instanceId,
              const std::function<std::optional<HistoryInstance>(const HistoryInstance&)>& change);
  // Store::deleteHistory, in the caller's transaction; false if there was none.
  bool erase(Connection& c, std::string_view tenant, std::string_view id,
             const std::optional<std::string>& attribute,
             const std::optional<std::string>& datasetId);
  void dropTenant(Connection& c, std::string_view tenant);

  // Makes this month's and the next month's partitions, and drops the
  // partitions wholly older than the retention (called now and then by the
  // store, never in a write's path).
  void applyRetention();

 private:
  // Makes the partitions the times need (under an advisory lock, so that
  // brokers sharing the database do not race), outside the caller's transaction.
  void ensurePartitions(const std::vector<int64_t>& timesMs);
  int64_t cutoffMs() const;  // the oldest time answered (INT64_MIN without retention)

  Pool& pool_;
  const ReadRoute& reads_;
  int64_t retentionMs_;
  mutable std::mutex partitionsMutex_;
  std::set<int64_t> partitions_;  // the month starts (epoch ms) known to have a partition
  std::mutex creatingMutex_;      // one thread of this process makes partitions at a time
};

}  // namespace allmende::store::pg
