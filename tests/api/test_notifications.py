"""HTTP notifications (5.8.1, 5.3.1): which entity changes a subscription
notifies (triggers, watchedAttributes, q, entity selectors, isActive,
throttling), what a notification carries (format, attributes, sysAttrs, @context
in the body or a Link header, receiverInfo headers, deleted attributes and
entities), and the delivery statistics shown on the subscription.

A receiver on 127.0.0.1 records every notification; each test subscribes with
its own entity type so that tests do not see each other's notifications.
"""
import http.server
import json
import queue
import threading
import time

import pytest
import requests

from conftest import CORE, JSON, NULL, delivery_state, free_port, link, unique_id


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.put((self.path, dict(self.headers), json.loads(body)))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = queue.Queue()
    server.status = 200
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/notify"
    yield server
    server.shutdown()


def _wait_for(receiver, path, timeout):
    """(headers, body) of the next notification posted to `path` within timeout, else None
    (notifications to other paths are skipped)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            p, headers, body = receiver.received.get(timeout=max(0.01, deadline - time.time()))
        except queue.Empty:
            return None
        if p == path:
            return headers, body
    return None


def next_notification(receiver, path, timeout=5):
    got = _wait_for(receiver, path, timeout)
    assert got, f"no notification to {path} within {timeout} s"
    return got


def no_notification(receiver, path, wait=0.7):
    got = _wait_for(receiver, path, wait)
    assert got is None, f"unexpected notification: {got[1]}"


def subscribe(broker, receiver, kind, headers=JSON, **members):
    """Subscribes to entities of type `kind`; notifications go to /notify/<kind>."""
    notification = members.pop("notification", {})
    endpoint = {"uri": f"{receiver.url}/{kind}", **notification.pop("endpoint", {})}
    body = {"type": "Subscription", "entities": [{"type": kind}],
            "notification": {**notification, "endpoint": endpoint}, **members}
    r = requests.post(broker.api + "/subscriptions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.headers["Location"].rsplit("/", 1)[1], f"/notify/{kind}"


def kind_name():
    return "K" + unique_id().rsplit(":", 1)[1].replace("-", "")


def create(broker, eid, kind, **attrs):
    body = {"id": eid, "type": kind, **{k: {"type": "Property", "value": v} for k, v in attrs.items()}}
    r = requests.post(broker.api + "/entities", json=body, headers=JSON)
    assert r.status_code == 201, r.text


def update(broker, eid, **attrs):
    body = {k: {"type": "Property", "value": v} for k, v in attrs.items()}
    r = requests.patch(f"{broker.api}/entities/{eid}/attrs", json=body, headers=JSON)
    assert r.status_code == 204, r.text


def test_created_and_updated_entities_are_notified_in_full(broker, receiver):
    kind = kind_name()
    sid, path = subscribe(broker, receiver, kind)
    eid = unique_id(kind)
    create(broker, eid, kind, temperature=20, humidity=50)
    headers, n = next_notification(receiver, path)
    assert n["type"] == "Notification" and n["subscriptionId"] == sid
    assert n["id"].startswith("urn:ngsi-ld:Notification:") and n["notifiedAt"].endswith("Z")
    assert n["data"] == [{"id": eid, "type": kind, "temperature": {"type": "Property", "value": 20},
                          "humidity": {"type": "Property", "value": 50}}]
    assert headers["Content-Type"] == "application/json"
    assert headers["Link"] == link(CORE)
    update(broker, eid, temperature=21)
    _, n = next_notification(receiver, path)
    assert n["data"][0]["temperature"]["value"] == 21 and n["data"][0]["humidity"]["value"] == 50


def test_watched_attributes_and_q_decide(broker, receiver):
    kind = kind_name()
    _, path = subscribe(broker, receiver, kind, watchedAttributes=["temperature"], q="temperature>25")
    eid = unique_id(kind)
    create(broker, eid, kind, temperature=20, humidity=50)
    no_notification(receiver, path)  # q does not hold
    update(broker, eid, temperature=30)
    _, n = next_notification(receiver, path)
    assert n["data"][0]["temperature"]["value"] == 30
    update(broker, eid, humidity=10)  # not watched
    no_notification(receiver, path)


def test_a_percent_encoded_q_is_decoded(broker, receiver):
    kind = kind_name()
    _, path = subscribe(broker, receiver, kind, q="name==%22Eiffel%20Tower%22")
    eid = unique_id(kind)
    create(broker, unique_id(kind), kind, name="Tour Eiffel")
    create(broker, eid, kind, name="Eiffel Tower")
    assert next_notification(receiver, path)[1]["data"][0]["id"] == eid
    no_notification(receiver, path)


def test_other_types_and_paused_subscriptions_are_not_notified(broker, receiver):
    kind = kind_name()
    sid, path = subscribe(broker, receiver, kind, isActive=False)
    create(broker, unique_id(kind), kind, temperature=1)
    create(broker, unique_id("Other"), "Other", temperature=1)
    no_notification(receiver, path)
    r = requests.patch(f"{broker.api}/subscriptions/{sid}", json={"isActive": True}, headers=JSON)
    assert r.status_code == 204
    eid = unique_id(kind)
    create(broker, eid, kind, temperature=2)
    _, n = next_notification(receiver, path)
    assert n["data"][0]["id"] == eid


def test_key_values_attributes_and_sys_attrs(broker, receiver):
    kind = kind_name()
    _, path = subscribe(broker, receiver, kind,
                        notification={"format": "keyValues", "attributes": ["temperature"], "sysAttrs": True})
    eid = unique_id(kind)
    create(broker, eid, kind, temperature=20, humidity=50)
    _, n = next_notification(receiver, path)
    data = n["data"][0]
    assert data["temperature"] == 20 and "humidity" not in data
    assert data["createdAt"].endswith("Z") and data["modifiedAt"].endswith("Z")


def test_ld_json_endpoint_gets_the_subscription_context_in_the_body(broker, receiver, context_server):
    ctx = context_server.base + "/test-context.jsonld"
    kind = "Building"
    name = unique_id()  # the q keeps other tests' Buildings out
    subscribe(broker, receiver, kind, headers={**JSON, "Link": link(ctx)}, q=f'name=="{name}"',
              notification={"endpoint": {"accept": "application/ld+json"}})
    eid = unique_id("Building")
    r = requests.post(broker.api + "/entities", headers={**JSON, "Link": link(ctx)},
                      json={"id": eid, "type": "Building", "name": {"type": "Property", "value": name}})
    assert r.status_code == 201, r.text
    headers, n = next_notification(receiver, "/notify/Building")
    assert headers["Content-Type"] == "application/ld+json" and "Link" not in headers
    assert n["data"] == [{"id": eid, "type": "Building", "name": {"type": "Property", "value": name},
                          "@context": ctx}]


def test_json_endpoint_of_an_inline_context_gets_the_implicit_context_url(broker, receiver, context_server):
    """5.13.1 / 5.8.6: a Link header names one URL; a subscription created with an inline
    @context (here an array of a URL and an object) has an ImplicitlyCreated @context as
    its jsonldContext, and an application/json endpoint gets that URL in the Link header."""
    ctx = [context_server.base + "/test-context.jsonld", {"extra": "http://example.org/extra"}]
    kind = kind_name()
    body = {"type": "Subscription", "entities": [{"type": kind}],
            "notification": {"endpoint": {"uri": f"{receiver.url}/{kind}"}}, "@context": ctx}
    r = requests.post(broker.api + "/subscriptions", json=body, headers={"Content-Type": "application/ld+json"})
    assert r.status_code == 201, r.text
    implicit = requests.get(broker.url + r.headers["Location"]).json()["jsonldContext"]
    assert "/ngsi-ld/v1/jsonldContexts/" in implicit
    eid = unique_id(kind)
    r = requests.post(broker.api + "/entities", json={"@context": ctx, "id": eid, "type": kind,
                                                      "extra": {"type": "Property", "value": 1}},
                      headers={"Content-Type": "application/ld+json"})
    assert r.status_code == 201, r.text
    headers, n = next_notification(receiver, f"/notify/{kind}")
    assert headers["Link"] == link(implicit)
    assert n["data"] == [{"id": eid, "type": kind, "extra": {"type": "Property", "value": 1}}]


def test_receiver_info_becomes_headers(broker, receiver):
    kind = kind_name()
    _, path = subscribe(broker, receiver, kind, notification={
        "endpoint": {"receiverInfo": [{"key": "X-Additional-Key", "value": "v1"}]}})
    create(broker, unique_id(kind), kind, temperature=1)
    headers, _ = next_notification(receiver, path)
    assert headers["X-Additional-Key"] == "v1"


def test_deleted_attribute_and_entity(broker, receiver):
    kind = kind_name()
    _, path = subscribe(broker, receiver, kind,
                        notificationTrigger=["attributeDeleted", "entityDeleted"])
    eid = unique_id(kind)
    create(broker, eid, kind, temperature=20, humidity=50)
    no_notification(receiver, path)  # creation is neither trigger
    r = requests.delete(f"{broker.api}/entities/{eid}/attrs/humidity")
    assert r.status_code == 204
    _, n = next_notification(receiver, path)
    assert n["data"][0]["humidity"] == {"type": "Property", "value": NULL}
    assert n["data"][0]["temperature"]["value"] == 20
    assert requests.delete(f"{broker.api}/entities/{eid}").status_code == 204
    _, n = next_notification(receiver, path)
    assert set(n["data"][0]) == {"id", "type", "deletedAt"}
    assert n["data"][0]["id"] == eid


def test_entity_created_trigger_only(broker, receiver):
    kind = kind_name()
    _, path = subscribe(broker, receiver, kind, notificationTrigger=["entityCreated"])
    eid = unique_id(kind)
    create(broker, eid, kind, temperature=1)
    _, n = next_notification(receiver, path)
    assert n["data"][0]["id"] == eid
    update(broker, eid, temperature=2)
    no_notification(receiver, path)


def test_throttling_drops_notifications_in_between(broker, receiver):
    kind = kind_name()
    _, path = subscribe(broker, receiver, kind, throttling=30)
    eid = unique_id(kind)
    create(broker, eid, kind, temperature=1)
    next_notification(receiver, path)
    update(broker, eid, temperature=2)
    no_notification(receiver, path)


def test_delivery_statistics(broker, receiver):
    kind = kind_name()
    sid, path = subscribe(broker, receiver, kind)
    assert "timesSent" not in requests.get(f"{broker.api}/subscriptions/{sid}").json()["notification"]
    create(broker, unique_id(kind), kind, temperature=1)
    next_notification(receiver, path)
    n = delivery_state(broker, sid, "ok", "lastSuccess")
    assert n["timesSent"] == 1 and n["status"] == "ok"
    assert n["lastNotification"].endswith("Z") and n["lastSuccess"].endswith("Z")
    assert "lastFailure" not in n and "timesFailed" not in n


def test_failed_delivery_is_recorded(broker):
    kind = kind_name()
    body = {"type": "Subscription", "entities": [{"type": kind}],
            "notification": {"endpoint": {"uri": "http://127.0.0.1:9/closed"}}}
    r = requests.post(broker.api + "/subscriptions", json=body, headers=JSON)
    sid = r.headers["Location"].rsplit("/", 1)[1]
    create(broker, unique_id(kind), kind, temperature=1)
    n = delivery_state(broker, sid, "failed")
    assert n["status"] == "failed" and n["timesFailed"] == 1 and n["lastFailure"].endswith("Z")


def test_deleted_subscription_stops_notifying(broker, receiver):
    kind = kind_name()
    sid, path = subscribe(broker, receiver, kind)
    assert requests.delete(f"{broker.api}/subscriptions/{sid}").status_code == 204
    create(broker, unique_id(kind), kind, temperature=1)
    no_notification(receiver, path)


def test_batch_and_tenant_changes_are_notified_in_their_tenant(broker, receiver):
    kind = kind_name()
    tenant = {"NGSILD-Tenant": "notified"}
    _, path = subscribe(broker, receiver, kind, headers={**JSON, **tenant})
    create(broker, unique_id(kind), kind, temperature=1)  # default tenant: not this subscription
    no_notification(receiver, path)
    eid = unique_id(kind)
    r = requests.post(broker.api + "/entityOperations/upsert", headers={**JSON, **tenant},
                      json=[{"id": eid, "type": kind, "temperature": {"type": "Property", "value": 3}}])
    assert r.status_code == 201, r.text
    headers, n = next_notification(receiver, path)
    assert n["data"][0]["id"] == eid
    assert headers["NGSILD-Tenant"] == "notified"  # the subscription's tenant goes along


def test_time_interval_notifies_all_selected_entities_periodically(broker, receiver):
    kind = kind_name()
    eids = sorted(unique_id(kind) for _ in range(2))
    for eid in eids:
        create(broker, eid, kind, temperature=5)
    start = time.time()
    sid, path = subscribe(broker, receiver, kind, timeInterval=1, notification={"format": "keyValues"})
    _, n = next_notification(receiver, path, timeout=3)
    assert time.time() - start >= 0.9  # not at creation
    assert n["subscriptionId"] == sid
    assert [d["id"] for d in n["data"]] == eids and n["data"][0]["temperature"] == 5
    update(broker, eids[0], temperature=6)  # a change alone notifies nothing ...
    _, n = next_notification(receiver, path, timeout=3)  # ... the next period shows it
    assert n["data"][0]["temperature"] == 6
    assert requests.delete(f"{broker.api}/subscriptions/{sid}").status_code == 204
    time.sleep(0.2)  # a period in flight may still arrive
    while not receiver.received.empty():
        receiver.received.get()
    no_notification(receiver, path, wait=1.5)


def test_show_changes_carries_previous_values(broker, receiver):
    kind = kind_name()
    _, path = subscribe(broker, receiver, kind, notificationTrigger=["attributeUpdated", "attributeDeleted",
                                                                     "entityDeleted"],
                        notification={"showChanges": True})
    eid = unique_id(kind)
    r = requests.post(broker.api + "/entities", headers=JSON, json={
        "id": eid, "type": kind, "temperature": {"type": "Property", "value": 20},
        "humidity": {"type": "Property", "value": 50},
        "owner": {"type": "Relationship", "object": "urn:ngsi-ld:Person:a"}})
    assert r.status_code == 201
    update(broker, eid, temperature=21)
    _, n = next_notification(receiver, path)
    assert n["data"][0]["temperature"] == {"type": "Property", "value": 21, "previousValue": 20}
    assert "previousValue" not in n["data"][0]["humidity"]  # unchanged
    assert requests.delete(f"{broker.api}/entities/{eid}/attrs/humidity").status_code == 204
    _, n = next_notification(receiver, path)
    assert n["data"][0]["humidity"] == {"type": "Property", "value": NULL, "previousValue": 50}
    assert requests.delete(f"{broker.api}/entities/{eid}").status_code == 204
    _, n = next_notification(receiver, path)
    data = n["data"][0]
    assert data["temperature"] == {"type": "Property", "value": NULL, "previousValue": 21}
    assert data["owner"] == {"type": "Relationship", "object": NULL, "previousObject": "urn:ngsi-ld:Person:a"}
    assert set(data) == {"id", "type", "deletedAt", "temperature", "owner"}


def test_deleted_instances_are_notified_as_deletions(broker, receiver):
    kind = kind_name()
    _, path = subscribe(broker, receiver, kind, notificationTrigger=["attributeDeleted"],
                        notification={"sysAttrs": True})
    eid = unique_id(kind)
    r = requests.post(broker.api + "/entities", headers=JSON, json={
        "id": eid, "type": kind, "name": [
            {"type": "Property", "value": "A"},
            {"type": "Property", "value": "B", "datasetId": "urn:ngsi-ld:Dataset:b"},
            {"type": "Property", "value": "C", "datasetId": "urn:ngsi-ld:Dataset:c"}]})
    assert r.status_code == 201
    r = requests.delete(f"{broker.api}/entities/{eid}/attrs/name", params={"datasetId": "urn:ngsi-ld:Dataset:b"})
    assert r.status_code == 204
    _, n = next_notification(receiver, path)
    gone = [i for i in n["data"][0]["name"] if i.get("datasetId") == "urn:ngsi-ld:Dataset:b"]
    assert len(n["data"][0]["name"]) == 3 and gone[0]["value"] == NULL
    assert gone[0]["deletedAt"].endswith("Z") and gone[0]["createdAt"].endswith("Z")
    r = requests.delete(f"{broker.api}/entities/{eid}/attrs/name", params={"deleteAll": "true"})
    assert r.status_code == 204
    _, n = next_notification(receiver, path)
    assert n["data"][0]["name"]["value"] == NULL  # one null for the whole attribute


def test_q_on_a_linked_entity_reads_it_from_the_store(broker, receiver):
    kind = kind_name()
    _, path = subscribe(broker, receiver, kind, q="device{battery}<0.5")
    good, bad = unique_id("Device"), unique_id("Device")
    for did, level in ((good, 0.3), (bad, 0.9)):
        create(broker, did, "Device", battery=level)
    for did in (bad, good):
        r = requests.post(broker.api + "/entities", headers=JSON, json={
            "id": unique_id(kind) + did[-4:], "type": kind, "device": {"type": "Relationship", "object": did}})
        assert r.status_code == 201
    _, n = next_notification(receiver, path)
    assert n["data"][0]["device"]["object"] == good
    no_notification(receiver, path)


def test_statistics_survive_a_restart_and_mqtt_endpoints_count_as_failed(make_broker, receiver):
    b = make_broker("--notification-retries", "0")  # one failed attempt, nothing left pending at the stop
    b.start()
    kind = kind_name()
    sid, path = subscribe(b, receiver, kind)
    closed = free_port()  # no MQTT broker listens there
    body = {"type": "Subscription", "entities": [{"type": kind}],
            "notification": {"endpoint": {"uri": f"mqtt://127.0.0.1:{closed}/topic"}}}
    r = requests.post(b.api + "/subscriptions", json=body, headers=JSON)
    assert r.status_code == 201
    mqtt = r.headers["Location"].rsplit("/", 1)[1]
    create(b, unique_id(kind), kind, temperature=1)
    next_notification(receiver, path)
    delivery_state(b, sid, "ok", "lastSuccess")
    delivery_state(b, mqtt, "failed")
    b.stop()
    b.start()
    n = requests.get(f"{b.api}/subscriptions/{sid}").json()["notification"]
    assert n["timesSent"] == 1 and n["status"] == "ok"
    n = requests.get(f"{b.api}/subscriptions/{mqtt}").json()["notification"]
    assert n["timesFailed"] == 1 and n["status"] == "failed"


def test_pick_and_omit_shape_the_notified_entity(broker, receiver):
    kind = kind_name()
    _, picked = subscribe(broker, receiver, kind, notification={"pick": ["id", "temperature"]})
    other = kind + "b"
    _, omitted = subscribe(broker, receiver, other, notification={"omit": ["type", "humidity"]})
    eid = unique_id(kind)
    create(broker, eid, kind, temperature=20, humidity=50)
    _, n = next_notification(receiver, picked)
    assert n["data"][0] == {"id": eid, "temperature": {"type": "Property", "value": 20}}
    eid = unique_id(other)
    create(broker, eid, other, temperature=20, humidity=50)
    _, n = next_notification(receiver, omitted)
    assert n["data"][0] == {"id": eid, "temperature": {"type": "Property", "value": 20}}


def test_a_hanging_endpoint_does_not_hold_up_other_subscriptions(make_broker, receiver):
    import socket
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(16)  # connections are never accepted: requests hang until the timeout
    try:
        b = make_broker("--notification-timeout", "3000")
        b.start()
        kind = kind_name()
        first = {"id": "urn:ngsi-ld:Subscription:0-hanging", "type": "Subscription", "entities": [{"type": kind}],
                 "notification": {"endpoint": {"uri": f"http://127.0.0.1:{hanging.getsockname()[1]}/n"}}}
        assert requests.post(b.api + "/subscriptions", json=first, headers=JSON).status_code == 201
        paths = set()
        for i in range(16):
            _, path = subscribe(b, receiver, f"{kind}/{i}", entities=[{"type": kind}])
            paths.add(path)
        start = time.time()
        create(b, unique_id(kind), kind, temperature=1)
        got = set()
        while time.time() - start < 1.5 and len(got) < len(paths):
            try:
                p, _, _ = receiver.received.get(timeout=0.1)
                got.add(p)
            except queue.Empty:
                pass
        assert got & paths, "every notification waited for the hanging endpoint"
    finally:
        hanging.close()


def test_type_expressions_and_subscriptions_without_entities(broker, receiver):
    kind = kind_name()
    a, b, c = kind + "A", kind + "B", kind + "C"
    _, typed = subscribe(broker, receiver, kind, entities=[{"type": f"({a};{b})|{c}"}])
    attr = "w" + kind.lower()
    r = requests.post(broker.api + "/subscriptions", headers=JSON, json={
        "type": "Subscription", "watchedAttributes": [attr],
        "notification": {"endpoint": {"uri": f"{receiver.url}/{kind}-any"}}})
    assert r.status_code == 201
    for types, expected in (([a], False), ([a, b], True), ([c], True)):
        eid = unique_id(kind)
        r = requests.post(broker.api + "/entities", headers=JSON,
                          json={"id": eid, "type": types, "x": {"type": "Property", "value": 1}})
        assert r.status_code == 201
        if expected:
            assert next_notification(receiver, typed)[1]["data"][0]["id"] == eid
        else:
            no_notification(receiver, typed)
    eid = unique_id("AnyKind")
    create(broker, eid, "AnyKind", **{attr: 1})
    assert next_notification(receiver, f"/notify/{kind}-any")[1]["data"][0]["id"] == eid


class _KeepAliveReceiver(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 receiver that records the client port of each notification and
    silently closes the connection after every second one (a stale kept connection)."""
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.ports.append(self.client_address[1])
        self.send_response(204)
        self.end_headers()
        if len(self.server.ports) % 2 == 0:
            self.close_connection = True

    def log_message(self, *args):
        pass


def test_connections_to_an_endpoint_are_kept_and_renewed(broker):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveReceiver)
    server.ports = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        kind = kind_name()
        body = {"type": "Subscription", "entities": [{"type": kind}],
                "notification": {"endpoint": {"uri": f"http://127.0.0.1:{server.server_address[1]}/n"}}}
        r = requests.post(broker.api + "/subscriptions", json=body, headers=JSON)
        sid = r.headers["Location"].rsplit("/", 1)[1]
        eid = unique_id(kind)
        create(broker, eid, kind, temperature=0)
        for i in range(1, 6):
            update(broker, eid, temperature=i)
        deadline = time.time() + 5
        while len(server.ports) < 6 and time.time() < deadline:
            time.sleep(0.05)
        assert len(server.ports) == 6  # none lost when the server dropped a kept connection
        assert any(a == b for a, b in zip(server.ports, server.ports[1:]))  # connections are reused
        n = requests.get(f"{broker.api}/subscriptions/{sid}").json()["notification"]
        assert n["timesSent"] == 6 and "timesFailed" not in n
    finally:
        server.shutdown()


def test_geo_json_endpoint_gets_a_feature_collection(broker, receiver):
    kind = kind_name()
    _, path = subscribe(broker, receiver, kind, notification={"endpoint": {"accept": "application/geo+json"}})
    eid = unique_id(kind)
    r = requests.post(broker.api + "/entities", headers=JSON, json={
        "id": eid, "type": kind, "temperature": {"type": "Property", "value": 4},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [13.4, 52.5]}}})
    assert r.status_code == 201
    headers, n = next_notification(receiver, path)
    assert headers["Content-Type"] == "application/geo+json"
    collection = n["data"]
    assert collection["type"] == "FeatureCollection" and collection["@context"] == CORE
    feature = collection["features"][0]
    assert feature["id"] == eid and feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [13.4, 52.5]}
    assert feature["properties"]["temperature"] == {"type": "Property", "value": 4}


@pytest.mark.parametrize("join", ["inline", "flat"])
@pytest.mark.parametrize("attributes", [None, ["locatedAt"]])
def test_join_brings_the_linked_entity(broker, receiver, join, attributes):
    """4.5.23: the linked entity comes inline or listed after the entity; notification.attributes
    selects the notified entity's attributes only, the linked entity comes whole (suite 046_26,
    046_30)."""
    kind = kind_name()
    city = unique_id("City")
    create(broker, city, "City", population=100)
    notification = {"join": join, "joinLevel": 1, **({"attributes": attributes} if attributes else {})}
    _, path = subscribe(broker, receiver, kind, notification=notification)
    eid = unique_id(kind)
    name = {"type": "Property", "value": "Tower"}
    r = requests.post(broker.api + "/entities", headers=JSON, json={
        "id": eid, "type": kind, "name": name, "locatedAt": {"type": "Relationship", "object": city}})
    assert r.status_code == 201
    _, n = next_notification(receiver, path)
    linked = {"id": city, "type": "City", "population": {"type": "Property", "value": 100}}
    entity = {"id": eid, "type": kind, **({} if attributes else {"name": name})}
    if join == "inline":
        assert n["data"] == [{**entity, "locatedAt": {"type": "Relationship", "object": city, "entity": linked}}]
    else:
        assert n["data"] == [{**entity, "locatedAt": {"type": "Relationship", "object": city}}, linked]
