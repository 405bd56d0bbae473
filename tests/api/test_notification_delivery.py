"""Notification delivery under trouble: receivers that hang, answer slowly,
refuse connections, fail and come back, or cannot keep up. A slow or dead
receiver delays only its own notifications; failed attempts are retried with
backoff up to --notification-retries and then dropped (at once when their
subscription is deleted); a subscription that
falls behind gets its waiting notifications coalesced into one (several
entities in data) and keeps its order; the statistics (timesSent, timesFailed,
pending) say what happened; on SIGTERM pending notifications get
--notification-grace to go out.
"""
import http.server
import json
import queue
import socket
import threading
import time

import pytest
import requests

from conftest import JSON, delivery_state, free_port, unique_id


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real receivers

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        server = self.server
        with server.lock:
            server.calls += 1
            status = server.statuses.pop(0) if server.statuses else 200
        if server.delay:
            time.sleep(server.delay)
        if status == 200:
            server.received.put((self.path, body, time.time()))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Receiver:
    """An HTTP receiver on its own port: answers each POST after `delay` seconds with
    the next of `statuses` (then 200); records the notifications it answered 200."""

    def __init__(self, delay=0.0, statuses=(), port=0):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.server.daemon_threads = True
        self.server.received = queue.Queue()
        self.server.delay = delay
        self.server.statuses = list(statuses)
        self.server.calls = 0
        self.server.lock = threading.Lock()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def calls(self):
        return self.server.calls

    def take(self, timeout):
        """All notifications that arrive within timeout (path, body, arrival time)."""
        out, deadline = [], time.time() + timeout
        while time.time() < deadline:
            try:
                out.append(self.server.received.get(timeout=max(0.01, deadline - time.time())))
            except queue.Empty:
                break
        return out

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Hanging:
    """Accepts connections (the kernel does, from the backlog) and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self):
        self.sock.close()


@pytest.fixture
def receivers():
    made = []

    def make(*args, **kwargs):
        r = Receiver(*args, **kwargs)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def kind_name():
    return "D" + unique_id().rsplit("-", 1)[1].replace("-", "")


def subscribe(broker, kind, uri, **members):
    body = {"type": "Subscription", "entities": [{"type": kind}], "notification": {"endpoint": {"uri": uri}},
            **members}
    r = requests.post(broker.api + "/subscriptions", json=body, headers=JSON)
    assert r.status_code == 201, r.text
    return r.headers["Location"].rsplit("/", 1)[1]


def create(broker, kind, value=0):
    eid = unique_id(kind)
    r = requests.post(broker.api + "/entities", headers=JSON,
                      json={"id": eid, "type": kind, "temperature": {"type": "Property", "value": value}})
    assert r.status_code == 201, r.text
    return eid


def update(broker, eid, value):
    r = requests.patch(f"{broker.api}/entities/{eid}/attrs", headers=JSON,
                       json={"temperature": {"type": "Property", "value": value}})
    assert r.status_code == 204, r.text


def notification_state(broker, sid):
    return requests.get(f"{broker.api}/subscriptions/{sid}").json()["notification"]


def wait_until(check, timeout, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    return check()


def test_healthy_receivers_are_not_held_up_by_hanging_slow_or_refusing_ones(make_broker, receivers):
    b = make_broker("--notification-timeout", "3000")
    b.start()
    kind = kind_name()
    hanging, slow, refusing = Hanging(), receivers(delay=1.0), f"http://127.0.0.1:{free_port()}"
    healthy = [receivers() for _ in range(4)]
    try:
        for i in range(8):  # more troubled subscriptions than a receiver has connections
            subscribe(b, kind, f"{hanging.url}/h{i}")
            subscribe(b, kind, f"{slow.url}/s{i}")
            subscribe(b, kind, f"{refusing}/r{i}")
        paths = {}
        for n, r in enumerate(healthy):
            for i in range(5):
                subscribe(b, kind, f"{r.url}/ok{n}-{i}")
            paths[r] = {f"/ok{n}-{i}" for i in range(5)}
        for round_ in range(3):  # the troubled receivers' queues fill up; the healthy ones still get each change
            start = time.time()
            eid = create(b, kind, round_)
            for r, expected in paths.items():
                got = {}
                while time.time() - start < 1.0 and len(got) < len(expected):
                    for path, body, at in r.take(0.05):
                        got[path] = (body, at)
                assert set(got) == expected, f"round {round_}: missing {expected - set(got)} within 1 s"
                assert all(body["data"][0]["id"] == eid and at - start < 1.0 for body, at in got.values())
    finally:
        hanging.close()


def test_a_refusing_receiver_gets_the_notification_once_it_comes_back(make_broker, receivers):
    b = make_broker("--notification-backoff", "200", "--notification-retries", "6")
    b.start()
    kind = kind_name()
    port = free_port()
    sid = subscribe(b, kind, f"http://127.0.0.1:{port}/back")
    eid = create(b, kind, 5)
    n = delivery_state(b, sid, "failed")
    assert n["timesFailed"] >= 1 and n["pending"] == 1  # waiting for the next attempt
    r = receivers(port=port)
    (path, body, _), = r.take(5)[:1]
    assert path == "/back" and body["data"][0]["id"] == eid
    n = delivery_state(b, sid, "ok", "lastSuccess")
    assert n["status"] == "ok" and n["timesSent"] == n["timesFailed"] + 1 and "pending" not in n


def test_server_errors_are_retried_and_client_errors_are_not(make_broker, receivers):
    b = make_broker("--notification-backoff", "50")
    b.start()
    kind = kind_name()
    flaky = receivers(statuses=[503, 500, 429])
    rejecting = receivers(statuses=[400])
    sid = subscribe(b, kind, f"{flaky.url}/flaky")
    rejected = subscribe(b, kind + "x", f"{rejecting.url}/rejecting")
    eid = create(b, kind)
    (_, body, _), = flaky.take(5)[:1]
    assert body["data"][0]["id"] == eid
    n = delivery_state(b, sid, "ok", "lastSuccess")
    assert flaky.calls == 4 and n["timesSent"] == 4 and n["timesFailed"] == 3
    create(b, kind + "x")
    n = delivery_state(b, rejected, "failed")
    time.sleep(0.5)
    assert rejecting.calls == 1 and notification_state(b, rejected)["timesFailed"] == 1  # a 400 is final


def test_retries_end_at_the_limit_and_the_notification_is_dropped(make_broker, receivers):
    b = make_broker("--notification-backoff", "50", "--notification-retries", "2")
    b.start()
    kind = kind_name()
    failing = receivers(statuses=[500] * 100)
    sid = subscribe(b, kind, f"{failing.url}/failing")
    create(b, kind)
    n = wait_until(lambda: (s := notification_state(b, sid)).get("timesFailed") == 3 and "pending" not in s and s, 5)
    assert n and n["status"] == "failed"
    time.sleep(0.5)
    assert failing.calls == 3 and notification_state(b, sid)["timesFailed"] == 3


def test_a_deleted_subscriptions_notifications_are_not_retried(make_broker, receivers):
    b = make_broker("--notification-backoff", "1000")
    b.start()
    kind = kind_name()
    failing = receivers(statuses=[500] * 100)
    sid = subscribe(b, kind, f"{failing.url}/failing")
    create(b, kind)
    assert wait_until(lambda: failing.calls == 1, 5)
    assert requests.delete(f"{b.api}/subscriptions/{sid}").status_code == 204
    time.sleep(2.5)  # the retries would have come after 1 s and 2 s
    assert failing.calls == 1


def test_a_subscription_that_falls_behind_gets_its_changes_coalesced_in_order(make_broker, receivers):
    b = make_broker()
    b.start()
    kind = kind_name()
    slow = receivers(delay=0.3)
    sid = subscribe(b, kind, f"{slow.url}/slow")
    eid = create(b, kind, 0)
    for value in range(1, 41):
        update(b, eid, value)
    values, requests_seen = [], 0
    deadline = time.time() + 15
    while len(values) < 41 and time.time() < deadline:
        for _, body, _ in slow.take(0.5):
            requests_seen += 1
            values += [e["temperature"]["value"] for e in body["data"]]
    assert values == list(range(41))  # every change, once, in order
    assert requests_seen < 20  # most of them travelled together
    n = wait_until(lambda: (s := notification_state(b, sid)).get("timesSent") == requests_seen and s, 3)
    assert n and "pending" not in n and "timesFailed" not in n


def test_order_is_kept_per_subscription_across_connections(make_broker, receivers):
    b = make_broker()
    b.start()
    kind = kind_name()
    r = receivers(delay=0.01)
    for i in range(4):  # four subscriptions share the endpoint's connections
        subscribe(b, kind, f"{r.url}/s{i}")
    eid = create(b, kind, 0)
    for value in range(1, 31):
        update(b, eid, value)
    seen = {f"/s{i}": [] for i in range(4)}
    deadline = time.time() + 10
    while any(len(v) < 31 for v in seen.values()) and time.time() < deadline:
        for path, body, _ in r.take(0.3):
            seen[path] += [e["temperature"]["value"] for e in body["data"]]
    assert all(v == list(range(31)) for v in seen.values()), seen


def test_queue_bound_drops_and_counts_while_others_flow(make_broker, receivers):
    b = make_broker("--notification-queue-bytes", "20000", "--notification-timeout", "2000")
    b.start()
    hanging = Hanging()
    healthy = receivers()
    try:
        kind = kind_name()
        stuck = subscribe(b, kind, f"{hanging.url}/stuck")
        fine = subscribe(b, kind, f"{healthy.url}/fine")
        eid = create(b, kind, 0)
        for value in range(1, 60):
            update(b, eid, value)
        n = wait_until(lambda: (s := notification_state(b, stuck)).get("timesFailed") and s, 3)
        assert n and n["status"] == "failed" and n["pending"] >= 1  # some dropped at the bound, some wait
        values = []
        deadline = time.time() + 5
        while len(values) < 60 and time.time() < deadline:
            values += [e["temperature"]["value"] for _, body, _ in healthy.take(0.3) for e in body["data"]]
        assert values == list(range(60))
        assert notification_state(b, fine)["status"] == "ok"
    finally:
        hanging.close()


def test_pending_notifications_go_out_during_the_grace_period(make_broker, receivers):
    slow = receivers(delay=0.2)
    b = make_broker("--notification-grace", "5000")
    b.start()
    kind = kind_name()
    subscribe(b, kind, f"{slow.url}/grace")
    for value in range(5):
        create(b, kind, value)  # five subscriptions' worth of work for one slow receiver: ~1 s
    assert b.stop() == 0
    got = slow.take(0.5)
    assert sorted(body["data"][0]["temperature"]["value"] for _, body, _ in got) == list(range(5))


def test_what_the_grace_period_cannot_deliver_is_counted_as_failed(make_broker):
    hanging = Hanging()
    try:
        b = make_broker("--notification-grace", "300", "--notification-timeout", "10000")
        b.start()
        kind = kind_name()
        sid = subscribe(b, kind, f"{hanging.url}/never")
        create(b, kind)
        wait_until(lambda: notification_state(b, sid).get("pending"), 2)
        t0 = time.time()
        assert b.stop() == 0
        assert time.time() - t0 < 5  # the hanging receiver does not hold the shutdown
        b.start()
        n = notification_state(b, sid)
        assert n["status"] == "failed" and n["timesFailed"] == 1 and "pending" not in n
    finally:
        hanging.close()


def _metric(text, name, endpoint):
    for line in text.splitlines():
        if line.startswith(f'{name}{{endpoint="{endpoint}"}} '):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_show_each_endpoints_deliveries_and_failures(make_broker, receivers):
    b = make_broker("--notification-backoff", "50", "--notification-retries", "1")
    b.start()
    kind = kind_name()
    fine = receivers()
    refusing = f"http://127.0.0.1:{free_port()}"
    subscribe(b, kind, f"{fine.url}/m")
    sid = subscribe(b, kind, f"{refusing}/m")
    create(b, kind)
    assert len(fine.take(3)) == 1
    wait_until(lambda: notification_state(b, sid).get("timesFailed") == 2, 5)
    text = wait_until(lambda: (t := requests.get(b.url + "/metrics").text)
                      and _metric(t, "allmende_notifications_sent_total", fine.url) == 1 and t, 3)
    assert _metric(text, "allmende_notifications_sent_total", fine.url) == 1
    assert _metric(text, "allmende_notifications_failed_total", fine.url) == 0
    assert _metric(text, "allmende_notifications_failed_total", refusing) == 2
    assert _metric(text, "allmende_notifications_retried_total", refusing) == 1
    assert _metric(text, "allmende_notifications_dropped_total", refusing) == 1
    assert _metric(text, "allmende_notification_queued", refusing) == 0
    assert "allmende_notification_memory_bytes 0" in text.splitlines()
