"""Snapshots (clause 5.16, 6.36-6.38, the NGSILD-Snapshot header of 6.3.22):
create a snapshot from queries (a frozen copy of their results), read the
entities of a snapshot with the normal entity reads, update its priority and
lifetime, clone, delete and purge snapshots; errors for bad input, and
snapshots surviving a restart and kill -9.

Each test makes its own entity type (unique_type()), so the snapshots of one
test never see the entities of another; the tests share one broker.
"""
import calendar
import re
import time

import requests

from conftest import JSON, assert_problem, create_entity, unique_id

SNAPSHOT_HEADER = "NGSILD-Snapshot"


def unique_type():
    return "Vehicle" + re.sub(r"\W", "", unique_id("T").rsplit(":", 1)[1])


def vehicle(vtype, speed, **attrs):
    eid = unique_id(vtype)
    return {"id": eid, "type": vtype, "speed": {"type": "Property", "value": speed}, **attrs}


def fleet(broker, vtype, *speeds):
    """Creates one vehicle of type vtype per speed; returns their ids in that order."""
    ids = []
    for s in speeds:
        e = vehicle(vtype, s)
        create_entity(broker, e)
        ids.append(e["id"])
    return ids


def query(vtype, **members):
    return {"type": "Query", "entities": [{"type": vtype}], **members}


def post_snapshot(broker, body, headers=JSON):
    return requests.post(broker.api + "/snapshots", json=body, headers=headers)


def make_snapshot(broker, *queries, headers=JSON, **members):
    """Creates a snapshot (201 with Location) and returns its path below the API root."""
    r = post_snapshot(broker, {"type": "Snapshot", "snapshotQueries": list(queries), **members}, headers)
    assert r.status_code == 201, r.text
    location = r.headers["Location"]
    assert location.startswith("/ngsi-ld/v1/snapshots/"), location
    return location[len("/ngsi-ld/v1"):]


def read_snapshot(broker, path, headers=None):
    r = requests.get(broker.api + path, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def scoped(snapshot_id, **headers):
    return {SNAPSHOT_HEADER: snapshot_id, **headers}


def ids_of(entities):
    return sorted(e["id"] for e in entities)


def query_ids(broker, headers, **params):
    r = requests.get(broker.api + "/entities", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return ids_of(r.json())


# --- creating a snapshot and reading it ---------------------------------------------------------


def test_a_snapshot_freezes_the_result_of_its_query(broker):
    vtype = unique_type()
    fast, slow = fleet(broker, vtype, 80, 30)
    path = make_snapshot(broker, query(vtype, q="speed>50"))
    s = read_snapshot(broker, path)
    assert s["type"] == "Snapshot" and path.endswith(s["id"]), s
    assert s["snapshotStatus"] == "success"
    assert s["snapshotPriority"] == 5
    assert s["snapshotQueriesDetails"] == [{"resultStatus": "success"}]
    assert s["snapshotQueries"] == [query(vtype, q="speed>50")]
    assert s["createdAt"] and s["modifiedAt"] and s["lastUsedAt"]
    assert "expiresAt" not in s  # no snapshotLifetime: kept until deleted

    r = requests.get(broker.api + "/entities", params={"type": vtype}, headers=scoped(s["id"]))
    assert r.status_code == 200, r.text
    assert r.headers[SNAPSHOT_HEADER] == s["id"]
    assert ids_of(r.json()) == [fast]

    # later changes of the live entities do not reach the snapshot
    r = requests.patch(f"{broker.api}/entities/{fast}/attrs", json={"speed": {"type": "Property", "value": 10}},
                       headers=JSON)
    assert r.status_code == 204, r.text
    requests.delete(f"{broker.api}/entities/{slow}")
    frozen = requests.get(f"{broker.api}/entities/{fast}", headers=scoped(s["id"]))
    assert frozen.status_code == 200, frozen.text
    assert frozen.json()["speed"]["value"] == 80
    assert frozen.headers[SNAPSHOT_HEADER] == s["id"]
    assert requests.get(f"{broker.api}/entities/{fast}").json()["speed"]["value"] == 10
    # an entity the query did not select is not in the snapshot
    assert_problem(requests.get(f"{broker.api}/entities/{slow}", headers=scoped(s["id"])), 404, "ResourceNotFound")
    # new live entities do not appear in it either
    fleet(broker, vtype, 99)
    assert query_ids(broker, scoped(s["id"]), type=vtype) == [fast]


def test_snapshot_reads_use_every_read_path(broker):
    vtype = unique_type()
    a, b = fleet(broker, vtype, 60, 70)
    path = make_snapshot(broker, query(vtype))
    sid = read_snapshot(broker, path)["id"]
    r = requests.post(broker.api + "/entityOperations/query", json=query(vtype, q="speed>65"),
                      headers={**JSON, **scoped(sid)})
    assert r.status_code == 200, r.text
    assert ids_of(r.json()) == [b]
    r = requests.get(broker.api + "/entities", params={"type": vtype, "count": "true", "limit": 1},
                     headers=scoped(sid))
    assert r.status_code == 200 and r.headers["NGSILD-Results-Count"] == "2", r.text
    assert len(r.json()) == 1
    types = requests.get(broker.api + "/types", headers=scoped(sid)).json()
    assert types["typeList"] == [vtype], types  # only what the snapshot holds
    attrs = requests.get(broker.api + "/attributes", headers=scoped(sid)).json()
    assert attrs["attributeList"] == ["speed"], attrs
    r = requests.get(f"{broker.api}/entities/{a}", params={"options": "keyValues"}, headers=scoped(sid))
    assert r.json() == {"id": a, "type": vtype, "speed": 60}, r.text


def test_attrs_of_a_snapshot_query_select_the_attributes_copied(broker):
    vtype = unique_type()
    e = vehicle(vtype, 40, fuel={"type": "Property", "value": 0.5}, name={"type": "Property", "value": "bus 7"})
    create_entity(broker, e)
    sid = read_snapshot(broker, make_snapshot(broker, query(vtype, attrs=["speed", "fuel"])))["id"]
    copy = requests.get(f"{broker.api}/entities/{e['id']}", params={"options": "keyValues"}, headers=scoped(sid))
    assert copy.json() == {"id": e["id"], "type": vtype, "speed": 40, "fuel": 0.5}, copy.text


def test_status_empty_and_partial(broker):
    vtype = unique_type()
    fleet(broker, vtype, 50)
    empty = read_snapshot(broker, make_snapshot(broker, query(vtype + "None")))
    assert empty["snapshotStatus"] == "empty"
    assert empty["snapshotQueriesDetails"] == [{"resultStatus": "empty"}]
    assert query_ids(broker, scoped(empty["id"]), type=vtype) == []
    partial = read_snapshot(broker, make_snapshot(broker, query(vtype), query(vtype + "None")))
    assert partial["snapshotStatus"] == "partial"
    assert [d["resultStatus"] for d in partial["snapshotQueriesDetails"]] == ["success", "empty"]


def test_queries_of_a_snapshot_add_up(broker):
    vtype, other = unique_type(), unique_type()
    (a,) = fleet(broker, vtype, 1)
    (b,) = fleet(broker, other, 2)
    sid = read_snapshot(broker, make_snapshot(broker, query(vtype), query(other), snapshotPriority=7))["id"]
    assert query_ids(broker, scoped(sid), type=f"{vtype},{other}") == sorted([a, b])
    assert read_snapshot(broker, f"/snapshots/{sid}")["snapshotPriority"] == 7


def test_a_query_selecting_more_than_the_limit_fails_and_copies_nothing(make_broker):
    b = make_broker("--max-snapshot-entities", "2").start()
    vtype = unique_type()
    fleet(b, vtype, 1, 2, 3)
    (small,) = fleet(b, vtype + "Small", 4)
    s = read_snapshot(b, make_snapshot(b, query(vtype), query(vtype + "Small")))
    assert s["snapshotStatus"] == "partial"
    first, second = s["snapshotQueriesDetails"]
    assert first["resultStatus"] == "failed"
    assert first["problemDetails"]["type"] == "https://uri.etsi.org/ngsi-ld/errors/TooManyResults"
    assert "--max-snapshot-entities" in first["problemDetails"]["detail"]
    assert second == {"resultStatus": "success"}
    assert query_ids(b, scoped(s["id"]), type=f"{vtype},{vtype}Small") == [small]
    alone = read_snapshot(b, make_snapshot(b, query(vtype)))
    assert alone["snapshotStatus"] == "failed"


def test_snapshots_belong_to_their_tenant(broker):
    vtype = unique_type()
    tenant = {"NGSILD-Tenant": "snapshots-city"}
    e = vehicle(vtype, 5)
    create_entity(broker, e, headers={**JSON, **tenant})
    path = make_snapshot(broker, query(vtype), headers={**JSON, **tenant})
    sid = read_snapshot(broker, path, headers=tenant)["id"]
    r = requests.get(broker.api + "/entities", params={"type": vtype}, headers=scoped(sid, **tenant))
    assert r.status_code == 200 and ids_of(r.json()) == [e["id"]], r.text
    assert r.headers["NGSILD-Tenant"] == "snapshots-city"  # the client's tenant, not where the copy lives
    assert_problem(requests.get(broker.api + path), 404, "ResourceNotFound")
    assert_problem(requests.get(broker.api + "/entities", params={"type": vtype}, headers=scoped(sid)),
                   404, "ResourceNotFound")
    assert_problem(post_snapshot(broker, {"type": "Snapshot", "snapshotQueries": [query(vtype)]},
                                 {**JSON, "NGSILD-Tenant": "no-such-tenant"}), 404, "NonexistentTenant")


# --- the NGSILD-Snapshot header ---------------------------------------------------------------


def test_an_unknown_snapshot_is_not_found(broker):
    r = requests.get(broker.api + "/entities", params={"type": "Vehicle"},
                     headers=scoped("urn:ngsi-ld:Snapshot:absent"))
    body = assert_problem(r, 404, "ResourceNotFound")
    assert "urn:ngsi-ld:Snapshot:absent" in body["detail"]
    assert r.headers[SNAPSHOT_HEADER] == "urn:ngsi-ld:Snapshot:absent"


def test_a_snapshot_is_read_only(broker):
    vtype = unique_type()
    (eid,) = fleet(broker, vtype, 20)
    sid = read_snapshot(broker, make_snapshot(broker, query(vtype)))["id"]
    h = {**JSON, **scoped(sid)}
    refused = [
        requests.patch(f"{broker.api}/entities/{eid}/attrs", json={"speed": {"type": "Property", "value": 1}},
                       headers=h),
        requests.delete(f"{broker.api}/entities/{eid}", headers=h),
        requests.post(broker.api + "/entities", json=vehicle(vtype, 3), headers=h),
        requests.post(broker.api + "/entityOperations/upsert", json=[vehicle(vtype, 3)], headers=h),
        requests.get(f"{broker.api}/temporal/entities/{eid}", headers=h),
        requests.post(broker.api + "/subscriptions", headers=h,
                      json={"type": "Subscription", "entities": [{"type": vtype}],
                            "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}),
    ]
    for r in refused:
        body = assert_problem(r, 422, "OperationNotSupported")
        assert "snapshot" in body["detail"], body
        assert r.headers[SNAPSHOT_HEADER] == sid
    assert requests.get(f"{broker.api}/entities/{eid}", headers=scoped(sid)).json()["speed"]["value"] == 20
    assert requests.get(f"{broker.api}/entities/{eid}").json()["speed"]["value"] == 20


def test_a_use_of_the_snapshot_sets_last_used_at(broker):
    vtype = unique_type()
    fleet(broker, vtype, 20)
    path = make_snapshot(broker, query(vtype))
    before = read_snapshot(broker, path)
    time.sleep(0.01)
    # reading the snapshot itself is no use of it (the snapshot resources ignore the header, and echo it)
    r = requests.get(broker.api + path, headers=scoped(before["id"]))
    assert r.status_code == 200 and r.headers[SNAPSHOT_HEADER] == before["id"], r.text
    assert read_snapshot(broker, path)["lastUsedAt"] == before["lastUsedAt"]
    query_ids(broker, scoped(before["id"]), type=vtype)
    assert read_snapshot(broker, path)["lastUsedAt"] > before["lastUsedAt"]


# --- bad input -------------------------------------------------------------------------------


def test_create_rejects_bad_snapshots(broker):
    vtype = unique_type()
    bad = [
        ({"type": "Snapshot"}, 400, "BadRequestData", "snapshotQueries"),
        ({"type": "Snapshot", "snapshotQueries": []}, 400, "BadRequestData", "snapshotQueries"),
        ({"type": "Snapshot", "snapshotQueries": ["Vehicle"]}, 400, "BadRequestData", "Query"),
        ({"type": "Snapshot", "snapshotQueries": [query(vtype, temporalQ={"timerel": "after",
                                                                           "timeAt": "2020-01-01T00:00:00Z"})]},
         400, "BadRequestData", "temporalQ"),
        ({"type": "Snapshot", "snapshotQueries": [query(vtype, pick="speed")]}, 400, "BadRequestData", "pick"),
        ({"type": "Snapshot", "snapshotQueries": [{"type": "Query", "entities": [{"id": "urn:a"}]}]},
         400, "BadRequestData", "needs at least one of"),
        ({"type": "Snapshot", "snapshotQueries": [query(vtype, q="speed>>1")]}, 400, "BadRequestData", "operator"),
        ({"type": "Snapshot", "snapshotTemporalQueries": [query(vtype)]}, 422, "OperationNotSupported",
         "snapshotTemporalQueries"),
        ({"type": "Snapshot", "snapshotQueries": [query(vtype)], "endpoint": "http://127.0.0.1:9/"},
         422, "OperationNotSupported", "endpoint"),
        ({"type": "Snapshot", "snapshotQueries": [query(vtype)], "snapshotPriority": 11}, 400, "BadRequestData",
         "snapshotPriority"),
        ({"type": "Snapshot", "snapshotQueries": [query(vtype)], "snapshotPriority": "high"}, 400,
         "BadRequestData", "snapshotPriority"),
        ({"type": "Snapshot", "snapshotQueries": [query(vtype)], "snapshotLifetime": "a week"}, 400,
         "BadRequestData", "snapshotLifetime"),
        ({"type": "Snapshot", "snapshotQueries": [query(vtype)], "colour": "red"}, 400, "BadRequestData", "colour"),
        ({"type": "Subscription", "snapshotQueries": [query(vtype)]}, 400, "BadRequestData", "Snapshot"),
        ({"type": "Snapshot", "id": "not a uri", "snapshotQueries": [query(vtype)]}, 400, "BadRequestData", "id"),
    ]
    for body, status, error, word in bad:
        problem = assert_problem(post_snapshot(broker, body), status, error)
        assert word in problem["detail"], (body, problem)
    r = requests.post(broker.api + "/snapshots", data="{not json", headers=JSON)
    assert_problem(r, 400, "InvalidRequest")
    assert_problem(requests.post(broker.api + "/snapshots", params={"color": "red"},
                                 json={"type": "Snapshot", "snapshotQueries": [query(vtype)]}, headers=JSON),
                   400, "InvalidRequest")


def test_output_members_are_ignored_and_ids_are_unique(broker):
    vtype = unique_type()
    sid = unique_id("Snapshot")
    path = make_snapshot(broker, query(vtype), id=sid, snapshotStatus="success", lastUsedAt="2000-01-01T00:00:00Z")
    assert path == f"/snapshots/{sid}"
    s = read_snapshot(broker, path)
    assert s["snapshotStatus"] == "empty" and not s["lastUsedAt"].startswith("2000"), s
    again = post_snapshot(broker, {"type": "Snapshot", "id": sid, "snapshotQueries": [query(vtype)]})
    assert_problem(again, 409, "AlreadyExists")


def test_ld_json_snapshot_terms_use_the_body_context(broker, context_server):
    vtype = unique_type()
    (eid,) = fleet(broker, vtype, 5)
    body = {"@context": {"V": "https://uri.etsi.org/ngsi-ld/default-context/" + vtype},
            "type": "Snapshot", "snapshotQueries": [{"type": "Query", "entities": [{"type": "V"}]}]}
    r = post_snapshot(broker, body, {"Content-Type": "application/ld+json"})
    assert r.status_code == 201, r.text
    s = read_snapshot(broker, r.headers["Location"][len("/ngsi-ld/v1"):])
    assert s["snapshotStatus"] == "success"
    assert query_ids(broker, scoped(s["id"]), type=vtype) == [eid]


# --- update, delete, expiry ----------------------------------------------------------------------


def test_update_changes_priority_and_lifetime_only(broker):
    vtype = unique_type()
    fleet(broker, vtype, 1)
    path = make_snapshot(broker, query(vtype))
    url = broker.api + path
    r = requests.patch(url, json={"snapshotPriority": 2}, headers=JSON)
    assert r.status_code == 200, r.text
    assert r.json()["snapshotPriority"] == 2
    assert read_snapshot(broker, path)["snapshotPriority"] == 2

    r = requests.patch(url, json={"snapshotLifetime": "P90D"}, headers=JSON)
    s = r.json()
    assert s["snapshotLifetime"] == "P90D"
    created, expires = (calendar.timegm(time.strptime(s[m][:19], "%Y-%m-%dT%H:%M:%S"))
                        for m in ("createdAt", "expiresAt"))
    assert expires - created == 90 * 86400
    r = requests.patch(url, json={"snapshotLifetime": "urn:ngsi-ld:null"}, headers=JSON)
    assert "expiresAt" not in r.json() and "snapshotLifetime" not in r.json(), r.text

    for fragment, word in [({"snapshotQueries": []}, "snapshotQueries"), ({"snapshotStatus": "failed"}, "snapshotStatus"),
                           ({"id": "urn:x"}, "id"), ({"snapshotPriority": 0}, "snapshotPriority"),
                           ({"snapshotTemporalQueries": []}, "snapshotTemporalQueries")]:
        r = requests.patch(url, json=fragment, headers=JSON)
        assert r.status_code in (400, 422) and word in r.json()["detail"], r.text
    assert read_snapshot(broker, path)["snapshotPriority"] == 2  # refused updates changed nothing
    assert_problem(requests.patch(broker.api + "/snapshots/urn:ngsi-ld:Snapshot:absent",
                                  json={"snapshotPriority": 3}, headers=JSON), 404, "ResourceNotFound")


def test_delete_removes_the_snapshot_and_its_copy(broker):
    vtype = unique_type()
    fleet(broker, vtype, 1, 2)
    path = make_snapshot(broker, query(vtype))
    sid = read_snapshot(broker, path)["id"]
    store_tenants = snapshot_store_tenants(broker)
    r = requests.delete(broker.api + path)
    assert r.status_code == 204, r.text
    assert_problem(requests.get(broker.api + path), 404, "ResourceNotFound")
    assert_problem(requests.get(broker.api + "/entities", params={"type": vtype}, headers=scoped(sid)),
                   404, "ResourceNotFound")
    assert_problem(requests.delete(broker.api + path), 404, "ResourceNotFound")
    assert len(snapshot_store_tenants(broker)) == len(store_tenants) - 1  # its entities are gone
    assert_problem(requests.get(broker.api + "/snapshots/not%20a%20uri"), 400, "BadRequestData")


def snapshot_store_tenants(broker):
    """The store tenants holding snapshot entities, from /metrics: {tenant: entity count}."""
    text = requests.get(broker.url + "/metrics").text
    return {m[1]: int(m[2]) for m in re.finditer(r'allmende_entities\{tenant="(\.snapshot:[^"]+)"\} (\d+)', text)}


def test_an_expired_snapshot_is_gone(broker):
    vtype = unique_type()
    fleet(broker, vtype, 1)
    path = make_snapshot(broker, query(vtype), snapshotLifetime="PT1S")
    s = read_snapshot(broker, path)
    assert s["snapshotLifetime"] == "PT1S" and s["expiresAt"] > s["createdAt"]
    time.sleep(1.2)
    assert_problem(requests.get(broker.api + path), 404, "ResourceNotFound")
    assert_problem(requests.get(broker.api + "/entities", params={"type": vtype}, headers=scoped(s["id"])),
                   404, "ResourceNotFound")


# --- clone and purge -----------------------------------------------------------------------------


def test_a_clone_outlives_its_original(broker):
    vtype = unique_type()
    fast, _ = fleet(broker, vtype, 90, 10)
    path = make_snapshot(broker, query(vtype, q="speed>50"), snapshotPriority=3)
    original = read_snapshot(broker, path)
    r = requests.post(broker.api + path + "/clone", json={"type": "Snapshot", "snapshotPriority": 9}, headers=JSON)
    assert r.status_code == 201, r.text
    clone_path = r.headers["Location"][len("/ngsi-ld/v1"):]
    clone = read_snapshot(broker, clone_path)
    assert clone["id"] != original["id"]
    assert clone["snapshotStatus"] == "success" and clone["snapshotPriority"] == 9
    assert clone["snapshotQueries"] == original["snapshotQueries"]
    assert clone["snapshotQueriesDetails"] == original["snapshotQueriesDetails"]
    assert requests.delete(broker.api + path).status_code == 204
    assert query_ids(broker, scoped(clone["id"]), type=vtype) == [fast]
    # a clone without a body takes the defaults
    r = requests.post(broker.api + clone_path + "/clone")
    assert r.status_code == 201, r.text
    assert read_snapshot(broker, r.headers["Location"][len("/ngsi-ld/v1"):])["snapshotPriority"] == 5


def test_clone_errors(broker):
    vtype = unique_type()
    path = make_snapshot(broker, query(vtype))
    sid = read_snapshot(broker, path)["id"]
    assert_problem(requests.post(broker.api + "/snapshots/urn:ngsi-ld:Snapshot:absent/clone", json={},
                                 headers=JSON), 404, "ResourceNotFound")
    r = requests.post(broker.api + path + "/clone", json={"snapshotQueries": [query(vtype)]}, headers=JSON)
    assert "snapshotQueries" in assert_problem(r, 400, "BadRequestData")["detail"]
    r = requests.post(broker.api + path + "/clone", json={"id": sid}, headers=JSON)
    assert_problem(r, 409, "AlreadyExists")


def test_purge_removes_the_snapshots_its_q_matches(broker):
    tenant = {"NGSILD-Tenant": "snapshots-purge"}
    vtype = unique_type()
    create_entity(broker, vehicle(vtype, 1), headers={**JSON, **tenant})
    low = make_snapshot(broker, query(vtype), headers={**JSON, **tenant}, snapshotPriority=2)
    high = make_snapshot(broker, query(vtype), headers={**JSON, **tenant}, snapshotPriority=8)
    empty = make_snapshot(broker, query(vtype + "None"), headers={**JSON, **tenant}, snapshotPriority=9)
    default_tenant = make_snapshot(broker, query(vtype), snapshotPriority=1)

    for q, word in [("speed>50", "members of a Snapshot"), ("snapshotPriority>>", "operator")]:
        r = requests.delete(broker.api + "/snapshots", params={"q": q}, headers=tenant)
        assert word in assert_problem(r, 400, "BadRequestData")["detail"]
    assert_problem(requests.delete(broker.api + "/snapshots", headers=tenant), 400, "BadRequestData")
    assert requests.get(broker.api + low, headers=tenant).status_code == 200  # nothing purged

    r = requests.delete(broker.api + "/snapshots", params={"q": "snapshotPriority<5"}, headers=tenant)
    assert r.status_code == 204, r.text
    assert requests.get(broker.api + low, headers=tenant).status_code == 404
    assert requests.get(broker.api + high, headers=tenant).status_code == 200
    assert requests.get(broker.api + default_tenant).status_code == 200  # other tenants are untouched

    r = requests.delete(broker.api + "/snapshots", params={"q": 'snapshotStatus=="empty"'}, headers=tenant)
    assert r.status_code == 204, r.text
    assert requests.get(broker.api + empty, headers=tenant).status_code == 404
    assert requests.get(broker.api + high, headers=tenant).status_code == 200
    r = requests.delete(broker.api + "/snapshots", params={"q": "createdAt>2000-01-01T00:00:00Z"}, headers=tenant)
    assert r.status_code == 204, r.text
    assert requests.get(broker.api + high, headers=tenant).status_code == 404


# --- durability ----------------------------------------------------------------------------------


def test_snapshots_survive_restart_and_kill(make_broker):
    b = make_broker().start()
    vtype = unique_type()
    fast, _ = fleet(b, vtype, 80, 30)
    kept = make_snapshot(b, query(vtype, q="speed>50"), snapshotPriority=4, snapshotLifetime="P30D")
    before = read_snapshot(b, kept)
    dropped = make_snapshot(b, query(vtype))
    dropped_id = read_snapshot(b, dropped)["id"]
    time.sleep(0.01)
    query_ids(b, scoped(before["id"]), type=vtype)  # a use: lastUsedAt is kept by a clean stop
    used = read_snapshot(b, kept)["lastUsedAt"]
    assert requests.delete(b.api + dropped).status_code == 204
    assert b.stop() == 0

    b.start()
    after = read_snapshot(b, kept)
    assert after == {**before, "lastUsedAt": used}
    assert query_ids(b, scoped(before["id"]), type=vtype) == [fast]
    assert_problem(requests.get(b.api + dropped), 404, "ResourceNotFound")
    assert_problem(requests.get(b.api + "/entities", params={"type": vtype}, headers=scoped(dropped_id)),
                   404, "ResourceNotFound")
    assert len(snapshot_store_tenants(b)) == 1

    clone = requests.post(b.api + kept + "/clone", json={}, headers=JSON).headers["Location"][len("/ngsi-ld/v1"):]
    requests.patch(b.api + kept, json={"snapshotPriority": 6}, headers=JSON)
    b.kill()
    b.start()
    assert read_snapshot(b, kept)["snapshotPriority"] == 6
    assert query_ids(b, scoped(read_snapshot(b, clone)["id"]), type=vtype) == [fast]
    assert sorted(snapshot_store_tenants(b).values()) == [1, 1]
