// The fallback table of clause 4.3.6.8 applied to rendered entities.
#include "ngsi/version_fallback.h"

#include <string_view>

namespace allmende::ngsi {

namespace json = boost::json;

namespace {

struct Fallback {
  std::string_view kind;    // the attribute kind
  int major, minor;         // the version that introduced it
  std::string_view member;  // its value member
  std::string_view asKind;  // what it becomes for earlier versions
  std::string_view asMember;
};

constexpr Fallback kFallbacks[] = {
    {"LanguageProperty", 1, 4, "languageMap", "Property", "value"},
    {"VocabProperty", 1, 8, "vocab", "Property", "value"},
    {"JsonProperty", 1, 8, "json", "Property", "value"},
    {"ListProperty", 1, 8, "valueList", "Property", "value"},
    {"ListRelationship", 1, 8, "objectList", "Relationship", "object"},
};

bool newer(const Fallback& f, int major, int minor) { return f.major > major || (f.major == major && f.minor > minor); }

bool amendAttribute(json::value& v, int major, int minor);

bool isValueMember(std::string_view name) {
  return name == "value" || name == "object" || name == "entity" || name == "languageMap" || name == "vocab" ||
         name == "json" || name == "valueList" || name == "objectList" || name.starts_with("previous");
}

// An attribute instance (object): its kind by "type", or in concise form by its value member.
bool amendInstance(json::object& o, int major, int minor) {
  bool changed = false;
  for (const auto& f : kFallbacks) {
    if (!newer(f, major, minor)) continue;
    auto* type = o.if_contains("type");
    bool typed = type && type->is_string() && type->get_string() == f.kind;
    auto* value = o.if_contains(f.member);
    if (!typed && !(value && !type)) continue;
    if (typed) *type = f.asKind;
    if (value) {
      json::value moved = std::move(*value);
      o.erase(f.member);
      o[f.asMember] = std::move(moved);
    }
    changed = true;
    break;
  }
  for (auto& [name, sub] : o)
    if (!isValueMember(name)) changed |= amendAttribute(sub, major, minor);  // sub-attributes
  return changed;
}

bool amendAttribute(json::value& v, int major, int minor) {
  bool changed = false;
  if (v.is_object()) return amendInstance(v.get_object(), major, minor);
  if (v.is_array())
    for (auto& i : v.get_array())
      if (i.is_object()) changed |= amendInstance(i.get_object(), major, minor);
  return changed;
}

// Simplified form: {"vocab": x} (languageMap, json) is the attribute; earlier versions get x itself.
bool amendSimplified(json::value& v, int major, int minor) {
  auto* o = v.if_object();
  if (!o || o->size() != 1) return false;
  for (const auto& f : kFallbacks)
    if (newer(f, major, minor) && o->contains(f.member) && f.asKind == "Property") {
      json::value inner = std::move((*o)[f.member]);
      v = std::move(inner);
      return true;
    }
  return false;
}

bool amendEntity(json::object& e, int major, int minor, bool simplified) {
  bool changed = false;
  if (auto* props = e.if_contains("properties"); props && props->is_object() && e.contains("geometry"))
    return amendEntity(props->get_object(), major, minor, simplified);  // a GeoJSON Feature
  for (auto& [name, v] : e)
    if (name != "id" && name != "type" && name != "@context" && name != "scope")
      changed |= simplified ? amendSimplified(v, major, minor) : amendAttribute(v, major, minor);
  return changed;
}

}  // namespace

bool amendForVersion(json::value& data, int major, int minor, bool simplified) {
  bool changed = false;
  if (data.is_array()) {
    for (auto& e : data.get_array())
      if (e.is_object()) changed |= amendEntity(e.get_object(), major, minor, simplified);
    return changed;
  }
  if (!data.is_object()) return false;
  auto& o = data.get_object();
  if (auto* features = o.if_contains("features"); features && features->is_array()) {
    for (auto& f : features->get_array())
      if (f.is_object()) changed |= amendEntity(f.get_object(), major, minor, simplified);
    return changed;
  }
  return amendEntity(o, major, minor, simplified);
}

}  // namespace allmende::ngsi
