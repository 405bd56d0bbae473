// Temporal writes: each instance is parsed as a one-attribute fragment (so
// names, kinds and values are checked exactly as for the entity API), then
// the latest instance of each attribute and datasetId becomes the current one.
#include "temporal/temporal_write.h"

#include <limits>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/history_capture.h"
#include "ngsi/operations.h"
#include "ngsi/parse.h"

namespace allmende::temporal {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;
namespace key = ngsi::key;

namespace {

bool isEntityMember(std::string_view m) {
  return m == "id" || m == "@id" || m == "type" || m == "@type" || m == "scope" ||
         m == "@context" || m == "createdAt" || m == "modifiedAt" || m == "deletedAt" ||
         m == "expiresAt";
}

int64_t observedAtOf(const json::object& instance) {
  if (auto* o = instance.if_contains(key::observedAt); o && o->is_string())
    if (auto at = ngsi::parseDateTime(o->get_string())) return *at;
  return std::numeric_limits<int64_t>::min();
}

// The scope given as instances of its history (4.5.6): {"type": "Property",
// "value": scope or [scopes], "observedAt"?}, one or an array; a plain scope
// ("/a" or ["/a", ...]) is the entity's scope as in the entity API.
bool isScopeHistory(const json::value& scope) {
  if (scope.is_object()) return true;
  return scope.is_array() && !scope.get_array().empty() && scope.get_array()[0].is_object();
}

// Records each scope instance in `out` (as the attribute "scope"); returns the
// value of the latest by observedAt, which becomes the entity's scope.
json::value scopeInstances(const json::value& given, const jsonld::Context& ctx,
                           TemporalFragment& out) {
  json::array all = given.is_array() ? given.get_array() : json::array{given};
  json::value latest;
  int64_t latestAt = std::numeric_limits<int64_t>::min();
  for (const auto& element : all) {
    const auto* inst = element.if_object();
    if (!inst)
      fail(ErrorType::BadRequestData,
           "each instance of the scope must be an object {\"type\": \"Property\", \"value\": ...}");
    for (const auto& [member, v] : *inst)
      if (member != key::type && member != "value" && member != key::observedAt)
        fail(ErrorType::BadRequestData,
             "an instance of the scope has type, value and observedAt only, not '" +
                 std::string(member) + "'");
    if (auto* t = inst->if_contains(key::type);
        t && (!t->is_string() || t->get_string() != "Property"))
      fail(ErrorType::BadRequestData, "an instance of the scope must be a Property");
    auto* value = inst->if_contains("value");
    if (!value) fail(ErrorType::BadRequestData, "an instance of the scope has no value");
    auto scope = ngsi::parseEntity(json::object{{"scope", *value}}, ctx, ngsi::ParseMode::Fragment)
                     .at(key::scope);
    if (!scope.is_array())
      fail(ErrorType::BadRequestData,
           "the value of a scope instance must be a scope or an array of scopes");
    json::object recorded{{key::type, "Property"}, {"value", scope}};
    if (auto* o = inst->if_contains(key::observedAt)) {
      if (!o->is_string() || !ngsi::parseDateTime(o->get_string()))
        fail(ErrorType::BadRequestData,
             "observedAt of a scope instance must be a date-time like 2026-03-01T10:00:00Z");
      recorded[key::observedAt] = *o;
    }
    if (observedAtOf(recorded) >= latestAt) {
      latestAt = observedAtOf(recorded);
      latest = scope;
    }
    out.instances.emplace_back(std::string(key::scope), std::move(recorded));
  }
  if (latest.is_null()) fail(ErrorType::BadRequestData, "the scope has no instances");
  out.scopeHistory = true;
  return latest;
}

void stamp(json::object& instance, int64_t now) {
  instance[key::createdAt] = now;
  instance[key::modifiedAt] = now;
  if (auto* subs = instance.if_contains(key::subs); subs && subs->is_object())
    for (auto& [name, sub] : subs->get_object())
      if (sub.is_object()) stamp(sub.get_object(), now);
}

}  // namespace

TemporalFragment parseTemporalEntity(const json::object& body, const jsonld::Context& ctx,
                                     bool create) {
  TemporalFragment out;
  json::object entityMembers;
  for (const auto& [member, value] : body)
    if (isEntityMember(member))
      entityMembers[member] =
          member == "scope" && isScopeHistory(value) ? scopeInstances(value, ctx, out) : value;
  out.entity = ngsi::parseEntity(std::move(entityMembers), ctx,
                                 create ? ngsi::ParseMode::Create : ngsi::ParseMode::Fragment);
  json::object latest;  // attribute IRI -> [latest instance per datasetId]
  for (const auto& [member, value] : body) {
    if (isEntityMember(member)) continue;
    json::array given;
    if (value.is_array())
      given = value.get_array();
    else
      given.push_back(value);
    if (given.empty())
      fail(ErrorType::BadRequestData,
           "the attribute '" + std::string(member) + "' has no instances");
    for (auto& element : given) {
      if (!element.is_object())
        fail(ErrorType::BadRequestData,
             "each instance of '" + std::string(member) + "' must be an object");
      // An instance whose value is the NGSI-LD null records a deletion (5.6.11.4):
      // checked with a stand-in value, kept in the history only.
      std::string_view deleted;
      for (std::string_view m : {"value", "object"})
        if (auto* v = element.get_object().if_contains(m); v && ngsi::isNgsiNull(*v)) {
          deleted = m;
          *v = "urn:ngsi-ld:deleted";
        }
      json::object one;
      one[member] = std::move(element);
      auto parsed = ngsi::parseEntity(std::move(one), ctx, ngsi::ParseMode::Fragment);
      for (auto& [iri, instances] : parsed.at(key::attrs).get_object()) {
        for (auto& inst : instances.get_array()) {
          if (!deleted.empty()) {
            inst.get_object()[deleted] = "urn:ngsi-ld:null";
            out.instances.emplace_back(std::string(iri), std::move(inst.get_object()));
            continue;
          }
          auto& list = latest[iri];
          if (!list.is_array()) list = json::array();
          const auto& obj = inst.get_object();
          bool placed = false;
          for (auto& have : list.get_array()) {
            if (ngsi::datasetIdOf(have.get_object()) != ngsi::datasetIdOf(obj)) continue;
            if (observedAtOf(obj) >= observedAtOf(have.get_object())) have = obj;
            placed = true;
          }
          if (!placed) list.get_array().push_back(obj);
          out.instances.emplace_back(std::string(iri), std::move(inst.get_object()));
        }
      }
    }
  }
  out.entity[key::attrs] = std::move(latest);
  return out;
}

store::EntityWrite temporalWrite(const std::optional<store::Entity>& current,
                                 const TemporalFragment& fragment, int64_t now) {
  store::EntityWrite write;
  if (current) {
    write.entity = *current;
    ngsi::appendAttributes(write.entity, fragment.entity, false, now);
  } else {
    if (!fragment.entity.contains(key::type))
      fail(ErrorType::BadRequestData, "the entity has no type (it does not exist yet)");
    write.entity = ngsi::createEntity(fragment.entity, now);
  }
  // The entity's record and its scope come from the change; the attributes' history from the given
  // instances.
  store::EntityWrite entityOnly;
  entityOnly.entity = write.entity;
  entityOnly.entity.erase(key::attrs);
  std::optional<store::Entity> before;
  if (current) {
    before = *current;
    before->erase(key::attrs);
  }
  store::HistoryWrite history = ngsi::captureHistory(before, entityOnly, now);
  if (fragment.scopeHistory)  // the given scope instances are its history, not this change
    std::erase_if(history.instances,
                  [](const store::HistoryInstance& h) { return h.attribute == key::scope; });
  for (const auto& [iri, inst] : fragment.instances) {
    json::object stamped = inst;
    stamp(stamped, now);
    history.instances.push_back(ngsi::historyInstance(iri, stamped, now));
  }
  history.replaceSameTime = true;
  write.history = std::move(history);
  return write;
}

}  // namespace allmende::temporal
