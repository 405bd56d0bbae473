// Snapshot endpoints (clause 5.16, 6.36-6.38): create a snapshot from queries,
// retrieve it, update it (snapshotPriority, snapshotLifetime), delete it,
// purge snapshots by a q over their members, clone one. Creating or cloning
// copies the entities inside the request, so the answer comes when the copy
// is complete; `preparing` is seen only by requests that run meanwhile.
// Reads scoped to a snapshot (NGSILD-Snapshot) are resolved in api/call.cpp.
#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "api/entity_access.h"
#include "api/entity_selection.h"
#include "api/routes.h"
#include "api/version_preference.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"
#include "query/q.h"
#include "snapshots/copy.h"
#include "snapshots/registry.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;
using snapshots::Snapshot;

namespace {

constexpr std::string_view kPath = "/ngsi-ld/v1/snapshots";

std::string location(const std::string& id) { return std::string(kPath) + "/" + http::percentEncode(id); }

// What a request body may hold, by operation (Table 5.2.41-1/-2).
enum class Operation { Create, Clone, Update };

// Members the broker sets; ignored in a create or clone (as in 5.2.41), refused in an update.
const std::set<std::string_view> kOutputOnly = {"snapshotStatus", "snapshotQueriesDetails",
                                                "snapshotTemporalQueriesDetails", "createdAt",
                                                "modifiedAt", "expiresAt", "lastUsedAt"};

// Checks the members of a body: known, and allowed for the operation.
void checkMembers(const json::object& body, Operation op) {
  if (auto* t = body.if_contains("type"); t && !(t->is_string() && t->get_string() == "Snapshot"))
    fail(ErrorType::BadRequestData, "the type of a Snapshot must be \"Snapshot\"");
  for (const auto& [name, value] : body) {
    if (name == "@context" || name == "type" || name == "snapshotPriority" || name == "snapshotLifetime") continue;
    if (name == "snapshotTemporalQueries")
      fail(ErrorType::OperationNotSupported,
           "snapshotTemporalQueries are not supported: a snapshot holds the current state of entities only");
    if (name == "endpoint" || name == "receiverInfo" || name == "notifierInfo")
      fail(ErrorType::OperationNotSupported, "snapshot notifications (" + std::string(name) + ") are not supported");
    if (op == Operation::Create && (name == "id" || name == "snapshotQueries")) continue;
    if (op == Operation::Clone && name == "id") continue;
    if (kOutputOnly.contains(name)) {
      if (op != Operation::Update) continue;
      fail(ErrorType::BadRequestData, "'" + std::string(name) + "' is set by the broker and cannot be changed");
    }
    if (name == "id" || name == "snapshotQueries")
      fail(ErrorType::BadRequestData, "'" + std::string(name) + "' of a snapshot cannot be " +
                                          (op == Operation::Clone ? "given to a clone" : "changed"));
    fail(ErrorType::BadRequestData, "a Snapshot has no member '" + std::string(name) + "'");
  }
}

// snapshotPriority and snapshotLifetime of the body, when given. A lifetime
// counts from the snapshot's creation; "urn:ngsi-ld:null" removes it (update).
void applySettings(const json::object& body, Snapshot& s) {
  if (auto* p = body.if_contains("snapshotPriority")) {
    if (!p->is_int64() || p->get_int64() < snapshots::kMinPriority || p->get_int64() > snapshots::kMaxPriority)
      fail(ErrorType::BadRequestData, "snapshotPriority must be an integer from " +
                                          std::to_string(snapshots::kMinPriority) + " to " +
                                          std::to_string(snapshots::kMaxPriority));
    s.priority = p->get_int64();
  }
  if (auto* l = body.if_contains("snapshotLifetime")) {
    if (l->is_string() && l->get_string() == "urn:ngsi-ld:null") {
      s.lifetime.reset();
      s.expiresAtMs = 0;
      return;
    }
    auto ms = l->is_string() ? ngsi::parseDuration(l->get_string()) : std::nullopt;
    if (!ms || *ms <= 0)
      fail(ErrorType::BadRequestData, "snapshotLifetime must be an ISO 8601 duration longer than 0 (e.g. \"P90D\")");
    s.lifetime = std::string(l->get_string());
    s.expiresAtMs = s.createdAtMs + *ms;
  }
}

std::string snapshotIdParam(const Call& call) {
  const auto& id = call.pathParam(0);
  if (!ngsi::isUri(id)) fail(ErrorType::BadRequestData, ngsi::notUriDetail("the snapshot id", id));
  return id;
}

Snapshot findSnapshot(Call& call, const std::string& id) {
  auto s = call.services.snapshots.find(call.tenant(), id, ngsi::nowMs());
  if (!s) fail(ErrorType::ResourceNotFound, "no snapshot with id '" + id + "'");
  return std::move(*s);
}

// A new snapshot of the tenant (status preparing) with the body's id and settings.
Snapshot newSnapshot(Call& call, const json::object& body) {
  Snapshot s;
  s.tenant = call.tenant();
  if (auto* id = body.if_contains("id")) {
    if (!id->is_string() || !ngsi::isUri(id->get_string()))
      fail(ErrorType::BadRequestData, ngsi::notUriDetail("the snapshot id", id->is_string() ? id->get_string() : ""));
    s.id = id->get_string();
  } else {
    s.id = ngsi::randomUrn("Snapshot");
  }
  s.storeTenant = snapshots::Registry::newStoreTenant();
  s.createdAtMs = s.modifiedAtMs = s.lastUsedAtMs = ngsi::nowMs();
  applySettings(body, s);
  return s;
}

// One query of snapshotQueries: a Query (5.2.23) that selects entities; the
// members that shape a rendering (pick, lang, join, ...) have no place in a copy.
Selection querySelection(Call& call, const json::value& query) {
  static const std::set<std::string_view> known = {"type", "entities", "attrs", "q", "scopeQ", "geoQ", "csf", "local"};
  if (!query.is_object()) fail(ErrorType::BadRequestData, "each of snapshotQueries must be a Query object");
  const auto& q = query.get_object();
  for (const auto& [name, v] : q) {
    if (name == "temporalQ")
      fail(ErrorType::BadRequestData,
           "a query of snapshotQueries has no temporalQ (temporal queries belong in snapshotTemporalQueries)");
    if (!known.contains(name))
      fail(ErrorType::BadRequestData, "'" + std::string(name) + "' is not supported in a query of snapshotQueries");
  }
  auto selection = selectionFromQueryBody(call, q);
  auto* local = q.if_contains("local");
  if (!selection.restricted && !(local && local->is_bool() && local->get_bool()))
    fail(ErrorType::BadRequestData,
         "each query of snapshotQueries needs at least one of entities with a type, attrs, q or geoQ");
  return selection;
}

// A query's result keeps only the attributes its attrs names.
void keepAttributes(json::object& entity, const std::vector<std::string>& names) {
  auto& attrs = entity.at(ngsi::key::attrs).as_object();
  for (auto it = attrs.begin(); it != attrs.end();)
    it = std::find(names.begin(), names.end(), it->key()) == names.end() ? attrs.erase(it) : std::next(it);
}

// An ExecutionResultDetails (5.2.42) for a query that copied `count` entities or failed.
json::object resultOf(size_t count) {
  return {{"resultStatus", count ? snapshots::status::success : snapshots::status::empty}};
}
json::object resultOf(const ngsi::Error& e) {
  return {{"resultStatus", snapshots::status::failed}, {"problemDetails", problemDetails(e)}};
}

// Runs copy, turning what it throws into a failed result.
template <class Copy>
json::object copyResult(const std::string& snapshotId, Copy copy) {
  try {
    return resultOf(copy());
  } catch (const ngsi::Error& e) {
    return resultOf(e);
  } catch (const std::exception& e) {
    spdlog::error("copying entities into snapshot '{}' failed: {}", snapshotId, e.what());
    return resultOf(ngsi::Error(ErrorType::InternalError, "the entities could not be copied"));
  }
}

http::Response created(Call& call, const Snapshot& s) {
  auto res = call.empty(201);
  res.setHeader("Location", location(s.id));
  return res;
}

http::Response createSnapshot(Call& call) {
  call.allowParams({"local"});
  const auto& body = call.body();
  checkMembers(body, Operation::Create);
  auto* queries = body.if_contains("snapshotQueries");
  if (!queries || !queries->is_array() || queries->get_array().empty())
    fail(ErrorType::BadRequestData, "a Snapshot needs snapshotQueries: a non-empty array of Query objects");
  std::vector<Selection> selections;
  for (const auto& q : queries->get_array()) selections.push_back(querySelection(call, q));
  call.requireTenant();
  auto s = newSnapshot(call, body);
  s.queries = queries->get_array();
  call.services.snapshots.add(s);
  size_t room = call.services.limits.snapshotEntities;
  for (auto& selection : selections) {
    auto attrs = selection.query.anyAttrs;
    s.queryDetails.push_back(copyResult(s.id, [&] {
      auto n = snapshots::copyEntities(call.services.store, s.tenant, s.storeTenant, selection.query, room,
                                       [&](json::object& e) { if (attrs) keepAttributes(e, *attrs); });
      room -= n;
      return n;
    }));
  }
  s.status = snapshots::overallStatus(s.queryDetails);
  s.modifiedAtMs = ngsi::nowMs();
  call.services.snapshots.finishFill(s);
  return created(call, s);
}

http::Response cloneSnapshot(Call& call) {
  call.allowParams({"local"});
  auto source = findSnapshot(call, snapshotIdParam(call));
  json::object none;
  const auto& body = call.req.body.empty() ? none : call.body();
  checkMembers(body, Operation::Clone);
  if (source.status == snapshots::status::preparing)
    fail(ErrorType::OperationNotSupported, "the snapshot '" + source.id + "' is still being made; clone it later");
  auto s = newSnapshot(call, body);
  s.queries = source.queries;
  call.services.snapshots.add(s);
  auto result = copyResult(s.id, [&] {
    store::EntityQuery all;
    all.predicate = [now = ngsi::nowMs()](const json::object& e) { return !ngsi::isExpired(e, now); };
    return snapshots::copyEntities(call.services.store, source.storeTenant, s.storeTenant, std::move(all),
                                   call.services.limits.snapshotEntities);
  });
  // The clone holds what its source holds: the same status and query results, unless the copy failed.
  bool copied = result.at("resultStatus").as_string() != snapshots::status::failed;
  s.status = copied ? source.status : std::string(snapshots::status::failed);
  s.queryDetails = copied ? source.queryDetails : json::array{std::move(result)};
  s.modifiedAtMs = ngsi::nowMs();
  call.services.snapshots.finishFill(s);
  return created(call, s);
}

http::Response retrieveSnapshot(Call& call) {
  call.allowParams({"local"});
  auto media = negotiate(call.req, false);
  auto s = findSnapshot(call, snapshotIdParam(call));
  return respondForVersion(call, 200, snapshots::render(s), media, Payload::Other);
}

http::Response updateSnapshot(Call& call) {
  call.allowParams({"local"});
  auto media = negotiate(call.req, false);
  auto id = snapshotIdParam(call);
  const auto& body = call.body(true);
  checkMembers(body, Operation::Update);
  auto s = call.services.snapshots.update(call.tenant(), id, [&](Snapshot& s) {
    applySettings(body, s);
    s.modifiedAtMs = ngsi::nowMs();
  });
  if (!s) fail(ErrorType::ResourceNotFound, "no snapshot with id '" + id + "'");
  return respondForVersion(call, 200, snapshots::render(*s), media, Payload::Other);
}

http::Response deleteSnapshot(Call& call) {
  call.allowParams({"local"});
  auto id = snapshotIdParam(call);
  if (!call.services.snapshots.remove(call.tenant(), id))
    fail(ErrorType::ResourceNotFound, "no snapshot with id '" + id + "'");
  return call.empty(204);
}

// The members a purge's q may test (5.16.7.4), as the request's @context expands them.
std::set<std::string> purgeMembers(Call& call) {
  std::set<std::string> out;
  for (std::string_view name : {"snapshotPriority", "snapshotStatus", "snapshotLifetime", "expiresAt", "lastUsedAt",
                                "createdAt", "modifiedAt"})
    out.insert(call.context().expand(name));
  return out;
}

void checkPurgeTerms(const query::Expr& e, const std::set<std::string>& members, std::string_view q) {
  for (const auto& c : e.children) checkPurgeTerms(*c, members, q);
  if (e.kind != query::Expr::Kind::Term) return;
  const auto& path = e.term.path;
  if (path.linked || path.attributes.size() != 1 || !members.contains(path.attributes[0]))
    fail(ErrorType::BadRequestData,
         "q '" + std::string(q) + "' may only test members of a Snapshot: snapshotPriority, snapshotStatus, "
         "snapshotLifetime, expiresAt, lastUsedAt, createdAt, modifiedAt");
}

// A snapshot in the internal entity form (ngsi/entity.h), so that the q evaluator can test its members.
json::object asEntity(Call& call, const Snapshot& s) {
  json::object attrs;
  auto add = [&](std::string_view name, json::value value) {
    attrs[call.context().expand(name)] = json::array{json::object{{"type", "Property"}, {"value", std::move(value)}}};
  };
  add("snapshotPriority", s.priority);
  add("snapshotStatus", json::string(s.status));
  add("lastUsedAt", json::string(ngsi::formatDateTime(s.lastUsedAtMs)));
  if (s.lifetime) add("snapshotLifetime", json::string(*s.lifetime));
  if (s.expiresAtMs) add("expiresAt", json::string(ngsi::formatDateTime(s.expiresAtMs)));
  return {{ngsi::key::id, s.id},
          {ngsi::key::type, json::array{call.context().expand("Snapshot")}},
          {ngsi::key::createdAt, s.createdAtMs},
          {ngsi::key::modifiedAt, s.modifiedAtMs},
          {ngsi::key::attrs, std::move(attrs)}};
}

http::Response purgeSnapshots(Call& call) {
  call.allowParams({"q", "local"});
  auto text = call.req.param("q");
  if (!text)
    fail(ErrorType::BadRequestData, "purging snapshots needs q over their members (e.g. q=snapshotPriority<5)");
  auto q = query::parseQ(*text, call.context());
  checkPurgeTerms(*q, purgeMembers(call), *text);
  auto now = ngsi::nowMs();
  for (const auto& s : call.services.snapshots.list(call.tenant(), now))
    if (query::matches(*q, asEntity(call, s), now)) call.services.snapshots.remove(s.tenant, s.id);
  return call.empty(204);
}

}  // namespace

void registerSnapshotRoutes(http::Router& router, Services& services) {
  constexpr std::string_view one = "/ngsi-ld/v1/snapshots/{}";
  addRoute(router, services, "POST", kPath, createSnapshot);
  addRoute(router, services, "DELETE", kPath, purgeSnapshots);
  addRoute(router, services, "GET", one, retrieveSnapshot);
  addRoute(router, services, "PATCH", one, updateSnapshot);
  addRoute(router, services, "DELETE", one, deleteSnapshot);
  addRoute(router, services, "POST", "/ngsi-ld/v1/snapshots/{}/clone", cloneSnapshot);
}

}  // namespace allmende::api
