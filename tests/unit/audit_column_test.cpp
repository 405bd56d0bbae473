// The audit trail's column family: records of a resource and of a subject
// come newest first, paged, within a time window, per tenant; with a
// retention, reads leave out older records and compactions drop them.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include <rocksdb/db.h>

#include "store/embedded/audit_column.h"

using namespace allmende::store;

namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A RocksDB with the audit family, in a fresh directory.
struct AuditDb {
  explicit AuditDb(const audit::AuditRetention* retention) {
    dir = std::filesystem::temp_directory_path() /
          ("allmende-audit-" + std::to_string(nowMs()) + "-" +
           std::to_string(reinterpret_cast<uintptr_t>(this)));
    rocksdb::Options opts;
    opts.create_if_missing = true;
    opts.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(opts)},
        {"audit", audit::AuditColumn::options(opts, retention)}};
    rocksdb::DB* raw = nullptr;
    EXPECT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(opts), dir.string(), families, &handles, &raw).ok());
    db.reset(raw);
    column = std::make_unique<audit::AuditColumn>(*db, handles[1], retention);
  }
  ~AuditDb() {
    column.reset();
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    db.reset();
    std::filesystem::remove_all(dir);
  }
  void put(std::string_view tenant, AuditRecord r) {
    rocksdb::WriteBatch batch;
    column->add(batch, tenant, r);
    ASSERT_TRUE(db->Write(rocksdb::WriteOptions(), &batch).ok());
  }
  size_t keys() {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[1]));
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    return n;
  }

  std::filesystem::path dir;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::unique_ptr<rocksdb::DB> db;
  std::unique_ptr<audit::AuditColumn> column;
};

AuditRecord record(int64_t time, std::string resource, std::string subject) {
  AuditRecord r;
  r.timeMs = time;
  r.resource = std::move(resource);
  r.operation = "update";
  r.attributes = {"https://example.org/speed"};
  r.subject = std::move(subject);
  r.client = "app";
  r.requestId = "req-" + std::to_string(time);
  return r;
}

std::vector<int64_t> times(const AuditPage& page) {
  std::vector<int64_t> out;
  for (const auto& r : page.records) out.push_back(r.timeMs);
  return out;
}

}  // namespace

TEST(AuditColumn, ListsNewestFirstPerResourceAndSubject) {
  AuditDb d(nullptr);
  d.put("t",
        record(-5000, "urn:e:1", "alice"));  // before 1970: times keep their order across the sign
  d.put("t", record(1000, "urn:e:1", "alice"));
  d.put("t", record(3000, "urn:e:1", "bob"));
  d.put("t", record(2000, "urn:e:2", "alice"));
  d.put("t", record(3000, "urn:e:1", "alice"));  // the same millisecond twice: both kept
  d.put("other", record(4000, "urn:e:1", "alice"));
  AuditQuery q;
  q.resource = "urn:e:1";
  EXPECT_EQ(times(d.column->query("t", q)), (std::vector<int64_t>{3000, 3000, 1000, -5000}));
  auto first = d.column->query("t", q).records.front();
  EXPECT_EQ(first.operation, "update");
  EXPECT_EQ(first.attributes, std::vector<std::string>{"https://example.org/speed"});
  EXPECT_EQ(first.client, "app");
  EXPECT_EQ(first.requestId, "req-3000");
  q.resource.clear();
  q.subject = "alice";
  EXPECT_EQ(times(d.column->query("t", q)), (std::vector<int64_t>{3000, 2000, 1000, -5000}));
  q.fromMs = 1000;
  q.toMs = 3000;  // exclusive
  EXPECT_EQ(times(d.column->query("t", q)), (std::vector<int64_t>{2000, 1000}));
  q = {};
  q.subject = "alice";
  q.offset = 1;
  q.limit = 2;
  q.count = true;
  auto page = d.column->query("t", q);
  EXPECT_EQ(times(page), (std::vector<int64_t>{2000, 1000}));
  EXPECT_EQ(page.total, 4u);
  q = {};
  q.subject = "ali";  // a prefix of a subject is another subject
  EXPECT_TRUE(d.column->query("t", q).records.empty());
  q.subject = "alice";
  EXPECT_EQ(times(d.column->query("other", q)), (std::vector<int64_t>{4000}));
  rocksdb::WriteBatch drop;
  d.column->dropTenant(drop, "t");
  ASSERT_TRUE(d.db->Write(rocksdb::WriteOptions(), &drop).ok());
  EXPECT_TRUE(d.column->query("t", q).records.empty());
  EXPECT_EQ(times(d.column->query("other", q)), (std::vector<int64_t>{4000}));
}

TEST(AuditColumn, RetentionHidesAndCompactionsDropOlderRecords) {
  audit::AuditRetention retention(3600 * 1000);
  AuditDb d(&retention);
  auto now = nowMs();
  d.put("t", record(now - 7200 * 1000, "urn:e:1", "alice"));
  d.put("t", record(now - 60 * 1000, "urn:e:1", "alice"));
  AuditQuery q;
  q.resource = "urn:e:1";
  EXPECT_EQ(times(d.column->query("t", q)), (std::vector<int64_t>{now - 60 * 1000}));
  EXPECT_EQ(d.keys(), 4u);  // both records, each under its resource and its subject
  ASSERT_TRUE(d.db->Flush(rocksdb::FlushOptions(), d.handles[1]).ok());
  ASSERT_TRUE(
      d.db->CompactRange(rocksdb::CompactRangeOptions(), d.handles[1], nullptr, nullptr).ok());
  EXPECT_EQ(d.keys(), 2u);
  EXPECT_EQ(times(d.column->query("t", q)), (std::vector<int64_t>{now - 60 * 1000}));
}
