// The audit trail's keys, records and range reads (audit_column.h).
#include "store/embedded/audit_column.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace allmende::store::audit {

namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void appendBigEndian(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

uint64_t readBigEndian(std::string_view eight) {
  uint64_t v = 0;
  for (char c : eight) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

constexpr uint64_t kSign = uint64_t{1} << 63;

void appendTime(std::string& out, int64_t ms) {
  appendBigEndian(out, static_cast<uint64_t>(ms) ^ kSign);
}

// "<kind><tenant>\0<name>\0": the prefix of one list. A name holding \0 (never an
// entity id; a subject only if an issuer put one there) is cut there.
std::string listPrefix(char kind, std::string_view tenant, std::string_view name) {
  std::string out(1, kind);
  out.append(tenant).push_back('\0');
  out.append(name.substr(0, name.find('\0'))).push_back('\0');
  return out;
}

void appendText(std::string& out, std::string_view text) {
  auto size = std::min<size_t>(text.size(), 0xFFFF);  // longer texts (none in practice) are cut
  out.push_back(static_cast<char>(size >> 8));
  out.push_back(static_cast<char>(size & 0xFF));
  out.append(text.substr(0, size));
}

std::string_view readText(std::string_view& in) {
  if (in.size() < 2) throw std::runtime_error("a truncated audit record");
  size_t size = (static_cast<size_t>(static_cast<unsigned char>(in[0])) << 8) |
                static_cast<unsigned char>(in[1]);
  if (in.size() < 2 + size) throw std::runtime_error("a truncated audit record");
  auto text = in.substr(2, size);
  in.remove_prefix(2 + size);
  return text;
}

std::string encode(const AuditRecord& r) {
  std::string out;
  out.reserve(64 + r.subject.size() + r.client.size() + r.requestId.size() +
              r.attributes.size() * 64);
  appendText(out, r.operation);
  appendText(out, r.subject);
  appendText(out, r.client);
  appendText(out, r.requestId);
  for (const auto& a : r.attributes) appendText(out, a);
  return out;
}

// The record of `resource` stored under a key ending in `suffix` (time and seq).
AuditRecord decode(std::string_view in, std::string_view resource, std::string_view suffix) {
  AuditRecord r;
  r.timeMs = static_cast<int64_t>(readBigEndian(suffix.substr(0, 8)) ^ kSign);
  r.resource = std::string(resource);
  r.operation = std::string(readText(in));
  r.subject = std::string(readText(in));
  r.client = std::string(readText(in));
  r.requestId = std::string(readText(in));
  while (!in.empty()) r.attributes.emplace_back(readText(in));
  return r;
}

}  // namespace

int64_t AuditRetention::cutoffMs() const {
  return nowMs() - retentionMs_;
}

bool AuditRetention::Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*,
                            bool*) const {
  if (key.size() < 16) return false;
  auto time = static_cast<int64_t>(
      readBigEndian(std::string_view(key.data() + key.size() - 16, 8)) ^ kSign);
  return time < cutoffMs();
}

rocksdb::ColumnFamilyOptions AuditColumn::options(const rocksdb::Options& base,
                                                  const AuditRetention* retention) {
  rocksdb::ColumnFamilyOptions cf(base);
  if (retention) {
    cf.compaction_filter = retention;
    cf.periodic_compaction_seconds = 24 * 3600;
  }
  cf.memtable_whole_key_filtering = false;  // read by ranges only
  cf.memtable_prefix_bloom_size_ratio = 0;
  return cf;
}

AuditColumn::AuditColumn(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                         const AuditRetention* retention)
    : db_(db),
      family_(family),
      retention_(retention),
      seq_(static_cast<uint64_t>(nowMs()) * 1000) {}

void AuditColumn::add(rocksdb::WriteBatch& batch, std::string_view tenant,
                      const AuditRecord& record) {
  std::string suffix;
  appendTime(suffix, record.timeMs);
  appendBigEndian(suffix, seq_.fetch_add(1, std::memory_order_relaxed));
  batch.Put(family_, listPrefix('R', tenant, record.resource) + suffix, encode(record));
  batch.Put(family_, listPrefix('S', tenant, record.subject) + suffix, record.resource);
}

void AuditColumn::dropTenant(rocksdb::WriteBatch& batch, std::string_view tenant) {
  for (char kind : {'R', 'S'}) {
    std::string from(1, kind), to(1, kind);
    from.append(tenant).push_back('\0');
    to.append(tenant).push_back('\1');
    batch.DeleteRange(family_, from, to);
  }
}

AuditPage AuditColumn::query(std::string_view tenant, const AuditQuery& q) const {
  AuditPage page;
  bool bySubject = q.resource.empty();
  auto prefix =
      bySubject ? listPrefix('S', tenant, q.subject) : listPrefix('R', tenant, q.resource);
  int64_t from = retention_ ? std::max(q.fromMs, retention_->cutoffMs()) : q.fromMs;
  if (from >= q.toMs) return page;
  std::string lower = prefix, upper = prefix;
  appendTime(lower, from);
  appendTime(upper, q.toMs);  // exclusive: every key of time toMs is longer, so after it
  rocksdb::ReadOptions options;
  rocksdb::Slice lowerBound(lower);
  options.iterate_lower_bound = &lowerBound;
  std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(options, family_));
  size_t seen = 0;
  std::string record;
  for (it->SeekForPrev(upper); it->Valid(); it->Prev()) {
    if (it->key().compare(rocksdb::Slice(upper)) >= 0) continue;
    if (seen >= q.offset && page.records.size() < q.limit) {
      std::string_view key(it->key().data(), it->key().size());
      auto suffix = key.substr(key.size() - 16);
      std::string_view value(it->value().data(), it->value().size());
      if (!bySubject) {
        page.records.push_back(decode(value, q.resource, suffix));
      } else {  // the index entry names the resource; its record has the same time and seq
        auto key = listPrefix('R', tenant, value).append(suffix);
        if (db_.Get(rocksdb::ReadOptions(), family_, key, &record).ok())
          page.records.push_back(decode(record, value, suffix));
      }
    }
    ++seen;
    if (!q.count && seen >= q.offset + q.limit) break;
  }
  page.total = seen;
  return page;
}

}  // namespace allmende::store::audit
