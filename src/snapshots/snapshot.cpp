// The Snapshot record: rendering, the status that per-query results add up
// to, and the stored form (the rendered members with times in epoch ms, plus
// the store tenant).
#include "snapshots/snapshot.h"

#include <stdexcept>

#include "ngsi/datetime.h"

namespace allmende::snapshots {

namespace {

int64_t msMember(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_int64() ? v->get_int64() : 0;
}

}  // namespace

json::object render(const Snapshot& s) {
  json::object out;
  out["id"] = s.id;
  out["type"] = "Snapshot";
  out["snapshotQueries"] = s.queries;
  out["snapshotStatus"] = s.status;
  if (!s.queryDetails.empty()) out["snapshotQueriesDetails"] = s.queryDetails;
  out["snapshotPriority"] = s.priority;
  if (s.lifetime) out["snapshotLifetime"] = *s.lifetime;
  if (s.expiresAtMs) out["expiresAt"] = ngsi::formatDateTime(s.expiresAtMs);
  out["createdAt"] = ngsi::formatDateTime(s.createdAtMs);
  out["modifiedAt"] = ngsi::formatDateTime(s.modifiedAtMs);
  out["lastUsedAt"] = ngsi::formatDateTime(s.lastUsedAtMs);
  return out;
}

std::string_view overallStatus(const json::array& queryDetails) {
  size_t succeeded = 0, failedOnes = 0;
  for (const auto& d : queryDetails) {
    auto result = d.as_object().at("resultStatus").as_string();
    succeeded += result == status::success;
    failedOnes += result == status::failed;
  }
  if (succeeded == queryDetails.size() && succeeded > 0) return status::success;
  if (succeeded > 0) return status::partial;
  return failedOnes > 0 ? status::failed : status::empty;
}

std::string serialize(const Snapshot& s) {
  json::object out = render(s);
  out.erase("id");
  out.erase("type");
  out["storeTenant"] = s.storeTenant;
  out["createdAt"] = s.createdAtMs;
  out["modifiedAt"] = s.modifiedAtMs;
  out["lastUsedAt"] = s.lastUsedAtMs;
  if (s.expiresAtMs) out["expiresAt"] = s.expiresAtMs;
  return json::serialize(out);
}

Snapshot parseStored(const store::StoredDocument& stored) {
  try {
    auto doc = json::parse(stored.document).as_object();
    Snapshot s;
    s.tenant = stored.tenant;
    s.id = stored.id;
    s.storeTenant = doc.at("storeTenant").as_string();
    s.queries = doc.at("snapshotQueries").as_array();
    s.status = doc.at("snapshotStatus").as_string();
    if (auto* d = doc.if_contains("snapshotQueriesDetails")) s.queryDetails = d->as_array();
    s.priority = doc.at("snapshotPriority").as_int64();
    if (auto* l = doc.if_contains("snapshotLifetime")) s.lifetime = std::string(l->as_string());
    s.createdAtMs = msMember(doc, "createdAt");
    s.modifiedAtMs = msMember(doc, "modifiedAt");
    s.lastUsedAtMs = msMember(doc, "lastUsedAt");
    s.expiresAtMs = msMember(doc, "expiresAt");
    return s;
  } catch (const std::exception& e) {
    throw std::runtime_error("damaged snapshot '" + stored.id + "': " + e.what());
  }
}

}  // namespace allmende::snapshots
