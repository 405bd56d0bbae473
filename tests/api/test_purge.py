"""Purge entities: DELETE /ngsi-ld/v1/entities (5.6.21, 6.4.3.3) deletes every
entity matching the query (type, id, idPattern, q, attrs, local) and answers
204; a purge without a qualifying restriction is 400 BadRequestData.

Tests that purge by type use a type of their own; tests whose purge could be
tenant-wide run in a tenant of their own.
"""
import uuid

import requests

from conftest import assert_problem, link, unique_id

JSON = {"Content-Type": "application/json"}


def new_type():
    return f"T{uuid.uuid4().hex[:12]}"


def new_tenant():
    return f"p{uuid.uuid4().hex[:12]}"


def tenant_headers(tenant):
    return {"NGSILD-Tenant": tenant} if tenant else {}


def prop(value):
    return {"type": "Property", "value": value}


def create(broker, etype, eid=None, tenant=None, **attrs):
    eid = eid or unique_id()
    r = requests.post(broker.api + "/entities", json={"id": eid, "type": etype, **attrs},
                      headers={**JSON, **tenant_headers(tenant)})
    assert r.status_code == 201, r.text
    return eid


def purge(broker, tenant=None, **params):
    return requests.delete(broker.api + "/entities", params=params, headers=tenant_headers(tenant))


def exists(broker, eid, tenant=None):
    r = requests.get(f"{broker.api}/entities/{eid}", headers=tenant_headers(tenant))
    assert r.status_code in (200, 404), r.text
    return r.status_code == 200


def of_type(broker, etype, tenant=None):
    r = requests.get(broker.api + "/entities", params={"type": etype}, headers=tenant_headers(tenant))
    assert r.status_code == 200, r.text
    return sorted(e["id"] for e in r.json())


def test_purge_by_type_removes_all_of_that_type(broker):
    """5.6.21 (suite 060_03_01): DELETE /entities?type=T deletes every entity of type T
    and answers 204 without body; entities of other types stay."""
    t, other = new_type(), new_type()
    gone = [create(broker, t) for _ in range(3)]
    stays = create(broker, other)
    r = purge(broker, type=t)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert of_type(broker, t) == []
    assert not any(exists(broker, e) for e in gone)
    assert exists(broker, stays)


def test_purge_of_a_type_without_entities_is_204(broker):
    """5.6.21: a purge that matches nothing is still successful."""
    assert purge(broker, type=new_type()).status_code == 204


def test_purge_with_q(broker):
    """5.6.21 (suite 060_03_02): only the entities matching q are deleted."""
    t = new_type()
    gone = create(broker, t, name=prop("Eiffel"))
    stays = create(broker, t, name=prop("Pisa"))
    r = purge(broker, type=t, q='name=="Eiffel"')
    assert r.status_code == 204, r.text
    assert of_type(broker, t) == [stays]
    assert not exists(broker, gone)


def test_purge_with_q_alone(broker):
    """5.6.21.4: q over a non-system attribute is a sufficient restriction on its own."""
    name = f"attr{uuid.uuid4().hex[:10]}"
    t = new_type()
    gone = create(broker, t, **{name: prop(1)})
    stays = create(broker, t, **{name: prop(2)})
    assert purge(broker, q=f"{name}==1").status_code == 204
    assert of_type(broker, t) == [stays]
    assert not exists(broker, gone)


def test_purge_with_id_pattern_and_type(broker):
    """5.6.21: with type and idPattern only the entities of that type whose id matches go."""
    t = new_type()
    tag = uuid.uuid4().hex[:8]
    gone = [create(broker, t, f"urn:ngsi-ld:Old:{tag}:{i}") for i in range(2)]
    stays = create(broker, t, f"urn:ngsi-ld:New:{tag}:1")
    assert purge(broker, type=t, idPattern=r"urn:ngsi-ld:Old:.*").status_code == 204
    assert of_type(broker, t) == [stays]
    assert not any(exists(broker, e) for e in gone)


def test_purge_with_id_list_and_type(broker):
    """5.6.21 (suite 060_03_04): with type and id=a,b only those entities go."""
    t = new_type()
    e1, e2, e3 = (create(broker, t) for _ in range(3))
    assert purge(broker, type=t, id=f"{e1},{e3}").status_code == 204
    assert of_type(broker, t) == [e2]


def test_purge_with_attrs(broker):
    """5.6.21: attrs selects the entities that have any of the attributes."""
    t = new_type()
    gone = create(broker, t, doomed=prop(1))
    stays = create(broker, t, other=prop(1))
    assert purge(broker, type=t, attrs="doomed").status_code == 204
    assert of_type(broker, t) == [stays]
    assert not exists(broker, gone)


def test_purge_expands_the_type_with_the_context(broker, context_server):
    """5.6.21 / 6.3.5: the type is expanded with the request's @context; the short name
    without that context is another type."""
    ctx = {"Link": link(context_server.base + "/test-context.jsonld")}
    eid, tenant = unique_id(), new_tenant()
    r = requests.post(broker.api + "/entities", json={"id": eid, "type": "Building"},
                      headers={**JSON, **ctx, "NGSILD-Tenant": tenant})
    assert r.status_code == 201, r.text
    assert purge(broker, tenant, type="Building").status_code == 204
    assert exists(broker, eid, tenant)
    r = requests.delete(broker.api + "/entities", params={"type": "Building"},
                        headers={**ctx, "NGSILD-Tenant": tenant})
    assert r.status_code == 204, r.text
    assert not exists(broker, eid, tenant)


def test_purge_without_any_selector_is_400(broker):
    """5.6.21.4 (suite 060_01): DELETE /entities without any query parameter is
    BadRequestData and deletes nothing."""
    tenant = new_tenant()
    eid = create(broker, new_type(), tenant=tenant)
    assert_problem(purge(broker, tenant), 400, "BadRequestData")
    assert exists(broker, eid, tenant)


def test_purge_with_only_an_id_is_400(broker):
    """5.6.21.4 (suite 060_06_01): id alone is not a qualifying restriction."""
    tenant = new_tenant()
    eid = create(broker, new_type(), tenant=tenant)
    assert_problem(purge(broker, tenant, id=eid), 400, "BadRequestData")
    assert exists(broker, eid, tenant)


def test_purge_with_only_an_id_pattern_is_400(broker):
    """5.6.21.4 (suite 060_06_02): idPattern alone is not a qualifying restriction, so
    idPattern=.* does not become a tenant-wide delete."""
    tenant = new_tenant()
    eid = create(broker, new_type(), tenant=tenant)
    assert_problem(purge(broker, tenant, idPattern=".*"), 400, "BadRequestData")
    assert exists(broker, eid, tenant)


def test_purge_with_only_system_attributes_in_attrs_is_400(broker):
    """5.6.21.4 b) (suite 060_06_03): attrs needs a non-system attribute; createdAt alone
    does not qualify."""
    tenant = new_tenant()
    eid = create(broker, new_type(), tenant=tenant)
    assert_problem(purge(broker, tenant, attrs="createdAt"), 400, "BadRequestData")
    assert exists(broker, eid, tenant)


def test_purge_with_a_query_over_only_system_attributes_is_400(broker):
    """5.6.21.4 c) (suite 060_06_04): q needs a non-system attribute; modifiedAt alone
    does not qualify."""
    tenant = new_tenant()
    eid = create(broker, new_type(), tenant=tenant)
    assert_problem(purge(broker, tenant, q='modifiedAt>"2020-01-01T00:00:00Z"'), 400, "BadRequestData")
    assert exists(broker, eid, tenant)


def test_purge_with_a_linked_entity_query_is_400(broker):
    """5.6.21.4 (suite 5621_01_01): a q over a linked entity (owner{name}) is BadRequestData."""
    t = new_type()
    eid = create(broker, t, owner={"type": "Relationship", "object": "urn:ngsi-ld:P:1"})
    assert_problem(purge(broker, type=t, q='owner{name}=="x"'), 400, "BadRequestData")
    assert exists(broker, eid)


def test_purge_with_scope_q(broker):
    """5.6.21: scopeQ restricts the purge to entities in matching scopes."""
    t = new_type()
    gone = create(broker, t, scope="/a/b")
    stays = create(broker, t, scope="/c")
    assert purge(broker, type=t, scopeQ="/a/#").status_code == 204
    assert of_type(broker, t) == [stays]
    assert not exists(broker, gone)


def test_purged_entities_leave_discovery(broker):
    """5.6.21 / 5.7.5: after a purge the type is no longer available."""
    tenant, t = new_tenant(), new_type()
    create(broker, t, tenant=tenant, a=prop(1))
    keep = new_type()
    create(broker, keep, tenant=tenant)
    assert purge(broker, tenant, type=t).status_code == 204
    r = requests.get(broker.api + "/types", headers=tenant_headers(tenant))
    assert r.status_code == 200, r.text
    assert r.json()["typeList"] == [keep]


def test_purge_local_true_deletes_everything_in_the_tenant(broker):
    """5.6.21.3 (suites 060_03_03, 060_06_05): local=true alone qualifies and purges every
    entity of the tenant, not those of other tenants."""
    tenant, other = new_tenant(), new_tenant()
    ids = [create(broker, new_type(), tenant=tenant) for _ in range(2)]
    elsewhere = create(broker, new_type(), tenant=other)
    assert purge(broker, tenant, local="true").status_code == 204
    assert not any(exists(broker, e, tenant) for e in ids)
    assert exists(broker, elsewhere, other)


def test_purge_with_an_invalid_q_is_400(broker):
    """5.6.21 / 4.9: a malformed q is BadRequestData and deletes nothing."""
    t = new_type()
    eid = create(broker, t, a=prop(1))
    assert_problem(purge(broker, type=t, q="a=="), 400, "BadRequestData")
    assert exists(broker, eid)


def test_purge_with_an_unknown_parameter_is_400(broker):
    """6.3.20: an undefined query parameter is InvalidRequest and deletes nothing."""
    t = new_type()
    eid = create(broker, t)
    assert_problem(purge(broker, type=t, limit=1), 400, "InvalidRequest")
    assert exists(broker, eid)


def test_purge_in_a_tenant_leaves_other_tenants_alone(broker):
    """4.14: a purge in tenant A does not touch entities of the same type elsewhere."""
    t, tenant = new_type(), new_tenant()
    in_tenant = create(broker, t, tenant=tenant)
    in_default = create(broker, t)
    assert purge(broker, tenant, type=t).status_code == 204
    assert not exists(broker, in_tenant, tenant)
    assert exists(broker, in_default)


def test_purge_in_a_nonexistent_tenant_is_404(broker):
    """5.5.10 / 6.3.14: a purge in a tenant that does not exist is NonexistentTenant."""
    assert_problem(purge(broker, new_tenant(), type=new_type()), 404, "NonexistentTenant")


def test_purge_drop_removes_only_those_attributes(broker):
    """5.6.21 (suite 060_04): with drop=name the matching entities stay but lose name."""
    t = new_type()
    eid = create(broker, t, name=prop("x"), other=prop(1))
    assert purge(broker, type=t, drop="name").status_code == 204
    r = requests.get(f"{broker.api}/entities/{eid}")
    assert r.status_code == 200, r.text
    assert "name" not in r.json() and r.json()["other"] == prop(1)


def test_purge_keep_removes_all_other_attributes(broker):
    """5.6.21 (suite 060_05): with keep=name the matching entities stay with only name."""
    t = new_type()
    eid = create(broker, t, name=prop("x"), other=prop(1))
    assert purge(broker, type=t, keep="name").status_code == 204
    r = requests.get(f"{broker.api}/entities/{eid}")
    assert r.status_code == 200, r.text
    assert r.json()["name"] == prop("x") and "other" not in r.json()


def test_purge_keep_and_drop_together_is_400(broker):
    """5.6.21 (suite 060_02): keep and drop in one request is BadRequestData."""
    t = new_type()
    eid = create(broker, t, name=prop("x"))
    assert_problem(purge(broker, type=t, keep="name", drop="other"), 400, "BadRequestData")
    assert exists(broker, eid)
