// The PostgreSQL store (`allmende serve --store postgresql://...`): the Store
// interface over one PostgreSQL database with PostGIS, which several brokers
// may share. Entities are rows of JSONB with what queries select on extracted
// beside them (schema.cpp); queries are compiled to SQL (query_sql.h), with
// the caller's predicate as the exact check where SQL does not decide. Every
// write is one transaction, committed durably before the call returns.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace allmende::store {

struct PostgresOptions {
  std::string url;                 // a libpq connection URI or string
  size_t connections = 16;         // the pool's size
  std::string replicaUrl;          // a streaming replica for reads (pg/read_route.h); "" none
  int64_t replicaMaxLagMs = 1000;  // reads go to the primary while the replica lags more
  int64_t historyRetentionMs = 0;  // > 0: history older than this is removed
  int64_t auditRetentionMs = 0;    // > 0: audit records older than this are removed
};

// Connects, creates or migrates the schema, and opens the store; throws
// std::runtime_error on failure.
std::unique_ptr<Store> openPostgresStore(const PostgresOptions& options, MetaExtractor extractor);

}  // namespace allmende::store
