// Splitting a write between here and the registered sources, and the one answer.
#include "api/distributed_write.h"

#include <map>
#include <set>

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
json::object partError(const std::string& id, const std::string& registration, int status,
                       std::string_view type, std::string detail) {
  json::object error{{"type", "https://uri.etsi.org/ngsi-ld/errors/" + std::string(type)},
                     {"title", std::string(type)},
                     {"status", status},
                     {"detail", std::move(detail)}};
  json::object out{{"entityId", id}, {"error", std::move(error)}};
  if (!registration.empty()) out["registrationId"] = registration;
  return out;
}

// What a failed response says, as a part error.
json::object responseError(const std::string& id, const std::string& registration,
                           const http::Response& res) {
  json::error_code ec;
  auto body = json::parse(res.body, ec);
  if (!ec && body.is_object() && body.get_object().contains("type")) {
    json::object out{{"entityId", id}, {"error", body}};
    if (!registration.empty()) out["registrationId"] = registration;
    return out;
  }
  return partError(id, registration, res.status, "InternalError",
                   "the write failed with " + std::to_string(res.status));
}

// The request's path after /ngsi-ld/v1, without a trailing slash (the same resource).
std::string forwardedPath(const Call& call) {
  std::string path = call.req.path.substr(std::string_view("/ngsi-ld/v1").size());
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool hasAttributes(const json::object& body) {
  for (const auto& [name, v] : body)
    if (name != "id" && name != "type" && name != "@context" && name != "scope") return true;
  return false;
}

// The attribute names of a body (as sent).
std::vector<std::string> attributeNames(const json::object& body) {
  std::vector<std::string> out;
  for (const auto& [name, v] : body)
    if (name != "id" && name != "type" && name != "@context" && name != "scope") out.emplace_back(name);
  return out;
}

// Why a part failed: the detail of its ProblemDetails, else its status.
std::string reasonOf(int status, const std::string& body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  if (!ec && v.is_object())
    if (auto* d = v.get_object().if_contains("detail"); d && d->is_string()) return std::string(d->get_string());
  return "the write failed with " + std::to_string(status);
}

// An UpdateResult (5.2.18) of the attributes of an /attrs write: `updated` and
// `notUpdated` [{attributeName, reason, registrationId?}], from its parts.
struct UpdateResult {
  json::array updated, notUpdated;
  void failed(const std::vector<std::string>& names, const std::string& reason, const std::string& registration) {
    for (const auto& n : names) {
      json::object o{{"attributeName", n}, {"reason", reason}};
      if (!registration.empty()) o["registrationId"] = registration;
      notUpdated.push_back(std::move(o));
    }
  }
  // A part's answer: 204 (all of names), 207 (its own UpdateResult) or an error.
  void add(int status, const std::string& body, const std::vector<std::string>& names, const std::string& registration) {
    if (status == 207) {
      json::error_code ec;
      auto v = json::parse(body, ec);
      if (!ec && v.is_object()) {
        if (auto* u = v.get_object().if_contains("updated"); u && u->is_array())
          for (const auto& n : u->get_array()) updated.push_back(n);
        if (auto* n = v.get_object().if_contains("notUpdated"); n && n->is_array())
          for (auto e : n->get_array()) {
            if (e.is_object() && !registration.empty()) e.get_object()["registrationId"] = registration;
            notUpdated.push_back(std::move(e));
          }
        return;
      }
    }
    if (status < 300) {
      for (const auto& n : names) updated.emplace_back(n);
      return;
    }
    failed(names, reasonOf(status, body), registration);
  }
};

// False if the source names attributes and the body (of attributes) has none of them:
// the write is not the source's concern.
// A caller who may not write everything here writes through a context source
// only with its own credential, which the source then judges: a registration
// that sends the broker's credential (or none) would lend the broker's rights.
void checkWriteThrough(Call& call, const std::vector<federation::Source>& sources) {
  if (call.access()->writesEverything()) return;
  for (const auto& s : sources)
    if (!federation::passesClientCredential(s))
      fail(ErrorType::Forbidden, "the write would go to the context source of registration '" + s.registration.id +
                                     "' with this broker's credential, which needs a writer grant for the whole "
                                     "tenant (or a registration that passes the caller's Authorization on)");
}

bool concerns(const federation::Source& s, const json::object& body, const jsonld::Context& ctx) {
  if (s.attributes.empty() || !hasAttributes(body)) return true;
  return std::any_of(body.begin(), body.end(),
                     [&](const auto& member) { return s.attributes.contains(ctx.expand(member.key())); });
}

}  // namespace

http::Response distributedWrite(Call& call, const WriteTarget& target,
                                const std::function<http::Response(Call&)>& local, int created) {
  if (!mayForward(call)) return local(call);
  auto registrations = call.services.registrations.list(call.tenant());
  if (registrations.empty()) return local(call);
  // The body as the client sent it (its @context decides how its names expand).
  json::object body = call.req.body.empty() ? json::object() : call.body(true);
  const auto& ctx = call.context();
  federation::RegistrationQuery q = target.selection.value_or(federation::RegistrationQuery{});
  if (!target.selection) q.ids = {target.id};
  // The entity's type: the body's (not for /attrs/{attrId}: there it is the attribute's kind), or ?type=.
  if (auto* t = body.if_contains("type"); t && t->is_string() && !target.attribute)
    q.types = query::TypeSelection{{ctx.expand(t->get_string())}};
  else if (auto t = call.req.param("type"))
    q.types = query::parseTypeSelection(*t, ctx);
  // The attribute of /attrs/{attrId}, expanded with the body's @context when it has one.
  std::optional<std::string> attribute;
  if (target.attribute) attribute = ctx.expand(*target.attribute);
  if (attribute) q.attrs = {*attribute};
  auto sources = sourcesFor(call, registrations, q, {target.operation}, true);
  std::erase_if(sources, [](const federation::Source& s) {
    return s.mode == federation::Mode::Auxiliary ||
           (s.operation.empty() && s.mode == federation::Mode::Inclusive);
  });
  if (sources.empty()) return local(call);
  checkWriteThrough(call, sources);
  if (passedHere(call)) {
    for (const auto& s : sources)
      if (s.mode != federation::Mode::Inclusive)
        fail(ErrorType::LoopDetected,
             "the request passed this broker already (Via) and registration " + s.registration.id +
                 " would send it on");
    return local(call);
  }
  // What stays here: not what exclusive and redirect sources hold (the attributes they
  // name, or, naming none, the whole entity).
  std::vector<json::object> errors;
  std::vector<federation::Source> forwarded;
  bool here = true;
  json::object localBody = body;
  // An /attrs write (append, update) answers a partial outcome as an UpdateResult.
  bool attrsWrite = target.operation == "appendAttrs" || target.operation == "updateEntity";
  UpdateResult result;
  for (auto& s : sources) {
    if (!attribute && !concerns(s, body, ctx)) continue;
    // What the source holds is not written here, whether it takes the write or not.
    bool owns = s.mode == federation::Mode::Exclusive || s.mode == federation::Mode::Redirect;
    if (owns && attribute) {
      if (s.attributes.empty() || s.attributes.contains(*attribute)) here = false;
    } else if (owns && !s.attributes.empty()) {
      for (const auto& a : s.attributes) {
        std::string name = ctx.compact(a);
        localBody.erase(name);
        localBody.erase(a);
      }
      if (body.size() > 0 && !hasAttributes(localBody)) here = false;  // nothing of it stays here
    } else if (owns) {
      here = false;
    }
    if (s.operation.empty()) {
      std::string detail = "registration " + s.registration.id + " (" +
                           (s.mode == federation::Mode::Redirect ? "redirect" : "exclusive") +
                           ") covers this entity but does not allow " + target.operation;
      result.failed(attributeNames(federation::bodyFor(s, body, ctx)), detail, s.registration.id);
      errors.push_back(partError(target.id, s.registration.id, 409, "Conflict", std::move(detail)));
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
  std::string path = forwardedPath(call);
  std::vector<federation::ForwardRequest> requests;
  std::vector<std::vector<std::string>> sentNames;  // the attributes each source got
  for (const auto& s : forwarded) {
    // The body of /attrs/{attrId} is the attribute itself: sent as it is.
    json::object sent = target.attribute ? body : federation::bodyFor(s, body, ctx);
    sent.erase("@context");
    sentNames.push_back(attributeNames(sent));
    requests.push_back(
        federation::relayRequest(s, client, call.req.method, path, call.req.query,
                                 call.req.body.empty() ? std::string() : json::serialize(sent)));
  }
  return forwardThen(
      call, std::move(forwarded), std::move(requests), false,
      [target, created, errors = std::move(errors), localResponse = std::move(localResponse), attrsWrite,
       result = std::move(result), sentNames = std::move(sentNames),
       localNames = attributeNames(localBody)](Call& again, Remote& remote) mutable {
        // All of it was for one source, which refused: its error as it is (6.3.17, e.g. 508).
        if (!localResponse && errors.empty() && remote.sources.size() == 1 && remote.responses[0].ok &&
            remote.responses[0].status >= 400) {
          const auto& r = remote.responses[0];
          http::Response res;
          res.status = r.status;
          res.body = r.body;
          res.setHeader("Content-Type", r.contentType.empty() ? "application/json" : r.contentType);
          return res;
        }
        bool partial = false, anySuccess = false;
        if (localResponse) {
          if (localResponse->status >= 300)
            errors.push_back(responseError(target.id, "", *localResponse));
          partial = localResponse->status == 207;
          anySuccess = localResponse->status < 300;
        }
        for (size_t i = 0; i < remote.sources.size(); ++i) {
          const auto& r = remote.responses[i];
          const auto& id = remote.sources[i].registration.id;
          if (!r.ok) {
            errors.push_back(
                partError(target.id, id, 503, "InternalError", "no answer: " + r.error));
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
          if (created == 201)
            res.setHeader("Location", "/ngsi-ld/v1/entities/" + http::percentEncode(target.id));
          return res;
        }
        if (attrsWrite) {
          if (localResponse) result.add(localResponse->status, localResponse->body, localNames, "");
          for (size_t i = 0; i < remote.sources.size(); ++i) {
            const auto& r = remote.responses[i];
            const auto& registration = remote.sources[i].registration.id;
            if (r.ok)
              result.add(r.status, r.body, sentNames[i], registration);
            else
              result.failed(sentNames[i], "no answer: " + r.error, registration);
          }
          return again.plain(207, json::object{{"updated", std::move(result.updated)},
                                               {"notUpdated", std::move(result.notUpdated)}});
        }
        json::object body{
            {"success", anySuccess ? json::array{json::value(target.id)} : json::array{}},
            {"errors", json::array(errors.begin(), errors.end())}};
        return again.plain(207, std::move(body));
      });
}

namespace {

// The ids a batch answer names as done: 201 [ids], 207 {"success": [...]}, else all of `sent`.
void addSucceeded(const http::Response& res, const std::vector<std::string>& sent,
                  json::array& success, json::array& errors, const std::string& registration) {
  json::error_code ec;
  auto body = json::parse(res.body, ec);
  if (res.status == 207 && !ec && body.is_object()) {
    if (auto* ok = body.get_object().if_contains("success"); ok && ok->is_array())
      for (const auto& id : ok->get_array()) success.push_back(id);
    if (auto* failed = body.get_object().if_contains("errors"); failed && failed->is_array())
      for (auto e : failed->get_array()) {
        if (e.is_object() && !registration.empty()) e.get_object()["registrationId"] = registration;
        errors.push_back(std::move(e));
      }
    return;
  }
  if (res.status < 300) {
    for (const auto& id : sent) success.emplace_back(id);
    return;
  }
  for (const auto& id : sent) errors.push_back(responseError(id, registration, res));
}

}  // namespace

http::Response distributedBatch(Call& call, const std::string& operation,
                                const std::function<http::Response(Call&)>& local) {
  if (!mayForward(call)) return local(call);
  auto registrations = call.services.registrations.list(call.tenant());
  if (registrations.empty()) return local(call);
  json::error_code ec;
  auto parsed = json::parse(call.req.body, ec);
  if (ec || !parsed.is_array()) return local(call);  // the local handler says what is wrong
  struct Part {
    federation::Source source;
    json::array body;
    std::vector<std::string> ids;
  };
  std::map<std::string, Part> parts;  // by registration id
  json::array here, errors;
  std::vector<std::string> hereIds;
  bool any = false;
  for (auto& element : parsed.get_array()) {
    std::string id;
    std::optional<std::string> type;
    const jsonld::Context* ctx = &call.context();
    jsonld::ContextPtr own;
    if (element.is_string()) {
      id = std::string(element.get_string());
    } else if (element.is_object()) {
      auto& o = element.get_object();
      if (auto* c = o.if_contains("@context")) {
        try {
          own = call.services.contexts.resolve(*c);
          ctx = own.get();
        } catch (const ngsi::Error&) {
        }
      }
      if (auto* i = o.if_contains("id"); i && i->is_string()) id = std::string(i->get_string());
      if (auto* t = o.if_contains("type"); t && t->is_string()) type = ctx->expand(t->get_string());
    }
    federation::RegistrationQuery q;
    if (!id.empty()) q.ids = {id};
    if (type) q.types = query::TypeSelection{{*type}};
    auto sources = id.empty()
                       ? std::vector<federation::Source>{}
                       : sourcesFor(call, registrations, q, {operation}, true);
    checkWriteThrough(call, sources);
    bool stays = true;
    json::value local = element;
    for (auto& s : sources) {
      if (s.mode == federation::Mode::Auxiliary ||
          (s.operation.empty() && s.mode == federation::Mode::Inclusive))
        continue;
      if (element.is_object() && !concerns(s, element.get_object(), *ctx)) continue;
      any = true;
      bool owns = s.mode == federation::Mode::Exclusive || s.mode == federation::Mode::Redirect;
      if (owns && s.attributes.empty()) stays = false;
      if (owns && local.is_object()) {
        for (const auto& a : s.attributes) {
          local.get_object().erase(ctx->compact(a));
          local.get_object().erase(a);
        }
        if (hasAttributes(element.get_object()) && !hasAttributes(local.get_object()))
          stays = false;  // nothing of it stays here
      }
      if (s.operation.empty()) {
        errors.push_back(partError(id, s.registration.id, 409, "Conflict",
                                   "registration " + s.registration.id +
                                       " covers this entity but does not allow " + operation));
        continue;
      }
      auto& part = parts[s.registration.id];
      part.source = s;
      json::value sent = element.is_object()
                             ? json::value(federation::bodyFor(s, element.get_object(), *ctx))
                             : element;
      if (sent.is_object()) sent.get_object().erase("@context");
      part.body.push_back(std::move(sent));
      part.ids.push_back(id);
    }
    if (stays) {
      here.push_back(std::move(local));
      hereIds.push_back(id);
    }
  }
  if (!any) return local(call);
  std::optional<http::Response> localResponse;
  if (!here.empty()) {
    auto request = call.req;
    request.body = json::serialize(here);
    localResponse = guarded(request, [&] {
      Call part(request, call.services);
      return local(part);
    });
  }
  auto client = clientRequest(call);
  std::string path = forwardedPath(call);
  std::vector<federation::Source> forwarded;
  std::vector<federation::ForwardRequest> requests;
  std::vector<std::vector<std::string>> sentIds;
  for (auto& [id, part] : parts) {
    if (passedHere(call)) {  // a loop: where the source owns the entities, nothing can be done
      if (part.source.mode != federation::Mode::Inclusive)
        for (const auto& eid : part.ids)
          errors.push_back(partError(eid, id, 508, "LoopDetected",
                                     "the request passed this broker already (Via) and registration " + id +
                                         " would send it on"));
      continue;
    }
    requests.push_back(federation::relayRequest(part.source, client, "POST", path, call.req.query,
                                                json::serialize(part.body)));
    forwarded.push_back(std::move(part.source));
    sentIds.push_back(std::move(part.ids));
  }
  bool create = operation == "createBatch", upsert = operation == "upsertBatch";
  return forwardThen(
      call, std::move(forwarded), std::move(requests), false,
      [create, upsert, hereIds, sentIds, errors = std::move(errors),
       localResponse = std::move(localResponse)](Call& again, Remote& remote) mutable {
        json::array success, created;  // created: the ids an upsert made (201 answers)
        auto addCreated = [&created](int status, const std::string& body) {
          json::error_code ec;
          auto ids = json::parse(body, ec);
          if (status == 201 && !ec && ids.is_array())
            for (const auto& id : ids.get_array()) created.push_back(id);
        };
        if (localResponse) {
          addSucceeded(*localResponse, hereIds, success, errors, "");
          addCreated(localResponse->status, localResponse->body);
        }
        for (size_t i = 0; i < remote.sources.size(); ++i) {
          const auto& r = remote.responses[i];
          const auto& registration = remote.sources[i].registration.id;
          if (!r.ok) {
            for (const auto& id : sentIds[i])
              errors.push_back(
                  partError(id, registration, 503, "InternalError", "no answer: " + r.error));
            continue;
          }
          http::Response res;
          res.status = r.status;
          res.body = r.body;
          addSucceeded(res, sentIds[i], success, errors, registration);
          addCreated(r.status, r.body);
        }
        json::array unique;
        std::set<std::string_view> seen;
        for (const auto& id : success)
          if (id.is_string() && seen.insert(id.get_string()).second) unique.push_back(id);
        if (!errors.empty())
          return again.plain(
              207, json::object{{"success", std::move(unique)}, {"errors", std::move(errors)}});
        if (create) return again.plain(201, std::move(unique));
        if (upsert && !created.empty()) return again.plain(201, std::move(created));  // some were made
        return again.empty(204);
      });
}

}  // namespace allmende::api
