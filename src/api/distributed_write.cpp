// Splitting a write between here and the registered sources, and the one answer.
#include "api/distributed_write.h"

#include "api/distributed.h"
#include "api/routes.h"
#include "federation/registry.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "query/type_expr.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

// The error of one part of the write, for a 207 body.
json::object partError(const std::string& id, const std::string& registration, int status, std::string_view type,
                       std::string detail) {
  json::object error{{"type", "https://uri.etsi.org/ngsi-ld/errors/" + std::string(type)},
                     {"title", std::string(type)},
                     {"status", status},
                     {"detail", std::move(detail)}};
  json::object out{{"entityId", id}, {"error", std::move(error)}};
  if (!registration.empty()) out["registrationId"] = registration;
  return out;
}

// What a failed response says, as a part error.
json::object responseError(const std::string& id, const std::string& registration, const http::Response& res) {
  json::error_code ec;
  auto body = json::parse(res.body, ec);
  if (!ec && body.is_object() && body.get_object().contains("type")) {
    json::object out{{"entityId", id}, {"error", body}};
    if (!registration.empty()) out["registrationId"] = registration;
    return out;
  }
  return partError(id, registration, res.status, "InternalError", "the write failed with " + std::to_string(res.status));
}

bool hasAttributes(const json::object& body) {
  for (const auto& [name, v] : body)
    if (name != "id" && name != "type" && name != "@context" && name != "scope") return true;
  return false;
}

}  // namespace

http::Response distributedWrite(Call& call, const WriteTarget& target,
                                const std::function<http::Response(Call&)>& local, int created) {
  if (call.req.param("local") == "true" || call.req.header("ngsild-snapshot")) return local(call);
  auto registrations = call.services.registrations.list(call.tenant());
  if (registrations.empty()) return local(call);
  json::object body;
  if (!call.req.body.empty()) {
    json::error_code ec;
    auto parsed = json::parse(call.req.body, ec);
    if (ec || !parsed.is_object()) return local(call);  // the local handler says what is wrong
    body = std::move(parsed.get_object());
  }
  const auto& ctx = call.context();
  federation::RegistrationQuery q;
  q.ids = {target.id};
  if (auto* t = body.if_contains("type"); t && t->is_string())
    q.types = query::TypeSelection{{ctx.expand(t->get_string())}};
  if (target.attribute) q.attrs = {*target.attribute};
  auto sources = federation::sourcesFor(registrations, q, {target.operation}, ngsi::nowMs(), true);
  std::erase_if(sources, [](const federation::Source& s) {
    return s.mode == federation::Mode::Auxiliary || (s.operation.empty() && s.mode == federation::Mode::Inclusive);
  });
  if (sources.empty()) return local(call);
  if (!mayForward(call)) {
    for (const auto& s : sources)
      if (s.mode != federation::Mode::Inclusive)
        fail(ErrorType::LoopDetected, "the request passed this broker already (Via) and registration " +
                                          s.registration.id + " would send it on");
    return local(call);
  }
  // What stays here: nothing with a redirect source, not the attributes of exclusive ones.
  std::vector<json::object> errors;
  std::vector<federation::Source> forwarded;
  bool here = true;
  json::object localBody = body;
  for (auto& s : sources) {
    // What the source holds is not written here, whether it takes the write or not.
    if (s.mode == federation::Mode::Redirect) here = false;
    if (s.mode == federation::Mode::Exclusive && target.attribute) {
      if (s.attributes.empty() || s.attributes.contains(*target.attribute)) here = false;
    } else if (s.mode == federation::Mode::Exclusive) {
      for (const auto& a : s.attributes) {
        std::string name = ctx.compact(a);
        localBody.erase(name);
        localBody.erase(a);
      }
      if (body.size() > 0 && !hasAttributes(localBody) && target.operation != "createEntity" &&
          target.operation != "deleteEntity")
        here = false;
    }
    if (s.operation.empty()) {
      errors.push_back(partError(target.id, s.registration.id, 409, "Conflict",
                                 "registration " + s.registration.id + " (" +
                                     (s.mode == federation::Mode::Redirect ? "redirect" : "exclusive") +
                                     ") covers this entity but does not allow " + target.operation));
      continue;
    }
    forwarded.push_back(std::move(s));
  }
  std::optional<http::Response> localResponse;
  if (here) {
    auto request = call.req;
    if (!call.req.body.empty()) request.body = json::serialize(localBody);
    localResponse = guarded(request, [&] {
      Call part(request, call.services);
      return local(part);
    });
  }
  if (forwarded.empty() && errors.empty()) return std::move(*localResponse);
  if (forwarded.empty() && !localResponse && errors.size() == 1) {
    const auto& e = errors[0].at("error").get_object();
    fail(ErrorType::Conflict, std::string(e.at("detail").get_string()));
  }
  auto client = clientRequest(call);
  std::string path = call.req.path.substr(std::string_view("/ngsi-ld/v1").size());
  std::vector<federation::ForwardRequest> requests;
  for (const auto& s : forwarded) {
    // The body of /attrs/{attrId} is the attribute itself: sent as it is.
    json::object sent = target.attribute ? body : federation::bodyFor(s, body, ctx);
    sent.erase("@context");
    requests.push_back(federation::writeRequest(s, client, call.req.method, path, call.req.query,
                                                call.req.body.empty() ? std::string() : json::serialize(sent)));
  }
  return forwardThen(call, std::move(forwarded), std::move(requests), false,
                     [target, created, errors = std::move(errors), localResponse = std::move(localResponse)](
                         Call& again, const Remote& remote) mutable {
                       bool partial = false, anySuccess = false;
                       if (localResponse) {
                         if (localResponse->status >= 300) errors.push_back(responseError(target.id, "", *localResponse));
                         partial = localResponse->status == 207;
                         anySuccess = localResponse->status < 300;
                       }
                       for (size_t i = 0; i < remote.sources.size(); ++i) {
                         const auto& r = remote.responses[i];
                         const auto& id = remote.sources[i].registration.id;
                         if (!r.ok) {
                           errors.push_back(partError(target.id, id, 503, "InternalError", "no answer: " + r.error));
                           continue;
                         }
                         if (r.status >= 300) {
                           http::Response failed;
                           failed.status = r.status;
                           failed.body = r.body;
                           errors.push_back(responseError(target.id, id, failed));
                           continue;
                         }
                         partial = partial || r.status == 207;
                         anySuccess = true;
                       }
                       if (errors.empty() && !partial) {
                         if (localResponse) return std::move(*localResponse);
                         auto res = again.empty(created);
                         if (created == 201) res.setHeader("Location", "/ngsi-ld/v1/entities/" + http::percentEncode(target.id));
                         return res;
                       }
                       json::object body{{"success", anySuccess ? json::array{json::value(target.id)} : json::array{}},
                                         {"errors", json::array(errors.begin(), errors.end())}};
                       return again.plain(207, std::move(body));
                     });
}

}  // namespace allmende::api
