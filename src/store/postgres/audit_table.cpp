// The audit trail in PostgreSQL (audit_table.h): one row per record, read a
// page at a time newest first through the index by resource or by subject
// ((tenant, name, time_ms DESC, seq DESC); seq tells apart the records of one
// millisecond in the order they were written). Retention deletes old rows in
// batches, so that no statement runs long.
#include "store/postgres/audit_table.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>

namespace allmende::store::pg {

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kDeleteBatch = 10'000;  // rows per statement of the retention

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t bounded(size_t n) {
  return n > static_cast<size_t>(kMax) ? kMax : static_cast<int64_t>(n);
}

int64_t saturatedSum(size_t a, size_t b) {
  return bounded(a) > kMax - bounded(b) ? kMax : bounded(a) + bounded(b);
}

// The statements of a query by resource or by subject (the column is named
// in the SQL; its value is $2).
struct Statements {
  std::string page, count;
};

Statements statements(std::string_view column) {
  std::string where = " FROM audit WHERE tenant = $1 AND " + std::string(column) +
                      " = $2 AND time_ms >= $3 AND time_ms < $4";
  return {"SELECT resource, time_ms, operation, attributes, subject, client, request_id" + where +
              " ORDER BY time_ms DESC, seq DESC LIMIT $5 OFFSET $6",
          "SELECT count(*) FROM (SELECT 1" + where + " LIMIT $5) r"};
}

}  // namespace

AuditTable::AuditTable(Pool& pool, const ReadRoute& reads, int64_t retentionMs)
    : pool_(pool), reads_(reads), retentionMs_(retentionMs) {}

void AuditTable::add(Batch& b, std::string_view tenant, const AuditRecord& record) {
  b.add(
      "INSERT INTO audit (tenant, resource, time_ms, operation, attributes, subject, client, "
      "request_id) VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8)",
      Params()
          .add(tenant)
          .add(record.resource)
          .add(record.timeMs)
          .add(record.operation)
          .add(arrayOf(record.attributes))
          .add(record.subject)
          .add(record.client)
          .add(record.requestId));
}

// By subject when no resource is named (as the embedded store). Without
// `count`, total is what a count stopped at offset + limit would give.
AuditPage AuditTable::query(std::string_view tenant, const AuditQuery& q) const {
  static const Statements byResource = statements("resource"), bySubject = statements("subject");
  const auto& sql = q.resource.empty() ? bySubject : byResource;
  AuditPage page;
  int64_t from = retentionMs_ > 0 ? std::max(q.fromMs, nowMs() - retentionMs_) : q.fromMs;
  if (from >= q.toMs) return page;
  auto params = [&](int64_t limit) {
    return Params()
        .add(tenant)
        .add(q.resource.empty() ? q.subject : q.resource)
        .add(from)
        .add(q.toMs)
        .add(limit);
  };
  auto c = reads_.pool().take();
  auto r = c->exec(sql.page, params(bounded(q.limit)).add(bounded(q.offset)));
  page.records.reserve(r.rows());
  for (size_t i = 0; i < r.rows(); ++i)
    page.records.push_back({r.number(i, 1), std::string(r.text(i, 0)), std::string(r.text(i, 2)),
                            parseArray(r.text(i, 3)), std::string(r.text(i, 4)),
                            std::string(r.text(i, 5)), std::string(r.text(i, 6))});
  if (q.count)
    page.total = c->exec(sql.count, params(kMax)).number(0, 0);
  else if (!page.records.empty())
    page.total = q.offset + page.records.size();
  else
    page.total = c->exec(sql.count, params(saturatedSum(q.offset, q.limit))).number(0, 0);
  return page;
}

void AuditTable::dropTenant(Connection& c, std::string_view tenant) {
  c.exec("DELETE FROM audit WHERE tenant = $1", Params().add(tenant));
}

void AuditTable::applyRetention() {
  if (retentionMs_ <= 0) return;
  int64_t cutoff = nowMs() - retentionMs_;
  auto c = pool_.take();
  while (c->exec("DELETE FROM audit WHERE ctid = ANY(ARRAY("
                 "SELECT ctid FROM audit WHERE time_ms < $1 LIMIT $2))",
                 Params().add(cutoff).add(kDeleteBatch))
             .affected() == static_cast<size_t>(kDeleteBatch)) {
  }
}

}  // namespace allmende::store::pg
