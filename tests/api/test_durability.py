"""Durability and process lifecycle: data survives a clean restart and kill -9
(every acknowledged write, none half-written), SIGTERM drains and exits 0,
/health and /version answer."""
import concurrent.futures
import signal
import subprocess
import threading
import time

import pytest
import requests

from conftest import unique_id


def entity(eid, n):
    return {
        "id": eid,
        "type": "Sensor",
        "seq": {"type": "Property", "value": n},
        "payload": {"type": "Property", "value": "x" * 200},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [13.4, 52.5]}},
    }


def create(api, eid, n):
    return requests.post(api + "/entities", json=entity(eid, n), timeout=10)


def test_health_and_version(make_broker):
    b = make_broker().start()
    assert requests.get(b.url + "/health").json()["status"] == "ok"
    v = requests.get(b.url + "/version").json()
    assert v["ngsiLdVersion"].startswith("1.9")
    assert v["name"] == "allmende"


def test_restart_keeps_entities_and_contexts(make_broker, context_server):
    b = make_broker().start()
    eid = unique_id("Sensor")
    assert create(b.api, eid, 1).status_code == 201
    r = requests.post(b.api + "/jsonldContexts", json={"@context": {"kw": "http://example.org/kw"}})
    assert r.status_code == 201
    hosted = r.headers["Location"]
    assert b.stop() == 0
    b.start()
    got = requests.get(f"{b.api}/entities/{eid}")
    assert got.status_code == 200
    assert got.json()["seq"]["value"] == 1
    local_id = hosted.rsplit("/", 1)[1]
    served = requests.get(f"{b.api}/jsonldContexts/{local_id}")
    assert served.status_code == 200
    assert served.json()["@context"]["kw"] == "http://example.org/kw"


def test_kill9_loses_no_acknowledged_write(make_broker):
    """Writers run in parallel; the broker is killed with SIGKILL mid-stream.
    Every write answered 201 before the kill is there after restart, and every
    entity there is complete."""
    b = make_broker().start()
    prefix = unique_id("Sensor")
    acknowledged = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w):
        n = 0
        while not stop.is_set() and n < 2000:
            eid = f"{prefix}-{w}-{n}"
            try:
                if create(b.api, eid, n).status_code == 201:
                    with lock:
                        acknowledged.append(eid)
            except requests.RequestException:
                return
            n += 1

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(writer, w) for w in range(4)]
        deadline = time.time() + 10
        while time.time() < deadline and len(acknowledged) < 300:
            time.sleep(0.02)
        b.kill()
        stop.set()
        for f in futures:
            f.result()
    assert len(acknowledged) >= 50, "too few writes before the kill to mean anything"
    b.start()
    for eid in acknowledged:
        r = requests.get(f"{b.api}/entities/{eid}")
        assert r.status_code == 200, f"acknowledged entity {eid} lost"
        body = r.json()
        assert set(body) >= {"id", "type", "seq", "payload", "location"}, body


def test_sigterm_drains_in_flight_and_exits_cleanly(make_broker):
    b = make_broker().start()
    results = []

    def slow_client():
        # Keep requests flowing while the broker is told to stop.
        for n in range(200):
            try:
                results.append(create(b.api, unique_id("Sensor"), n).status_code)
            except requests.RequestException:
                return

    t = threading.Thread(target=slow_client)
    t.start()
    time.sleep(0.3)
    code = b.stop(signal.SIGTERM)
    t.join()
    assert code == 0
    assert results, "no request completed"
    assert set(results) <= {201}, "a request was cut off with an error status: %s" % set(results)


def test_sync_mode_serves_writes(make_broker):
    b = make_broker("--sync").start()
    eid = unique_id("Sensor")
    assert create(b.api, eid, 7).status_code == 201
    b.kill()
    b.start()
    assert requests.get(f"{b.api}/entities/{eid}").json()["seq"]["value"] == 7


@pytest.mark.parametrize("entity_cache", [str(1 << 20), "0"])
def test_small_caches_read_every_entity_as_last_written_and_bad_sizes_refuse_to_start(
        make_broker, broker_binary, tmp_path, entity_cache):
    """--block-cache (smallest: 8 MiB) and --entity-cache (here 1 MiB, or none): with 400
    entities of 40 kB, twice the block cache and forty times the entity cache, every entity
    is read as last written, after creates, after updates of every other one and after a
    restart; sizes out of range or not a number keep the broker from starting."""
    b = make_broker("--block-cache", str(8 << 20), "--entity-cache", entity_cache).start()
    ids = [unique_id("Sensor") for _ in range(400)]
    big = "y" * 40000
    for n, eid in enumerate(ids):
        body = dict(entity(eid, n), payload={"type": "Property", "value": big})
        assert requests.post(b.api + "/entities", json=body, timeout=10).status_code == 201
    expected = list(range(len(ids)))

    def check_all():
        for eid, n in zip(ids, expected):
            got = requests.get(f"{b.api}/entities/{eid}", params={"options": "keyValues"}).json()
            assert got["seq"] == n and got["payload"] == big, eid

    check_all()
    for n in range(0, len(ids), 2):
        r = requests.patch(f"{b.api}/entities/{ids[n]}/attrs/seq", json={"value": n + 1000}, timeout=10)
        assert r.status_code == 204, r.text
        expected[n] = n + 1000
        got = requests.get(f"{b.api}/entities/{ids[n]}", params={"options": "keyValues"}).json()
        assert got["seq"] == n + 1000, "a read right after the update"
    check_all()
    assert b.stop() == 0
    b.start()
    check_all()
    assert b.stop() == 0
    for option, value in (("--block-cache", "1048576"), ("--block-cache", "lots"), ("--entity-cache", "lots"),
                          ("--entity-cache", "-1")):
        p = subprocess.run([broker_binary, "serve", "--data", str(tmp_path), "--port", "0", option, value],
                           capture_output=True, timeout=30)
        assert p.returncode != 0 and option.encode() in p.stdout + p.stderr
