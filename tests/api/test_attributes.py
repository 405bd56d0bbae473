"""Attribute endpoints: append (5.6.3), update (5.6.2), partial attribute update
(5.6.4), replace attribute (5.6.19) and delete attribute (5.6.5); attribute
names are expanded with the request's @context.

Every test makes its own entity (unique_id()), so the tests share one broker.
"""
import json
from datetime import datetime

import requests

from conftest import assert_problem, link, unique_id, JSON, attrs_url, create_entity as create, read_entity as read

DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
EX = "http://example.org/vocab#"


def thing(eid, **attrs):
    return {"id": eid, "type": "Thing", **attrs}


def prop(value, **members):
    return {"type": "Property", "value": value, **members}


def same_name(reported, term):
    """UpdateResult names an attribute by its term or its expanded IRI
    (suite 010_04 expects the expanded IRI; a compacted term is as clear)."""
    return reported in (term, DEFAULT_VOCAB + term)


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- append (POST /entities/{id}/attrs) --------------------------------------

def test_append_adds_a_new_attribute(broker):
    """5.6.3: appending a new attribute answers 204 and the attribute is there."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1)))
    r = requests.post(attrs_url(broker, eid), json={"b": prop(2)}, headers=JSON)
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert body["a"] == prop(1)
    assert body["b"] == prop(2)


def test_append_accepts_merge_patch_content_type(broker):
    """ngsijs (the FIWARE JavaScript client, 1.4) appends with Content-Type
    application/merge-patch+json: it is read as application/json (not 415)."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1)))
    r = requests.post(attrs_url(broker, eid), data=json.dumps({"b": prop(2)}),
                      headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 204, r.text
    assert read(broker, eid)["b"] == prop(2)


def test_append_overwrites_an_existing_attribute_by_default(broker):
    """5.6.3: without noOverwrite an appended attribute replaces the existing one."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1, unitCode="MTR")))
    r = requests.post(attrs_url(broker, eid), json={"a": prop(9)}, headers=JSON)
    assert r.status_code == 204, r.text
    assert read(broker, eid)["a"] == prop(9)


def test_append_no_overwrite_keeps_existing_and_reports_207(broker):
    """5.6.3 / 6.6.3.1 (suite 010_04_01): with options=noOverwrite an existing attribute is
    left alone; 207 with an UpdateResult naming updated and notUpdated attributes."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1)))
    r = requests.post(attrs_url(broker, eid), params={"options": "noOverwrite"},
                      json={"a": prop(9), "b": prop(2)}, headers=JSON)
    assert r.status_code == 207, r.text
    result = r.json()
    assert len(result["updated"]) == 1 and same_name(result["updated"][0], "b")
    assert len(result["notUpdated"]) == 1
    assert same_name(result["notUpdated"][0]["attributeName"], "a")
    assert result["notUpdated"][0]["reason"]
    body = read(broker, eid)
    assert body["a"] == prop(1)
    assert body["b"] == prop(2)


def test_append_to_missing_entity_is_404(broker):
    """5.6.3: appending to an unknown entity is ResourceNotFound (suite 010_03)."""
    r = requests.post(attrs_url(broker, unique_id()), json={"a": prop(1)}, headers=JSON)
    assert_problem(r, 404, "ResourceNotFound")


# --- update (PATCH /entities/{id}/attrs) -------------------------------------

def test_update_existing_attributes_answers_204(broker):
    """5.6.2: updating attributes that all exist answers 204 and sets the new values."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1), b=prop(2)))
    r = requests.patch(attrs_url(broker, eid), json={"a": prop(10), "b": prop(20)}, headers=JSON)
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert (body["a"]["value"], body["b"]["value"]) == (10, 20)


def test_update_appends_a_missing_attribute_204_as_the_suite_expects(broker):
    """5.6.2 says attributes the entity lacks are reported in notUpdated (207); the
    conformance suite expects them appended with 204 (011_01_03, and the setups of
    046_23..046_30, 046_20, 046_41), and Allmende follows the suite (docs/decisions.md)."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1)))
    r = requests.patch(attrs_url(broker, eid), json={"a": prop(5), "added": prop(0)}, headers=JSON)
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert body["a"]["value"] == 5
    assert body["added"] == prop(0)


def test_update_with_a_null_for_a_missing_attribute_reports_207(broker):
    """5.6.2: an NGSI-LD null deletes; naming an attribute the entity lacks deletes
    nothing, so that attribute is listed in notUpdated with a reason (207)."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1)))
    r = requests.patch(attrs_url(broker, eid), json={"a": prop(5), "ghost": prop("urn:ngsi-ld:null")},
                       headers=JSON)
    assert r.status_code == 207, r.text
    result = r.json()
    assert len(result["updated"]) == 1 and same_name(result["updated"][0], "a")
    assert len(result["notUpdated"]) == 1
    assert same_name(result["notUpdated"][0]["attributeName"], "ghost")
    assert result["notUpdated"][0]["reason"]
    body = read(broker, eid)
    assert body["a"]["value"] == 5
    assert "ghost" not in body


def test_update_on_missing_entity_is_404(broker):
    """5.6.2: updating attributes of an unknown entity is ResourceNotFound (suite 011_03)."""
    r = requests.patch(attrs_url(broker, unique_id()), json={"a": prop(1)}, headers=JSON)
    assert_problem(r, 404, "ResourceNotFound")


# --- partial attribute update (PATCH /entities/{id}/attrs/{attr}) ------------

def test_partial_update_changes_only_the_given_members(broker):
    """5.6.4: only the members in the fragment change; unitCode, observedAt and
    sub-attributes not given are kept."""
    eid = unique_id()
    create(broker, thing(eid, temp=prop(20, unitCode="CEL", observedAt="2024-01-01T00:00:00Z",
                                        source=prop("sensor"))))
    r = requests.patch(attrs_url(broker, eid, "temp"), json={"value": 25}, headers=JSON)
    assert r.status_code == 204, r.text
    temp = read(broker, eid)["temp"]
    assert temp["value"] == 25
    assert temp["unitCode"] == "CEL"
    assert instant(temp["observedAt"]) == instant("2024-01-01T00:00:00Z")
    assert temp["source"] == prop("sensor")


def test_partial_update_sets_observed_at_when_given(broker):
    """5.6.4: an observedAt in the fragment replaces the stored one."""
    eid = unique_id()
    create(broker, thing(eid, temp=prop(20, observedAt="2024-01-01T00:00:00Z")))
    r = requests.patch(attrs_url(broker, eid, "temp"), headers=JSON,
                       json={"value": 21, "observedAt": "2024-06-01T12:00:00Z"})
    assert r.status_code == 204, r.text
    temp = read(broker, eid)["temp"]
    assert temp["value"] == 21
    assert instant(temp["observedAt"]) == instant("2024-06-01T12:00:00Z")


def test_partial_update_of_missing_attribute_is_404(broker):
    """5.6.4: a partial update of an attribute the entity lacks is ResourceNotFound (suite 012_03)."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1)))
    r = requests.patch(attrs_url(broker, eid, "ghost"), json={"value": 1}, headers=JSON)
    assert_problem(r, 404, "ResourceNotFound")
    assert "ghost" not in read(broker, eid)


# --- replace attribute (PUT /entities/{id}/attrs/{attr}) ---------------------

def test_replace_attribute_drops_sub_attributes_not_given(broker):
    """5.6.19: PUT replaces the whole attribute; sub-attributes and unitCode not given disappear."""
    eid = unique_id()
    create(broker, thing(eid, temp=prop(20, unitCode="CEL", source=prop("sensor"))))
    r = requests.put(attrs_url(broker, eid, "temp"), json=prop(30), headers=JSON)
    assert r.status_code == 204, r.text
    assert read(broker, eid)["temp"] == prop(30)


def test_replace_missing_attribute_is_404(broker):
    """5.6.19: replacing an attribute the entity lacks is ResourceNotFound (suite 055_03)."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1)))
    r = requests.put(attrs_url(broker, eid, "ghost"), json=prop(1), headers=JSON)
    assert_problem(r, 404, "ResourceNotFound")
    assert "ghost" not in read(broker, eid)


# --- delete attribute (DELETE /entities/{id}/attrs/{attr}) -------------------

def test_delete_attribute_answers_204_and_removes_it(broker):
    """5.6.5: deleting an attribute answers 204; the others stay (suite 013_01)."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1), b=prop(2)))
    r = requests.delete(attrs_url(broker, eid, "a"))
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert "a" not in body
    assert body["b"] == prop(2)


def test_delete_one_dataset_instance(broker):
    """5.6.5 / 4.5.5: ?datasetId= deletes only that instance; the default instance stays."""
    eid = unique_id()
    create(broker, thing(eid, speed=[prop(55), prop(11, datasetId="urn:ngsi-ld:Dataset:gps")]))
    r = requests.delete(attrs_url(broker, eid, "speed"), params={"datasetId": "urn:ngsi-ld:Dataset:gps"})
    assert r.status_code == 204, r.text
    assert read(broker, eid)["speed"] == prop(55)


def test_delete_all_instances(broker):
    """5.6.5: ?deleteAll=true deletes every instance of the attribute."""
    eid = unique_id()
    create(broker, thing(eid, speed=[prop(55), prop(11, datasetId="urn:ngsi-ld:Dataset:gps")], other=prop(1)))
    r = requests.delete(attrs_url(broker, eid, "speed"), params={"deleteAll": "true"})
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert "speed" not in body
    assert body["other"] == prop(1)


def test_delete_without_dataset_id_deletes_only_the_default_instance(broker):
    """5.6.5 / 4.5.5: without datasetId or deleteAll only the default instance is deleted."""
    eid = unique_id()
    create(broker, thing(eid, speed=[prop(55), prop(11, datasetId="urn:ngsi-ld:Dataset:gps")]))
    r = requests.delete(attrs_url(broker, eid, "speed"))
    assert r.status_code == 204, r.text
    assert read(broker, eid)["speed"] == prop(11, datasetId="urn:ngsi-ld:Dataset:gps")


def test_delete_missing_attribute_is_404(broker):
    """5.6.5: deleting an attribute the entity lacks is ResourceNotFound (suite 013_03)."""
    eid = unique_id()
    create(broker, thing(eid, a=prop(1)))
    assert_problem(requests.delete(attrs_url(broker, eid, "ghost")), 404, "ResourceNotFound")


# --- attribute names and @context -------------------------------------------

def test_attribute_names_are_expanded_with_the_user_context(broker, context_server):
    """5.5.7: a term from the Link @context is stored as its IRI: read with the same
    @context it is the term, read with the core context only it is the full IRI."""
    eid = unique_id()
    user = {**JSON, "Link": link(context_server.base + "/test-context.jsonld")}
    create(broker, thing(eid, name=prop("Eiffel")), user)
    assert read(broker, eid, user)["name"] == prop("Eiffel")
    core = read(broker, eid)
    assert core[EX + "name"] == prop("Eiffel")
    assert "name" not in core


def test_appended_attribute_name_is_expanded_with_the_user_context(broker, context_server):
    """5.5.7 / 5.6.3: an attribute appended under a user @context lands on the term's IRI."""
    eid = unique_id()
    create(broker, thing(eid))
    user = {**JSON, "Link": link(context_server.base + "/test-context.jsonld")}
    r = requests.post(attrs_url(broker, eid), json={"temperature": prop(21)}, headers=user)
    assert r.status_code == 204, r.text
    assert read(broker, eid)[EX + "temperature"] == prop(21)


def test_attribute_path_name_is_expanded_with_the_user_context(broker, context_server):
    """5.5.7 / 5.6.5: the {attrId} in the path is expanded with the Link @context: without it
    'name' means the default-context IRI and is not found; with it the attribute is deleted."""
    eid = unique_id()
    user = {**JSON, "Link": link(context_server.base + "/test-context.jsonld")}
    create(broker, thing(eid, name=prop("Eiffel")), user)
    assert_problem(requests.delete(attrs_url(broker, eid, "name")), 404, "ResourceNotFound")
    r = requests.delete(attrs_url(broker, eid, "name"), headers={"Link": user["Link"]})
    assert r.status_code == 204, r.text
    assert EX + "name" not in read(broker, eid)
