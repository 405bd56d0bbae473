// A source's temporal entity read into series, and series merged.
#include "temporal/remote_history.h"

#include <algorithm>
#include <map>
#include <set>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/history_capture.h"
#include "ngsi/parse.h"

namespace allmende::temporal {

namespace json = boost::json;

namespace {

// Members of a temporal entity that are not attributes with instances.
const std::set<std::string_view> kNotAttributes = {"id",        "type",       "@context", "createdAt",
                                                   "modifiedAt", "deletedAt", "scope",    "expiresAt"};

}  // namespace

store::HistoryEntity remoteEntity(const json::object& raw, const jsonld::Context& ctx) {
  store::HistoryEntity e;
  e.id = std::string(raw.at("id").get_string());
  const auto& type = raw.at("type");
  for (const auto& t : type.is_array() ? type.get_array() : json::array{type})
    if (t.is_string()) e.types.push_back(ctx.expand(t.get_string()));
  return e;
}

std::vector<Series> remoteSeries(const json::object& raw, const jsonld::Context& ctx) {
  std::map<std::pair<std::string, std::string>, Series> byKey;
  for (const auto& [name, value] : raw) {
    if (kNotAttributes.contains(name)) continue;
    std::string iri = ctx.expand(name);
    for (const auto& given : value.is_array() ? value.get_array() : json::array{value}) {
      // A deletion (deletedAt, the NGSI-LD null as its value) is read as a patch would be.
      const auto* o = given.if_object();
      std::optional<int64_t> deletedAt;
      if (auto* d = o ? o->if_contains("deletedAt") : nullptr; d && d->is_string())
        deletedAt = ngsi::parseDateTime(d->get_string());
      json::array parsed;  // one instance at a time: a series has many of one datasetId
      try {
        parsed = ngsi::parseAttribute(given, std::string(name), iri, ctx,
                                      deletedAt ? ngsi::ParseMode::Patch : ngsi::ParseMode::Fragment);
      } catch (const ngsi::Error&) {
        continue;  // left out, as an instance the source could not give
      }
      if (parsed.size() != 1) continue;
      auto& instance = parsed[0].get_object();
      if (o)  // the source's system times (asked with options=sysAttrs)
        for (auto member : {ngsi::key::createdAt, ngsi::key::modifiedAt})
          if (auto* t = o->if_contains(member); t && t->is_string())
            if (auto ms = ngsi::parseDateTime(t->get_string())) instance[member] = *ms;
      if (deletedAt) {  // as this broker records a deletion (ngsi/history_capture.h)
        auto kind = ngsi::kindOf(instance);
        if (kind == ngsi::AttributeKind::LanguageProperty)
          instance["languageMap"] = json::object{{"@none", "urn:ngsi-ld:null"}};
        else
          instance[ngsi::valueMember(kind)] = "urn:ngsi-ld:null";
        instance["deletedAt"] = *deletedAt;
      }
      auto h = ngsi::historyInstance(iri, instance, deletedAt.value_or(0));
      if (deletedAt && !instance.contains(ngsi::key::observedAt)) h.timeMs = *deletedAt;
      if (const auto* o = given.if_object())
        if (auto* id = o->if_contains("instanceId"); id && id->is_string()) h.instanceId = id->get_string();
      auto& s = byKey[{iri, h.datasetId}];
      s.attribute = iri;
      s.datasetId = h.datasetId;
      s.instances.push_back(std::move(h));
    }
  }
  std::vector<Series> out;
  for (auto& [_, s] : byKey) {
    std::stable_sort(s.instances.begin(), s.instances.end(),
                     [](const auto& a, const auto& b) { return a.timeMs < b.timeMs; });
    out.push_back(std::move(s));
  }
  return out;
}

void mergeSeries(std::vector<Series>& into, std::vector<Series> more, const query::TemporalQ& q) {
  for (auto& m : more) {
    auto same = std::find_if(into.begin(), into.end(), [&m](const Series& s) {
      return s.attribute == m.attribute && s.datasetId == m.datasetId;
    });
    if (same == into.end()) {
      into.push_back(std::move(m));
      same = into.end() - 1;
    } else {
      std::set<int64_t> times;  // of instances observed at a time
      for (const auto& i : same->instances)
        if (i.instance.contains(ngsi::key::observedAt)) times.insert(i.timeMs);
      for (auto& i : m.instances)
        if (!i.instance.contains(ngsi::key::observedAt) || times.insert(i.timeMs).second)
          same->instances.push_back(std::move(i));
      std::stable_sort(same->instances.begin(), same->instances.end(),
                       [](const auto& a, const auto& b) { return a.timeMs < b.timeMs; });
    }
    if (q.lastN && same->instances.size() > *q.lastN)
      same->instances.erase(same->instances.begin(),
                            same->instances.end() - static_cast<std::ptrdiff_t>(*q.lastN));
  }
  std::sort(into.begin(), into.end(), [](const Series& a, const Series& b) {
    return std::tie(a.attribute, a.datasetId) < std::tie(b.attribute, b.datasetId);
  });
}

}  // namespace allmende::temporal
