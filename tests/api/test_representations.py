"""Representations of a retrieved entity (5.7.1, 4.5, 6.3): normalized, concise
and simplified forms, sysAttrs, attrs/pick/omit projection, language
filtering, content negotiation (JSON, JSON-LD, GeoJSON) and the @context that
compacts the answer.

Every test makes its own entity (unique_id()), so the tests share one broker.
"""
import re

import pytest
import requests

from conftest import CORE, assert_problem, link, unique_id, JSON, get_entity as get, read_entity as read

LD = {"Content-Type": "application/ld+json"}
CONTEXT_REL = 'rel="http://www.w3.org/ns/json-ld#context"'
EX = "http://example.org/vocab#"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

POINT = {"type": "Point", "coordinates": [2.2945, 48.8584]}
ENTRANCE = {"type": "Point", "coordinates": [2.2950, 48.8590]}


def building(eid):
    """One entity with an attribute of each common kind."""
    return {
        "id": eid, "type": "Building",
        "name": {"type": "Property", "value": "Eiffel Tower"},
        "height": {"type": "Property", "value": 330, "unitCode": "MTR"},
        "owner": {"type": "Relationship", "object": "urn:ngsi-ld:City:Paris"},
        "street": {"type": "LanguageProperty", "languageMap": {"fr": "Champ de Mars", "nl": "Marsveld"}},
        "location": {"type": "GeoProperty", "value": POINT},
        "entrance": {"type": "GeoProperty", "value": ENTRANCE},
    }


def make(broker):
    eid = unique_id("Building")
    r = requests.post(broker.api + "/entities", json=building(eid), headers=JSON)
    assert r.status_code == 201, r.text
    return eid


def user_link(context_server):
    return link(context_server.base + "/test-context.jsonld")


# --- simplified and concise -------------------------------------------------

SIMPLIFIED = {
    "name": "Eiffel Tower",
    "height": 330,
    "owner": "urn:ngsi-ld:City:Paris",
    # suite 454_01: a LanguageProperty is {"languageMap": {...}} in the simplified form
    "street": {"languageMap": {"fr": "Champ de Mars", "nl": "Marsveld"}},
    "location": POINT,
    "entrance": ENTRANCE,
}


@pytest.mark.parametrize("params", [{"options": "keyValues"}, {"options": "simplified"},
                                    {"format": "simplified"}, {"format": "keyValues"}],
                         ids=["options=keyValues", "options=simplified", "format=simplified",
                              "format=keyValues"])
def test_simplified_representation(broker, params):
    """4.5.4 / 6.3.7 (suites 018_15, 454_01): Property -> value, Relationship -> object,
    LanguageProperty -> {"languageMap": ...}, GeoProperty -> geometry."""
    eid = make(broker)
    assert read(broker, eid, **params) == {"id": eid, "type": "Building", **SIMPLIFIED}


def test_simplified_with_lang_gives_the_string(broker):
    """4.15 / 4.5.4 (suite 018_07_05): with lang=fr a LanguageProperty simplifies to the French text."""
    eid = make(broker)
    assert read(broker, eid, options="keyValues", lang="fr")["street"] == "Champ de Mars"


def test_concise_representation_drops_type(broker):
    """4.5.2.3 / 4.5.3.3: concise drops "type" from attributes; a Relationship keeps
    {"object"}, a Property with a unitCode keeps {"value", "unitCode"}."""
    eid = make(broker)
    body = read(broker, eid, options="concise")
    assert body["id"] == eid and body["type"] == "Building"
    assert body["owner"] == {"object": "urn:ngsi-ld:City:Paris"}
    assert body["height"] == {"value": 330, "unitCode": "MTR"}
    assert body["street"] == {"languageMap": {"fr": "Champ de Mars", "nl": "Marsveld"}}
    # a Property with nothing but a value may be given bare or as {"value": ...}
    assert body["name"] in ("Eiffel Tower", {"value": "Eiffel Tower"})


# --- sysAttrs ---------------------------------------------------------------

def test_sys_attrs_adds_created_and_modified_at(broker):
    """6.3.11 / 4.8: options=sysAttrs adds createdAt and modifiedAt (ISO 8601, UTC 'Z')
    to the entity and to every attribute."""
    eid = make(broker)
    body = read(broker, eid, options="sysAttrs")
    for member in ("createdAt", "modifiedAt"):
        assert ISO_Z.match(body[member]), body
        for attr in ("name", "height", "owner", "street", "location"):
            assert ISO_Z.match(body[attr][member]), (attr, body[attr])


def test_no_sys_attrs_by_default(broker):
    """6.3.11: without sysAttrs no createdAt or modifiedAt appears anywhere."""
    eid = make(broker)
    r = get(broker, eid)
    assert r.status_code == 200
    assert "createdAt" not in r.text and "modifiedAt" not in r.text


# --- projection -------------------------------------------------------------

def test_attrs_restricts_attributes(broker):
    """5.7.1 (suite 018_01_02): attrs=name,height returns only those attributes (plus id, type)."""
    eid = make(broker)
    body = read(broker, eid, attrs="name,height")
    assert set(body) == {"id", "type", "name", "height"}


def test_pick_keeps_only_the_named_members(broker):
    """4.21 (suite 018_17): pick=id,name returns exactly those members."""
    eid = make(broker)
    assert read(broker, eid, pick="id,name") == {"id": eid, "name": building(eid)["name"]}


def test_omit_drops_the_named_members(broker):
    """4.21 (suite 018_17): omit=name returns everything but name."""
    eid = make(broker)
    body = read(broker, eid, omit="name")
    expected = building(eid)
    del expected["name"]
    assert body == expected


def test_pick_and_omit_together_is_400(broker):
    """4.21 (suite 018_18_01): pick and omit naming the same member is BadRequestData."""
    eid = make(broker)
    assert_problem(get(broker, eid, pick="id,name", omit="name"), 400, "BadRequestData")


# --- language filter --------------------------------------------------------

def test_lang_turns_a_language_property_into_a_property(broker):
    """4.15 (suite 018_07_01): with lang=fr a LanguageProperty is returned normalized as
    {"type": "Property", "value": <French text>, "lang": "fr"}."""
    eid = make(broker)
    assert read(broker, eid, lang="fr")["street"] == {"type": "Property", "value": "Champ de Mars",
                                                      "lang": "fr"}


# --- content negotiation ----------------------------------------------------

def test_accept_json_ld_puts_the_context_in_the_body(broker):
    """6.3.6: Accept application/ld+json -> Content-Type application/ld+json, "@context" in the body."""
    eid = make(broker)
    r = get(broker, eid, {"Accept": "application/ld+json"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/ld+json")
    context = r.json()["@context"]
    assert context == CORE or CORE in context


def test_accept_json_puts_the_context_in_a_link_header(broker):
    """6.3.6: Accept application/json -> the @context travels in a Link header, not in the body."""
    eid = make(broker)
    r = get(broker, eid, {"Accept": "application/json"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert CONTEXT_REL in r.headers["Link"]
    assert "@context" not in r.json()


def test_no_accept_header_means_json(broker):
    """6.3.6 (suite 045_01): a GET without Accept is answered with application/json."""
    eid = make(broker)
    r = get(broker, eid, {"Accept": None})  # None makes requests drop its default "*/*"
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert "@context" not in r.json()


def test_accept_geo_json_gives_a_feature(broker):
    """4.5.16 (suite 4516_01_01): Accept application/geo+json gives a Feature whose geometry is
    "location" and whose properties hold the type and the attributes but not the id."""
    eid = make(broker)
    r = get(broker, eid, {"Accept": "application/geo+json"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/geo+json")
    feature = r.json()
    assert feature["type"] == "Feature"
    assert feature["id"] == eid
    assert feature["geometry"] == POINT
    assert feature["properties"]["type"] == "Building"
    assert feature["properties"]["name"] == building(eid)["name"]
    assert "id" not in feature["properties"]


def test_geo_json_body_carries_the_context(broker):
    """6.3.6 (suite 636_01_01): without Prefer a geo+json body includes the @context."""
    eid = make(broker)
    r = get(broker, eid, {"Accept": "application/geo+json"})
    assert r.status_code == 200, r.text
    assert "@context" in r.json()


def test_geometry_property_selects_the_geometry(broker):
    """4.5.16 / 5.7.1: geometryProperty=entrance takes the geometry from that GeoProperty."""
    eid = make(broker)
    r = get(broker, eid, {"Accept": "application/geo+json"}, geometryProperty="entrance")
    assert r.status_code == 200, r.text
    assert r.json()["geometry"] == ENTRANCE


def test_accept_text_plain_is_406(broker):
    """6.3.4 (suite 049_01): an Accept the resource cannot satisfy is 406 NotAcceptable."""
    eid = make(broker)
    assert_problem(get(broker, eid, {"Accept": "text/plain"}), 406, "NotAcceptable")


# --- the @context used for compaction ---------------------------------------

def test_link_context_compacts_to_short_names(broker, context_server):
    """5.5.7 / 6.3.5 (suite 001_04): an entity written and read with the same Link @context
    shows its terms; read with the core context only, full IRIs."""
    eid = unique_id("Building")
    user = {**JSON, "Link": user_link(context_server)}
    r = requests.post(broker.api + "/entities", headers=user, json={
        "id": eid, "type": "Building", "name": {"type": "Property", "value": "Eiffel Tower"}})
    assert r.status_code == 201, r.text
    assert read(broker, eid, {"Link": user["Link"]}) == {
        "id": eid, "type": "Building", "name": {"type": "Property", "value": "Eiffel Tower"}}
    core = read(broker, eid)
    assert core["type"] == EX + "Building"
    assert EX + "name" in core


def test_response_link_header_names_the_request_context(broker, context_server):
    """6.3.6: with application/json the Link header of the answer names the @context used."""
    eid = make(broker)
    ctx = context_server.base + "/test-context.jsonld"
    r = get(broker, eid, {"Link": link(ctx), "Accept": "application/json"})
    assert r.status_code == 200, r.text
    assert f"<{ctx}>" in r.headers["Link"]


def test_body_context_with_json_ld(broker, context_server):
    """6.3.5 (suite 001_07): with application/ld+json the @context comes from the body."""
    eid = unique_id("Building")
    ctx = context_server.base + "/test-context.jsonld"
    r = requests.post(broker.api + "/entities", headers=LD, json={
        "@context": ctx, "id": eid, "type": "Building",
        "temperature": {"type": "Property", "value": 21}})
    assert r.status_code == 201, r.text
    assert read(broker, eid, {"Link": link(ctx)})["temperature"]["value"] == 21
    assert read(broker, eid)[EX + "temperature"]["value"] == 21


def test_inline_object_context(broker, context_server):
    """6.3.5 / 5.5.5: an inline @context object (the core context implied) is applied; read
    with a remote context mapping the same IRIs, the terms come back."""
    eid = unique_id("Building")
    r = requests.post(broker.api + "/entities", headers=LD, json={
        "@context": {"monument": EX + "monument", "Building": EX + "Building"},
        "id": eid, "type": "Building", "monument": {"type": "Property", "value": True}})
    assert r.status_code == 201, r.text
    body = read(broker, eid, {"Link": user_link(context_server)})
    assert body["type"] == "Building"
    assert body["monument"] == {"type": "Property", "value": True}


def test_json_ld_answer_echoes_the_request_context(broker, context_server):
    """6.3.6: with Accept application/ld+json the body's @context is the one the request gave."""
    eid = make(broker)
    ctx = context_server.base + "/test-context.jsonld"
    r = get(broker, eid, {"Link": link(ctx), "Accept": "application/ld+json"})
    assert r.status_code == 200, r.text
    context = r.json()["@context"]
    assert context == ctx or ctx in context
