"""Create-time validation of entity payloads (5.6.1, 4.5, 4.6): what a create
must reject with 400 BadRequestData, leaving nothing behind, and the nearby
forms that must be accepted.

Every test makes its own entity (unique_id()), so the tests share one broker.
"""
import json

import pytest
import requests

from conftest import CORE, assert_problem, unique_id, JSON, entity_url, create_entity as create, read_entity as read

LD_JSON = {"Content-Type": "application/ld+json"}


def post(broker, entity, headers=JSON):
    return requests.post(broker.api + "/entities", json=entity, headers=headers)


def assert_rejected(broker, entity, headers=JSON):
    """The create is 400 BadRequestData and the entity does not exist afterwards."""
    r = post(broker, entity, headers)
    assert_problem(r, 400, "BadRequestData")
    eid = entity.get("id")
    if isinstance(eid, str) and eid.startswith("urn:"):
        got = requests.get(entity_url(broker, eid))
        assert got.status_code in (400, 404), got.text


def thing(eid, **attrs):
    return {"id": eid, "type": "Thing", **attrs}


def prop(value, **members):
    return {"type": "Property", "value": value, **members}


# --- attribute names ---------------------------------------------------------

@pytest.mark.parametrize("name", ["datasetId", "observedAt", "instanceId"])
def test_keyword_as_attribute_name_is_rejected(broker, name):
    """4.6.2 / 5.5.4: an attribute may not be named after an NGSI-LD keyword member."""
    assert_rejected(broker, thing(unique_id(), **{name: prop(1)}))


@pytest.mark.parametrize("name", ["value:", "object:", "observedAt:"])
def test_sub_attribute_naming_a_core_member_by_compact_iri_is_rejected(broker, name):
    """A compact IRI with a core term as prefix ("value:") expands to that term's IRI: as a
    sub-attribute it would be rendered as the attribute's own member, so it is refused
    (with the member it names), and nothing is stored."""
    eid = unique_id()
    r = requests.post(broker.api + "/entities", json=thing(eid, a=prop(1, **{name: "x"})), headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert name[:-1] in r.json()["detail"]
    assert requests.get(entity_url(broker, eid)).status_code == 404


def test_attribute_with_its_own_context_is_rejected(broker):
    """5.5.4: "@context" is only allowed at the top level of a payload, not in an attribute."""
    attr = prop(1)
    attr["@context"] = {"x": "http://example.org/x"}
    assert_rejected(broker, thing(unique_id(), a=attr))


# --- entity id and type ------------------------------------------------------

@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\ufeff", "\u00a0", "\u2800"],
                         ids=["zero-width-space", "rtl-override", "bom", "nbsp", "braille-blank"])
def test_entity_id_with_invisible_character_is_rejected(broker, char):
    """4.6.2 / RFC 3986: an entity id with an invisible (non-URI) character is not a valid URI."""
    eid = unique_id().replace("Thing:", "Thing:" + char)
    assert_rejected(broker, thing(eid))


def test_entity_id_ngsi_ld_null_is_rejected(broker):
    """4.5.0: "urn:ngsi-ld:null" is the NGSI-LD null and cannot name an entity."""
    assert_rejected(broker, thing("urn:ngsi-ld:null"))


def test_entity_type_starting_with_a_digit_is_rejected(broker):
    """4.6.2: an entity type name must be a valid name (it cannot start with a digit)."""
    assert_rejected(broker, {"id": unique_id(), "type": "9Vehicle"})


def test_entity_type_named_type_is_rejected(broker):
    """4.6.2: the keyword "type" is not a valid entity type name."""
    assert_rejected(broker, {"id": unique_id(), "type": "type"})


# --- members not allowed for an attribute kind ------------------------------

@pytest.mark.parametrize("member,value", [
    ("object", "urn:ngsi-ld:Thing:x"),
    ("languageMap", {"en": "x"}),
    ("valueList", [1, 2]),
    ("previousValue", 0),
], ids=["object", "languageMap", "valueList", "previousValue"])
def test_property_with_a_foreign_member_is_rejected(broker, member, value):
    """4.5.2 / Table 5.2.5-1: a Property carries "value", not another kind's member."""
    assert_rejected(broker, thing(unique_id(), a=prop(1, **{member: value})))


@pytest.mark.parametrize("member,value", [("unitCode", "MTR"), ("value", 3)])
def test_relationship_with_a_foreign_member_is_rejected(broker, member, value):
    """4.5.3 / Table 5.2.6-1: a Relationship has no unitCode and no value."""
    rel = {"type": "Relationship", "object": "urn:ngsi-ld:Thing:x", member: value}
    assert_rejected(broker, thing(unique_id(), r=rel))


def test_list_property_with_value_is_rejected(broker):
    """4.5.21 / Table 5.2.37-1: a ListProperty carries "valueList", not "value"."""
    attr = {"type": "ListProperty", "valueList": [1, 2], "value": 3}
    assert_rejected(broker, thing(unique_id(), l=attr))


@pytest.mark.parametrize("member,value", [("unitCode", "MTR"), ("value", 1)])
def test_json_property_with_a_foreign_member_is_rejected(broker, member, value):
    """4.5.24 / Table 5.2.38-1: a JsonProperty carries "json", no unitCode and no value."""
    attr = {"type": "JsonProperty", "json": {"a": 1}, member: value}
    assert_rejected(broker, thing(unique_id(), j=attr))


def test_json_property_with_a_scalar_json_is_rejected(broker):
    """4.5.24: the "json" of a JsonProperty is a JSON object or array, not a scalar."""
    assert_rejected(broker, thing(unique_id(), j={"type": "JsonProperty", "json": 5}))


def test_language_property_with_xsd_string_value_type_is_rejected(broker):
    """4.5.18 / Table 5.2.32-1: a LanguageProperty's valueType can only be rdf:langString."""
    attr = {"type": "LanguageProperty", "languageMap": {"en": "x"}, "valueType": "xsd:string"}
    assert_rejected(broker, thing(unique_id(), n=attr))


def test_language_property_with_lang_string_value_type_is_accepted(broker):
    """4.5.18: valueType langString fits a LanguageProperty; the create succeeds."""
    eid = unique_id()
    attr = {"type": "LanguageProperty", "languageMap": {"en": "x"}, "valueType": "langString"}
    create(broker, thing(eid, n=attr))
    assert read(broker, eid)["n"]["languageMap"] == {"en": "x"}


# --- geo ---------------------------------------------------------------------

def test_location_as_plain_property_is_rejected(broker):
    """4.7.1: "location" is a GeoProperty; a plain Property with a number is invalid."""
    assert_rejected(broker, thing(unique_id(), location=prop(7)))


def test_geometry_collection_as_geoproperty_value_is_rejected(broker):
    """4.7.1: GeoProperty values are the GeoJSON geometries listed there; no GeometryCollection."""
    value = {"type": "GeometryCollection",
             "geometries": [{"type": "Point", "coordinates": [8.0, 49.0]}]}
    assert_rejected(broker, thing(unique_id(), location={"type": "GeoProperty", "value": value}))


def test_geoproperty_value_as_json_string_is_accepted_and_read_as_object(broker):
    """4.7.1 (suite): a GeoJSON geometry given as a JSON string is parsed; it reads back as an object."""
    eid = unique_id()
    point = {"type": "Point", "coordinates": [8.5, 49.25]}
    create(broker, thing(eid, location={"type": "GeoProperty", "value": json.dumps(point)}))
    assert read(broker, eid)["location"] == {"type": "GeoProperty", "value": point}


# --- temporal and sealed members ---------------------------------------------

def test_observed_at_with_an_offset_is_rejected(broker):
    """4.6.3: DateTime values are UTC and end with "Z"; an offset like +02:00 is invalid."""
    attr = prop(1, observedAt="2026-08-10T12:00:00+02:00")
    assert_rejected(broker, thing(unique_id(), a=attr))


def test_entity_id_sealed_on_a_normal_attribute_is_rejected(broker):
    """4.5.28 / Table 5.2.5-1: entityIdSealed belongs to an ngsildproof only."""
    eid = unique_id()
    assert_rejected(broker, thing(eid, a=prop(1, entityIdSealed=eid)))


def test_ngsildproof_with_a_string_value_is_rejected(broker):
    """4.5.28: the value of an ngsildproof is a DataIntegrityProof object, not a string."""
    eid = unique_id()
    proof = prop("not a proof", entityIdSealed=eid, entityTypeSealed="Thing")
    assert_rejected(broker, thing(eid, ngsildproof=proof))


def test_ngsildproof_round_trips_with_sealed_members_as_strings(broker):
    """4.5.28: an ngsildproof is kept; entityIdSealed and entityTypeSealed read back as bare strings."""
    eid = unique_id("Vehicle")
    proof_value = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-08-10T12:00:00Z",
        "verificationMethod": "did:example:123#key-1",
        "proofPurpose": "assertionMethod",
        "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk",
    }
    proof = {"type": "Property", "value": proof_value,
             "entityIdSealed": eid, "entityTypeSealed": "Vehicle"}
    create(broker, {"id": eid, "type": "Vehicle", "ngsildproof": proof})
    got = read(broker, eid)["ngsildproof"]
    assert got["type"] == "Property"
    assert got["entityIdSealed"] == eid
    assert got["entityTypeSealed"] == "Vehicle"
    assert got["value"]["type"] == "DataIntegrityProof"
    assert got["value"]["proofValue"] == proof_value["proofValue"]


# --- dataset ids -------------------------------------------------------------

def test_dataset_id_none_is_the_default_instance(broker):
    """4.5.5: datasetId "@none" names the default instance; next to a named one it is accepted."""
    eid = unique_id("Vehicle")
    speed = [{"type": "Property", "value": 55, "datasetId": "@none"},
             {"type": "Property", "value": 11, "datasetId": "urn:ngsi-ld:Dataset:gps"}]
    create(broker, {"id": eid, "type": "Vehicle", "speed": speed})
    got = read(broker, eid)["speed"]
    assert isinstance(got, list) and len(got) == 2
    default = [i for i in got if i.get("datasetId") in (None, "@none")]
    named = [i for i in got if i.get("datasetId") == "urn:ngsi-ld:Dataset:gps"]
    assert [i["value"] for i in default] == [55]
    assert [i["value"] for i in named] == [11]


def test_two_default_instances_are_rejected(broker):
    """4.5.5: at most one instance of an attribute has no datasetId ("@none" counts as none)."""
    speed = [{"type": "Property", "value": 55, "datasetId": "@none"},
             {"type": "Property", "value": 11}]
    assert_rejected(broker, {"id": unique_id("Vehicle"), "type": "Vehicle", "speed": speed})


# --- user @context -----------------------------------------------------------

def test_scoped_context_in_user_context_is_rejected(broker):
    """5.5.7 / JSON-LD 1.1 scoped contexts: a term definition carrying its own
    @context is not supported in an NGSI-LD user context; the create is 400."""
    eid = unique_id("Vehicle")
    scoped = {"Vehicle": {"@id": "http://example.org/Vehicle",
                          "@context": {"speed": "http://example.org/speed"}}}
    entity = {"id": eid, "type": "Vehicle", "speed": prop(3), "@context": [scoped, CORE]}
    assert_rejected(broker, entity, headers=LD_JSON)


def test_user_context_with_a_long_definition_chain_is_rejected(broker):
    """A @context whose terms are each defined by the next ("t0": "t1:x", ...)
    is 400 beyond 64 links, and the broker keeps serving: a chain of 30,000
    once overflowed its stack (found with fuzz/fuzz_context.cpp)."""
    chain = {f"t{i}": f"t{i + 1}:x" for i in range(200000)}
    chain["t200000"] = "http://example.org/"
    entity = {"id": unique_id("Vehicle"), "type": "Vehicle", "t0": prop(1), "@context": [chain, CORE]}
    assert_rejected(broker, entity, headers=LD_JSON)
    assert requests.get(broker.url + "/health").status_code == 200
