// Sources of distributed operations: choosing them, the forwarded requests,
// the answers to reads, and the merge.
#include "federation/sources.h"

#include "federation/operations.h"

#include <algorithm>
#include <span>
#include <strings.h>
#include "jsonld/core_context.h"
#include "http/message.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/parse.h"

namespace allmende::federation {

namespace json = boost::json;

std::string base(const Registration& r) {
  std::string endpoint(r.doc.at("endpoint").get_string());
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.ends_with("/ngsi-ld/v1")) return endpoint;  // given with the API's path already
  return endpoint + "/ngsi-ld/v1";
}

bool passesClientCredential(const Source& source) {
  auto* info = source.registration.doc.if_contains("contextSourceInfo");
  if (!info) return false;
  for (const auto& pair : info->get_array()) {
    std::string key(pair.at("key").get_string());
    if (strcasecmp(key.c_str(), "authorization") == 0 && pair.at("value").get_string() == "urn:ngsi-ld:request")
      return true;
  }
  return false;
}

namespace {

bool localOnly(const Registration& r) {
  auto* m = r.doc.if_contains("management");
  auto* l = m ? m->get_object().if_contains("localOnly") : nullptr;
  if (!l) l = r.doc.if_contains("localOnly");
  return l && l->is_bool() && l->get_bool();
}

std::chrono::milliseconds timeoutOf(const Registration& r) {
  auto* m = r.doc.if_contains("management");
  auto* t = m ? m->get_object().if_contains("timeout") : nullptr;
  return std::chrono::milliseconds(t ? static_cast<int64_t>(t->to_number<double>()) : 5000);
}

// The headers every forwarded request carries (clause 6.3.18 Via; the
// registration's tenant; contextSourceInfo pairs as headers, where the value
// urn:ngsi-ld:request copies the client's header of that name, and the keys
// jsonldContext and accept choose the Link and Accept headers).
http::ClientHeaders headersFor(const Source& source, const ClientRequest& client) {
  http::ClientHeaders out;
  std::string context = client.contextUrl, accept = "application/json";
  if (auto* tenant = source.registration.doc.if_contains("tenant"))
    out.emplace_back("NGSILD-Tenant", std::string(tenant->get_string()));
  if (auto* info = source.registration.doc.if_contains("contextSourceInfo"))
    for (const auto& pair : info->get_array()) {
      std::string key(pair.at("key").get_string()), value(pair.at("value").get_string());
      std::string lower = key;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "jsonldcontext") {
        context = value;
      } else if (lower == "accept") {
        accept = value;
      } else if (lower == "ngsild-tenant" || lower == "via" || lower == "content-length" ||
                 lower == "host" || lower == "link" || lower == "content-type" ||
                 lower == "contenttype" || lower == "transfer-encoding" || lower == "connection") {
        continue;  // the binding's own headers are not the source's to choose
      } else if (value == "urn:ngsi-ld:request") {
        for (const auto& [name, v] : client.headers)
          if (name == lower) out.emplace_back(key, v);
      } else {
        out.emplace_back(key, value);
      }
    }
  out.emplace_back("Accept", accept);
  if (!context.empty())
    out.emplace_back(
        "Link",
        "<" + context +
            ">; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
  out.emplace_back("Via", client.via);
  return out;
}

// The attribute names to ask a source for (compacted): the client's narrowed
// to what the source names, or what it names; empty = all.
std::vector<std::string> askedAttributes(const Source& source, const ClientRequest& client,
                                         const std::vector<std::string>& attrs) {
  std::vector<std::string> out;
  if (attrs.empty()) {
    for (const auto& a : source.attributes) out.push_back(client.ctx->compact(a));
  } else {
    for (const auto& a : attrs)
      if (source.attributes.empty() || source.attributes.contains(a))
        out.push_back(client.ctx->compact(a));
  }
  return out;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

std::string queryString(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [name, value] : params)
    out += (out.empty() ? "?" : "&") + name + "=" + http::percentEncode(value, true);
  return out;
}

// Asks a source for one entity through queryEntity or queryBatch.
ForwardRequest queryForOne(const Source& source, const ClientRequest& client, const std::string& id,
                           const std::vector<std::string>& attrs) {
  ForwardRequest out;
  auto names = askedAttributes(source, client, attrs);
  std::string type = source.type ? client.ctx->compact(*source.type) : "";
  if (source.operation == "queryEntity") {
    std::vector<std::pair<std::string, std::string>> params{{"id", id}};
    if (!type.empty()) params.emplace_back("type", type);
    if (!names.empty()) params.emplace_back("attrs", joined(names));
    if (localOnly(source.registration)) params.emplace_back("local", "true");
    if (client.sysAttrs) params.emplace_back("options", "sysAttrs");
    out.method = "GET";
    out.url = base(source.registration) + "/entities" + queryString(params);
  } else {
    json::object selector{{"id", id}};
    if (!type.empty()) selector["type"] = type;
    json::object body{{"type", "Query"}, {"entities", json::array{std::move(selector)}}};
    if (!names.empty()) {
      json::array a;
      for (const auto& n : names) a.emplace_back(n);
      body["attrs"] = std::move(a);
    }
    out.method = "POST";
    out.url = base(source.registration) + "/entityOperations/query" +
              (client.sysAttrs ? "?options=sysAttrs" : "");
    out.body = json::serialize(body);
  }
  return out;
}

}  // namespace

std::vector<Source> sourcesFor(const std::vector<Registration>& registrations,
                               const RegistrationQuery& query,
                               std::initializer_list<std::string_view> operations, int64_t now,
                               bool unsupportedToo) {
  std::vector<Source> out;
  for (const auto& r : registrations) {
    auto infos = matchingInformation(query, r);
    if (infos.empty() || !matchesFilters(query, r, now)) continue;
    std::vector<std::string> named;
    if (auto* ops = r.doc.if_contains("operations"))
      for (const auto& op : ops->get_array()) named.emplace_back(op.get_string());
    auto allowed = expandOperations(named);
    Source s;
    for (auto op : operations)
      if (s.operation.empty() && allowed.contains(op)) s.operation = op;
    if (s.operation.empty() && !unsupportedToo) continue;
    s.registration = r;
    s.mode = modeOf(r);
    s.coolingDown = r.stats.coolUntilMs > now;
    auto information = informationOf(r);
    bool anyAttribute = false;
    for (auto i : infos) {
      const auto& info = information[i];
      s.information.push_back(info);
      anyAttribute = anyAttribute || info.anyAttribute();
      s.attributes.insert(info.propertyNames.begin(), info.propertyNames.end());
      s.attributes.insert(info.relationshipNames.begin(), info.relationshipNames.end());
      for (const auto& e : info.entities) {
        if (e.id) s.ids.push_back(*e.id);
        if (e.type && !s.type) s.type = e.type;
      }
    }
    if (anyAttribute) s.attributes.clear();
    out.push_back(std::move(s));
  }
  return out;
}

ForwardRequest retrieveRequest(const Source& source, const ClientRequest& client,
                               const std::string& id, const std::vector<std::string>& attrs) {
  ForwardRequest out;
  if (source.operation != "retrieveEntity") {
    out = queryForOne(source, client, id, attrs);
  } else {
    std::vector<std::pair<std::string, std::string>> params;
    if (auto names = askedAttributes(source, client, attrs); !names.empty())
      params.emplace_back("attrs", joined(names));
    if (localOnly(source.registration)) params.emplace_back("local", "true");
    if (client.sysAttrs) params.emplace_back("options", "sysAttrs");
    out.method = "GET";
    out.url =
        base(source.registration) + "/entities/" + http::percentEncode(id) + queryString(params);
  }
  out.headers = headersFor(source, client);
  if (!out.body.empty()) out.headers.emplace_back("Content-Type", "application/json");
  out.timeout = timeoutOf(source.registration);
  return out;
}

ForwardRequest queryRequest(const Source& source, const ClientRequest& client,
                            const std::vector<std::pair<std::string, std::string>>& params,
                            const std::vector<std::string>& attrs, size_t limit) {
  std::vector<std::pair<std::string, std::string>> sent;
  bool clientIds = false;
  for (const auto& [name, value] : params) {
    if (name != "id") {
      sent.emplace_back(name, value);
      continue;
    }
    // Of the client's ids, those the source may hold (4.3.6.1: the registration's constraints hold).
    clientIds = true;
    std::vector<std::string> held;
    for (size_t from = 0; from <= value.size();) {
      auto to = std::min(value.find(',', from), value.size());
      std::string id = value.substr(from, to - from);
      from = to + 1;
      if (std::any_of(source.information.begin(), source.information.end(),
                      [&id](const RegistrationInfo& info) { return mayHoldId(info, id); }))
        held.push_back(std::move(id));
    }
    sent.emplace_back("id", held.empty() ? value : joined(held));
  }
  if (!clientIds && (source.mode == Mode::Exclusive || source.mode == Mode::Redirect) && !source.ids.empty())
    sent.emplace_back("id", joined(source.ids));
  if (auto names = askedAttributes(source, client, attrs); !names.empty())
    sent.emplace_back("attrs", joined(names));
  if (localOnly(source.registration)) sent.emplace_back("local", "true");
  if (client.sysAttrs) sent.emplace_back("options", "sysAttrs");
  sent.emplace_back("limit", std::to_string(limit));
  ForwardRequest out;
  out.headers = headersFor(source, client);
  out.timeout = timeoutOf(source.registration);
  if (source.operation != "queryBatch") {
    out.method = "GET";
    out.url = base(source.registration) + "/entities" + queryString(sent);
    return out;
  }
  // The same selection as a Query body (POST /entityOperations/query).
  json::object selector, body{{"type", "Query"}}, geoQ;
  std::vector<std::pair<std::string, std::string>> params2;
  for (const auto& [name, value] : sent) {
    if (name == "type" || name == "id" || name == "idPattern") {
      selector[name] = value;
    } else if (name == "q" || name == "scopeQ" || name == "lang") {
      body[name] = value;
    } else if (name == "attrs") {
      json::array a;
      for (size_t from = 0; from <= value.size();) {
        auto to = std::min(value.find(',', from), value.size());
        a.emplace_back(value.substr(from, to - from));
        from = to + 1;
      }
      body["attrs"] = std::move(a);
    } else if (name == "georel" || name == "geometry" || name == "geoproperty") {
      geoQ[name] = value;
    } else if (name == "coordinates") {
      json::error_code ec;
      auto c = json::parse(value, ec);
      geoQ[name] = ec ? json::value(value) : c;
    } else {
      params2.emplace_back(name, value);  // limit, local
    }
  }
  if (!selector.empty()) body["entities"] = json::array{std::move(selector)};
  if (!geoQ.empty()) body["geoQ"] = std::move(geoQ);
  out.method = "POST";
  out.url = base(source.registration) + "/entityOperations/query" + queryString(params2);
  out.body = json::serialize(body);
  out.headers.emplace_back("Content-Type", "application/json");
  return out;
}

ForwardRequest temporalRequest(const Source& source, const ClientRequest& client, const std::string& path,
                               std::vector<std::pair<std::string, std::string>> params,
                               const std::vector<std::string>& attrs) {
  if (auto names = askedAttributes(source, client, attrs); !names.empty()) params.emplace_back("attrs", joined(names));
  if (client.sysAttrs) params.emplace_back("options", "sysAttrs");
  return relayRequest(source, client, "GET", path, params, "");
}

ForwardRequest relayRequest(const Source& source, const ClientRequest& client,
                            const std::string& method, const std::string& path,
                            const std::vector<std::pair<std::string, std::string>>& params,
                            std::string body) {
  std::vector<std::pair<std::string, std::string>> sent;
  for (const auto& p : params)
    if (p.first != "local") sent.push_back(p);
  if (localOnly(source.registration)) sent.emplace_back("local", "true");
  ForwardRequest out;
  out.method = method;
  out.url = base(source.registration) + path + queryString(sent);
  out.headers = headersFor(source, client);
  out.timeout = timeoutOf(source.registration);
  if (body.empty()) return out;
  // contextSourceInfo contentType=application/ld+json: the @context goes in the body.
  bool ld = false;
  if (auto* info = source.registration.doc.if_contains("contextSourceInfo"))
    for (const auto& pair : info->get_array())
      ld = ld || (pair.at("key") == "contentType" && pair.at("value") == "application/ld+json");
  if (!ld) {
    out.headers.emplace_back("Content-Type", "application/json");
    out.body = std::move(body);
    return out;
  }
  std::erase_if(out.headers, [](const auto& h) { return h.first == "Link"; });
  out.headers.emplace_back("Content-Type", "application/ld+json");
  json::value context = client.contextUrl.empty() ? json::value(jsonld::kCoreContextUrl) : json::value(client.contextUrl);
  auto add = [&context](json::value& v) {
    if (v.is_object()) v.get_object()["@context"] = context;
  };
  json::error_code ec;
  auto parsed = json::parse(body, ec);
  if (!ec) {
    if (parsed.is_array())
      for (auto& e : parsed.get_array()) add(e);
    else
      add(parsed);
    body = json::serialize(parsed);
  }
  out.body = std::move(body);
  return out;
}

json::object bodyFor(const Source& source, const json::object& body, const jsonld::Context& ctx) {
  if (source.attributes.empty()) return body;
  json::object out;
  for (const auto& [name, value] : body)
    if (name == "id" || name == "type" || source.attributes.contains(ctx.expand(name)))
      out[name] = value;
  return out;
}

SourceAnswer readAnswer(const Source& source, const http::ClientResponse& response) {
  SourceAnswer out;
  std::string who = source.registration.id;
  if (!response.ok) {
    // An answer that began to arrive but cannot be read (e.g. beyond the size limit) is a
    // payload problem (111), no answer at all (within the timeout, or not asked during
    // the cooldown) 199 (Table 6.3.17-1).
    out.warning =
        (response.answered ? "111 " : "199 ") + who + " \"no answer: " + response.error + "\"";
    return out;
  }
  if (response.status == 404) return out;
  if (response.status < 200 || response.status > 299) {
    out.warning =
        "299 " + who + " \"the context source answered " + std::to_string(response.status) + "\"";
    return out;
  }
  if (response.body.empty()) return out;
  json::error_code ec;
  out.arena = std::make_unique<json::monotonic_resource>(2 * response.body.size());
  auto value = json::parse(response.body, ec, out.arena.get());
  if (ec || (!value.is_array() && !value.is_object())) {
    out.warning = "111 " + who + " \"the context source's answer is not JSON entities\"";
    return out;
  }
  auto readable = [](const json::value& v) {
    const auto* o = v.if_object();
    return o && o->contains("id") && o->at("id").is_string() && o->contains("type");
  };
  auto add = [&](json::value& v) { out.entities.push_back(std::move(v.get_object())); };
  bool ok = value.is_array() ? std::all_of(value.get_array().begin(), value.get_array().end(), readable)
                             : readable(value);
  if (!ok) {
    out.warning = "111 " + who + " \"the context source's answer holds something that is not an entity\"";
    return out;
  }
  if (value.is_array())
    for (auto& v : value.get_array()) add(v);
  else
    add(value);
  for (auto& e : out.entities) e.erase("@context");
  return out;
}

namespace {

// createdAt and modifiedAt of a source's object (as it sent them) onto the internal form.
void copySystemTimes(const json::object& from, json::object& to) {
  for (auto member : {ngsi::key::createdAt, ngsi::key::modifiedAt})
    if (auto* t = from.if_contains(member); t && t->is_string())
      if (auto ms = ngsi::parseDateTime(t->get_string())) to[member] = *ms;
}

}  // namespace

std::optional<json::object> internalEntity(json::object entity, const jsonld::Context& ctx) {
  // The source's system times (asked with options=sysAttrs) are the entity's and its
  // instances'; parsing drops them, so they are taken first (by attribute and position).
  json::object times;
  copySystemTimes(entity, times);
  std::vector<std::tuple<std::string, size_t, json::object>> instanceTimes;
  for (const auto& [name, value] : entity) {
    std::span<const json::value> given = value.is_array() ? std::span(value.get_array().data(), value.get_array().size())
                                                          : std::span(&value, 1);
    for (size_t i = 0; i < given.size(); ++i) {
      json::object t;
      if (given[i].is_object()) copySystemTimes(given[i].get_object(), t);
      if (!t.empty()) instanceTimes.emplace_back(name, i, std::move(t));
    }
  }
  // Parsed in the answer's own storage: its members move instead of being copied.
  std::optional<json::object> out;
  try {
    auto storage = entity.storage();
    out.emplace(ngsi::parseEntity(std::move(entity), ctx, ngsi::ParseMode::Create, storage));
  } catch (const ngsi::Error&) {
    return std::nullopt;  // left out, as an entity the source could not give
  }
  for (const auto& [member, t] : times) (*out)[member] = t;
  auto* attrs = out->if_contains(ngsi::key::attrs);
  for (const auto& [name, i, t] : instanceTimes) {
    auto* instances = attrs ? attrs->get_object().if_contains(ctx.expand(name)) : nullptr;
    if (!instances || !instances->is_array() || i >= instances->get_array().size() ||
        !instances->get_array()[i].is_object())
      continue;
    for (const auto& [member, v] : t) instances->get_array()[i].get_object()[member] = v;
  }
  return out;
}

void dropExclusive(json::object& entity, const Source& source) {
  if (source.mode != Mode::Exclusive) return;
  auto* attrs = entity.if_contains(ngsi::key::attrs);
  if (!attrs) return;
  for (const auto& a : source.attributes) attrs->get_object().erase(a);
}

namespace {

// True if instance a was observed later than b (one that does not say when counts as earliest).
bool observedLater(const json::object& a, const json::object& b) {
  auto at = [](const json::object& i) -> std::optional<int64_t> {
    auto* o = i.if_contains(ngsi::key::observedAt);
    return o && o->is_string() ? ngsi::parseDateTime(o->get_string()) : std::nullopt;
  };
  auto ta = at(a), tb = at(b);
  return ta && (!tb || *ta > *tb);
}

}  // namespace

std::vector<size_t> mergeOrder(const std::vector<Source>& sources) {
  std::vector<size_t> order(sources.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_partition(order.begin(), order.end(), [&sources](size_t i) { return sources[i].mode != Mode::Auxiliary; });
  return order;
}

void merge(json::object& into, json::object remote, const Source& source) {
  auto* from = remote.if_contains(ngsi::key::attrs);
  if (!from) return;
  auto& attrs = into[ngsi::key::attrs];
  if (!attrs.is_object()) attrs = json::object();
  for (auto& [name, instances] : from->get_object()) {
    if (!source.attributes.empty() && !source.attributes.contains(name)) continue;
    auto* mine = attrs.get_object().if_contains(name);
    if (source.mode == Mode::Exclusive || !mine || !mine->is_array() || !instances.is_array()) {
      if (source.mode == Mode::Exclusive || !mine) attrs.get_object()[name] = std::move(instances);
      continue;
    }
    // Instance by instance (datasetId): one not here is added; the same one observed
    // later replaces this one, except from an auxiliary source.
    for (auto& r : instances.get_array()) {
      const auto& theirs = r.get_object();
      auto same = std::find_if(mine->get_array().begin(), mine->get_array().end(), [&theirs](const json::value& m) {
        return ngsi::datasetIdOf(m.get_object()) == ngsi::datasetIdOf(theirs);
      });
      if (same == mine->get_array().end())
        mine->get_array().push_back(std::move(r));
      else if (source.mode != Mode::Auxiliary && observedLater(theirs, same->get_object()))
        *same = std::move(r);
    }
  }
  if (!into.contains(ngsi::key::type))
    if (auto* t = remote.if_contains(ngsi::key::type)) into[ngsi::key::type] = *t;
}

}  // namespace allmende::federation
