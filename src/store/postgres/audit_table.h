// The audit trail in PostgreSQL (schema.cpp: table audit): what
// PostgresStore's audit operations do there, with the semantics of the
// embedded store's audit column (store/embedded/audit_column.h): pages newest
// first by resource or by subject, records older than the retention never
// answered and deleted now and then.
#pragma once

#include <cstdint>
#include <string_view>

#include "store/postgres/pool.h"
#include "store/postgres/read_route.h"
#include "store/store.h"

namespace allmende::store::pg {

class AuditTable {
 public:
  // Writes go to `pool`, queries where `reads` says; retentionMs 0: keep everything.
  AuditTable(Pool& pool, const ReadRoute& reads, int64_t retentionMs);
  // Adds the statement that records it to the caller's batch (its transaction's writes).
  void add(Batch& b, std::string_view tenant, const AuditRecord& record);
  AuditPage query(std::string_view tenant, const AuditQuery& q) const;
  void dropTenant(Connection& c, std::string_view tenant);
  // Deletes the records older than the retention (now and then, never in a write's path).
  void applyRetention();

 private:
  Pool& pool_;
  const ReadRoute& reads_;
  int64_t retentionMs_;
};

}  // namespace allmende::store::pg
