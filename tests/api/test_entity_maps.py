"""EntityMaps (5.2.39, 5.5.14, 5.7.1.4, 5.14): a map made for a query (GET
/entityMaps or entityMap=true), retrieved, shortened (expiresAt) and deleted;
a query paging through a map sees its candidates only and prunes entities that
no longer match; maps are per tenant, bounded in lifetime, survive a restart of the
broker, and a map that is gone is replaced by a new one.
"""
import requests

from conftest import JSON, assert_problem, create_entity, entity_url, unique_id


def vehicles(broker, kind, speeds):
    ids = []
    for i, speed in enumerate(speeds):
        eid = f"{unique_id(kind)}-{i}"
        create_entity(broker, {"id": eid, "type": kind, "speed": {"type": "Property", "value": speed}})
        ids.append(eid)
    return ids


def map_id(response):
    return response.headers["NGSILD-EntityMap"].rsplit("/", 1)[1]


def map_url(broker, mid):
    return f"{broker.api}/entityMaps/{mid}"


def test_create_for_a_query_then_retrieve_update_delete(broker):
    kind = "V" + unique_id().rsplit("-", 1)[1]
    slow, fast = vehicles(broker, kind, [30, 90])
    r = requests.get(broker.api + "/entityMaps", params={"type": kind, "q": "speed>50"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["type"] == "EntityMap" and body["entityMap"] == {fast: ["@none"]}
    assert r.headers["NGSILD-EntityMap"] == f"/ngsi-ld/v1/entityMaps/{body['id']}"
    mid = map_id(r)
    got = requests.get(map_url(broker, mid))
    assert got.status_code == 200 and got.json()["entityMap"] == {fast: ["@none"]}
    assert got.json()["expiresAt"] == body["expiresAt"]
    r = requests.patch(map_url(broker, mid), headers=JSON,
                       json={"expiresAt": "2099-01-01T00:00:00Z", "entityMap": {"urn:x": ["@none"]}})
    assert r.status_code == 204
    got = requests.get(map_url(broker, mid)).json()
    assert got["expiresAt"] < "2099" and got["entityMap"] == {fast: ["@none"]}  # bounded; entityMap is the broker's
    assert_problem(requests.patch(map_url(broker, mid), headers=JSON, json={"expiresAt": "tomorrow"}), 400,
                   "BadRequestData")
    r = requests.delete(map_url(broker, mid))
    assert r.status_code == 204 and r.text == ""
    assert_problem(requests.get(map_url(broker, mid)), 404, "ResourceNotFound")
    assert_problem(requests.delete(map_url(broker, mid)), 404, "ResourceNotFound")
    assert slow  # the slow vehicle was left out by q


def test_errors(broker):
    assert_problem(requests.get(map_url(broker, "not a uri")), 400, "BadRequestData")
    assert_problem(requests.get(map_url(broker, "urn:ngsi-ld:EntityMap:none")), 404, "ResourceNotFound")
    assert_problem(requests.patch(map_url(broker, "urn:ngsi-ld:EntityMap:none"), headers=JSON,
                                  json={"expiresAt": "2099-01-01T00:00:00Z"}), 404, "ResourceNotFound")
    assert_problem(requests.get(broker.api + "/entityMaps", params={"id": "urn:a"}), 400, "BadRequestData")
    assert_problem(requests.get(broker.api + "/entityMaps", params={"type": "V", "entityMapLifetime": "1hour"}),
                   400, "BadRequestData")


def test_lifetime_is_bounded_and_an_expired_map_is_gone(broker):
    r = requests.get(broker.api + "/entityMaps", params={"type": "V", "entityMapLifetime": "P3650D"})
    assert r.status_code == 201
    assert r.json()["expiresAt"] < "2030"
    mid = map_id(r)
    assert requests.patch(map_url(broker, mid), headers=JSON,
                          json={"expiresAt": "2000-01-01T00:00:00Z"}).status_code == 204
    assert_problem(requests.get(map_url(broker, mid)), 404, "ResourceNotFound")


def test_maps_belong_to_their_tenant(broker):
    tenant = {"NGSILD-Tenant": "maps"}
    kind = "V" + unique_id().rsplit("-", 1)[1]
    r = requests.post(broker.api + "/entities", headers={**JSON, **tenant},
                      json={"id": unique_id(kind), "type": kind})
    assert r.status_code == 201
    r = requests.get(broker.api + "/entityMaps", params={"type": kind}, headers=tenant)
    mid = map_id(r)
    assert requests.get(map_url(broker, mid)).status_code == 404
    assert requests.delete(map_url(broker, mid)).status_code == 404
    assert requests.get(map_url(broker, mid), headers=tenant).status_code == 200


def test_query_with_a_map_pages_its_candidates_and_prunes(broker):
    kind = "V" + unique_id().rsplit("-", 1)[1]
    ids = vehicles(broker, kind, [50] * 5)
    r = requests.get(broker.api + "/entities", params={"type": kind, "entityMap": "true", "limit": 2})
    assert r.status_code == 201, r.text
    assert [e["id"] for e in r.json()] == ids[:2]
    location = r.headers["NGSILD-EntityMap"]
    late = vehicles(broker, kind, [50])[0]  # created after the map: not a candidate
    assert requests.delete(entity_url(broker, ids[1])).status_code == 204
    r = requests.get(broker.api + "/entities", params={"type": kind, "limit": 3, "count": "true"},
                     headers={"NGSILD-EntityMap": location})
    assert r.status_code == 200
    assert [e["id"] for e in r.json()] == [ids[0], ids[2], ids[3]]
    assert r.headers["NGSILD-Results-Count"] == "4" and r.headers["NGSILD-EntityMap"] == location
    assert 'rel="next"' in r.headers["Link"] and "offset=3" in r.headers["Link"]
    kept = requests.get(broker.api + location.removeprefix("/ngsi-ld/v1")).json()["entityMap"]
    assert sorted(kept) == sorted([ids[0], ids[2], ids[3], ids[4]]) and late not in kept


def test_retrieve_with_a_map_flag_or_a_dead_reference_makes_a_map(broker):
    kind = "V" + unique_id().rsplit("-", 1)[1]
    eid = vehicles(broker, kind, [1])[0]
    r = requests.get(entity_url(broker, eid), params={"entityMap": "true"})
    assert r.status_code == 200 and r.json()["id"] == eid and "entityMap" not in r.json()
    location = r.headers["NGSILD-EntityMap"]
    assert requests.get(broker.api + location.removeprefix("/ngsi-ld/v1")).json()["entityMap"] == {eid: ["@none"]}
    r = requests.get(entity_url(broker, eid), headers={"NGSILD-EntityMap": location})
    assert r.headers["NGSILD-EntityMap"] == location  # a live map is echoed
    r = requests.get(entity_url(broker, eid), headers={"NGSILD-EntityMap": "urn:ngsi-ld:EntityMap:dead"})
    assert r.status_code == 200 and "dead" not in r.headers["NGSILD-EntityMap"]


def test_a_map_survives_a_restart(make_broker):
    b = make_broker().start()
    kind = "V" + unique_id().rsplit("-", 1)[1]
    ids = vehicles(b, kind, [50] * 3)
    r = requests.get(b.api + "/entities", params={"type": kind, "entityMap": "true", "limit": 1})
    assert r.status_code == 201, r.text
    location = r.headers["NGSILD-EntityMap"]
    assert b.stop() == 0
    b.start(b.port)
    r = requests.get(b.api + "/entities", params={"type": kind, "limit": 2, "offset": 1},
                     headers={"NGSILD-EntityMap": location})
    assert r.status_code == 200 and r.headers["NGSILD-EntityMap"] == location
    assert [e["id"] for e in r.json()] == ids[1:]
