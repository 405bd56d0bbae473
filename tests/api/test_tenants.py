"""Multi-tenancy (4.14, 5.5.10, 6.3.14): the NGSILD-Tenant header selects a
tenant, data never crosses tenants, the header is echoed, and a tenant that
never had data does not exist.

Tenant names carry the process id and a counter so that reruns against the
same broker do not meet old tenants.
"""
import itertools
import os

import pytest
import requests

from conftest import assert_problem, unique_id

JSON = {"Content-Type": "application/json"}
_n = itertools.count()


def new_tenant():
    return f"t{os.getpid()}x{next(_n)}"


def tenant_headers(tenant, **extra):
    return {"NGSILD-Tenant": tenant, **extra} if tenant else dict(extra)


def create(broker, eid, tenant=None):
    r = requests.post(broker.api + "/entities", json={"id": eid, "type": "Thing"},
                      headers=tenant_headers(tenant, **JSON))
    assert r.status_code == 201, r.text
    return r


def get(broker, eid, tenant=None):
    return requests.get(f"{broker.api}/entities/{eid}", headers=tenant_headers(tenant))


def test_entity_is_visible_in_its_tenant(broker):
    """4.14: an entity created in tenant A is retrievable in tenant A."""
    a, eid = new_tenant(), unique_id()
    create(broker, eid, a)
    r = get(broker, eid, a)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == eid


def test_entity_is_not_visible_in_the_default_tenant(broker):
    """4.14 (suite 414_01_01): an entity of tenant A is not found without the header."""
    a, eid = new_tenant(), unique_id()
    create(broker, eid, a)
    assert_problem(get(broker, eid), 404, "ResourceNotFound")


def test_entity_is_not_visible_in_another_tenant(broker):
    """4.14 (suite 414_01_02): an existing tenant B does not see tenant A's entity."""
    a, b, eid = new_tenant(), new_tenant(), unique_id()
    create(broker, eid, a)
    create(broker, unique_id(), b)  # B exists, so the answer is about the entity
    assert_problem(get(broker, eid, b), 404, "ResourceNotFound")


def test_delete_in_one_tenant_leaves_the_other_alone(broker):
    """4.14: the same id in two tenants is two entities; deleting one keeps the other."""
    a, eid = new_tenant(), unique_id()
    create(broker, eid, a)
    create(broker, eid)
    r = requests.delete(f"{broker.api}/entities/{eid}", headers=tenant_headers(a))
    assert r.status_code == 204, r.text
    assert get(broker, eid).status_code == 200
    assert get(broker, eid, a).status_code == 404


def test_tenant_header_is_echoed(broker):
    """6.3.14 (suite 414_01_01): the NGSILD-Tenant of the request is in the response."""
    a, eid = new_tenant(), unique_id()
    r = create(broker, eid, a)
    assert r.headers.get("NGSILD-Tenant") == a
    r = get(broker, eid, a)
    assert r.headers.get("NGSILD-Tenant") == a


def test_never_used_tenant_is_404_nonexistent_tenant(broker):
    """5.5.10 (suite 5510_01_01): reading in a tenant that never had data is NonexistentTenant."""
    r = get(broker, unique_id(), new_tenant())
    assert_problem(r, 404, "NonexistentTenant")


def test_tenant_header_is_echoed_on_errors(broker):
    """6.3.14 (suite 5510_01_01): the tenant is echoed on an error answer too."""
    t = new_tenant()
    r = get(broker, unique_id(), t)
    assert r.status_code == 404
    assert r.headers.get("NGSILD-Tenant") == t


INVALID_TENANTS = {
    "spaces": "tenant with spaces", "percent": "fifty%", "dot-dot": "..", "dot-dot-segment": "../x",
    "inner-dot-dot": "a/../b", "dot": ".", "dot-segment": "a/./b", "leading-dot": ".hidden",
    "leading-slash": "/x", "empty-segment": "a//b", "trailing-slash": "a/", "64-chars": "x" * 64,
}


@pytest.mark.parametrize("name", INVALID_TENANTS.values(), ids=INVALID_TENANTS.keys())
def test_invalid_tenant_name_is_400(broker, name):
    """4.14 / 6.3.14 and docs/decisions.md: a tenant name that could not name a folder or a
    PostgreSQL schema safely is rejected with 400 BadRequestData, nothing created."""
    eid = unique_id()
    r = requests.post(broker.api + "/entities", json={"id": eid, "type": "Thing"},
                      headers=tenant_headers(name, **JSON))
    body = assert_problem(r, 400, "BadRequestData")
    assert "tenant" in body["detail"]
    assert get(broker, eid).status_code == 404


@pytest.mark.parametrize("name", ["city-a", "org:city/district_1", "a..b/c.d", "x" * 63])
def test_valid_tenant_names_work(broker, name):
    """Letters, digits, _ - . : and / as a segment separator, up to 63 characters."""
    tenant = name if len(name) == 63 else f"{name}{os.getpid()}x{next(_n)}"
    eid = unique_id()
    create(broker, eid, tenant)
    assert get(broker, eid, tenant).json()["id"] == eid
