// The embedded store: RocksDB under --data DIR, with in-memory indexes rebuilt
// at start. Key layout of the default column family (byte-ordered):
//   "T\0<tenant>"          -> ""              a tenant exists
//   "E\0<tenant>\0<id>"    -> entity JSON     the entity, internal form
//   "M\0<tenant>\0<id>"    -> index record    what the indexes need of the entity (restart reads
//   these) "C\0<id>"              -> context JSON    a hosted @context "S\0<key>"             ->
//   value           a broker-wide setting
// Point reads of entities go through an entity cache kept by the write path
// (entity_cache.h) before RocksDB.
// The "history" column family holds the attribute history (history_codec.h),
// the "audit" column family the audit trail (audit_column.h).
// An entity, its index record and the history it records change in one WriteBatch. Durability:
// every write goes through the WAL before it is acknowledged, so an acknowledged write survives a
// crash of the process (kill -9). With sync=true the WAL is also fsynced (RocksDB groups concurrent
// writers into one fsync), so an acknowledged write survives power loss too.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace allmende::store {

struct EmbeddedOptions {
  std::string directory;
  bool sync = false;
  size_t blockCacheBytes = 256u << 20;
  size_t entityCacheBytes = 128u << 20;  // entity_cache.h
  int64_t historyRetentionMs = 0;  // > 0: history older than this is removed (history_retention.h)
  int64_t auditRetentionMs = 0;    // > 0: audit records older than this are removed (audit_column.h)
};

// Opens (creating if needed) the store; throws std::runtime_error on failure.
std::unique_ptr<Store> openEmbeddedStore(const EmbeddedOptions& options, MetaExtractor extractor);

}  // namespace allmende::store
