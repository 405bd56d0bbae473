// The NGSI-LD v1.9 core context (ETSI GS CIM 009 V1.9.1, Annex B) encoded as a
// table: term, IRI (compact, with the "ngsi-ld" and "geojson" prefixes), @type
// and @container. tests/unit/core_context_test.cpp checks this table against
// the reference copy of the standard's file. The scoped @context of
// "ngsildproof" is not carried (NGSI-LD proofs are not supported yet).
#include "jsonld/core_context.h"

#include <regex>

#include <boost/json.hpp>

namespace allmende::jsonld {

namespace {

struct CoreTerm {
  std::string_view term, id, type, container;
};

constexpr std::string_view kCoreVocab = "https://uri.etsi.org/ngsi-ld/default-context/";

constexpr CoreTerm kCoreTerms[] = {
    {"ngsi-ld", "https://uri.etsi.org/ngsi-ld/", "", ""},
    {"geojson", "https://purl.org/geojson/vocab#", "", ""},
    {"id", "@id", "", ""},
    {"type", "@type", "", ""},
    {"Attribute", "ngsi-ld:Attribute", "", ""},
    {"AttributeList", "ngsi-ld:AttributeList", "", ""},
    {"ContextSourceIdentity", "ngsi-ld:ContextSourceIdentity", "", ""},
    {"ContextSourceNotification", "ngsi-ld:ContextSourceNotification", "", ""},
    {"ContextSourceRegistration", "ngsi-ld:ContextSourceRegistration", "", ""},
    {"Date", "ngsi-ld:Date", "", ""},
    {"DateTime", "ngsi-ld:DateTime", "", ""},
    {"EntityMap", "ngsi-ld:EntityMap", "", ""},
    {"EntityType", "ngsi-ld:EntityType", "", ""},
    {"EntityTypeInfo", "ngsi-ld:EntityTypeInfo", "", ""},
    {"EntityTypeList", "ngsi-ld:EntityTypeList", "", ""},
    {"ExecutionResultDetails", "ngsi-ld:ExecutionResultDetails", "", ""},
    {"Feature", "geojson:Feature", "", ""},
    {"FeatureCollection", "geojson:FeatureCollection", "", ""},
    {"GeoProperty", "ngsi-ld:GeoProperty", "", ""},
    {"GeometryCollection", "geojson:GeometryCollection", "", ""},
    {"JsonProperty", "ngsi-ld:JsonProperty", "", ""},
    {"LanguageProperty", "ngsi-ld:LanguageProperty", "", ""},
    {"LineString", "geojson:LineString", "", ""},
    {"ListProperty", "ngsi-ld:ListProperty", "", ""},
    {"ListRelationship", "ngsi-ld:ListRelationship", "", ""},
    {"MultiLineString", "geojson:MultiLineString", "", ""},
    {"MultiPoint", "geojson:MultiPoint", "", ""},
    {"MultiPolygon", "geojson:MultiPolygon", "", ""},
    {"Notification", "ngsi-ld:Notification", "", ""},
    {"Point", "geojson:Point", "", ""},
    {"Polygon", "geojson:Polygon", "", ""},
    {"Property", "ngsi-ld:Property", "", ""},
    {"Relationship", "ngsi-ld:Relationship", "", ""},
    {"Snapshot", "ngsi-ld:Snapshot", "", ""},
    {"SnapshotNotification", "ngsi-ld:SnapshotNotification", "", ""},
    {"Subscription", "ngsi-ld:Subscription", "", ""},
    {"TemporalProperty", "ngsi-ld:TemporalProperty", "", ""},
    {"Time", "ngsi-ld:Time", "", ""},
    {"VocabProperty", "ngsi-ld:VocabProperty", "", ""},
    {"accept", "ngsi-ld:accept", "", ""},
    {"aggrParams", "ngsi-ld:aggrParams", "", ""},
    {"aggrMethods", "ngsi-ld:aggrMethods", "", ""},
    {"aggrPeriodDuration", "ngsi-ld:aggrPeriodDuration", "", ""},
    {"attributeCount", "ngsi-ld:attributeCount", "", ""},
    {"attributeDetails", "ngsi-ld:attributeDetails", "", ""},
    {"attributeList", "ngsi-ld:attributeList", "@vocab", ""},
    {"attributeName", "ngsi-ld:attributeName", "@vocab", ""},
    {"attributeNames", "ngsi-ld:attributeNames", "@vocab", ""},
    {"attributeTypes", "ngsi-ld:attributeTypes", "@vocab", ""},
    {"attributes", "ngsi-ld:attributes", "@vocab", ""},
    {"attrs", "ngsi-ld:attrs", "", ""},
    {"avg", "ngsi-ld:avg", "", "@list"},
    {"bbox", "geojson:bbox", "", "@list"},
    {"cacheDuration", "ngsi-ld:cacheDuration", "", ""},
    {"collation", "ngsi-ld:collation", "", ""},
    {"containedBy", "ngsi-ld:isContainedBy", "", ""},
    {"contextSourceAlias", "ngsi-ld:contextSourceAlias", "", ""},
    {"contextSourceExtras", "ngsi-ld:contextSourceExtras", "@json", ""},
    {"contextSourceInfo", "ngsi-ld:contextSourceInfo", "", ""},
    {"contextSourceTimeAt", "ngsi-ld:contextSourceTimeAt", "DateTime", ""},
    {"contextSourceUptime", "ngsi-ld:contextSourceUptime", "", ""},
    {"cooldown", "ngsi-ld:cooldown", "", ""},
    {"coordinates", "geojson:coordinates", "", "@list"},
    {"createdAt", "ngsi-ld:createdAt", "DateTime", ""},
    {"csf", "ngsi-ld:csf", "", ""},
    {"data", "ngsi-ld:data", "", ""},
    {"dataset", "ngsi-ld:hasDataset", "", "@index"},
    {"datasetId", "ngsi-ld:datasetId", "@id", ""},
    {"deletedAt", "ngsi-ld:deletedAt", "DateTime", ""},
    {"description", "http://purl.org/dc/terms/description", "", ""},
    {"detail", "ngsi-ld:detail", "", ""},
    {"distinctCount", "ngsi-ld:distinctCount", "", "@list"},
    {"endAt", "ngsi-ld:endAt", "DateTime", ""},
    {"endTimeAt", "ngsi-ld:endTimeAt", "DateTime", ""},
    {"endpoint", "ngsi-ld:endpoint", "", ""},
    {"entities", "ngsi-ld:entities", "", ""},
    {"entity", "ngsi-ld:entity", "", ""},
    {"entityCount", "ngsi-ld:entityCount", "", ""},
    {"entityId", "ngsi-ld:entityId", "@id", ""},
    {"entityList", "ngsi-ld:entityList", "", "@list"},
    {"entityMap", "ngsi-ld:hasEntityMap", "", "@index"},
    {"entityMapLifetime", "ngsi-ld:hasEntityMapLifetime", "", ""},
    {"error", "ngsi-ld:error", "", ""},
    {"errors", "ngsi-ld:errors", "", ""},
    {"expandValues", "ngsi-ld:expandValues", "", ""},
    {"expiresAt", "ngsi-ld:expiresAt", "DateTime", ""},
    {"features", "geojson:features", "", "@set"},
    {"format", "ngsi-ld:format", "", ""},
    {"geoQ", "ngsi-ld:geoQ", "", ""},
    {"geometry", "geojson:geometry", "", ""},
    {"geoproperty", "ngsi-ld:geoproperty", "", ""},
    {"georel", "ngsi-ld:georel", "", ""},
    {"idPattern", "ngsi-ld:idPattern", "", ""},
    {"information", "ngsi-ld:information", "", ""},
    {"instanceId", "ngsi-ld:instanceId", "@id", ""},
    {"isActive", "ngsi-ld:isActive", "", ""},
    {"join", "ngsi-ld:join", "", ""},
    {"joinLevel", "ngsi-ld:hasJoinLevel", "", ""},
    {"json", "ngsi-ld:hasJSON", "@json", ""},
    {"jsonKeys", "ngsi-ld:jsonKeys", "", ""},
    {"jsonldContext", "ngsi-ld:jsonldContext", "", ""},
    {"jsons", "ngsi-ld:jsons", "", "@list"},
    {"key", "ngsi-ld:hasKey", "", ""},
    {"lang", "ngsi-ld:lang", "", ""},
    {"languageMap", "ngsi-ld:hasLanguageMap", "", "@language"},
    {"languageMaps", "ngsi-ld:hasLanguageMaps", "", "@list"},
    {"langString", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", "", ""},
    {"lastFailure", "ngsi-ld:lastFailure", "DateTime", ""},
    {"lastN", "ngsi-ld:lastN", "", ""},
    {"lastNotification", "ngsi-ld:lastNotification", "DateTime", ""},
    {"lastSuccess", "ngsi-ld:lastSuccess", "DateTime", ""},
    {"lastUsedAt", "ngsi-ld:lastUsedAt", "DateTime", ""},
    {"linkedMaps", "ngsi-ld:linkedMaps", "", ""},
    {"localOnly", "ngsi-ld:localOnly", "", ""},
    {"location", "ngsi-ld:location", "", ""},
    {"management", "ngsi-ld:management", "", ""},
    {"managementInterval", "ngsi-ld:managementInterval", "", ""},
    {"max", "ngsi-ld:max", "", "@list"},
    {"min", "ngsi-ld:min", "", "@list"},
    {"mode", "ngsi-ld:mode", "", ""},
    {"modifiedAt", "ngsi-ld:modifiedAt", "DateTime", ""},
    {"ngsildproof", "ngsi-ld:ngsildproof", "", ""},
    {"ngsildConformance", "ngsi-ld:ngsildConformance", "", ""},
    {"notification", "ngsi-ld:notification", "", ""},
    {"notificationTrigger", "ngsi-ld:notificationTrigger", "", ""},
    {"notifiedAt", "ngsi-ld:notifiedAt", "DateTime", ""},
    {"notifierInfo", "ngsi-ld:notifierInfo", "", ""},
    {"notUpdated", "ngsi-ld:notUpdated", "", ""},
    {"object", "ngsi-ld:hasObject", "@id", ""},
    {"objectList", "ngsi-ld:hasObjectList", "", "@list"},
    {"objectLists", "ngsi-ld:hasObjectLists", "", "@list"},
    {"objects", "ngsi-ld:hasObjects", "", "@list"},
    {"objectType", "ngsi-ld:hasObjectType", "@vocab", ""},
    {"observationInterval", "ngsi-ld:observationInterval", "", ""},
    {"observationSpace", "ngsi-ld:observationSpace", "", ""},
    {"observedAt", "ngsi-ld:observedAt", "DateTime", ""},
    {"omit", "ngsi-ld:omit", "", ""},
    {"operations", "ngsi-ld:operations", "", ""},
    {"operationSpace", "ngsi-ld:operationSpace", "", ""},
    {"orderBy", "ngsi-ld:orderBy", "", "@list"},
    {"ordering", "ngsi-ld:ordering", "", ""},
    {"pick", "ngsi-ld:pick", "", ""},
    {"previousJson", "ngsi-ld:hasPreviousJson", "@json", ""},
    {"previousLanguageMap", "ngsi-ld:hasPreviousLanguageMap", "", "@language"},
    {"previousObject", "ngsi-ld:hasPreviousObject", "@id", ""},
    {"previousObjectList", "ngsi-ld:hasPreviousObjectList", "", "@list"},
    {"previousValue", "ngsi-ld:hasPreviousValue", "", ""},
    {"previousValueList", "ngsi-ld:hasPreviousValueList", "", "@list"},
    {"previousVocab", "ngsi-ld:hasPreviousVocab", "@vocab", ""},
    {"problemDetails", "ngsi-ld:problemDetails", "@json", ""},
    {"properties", "geojson:properties", "", ""},
    {"propertyNames", "ngsi-ld:propertyNames", "@vocab", ""},
    {"q", "ngsi-ld:q", "", ""},
    {"reason", "ngsi-ld:reason", "", ""},
    {"receiverInfo", "ngsi-ld:receiverInfo", "", ""},
    {"refreshRate", "ngsi-ld:refreshRate", "", ""},
    {"registrationId", "ngsi-ld:registrationId", "", ""},
    {"registrationName", "ngsi-ld:registrationName", "", ""},
    {"relationshipNames", "ngsi-ld:relationshipNames", "@vocab", ""},
    {"resultStatus", "ngsi-ld:resultStatus", "", ""},
    {"scope", "ngsi-ld:scope", "", ""},
    {"scopeQ", "ngsi-ld:scopeQ", "", ""},
    {"showChanges", "ngsi-ld:showChanges", "", ""},
    {"snapshotId", "ngsi-ld:snapshotId", "", ""},
    {"snapshotLifetime", "ngsi-ld:snapshotLifetime", "", ""},
    {"snapshotPriority", "ngsi-ld:snapshotPriority", "", ""},
    {"snapshotQueries", "ngsi-ld:snapshotQueries", "", "@list"},
    {"snapshotQueriesDetails", "ngsi-ld:snapshotQueriesDetails", "", "@list"},
    {"snapshotStatus", "ngsi-ld:snapshotStatus", "", ""},
    {"snapshotTemporalQueries", "ngsi-ld:snapshotTemporalQueries", "", "@list"},
    {"snapshotTemporalQueriesDetails", "ngsi-ld:snapshotTemporalQueriesDetails", "", "@list"},
    {"splitEntities", "ngsi-ld:hasSplitEntities", "", ""},
    {"startAt", "ngsi-ld:startAt", "DateTime", ""},
    {"status", "ngsi-ld:status", "", ""},
    {"stddev", "ngsi-ld:stddev", "", "@list"},
    {"subscriptionId", "ngsi-ld:subscriptionId", "@id", ""},
    {"subscriptionName", "ngsi-ld:subscriptionName", "", ""},
    {"success", "ngsi-ld:success", "@id", ""},
    {"sum", "ngsi-ld:sum", "", "@list"},
    {"sumsq", "ngsi-ld:sumsq", "", "@list"},
    {"sysAttrs", "ngsi-ld:sysAttrs", "", ""},
    {"temporalQ", "ngsi-ld:temporalQ", "", ""},
    {"tenant", "ngsi-ld:tenant", "@id", ""},
    {"throttling", "ngsi-ld:throttling", "", ""},
    {"timeAt", "ngsi-ld:timeAt", "DateTime", ""},
    {"timeInterval", "ngsi-ld:timeInterval", "", ""},
    {"timeout", "ngsi-ld:timeout", "", ""},
    {"timeproperty", "ngsi-ld:timeproperty", "", ""},
    {"timerel", "ngsi-ld:timerel", "", ""},
    {"timesFailed", "ngsi-ld:timesFailed", "", ""},
    {"timesSent", "ngsi-ld:timesSent", "", ""},
    {"title", "http://purl.org/dc/terms/title", "", ""},
    {"totalCount", "ngsi-ld:totalCount", "", "@list"},
    {"triggerReason", "ngsi-ld:triggerReason", "", ""},
    {"typeList", "ngsi-ld:typeList", "@vocab", ""},
    {"typeName", "ngsi-ld:typeName", "@vocab", ""},
    {"typeNames", "ngsi-ld:typeNames", "@vocab", ""},
    {"unchanged", "ngsi-ld:unchanged", "", ""},
    {"unitCode", "ngsi-ld:unitCode", "", ""},
    {"updated", "ngsi-ld:updated", "", ""},
    {"uri", "ngsi-ld:uri", "", ""},
    {"value", "ngsi-ld:hasValue", "", ""},
    {"valueList", "ngsi-ld:hasValueList", "", "@list"},
    {"valueLists", "ngsi-ld:hasValueLists", "", "@list"},
    {"values", "ngsi-ld:hasValues", "", "@list"},
    {"valueType", "ngsi-ld:hasValueType", "@vocab", ""},
    {"vocab", "ngsi-ld:hasVocab", "@vocab", ""},
    {"vocabs", "ngsi-ld:hasVocabs", "", "@list"},
    {"watchedAttributes", "ngsi-ld:watchedAttributes", "@vocab", ""},
};

boost::json::object makeDocument() {
  boost::json::object ctx;
  ctx["@version"] = 1.1;
  ctx["@protected"] = true;
  for (const auto& t : kCoreTerms) {
    if (t.type.empty() && t.container.empty()) {
      ctx[t.term] = t.id;
      continue;
    }
    boost::json::object def;
    def["@id"] = t.id;
    if (!t.type.empty()) def["@type"] = t.type;
    if (!t.container.empty()) def["@container"] = t.container;
    ctx[t.term] = std::move(def);
  }
  ctx["@vocab"] = kCoreVocab;
  boost::json::object doc;
  doc["@context"] = std::move(ctx);
  return doc;
}

}  // namespace

const boost::json::object& coreContextDocument() {
  static const boost::json::object doc = makeDocument();
  return doc;
}

const ContextPtr& coreContext() {
  static const ContextPtr ctx = [] {
    ContextBuilder builder(nullptr, false);
    builder.apply(coreContextDocument().at("@context").as_object());
    return builder.build();
  }();
  return ctx;
}

bool isCoreContextUrl(std::string_view url) {
  static const std::regex pattern(
      R"(https?://uri\.etsi\.org/ngsi-ld/v1/ngsi-ld-core-context(-v1\.[3-9](\.[0-9]+)?)?\.jsonld)");
  return std::regex_match(url.begin(), url.end(), pattern);
}

}  // namespace allmende::jsonld
