// The audit trail's API (/ngsi-ld/ex/audit, docs/security.md): the records of
// one entity (or grant, or API key) by `id`, or of one caller by `subject`,
// newest first and paged, optionally within [timeAt, endTimeAt); with `id` and
// `instanceId` (an instance of the temporal API) the write that recorded that
// instance. Only with --audit on; for the broker's admin and the tenant's
// admins (anyone with authentication off).
#include "api/paging.h"
#include "api/routes.h"
#include "api/version_preference.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

int64_t timeParam(Call& call, std::string_view name, int64_t otherwise) {
  auto text = call.req.param(name);
  if (!text) return otherwise;
  auto ms = ngsi::parseDateTime(*text);
  if (!ms)
    fail(ErrorType::BadRequestData,
         std::string(name) + " must be a date-time (ISO 8601), not '" + std::string(*text) + "'");
  return *ms;
}

json::object render(Call& call, const store::AuditRecord& r) {
  json::array attributes;
  for (const auto& a : r.attributes)
    attributes.emplace_back(a == "scope" ? a : call.context().compact(a));
  return {{"type", "AuditRecord"},
          {"time", ngsi::formatDateTime(r.timeMs)},
          {"resource", r.resource},
          {"operation", r.operation},
          {"attributes", std::move(attributes)},
          {"subject", r.subject},
          {"client", r.client},
          {"requestId", r.requestId}};
}

http::Response queryAudit(Call& call) {
  call.allowParams(
      {"id", "subject", "instanceId", "timeAt", "endTimeAt", "limit", "offset", "count"});
  if (!call.services.audit)
    fail(ErrorType::OperationNotSupported, "the audit trail is off (--audit on records it)");
  if (!call.access()->isAdmin())
    fail(ErrorType::Forbidden,
         "only the broker's admin and the tenant's admins read the tenant's audit trail");
  auto media = negotiate(call.req, false);
  auto paging = pagingParams(call);
  store::AuditQuery q;
  q.resource = std::string(call.req.param("id").value_or(""));
  q.subject = std::string(call.req.param("subject").value_or(""));
  if (q.resource.empty() == q.subject.empty())
    fail(ErrorType::BadRequestData,
         "name either the id of an entity (or grant, or API key) or a subject, not both");
  q.fromMs = timeParam(call, "timeAt", q.fromMs);
  q.toMs = timeParam(call, "endTimeAt", q.toMs);
  if (auto instance = call.req.param("instanceId")) {
    if (q.resource.empty())
      fail(ErrorType::BadRequestData, "instanceId needs the id of its entity");
    auto recorded = call.services.store.instanceRecordedMs(*instance);
    if (!recorded)
      fail(ErrorType::BadRequestData,
           "'" + std::string(*instance) + "' is not an instanceId of this broker");
    q.fromMs = *recorded;
    q.toMs = *recorded + 1;
  }
  q.offset = paging.offset;
  q.limit = paging.limit + 1;  // one more: is there a next page?
  q.count = paging.count;
  auto page = call.services.store.queryAudit(call.tenant(), q);
  bool more = page.records.size() > paging.limit;
  if (more) page.records.pop_back();
  json::array out;
  for (const auto& r : page.records) out.push_back(render(call, r));
  auto res = respondForVersion(call, 200, std::move(out), media, Payload::Other);
  addPageHeaders(call, res, paging, more, page.total, media);
  return res;
}

}  // namespace

void registerAuditRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "GET", "/ngsi-ld/ex/audit", queryAudit);
}

}  // namespace allmende::api
