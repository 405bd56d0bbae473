"""Discovery (5.7.5 - 5.7.10, 6.25 - 6.28): GET /types (EntityTypeList, or
EntityType details), /types/{type} (EntityTypeInfo), /attributes
(AttributeList, or Attribute details) and /attributes/{attrId} (Attribute).
Names are compacted with the request's @context; only types and attributes
of existing entities of the request's tenant are described.

Every test works in a tenant of its own, so other tests' entities do not
appear in the lists.
"""
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from conftest import assert_problem, link, unique_id

JSON = {"Content-Type": "application/json"}
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
NGSI_LD = "https://uri.etsi.org/ngsi-ld/"
EX = "http://example.org/vocab#"


def new_tenant():
    return f"d{uuid.uuid4().hex[:12]}"


def prop(value):
    return {"type": "Property", "value": value}


def rel(obj):
    return {"type": "Relationship", "object": obj}


def create(broker, tenant, etype, headers=None, **attrs):
    eid = unique_id()
    r = requests.post(broker.api + "/entities", json={"id": eid, "type": etype, **attrs},
                      headers={**JSON, "NGSILD-Tenant": tenant, **(headers or {})})
    assert r.status_code == 201, r.text
    return eid


def delete(broker, tenant, eid):
    r = requests.delete(f"{broker.api}/entities/{eid}", headers={"NGSILD-Tenant": tenant})
    assert r.status_code == 204, r.text


def get(broker, tenant, path, headers=None, **params):
    return requests.get(broker.api + path, params=params,
                        headers={"NGSILD-Tenant": tenant, **(headers or {})})


def ok(broker, tenant, path, headers=None, **params):
    r = get(broker, tenant, path, headers, **params)
    assert r.status_code == 200, r.text
    return r.json()


def quoted(name):
    return urllib.parse.quote(name, safe="")


@pytest.fixture
def tenant():
    return new_tenant()


@pytest.fixture
def ctx(context_server):
    return {"Link": link(context_server.base + "/test-context.jsonld")}


@pytest.fixture
def populated(broker, tenant):
    """Two Shops (name, owner Relationship) and a Depot (name as a Property, stock)."""
    create(broker, tenant, "Shop", name=prop("a"), owner=rel("urn:ngsi-ld:Person:1"))
    create(broker, tenant, "Shop", name=prop("b"), owner=rel("urn:ngsi-ld:Person:2"))
    create(broker, tenant, "Depot", name=prop("c"), stock=prop(5))
    return tenant


# --- /types -------------------------------------------------------------------------------

def test_types_lists_the_types_present(broker, populated):
    """5.7.5 (suite 022_01_01): GET /types gives an EntityTypeList naming each type once."""
    body = ok(broker, populated, "/types")
    assert body["type"] == "EntityTypeList"
    assert body["id"].startswith("urn:")
    assert sorted(body["typeList"]) == ["Depot", "Shop"]


def test_types_are_compacted_with_the_request_context(broker, tenant, ctx):
    """5.7.5 (suite 022_01): type names are compacted with the request's @context; without
    it they are full IRIs."""
    create(broker, tenant, "Building", ctx)
    assert ok(broker, tenant, "/types", ctx)["typeList"] == ["Building"]
    assert ok(broker, tenant, "/types")["typeList"] == [EX + "Building"]


def test_types_details(broker, populated):
    """5.7.6 (suite 023_01): details=true gives an array of EntityType with the type IRI as
    id, the (compacted) typeName and the attribute names of the type."""
    body = ok(broker, populated, "/types", details="true")
    assert isinstance(body, list)
    by_name = {t["typeName"]: t for t in body}
    assert sorted(by_name) == ["Depot", "Shop"]
    shop = by_name["Shop"]
    assert shop["id"] == DEFAULT_VOCAB + "Shop"
    assert shop["type"] == "EntityType"
    assert sorted(shop["attributeNames"]) == ["name", "owner"]
    assert sorted(by_name["Depot"]["attributeNames"]) == ["name", "stock"]


def test_types_details_compacted_with_the_context(broker, tenant, ctx):
    """5.7.6 (suite 023_01_02): with the context typeName and attributeNames are short."""
    create(broker, tenant, "Building", ctx, name=prop("x"))
    [building] = ok(broker, tenant, "/types", ctx, details="true")
    assert building["id"] == EX + "Building"
    assert building["typeName"] == "Building"
    assert building["attributeNames"] == ["name"]


def test_types_of_an_empty_tenant_list_is_empty(broker, tenant):
    """5.7.5: a tenant whose only entity was deleted has an empty typeList."""
    delete(broker, tenant, create(broker, tenant, "Gone"))
    assert ok(broker, tenant, "/types")["typeList"] == []


def test_types_with_an_unknown_parameter_is_400(broker, populated):
    """6.3.20: an undefined query parameter is InvalidRequest."""
    assert_problem(get(broker, populated, "/types", limit=5), 400, "InvalidRequest")


# --- /types/{type} ------------------------------------------------------------------------

def test_type_info(broker, populated):
    """5.7.7 (suite 024_02_01): EntityTypeInfo with id, typeName, entityCount and
    attributeDetails listing each attribute with its attribute types."""
    body = ok(broker, populated, "/types/Shop")
    assert body["type"] == "EntityTypeInfo"
    assert body["id"] == DEFAULT_VOCAB + "Shop"
    assert body["typeName"] == "Shop"
    assert body["entityCount"] == 2
    details = {a["attributeName"]: a for a in body["attributeDetails"]}
    assert sorted(details) == ["name", "owner"]
    assert details["name"] == {"id": DEFAULT_VOCAB + "name", "type": "Attribute",
                               "attributeName": "name", "attributeTypes": ["Property"]}
    assert details["owner"]["attributeTypes"] == ["Relationship"]


def test_type_info_by_expanded_type(broker, tenant, ctx):
    """5.7.7 (suite 024_02_02): the type may be given as its expanded IRI (URL-encoded)."""
    create(broker, tenant, "Building", ctx, name=prop("x"))
    body = ok(broker, tenant, "/types/" + quoted(EX + "Building"), ctx)
    assert body["entityCount"] == 1
    assert body["typeName"] == "Building"
    assert body["attributeDetails"][0]["attributeName"] == "name"


def test_type_info_by_short_name_uses_the_context(broker, tenant, ctx):
    """5.7.7 (suites 024_01, 024_02_01): the short name is expanded with the request's
    context; without it Building is another (unknown) type."""
    create(broker, tenant, "Building", ctx)
    assert ok(broker, tenant, "/types/Building", ctx)["entityCount"] == 1
    assert_problem(get(broker, tenant, "/types/Building"), 404, "ResourceNotFound")


def test_type_info_lists_several_attribute_types(broker, tenant):
    """5.7.7: an attribute used as Property in one entity and Relationship in another lists
    both attribute types."""
    create(broker, tenant, "Mixed", ref=prop("text"))
    create(broker, tenant, "Mixed", ref=rel("urn:ngsi-ld:X:1"))
    [detail] = ok(broker, tenant, "/types/Mixed")["attributeDetails"]
    assert sorted(detail["attributeTypes"]) == ["Property", "Relationship"]


def test_unknown_type_is_404(broker, populated):
    """5.7.7 (suite 577_01_01): a type no entity has is ResourceNotFound."""
    assert_problem(get(broker, populated, "/types/NoSuchType"), 404, "ResourceNotFound")


def test_type_info_with_an_unknown_parameter_is_400(broker, populated):
    """6.3.20 (suite 577_01_02): /types/{type} defines only local; details=true is
    InvalidRequest."""
    assert_problem(get(broker, populated, "/types/Shop", details="true"), 400, "InvalidRequest")


def test_entity_count_drops_when_entities_are_deleted(broker, tenant):
    """5.7.7: entityCount counts existing entities; after deleting the last one the type
    is gone (404) and no longer listed."""
    e1 = create(broker, tenant, "Box", a=prop(1))
    e2 = create(broker, tenant, "Box", a=prop(1))
    assert ok(broker, tenant, "/types/Box")["entityCount"] == 2
    delete(broker, tenant, e1)
    assert ok(broker, tenant, "/types/Box")["entityCount"] == 1
    delete(broker, tenant, e2)
    assert_problem(get(broker, tenant, "/types/Box"), 404, "ResourceNotFound")
    assert "Box" not in ok(broker, tenant, "/types")["typeList"]


def test_type_attributes_follow_attribute_deletion(broker, tenant):
    """5.7.6 / 5.7.7: an attribute deleted from the only entity that had it is no longer
    an attribute of the type."""
    eid = create(broker, tenant, "Crate", a=prop(1), b=prop(2))
    r = requests.delete(f"{broker.api}/entities/{eid}/attrs/b", headers={"NGSILD-Tenant": tenant})
    assert r.status_code == 204, r.text
    [crate] = ok(broker, tenant, "/types", details="true")
    assert crate["attributeNames"] == ["a"]


def test_multi_typed_entity_counts_for_each_type(broker, tenant):
    """4.16 / 5.7.5: an entity with two types makes both types available."""
    create(broker, tenant, ["Car", "Asset"], a=prop(1))
    assert sorted(ok(broker, tenant, "/types")["typeList"]) == ["Asset", "Car"]
    assert ok(broker, tenant, "/types/Asset")["entityCount"] == 1


# --- /attributes ----------------------------------------------------------------------------

def test_attributes_lists_the_attributes_present(broker, populated):
    """5.7.8 (suite 025_01_01): GET /attributes gives an AttributeList naming each
    attribute once."""
    body = ok(broker, populated, "/attributes")
    assert body["type"] == "AttributeList"
    assert body["id"].startswith("urn:")
    assert sorted(body["attributeList"]) == ["name", "owner", "stock"]


def test_attributes_are_compacted_with_the_request_context(broker, tenant, ctx):
    """5.7.8 (suite 025_01): attribute names are compacted with the request's @context."""
    create(broker, tenant, "Building", ctx, temperature=prop(20))
    assert ok(broker, tenant, "/attributes", ctx)["attributeList"] == ["temperature"]
    assert ok(broker, tenant, "/attributes")["attributeList"] == [EX + "temperature"]


def test_entity_members_are_not_attributes(broker, tenant):
    """4.5.1 / 6.3.11 (suite 5710_01_02): id, type, scope and the system timestamps are not
    attributes; location is."""
    create(broker, tenant, "Place", scope="/a/b",
           location={"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}})
    names = ok(broker, tenant, "/attributes")["attributeList"]
    assert names == ["location"]
    for member in ("id", "type", "scope", "createdAt", "modifiedAt"):
        assert_problem(get(broker, tenant, "/attributes/" + member), 404, "ResourceNotFound")


def test_attributes_details(broker, populated):
    """5.7.9 (suite 026_01): details=true gives an array of Attribute with the attribute
    IRI as id, the attributeName and the names of the types that have it."""
    body = ok(broker, populated, "/attributes", details="true")
    assert isinstance(body, list)
    by_name = {a["attributeName"]: a for a in body}
    assert sorted(by_name) == ["name", "owner", "stock"]
    assert by_name["name"]["id"] == DEFAULT_VOCAB + "name"
    assert by_name["name"]["type"] == "Attribute"
    assert sorted(by_name["name"]["typeNames"]) == ["Depot", "Shop"]
    assert by_name["owner"]["typeNames"] == ["Shop"]


def test_attribute_info(broker, populated):
    """5.7.10 (suites 027_02): /attributes/{attr} gives the Attribute with attributeCount,
    attributeTypes and typeNames."""
    body = ok(broker, populated, "/attributes/name")
    assert body["id"] == DEFAULT_VOCAB + "name"
    assert body["type"] == "Attribute"
    assert body["attributeName"] == "name"
    assert body["attributeCount"] == 3
    assert body["attributeTypes"] == ["Property"]
    assert sorted(body["typeNames"]) == ["Depot", "Shop"]


def test_attribute_info_by_expanded_name(broker, tenant, ctx):
    """5.7.10 (suite 027_02_02): the attribute may be given as its expanded IRI."""
    create(broker, tenant, "Building", ctx, temperature=prop(20))
    body = ok(broker, tenant, "/attributes/" + quoted(EX + "temperature"), ctx)
    assert body["attributeName"] == "temperature"
    assert body["typeNames"] == ["Building"]
    assert body["attributeCount"] == 1


def test_attribute_info_lists_several_attribute_types(broker, tenant):
    """5.7.10: an attribute used as Property and as Relationship lists both types."""
    create(broker, tenant, "A", holder=prop("x"))
    create(broker, tenant, "B", holder=rel("urn:ngsi-ld:X:1"))
    body = ok(broker, tenant, "/attributes/holder")
    assert sorted(body["attributeTypes"]) == ["Property", "Relationship"]
    assert sorted(body["typeNames"]) == ["A", "B"]
    assert body["attributeCount"] == 2


def test_unknown_attribute_is_404(broker, populated):
    """5.7.10 (suites 027_01, 5710_01_01): an attribute no entity has is ResourceNotFound."""
    assert_problem(get(broker, populated, "/attributes/noSuchAttribute"), 404, "ResourceNotFound")


def test_attribute_count_drops_when_entities_are_deleted(broker, tenant):
    """5.7.10: attributeCount counts existing attributes; after the last entity having it
    is deleted the attribute is gone (404) and no longer listed."""
    e1 = create(broker, tenant, "Box", weight=prop(1))
    e2 = create(broker, tenant, "Box", weight=prop(2))
    assert ok(broker, tenant, "/attributes/weight")["attributeCount"] == 2
    delete(broker, tenant, e1)
    assert ok(broker, tenant, "/attributes/weight")["attributeCount"] == 1
    delete(broker, tenant, e2)
    assert_problem(get(broker, tenant, "/attributes/weight"), 404, "ResourceNotFound")
    assert "weight" not in ok(broker, tenant, "/attributes")["attributeList"]


@pytest.mark.parametrize("path,params", [
    ("/attributes", {"limit": "5"}),
    ("/attributes/name", {"details": "true"}),
], ids=["list-limit", "info-details"])
def test_attributes_with_an_unknown_parameter_is_400(broker, populated, path, params):
    """6.3.20 (suite 5710_01_03): /attributes defines details, local and count,
    /attributes/{attr} only local; anything else is InvalidRequest."""
    assert_problem(get(broker, populated, path, **params), 400, "InvalidRequest")


def test_expired_entities_are_not_discovered(broker, tenant):
    """4.22: an expired entity no longer contributes its type or attributes."""
    expires = (datetime.now(timezone.utc) + timedelta(seconds=1)).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    create(broker, tenant, "Fleeting", expiresAt=expires, brief=prop(1))
    create(broker, tenant, "Lasting", long=prop(1))
    assert sorted(ok(broker, tenant, "/types")["typeList"]) == ["Fleeting", "Lasting"]
    time.sleep(1.3)
    assert ok(broker, tenant, "/types")["typeList"] == ["Lasting"]
    assert ok(broker, tenant, "/attributes")["attributeList"] == ["long"]
    assert_problem(get(broker, tenant, "/types/Fleeting"), 404, "ResourceNotFound")


def test_types_as_json_ld_carry_the_context(broker, populated):
    """6.3.6: with Accept application/ld+json the EntityTypeList carries @context."""
    body = ok(broker, populated, "/types", {"Accept": "application/ld+json"})
    assert "@context" in body
    assert sorted(body["typeList"]) == ["Depot", "Shop"]


def test_attribute_types_of_every_kind(broker, tenant):
    """5.2.28: attributeTypes names the attribute kind (GeoProperty, LanguageProperty, ...)."""
    create(broker, tenant, "K",
           location={"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}},
           label={"type": "LanguageProperty", "languageMap": {"en": "x"}},
           kind={"type": "VocabProperty", "vocab": "Shop"},
           raw={"type": "JsonProperty", "json": {"k": 1}})
    details = {a["attributeName"]: a["attributeTypes"]
               for a in ok(broker, tenant, "/types/K")["attributeDetails"]}
    assert details == {"location": ["GeoProperty"], "label": ["LanguageProperty"],
                       "kind": ["VocabProperty"], "raw": ["JsonProperty"]}


# --- tenants ----------------------------------------------------------------------------------

def test_types_are_per_tenant(broker):
    """5.7.5 / 5.5.10 (suite 577_01_03): a type only another tenant's entities carry is
    neither listed nor retrievable."""
    a, b = new_tenant(), new_tenant()
    create(broker, a, "OnlyInA", x=prop(1))
    create(broker, b, "OnlyInB", y=prop(1))
    assert ok(broker, a, "/types")["typeList"] == ["OnlyInA"]
    assert ok(broker, b, "/types")["typeList"] == ["OnlyInB"]
    assert_problem(get(broker, b, "/types/OnlyInA"), 404, "ResourceNotFound")


def test_attributes_are_per_tenant(broker):
    """5.7.8 / 5.5.10: an attribute only another tenant's entities carry is neither listed
    nor retrievable."""
    a, b = new_tenant(), new_tenant()
    create(broker, a, "T", x=prop(1))
    create(broker, b, "T", y=prop(1))
    assert ok(broker, a, "/attributes")["attributeList"] == ["x"]
    assert ok(broker, b, "/attributes")["attributeList"] == ["y"]
    assert_problem(get(broker, b, "/attributes/x"), 404, "ResourceNotFound")


@pytest.mark.parametrize("path", ["/types", "/types/T", "/attributes", "/attributes/x"])
def test_discovery_in_a_nonexistent_tenant_is_404(broker, path):
    """5.5.10 / 6.3.14: discovery in a tenant that does not exist is NonexistentTenant."""
    assert_problem(get(broker, new_tenant(), path), 404, "NonexistentTenant")
