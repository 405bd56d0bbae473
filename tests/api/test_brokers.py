"""Several brokers on one PostgreSQL store (docs/deployment.md): a write through one is
read through the other; a subscription notifies each change once, whichever broker
the change came through, from the broker that holds its lease; subscriptions,
registrations, hosted @contexts and entity maps made through one are served by the
other; a
broker that dies or stops has its subscriptions taken over, with the changes made
meanwhile notified once."""
import http.server
import json
import queue
import threading
import time

import pytest
import requests

from conftest import JSON, create_entity, get_entity, unique_id

pytestmark = pytest.mark.postgres_only("several brokers share one PostgreSQL database")


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.put((self.path, json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = queue.Queue()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/notify"
    yield server
    server.shutdown()


def notifications(receiver, wait):
    """The notifications' entities (id, temperature) that arrive within `wait` seconds."""
    got = []
    deadline = time.time() + wait
    while time.time() < deadline:
        try:
            _, body = receiver.received.get(timeout=max(0.01, deadline - time.time()))
        except queue.Empty:
            break
        got += [(e["id"], e.get("temperature", {}).get("value")) for e in body["data"]]
    return got


def wait_for(receiver, expected, timeout):
    """Waits until the notified (id, temperature) pairs are `expected` (in that order),
    then checks that no further notification comes for a second."""
    got = []
    deadline = time.time() + timeout
    while len(got) < len(expected) and time.time() < deadline:
        got += notifications(receiver, min(0.2, deadline - time.time()))
    got += notifications(receiver, 1.0)
    assert got == expected


@pytest.fixture
def pair(make_broker):
    """Two brokers on one database."""
    a = make_broker().start()
    b = make_broker(store_of=a).start()
    return a, b


def eventually(status, url, timeout=5):
    """Waits until GET url answers with `status`: a document (subscription, registration,
    @context) written through one broker reaches the other's registry a moment later."""
    deadline = time.time() + timeout
    while (r := requests.get(url)).status_code != status:
        assert time.time() < deadline, f"GET {url}: {r.status_code} {r.text}"
        time.sleep(0.02)
    return r


def subscribe(broker, receiver, kind):
    body = {"type": "Subscription", "entities": [{"type": kind}], "watchedAttributes": ["temperature"],
            "notification": {"endpoint": {"uri": receiver.url}, "attributes": ["temperature"]}}
    r = requests.post(broker.api + "/subscriptions", json=body, headers=JSON)
    assert r.status_code == 201, r.text
    return r.headers["Location"].rsplit("/", 1)[1]


def set_temperature(broker, eid, value):
    r = requests.patch(f"{broker.api}/entities/{eid}/attrs", json={"temperature": {"type": "Property", "value": value}},
                       headers=JSON)
    assert r.status_code == 204, r.text


def test_brokers_started_together_on_a_fresh_database_share_one_identity(make_broker):
    a = make_broker()
    b = make_broker(store_of=a)
    started = [threading.Thread(target=x.start) for x in (a, b)]
    for t in started:
        t.start()
    for t in started:
        t.join()
    ids = [requests.get(x.api + "/info/sourceIdentity").json()["id"] for x in (a, b)]
    assert ids[0] == ids[1] and ids[0].startswith("urn:ngsi-ld:ContextSource:")


def test_a_write_through_one_broker_is_read_and_queried_through_the_other(pair):
    a, b = pair
    eid = unique_id()
    create_entity(a, {"id": eid, "type": "Sensor", "temperature": {"type": "Property", "value": 20}})
    assert get_entity(b, eid).json()["temperature"]["value"] == 20
    set_temperature(b, eid, 21)
    assert get_entity(a, eid).json()["temperature"]["value"] == 21
    r = requests.get(a.api + "/entities", params={"type": "Sensor", "q": "temperature==21"})
    assert [e["id"] for e in r.json()] == [eid]
    assert requests.delete(f"{b.api}/entities/{eid}").status_code == 204
    assert get_entity(a, eid).status_code == 404


def test_each_change_is_notified_once_whichever_broker_it_came_through(pair, receiver):
    a, b = pair
    kind = "Room" + unique_id().rsplit(":", 1)[1].replace("-", "")
    subscribe(a, receiver, kind)
    eid = unique_id()
    create_entity(b, {"id": eid, "type": kind, "temperature": {"type": "Property", "value": 1}})
    set_temperature(a, eid, 2)
    set_temperature(b, eid, 3)
    wait_for(receiver, [(eid, 1), (eid, 2), (eid, 3)], 10)


def test_a_subscription_changed_or_deleted_through_the_other_broker(pair, receiver):
    a, b = pair
    kind = "Room" + unique_id().rsplit(":", 1)[1].replace("-", "")
    sid = subscribe(b, receiver, kind)  # b holds it
    eventually(200, f"{a.api}/subscriptions/{sid}")
    r = requests.patch(f"{a.api}/subscriptions/{sid}", json={"q": "temperature>10"}, headers=JSON)
    assert r.status_code == 204, r.text
    eid = unique_id()
    create_entity(a, {"id": eid, "type": kind, "temperature": {"type": "Property", "value": 5}})
    set_temperature(a, eid, 15)
    wait_for(receiver, [(eid, 15)], 10)  # b notifies with a's q
    assert requests.delete(f"{a.api}/subscriptions/{sid}").status_code == 204
    eventually(404, f"{b.api}/subscriptions/{sid}")
    set_temperature(a, eid, 16)
    wait_for(receiver, [], 0)


def test_registrations_and_hosted_contexts_are_shared(pair):
    a, b = pair
    body = {"type": "ContextSourceRegistration",
            "information": [{"entities": [{"type": "Building"}], "propertyNames": ["name"]}],
            "endpoint": "http://127.0.0.1:9/town-a"}
    r = requests.post(a.api + "/csourceRegistrations", json=body, headers=JSON)
    assert r.status_code == 201, r.text
    rid = r.headers["Location"].rsplit("/", 1)[1]
    assert eventually(200, f"{b.api}/csourceRegistrations/{rid}").json()["endpoint"] == body["endpoint"]
    assert requests.delete(f"{b.api}/csourceRegistrations/{rid}").status_code == 204
    eventually(404, f"{a.api}/csourceRegistrations/{rid}")

    r = requests.post(a.api + "/jsonldContexts", json={"@context": {"speed": "http://example.org/vocab#speed"}},
                      headers=JSON)
    assert r.status_code == 201, r.text
    local = r.headers["Location"].rsplit("/", 1)[1]
    served = eventually(200, f"{b.api}/jsonldContexts/{local}")
    assert served.json()["@context"]["speed"] == "http://example.org/vocab#speed"
    assert requests.delete(f"{b.api}/jsonldContexts/{local}").status_code == 204
    eventually(404, f"{a.api}/jsonldContexts/{local}")


def test_an_entity_map_made_through_one_broker_pages_through_the_other(pair):
    a, b = pair
    kind = "V" + unique_id().rsplit("-", 1)[1]
    ids = []
    for i in range(3):
        ids.append(f"{unique_id(kind)}-{i}")
        create_entity(a, {"id": ids[-1], "type": kind, "speed": {"type": "Property", "value": 50}})
    r = requests.get(a.api + "/entities", params={"type": kind, "entityMap": "true", "limit": 1})
    assert r.status_code == 201, r.text
    location = r.headers["NGSILD-EntityMap"]
    eventually(200, b.api + location.removeprefix("/ngsi-ld/v1"))
    r = requests.get(b.api + "/entities", params={"type": kind, "limit": 2, "offset": 1},
                     headers={"NGSILD-EntityMap": location})
    assert r.status_code == 200 and r.headers["NGSILD-EntityMap"] == location
    assert [e["id"] for e in r.json()] == ids[1:]


def test_a_periodic_registration_subscription_is_sent_by_one_broker(pair, receiver):
    a, b = pair
    kind = "Shop" + unique_id().rsplit(":", 1)[1].replace("-", "")
    r = requests.post(a.api + "/csourceRegistrations", headers=JSON,
                      json={"type": "ContextSourceRegistration", "information": [{"entities": [{"type": kind}]}],
                            "endpoint": "http://127.0.0.1:9/source"})
    assert r.status_code == 201, r.text
    r = requests.post(a.api + "/csourceSubscriptions", headers=JSON,
                      json={"type": "Subscription", "entities": [{"type": kind}], "timeInterval": 1,
                            "notification": {"endpoint": {"uri": receiver.url, "accept": "application/json"}}})
    assert r.status_code == 201, r.text
    eventually(200, b.api + r.headers["Location"].removeprefix("/ngsi-ld/v1"))  # b holds it too
    got = []
    deadline = time.time() + 4.5
    while time.time() < deadline:
        try:
            got.append(receiver.received.get(timeout=max(0.01, deadline - time.time())))
        except queue.Empty:
            break
    # One on creation and one a second: about 5, not twice as many.
    assert 3 <= len(got) <= 6, len(got)


def test_a_killed_brokers_subscriptions_are_taken_over_without_loss_or_double(pair, receiver):
    a, b = pair
    kind = "Room" + unique_id().rsplit(":", 1)[1].replace("-", "")
    sid = subscribe(a, receiver, kind)  # a holds it
    eid = unique_id()
    create_entity(b, {"id": eid, "type": kind, "temperature": {"type": "Property", "value": 1}})
    wait_for(receiver, [(eid, 1)], 10)
    time.sleep(1.5)  # a renews its lease with the last change it saw
    a.kill()
    set_temperature(b, eid, 2)  # while a's lease has not expired: nobody notifies yet
    set_temperature(b, eid, 3)
    wait_for(receiver, [(eid, 2), (eid, 3)], 15)  # b took the lease over and replayed both
    set_temperature(b, eid, 4)
    wait_for(receiver, [(eid, 4)], 10)
    assert requests.get(f"{b.api}/subscriptions/{sid}").json()["notification"]["status"] == "ok"


def test_a_stopped_broker_gives_its_subscriptions_up_with_their_statistics(pair, receiver):
    a, b = pair
    kind = "Room" + unique_id().rsplit(":", 1)[1].replace("-", "")
    sid = subscribe(a, receiver, kind)
    eid = unique_id()
    create_entity(b, {"id": eid, "type": kind, "temperature": {"type": "Property", "value": 1}})
    wait_for(receiver, [(eid, 1)], 10)
    assert a.stop() == 0
    set_temperature(b, eid, 2)
    wait_for(receiver, [(eid, 2)], 5)  # taken over at b's next renewal, within a second or two
    # a's statistics reached b when a stopped, and b counts on from them
    deadline = time.time() + 5
    while requests.get(f"{b.api}/subscriptions/{sid}").json()["notification"].get("timesSent") != 2:
        assert time.time() < deadline, requests.get(f"{b.api}/subscriptions/{sid}").text
        time.sleep(0.1)


def test_api_keys_and_grants_made_through_one_broker_hold_at_the_other(make_broker, tmp_path):
    from issuer import ISSUER, Key, bearer, write_jwks
    key = Key("ES256", "k-brokers")
    jwks = str(tmp_path / "jwks.json")
    write_jwks(jwks, key)
    args = ("--auth-issuer", ISSUER, "--auth-jwks", jwks, "--auth-admin", "city-admin")
    a = make_broker(*args).start()
    b = make_broker(*args, store_of=a).start()
    admin = bearer(key.token(sub="city-admin"))
    r = requests.post(a.url + "/ngsi-ld/ex/apiKeys", json={"name": "iot-agent"}, headers=admin)
    assert r.status_code == 201, r.text
    made = r.json()
    r = requests.post(a.url + "/ngsi-ld/ex/grants", json={"to": "apikey:" + made["id"], "role": "writer"},
                      headers=admin)
    assert r.status_code == 201, r.text
    machine = bearer(made["key"])
    body = {"id": unique_id(), "type": "Bench", "seats": {"type": "Property", "value": 4}}
    deadline = time.time() + 5
    while (r := requests.post(b.api + "/entities", json=body, headers={**JSON, **machine})).status_code != 201:
        assert time.time() < deadline, r.text
        time.sleep(0.02)
    assert requests.delete(b.url + "/ngsi-ld/ex/apiKeys/" + made["id"], headers=admin).status_code == 204
    deadline = time.time() + 5
    while (r := requests.get(a.api + "/types", headers=machine)).status_code != 401:
        assert time.time() < deadline, r.text
        time.sleep(0.02)


def replica_sql(sql):
    """Runs SQL on the read replica's server (as its admin)."""
    import subprocess
    from conftest import _store
    done = subprocess.run(["psql", _store.replica_url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_reads_go_to_the_replica_while_it_keeps_up_else_to_the_primary(make_broker):
    b = make_broker("--store-replica-lag", "3000", read_replica=True).start()
    eid = unique_id()
    create_entity(b, {"id": eid, "type": "Sensor", "temperature": {"type": "Property", "value": 1}})
    deadline = time.time() + 5
    while get_entity(b, eid).status_code != 200:  # the replica has replayed the create
        assert time.time() < deadline
        time.sleep(0.02)
    replica_sql("SELECT pg_wal_replay_pause()")
    try:
        deadline = time.time() + 5
        while replica_sql("SELECT pg_get_wal_replay_pause_state()") != "paused":
            assert time.time() < deadline
            time.sleep(0.02)
        set_temperature(b, eid, 2)
        # Served by the replica, which has not replayed the update ...
        assert get_entity(b, eid).json()["temperature"]["value"] == 1
        r = requests.get(b.api + "/entities", params={"type": "Sensor", "q": "temperature==2"})
        assert r.status_code == 200 and r.json() == []
        # ... until it is more than 3 s behind: then by the primary.
        deadline = time.time() + 10
        while get_entity(b, eid).json()["temperature"]["value"] != 2:
            assert time.time() < deadline
            time.sleep(0.1)
        assert time.time() > deadline - 10 + 1.5  # not at once
        assert "reads go to the primary, not the read replica" in open(b.log_path).read()
    finally:
        replica_sql("SELECT pg_wal_replay_resume()")
    deadline = time.time() + 5
    while "reads go to the read replica" not in open(b.log_path).read().split("not the read replica")[-1]:
        assert time.time() < deadline, "the replica caught up, and gets the reads again"
        time.sleep(0.1)
