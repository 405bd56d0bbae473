"""Federation (4.3.6, 5.7.1, 5.7.2 with registrations): a district broker over
two town brokers on loopback answers queries with both towns' entities in one
stable order, retrieves merge attributes per registration mode, a stopped
town yields a partial answer with an NGSILD-Warning and is then skipped
during its cooldown, crossed registrations do not loop (Via), local=true stays
local; what a forwarded request carries (Link, Accept, Via, the
registration's tenant and contextSourceInfo, narrowed attrs) and how source
failures are reported (199 no answer, 299 an error, 111 unreadable, nothing
for 404), seen by a fake source.
"""
import http.server
import json
import queue
import threading
import urllib.parse

import pytest
import requests

from conftest import JSON, assert_problem, link


def register(broker, endpoint, headers=JSON, **members):
    body = {"type": "ContextSourceRegistration", "information": [{"entities": [{"type": "Building"}]}],
            "endpoint": endpoint, **members}
    r = requests.post(broker.api + "/csourceRegistrations", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.headers["Location"].rsplit("/", 1)[1]


def building(broker, eid, **attrs):
    body = {"id": eid, "type": "Building", **{k: {"type": "Property", "value": v} for k, v in attrs.items()}}
    r = requests.post(broker.api + "/entities", json=body, headers=JSON)
    assert r.status_code == 201, r.text


def ids(response):
    assert response.status_code == 200, response.text
    return [e["id"] for e in response.json()]


@pytest.fixture
def towns(make_broker):
    """A district and two towns, each town registered at the district for its Buildings."""
    district, a, b = make_broker().start(), make_broker().start(), make_broker().start()
    for i in range(3):
        building(a, f"urn:ngsi-ld:Building:a{i}", name=f"A{i}")
        building(b, f"urn:ngsi-ld:Building:b{i}", name=f"B{i}")
    building(district, "urn:ngsi-ld:Building:d0", name="D0")
    management = {"timeout": 1000, "cooldown": 60000}
    ra = register(district, a.api.rsplit("/ngsi-ld/v1", 1)[0], management=management)
    rb = register(district, b.api.rsplit("/ngsi-ld/v1", 1)[0], management=management)
    return district, a, b, ra, rb


def test_a_district_query_answers_every_towns_entities_in_one_stable_order(towns):
    district, a, b, _, _ = towns
    everyone = [f"urn:ngsi-ld:Building:{t}{i}" for t in "ab" for i in range(3)] + ["urn:ngsi-ld:Building:d0"]
    r = requests.get(district.api + "/entities", params={"type": "Building", "count": "true", "limit": 100})
    assert ids(r) == sorted(everyone)
    assert r.headers["NGSILD-Results-Count"] == "7"
    assert "NGSILD-Warning" not in r.headers
    pages = []
    for offset in range(0, 7, 3):  # pages neither repeat nor skip an entity
        pages += ids(requests.get(district.api + "/entities", params={"type": "Building", "limit": 3, "offset": offset}))
    assert pages == sorted(everyone)
    # the towns' q is applied by the towns
    assert ids(requests.get(district.api + "/entities", params={"type": "Building", "q": 'name=="B1"'})) == \
        ["urn:ngsi-ld:Building:b1"]
    # local=true asks no one
    assert ids(requests.get(district.api + "/entities", params={"type": "Building", "local": "true"})) == \
        ["urn:ngsi-ld:Building:d0"]
    # a retrieve finds a town's entity
    r = requests.get(district.api + "/entities/urn:ngsi-ld:Building:a1")
    assert r.status_code == 200 and r.json()["name"]["value"] == "A1"
    assert_problem(requests.get(district.api + "/entities/urn:ngsi-ld:Building:a1", params={"local": "true"}), 404,
                   "ResourceNotFound")
    assert_problem(requests.get(district.api + "/entities", params={"type": "Building", "orderBy": "name"}), 400,
                   "BadRequestData")
    # the registrations count what was sent
    reg = requests.get(f"{district.api}/csourceRegistrations", params={"type": "Building"}).json()[0]
    assert reg["status"] == "ok" and reg["timesSent"] >= 1 and "lastSuccess" in reg


def test_a_stopped_town_gives_a_partial_answer_then_is_skipped_during_its_cooldown(towns):
    district, a, b, ra, rb = towns
    b.kill()
    r = requests.get(district.api + "/entities", params={"type": "Building"})
    assert ids(r) == ["urn:ngsi-ld:Building:a0", "urn:ngsi-ld:Building:a1", "urn:ngsi-ld:Building:a2",
                      "urn:ngsi-ld:Building:d0"]
    assert r.headers["NGSILD-Warning"].startswith("199 " + rb) and "no answer" in r.headers["NGSILD-Warning"]
    r = requests.get(district.api + "/entities", params={"type": "Building"})
    assert len(ids(r)) == 4 and "not asked" in r.headers["NGSILD-Warning"] and "cools down" in r.headers["NGSILD-Warning"]
    reg = requests.get(f"{district.api}/csourceRegistrations/{rb}").json()
    assert reg["status"] == "failed" and reg["timesFailed"] == 1 and "lastFailure" in reg


def test_retrieve_merges_attributes_by_mode(make_broker):
    district, town = make_broker().start(), make_broker().start()
    eid = "urn:ngsi-ld:Building:merged"
    building(district, eid, name="local name", height=10)
    building(town, eid, name="town name", floors=3, height=12)
    base = town.api.rsplit("/ngsi-ld/v1", 1)[0]
    register(district, base, mode="auxiliary")  # fills in, never overrides
    got = requests.get(f"{district.api}/entities/{eid}").json()
    assert got["name"]["value"] == "local name" and got["height"]["value"] == 10 and got["floors"]["value"] == 3
    # with sysAttrs the sources are asked for their system times, and they are shown
    theirs = requests.get(f"{town.api}/entities/{eid}", params={"options": "sysAttrs"}).json()
    got = requests.get(f"{district.api}/entities/{eid}", params={"options": "sysAttrs"}).json()
    assert got["floors"]["createdAt"] == theirs["floors"]["createdAt"]
    got = requests.get(f"{district.api}/entities", params={"type": "Building", "options": "sysAttrs"}).json()
    assert got[0]["floors"]["modifiedAt"] == theirs["floors"]["modifiedAt"]
    # an exclusive registration alone provides its attributes
    register(district, base, mode="exclusive",
             information=[{"entities": [{"id": eid, "type": "Building"}], "propertyNames": ["floors"]}])
    got = requests.get(f"{district.api}/entities/{eid}", params={"attrs": "floors,name"}).json()
    assert got["floors"]["value"] == 3 and got["name"]["value"] == "local name" and "height" not in got


def test_crossed_registrations_do_not_loop(make_broker):
    a, b = make_broker().start(), make_broker().start()
    building(a, "urn:ngsi-ld:Building:in-a", name="A")
    building(b, "urn:ngsi-ld:Building:in-b", name="B")
    register(a, b.api.rsplit("/ngsi-ld/v1", 1)[0])
    register(b, a.api.rsplit("/ngsi-ld/v1", 1)[0])
    for broker in (a, b):
        r = requests.get(broker.api + "/entities", params={"type": "Building"}, timeout=10)
        assert ids(r) == ["urn:ngsi-ld:Building:in-a", "urn:ngsi-ld:Building:in-b"]
        # the broker that saw the request come back said so (199), and that warning came back too
        warning = r.headers["NGSILD-Warning"]
        assert warning.startswith("199 allmende-") and "registration loop detected" in warning
        assert requests.get(broker.api + "/entities/urn:ngsi-ld:Building:in-b").json()["name"]["value"] == "B"


class _Source(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.bodies.put(json.loads(body))
        self.do_GET()

    def do_DELETE(self):
        self.do_GET()

    def do_GET(self):
        self.server.seen.put((self.path, dict(self.headers)))
        status, body = self.server.answer
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def source():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Source)
    server.seen = queue.Queue()
    server.bodies = queue.Queue()
    server.answer = (200, "[]")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/town"
    yield server
    server.shutdown()


def test_what_a_forwarded_request_carries(make_broker, source, context_server):
    district = make_broker().start()
    ctx = context_server.base + "/test-context.jsonld"
    register(district, source.url, headers={**JSON, "Link": link(ctx)}, tenant="town-a",
             information=[{"entities": [{"type": "Building"}], "propertyNames": ["name"]}],
             contextSourceInfo=[{"key": "Authorization", "value": "Bearer town-token"},
                                {"key": "X-User", "value": "urn:ngsi-ld:request"},
                                {"key": "Via", "value": "1.1 evil"}])
    source.answer = (200, json.dumps({"id": "urn:ngsi-ld:Building:x", "type": "Building",
                                      "name": {"type": "Property", "value": "from the town"}}))
    r = requests.get(district.api + "/entities/urn:ngsi-ld:Building:x",
                     headers={"Link": link(ctx), "X-User": "clerk", "Via": "1.1 gateway"},
                     params={"attrs": "name,temperature"})
    assert r.status_code == 200 and r.json()["name"]["value"] == "from the town"
    path, headers = source.seen.get(timeout=5)
    assert path == "/town/ngsi-ld/v1/entities/urn:ngsi-ld:Building:x?attrs=name"  # narrowed to what it provides
    assert headers["Link"].startswith(f"<{ctx}>")
    assert headers["Accept"] == "application/json"
    assert headers["NGSILD-Tenant"] == "town-a"
    assert headers["Authorization"] == "Bearer town-token" and headers["X-User"] == "clerk"
    assert headers["Via"].startswith("1.1 gateway, 1.1 allmende-") and "evil" not in headers["Via"]
    # a request that already passed this broker is not forwarded again
    r = requests.get(district.api + "/entities/urn:ngsi-ld:Building:x", headers={"Via": headers["Via"]})
    assert r.status_code == 404 and source.seen.empty()


def test_source_failures_are_warnings(make_broker, source):
    district = make_broker().start()
    building(district, "urn:ngsi-ld:Building:here", name="here")
    rid = register(district, source.url)
    for answer, warning in (((403, "{}"), "299 " + rid), ((200, "not a json document"), "111 " + rid),
                            ((200, '[{"id": "urn:x"}]'), "111 " + rid), ((404, ""), None)):
        source.answer = answer
        r = requests.get(district.api + "/entities", params={"type": "Building"})
        assert ids(r) == ["urn:ngsi-ld:Building:here"], answer
        assert r.headers.get("NGSILD-Warning", "")[:len(warning or "")] == (warning or ""), answer
        if warning is None:
            assert "NGSILD-Warning" not in r.headers
        r = requests.get(district.api + "/entities/urn:ngsi-ld:Building:gone")
        assert r.status_code == 404
        assert (warning is None) == ("NGSILD-Warning" not in r.headers), answer


def test_writes_go_where_the_registrations_say(make_broker):
    district, town = make_broker().start(), make_broker().start()
    base = town.api.rsplit("/ngsi-ld/v1", 1)[0]
    meter = "urn:ngsi-ld:WaterMeter:001"
    # an IoT agent (here: the town) owns the meter's reading
    register(district, base, mode="exclusive", operations=["redirectionOps"],
             information=[{"entities": [{"id": meter, "type": "WaterMeter"}], "propertyNames": ["reading"]}])
    r = requests.post(district.api + "/entities", headers=JSON, json={
        "id": meter, "type": "WaterMeter", "reading": {"type": "Property", "value": 5},
        "owner": {"type": "Property", "value": "district"}})
    assert r.status_code == 201, r.text
    here = requests.get(f"{district.api}/entities/{meter}", params={"local": "true"}).json()
    there = requests.get(f"{town.api}/entities/{meter}").json()
    assert "reading" not in here and here["owner"]["value"] == "district"
    assert there["reading"]["value"] == 5 and "owner" not in there
    # a command-like update of the reading reaches the town only
    r = requests.patch(f"{district.api}/entities/{meter}/attrs/reading", headers=JSON, json={"value": 9})
    assert r.status_code == 204, r.text
    assert requests.get(f"{town.api}/entities/{meter}").json()["reading"]["value"] == 9
    r = requests.patch(f"{district.api}/entities/{meter}/attrs", headers=JSON,
                       json={"reading": {"type": "Property", "value": 11}, "owner": {"type": "Property", "value": "d"}})
    assert r.status_code == 204, r.text
    assert requests.get(f"{town.api}/entities/{meter}").json()["reading"]["value"] == 11
    assert requests.get(f"{district.api}/entities/{meter}", params={"local": "true"}).json()["owner"]["value"] == "d"
    # a redirect registration takes whole entities; one that does not allow the operation is a Conflict
    bus = "urn:ngsi-ld:Bus:7"
    register(district, base, mode="redirect", operations=["retrieveOps"],
             information=[{"entities": [{"id": bus, "type": "Bus"}]}])
    r = requests.post(district.api + "/entities", headers=JSON, json={"id": bus, "type": "Bus"})
    assert_problem(r, 409, "Conflict")
    # deleting reaches both parts; with the town stopped the answer says which part failed
    town.kill()
    r = requests.delete(f"{district.api}/entities/{meter}")
    assert r.status_code == 207, r.text
    body = r.json()
    assert body["success"] == [meter] and body["errors"][0]["entityId"] == meter
    assert body["errors"][0]["registrationId"].startswith("urn:ngsi-ld:ContextSourceRegistration:")
    assert_problem(requests.get(f"{district.api}/entities/{meter}", params={"local": "true"}), 404,
                   "ResourceNotFound")


def test_inclusive_writes_happen_here_and_there(make_broker):
    district, town = make_broker().start(), make_broker().start()
    register(district, town.api.rsplit("/ngsi-ld/v1", 1)[0], operations=["redirectionOps"])
    r = requests.post(district.api + "/entities", headers=JSON,
                      json={"id": "urn:ngsi-ld:Building:both", "type": "Building",
                            "name": {"type": "Property", "value": "both"}})
    assert r.status_code == 201 and r.headers["Location"] == "/ngsi-ld/v1/entities/urn:ngsi-ld:Building:both"
    for b in (district, town):
        assert requests.get(b.api + "/entities/urn:ngsi-ld:Building:both",
                            params={"local": "true"}).json()["name"]["value"] == "both"
    # the town has it already: a second create is refused there and here, each part reported
    r = requests.post(district.api + "/entities", headers=JSON,
                      json={"id": "urn:ngsi-ld:Building:both", "type": "Building"})
    assert r.status_code == 207 and [e["error"]["status"] for e in r.json()["errors"]] == [409, 409]


def test_a_write_that_comes_back_to_this_broker_is_a_loop(make_broker, source):
    district = make_broker().start()
    register(district, source.url, mode="redirect", operations=["redirectionOps"],
             information=[{"entities": [{"id": "urn:ngsi-ld:Building:loop", "type": "Building"}]}])
    via = requests.get(district.api + "/entities/urn:ngsi-ld:Building:loop")
    _, headers = source.seen.get(timeout=5)
    r = requests.delete(district.api + "/entities/urn:ngsi-ld:Building:loop", headers={"Via": headers["Via"]})
    assert_problem(r, 508, "LoopDetected")
    assert via.status_code == 404
    # a broker registered as the redirect source of its own entity: the write comes back, and
    # the client gets the 508 itself, not wrapped in a 207
    register(district, district.url, mode="redirect", operations=["redirectionOps"],
             information=[{"entities": [{"id": "urn:ngsi-ld:Building:self", "type": "Building"}]}])
    r = requests.patch(district.api + "/entities/urn:ngsi-ld:Building:self/attrs", headers=JSON,
                       json={"name": {"type": "Property", "value": "x"}})
    assert_problem(r, 508, "LoopDetected")


def test_post_queries_and_query_batch_sources(make_broker, source):
    district = make_broker().start()
    building(district, "urn:ngsi-ld:Building:here", name="here")
    register(district, source.url)
    source.answer = (200, json.dumps([{"id": "urn:ngsi-ld:Building:there", "type": "Building"}]))
    query = {"type": "Query", "entities": [{"type": "Building"}], "q": 'name=="here"'}
    r = requests.post(district.api + "/entityOperations/query", json=query, headers=JSON)
    assert ids(r) == ["urn:ngsi-ld:Building:here", "urn:ngsi-ld:Building:there"]
    path, _ = source.seen.get(timeout=5)
    assert path.startswith("/town/ngsi-ld/v1/entities?type=Building&q=name%3D%3D%22here%22")
    # with splitEntities the sources get the entity selection only
    r = requests.get(district.api + "/entities", params={"type": "Building", "q": 'name=="here"', "splitEntities": "true"})
    assert r.status_code == 200
    path, _ = source.seen.get(timeout=5)
    assert "type=Building" in path and "q=" not in path
    # a source that only allows queryBatch gets the query as a Query body
    source.answer = (200, "[]")
    register(district, source.url, operations=["queryBatch"],
             information=[{"entities": [{"type": "Vehicle"}]}])
    r = requests.get(district.api + "/entities", params={"type": "Vehicle", "attrs": "speed"})
    assert ids(r) == []
    path, _ = source.seen.get(timeout=5)
    assert path.startswith("/town/ngsi-ld/v1/entityOperations/query?limit=")
    assert source.bodies.get(timeout=5) == {"type": "Query", "entities": [{"type": "Vehicle"}], "attrs": ["speed"]}
    assert_problem(requests.post(district.api + "/entityOperations/query", headers=JSON,
                                 json={**query, "ordering": {"orderBy": ["name"]}}), 400, "BadRequestData")


def test_batches_are_split_between_here_and_the_sources(make_broker):
    district, town = make_broker().start(), make_broker().start()
    base = town.api.rsplit("/ngsi-ld/v1", 1)[0]
    register(district, base, mode="redirect", operations=["createBatch", "upsertBatch", "deleteBatch"],
             information=[{"entities": [{"idPattern": "^urn:ngsi-ld:Bus:", "type": "Bus"}]}])
    batch = [{"id": "urn:ngsi-ld:Bus:1", "type": "Bus", "line": {"type": "Property", "value": 7}},
             {"id": "urn:ngsi-ld:Bus:2", "type": "Bus"},
             {"id": "urn:ngsi-ld:Building:9", "type": "Building"}]
    r = requests.post(district.api + "/entityOperations/create", json=batch, headers=JSON)
    assert r.status_code == 201 and sorted(r.json()) == sorted(e["id"] for e in batch), r.text
    assert ids(requests.get(town.api + "/entities", params={"type": "Bus"})) == ["urn:ngsi-ld:Bus:1", "urn:ngsi-ld:Bus:2"]
    assert ids(requests.get(district.api + "/entities", params={"local": "true", "type": "Bus,Building"})) == \
        ["urn:ngsi-ld:Building:9"]
    # an update batch is not allowed by the registration: the buses' part is a Conflict
    r = requests.post(district.api + "/entityOperations/update", headers=JSON,
                      json=[{"id": "urn:ngsi-ld:Bus:1", "type": "Bus", "line": {"type": "Property", "value": 8}},
                            {"id": "urn:ngsi-ld:Building:9", "type": "Building",
                             "name": {"type": "Property", "value": "n"}}])
    assert r.status_code == 207, r.text
    assert r.json()["success"] == ["urn:ngsi-ld:Building:9"]
    assert [(e["entityId"], e["error"]["status"]) for e in r.json()["errors"]] == [("urn:ngsi-ld:Bus:1", 409)]
    r = requests.post(district.api + "/entityOperations/delete", headers=JSON,
                      json=["urn:ngsi-ld:Bus:1", "urn:ngsi-ld:Bus:2", "urn:ngsi-ld:Building:9"])
    assert r.status_code == 204, r.text
    assert ids(requests.get(town.api + "/entities", params={"type": "Bus"})) == []
    # an upsert that makes an entity at the source answers 201 with it; the same again 204
    upsert = [{"id": "urn:ngsi-ld:Bus:3", "type": "Bus", "line": {"type": "Property", "value": 9}}]
    r = requests.post(district.api + "/entityOperations/upsert", json=upsert, headers=JSON)
    assert r.status_code == 201 and r.json() == ["urn:ngsi-ld:Bus:3"], r.text
    r = requests.post(district.api + "/entityOperations/upsert", json=upsert, headers=JSON)
    assert r.status_code == 204, r.text


def test_a_purge_reaches_the_sources_with_the_clients_selection(make_broker, source):
    district = make_broker().start()
    building(district, "urn:ngsi-ld:Building:gone-here", name="x")
    register(district, source.url, operations=["purgeEntity"])
    source.answer = (204, "")
    r = requests.delete(district.api + "/entities", params={"type": "Building"})
    assert r.status_code == 204, r.text
    path, _ = source.seen.get(timeout=5)
    assert path == "/town/ngsi-ld/v1/entities?type=Building"
    assert_problem(requests.get(district.api + "/entities/urn:ngsi-ld:Building:gone-here", params={"local": "true"}),
                   404, "ResourceNotFound")


def test_an_attribute_write_matches_by_the_bodys_own_context(make_broker, context_server):
    district, town = make_broker().start(), make_broker().start()
    ctx = context_server.base + "/test-context.jsonld"
    eid = "urn:ngsi-ld:Building:ld"
    register(district, town.api.rsplit("/ngsi-ld/v1", 1)[0], headers={**JSON, "Link": link(ctx)}, mode="exclusive",
             operations=["redirectionOps"],
             information=[{"entities": [{"id": eid, "type": "Building"}], "propertyNames": ["name"]}])
    r = requests.post(town.api + "/entities", headers={**JSON, "Link": link(ctx)},
                      json={"id": eid, "type": "Building", "name": {"type": "Property", "value": "old"}})
    assert r.status_code == 201
    # "name" means ex:name only through the body's @context
    r = requests.patch(f"{district.api}/entities/{eid}/attrs/name", headers={"Content-Type": "application/ld+json"},
                       json={"value": "new", "@context": ctx})
    assert r.status_code == 204, r.text
    got = requests.get(f"{town.api}/entities/{eid}", headers={"Link": link(ctx)}).json()
    assert got["name"]["value"] == "new"


def test_an_entity_map_pages_a_distributed_query_consistently(towns):
    district, a, b, ra, rb = towns
    r = requests.get(district.api + "/entities", params={"type": "Building", "entityMap": "true", "limit": 3})
    assert r.status_code == 201, r.text
    assert [e["id"] for e in r.json()] == ["urn:ngsi-ld:Building:a0", "urn:ngsi-ld:Building:a1",
                                           "urn:ngsi-ld:Building:a2"]
    ref = r.headers["NGSILD-EntityMap"]
    map_id = ref.rsplit("/", 1)[1]
    held = requests.get(f"{district.api}/entityMaps/{map_id}").json()["entityMap"]
    assert held == {**{f"urn:ngsi-ld:Building:a{i}": [ra] for i in range(3)},
                    **{f"urn:ngsi-ld:Building:b{i}": [rb] for i in range(3)},
                    "urn:ngsi-ld:Building:d0": ["@none"]}
    # entities created after the map was made are not on its pages; one deleted meanwhile drops out
    building(a, "urn:ngsi-ld:Building:a9", name="A9")
    building(district, "urn:ngsi-ld:Building:c0", name="C0")
    assert requests.delete(b.api + "/entities/urn:ngsi-ld:Building:b0").status_code == 204
    pages = []
    for offset in (0, 3, 6):
        r = requests.get(district.api + "/entities", params={"type": "Building", "limit": 3, "offset": offset,
                                                            "count": "true"},
                         headers={"NGSILD-EntityMap": ref})
        pages.append(ids(r))
        assert r.headers["NGSILD-EntityMap"] == ref
    assert pages[0] == ["urn:ngsi-ld:Building:a0", "urn:ngsi-ld:Building:a1", "urn:ngsi-ld:Building:a2"]
    # b0 is gone: pruned from the map on the page it would have been on, the page still full
    assert pages[1] == ["urn:ngsi-ld:Building:b1", "urn:ngsi-ld:Building:b2", "urn:ngsi-ld:Building:d0"]
    assert pages[2] == []
    held = requests.get(f"{district.api}/entityMaps/{map_id}").json()["entityMap"]
    assert "urn:ngsi-ld:Building:b0" not in held and len(held) == 6
    # a filter is checked again on every page
    r = requests.get(district.api + "/entities", params={"type": "Building", "q": 'name=="B2"', "limit": 3, "offset": 3},
                     headers={"NGSILD-EntityMap": ref})
    assert ids(r) == ["urn:ngsi-ld:Building:b2"]
    held = requests.get(f"{district.api}/entityMaps/{map_id}").json()["entityMap"]
    assert sorted(held) == ["urn:ngsi-ld:Building:a0", "urn:ngsi-ld:Building:a1", "urn:ngsi-ld:Building:a2",
                            "urn:ngsi-ld:Building:b2"]  # what no longer fits is gone from the map
    # a deleted map is made again on use
    assert requests.delete(f"{district.api}/entityMaps/{map_id}").status_code == 204
    r = requests.get(district.api + "/entities", params={"type": "Building", "limit": 100},
                     headers={"NGSILD-EntityMap": ref})
    assert r.status_code == 201 and r.headers["NGSILD-EntityMap"] != ref
    assert {"urn:ngsi-ld:Building:a9", "urn:ngsi-ld:Building:c0"} <= {e["id"] for e in r.json()}


def test_entities_gone_from_an_entity_map_make_no_page_skip_another(towns):
    district, a, b, ra, rb = towns
    r = requests.get(district.api + "/entities", params={"type": "Building", "entityMap": "true", "limit": 2})
    assert r.status_code == 201, r.text
    ref = r.headers["NGSILD-EntityMap"]
    for gone in ("a1", "a2"):  # two of one page's window
        assert requests.delete(f"{a.api}/entities/urn:ngsi-ld:Building:{gone}").status_code == 204
    walked, offset = [], 0
    while True:
        r = requests.get(district.api + "/entities", params={"type": "Building", "limit": 2, "offset": offset},
                         headers={"NGSILD-EntityMap": ref})
        walked += ids(r)
        if 'rel="next"' not in r.headers.get("Link", ""):
            break
        offset += 2
    assert walked == ["urn:ngsi-ld:Building:a0", "urn:ngsi-ld:Building:b0", "urn:ngsi-ld:Building:b1",
                      "urn:ngsi-ld:Building:b2", "urn:ngsi-ld:Building:d0"]


def test_the_alias_names_this_broker_in_via_and_sources_are_known_by_theirs(make_broker, source):
    district = make_broker("--alias", "landkreis-1").start()
    r = requests.get(district.api + "/info/sourceIdentity")
    assert r.json()["contextSourceAlias"] == "landkreis-1"
    # an endpoint may carry the API's path; top-level localOnly is management.localOnly
    register(district, source.url + "/ngsi-ld/v1", localOnly=True, contextSourceAlias="town-b-broker")
    assert ids(requests.get(district.api + "/entities", params={"type": "Building"}, headers={"Via": "1.1 gw"})) == []
    path, headers = source.seen.get(timeout=5)
    assert path.startswith("/town/ngsi-ld/v1/entities?") and "local=true" in path
    assert headers["Via"] == "1.1 gw, 1.1 landkreis-1"
    # a request that comes from the source a registration names is not sent back to it
    assert ids(requests.get(district.api + "/entities", params={"type": "Building"},
                            headers={"Via": "1.1 town-b-broker"})) == []
    assert source.seen.empty()
    assert_problem(requests.post(district.api + "/csourceRegistrations", headers=JSON,
                                 json={"type": "ContextSourceRegistration", "endpoint": source.url, "localOnly": "yes",
                                       "information": [{"entities": [{"type": "Building"}]}]}),
                   400, "BadRequestData")
    with pytest.raises(RuntimeError, match="token"):  # an alias that cannot be a Via pseudonym
        make_broker("--alias", "no spaces").start()


def temporal(broker, eid, speeds):
    """A Vehicle with a speed instance per (value, day of May 2026)."""
    body = {"id": eid, "type": "Vehicle",
            "speed": [{"type": "Property", "value": v, "observedAt": f"2026-05-{d:02d}T00:00:00Z"} for v, d in speeds]}
    r = requests.post(broker.api + "/temporal/entities", json=body, headers=JSON)
    assert r.status_code in (201, 204), r.text


def test_temporal_reads_merge_the_sources_instances(make_broker):
    district, town = make_broker().start(), make_broker().start()
    temporal(district, "urn:ngsi-ld:Vehicle:both", [(10, 1), (30, 3)])
    temporal(town, "urn:ngsi-ld:Vehicle:both", [(20, 2), (30, 3), (40, 4)])  # day 3 is the same instance
    temporal(town, "urn:ngsi-ld:Vehicle:town", [(41, 1), (42, 2)])
    rid = register(district, town.api.rsplit("/ngsi-ld/v1", 1)[0], operations=["retrieveTemporal", "queryTemporal"],
                   information=[{"entities": [{"type": "Vehicle"}]}])
    after = {"timerel": "after", "timeAt": "2020-01-01T00:00:00Z"}

    def speeds(entity):
        return [i["value"] for i in entity["speed"]]

    r = requests.get(district.api + "/temporal/entities/urn:ngsi-ld:Vehicle:both", params=after)
    assert r.status_code == 200, r.text
    assert speeds(r.json()) == [10, 20, 30, 40], r.headers
    r = requests.get(district.api + "/temporal/entities/urn:ngsi-ld:Vehicle:both", params={**after, "lastN": 2})
    assert speeds(r.json()) == [30, 40]
    r = requests.get(district.api + "/temporal/entities/urn:ngsi-ld:Vehicle:town", params=after)
    assert r.status_code == 200 and speeds(r.json()) == [41, 42] and r.json()["type"] == "Vehicle"
    assert requests.get(district.api + "/temporal/entities/urn:ngsi-ld:Vehicle:town",
                        params={**after, "local": "true"}).status_code == 404
    # queries: GET and POST, paged over both brokers' entities in id order
    r = requests.get(district.api + "/temporal/entities", params={**after, "type": "Vehicle", "count": "true"})
    assert r.status_code == 200, r.text
    assert [(e["id"], speeds(e)) for e in r.json()] == [("urn:ngsi-ld:Vehicle:both", [10, 20, 30, 40]),
                                                        ("urn:ngsi-ld:Vehicle:town", [41, 42])]
    assert r.headers["NGSILD-Results-Count"] == "2"
    r = requests.get(district.api + "/temporal/entities", params={**after, "type": "Vehicle", "limit": 1, "offset": 1,
                                                                  "q": "speed>35"})
    assert [e["id"] for e in r.json()] == ["urn:ngsi-ld:Vehicle:town"]
    query = {"type": "Query", "entities": [{"type": "Vehicle"}],
             "temporalQ": {"timerel": "between", "timeAt": "2026-05-02T00:00:00Z", "endTimeAt": "2026-05-04T00:00:00Z"}}
    r = requests.post(district.api + "/temporal/entityOperations/query", json=query, headers=JSON)
    assert r.status_code == 200, r.text
    assert [(e["id"], speeds(e)) for e in r.json()] == [("urn:ngsi-ld:Vehicle:both", [20, 30]),
                                                        ("urn:ngsi-ld:Vehicle:town", [42])]
    r = requests.get(district.api + "/temporal/entities", params={**after, "type": "Vehicle", "format": "temporalValues"})
    assert r.json()[1]["speed"]["values"] == [[41, "2026-05-01T00:00:00Z"], [42, "2026-05-02T00:00:00Z"]]
    # aggregatedValues are made of the merged series
    r = requests.get(district.api + "/temporal/entities/urn:ngsi-ld:Vehicle:both",
                     params={**after, "format": "aggregatedValues", "aggrMethods": "avg,totalCount"})
    assert r.status_code == 200, r.text
    assert r.json()["speed"]["avg"][0][0] == 25 and r.json()["speed"]["totalCount"][0][0] == 4
    r = requests.get(district.api + "/temporal/entities", params={**after, "type": "Vehicle", "format": "aggregatedValues",
                                                                  "aggrMethods": "max"})
    assert [e["speed"]["max"][0][0] for e in r.json()] == [40, 42]
    # a deletion at the source is an instance of the merged history too
    assert requests.delete(town.api + "/entities/urn:ngsi-ld:Vehicle:town/attrs/speed").status_code == 204
    r = requests.get(district.api + "/temporal/entities/urn:ngsi-ld:Vehicle:town", params=after)
    last = r.json()["speed"][-1]
    assert "deletedAt" in last and last["value"] == "urn:ngsi-ld:null", r.text
    # a source whose data covers another time is not asked
    r = requests.patch(f"{district.api}/csourceRegistrations/{rid}", headers=JSON, json={
        "observationInterval": {"startAt": "2019-01-01T00:00:00Z", "endAt": "2019-12-31T00:00:00Z"}})
    assert r.status_code == 204, r.text
    r = requests.get(district.api + "/temporal/entities", params={**after, "type": "Vehicle"})
    assert [(e["id"], speeds(e)) for e in r.json()] == [("urn:ngsi-ld:Vehicle:both", [10, 30])]


def test_types_and_attributes_are_discovered_at_the_sources_too(make_broker):
    district, town = make_broker().start(), make_broker().start()
    building(district, "urn:ngsi-ld:Building:d1", name="D1")
    building(town, "urn:ngsi-ld:Building:t1", name="T1", floors=3)
    building(town, "urn:ngsi-ld:Building:t2", name="T2")
    r = requests.post(town.api + "/entities", headers=JSON,
                      json={"id": "urn:ngsi-ld:Tree:t1", "type": "Tree", "height": {"type": "Property", "value": 9}})
    assert r.status_code == 201
    register(district, town.api.rsplit("/ngsi-ld/v1", 1)[0], information=[{"entities": [{"type": "Building"}]},
                                                                          {"entities": [{"type": "Tree"}]}])
    r = requests.get(district.api + "/types")
    assert r.status_code == 200 and sorted(r.json()["typeList"]) == ["Building", "Tree"]
    assert requests.get(district.api + "/types", params={"local": "true"}).json()["typeList"] == ["Building"]
    details = {t["typeName"]: sorted(t["attributeNames"])
               for t in requests.get(district.api + "/types", params={"details": "true"}).json()}
    assert details == {"Building": ["floors", "name"], "Tree": ["height"]}
    info = requests.get(district.api + "/types/Building").json()
    assert info["entityCount"] == 3  # counts add up
    assert {d["attributeName"]: d["attributeTypes"] for d in info["attributeDetails"]} == \
        {"floors": ["Property"], "name": ["Property"]}
    assert requests.get(district.api + "/types/Tree").json()["entityCount"] == 1  # held at the town only
    assert sorted(requests.get(district.api + "/attributes").json()["attributeList"]) == ["floors", "height", "name"]
    name = requests.get(district.api + "/attributes/name").json()
    assert name["attributeCount"] == 3 and name["typeNames"] == ["Building"]
    assert requests.get(district.api + "/attributes/height").json()["typeNames"] == ["Tree"]
    assert_problem(requests.get(district.api + "/attributes/height", params={"local": "true"}), 404,
                   "ResourceNotFound")


def wait_until(check, timeout=5):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    return check()


def copies_at(town):
    return [s for s in requests.get(town.api + "/subscriptions").json() if "distsub" in s["id"]]


def notified(receiver, timeout=5):
    """The next notification's body at the receiver."""
    receiver.seen.get(timeout=timeout)
    return receiver.bodies.get(timeout=1)


def vehicle(broker, eid, **attrs):
    body = {"id": eid, "type": "Vehicle", **{k: {"type": "Property", "value": v} for k, v in attrs.items()}}
    r = requests.post(broker.api + "/entities", json=body, headers=JSON)
    assert r.status_code == 201, r.text


def test_a_subscription_is_copied_to_the_sources_and_their_notifications_reach_the_subscriber(make_broker, source):
    district, town = make_broker().start(), make_broker().start()
    register(district, town.api.rsplit("/ngsi-ld/v1", 1)[0], information=[{"entities": [{"type": "Vehicle"}]}])
    sub = {"id": "urn:ngsi-ld:Subscription:district-fleet", "type": "Subscription", "entities": [{"type": "Vehicle"}],
           "q": "speed>50", "notification": {"endpoint": {"uri": source.url + "/notify"}}}
    assert requests.post(district.api + "/subscriptions", json=sub, headers=JSON).status_code == 201
    # a reduced copy at the town notifies the district, never the subscriber directly
    copy = wait_until(lambda: copies_at(town))[0]
    assert copy["q"] == "speed>50" and copy["entities"] == [{"type": "Vehicle"}]
    assert copy["notification"]["endpoint"]["uri"] == district.url + "/ngsi-ld/ex/remote-notify"
    # the registration subscription that found the town is listed
    assert len(requests.get(district.api + "/csourceSubscriptions").json()) == 1
    # a change at the town reaches the subscriber under the district's subscription id
    vehicle(town, "urn:ngsi-ld:Vehicle:t1", speed=80)
    body = notified(source)
    assert body["subscriptionId"] == sub["id"]
    assert [(e["id"], e["speed"]["value"]) for e in body["data"]] == [("urn:ngsi-ld:Vehicle:t1", 80)]
    # a PATCH goes on to the copy
    r = requests.patch(f"{district.api}/subscriptions/{sub['id']}", json={"q": "speed>100"}, headers=JSON)
    assert r.status_code == 204
    assert wait_until(lambda: copies_at(town)[0]["q"] == "speed>100")
    requests.patch(town.api + "/entities/urn:ngsi-ld:Vehicle:t1/attrs", json={"speed": {"type": "Property", "value": 90}},
                   headers=JSON)
    requests.patch(town.api + "/entities/urn:ngsi-ld:Vehicle:t1/attrs", json={"speed": {"type": "Property", "value": 150}},
                   headers=JSON)
    assert [e["speed"]["value"] for e in notified(source)["data"]] == [150]
    # a notification for no copy of this broker is not passed on
    forged = {"type": "Notification", "subscriptionId": "urn:ngsi-ld:Subscription:unknown",
              "data": [{"id": "urn:ngsi-ld:Vehicle:t1", "type": "Vehicle", "speed": {"type": "Property", "value": 999}}]}
    assert_problem(requests.post(district.url + "/ngsi-ld/ex/remote-notify", json=forged, headers=JSON), 404,
                   "ResourceNotFound")
    # deleting the subscription deletes the copy and the registration subscription
    assert requests.delete(f"{district.api}/subscriptions/{sub['id']}").status_code == 204
    assert wait_until(lambda: not copies_at(town))
    assert requests.get(district.api + "/csourceSubscriptions").json() == []
    assert source.seen.empty()


def test_a_copy_watches_what_its_source_holds_and_deletions_are_passed_on(make_broker, source):
    district, town = make_broker().start(), make_broker().start()
    register(district, town.url, information=[{"entities": [{"type": "Vehicle"}], "propertyNames": ["speed"]}])
    sub = {"id": "urn:ngsi-ld:Subscription:speeds", "type": "Subscription", "entities": [{"type": "Vehicle"}],
           "notificationTrigger": ["entityCreated", "attributeUpdated", "entityDeleted"],
           "notification": {"endpoint": {"uri": source.url + "/notify"}}}
    assert requests.post(district.api + "/subscriptions", json=sub, headers=JSON).status_code == 201
    copy = wait_until(lambda: copies_at(town))[0]
    assert copy["watchedAttributes"] == ["speed"]  # the registration names only speed
    vehicle(town, "urn:ngsi-ld:Vehicle:w1", speed=10, brandName="Zeta")
    assert notified(source)["data"][0]["speed"]["value"] == 10
    requests.patch(town.api + "/entities/urn:ngsi-ld:Vehicle:w1/attrs", headers=JSON,
                   json={"brandName": {"type": "Property", "value": "Omega"}})
    with pytest.raises(queue.Empty):  # not watched there
        source.seen.get(timeout=1)
    assert requests.delete(town.api + "/entities/urn:ngsi-ld:Vehicle:w1").status_code == 204
    gone = notified(source)["data"][0]
    assert gone["id"] == "urn:ngsi-ld:Vehicle:w1" and "deletedAt" in gone


def test_split_entities_are_completed_here_and_checked_again(make_broker, source):
    district, town, other = make_broker().start(), make_broker().start(), make_broker().start()
    vehicle(district, "urn:ngsi-ld:Vehicle:split", brandName="Tesla")
    vehicle(other, "urn:ngsi-ld:Vehicle:split", color="red")  # a third part, at another source
    register(district, other.api.rsplit("/ngsi-ld/v1", 1)[0], information=[{"entities": [{"type": "Vehicle"}]}],
             operations=["retrieveOps"])
    sub = {"id": "urn:ngsi-ld:Subscription:split", "type": "Subscription", "entities": [{"type": "Vehicle"}],
           "q": 'speed>50;brandName=="Tesla"', "splitEntities": True,
           "notification": {"endpoint": {"uri": source.url + "/notify"}}}
    assert requests.post(district.api + "/subscriptions", json=sub, headers=JSON).status_code == 201
    assert copies_at(town) == []  # no registration, no copy
    # a registration made later gets its copy too
    register(district, town.api.rsplit("/ngsi-ld/v1", 1)[0], information=[{"entities": [{"type": "Vehicle"}]}])
    copy = wait_until(lambda: copies_at(town))[0]
    assert "q" not in copy and copy["splitEntities"] is True  # the query is checked here, on the whole entity
    vehicle(town, "urn:ngsi-ld:Vehicle:split", speed=99)
    body = notified(source)
    assert body["subscriptionId"] == sub["id"]
    assert body["data"][0]["brandName"]["value"] == "Tesla" and body["data"][0]["speed"]["value"] == 99
    assert body["data"][0]["color"]["value"] == "red"  # the other source's part, asked for
    requests.patch(town.api + "/entities/urn:ngsi-ld:Vehicle:split/attrs",
                   json={"speed": {"type": "Property", "value": 10}}, headers=JSON)
    with pytest.raises(queue.Empty):  # speed 10 fails the query once merged
        source.seen.get(timeout=1)
    # a localOnly subscription is not copied
    local = {**sub, "id": "urn:ngsi-ld:Subscription:here-only", "localOnly": True}
    assert requests.post(district.api + "/subscriptions", json=local, headers=JSON).status_code == 201
    assert len(wait_until(lambda: copies_at(town))) == 1


def test_a_write_goes_to_each_source_with_the_attributes_it_names(make_broker):
    district, counts, geo = make_broker().start(), make_broker().start(), make_broker().start()
    pid = "urn:ngsi-ld:OffStreetParking:p1"
    register(district, counts.url, operations=["createEntity", "updateAttrs", "deleteEntity"],
             information=[{"entities": [{"type": "OffStreetParking"}],
                           "propertyNames": ["availableSpotsNumber", "totalSpotsNumber"]}])
    register(district, geo.url, mode="redirect", operations=["createEntity", "updateAttrs", "deleteEntity"],
             information=[{"entities": [{"type": "OffStreetParking"}], "propertyNames": ["location"]}])
    p = {"id": pid, "type": "OffStreetParking", "name": {"type": "Property", "value": "P1"},
         "availableSpotsNumber": {"type": "Property", "value": 7},
         "totalSpotsNumber": {"type": "Property", "value": 9},
         "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [8.6, 49.4]}}}
    r = requests.post(district.api + "/entities", json=p, headers=JSON)
    assert r.status_code == 201, r.text

    def held(broker):
        r = requests.get(f"{broker.api}/entities/{pid}", params={"local": "true"})
        return sorted(k for k in r.json() if k not in ("id", "type")) if r.status_code == 200 else None

    assert held(counts) == ["availableSpotsNumber", "totalSpotsNumber"]  # an inclusive source: what it names
    assert held(geo) == ["location"]  # a redirect source: what it names, and that is not kept here
    assert held(district) == ["availableSpotsNumber", "name", "totalSpotsNumber"]
    # a source none of whose attributes a write names is not asked
    r = requests.patch(f"{district.api}/entities/{pid}/attrs", json={"name": {"type": "Property", "value": "P one"}},
                       headers=JSON)
    assert r.status_code == 204, r.text
    assert requests.get(f"{district.api}/entities/{pid}", params={"local": "true"}).json()["name"]["value"] == "P one"
    # a delete reaches every part
    assert requests.delete(f"{district.api}/entities/{pid}").status_code in (204, 207)
    assert held(counts) is None and held(geo) is None and held(district) is None


def test_split_entities_are_filtered_once_merged(make_broker):
    district, town = make_broker().start(), make_broker().start()
    vehicle(district, "urn:ngsi-ld:Vehicle:s1", brandName="Tesla")
    vehicle(town, "urn:ngsi-ld:Vehicle:s1", speed=99)
    vehicle(district, "urn:ngsi-ld:Vehicle:s2", brandName="Tesla")  # a decoy: its speed is low
    vehicle(town, "urn:ngsi-ld:Vehicle:s2", speed=5)
    vehicle(district, "urn:ngsi-ld:Vehicle:s3", brandName="VW")
    register(district, town.url, information=[{"entities": [{"type": "Vehicle"}]}])

    def query(**params):
        r = requests.get(district.api + "/entities", params={"type": "Vehicle", "splitEntities": "true", **params})
        return ids(r)

    assert query(q='speed>50;brandName=="Tesla"') == ["urn:ngsi-ld:Vehicle:s1"]
    assert query(q='speed>50;brandName=="Tesla"', local="true") == []  # here alone, no part has both
    assert query(attrs="speed") == ["urn:ngsi-ld:Vehicle:s1", "urn:ngsi-ld:Vehicle:s2"]  # speed is the town's part
    assert query(limit=1, offset=1, count="true") == ["urn:ngsi-ld:Vehicle:s2"]
    got = requests.get(district.api + "/entities", params={"type": "Vehicle", "splitEntities": "true",
                                                            "q": "speed>50"}).json()
    assert got[0]["brandName"]["value"] == "Tesla" and got[0]["speed"]["value"] == 99


def test_attribute_writes_reach_a_source_registered_by_type(make_broker):
    district, town = make_broker().start(), make_broker().start()
    vehicle(town, "urn:ngsi-ld:Vehicle:r1", speed=42)
    register(district, town.url, mode="redirect", operations=["redirectionOps"],
             information=[{"entities": [{"type": "Vehicle"}]}])
    # the body's type is the attribute's kind, not the entity's
    r = requests.put(district.api + "/entities/urn:ngsi-ld:Vehicle:r1/attrs/speed", headers=JSON,
                     json={"type": "Property", "value": 55})
    assert r.status_code == 204, r.text
    assert requests.get(town.api + "/entities/urn:ngsi-ld:Vehicle:r1").json()["speed"]["value"] == 55
    # a delete of another type concerns neither the source nor anything here
    assert_problem(requests.delete(district.api + "/entities/urn:ngsi-ld:Vehicle:r1", params={"type": "Tree"}),
                   404, "ResourceNotFound")
    assert requests.get(town.api + "/entities/urn:ngsi-ld:Vehicle:r1").status_code == 200


def test_an_attrs_write_that_fails_at_a_source_answers_an_update_result(make_broker):
    district = make_broker().start()
    vehicle(district, "urn:ngsi-ld:Vehicle:u1", brandName="VW")
    rid = register(district, "http://127.0.0.1:9", mode="redirect", operations=["redirectionOps"],
                   management={"timeout": 500},
                   information=[{"entities": [{"type": "Vehicle"}], "propertyNames": ["speed"]}])
    r = requests.patch(district.api + "/entities/urn:ngsi-ld:Vehicle:u1/attrs", headers=JSON,
                       json={"type": "Vehicle", "brandName": {"type": "Property", "value": "Audi"},
                             "speed": {"type": "Property", "value": 80}})
    assert r.status_code == 207, r.text
    assert r.json()["updated"] == ["brandName"]
    [failed] = r.json()["notUpdated"]
    assert failed["attributeName"] == "speed" and failed["registrationId"] == rid and "no answer" in failed["reason"]
    local = requests.get(district.api + "/entities/urn:ngsi-ld:Vehicle:u1", params={"local": "true"}).json()
    assert local["brandName"]["value"] == "Audi" and "speed" not in local


def test_a_geo_query_asks_only_sources_whose_area_may_hold_matches(make_broker, source):
    district = make_broker().start()
    register(district, source.url, location={"type": "Polygon", "coordinates": [
        [[8.60, 49.38], [8.75, 49.38], [8.75, 49.45], [8.60, 49.45], [8.60, 49.38]]]})
    berlin = {"type": "Building", "georel": "near;maxDistance==1000", "geometry": "Point",
              "coordinates": "[13.40,52.52]"}
    assert ids(requests.get(district.api + "/entities", params=berlin)) == []
    assert source.seen.empty()  # the town's area is far from there
    heidelberg = {**berlin, "coordinates": "[8.69,49.41]"}
    assert ids(requests.get(district.api + "/entities", params=heidelberg)) == []
    path, _ = source.seen.get(timeout=5)
    assert "georel=near" in path
    within = {"type": "Building", "georel": "within", "geometry": "Polygon",
              "coordinates": "[[[8.0,49.0],[9.0,49.0],[9.0,50.0],[8.0,50.0],[8.0,49.0]]]"}
    assert ids(requests.get(district.api + "/entities", params=within)) == []
    source.seen.get(timeout=5)  # an area that intersects: asked


def test_a_source_of_other_datasets_is_not_asked(make_broker, source):
    district = make_broker().start()
    register(district, source.url, datasetId=["urn:ngsi-ld:Dataset:a"])
    query = {"type": "Building", "datasetId": "urn:ngsi-ld:Dataset:b"}
    r = requests.get(district.api + "/entities", params=query)
    assert ids(r) == [] and "NGSILD-Warning" not in r.headers
    assert source.seen.empty()
    assert ids(requests.get(district.api + "/entities", params={**query, "datasetId": "urn:ngsi-ld:Dataset:a"})) == []
    source.seen.get(timeout=5)
    assert ids(requests.get(district.api + "/entities", params={"type": "Building"})) == []  # one-sided: asked
    source.seen.get(timeout=5)


def test_a_source_is_asked_only_for_the_ids_its_registration_may_hold(make_broker, source):
    district = make_broker().start()
    register(district, source.url, information=[{"entities": [{"type": "Building", "idPattern": "^urn:ngsi-ld:Building:town-"}]}])
    building(district, "urn:ngsi-ld:Building:here")
    source.answer = (200, json.dumps([{"id": "urn:ngsi-ld:Building:town-1", "type": "Building"}]))
    r = requests.get(district.api + "/entities",
                     params={"type": "Building", "id": "urn:ngsi-ld:Building:here,urn:ngsi-ld:Building:town-1"})
    assert ids(r) == ["urn:ngsi-ld:Building:here", "urn:ngsi-ld:Building:town-1"]
    path, _ = source.seen.get(timeout=5)
    asked = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["id"]
    assert asked == ["urn:ngsi-ld:Building:town-1"], path  # not the id only this broker may hold
    # A redirect registration of named entities: of those, only the ones asked for.
    named = ["urn:ngsi-ld:Building:r1", "urn:ngsi-ld:Building:r2"]
    register(district, source.url, mode="redirect",
             information=[{"entities": [{"type": "Building", "id": i} for i in named]}])
    source.answer = (200, "[]")
    assert ids(requests.get(district.api + "/entities", params={"type": "Building", "id": named[1]})) == []
    path, _ = source.seen.get(timeout=5)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["id"] == [named[1]], path  # not r1 too
    assert source.seen.empty(), "the idPattern registration holds neither"
