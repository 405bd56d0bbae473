// History keys and values (see history_codec.h for the layout).
#include "store/embedded/history_codec.h"

#include <algorithm>

#include "store/embedded/entity_codec.h"

namespace allmende::store::history {

namespace json = boost::json;
using namespace binary;

namespace {

constexpr std::string_view kInstanceIdPrefix = "urn:ngsi-ld:attribute:instance:";

enum Flags : uint8_t { ModifiedIsRecorded = 1, DeletedIsRecorded = 2, HasCreatedAt = 4 };

std::string joined(char kind, std::initializer_list<std::string_view> parts) {
  std::string k(1, kind);
  for (auto p : parts) k.append(1, '\0').append(p);
  return k;
}

void putTime(std::string& out, int64_t ms, int bytes) {
  uint64_t u = static_cast<uint64_t>(ms) ^ (uint64_t(1) << 63);
  for (int i = 7; i >= 8 - bytes; --i) out.push_back(static_cast<char>(u >> (8 * i)));
}

// The int64 member `name` of o if it equals `expected`.
bool equalsMs(const json::object& o, std::string_view name, int64_t expected) {
  auto* v = o.if_contains(name);
  return v && v->is_int64() && v->get_int64() == expected;
}

}  // namespace

std::string tenantPrefix(std::string_view tenant) { return joined('H', {tenant, ""}); }

std::string entityPrefix(std::string_view tenant, std::string_view id) {
  return joined('H', {tenant, id, ""});
}

std::string attributePrefix(std::string_view tenant, std::string_view id,
                            std::string_view attribute) {
  return joined('H', {tenant, id, attribute, ""});
}

std::string seriesPrefix(std::string_view tenant, std::string_view id, std::string_view attribute,
                         std::string_view datasetId) {
  return joined('H', {tenant, id, attribute, datasetId, ""});
}

std::string prefixEnd(std::string prefix) {
  // Every prefix here ends with the separator '\0', so the last byte can grow.
  prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

std::string blockKey(const std::string& seriesPrefix, int64_t startMs) {
  std::string k = seriesPrefix;
  putTime(k, startMs, 8);
  return k;
}

int64_t readTime(std::string_view eightBytes) {
  uint64_t u = 0;
  for (char c : eightBytes) u = u << 8 | static_cast<uint8_t>(c);
  return static_cast<int64_t>(u ^ (uint64_t(1) << 63));
}

std::optional<int64_t> blockTimeOf(std::string_view key) {
  // "H", five separators, then the block start: at least 14 bytes.
  if (key.size() < 14 || key[0] != 'H') return std::nullopt;
  return readTime(key.substr(key.size() - 8));
}

void writeInstanceId(int64_t recordedMs, uint32_t seq, json::string& out) {
  static const char* hex = "0123456789abcdef";
  char digits[24];
  uint64_t u = static_cast<uint64_t>(recordedMs) ^ (uint64_t(1) << 63);  // as putTime
  for (int i = 15; i >= 0; --i, u >>= 4) digits[i] = hex[u & 15];
  for (int i = 23; i >= 16; --i, seq >>= 4) digits[i] = hex[seq & 15];
  out.reserve(kInstanceIdPrefix.size() + sizeof digits);
  out.assign(kInstanceIdPrefix).append(std::string_view(digits, sizeof digits));
}

std::optional<std::pair<int64_t, uint32_t>> parseInstanceId(std::string_view instanceId) {
  if (!instanceId.starts_with(kInstanceIdPrefix) ||
      instanceId.size() != kInstanceIdPrefix.size() + 24)
    return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string bytes;
  for (size_t i = kInstanceIdPrefix.size(); i < instanceId.size(); i += 2) {
    int hi = digit(instanceId[i]), lo = digit(instanceId[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(hi << 4 | lo));
  }
  uint32_t seq = 0;
  for (char c : bytes.substr(8)) seq = seq << 8 | static_cast<uint8_t>(c);
  return std::pair{readTime(std::string_view(bytes).substr(0, 8)), seq};
}

bool splitSeries(std::string_view rest, std::string_view& attribute, std::string_view& datasetId) {
  auto a = rest.find('\0');
  if (a == std::string_view::npos) return false;
  auto d = rest.find('\0', a + 1);
  if (d == std::string_view::npos) return false;
  attribute = rest.substr(0, a);
  datasetId = rest.substr(a + 1, d - a - 1);
  return true;
}

std::string encodeInstance(const HistoryInstance& h, KeyWriter& keys) {
  const auto& inst = h.instance;
  uint8_t flags = 0;
  if (equalsMs(inst, "modifiedAt", h.recordedMs)) flags |= ModifiedIsRecorded;
  if (equalsMs(inst, "deletedAt", h.recordedMs)) flags |= DeletedIsRecorded;
  auto* created = inst.if_contains("createdAt");
  if (created && created->is_int64()) flags |= HasCreatedAt;
  std::string out;
  out.reserve(64);
  out.push_back(static_cast<char>(flags));
  if (flags & HasCreatedAt) putSigned(out, h.recordedMs - created->get_int64());
  json::object rest(inst.storage());
  rest.reserve(inst.size());
  for (const auto& [k, v] : inst) {
    if ((k == "modifiedAt" && (flags & ModifiedIsRecorded)) ||
        (k == "deletedAt" && (flags & DeletedIsRecorded)) ||
        (k == "createdAt" && (flags & HasCreatedAt)))
      continue;
    rest.emplace(k, v);
  }
  keys.restart();
  encodeObject(out, rest, keys);
  return out;
}

void decodeInstance(const BlockRecord& record, const KeyDictionary& keys, bool withId,
                    HistoryInstance& h) {
  if (record.op != Op::Add || record.instance.empty()) Input::bad("history record");
  h.timeMs = record.timeMs;
  h.recordedMs = record.recordedMs;
  if (withId)
    writeInstanceId(record.recordedMs, record.seq, h.instanceId);
  else
    h.instanceId.clear();
  Input in(record.instance, keys);
  uint8_t flags = in.byte();
  std::optional<int64_t> created;
  if (flags & HasCreatedAt) created = h.recordedMs - in.signedVarint();
  // Member by member into an object with room for the times the record holds
  // (adding them to a full object would move it), in the storage of `into`.
  ObjectReader members(in.rest(), keys, h.instance.storage());
  auto n = members.memberCount();
  json::object o(n + 3, h.instance.storage());
  for (; n > 0; --n) {
    auto name = members.name();
    o.emplace(name, members.memberValue());
  }
  if (created) o.emplace("createdAt", *created);
  if (flags & ModifiedIsRecorded) o.emplace("modifiedAt", h.recordedMs);
  if (flags & DeletedIsRecorded) o.emplace("deletedAt", h.recordedMs);
  h.instance = std::move(o);
}

void decodeValue(const BlockRecord& record, const KeyDictionary& keys, HistoryValue& v) {
  if (record.op != Op::Add || record.instance.empty()) Input::bad("history record");
  v.timeMs = record.timeMs;
  v.recordedMs = record.recordedMs;
  Input in(record.instance, keys);
  uint8_t flags = in.byte();
  v.createdAtMs.reset();
  if (flags & HasCreatedAt) v.createdAtMs = v.recordedMs - in.signedVarint();
  v.modifiedAtMs.reset();
  if (flags & ModifiedIsRecorded) v.modifiedAtMs = v.recordedMs;
  v.deletedAtMs.reset();
  if (flags & DeletedIsRecorded) v.deletedAtMs = v.recordedMs;
  v.kind.clear();
  v.expiresAt.clear();
  v.value.reset();
  ObjectReader members(in.rest(), keys);
  for (auto n = members.memberCount(); n > 0; --n) {
    auto name = members.name();
    auto times = name == "createdAt"    ? &v.createdAtMs
                 : name == "modifiedAt" ? &v.modifiedAtMs
                 : name == "deletedAt"  ? &v.deletedAtMs
                                        : nullptr;
    if (times) {
      auto t = members.memberValue();
      if (t.is_int64()) *times = t.get_int64();
    } else if (name == "type" || name == "expiresAt") {
      auto t = members.memberValue();
      if (t.is_string()) (name == "type" ? v.kind : v.expiresAt) = t.get_string();
    } else if (std::find(std::begin(kValueMembers), std::end(kValueMembers), name) !=
               std::end(kValueMembers)) {
      v.value = members.memberValue();
    } else {
      members.skip();
    }
  }
  if (v.deletedAtMs) v.value.reset();
}

std::string entityRecordKey(std::string_view tenant, std::string_view id) {
  return joined('R', {tenant, id});
}

std::string entityRecordPrefix(std::string_view tenant) {
  return joined('R', {tenant, ""});
}

std::string encodeEntityRecord(const HistoryEntity& e) {
  std::string out;
  putVarint(out, e.types.size());
  for (const auto& t : e.types) putBytes(out, t);
  putSigned(out, e.createdAtMs);
  putSigned(out, e.deletedAtMs);
  return out;
}

HistoryEntity decodeEntityRecord(std::string_view id, std::string_view value) {
  static const KeyDictionary none;  // the record holds no dictionary keys
  Input in(value, none);
  HistoryEntity e;
  e.id = id;
  for (uint64_t n = in.count(); n > 0; --n) e.types.emplace_back(in.bytes());
  e.createdAtMs = in.signedVarint();
  e.deletedAtMs = in.signedVarint();
  if (!in.done()) Input::bad("history entity record");
  return e;
}

}  // namespace allmende::store::history
