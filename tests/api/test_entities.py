"""Entity endpoints: create (5.6.1), retrieve (5.7.1), delete (5.6.6), replace
(5.6.18) and merge (5.6.17), and how each attribute kind of clause 4.5 is
stored and read back in the normalized representation.

Every test makes its own entity (unique_id()), so the tests share one broker.
"""
import time
from datetime import datetime

import pytest
import requests

from conftest import assert_problem, link, unique_id, JSON, NULL, create_entity as create, get_entity as get, read_entity as read


def instant(text):
    """A date-time string as a comparable instant (the broker may add milliseconds)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- create -----------------------------------------------------------------

def test_create_answers_201_with_location_and_empty_body(broker):
    """5.6.1 / 6.4.3.1: Create Entity answers 201, Location names the new entity, no body."""
    eid = unique_id()
    r = create(broker, {"id": eid, "type": "Thing"})
    assert r.headers["Location"].endswith("/ngsi-ld/v1/entities/" + eid)
    assert r.content == b""


def test_create_duplicate_is_409_already_exists(broker):
    """5.6.1: creating an id that exists is AlreadyExists (409) (suite 001_03)."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing"})
    r = requests.post(broker.api + "/entities", json={"id": eid, "type": "Other"}, headers=JSON)
    assert_problem(r, 409, "AlreadyExists")
    assert read(broker, eid)["type"] == "Thing"


# --- retrieve ---------------------------------------------------------------

def test_retrieve_is_normalized_by_default(broker):
    """5.7.1 / 4.5.1: without options the entity comes back exactly in normalized form."""
    eid = unique_id()
    entity = {"id": eid, "type": "Thing",
              "name": {"type": "Property", "value": "Fountain"},
              "owner": {"type": "Relationship", "object": "urn:ngsi-ld:Person:1"}}
    create(broker, entity)
    assert read(broker, eid) == entity


def test_retrieve_missing_is_404_resource_not_found(broker):
    """5.7.1: an unknown id is ResourceNotFound (suite 018_03_01)."""
    assert_problem(get(broker, unique_id()), 404, "ResourceNotFound")


def test_retrieve_id_that_is_not_a_uri_is_400(broker):
    """5.7.1 / 4.5.1: an entity id in the path must be a URI (suite 018_02 uses 'thisisaninvaliduri')."""
    assert_problem(get(broker, "thisisaninvaliduri"), 400, "BadRequestData")


def test_delete_id_that_is_not_a_uri_is_400(broker):
    """5.6.6: an entity id in the path must be a URI (suite 002_02 uses 'thisisaninvaliduri')."""
    r = requests.delete(f"{broker.api}/entities/thisisaninvaliduri")
    assert_problem(r, 400, "BadRequestData")


def test_retrieve_with_matching_type_selector(broker):
    """5.7.1.4 / 4.17: ?type= narrows the target; a type the entity has returns it (suite 5711_01_01)."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Building"})
    assert read(broker, eid, type="Building")["id"] == eid


def test_retrieve_with_other_type_selector_is_404(broker):
    """5.7.1.4: ?type= naming a type the entity does not have is ResourceNotFound (suite 5711_01_01)."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Building"})
    assert_problem(get(broker, eid, type="Vehicle"), 404, "ResourceNotFound")


# --- delete -----------------------------------------------------------------

def test_delete_answers_204_then_the_entity_is_gone(broker):
    """5.6.6: Delete Entity answers 204; the entity is no longer retrievable."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing"})
    r = requests.delete(f"{broker.api}/entities/{eid}")
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_problem(get(broker, eid), 404, "ResourceNotFound")


def test_delete_response_has_no_content_length(broker):
    """6.3.6 (suite 636_01_03) and RFC 9110 8.6: a 204 carries no Content-Length header."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing"})
    r = requests.delete(f"{broker.api}/entities/{eid}")
    assert r.status_code == 204
    assert "Content-Length" not in r.headers


def test_delete_missing_is_404(broker):
    """5.6.6: deleting an unknown id is ResourceNotFound (suite 002_03)."""
    assert_problem(requests.delete(f"{broker.api}/entities/{unique_id()}"), 404, "ResourceNotFound")


def test_delete_with_other_type_selector_is_404_and_keeps_entity(broker):
    """5.6.6.4: DELETE ?type= naming another type is 404 and deletes nothing (suite 566_01)."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Building"})
    r = requests.delete(f"{broker.api}/entities/{eid}", params={"type": "Other"})
    assert_problem(r, 404, "ResourceNotFound")
    assert read(broker, eid)["id"] == eid


# --- replace ----------------------------------------------------------------

def test_replace_drops_attributes_not_in_the_new_body(broker):
    """5.6.18: PUT /entities/{id} replaces the whole entity; old attributes are gone."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing", "old": {"type": "Property", "value": 1}})
    r = requests.put(f"{broker.api}/entities/{eid}", headers=JSON,
                     json={"id": eid, "type": "Thing", "new": {"type": "Property", "value": 2}})
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert "old" not in body
    assert body["new"] == {"type": "Property", "value": 2}


def test_replace_keeps_created_at_and_moves_modified_at(broker):
    """5.6.18 (suite 054_01): after a replace createdAt is unchanged and modifiedAt is later."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing", "a": {"type": "Property", "value": 1}})
    before = read(broker, eid, options="sysAttrs")
    time.sleep(0.05)
    r = requests.put(f"{broker.api}/entities/{eid}", headers=JSON,
                     json={"id": eid, "type": "Thing", "b": {"type": "Property", "value": 2}})
    assert r.status_code == 204, r.text
    after = read(broker, eid, options="sysAttrs")
    assert after["createdAt"] == before["createdAt"]
    assert instant(after["modifiedAt"]) > instant(before["modifiedAt"])


def test_replace_missing_entity_is_404(broker):
    """5.6.18: replacing an unknown entity is ResourceNotFound."""
    eid = unique_id()
    r = requests.put(f"{broker.api}/entities/{eid}", headers=JSON, json={"id": eid, "type": "Thing"})
    assert_problem(r, 404, "ResourceNotFound")


# --- merge ------------------------------------------------------------------

def merge(broker, eid, fragment, content_type="application/json"):
    r = requests.patch(f"{broker.api}/entities/{eid}", json=fragment,
                       headers={"Content-Type": content_type})
    assert r.status_code == 204, r.text
    return r


def test_merge_adds_new_attributes(broker):
    """5.6.17 / 5.5.12: attributes in the fragment that the entity lacks are added."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing", "a": {"type": "Property", "value": 1}})
    merge(broker, eid, {"b": {"type": "Property", "value": 2}})
    body = read(broker, eid)
    assert body["a"]["value"] == 1
    assert body["b"] == {"type": "Property", "value": 2}


def test_merge_updates_existing_attribute_value(broker):
    """5.6.17: an attribute in the fragment that exists gets the new value (suite 056_01)."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing", "a": {"type": "Property", "value": 1}})
    merge(broker, eid, {"a": {"type": "Property", "value": 5}})
    assert read(broker, eid)["a"]["value"] == 5


def test_merge_keeps_sub_attributes_not_in_the_fragment(broker):
    """5.5.12: a merge keeps sub-attributes and unitCode the fragment does not name (suite 056_01_04)."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing",
                    "level": {"type": "Property", "value": 4, "unitCode": "C62",
                              "source": {"type": "Property", "value": "sensor"}}})
    merge(broker, eid, {"level": {"type": "Property", "value": 1}})
    level = read(broker, eid)["level"]
    assert level["value"] == 1
    assert level["unitCode"] == "C62"
    assert level["source"] == {"type": "Property", "value": "sensor"}


def test_merge_replaces_sub_attributes_that_are_given(broker):
    """5.5.12: a sub-attribute named in the fragment takes the fragment's value."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing",
                    "level": {"type": "Property", "value": 4,
                              "source": {"type": "Property", "value": "sensor"}}})
    merge(broker, eid, {"level": {"type": "Property", "value": 4,
                                  "source": {"type": "Property", "value": "manual"}}})
    assert read(broker, eid)["level"]["source"] == {"type": "Property", "value": "manual"}


def test_merge_with_ngsi_ld_null_deletes_the_attribute(broker):
    """5.5.12 / 4.5.x NGSI-LD Null: "urn:ngsi-ld:null" as value deletes the attribute (suite 056_03)."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing",
                    "a": {"type": "Property", "value": 1}, "b": {"type": "Property", "value": 2}})
    merge(broker, eid, {"a": {"type": "Property", "value": NULL}})
    body = read(broker, eid)
    assert "a" not in body
    assert body["b"]["value"] == 2


def test_merge_accepts_merge_patch_json(broker):
    """6.3.4 / suite 044_01: PATCH accepts Content-Type application/merge-patch+json."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing", "a": {"type": "Property", "value": 1}})
    merge(broker, eid, {"a": {"type": "Property", "value": 7}}, "application/merge-patch+json")
    assert read(broker, eid)["a"]["value"] == 7


def test_merge_missing_entity_is_404(broker):
    """5.6.17: merging into an unknown entity is ResourceNotFound."""
    r = requests.patch(f"{broker.api}/entities/{unique_id()}", headers=JSON,
                       json={"a": {"type": "Property", "value": 1}})
    assert_problem(r, 404, "ResourceNotFound")


# --- entity members ---------------------------------------------------------

def test_entity_with_several_types(broker):
    """4.5.1 / 4.16: an entity may have several types; all are returned."""
    eid = unique_id()
    create(broker, {"id": eid, "type": ["Building", "Monument"]})
    assert sorted(read(broker, eid)["type"]) == ["Building", "Monument"]


def test_scope_as_string(broker):
    """4.18: a single scope is stored and returned (suite 001_11, 564_01 reads it back as a string)."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing", "scope": "/Madrid/Centro"})
    assert read(broker, eid)["scope"] == "/Madrid/Centro"


def test_scope_as_array(broker):
    """4.18: several scopes are stored and returned as an array (suite 001_11)."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing", "scope": ["/Madrid", "/Spain/Madrid"]})
    assert sorted(read(broker, eid)["scope"]) == ["/Madrid", "/Spain/Madrid"]


def test_dataset_instances_are_returned_as_an_array(broker):
    """4.5.5: two instances of one attribute (default + datasetId) come back as an array."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing", "speed": [
        {"type": "Property", "value": 55},
        {"type": "Property", "value": 11, "datasetId": "urn:ngsi-ld:Dataset:gps"}]})
    speed = read(broker, eid)["speed"]
    assert isinstance(speed, list) and len(speed) == 2
    by_dataset = {i.get("datasetId"): i["value"] for i in speed}
    assert by_dataset == {None: 55, "urn:ngsi-ld:Dataset:gps": 11}


def test_sub_attributes_at_depth_two(broker):
    """4.5.2: a Property may carry sub-attributes (Property and Relationship) that are kept."""
    eid = unique_id()
    temp = {"type": "Property", "value": 21,
            "accuracy": {"type": "Property", "value": 0.5},
            "measuredBy": {"type": "Relationship", "object": "urn:ngsi-ld:Device:7"}}
    create(broker, {"id": eid, "type": "Thing", "temperature": temp})
    assert read(broker, eid)["temperature"] == temp


def test_sub_attributes_at_depth_three(broker):
    """4.5.2: sub-attributes may have sub-attributes of their own."""
    eid = unique_id()
    temp = {"type": "Property", "value": 21,
            "accuracy": {"type": "Property", "value": 0.5,
                         "method": {"type": "Property", "value": "calibrated"}}}
    create(broker, {"id": eid, "type": "Thing", "temperature": temp})
    assert read(broker, eid)["temperature"]["accuracy"]["method"] == {"type": "Property",
                                                                      "value": "calibrated"}


def test_observed_at_and_unit_code_are_kept(broker):
    """4.5.2 / 4.8: observedAt and unitCode of a Property are returned."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing", "temperature": {
        "type": "Property", "value": 21.5, "unitCode": "CEL", "observedAt": "2024-05-01T10:00:00Z"}})
    temp = read(broker, eid)["temperature"]
    assert temp["unitCode"] == "CEL"
    assert instant(temp["observedAt"]) == instant("2024-05-01T10:00:00Z")
    assert temp["observedAt"].endswith("Z")


def test_relationship_object_is_kept(broker):
    """4.5.3: a Relationship is returned with type Relationship and its object URI."""
    eid = unique_id()
    rel = {"type": "Relationship", "object": "urn:ngsi-ld:Parking:Downtown1"}
    create(broker, {"id": eid, "type": "Thing", "isParked": rel})
    assert read(broker, eid)["isParked"] == rel


def test_geoproperty_point(broker):
    """4.7: a GeoProperty with a Point is returned unchanged."""
    eid = unique_id()
    loc = {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [13.405, 52.52]}}
    create(broker, {"id": eid, "type": "Thing", "location": loc})
    assert read(broker, eid)["location"] == loc


def test_geoproperty_polygon(broker):
    """4.7: a GeoProperty with a closed Polygon is returned unchanged."""
    eid = unique_id()
    ring = [[13.0, 52.0], [14.0, 52.0], [14.0, 53.0], [13.0, 53.0], [13.0, 52.0]]
    area = {"type": "GeoProperty", "value": {"type": "Polygon", "coordinates": [ring]}}
    create(broker, {"id": eid, "type": "Thing", "area": area})
    assert read(broker, eid)["area"] == area


def test_language_property(broker):
    """4.5.18 / 5.2.32: a LanguageProperty is returned with its languageMap (suite 001_10)."""
    eid = unique_id()
    street = {"type": "LanguageProperty", "languageMap": {"fr": "Grand Place", "nl": "Grote Markt"}}
    create(broker, {"id": eid, "type": "Thing", "street": street})
    assert read(broker, eid)["street"] == street


def test_vocab_property_compacts_with_the_user_context(broker, context_server):
    """4.5.20: vocab values are IRIs: read with the user @context they compact to terms,
    read with the core context only they are full IRIs (suite 001_15)."""
    eid = unique_id()
    user = {**JSON, "Link": link(context_server.base + "/test-context.jsonld")}
    create(broker, {"id": eid, "type": "Building",
                    "category": {"type": "VocabProperty", "vocab": "monument"}}, user)
    assert read(broker, eid, user)["category"] == {"type": "VocabProperty", "vocab": "monument"}
    core = read(broker, eid)
    assert core["http://example.org/vocab#category"]["vocab"] == "http://example.org/vocab#monument"


def test_json_property_is_kept_verbatim(broker):
    """4.5.24: a JsonProperty's json is opaque: kept as given, keywords included (suite 001_14)."""
    eid = unique_id()
    doc = {"type": "not-an-ngsi-type", "value": [1, {"nested": None}], "@id": "x"}
    create(broker, {"id": eid, "type": "Thing", "config": {"type": "JsonProperty", "json": doc}})
    assert read(broker, eid)["config"] == {"type": "JsonProperty", "json": doc}


def test_list_property_keeps_order(broker):
    """4.5.21: a ListProperty's valueList is an ordered array (suite 4522_01)."""
    eid = unique_id()
    depths = {"type": "ListProperty", "valueList": [3.2, 1.1, 2.5]}
    create(broker, {"id": eid, "type": "Thing", "tyreDepths": depths})
    assert read(broker, eid)["tyreDepths"] == depths


@pytest.mark.parametrize("name, given, expected", [
    ("name", "Fountain", {"type": "Property", "value": "Fountain"}),
    ("count", {"value": 1}, {"type": "Property", "value": 1}),
    ("owner", {"object": "urn:ngsi-ld:Thing:x"},
     {"type": "Relationship", "object": "urn:ngsi-ld:Thing:x"}),
    ("location", {"type": "Point", "coordinates": [8.0, 49.0]},
     {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [8.0, 49.0]}}),
], ids=["bare-value", "value-member", "object-member", "bare-geojson-location"])
def test_concise_input_reads_back_normalized(broker, name, given, expected):
    """4.5.2.3 / 4.5.3.3: concise attributes are stored as their normalized form (suite 452_02)."""
    eid = unique_id()
    create(broker, {"id": eid, "type": "Thing", name: given})
    assert read(broker, eid)[name] == expected


def test_entity_survives_a_restart(make_broker):
    """Durability: an acknowledged create is readable after the broker restarts on the same data."""
    b = make_broker().start()
    eid = unique_id()
    entity = {"id": eid, "type": "Thing", "name": {"type": "Property", "value": "kept"}}
    create(b, entity)
    b.stop()
    b.start()
    assert read(b, eid) == entity
