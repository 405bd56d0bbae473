// The audit trail in its own column family ("audit"): each record is stored
// under its resource, and found by its subject through an index entry, so
// that both lists are one range read, newest first:
//   "R" <tenant> \0 <resource> \0 <time 8> <seq 8>  -> the record (binary, below)
//   "S" <tenant> \0 <subject> \0 <time 8> <seq 8>   -> <resource> (its record has the same time and
//   seq)
// (times big-endian with the sign bit flipped, so that byte order is time
// order). A record is its operation, subject, client, request id and
// attributes, each a 2-byte length and the bytes. With a retention, records
// older than it are no longer answered and are dropped by the family's
// compactions (AuditRetention), never in a write's path.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "store/store.h"

namespace allmende::store::audit {

// Drops records older than the retention (by the time in their key).
class AuditRetention : public rocksdb::CompactionFilter {
 public:
  explicit AuditRetention(int64_t retentionMs) : retentionMs_(retentionMs) {}
  int64_t cutoffMs() const;  // the oldest time kept now (epoch ms)
  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string* newValue, bool* valueChanged) const override;
  const char* Name() const override { return "allmende.AuditRetention"; }

 private:
  int64_t retentionMs_;
};

class AuditColumn {
 public:
  // The family's options (retention: null keeps everything; it must outlive the DB).
  static rocksdb::ColumnFamilyOptions options(const rocksdb::Options& base,
                                              const AuditRetention* retention);

  AuditColumn(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
              const AuditRetention* retention);

  // Adds the record and its subject's index entry to the batch.
  void add(rocksdb::WriteBatch& batch, std::string_view tenant, const AuditRecord& record);
  AuditPage query(std::string_view tenant, const AuditQuery& q) const;
  // Adds the deletion of the tenant's records to the batch.
  void dropTenant(rocksdb::WriteBatch& batch, std::string_view tenant);

 private:
  rocksdb::DB& db_;
  rocksdb::ColumnFamilyHandle* family_;
  const AuditRetention* retention_;
  std::atomic<uint64_t> seq_;  // unique per record within a millisecond, across restarts
};

}  // namespace allmende::store::audit
