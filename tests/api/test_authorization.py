"""Authorization (docs/security.md): with authentication on, a caller may do
only what the grants of its tenant give its principals (token subject, token
claims, API key, any authenticated caller, anyone): roles reader, writer and
admin, narrowed by entity type, id pattern, scope and attributes (hidden,
read-only), combined as a union, with an explicit deny winning. What a caller
may not read does not exist for it (404, absent from queries, counts and
notifications); what it may read but not change is 403. Grants are managed by
the broker's admin and the tenant's admins through /ngsi-ld/ex/grants,
persisted, and in force from the next request on.
"""
import time

import pytest
import requests

from conftest import JSON, assert_problem, link
from issuer import ISSUER, Key, bearer, write_jwks
from test_notifications import next_notification, no_notification, receiver  # noqa: F401 (fixture)

GRANTS = "/ngsi-ld/ex/grants"
SR1, SR2, V1 = "urn:ngsi-ld:ServiceRequest:1", "urn:ngsi-ld:ServiceRequest:2", "urn:ngsi-ld:Vehicle:1"


@pytest.fixture(scope="module")
def key():
    return Key("ES256", "k-authz")


@pytest.fixture
def city(make_broker, tmp_path, key, context_server):
    jwks = str(tmp_path / "jwks.json")
    write_jwks(jwks, key)
    b = make_broker("--auth-issuer", ISSUER, "--auth-jwks", jwks, "--auth-admin", "city-admin").start()
    b.key = key
    b.town = link(context_server.base + "/town.jsonld")  # the names below: ServiceRequest, status, ...
    b.admin = who(b, "city-admin")
    return b


def who(broker, sub, tenant=None, **claims):
    """The headers of a request by `sub` (a token with these claims), JSON with the town's @context."""
    headers = {**bearer(broker.key.token(sub=sub, **claims)), "Link": broker.town}
    if tenant:
        headers["NGSILD-Tenant"] = tenant
    return headers


def in_tenant(headers, tenant):
    return {**headers, "NGSILD-Tenant": tenant} if tenant else headers


def grant_refused(broker, tenant=None, headers=None, **body):
    return requests.post(broker.url + GRANTS, json=body, headers=in_tenant(headers or broker.admin, tenant))


def grant(broker, tenant=None, headers=None, **body):
    r = grant_refused(broker, tenant, headers, **body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def seed(broker, tenant=None):
    """Two service requests (one with a citizen's address) and a vehicle, written by the admin."""
    entities = [
        {"id": SR1, "type": "ServiceRequest", "scope": "/Social/North",
         "status": {"type": "Property", "value": "open"},
         "reporterAddress": {"type": "Property", "value": "Lindenweg 3"}},
        {"id": SR2, "type": "ServiceRequest", "scope": "/Traffic",
         "status": {"type": "Property", "value": "done"}},
        {"id": V1, "type": "Vehicle", "speed": {"type": "Property", "value": 30}},
    ]
    r = requests.post(broker.api + "/entityOperations/upsert", json=entities, headers=in_tenant(broker.admin, tenant))
    assert r.status_code in (201, 204), r.text


def ids(response):
    assert response.status_code == 200, response.text
    return sorted(e["id"] for e in response.json())


def query(broker, headers, **params):
    params.setdefault("type", "ServiceRequest,Vehicle")
    return ids(requests.get(broker.api + "/entities", params=params, headers=headers))


def patch_status(broker, headers, eid, value="closed", attr="status"):
    return requests.patch(broker.api + f"/entities/{eid}/attrs",
                          json={attr: {"type": "Property", "value": value}}, headers=headers)


# Each case: the grants of one subject, and what that subject then sees (query
# of both types) and may change (PATCH status / speed of each entity: the status
# code expected, 404 where it may not even read the entity).
MATRIX = {
    "no grant": ([], [], {SR1: 404, SR2: 404, V1: 404}),
    "reader of everything": ([{"role": "reader"}], [SR1, SR2, V1], {SR1: 403, SR2: 403, V1: 403}),
    "reader of a type": ([{"role": "reader", "entityTypes": ["ServiceRequest"]}], [SR1, SR2],
                         {SR1: 403, SR2: 403, V1: 404}),
    "reader by id pattern": ([{"role": "reader", "idPattern": "ServiceRequest:1$"}], [SR1],
                             {SR1: 403, SR2: 404, V1: 404}),
    "reader of a scope": ([{"role": "reader", "scopeQ": "/Social/#"}], [SR1], {SR1: 403, SR2: 404, V1: 404}),
    "union of two grants": ([{"role": "reader", "entityTypes": ["Vehicle"]}, {"role": "reader", "scopeQ": "/Social/#"}],
                            [SR1, V1], {SR1: 403, SR2: 404, V1: 403}),
    "deny wins": ([{"role": "writer"}, {"role": "reader", "effect": "deny", "entityTypes": ["Vehicle"]}],
                  [SR1, SR2], {SR1: 204, SR2: 204, V1: 404}),
    "writer of a type, reader of all": ([{"role": "reader"}, {"role": "writer", "entityTypes": ["ServiceRequest"]}],
                                        [SR1, SR2, V1], {SR1: 204, SR2: 204, V1: 403}),
    "writer of a scope": ([{"role": "writer", "scopeQ": "/Traffic"}], [SR2], {SR1: 404, SR2: 204, V1: 404}),
    "writer denied writing a type": ([{"role": "writer"}, {"role": "writer", "effect": "deny", "entityTypes": ["Vehicle"]}],
                                     [SR1, SR2, V1], {SR1: 204, SR2: 204, V1: 403}),
    "writer with a read-only attribute": ([{"role": "writer", "readOnlyAttrs": ["status"]}], [SR1, SR2, V1],
                                          {SR1: 403, SR2: 403, V1: 204}),
    "deny writing one attribute": ([{"role": "writer"}, {"role": "writer", "effect": "deny", "attrs": ["speed"]}],
                                   [SR1, SR2, V1], {SR1: 204, SR2: 204, V1: 403}),
    "tenant admin": ([{"role": "admin"}], [SR1, SR2, V1], {SR1: 204, SR2: 204, V1: 204}),
    "a reader's deny of everything": ([{"role": "writer"}, {"role": "reader", "effect": "deny"}], [],
                                      {SR1: 404, SR2: 404, V1: 404}),
}


def test_the_matrix_of_roles_and_policies(city):
    seed(city)
    for n, (name, (grants, sees, changes)) in enumerate(MATRIX.items()):
        sub = f"case-{n}"
        for g in grants:
            grant(city, to="sub:" + sub, **g)
        caller = who(city, sub)
        assert query(city, caller) == sees, name
        for eid in (SR1, SR2, V1):
            r = requests.get(city.api + "/entities/" + eid, headers=caller)
            assert r.status_code == (200 if eid in sees else 404), (name, eid, r.text)
            attr = "speed" if eid == V1 else "status"
            r = patch_status(city, caller, eid, value=31 if eid == V1 else "seen", attr=attr)
            assert r.status_code == changes[eid], (name, eid, r.text)
            if r.status_code in (403, 404):
                assert r.json()["type"].endswith("Forbidden" if r.status_code == 403 else "ResourceNotFound"), name
        # Subscribing needs some grant that is not taken away.
        r = requests.get(city.api + "/subscriptions", headers=caller)
        assert r.status_code == (200 if sees else 403), (name, r.text)


def test_hidden_attributes_are_not_shown_queried_or_counted(city):
    seed(city)
    grant(city, to="sub:clerk", role="reader", hiddenAttrs=["reporterAddress"])
    clerk = who(city, "clerk")
    entity = requests.get(city.api + "/entities/" + SR1, headers=clerk).json()
    assert "status" in str(entity) and "reporterAddress" not in str(entity) and "Lindenweg" not in str(entity)
    # A filter on a hidden attribute cannot find the entity: it learns nothing of the value.
    assert query(city, clerk, q='reporterAddress=="Lindenweg 3"') == []
    assert query(city, clerk, attrs="reporterAddress") == []
    # Nor does discovery name it.
    attributes = requests.get(city.api + "/attributes", headers=clerk).json()["attributeList"]
    assert "reporterAddress" not in attributes and "status" in attributes
    # The social service sees it (its grant has no hidden attributes: the union wins).
    grant(city, to="claim:groups=/social", role="reader", scopeQ="/Social/#")
    social = who(city, "social-worker", groups=["/social", "/staff"])
    assert "Lindenweg" in requests.get(city.api + "/entities/" + SR1, headers=social).text
    # A hidden attribute cannot be overwritten blindly either, and is not named in the refusal.
    writer = who(city, "writer")
    grant(city, to="sub:writer", role="writer", hiddenAttrs=["reporterAddress"])
    r = requests.put(city.api + "/entities/" + SR1,
                     json={"type": "ServiceRequest", "status": {"type": "Property", "value": "x"}},
                     headers=writer)
    body = assert_problem(r, 403, "Forbidden")
    assert "reporterAddress" not in body["detail"]
    assert "Lindenweg" in requests.get(city.api + "/entities/" + SR1, headers=city.admin).text


def test_a_deny_can_hide_attributes_from_everyone_it_names(city):
    seed(city)
    grant(city, to="authenticated", role="reader")
    grant(city, to="claim:groups=/interns", role="reader", effect="deny", attrs=["reporterAddress"])
    intern = who(city, "intern", groups=["/interns"])
    other = who(city, "someone")
    assert "Lindenweg" not in requests.get(city.api + "/entities/" + SR1, headers=intern).text
    assert "Lindenweg" in requests.get(city.api + "/entities/" + SR1, headers=other).text


def test_creations_and_deletions_within_the_grants(city):
    seed(city)
    grant(city, to="sub:dispatcher", role="writer", entityTypes=["ServiceRequest"], scopeQ="/Social/#")
    d = who(city, "dispatcher")

    def create(eid, scope):
        return requests.post(city.api + "/entities", headers=d, json={
            "id": eid, "type": "ServiceRequest", "scope": scope, "status": {"type": "Property", "value": "new"}})
    assert create("urn:ngsi-ld:ServiceRequest:3", "/Social/South").status_code == 201
    assert_problem(create("urn:ngsi-ld:ServiceRequest:4", "/Traffic"), 403, "Forbidden")
    r = requests.post(city.api + "/entities", headers=d, json={"id": "urn:ngsi-ld:Vehicle:9", "type": "Vehicle"})
    assert_problem(r, 403, "Forbidden")
    # Moving an entity out of the scope it may write is a change it may not make.
    r = requests.patch(city.api + f"/entities/{SR1}/attrs", json={"scope": "/Traffic"}, headers=d)
    assert_problem(r, 403, "Forbidden")
    assert requests.get(city.api + "/entities/" + SR1, headers=city.admin).json()["scope"] == "/Social/North"
    assert requests.delete(city.api + "/entities/urn:ngsi-ld:ServiceRequest:3", headers=d).status_code == 204
    assert_problem(requests.delete(city.api + "/entities/" + SR2, headers=d), 404, "ResourceNotFound")
    assert requests.get(city.api + "/entities/" + SR2, headers=city.admin).status_code == 200


def test_batch_operations_are_refused_per_entity(city):
    seed(city)
    grant(city, to="sub:agent", role="writer", entityTypes=["Vehicle"])
    grant(city, to="sub:agent", role="reader", entityTypes=["ServiceRequest"])
    agent = who(city, "agent")
    batch = [{"id": V1, "type": "Vehicle", "speed": {"type": "Property", "value": 50}},
             {"id": "urn:ngsi-ld:Vehicle:2", "type": "Vehicle"},
             {"id": SR1, "type": "ServiceRequest", "status": {"type": "Property", "value": "x"}}]
    r = requests.post(city.api + "/entityOperations/upsert", json=batch, headers=agent)
    assert r.status_code == 207, r.text
    body = r.json()
    assert sorted(body["success"]) == [V1, "urn:ngsi-ld:Vehicle:2"]
    [error] = body["errors"]
    assert error["entityId"] == SR1 and error["error"]["type"].endswith("Forbidden"), error
    assert requests.get(city.api + "/entities/" + SR1, headers=city.admin).json()["status"]["value"] == "open"
    # Deleting: what it may read but not change is forbidden; an unknown id is not found.
    r = requests.post(city.api + "/entityOperations/delete", json=[V1, SR2, "urn:ngsi-ld:Vehicle:nowhere"],
                      headers=agent)
    assert r.status_code == 207, r.text
    errors = {e["entityId"]: e["error"]["type"].rsplit("/", 1)[-1] for e in r.json()["errors"]}
    assert errors == {SR2: "Forbidden", "urn:ngsi-ld:Vehicle:nowhere": "ResourceNotFound"}


def test_tenants_are_isolated_in_every_endpoint_family(city):
    seed(city, "north")
    seed(city, "south")
    grant(city, "north", to="sub:north-clerk", role="reader")
    grant(city, "south", to="sub:south-clerk", role="reader", entityTypes=["Vehicle"])
    north = who(city, "north-clerk", "north")
    into_south = who(city, "north-clerk", "south")
    assert query(city, north) == [SR1, SR2, V1]
    assert query(city, into_south) == []
    assert requests.get(city.api + "/entities/" + V1, headers=into_south).status_code == 404
    r = requests.post(city.api + "/entityOperations/query", json={"type": "Query", "entities": [{"type": "Vehicle"}]},
                      headers=into_south)
    assert ids(r) == []
    assert requests.get(city.api + "/types", headers=into_south).json()["typeList"] == []
    assert requests.get(city.api + "/attributes", headers=into_south).json()["attributeList"] == []
    r = requests.get(city.api + "/temporal/entities", params={"type": "Vehicle"}, headers=into_south)
    assert ids(r) == []
    assert requests.get(city.api + "/temporal/entities/" + V1, headers=into_south).status_code == 404
    for path in ("/subscriptions", "/csourceRegistrations", "/csourceSubscriptions"):
        assert_problem(requests.get(city.api + path, headers=into_south), 403, "Forbidden")
    assert_problem(requests.post(city.api + "/jsonldContexts", json={"@context": {"Bus": "https://example-town.de/Bus"}},
                                 headers=into_south), 403,
                   "Forbidden")
    # The south clerk sees its vehicles and only those, in its tenant only.
    south = who(city, "south-clerk", "south")
    assert query(city, south) == [V1]
    assert requests.get(city.api + "/types", headers=south).json()["typeList"] == ["Vehicle"]
    assert ids(requests.get(city.api + "/temporal/entities", params={"type": "ServiceRequest,Vehicle"}, headers=south)) == [V1]
    assert query(city, who(city, "south-clerk", "north")) == []


def test_temporal_history_follows_the_same_rules(city):
    seed(city)
    grant(city, to="sub:auditor", role="reader", entityTypes=["ServiceRequest"], hiddenAttrs=["reporterAddress"])
    grant(city, to="sub:auditor", role="writer", entityTypes=["ServiceRequest"], readOnlyAttrs=["status"],
          hiddenAttrs=["reporterAddress"])  # else this grant would show it
    auditor = who(city, "auditor")
    r = requests.get(city.api + "/temporal/entities/" + SR1, headers=auditor)
    assert r.status_code == 200, r.text
    assert "status" in str(r.json()) and "reporterAddress" not in str(r.json())
    r = requests.get(city.api + "/temporal/entities", headers=auditor,
                     params={"type": "ServiceRequest", "q": 'reporterAddress=="Lindenweg 3"'})
    assert ids(r) == []
    assert requests.get(city.api + "/temporal/entities/" + V1, headers=auditor).status_code == 404
    # History of a read-only attribute cannot be added or deleted.
    instance = {"status": [{"type": "Property", "value": "x", "observedAt": "2026-01-01T00:00:00Z"}]}
    r = requests.post(city.api + f"/temporal/entities/{SR1}/attrs", json=instance, headers=auditor)
    assert_problem(r, 403, "Forbidden")
    r = requests.delete(city.api + f"/temporal/entities/{SR1}/attrs/status", headers=auditor)
    assert_problem(r, 403, "Forbidden")
    assert_problem(requests.delete(city.api + "/temporal/entities/" + SR1, headers=auditor), 403, "Forbidden")
    assert_problem(requests.delete(city.api + "/temporal/entities/" + V1, headers=auditor), 404, "ResourceNotFound")


def test_notifications_carry_only_what_the_owner_may_read(city, receiver):  # noqa: F811
    seed(city)
    grant(city, to="sub:watcher", role="reader", scopeQ="/Social/#", hiddenAttrs=["reporterAddress"])
    watcher = who(city, "watcher")
    body = {"type": "Subscription", "entities": [{"type": "ServiceRequest"}],
            "notification": {"endpoint": {"uri": receiver.url + "/authz"}}}
    r = requests.post(city.api + "/subscriptions", json=body, headers=watcher)
    assert r.status_code == 201, r.text
    sid = r.headers["Location"].rsplit("/", 1)[-1]
    patch_status(city, city.admin, SR2, "reopened")  # out of the watcher's scope
    no_notification(receiver, "/notify/authz")
    patch_status(city, city.admin, SR1, "in progress")
    _, note = next_notification(receiver, "/notify/authz")
    [data] = note["data"]
    assert data["id"] == SR1 and "in progress" in str(data) and "Lindenweg" not in str(data)
    # The subscription is its owner's: others do not see it, a tenant admin does.
    grant(city, to="sub:someone", role="reader")
    assert requests.get(city.api + "/subscriptions/" + sid, headers=who(city, "someone")).status_code == 404
    assert requests.get(city.api + "/subscriptions", headers=who(city, "someone")).json() == []
    grant(city, to="sub:tenant-admin", role="admin")
    assert requests.get(city.api + "/subscriptions/" + sid, headers=who(city, "tenant-admin")).status_code == 200
    assert [s["id"] for s in requests.get(city.api + "/subscriptions", headers=watcher).json()] == [sid]
    # A grant withdrawn takes effect on the next notification.
    for g in requests.get(city.url + GRANTS, headers=city.admin).json():
        if g["to"] == "sub:watcher":
            assert requests.delete(city.url + GRANTS + "/" + g["id"], headers=city.admin).status_code == 204
    patch_status(city, city.admin, SR1, "closed")
    no_notification(receiver, "/notify/authz")


def test_joined_notifications_and_queries_leave_out_what_the_owner_may_not_read(city, receiver):  # noqa: F811
    seed(city)
    grant(city, to="sub:watcher", role="reader", entityTypes=["ServiceRequest"])
    watcher = who(city, "watcher")
    body = {"type": "Subscription", "entities": [{"type": "ServiceRequest"}],
            "notification": {"endpoint": {"uri": receiver.url + "/joined"}, "join": "flat", "joinLevel": 1}}
    assert requests.post(city.api + "/subscriptions", json=body, headers=watcher).status_code == 201
    link_to = {"assignedTo": {"type": "Relationship", "object": V1}}
    assert requests.post(city.api + f"/entities/{SR1}/attrs", json=link_to, headers=city.admin).status_code == 204
    _, note = next_notification(receiver, "/notify/joined")
    assert [e["id"] for e in note["data"]] == [SR1], "the vehicle it may not read is not joined"
    def joined(headers):
        body = requests.get(city.api + "/entities/" + SR1, params={"join": "flat", "joinLevel": 1}, headers=headers).json()
        return [e["id"] for e in body] if isinstance(body, list) else [body["id"]]  # nothing joined: the entity alone
    assert joined(watcher) == [SR1]
    assert joined(city.admin) == [SR1, V1]


def test_anonymous_read_of_open_data(city):
    seed(city, "open-data")
    seed(city, "internal")
    grant(city, "open-data", to="anyone", role="reader", entityTypes=["Vehicle"])
    anonymous = {"NGSILD-Tenant": "open-data", "Link": city.town}
    r = requests.get(city.api + "/entities", params={"type": "ServiceRequest,Vehicle"}, headers=anonymous)
    assert ids(r) == [V1]
    r = requests.post(city.api + "/entities", json={"id": "urn:ngsi-ld:Vehicle:x", "type": "Vehicle"},
                      headers={**JSON, **anonymous})
    assert_problem(r, 403, "Forbidden")
    r = requests.post(city.api + "/subscriptions", headers={**JSON, **anonymous},
                      json={"type": "Subscription", "entities": [{"type": "Vehicle"}],
                            "notification": {"endpoint": {"uri": "http://127.0.0.1:9/x"}}})
    assert_problem(r, 403, "Forbidden")
    # A tenant without open data still asks for a token.
    r = requests.get(city.api + "/entities", params={"type": "Vehicle"}, headers={"NGSILD-Tenant": "internal"})
    assert_problem(r, 401, "Unauthorized")
    # Anyone's grant holds for authenticated callers too.
    assert query(city, who(city, "nobody-special", "open-data")) == [V1]
    assert_problem(grant_refused(city, "open-data", to="anyone", role="writer"), 400, "BadRequestData")



def test_the_grants_admin_api(city):
    seed(city)
    seed(city, "south")
    # Only admins manage grants: the broker's admin everywhere, a tenant's admin in its tenant.
    assert_problem(grant_refused(city, to="sub:x", role="reader", headers=who(city, "nobody")), 403, "Forbidden")
    grant(city, "south", to="sub:south-admin", role="admin")
    south_admin = who(city, "south-admin", "south")
    gid = grant(city, headers=south_admin, to="sub:south-clerk", role="reader", entityTypes=["Vehicle"])
    assert_problem(grant_refused(city, headers=who(city, "south-admin"), to="sub:x", role="reader"), 403, "Forbidden")
    r = requests.get(city.url + GRANTS + "/" + gid, headers=south_admin)
    assert r.status_code == 200, r.text
    g = r.json()
    assert g["to"] == "sub:south-clerk" and g["role"] == "reader" and g["effect"] == "allow"
    assert g["entityTypes"] == ["Vehicle"] and g["createdBy"] == "south-admin" and "createdAt" in g
    assert requests.get(city.url + GRANTS + "/" + gid, headers=city.admin).status_code == 404  # another tenant
    assert [x["id"] for x in requests.get(city.url + GRANTS, headers=south_admin).json()] != []
    # Each member is checked.
    for bad in ({"to": "alice", "role": "reader"}, {"to": "sub:a", "role": "owner"},
                {"to": "sub:a", "role": "reader", "effect": "maybe"},
                {"to": "sub:a", "role": "reader", "idPattern": "(unclosed"},
                {"to": "sub:a", "role": "reader", "scopeQ": "no-slash"},
                {"to": "sub:a", "role": "reader", "readOnlyAttrs": ["x"]},
                {"to": "sub:a", "role": "reader", "attrs": ["x"]},
                {"to": "sub:a", "role": "admin", "entityTypes": ["Vehicle"]},
                {"to": "sub:a", "role": "reader", "entityTypes": []},
                {"to": "sub:a", "role": "reader", "color": "red"},
                {"to": "sub:a", "role": "reader", "id": "urn:x"}):
        assert_problem(grant_refused(city, **bad), 400, "BadRequestData")
    # Grants survive a restart and a withdrawn one is gone at once.
    south_clerk = who(city, "south-clerk", "south")
    assert query(city, south_clerk) == [V1]
    city.stop()
    city.start(city.port)
    assert query(city, south_clerk) == [V1]
    assert requests.delete(city.url + GRANTS + "/" + gid, headers=south_admin).status_code == 204
    assert query(city, south_clerk) == []
    assert_problem(requests.delete(city.url + GRANTS + "/" + gid, headers=south_admin), 404, "ResourceNotFound")


def test_grants_need_authentication_on(broker):
    assert_problem(requests.get(broker.url + GRANTS, headers=JSON), 422, "OperationNotSupported")


def test_purge_removes_only_what_the_caller_may_change(city):
    seed(city)
    grant(city, to="sub:cleaner", role="reader")
    grant(city, to="sub:cleaner", role="writer", scopeQ="/Traffic")
    r = requests.delete(city.api + "/entities", params={"type": "ServiceRequest"}, headers=who(city, "cleaner"))
    assert r.status_code == 204, r.text
    assert requests.get(city.api + "/entities/" + SR2, headers=city.admin).status_code == 404
    assert requests.get(city.api + "/entities/" + SR1, headers=city.admin).status_code == 200


def test_distributed_reads_and_writes_carry_the_same_rules(city, make_broker):
    town = make_broker().start()  # a neighbouring town's broker, open on its loopback
    for e in ({"id": "urn:ngsi-ld:Vehicle:7", "type": "Vehicle", "speed": {"type": "Property", "value": 7}},
              {"id": "urn:ngsi-ld:ServiceRequest:7", "type": "ServiceRequest"}):
        r = requests.post(town.api + "/entities", json=e, headers={**JSON, "Link": city.town})
        assert r.status_code == 201, r.text
    registration = {"type": "ContextSourceRegistration", "endpoint": town.url,
                    "mode": "redirect", "operations": ["federationOps", "updateOps", "retrieveTemporal", "queryTemporal"],
                    "information": [{"entities": [{"type": "Vehicle"}, {"type": "ServiceRequest"}]}]}
    clerk = who(city, "clerk")
    assert_problem(requests.post(city.api + "/csourceRegistrations", json=registration, headers=clerk), 403,
                   "Forbidden")
    r = requests.post(city.api + "/csourceRegistrations", json=registration, headers=city.admin)
    assert r.status_code == 201, r.text
    grant(city, to="sub:clerk", role="writer", entityTypes=["Vehicle"])
    # What the sources answer is filtered by the same grants.
    assert query(city, clerk) == ["urn:ngsi-ld:Vehicle:7"]
    assert requests.get(city.api + "/entities/urn:ngsi-ld:ServiceRequest:7", headers=clerk).status_code == 404
    assert requests.get(city.api + "/entities/urn:ngsi-ld:Vehicle:7", headers=clerk).status_code == 200
    r = requests.get(city.api + "/temporal/entities", params={"type": "ServiceRequest,Vehicle"}, headers=clerk)
    assert ids(r) == ["urn:ngsi-ld:Vehicle:7"]
    r = requests.get(city.api + "/temporal/entities/urn:ngsi-ld:ServiceRequest:7", headers=clerk)
    assert_problem(r, 404, "ResourceNotFound")
    r = requests.get(city.api + "/temporal/entities/urn:ngsi-ld:ServiceRequest:7", headers=city.admin)
    assert r.status_code == 200, r.text
    # A write through the broker's own credential needs the whole tenant's writer role.
    r = patch_status(city, clerk, "urn:ngsi-ld:Vehicle:7", 8, attr="speed")
    body = assert_problem(r, 403, "Forbidden")
    assert "credential" in body["detail"]
    assert requests.get(town.api + "/entities/urn:ngsi-ld:Vehicle:7", headers={"Link": city.town}).json()[
        "speed"]["value"] == 7
    assert patch_status(city, city.admin, "urn:ngsi-ld:Vehicle:7", 9, attr="speed").status_code == 204
    assert requests.get(town.api + "/entities/urn:ngsi-ld:Vehicle:7", headers={"Link": city.town}).json()[
        "speed"]["value"] == 9


def test_distributed_subscriptions_between_secured_brokers(make_broker, tmp_path, key, context_server,
                                                           receiver):  # noqa: F811
    jwks = str(tmp_path / "jwks.json")
    write_jwks(jwks, key)  # one identity provider for the district and its town

    def secured(admin):
        b = make_broker("--auth-issuer", ISSUER, "--auth-jwks", jwks, "--auth-admin", admin).start()
        b.key, b.town = key, link(context_server.base + "/town.jsonld")
        b.admin = who(b, admin)
        return b
    district, town = secured("district-admin"), secured("town-admin")
    grant(town, to="sub:district-service", role="reader", entityTypes=["Vehicle"])
    registration = {"type": "ContextSourceRegistration", "endpoint": town.url,
                    "information": [{"entities": [{"type": "Vehicle"}]}],
                    "contextSourceInfo": [{"key": "Authorization",
                                           "value": "Bearer " + key.token(sub="district-service")}]}
    r = requests.post(district.api + "/csourceRegistrations", json=registration, headers=district.admin)
    assert r.status_code == 201, r.text
    grant(district, to="sub:watcher", role="reader", entityTypes=["Vehicle"])
    body = {"type": "Subscription", "entities": [{"type": "Vehicle"}],
            "notification": {"endpoint": {"uri": receiver.url + "/secured"}}}
    r = requests.post(district.api + "/subscriptions", json=body, headers=who(district, "watcher"))
    assert r.status_code == 201, r.text
    # The copy at the town notifies the district with the district's notification key.
    deadline = time.time() + 5
    copies = []
    while not copies and time.time() < deadline:
        copies = [s for s in requests.get(town.api + "/subscriptions", headers=town.admin).json() if "distsub" in s["id"]]
        time.sleep(0.05)
    [copy] = copies
    [info] = copy["notification"]["endpoint"]["receiverInfo"]
    assert info["key"] == "Authorization" and info["value"].startswith("Bearer ank_")
    r = requests.post(town.api + "/entities", json={"id": "urn:ngsi-ld:Vehicle:9", "type": "Vehicle",
                                                    "speed": {"type": "Property", "value": 9}}, headers=town.admin)
    assert r.status_code == 201, r.text
    _, note = next_notification(receiver, "/notify/secured")
    assert [e["id"] for e in note["data"]] == ["urn:ngsi-ld:Vehicle:9"]
    # The key is good for notifications only, and only a notifier may post notifications.
    notification_key = {"Authorization": info["value"], "Link": district.town}
    assert_problem(requests.get(district.api + "/entities", params={"type": "Vehicle"}, headers=notification_key),
                   401, "Unauthorized")
    forged = {"type": "Notification", "subscriptionId": copy["id"], "data": []}
    assert_problem(requests.post(district.url + "/ngsi-ld/ex/remote-notify", json=forged,
                                 headers=who(district, "watcher")), 403, "Forbidden")
