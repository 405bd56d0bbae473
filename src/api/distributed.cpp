// Forwarding an operation to registered sources and answering later.
#include "api/distributed.h"

#include <memory>

#include "api/routes.h"
#include "federation/forwarder.h"
#include "federation/registry.h"
#include "ngsi/datetime.h"
#include "query/entity_selector.h"
#include "query/q.h"
#include "query/type_expr.h"

namespace allmende::api {

namespace {

// This broker's name in Via headers.
const std::string& pseudonym(const Call& call) { return call.services.info.alias; }

}  // namespace

bool mayForward(const Call& call) {
  return call.req.param("local") != "true" && !call.req.header("ngsild-snapshot");
}

bool passedHere(const Call& call) {
  auto via = call.req.header("via");
  return via && via->find(pseudonym(call)) != std::string_view::npos;
}

std::vector<federation::Source> sourcesFor(const Call& call, const std::vector<federation::Registration>& registrations,
                                           const federation::RegistrationQuery& query,
                                           std::initializer_list<std::string_view> operations, bool unsupportedToo) {
  auto sources = federation::sourcesFor(registrations, query, operations, ngsi::nowMs(), unsupportedToo);
  // A registration that names datasetIds holds none of the others the request asks for.
  if (auto wanted = call.listParam("datasetId"); !wanted.empty())
    std::erase_if(sources, [&wanted](const federation::Source& s) {
      auto* held = s.registration.doc.if_contains("datasetId");
      return held && held->is_array() && std::none_of(held->get_array().begin(), held->get_array().end(), [&](const json::value& d) {
               return d.is_string() && std::find(wanted.begin(), wanted.end(), std::string_view(d.get_string())) != wanted.end();
             });
    });
  if (auto via = call.req.header("via"))
    std::erase_if(sources, [&via](const federation::Source& s) {
      auto* alias = s.registration.doc.if_contains("contextSourceAlias");
      return alias && alias->is_string() && !alias->get_string().empty() &&
             via->find(std::string_view(alias->get_string())) != std::string_view::npos;
    });
  return sources;
}

federation::ClientRequest clientRequest(Call& call) {
  federation::ClientRequest out;
  out.ctx = &call.context();
  for (const auto& option : call.listParam("options")) out.sysAttrs = out.sysAttrs || option == "sysAttrs";
  const auto& c = call.contextValue();
  if (c.is_string())
    out.contextUrl = std::string(c.get_string());
  else if (c.is_array() && c.get_array().size() == 1 && c.get_array()[0].is_string())
    out.contextUrl = std::string(c.get_array()[0].get_string());
  out.headers = call.req.headers;
  auto via = call.req.header("via");
  out.via = (via ? std::string(*via) + ", " : "") + "1.1 " + pseudonym(call);
  return out;
}

federation::RegistrationQuery registrationQueryFromParams(Call& call) {
  federation::RegistrationQuery q;
  const auto& ctx = call.context();
  q.ids = query::checkedIds(call.listParam("id"));
  if (auto p = call.req.param("idPattern")) {
    q.idPattern = std::string(*p);
    q.idPatternRegex = query::compileIdPattern(*p);
  }
  if (auto t = call.req.param("type"); t && *t != "*") q.types = query::parseTypeSelection(*t, ctx);
  for (const auto& a : call.listParam("attrs")) q.attrs.push_back(ctx.expand(a));
  if (auto csf = call.req.param("csf")) q.csf = query::parseQ(*csf, ctx);
  return q;
}

bool forwardedFromBody(Call& call, const json::object& body, federation::RegistrationQuery& registrations,
                       std::vector<std::pair<std::string, std::string>>& forwarded) {
  const auto& ctx = call.context();
  auto text = [](const json::value& v) { return v.is_string() ? std::string(v.get_string()) : json::serialize(v); };
  if (auto* entities = body.if_contains("entities")) {
    if (!entities->is_array() || entities->get_array().size() != 1 || !entities->get_array()[0].is_object())
      return false;
    const auto& selector = entities->get_array()[0].get_object();
    if (auto* t = selector.if_contains("type"); t && t->is_string()) {
      forwarded.emplace_back("type", text(*t));
      registrations.types = query::parseTypeSelection(t->get_string(), ctx);
    }
    if (auto* id = selector.if_contains("id")) {
      std::string ids;
      for (const auto& one : id->is_array() ? id->get_array() : json::array{*id}) {
        if (!one.is_string()) return false;
        ids += (ids.empty() ? "" : ",") + std::string(one.get_string());
        registrations.ids.emplace_back(one.get_string());
      }
      forwarded.emplace_back("id", ids);
    }
    if (auto* p = selector.if_contains("idPattern"); p && p->is_string()) {
      forwarded.emplace_back("idPattern", text(*p));
      registrations.idPattern = text(*p);
      registrations.idPatternRegex = query::compileIdPattern(p->get_string());
    }
  }
  for (std::string_view member : {"q", "scopeQ", "lang"})
    if (auto* v = body.if_contains(member)) forwarded.emplace_back(std::string(member), text(*v));
  if (auto* g = body.if_contains("geoQ"); g && g->is_object())
    for (std::string_view member : {"georel", "geometry", "coordinates", "geoproperty"})
      if (auto* v = g->get_object().if_contains(member)) forwarded.emplace_back(std::string(member), text(*v));
  if (auto* a = body.if_contains("attrs"); a && a->is_array())
    for (const auto& name : a->get_array())
      if (name.is_string()) registrations.attrs.push_back(ctx.expand(name.get_string()));
  if (auto csf = call.req.param("csf")) registrations.csf = query::parseQ(*csf, ctx);
  if (auto* csf = body.if_contains("csf"); csf && csf->is_string()) registrations.csf = query::parseQ(csf->get_string(), ctx);
  return true;
}

http::Response forwardThen(Call& call, std::vector<federation::Source> sources,
                           std::vector<federation::ForwardRequest> requests, bool warn,
                           std::function<http::Response(Call&, Remote&)> answer) {
  http::Response res;
  auto request = std::make_shared<http::Request>(call.req);
  auto* services = &call.services;
  std::string tenant = call.tenant();
  // A request that passed this broker already asks no one again (a loop, 6.3.18).
  std::vector<std::string> warnings;
  bool looped = passedHere(call);
  if (looped && !sources.empty())
    warnings.push_back("199 " + pseudonym(call) +
                       " \"registration loop detected: the request passed this broker already; answered from its own data\"");
  if (looped) sources.clear();
  // Sources that failed lately are not asked during their cooldown.
  std::vector<federation::ForwardRequest> sent;
  for (size_t i = 0; i < sources.size(); ++i)
    if (!sources[i].coolingDown) sent.push_back(std::move(requests[i]));
  res.later = [request, services, tenant, warn, warnings = std::move(warnings), sources = std::move(sources),
               sent = std::move(sent),
               answer = std::move(answer)](http::Response::Finish finish) mutable {
    services->forwarder.send(
        std::move(sent),
        [request, services, tenant, warn, warnings = std::move(warnings), sources = std::move(sources),
         answer = std::move(answer), finish = std::move(finish)](std::vector<http::ClientResponse> responses) mutable {
          auto now = ngsi::nowMs();
          auto res = guarded(*request, [&] {
            Call again(*request, *services);
            Remote remote;
            remote.sources = std::move(sources);
            size_t next = 0;
            for (const auto& source : remote.sources) {
              http::ClientResponse response;
              if (source.coolingDown) {
                const auto& st = source.registration.stats;
                response.error = "not asked: it failed at " +
                                 ngsi::formatDateTime(st.lastFailureMs) + " and cools down until " +
                                 ngsi::formatDateTime(st.coolUntilMs);
              } else {
                response = std::move(responses[next++]);
                services->registrations.report(tenant, source.registration.id,
                                               response.ok && response.status < 500, now);
              }
              remote.answers.push_back(federation::readAnswer(source, response));
              if (warn && !remote.answers.back().warning.empty())
                warnings.push_back(remote.answers.back().warning);
              if (warn)  // what the source's own sources did
                for (auto& w : response.warnings) warnings.push_back(std::move(w));
              remote.responses.push_back(std::move(response));
            }
            return answer(again, remote);
          });
          if (warn)
            for (auto& w : warnings) res.headers.emplace_back("NGSILD-Warning", std::move(w));
          finish(std::move(res));
        });
  };
  return res;
}

}  // namespace allmende::api
