"""Registration subscriptions (5.11, 5.3.2, /csourceSubscriptions): create,
retrieve, query with paging, update, delete, what they may contain, and the
ContextSourceNotifications they cause: all matching registrations when a
subscription is created or updated, newlyMatching / updated / noLongerMatching
as registrations change, only the RegistrationInfos that matched, compacted
with the subscription's @context; entity types, watchedAttributes, geoQ and
temporalQ select; paused subscriptions are silent; timeInterval repeats;
delivery statistics; tenants and restarts.

A receiver on 127.0.0.1 records every notification; each test uses its own
entity type so that tests do not see each other's registrations.
"""
import http.server
import json
import queue
import threading
import time

import pytest
import requests

from conftest import JSON, assert_problem, link, unique_id

EX = "http://example.org/vocab#"


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.put((self.path, dict(self.headers), json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = queue.Queue()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/notify"
    yield server
    server.shutdown()


def notifications(receiver, path, wait):
    """The notifications posted to `path` within `wait` seconds (others are skipped)."""
    out, deadline = [], time.time() + wait
    while time.time() < deadline:
        try:
            p, headers, body = receiver.received.get(timeout=max(0.01, deadline - time.time()))
        except queue.Empty:
            break
        if p == path:
            out.append((headers, body))
    return out


def next_notification(receiver, path, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            p, headers, body = receiver.received.get(timeout=max(0.01, deadline - time.time()))
        except queue.Empty:
            break
        if p == path:
            return body
    raise AssertionError(f"no notification to {path} within {timeout} s")


def kind_name():
    return "K" + unique_id().rsplit("-", 1)[1]


def subscribe(broker, receiver, kind, headers=JSON, **members):
    """Subscribes to registrations of entity type `kind`; notifications go to /notify/<kind>."""
    body = {"type": "Subscription", "entities": [{"type": kind}],
            "notification": {"endpoint": {"uri": f"{receiver.url}/{kind}", "accept": "application/json"}},
            **members}
    r = requests.post(broker.api + "/csourceSubscriptions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.headers["Location"].startswith("/ngsi-ld/v1/csourceSubscriptions/")
    return r.headers["Location"].rsplit("/", 1)[1], f"/notify/{kind}"


def register(broker, kind, headers=JSON, **members):
    body = {"type": "ContextSourceRegistration", "information": [{"entities": [{"type": kind}]}],
            "endpoint": "http://127.0.0.1:9/source", **members}
    r = requests.post(broker.api + "/csourceRegistrations", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.headers["Location"].rsplit("/", 1)[1]


def sub_url(broker, sid):
    return f"{broker.api}/csourceSubscriptions/{sid}"


def wait_for_stats(broker, sid, times_sent, timeout=5):
    """The subscription's notification member once timesSent reached times_sent (or at the timeout)."""
    deadline = time.time() + timeout
    while True:
        n = requests.get(sub_url(broker, sid)).json()["notification"]
        if n.get("timesSent", 0) >= times_sent or time.time() > deadline:
            return n
        time.sleep(0.05)


def reg_url(broker, rid):
    return f"{broker.api}/csourceRegistrations/{rid}"


def test_create_retrieve_query_update_delete(broker, receiver):
    kind = kind_name()
    sid = unique_id("Subscription")
    body = {"id": sid, "type": "Subscription", "entities": [{"type": kind}], "watchedAttributes": ["name"],
            "notification": {"format": "keyValues", "endpoint": {"uri": receiver.url, "accept": "application/json"}},
            "expiresAt": "2035-01-01T00:00:00Z", "notificationTrigger": ["entityCreated"]}
    r = requests.post(broker.api + "/csourceSubscriptions", json=body, headers=JSON)
    assert r.status_code == 201 and r.text == ""
    got = requests.get(sub_url(broker, sid)).json()
    del body["notificationTrigger"]  # not applicable to registration subscriptions (5.2.12)
    assert got == {**body, "status": "active"}
    # their own id space: not an entity subscription
    assert_problem(requests.get(f"{broker.api}/subscriptions/{sid}"), 404, "ResourceNotFound")
    assert_problem(requests.post(broker.api + "/csourceSubscriptions", json=body, headers=JSON), 409, "AlreadyExists")
    assert requests.patch(sub_url(broker, sid), json={"isActive": False}, headers=JSON).status_code == 204
    assert requests.get(sub_url(broker, sid)).json()["status"] == "paused"
    assert_problem(requests.patch(sub_url(broker, sid), json={"notification": {"format": "keyValues"}}, headers=JSON),
                   400, "BadRequestData")
    assert_problem(requests.patch(sub_url(broker, sid), json={"type": None}, headers=JSON), 400, "BadRequestData")
    ids = [x["id"] for x in requests.get(broker.api + "/csourceSubscriptions", params={"limit": 1000}).json()]
    assert sid in ids
    r = requests.get(broker.api + "/csourceSubscriptions", params={"limit": 1, "count": "true"})
    assert len(r.json()) == 1 and int(r.headers["NGSILD-Results-Count"]) == len(ids)
    assert requests.delete(sub_url(broker, sid)).status_code == 204
    assert_problem(requests.get(sub_url(broker, sid)), 404, "ResourceNotFound")
    assert_problem(requests.delete(sub_url(broker, sid)), 404, "ResourceNotFound")
    assert_problem(requests.get(sub_url(broker, "invalidUri")), 400, "BadRequestData")


def test_invalid_subscriptions_are_bad_request_data(broker, receiver):
    base = {"type": "Subscription", "entities": [{"type": "Building"}],
            "notification": {"endpoint": {"uri": receiver.url}}}
    for body in ({**base, "type": "RandomType"}, {k: v for k, v in base.items() if k != "notification"},
                 {**base, "q": "speed>"}, {**base, "watchedAttributes": []},
                 {**base, "expiresAt": "2018-08-01T22:07:00Z"},
                 {**base, "temporalQ": {"timerel": "after"}}, {**base, "temporalQ": {"timeAt": "2020-01-01T00:00:00Z"}},
                 {**base, "geoQ": {"georel": "near", "geometry": "Point", "coordinates": [1, 2]}}):
        assert_problem(requests.post(broker.api + "/csourceSubscriptions", json=body, headers=JSON), 400,
                       "BadRequestData")


def test_notifications_follow_the_registrations(broker, receiver, context_server):
    ctx = link(context_server.base + "/test-context.jsonld")
    kind = kind_name()
    before = register(broker, kind, information=[{"entities": [{"type": kind}], "propertyNames": ["name"]},
                                                 {"entities": [{"type": "Other" + kind}]}],
                      headers={**JSON, "Link": ctx})
    sid, path = subscribe(broker, receiver, kind, headers={**JSON, "Link": ctx})
    # on create: every registration that matches now, with only the information that matched
    n = next_notification(receiver, path)
    assert set(n) == {"id", "type", "subscriptionId", "notifiedAt", "triggerReason", "data"}
    assert n["type"] == "ContextSourceNotification" and n["subscriptionId"] == sid
    assert n["triggerReason"] == "newlyMatching"
    assert [r["id"] for r in n["data"]] == [before]
    assert n["data"][0]["information"] == [{"entities": [{"type": kind}], "propertyNames": ["name"]}]
    assert n["data"][0]["type"] == "ContextSourceRegistration"
    # a new matching registration; an unrelated one is not notified
    register(broker, "Unrelated" + kind)
    rid = register(broker, kind)
    n = next_notification(receiver, path)
    assert (n["triggerReason"], [r["id"] for r in n["data"]]) == ("newlyMatching", [rid])
    # updated while matching, then no longer matching
    assert requests.patch(reg_url(broker, rid), json={"endpoint": "http://127.0.0.1:9/moved"},
                          headers=JSON).status_code == 204
    n = next_notification(receiver, path)
    assert n["triggerReason"] == "updated" and n["data"][0]["endpoint"] == "http://127.0.0.1:9/moved"
    assert requests.patch(reg_url(broker, rid), json={"information": [{"entities": [{"type": "NewType"}]}]},
                          headers=JSON).status_code == 204
    n = next_notification(receiver, path)
    assert (n["triggerReason"], n["data"][0]["id"]) == ("noLongerMatching", rid)
    # deleted
    assert requests.delete(reg_url(broker, before)).status_code == 204
    n = next_notification(receiver, path)
    assert (n["triggerReason"], n["data"][0]["id"]) == ("noLongerMatching", before)
    # the delivery is counted on the subscription
    got = wait_for_stats(broker, sid, 5)
    assert got["status"] == "ok" and got["timesSent"] == 5 and "timesFailed" not in got
    assert "lastSuccess" in got and "lastNotification" in got


def test_an_update_sends_all_current_matches_and_paused_ones_are_silent(broker, receiver):
    kind = kind_name()
    vehicles = register(broker, "Vehicle" + kind)
    buses = register(broker, "Bus" + kind)
    sid, path = subscribe(broker, receiver, kind)
    assert notifications(receiver, path, 0.7) == []  # nothing matches: no initial notification
    r = requests.patch(sub_url(broker, sid), headers=JSON,
                       json={"entities": [{"type": "Vehicle" + kind}, {"type": "Bus" + kind}]})
    assert r.status_code == 204
    n = next_notification(receiver, path)
    assert n["triggerReason"] == "newlyMatching" and sorted(x["id"] for x in n["data"]) == sorted([vehicles, buses])
    assert requests.patch(sub_url(broker, sid), json={"isActive": False}, headers=JSON).status_code == 204
    register(broker, "Bus" + kind)
    assert notifications(receiver, path, 0.7) == []


def test_watched_attributes_geo_and_temporal_queries_select(broker, receiver):
    kind = kind_name()
    _, names = subscribe(broker, receiver, kind, watchedAttributes=["name"],
                         notification={"endpoint": {"uri": f"{receiver.url}/{kind}-names"}})
    _, near = subscribe(broker, receiver, kind, notification={"endpoint": {"uri": f"{receiver.url}/{kind}-near"}},
                        geoQ={"georel": "near;maxDistance==2000", "geometry": "Point", "coordinates": [-8.52, 41.2]})
    _, observed = subscribe(broker, receiver, kind,
                            notification={"endpoint": {"uri": f"{receiver.url}/{kind}-observed"}},
                            temporalQ={"timerel": "after", "timeAt": "2020-06-01T22:07:00Z"})
    with_name = register(broker, kind, information=[{"entities": [{"type": kind}], "propertyNames": ["name"]}])
    with_speed = register(broker, kind, information=[{"entities": [{"type": kind}], "propertyNames": ["speed"]}])
    located = register(broker, kind, location={"type": "Point", "coordinates": [-8.521, 41.2]})
    far = register(broker, kind, location={"type": "Point", "coordinates": [10, 50]})
    interval = register(broker, kind,
                        observationInterval={"startAt": "2020-08-01T22:07:00Z", "endAt": "2021-08-01T21:07:00Z"})
    old = register(broker, kind, observationInterval={"startAt": "2019-01-01T00:00:00Z",
                                                      "endAt": "2019-12-31T00:00:00Z"})

    received, deadline = [], time.time() + 1.5
    while time.time() < deadline:
        try:
            received.append(receiver.received.get(timeout=max(0.01, deadline - time.time())))
        except queue.Empty:
            break

    def ids(path):
        return {body["data"][0]["id"] for p, _, body in received if p == path}

    # registrations that name no attributes may provide any, so they match watchedAttributes too
    got = ids(f"/notify/{kind}-names")
    assert with_name in got and with_speed not in got and located in got
    assert ids(f"/notify/{kind}-near") == {located}
    assert ids(f"/notify/{kind}-observed") == {interval}
    assert old and far


def test_time_interval_repeats_the_matching_registrations(broker, receiver):
    kind = kind_name()
    rid = register(broker, kind)
    sid, path = subscribe(broker, receiver, kind, timeInterval=1)
    got = notifications(receiver, path, 2.6)
    assert len(got) >= 2 and all(n["data"][0]["id"] == rid for _, n in got)
    assert requests.delete(sub_url(broker, sid)).status_code == 204
    notifications(receiver, path, 0.3)
    assert notifications(receiver, path, 1.5) == []


def test_tenants_are_separate_and_subscriptions_survive_a_restart(make_broker, receiver):
    b = make_broker()
    b.start()
    tenant = {"NGSILD-Tenant": "csubs"}
    kind = kind_name()
    sid, path = subscribe(b, receiver, kind, headers={**JSON, **tenant}, description="kept")
    assert_problem(requests.get(sub_url(b, sid)), 404, "ResourceNotFound")
    b.stop()
    b.start()
    assert requests.get(sub_url(b, sid), headers=tenant).json()["description"] == "kept"
    register(b, kind)  # another tenant's registration
    assert notifications(receiver, path, 0.7) == []
    rid = register(b, kind, headers={**JSON, **tenant})
    assert next_notification(receiver, path)["data"][0]["id"] == rid
