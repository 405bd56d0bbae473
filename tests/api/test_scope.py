"""Entity scope (4.18, 5.6): "scope" is an entity member that the attribute
endpoints treat like a pseudo-attribute: append with noOverwrite unites scopes,
append with overwrite and update replace it, DELETE .../attrs/scope removes it,
merge with urn:ngsi-ld:null removes it.

Every test makes its own entity (unique_id()), so the tests share one broker.
"""
import requests

from conftest import assert_problem, unique_id, JSON, attrs_url, entity_url, create_entity as create, read_entity as read


def thing(eid, **members):
    return {"id": eid, "type": "Thing", **members}


def scopes(body):
    """The entity's scope as a set (a single scope may be a bare string)."""
    s = body.get("scope")
    if s is None:
        return set()
    return {s} if isinstance(s, str) else set(s)


def same_name(reported, term):
    return reported in (term, "https://uri.etsi.org/ngsi-ld/scope")


def test_one_scope_reads_back_as_a_string(broker):
    """4.18: an entity with one scope returns it as a plain string."""
    eid = unique_id()
    create(broker, thing(eid, scope="/Madrid/Gardens"))
    assert read(broker, eid)["scope"] == "/Madrid/Gardens"


def test_two_scopes_read_back_as_an_array(broker):
    """4.18: an entity with several scopes returns them as an array."""
    eid = unique_id()
    create(broker, thing(eid, scope=["/Madrid/Gardens", "/Madrid/Parks"]))
    got = read(broker, eid)["scope"]
    assert isinstance(got, list)
    assert sorted(got) == ["/Madrid/Gardens", "/Madrid/Parks"]


def test_append_no_overwrite_unites_scopes(broker):
    """5.6.3 / 4.18: append with noOverwrite adds the new scopes to the existing ones."""
    eid = unique_id()
    create(broker, thing(eid, scope="/A"))
    r = requests.post(attrs_url(broker, eid), params={"options": "noOverwrite"},
                      json={"scope": ["/B", "/C"]}, headers=JSON)
    assert r.status_code == 204, r.text
    assert scopes(read(broker, eid)) == {"/A", "/B", "/C"}


def test_append_overwrite_replaces_the_scope(broker):
    """5.6.3 / 4.18: append without noOverwrite replaces the existing scope."""
    eid = unique_id()
    create(broker, thing(eid, scope=["/A", "/B"]))
    r = requests.post(attrs_url(broker, eid), json={"scope": "/C"}, headers=JSON)
    assert r.status_code == 204, r.text
    assert read(broker, eid)["scope"] == "/C"


def test_update_replaces_an_existing_scope(broker):
    """5.6.2 / 4.18: PATCH .../attrs with a scope replaces the existing scope (204)."""
    eid = unique_id()
    create(broker, thing(eid, scope="/A"))
    r = requests.patch(attrs_url(broker, eid), json={"scope": ["/B", "/C"]}, headers=JSON)
    assert r.status_code == 204, r.text
    assert scopes(read(broker, eid)) == {"/B", "/C"}


def test_update_scope_of_an_entity_without_scope_is_207(broker):
    """5.6.2: update does not add what is not there; a missing scope is reported in notUpdated."""
    eid = unique_id()
    create(broker, thing(eid, a={"type": "Property", "value": 1}))
    r = requests.patch(attrs_url(broker, eid), json={"scope": "/B"}, headers=JSON)
    assert r.status_code == 207, r.text
    result = r.json()
    names = [n["attributeName"] for n in result["notUpdated"]]
    assert len(names) == 1 and same_name(names[0], "scope"), result
    assert "scope" not in read(broker, eid)


def test_delete_scope_removes_it(broker):
    """5.6.5 / 4.18: DELETE .../attrs/scope removes the scope (204)."""
    eid = unique_id()
    create(broker, thing(eid, scope=["/A", "/B"], a={"type": "Property", "value": 1}))
    r = requests.delete(attrs_url(broker, eid, "scope"))
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert "scope" not in body
    assert "a" in body


def test_delete_scope_twice_is_404(broker):
    """5.6.5: once removed, deleting the scope again is ResourceNotFound."""
    eid = unique_id()
    create(broker, thing(eid, scope="/A"))
    assert requests.delete(attrs_url(broker, eid, "scope")).status_code == 204
    assert_problem(requests.delete(attrs_url(broker, eid, "scope")), 404, "ResourceNotFound")


def test_partial_update_of_scope_is_400(broker):
    """5.6.4: scope is not an attribute; PATCH .../attrs/scope is BadRequestData."""
    eid = unique_id()
    create(broker, thing(eid, scope="/A"))
    r = requests.patch(attrs_url(broker, eid, "scope"), json={"value": "/B"}, headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert read(broker, eid)["scope"] == "/A"


def test_replace_attribute_scope_is_400(broker):
    """5.6.19: scope is not an attribute; PUT .../attrs/scope is BadRequestData."""
    eid = unique_id()
    create(broker, thing(eid, scope="/A"))
    r = requests.put(attrs_url(broker, eid, "scope"),
                     json={"type": "Property", "value": "/B"}, headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert read(broker, eid)["scope"] == "/A"


def test_merge_with_null_scope_removes_it(broker):
    """5.6.17 / 4.5.0: merge with "scope": urn:ngsi-ld:null removes the scope."""
    eid = unique_id()
    create(broker, thing(eid, scope="/A", a={"type": "Property", "value": 1}))
    r = requests.patch(entity_url(broker, eid), json={"scope": "urn:ngsi-ld:null"}, headers=JSON)
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert "scope" not in body
    assert body["a"]["value"] == 1
