// Temporal rendering: each instance is rendered by ngsi::renderInstance like
// an entity's attribute, then given its instanceId (normalized) or paired
// with its time (temporalValues).
#include "temporal/temporal_render.h"

#include "ngsi/datetime.h"
#include "ngsi/entity.h"

namespace allmende::temporal {

namespace json = boost::json;
using ngsi::AttributeKind;

namespace {

std::string_view valuesMember(AttributeKind kind) {
  switch (kind) {
    case AttributeKind::Relationship:
      return "objects";
    case AttributeKind::LanguageProperty:
      return "languageMaps";
    case AttributeKind::VocabProperty:
      return "vocabs";
    case AttributeKind::JsonProperty:
      return "jsons";
    case AttributeKind::ListProperty:
      return "valueLists";
    case AttributeKind::ListRelationship:
      return "objectLists";
    default:
      return "values";
  }
}

bool wanted(const ngsi::RenderOptions& o, const std::string& name) {
  if (o.pick && !o.pick->names.contains(name)) return false;
  return !(o.omit && o.omit->names.contains(name));
}

// The instance's time property as text: observedAt as written, else the epoch ms formatted.
json::string timeText(const store::HistoryInstance& h, query::TimeProperty property,
                      const json::storage_ptr& sp) {
  if (property == query::TimeProperty::ObservedAt)
    if (auto* o = h.instance.if_contains(ngsi::key::observedAt); o && o->is_string())
      return json::string(o->get_string(), sp);
  return json::string(ngsi::formatDateTime(instanceTime(h, property).value_or(h.timeMs)), sp);
}

json::value normalizedInstance(const store::HistoryInstance& h, const jsonld::Context& ctx,
                               const TemporalRenderOptions& o) {
  auto rendered = ngsi::renderInstance(h.instance, ctx, o.base);
  json::object out(o.base.storage);
  if (rendered.is_object())
    out = std::move(rendered.get_object());
  else
    out["value"] = std::move(rendered);
  out["instanceId"] = h.instanceId;
  if (auto* d = h.instance.if_contains("deletedAt"); d && d->is_int64())
    out["deletedAt"] = ngsi::formatDateTime(d->get_int64());
  return out;
}

json::object temporalValues(const Series& s, const jsonld::Context& ctx,
                            const TemporalRenderOptions& o) {
  const auto& sp = o.base.storage;
  // A series the instance limit emptied (temporal/instance_limit.h) stays, with no values.
  auto kind = s.instances.empty() ? ngsi::AttributeKind::Property
                                  : ngsi::kindOf(s.instances.front().instance);
  auto simplified = o.base;
  simplified.format = ngsi::Format::Simplified;
  json::array values(sp);
  for (const auto& h : s.instances) {
    json::array pair(sp);
    pair.push_back(ngsi::renderInstance(h.instance, ctx, simplified));
    pair.push_back(timeText(h, o.timeProperty, sp));
    values.push_back(std::move(pair));
  }
  json::object out(sp);
  out[ngsi::key::type] = ngsi::kindName(kind);
  if (!s.datasetId.empty()) out[ngsi::key::datasetId] = s.datasetId;
  out[valuesMember(kind)] = std::move(values);
  return out;
}

json::object entityHead(const store::HistoryEntity& entity, const jsonld::Context& ctx,
                        const TemporalRenderOptions& o) {
  const auto& sp = o.base.storage;
  json::object out(sp);
  if (wanted(o.base, "id")) out[ngsi::key::id] = entity.id;
  if (wanted(o.base, "type")) {
    json::array types(sp);
    for (const auto& t : entity.types) types.emplace_back(t);
    out[ngsi::key::type] = ngsi::renderTypes(types, ctx, sp);
  }
  return out;
}

// Calls add(name, first, end) for each attribute's run [first, end) of series
// the options want (the series of one attribute are neighbours).
template <typename S, typename Add>
void byAttribute(const std::vector<S>& series, const jsonld::Context& ctx,
                 const TemporalRenderOptions& o, Add add) {
  for (size_t i = 0; i < series.size();) {
    size_t end = i;
    while (end < series.size() && series[end].attribute == series[i].attribute) ++end;
    std::string name = ctx.compact(series[i].attribute);
    if (wanted(o.base, name)) add(name, i, end);
    i = end;
  }
}

}  // namespace

json::object renderAggregatedEntity(const store::HistoryEntity& entity,
                                    const std::vector<AggregatedSeries>& series,
                                    const jsonld::Context& ctx, const TemporalRenderOptions& o) {
  const auto& sp = o.base.storage;
  auto out = entityHead(entity, ctx, o);
  auto one = [&](const AggregatedSeries& s) {
    json::object a(sp);
    a[ngsi::key::type] = s.kind;
    if (!s.datasetId.empty()) a[ngsi::key::datasetId] = s.datasetId;
    for (const auto& [method, values] : s.values) a[method] = values;
    return a;
  };
  byAttribute(series, ctx, o, [&](const std::string& name, size_t first, size_t end) {
    if (end - first == 1) {
      out[name] = one(series[first]);
      return;
    }
    json::array all(sp);
    for (size_t k = first; k < end; ++k) all.push_back(one(series[k]));
    out[name] = std::move(all);
  });
  return out;
}

json::object renderTemporalEntity(const store::HistoryEntity& entity,
                                  const std::vector<Series>& series, const jsonld::Context& ctx,
                                  const TemporalRenderOptions& o) {
  const auto& sp = o.base.storage;
  auto out = entityHead(entity, ctx, o);
  byAttribute(series, ctx, o, [&](const std::string& name, size_t first, size_t end) {
    if (o.temporalValues) {
      if (end - first == 1) {
        out[name] = temporalValues(series[first], ctx, o);
        return;
      }
      json::array all(sp);
      for (size_t k = first; k < end; ++k) all.push_back(temporalValues(series[k], ctx, o));
      out[name] = std::move(all);
      return;
    }
    json::array instances(sp);
    for (size_t k = first; k < end; ++k)
      for (const auto& h : series[k].instances) instances.push_back(normalizedInstance(h, ctx, o));
    out[name] = std::move(instances);
  });
  return out;
}

}  // namespace allmende::temporal
