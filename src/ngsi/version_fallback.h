// Entity data for a consumer that prefers an earlier NGSI-LD version (clause
// 4.3.6.8, Table 4.3.6.8-1): attribute kinds introduced after that version are
// reformatted as the kind they fall back to (LanguageProperty, VocabProperty,
// JsonProperty and ListProperty as a Property; ListRelationship as a
// Relationship), in entities, their instances and sub-attributes.
#pragma once

#include <boost/json.hpp>

namespace allmende::ngsi {

// Amends rendered entity data (an entity, an array of entities or a GeoJSON
// FeatureCollection/Feature) in place; true if anything changed. simplified:
// the data is in the simplified format, where {"vocab": x} (languageMap, json)
// becomes x.
bool amendForVersion(boost::json::value& data, int major, int minor, bool simplified);

}  // namespace allmende::ngsi
