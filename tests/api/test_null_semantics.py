"""NGSI-LD null (4.5.0, 5.5.12): "urn:ngsi-ld:null" in an update
or merge deletes what it stands for; in places where it means nothing (create,
a nested value of a partial update, a datasetId) it is 400 BadRequestData.
Also: update adding a new datasetId instance (5.6.2) and the attribute kind
check of partial attribute update (5.6.4).

Every test makes its own entity (unique_id()), so the tests share one broker.
"""
import requests

from conftest import assert_problem, unique_id, JSON, NULL, attrs_url, entity_url, create_entity as create, read_entity as read

GPS = "urn:ngsi-ld:Dataset:gps"


def thing(eid, **attrs):
    return {"id": eid, "type": "Thing", **attrs}


def prop(value, **members):
    return {"type": "Property", "value": value, **members}


def instances(attr):
    return attr if isinstance(attr, list) else [attr]


ADDRESS = {"street": "Hauptstrasse 1", "city": "Heidelberg", "country": "DE"}


# --- update attributes (PATCH /entities/{id}/attrs) --------------------------

def test_update_with_null_value_deletes_the_property(broker):
    """5.6.2 / 4.5.0: a Property whose value is urn:ngsi-ld:null is deleted (204)."""
    eid = unique_id()
    create(broker, thing(eid, name=prop("x"), keep=prop(1)))
    r = requests.patch(attrs_url(broker, eid), json={"name": prop(NULL)}, headers=JSON)
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert "name" not in body
    assert body["keep"] == prop(1)


def test_json_null_is_not_the_ngsi_ld_null(broker):
    """5.5.4 / 4.5.0: JSON null is no value (JSON-LD drops it); only urn:ngsi-ld:null
    deletes, so an update carrying JSON null is 400 BadRequestData and changes nothing
    (conformance 057_03_02)."""
    eid = unique_id()
    create(broker, thing(eid, name=prop("x"), keep=prop(1)))
    r = requests.patch(attrs_url(broker, eid), json={"name": prop(None)}, headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert read(broker, eid)["name"] == prop("x")
    r = requests.patch(f"{broker.api}/entities/{eid}", json={"name": prop(None)}, headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert read(broker, eid)["name"] == prop("x")


def test_update_with_null_object_deletes_the_relationship(broker):
    """5.6.2 / 4.5.0: a Relationship whose object is urn:ngsi-ld:null is deleted (204)."""
    eid = unique_id()
    rel = {"type": "Relationship", "object": "urn:ngsi-ld:Thing:other"}
    create(broker, thing(eid, owner=rel, keep=prop(1)))
    r = requests.patch(attrs_url(broker, eid),
                       json={"owner": {"type": "Relationship", "object": NULL}}, headers=JSON)
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert "owner" not in body
    assert "keep" in body


def test_update_with_null_and_dataset_id_deletes_only_that_instance(broker):
    """5.6.2 / 4.5.5: null with a datasetId deletes only the instance with that datasetId."""
    eid = unique_id()
    create(broker, thing(eid, speed=[prop(55), prop(11, datasetId=GPS)]))
    r = requests.patch(attrs_url(broker, eid), json={"speed": prop(NULL, datasetId=GPS)},
                       headers=JSON)
    assert r.status_code == 204, r.text
    left = instances(read(broker, eid)["speed"])
    assert len(left) == 1
    assert left[0]["value"] == 55
    assert "datasetId" not in left[0]


def test_update_with_a_new_dataset_id_adds_an_instance(broker):
    """5.6.2 / 4.5.5: an instance with a datasetId the attribute does not have yet is added (204)."""
    eid = unique_id()
    create(broker, thing(eid, speed=prop(55)))
    r = requests.patch(attrs_url(broker, eid), json={"speed": prop(11, datasetId=GPS)},
                       headers=JSON)
    assert r.status_code == 204, r.text
    got = instances(read(broker, eid)["speed"])
    assert len(got) == 2
    by_dataset = {i.get("datasetId"): i["value"] for i in got}
    assert by_dataset == {None: 55, GPS: 11}


# --- partial attribute update (PATCH /entities/{id}/attrs/{attr}) -------------

def test_partial_update_with_null_value_deletes_the_attribute(broker):
    """5.6.4 / 4.5.0: {"value": urn:ngsi-ld:null} on one attribute deletes it."""
    eid = unique_id()
    create(broker, thing(eid, temperature=prop(20, unitCode="CEL"), keep=prop(1)))
    r = requests.patch(attrs_url(broker, eid, "temperature"), json={"value": NULL}, headers=JSON)
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert "temperature" not in body
    assert "keep" in body


def test_partial_update_with_null_nested_in_a_value_is_rejected(broker):
    """5.6.4 / 4.5.0: a null inside a JSON value of a partial update is 400 and changes nothing."""
    eid = unique_id()
    create(broker, thing(eid, address=prop(ADDRESS)))
    r = requests.patch(attrs_url(broker, eid, "address"), json={"value": {"country": NULL}},
                       headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert read(broker, eid)["address"]["value"] == ADDRESS


def test_partial_update_with_null_dataset_id_is_rejected(broker):
    """5.6.4 / 4.5.5: datasetId is a URI; urn:ngsi-ld:null as datasetId is 400."""
    eid = unique_id()
    create(broker, thing(eid, temperature=prop(20)))
    r = requests.patch(attrs_url(broker, eid, "temperature"), json={"datasetId": NULL},
                       headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert read(broker, eid)["temperature"] == prop(20)


def test_partial_update_with_another_kind_is_rejected(broker):
    """5.6.4: a Relationship fragment cannot update a Property (400, the Property is kept)."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1)))
    r = requests.patch(attrs_url(broker, eid, "a"),
                       json={"type": "Relationship", "object": "urn:x"}, headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert read(broker, eid)["a"] == prop(1)


# --- merge entity (PATCH /entities/{id}) -------------------------------------

def test_merge_with_null_language_map_deletes_the_language_property(broker):
    """5.6.17 / 4.5.0: a LanguageProperty {"@none": urn:ngsi-ld:null} in a merge deletes it."""
    eid = unique_id()
    lp = {"type": "LanguageProperty", "languageMap": {"en": "street", "de": "Strasse"}}
    create(broker, thing(eid, street=lp, keep=prop(1)))
    r = requests.patch(entity_url(broker, eid),
                       json={"street": {"type": "LanguageProperty",
                                        "languageMap": {"@none": NULL}}},
                       headers=JSON)
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert "street" not in body
    assert "keep" in body


def test_merge_applies_json_merge_patch_to_a_json_value(broker):
    """5.6.17 / RFC 7396: a merge of a JSON value sets given members and drops null ones."""
    eid = unique_id()
    create(broker, thing(eid, address=prop(ADDRESS)))
    r = requests.patch(entity_url(broker, eid),
                       json={"address": {"value": {"street": "X", "country": NULL}}},
                       headers=JSON)
    assert r.status_code == 204, r.text
    assert read(broker, eid)["address"]["value"] == {"street": "X", "city": "Heidelberg"}


# --- create ------------------------------------------------------------------

def test_create_with_null_nested_in_a_value_is_rejected(broker):
    """5.6.1 / 4.5.0: null has no meaning in a create; inside a value it is 400."""
    eid = unique_id()
    r = requests.post(broker.api + "/entities",
                      json=thing(eid, address=prop({"street": "X", "country": NULL})),
                      headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert requests.get(entity_url(broker, eid)).status_code == 404


def test_create_with_null_language_map_is_rejected(broker):
    """5.6.1 / 4.5.0: a languageMap {"@none": urn:ngsi-ld:null} in a create is 400."""
    eid = unique_id()
    lp = {"type": "LanguageProperty", "languageMap": {"@none": NULL}}
    r = requests.post(broker.api + "/entities", json=thing(eid, street=lp), headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert requests.get(entity_url(broker, eid)).status_code == 404
