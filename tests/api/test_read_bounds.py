"""What one read may cost (issue #15): --request-time-limit bounds the time a
request spends examining candidates (entities of a query, instances of a
history) and is answered 403 TooComplexQuery; --max-response-bytes bounds the
answer's body and is answered 403 TooManyResults. Both leave the broker
serving, and bad values of either option keep it from starting.
"""
import json
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import JSON, Broker, assert_problem, entity_url, unique_id

SENSORS = 4000  # enough that reading them all takes well over a millisecond


@pytest.fixture(scope="module")
def sensor_data(broker_binary, tmp_root):
    """A data directory holding SENSORS entities of type Sensor (with history), written by a
    broker that is stopped again, so that each test can start its own on it."""
    data_dir = tempfile.mkdtemp(dir=tmp_root)
    b = Broker(broker_binary, data_dir).start()
    for first in range(0, SENSORS, 1000):
        batch = [{"id": f"urn:ngsi-ld:Sensor:{i}", "type": "Sensor",
                  "name": {"type": "Property", "value": f"sensor-{i}"},
                  "temperature": {"type": "Property", "value": i % 40}}
                 for i in range(first, first + 1000)]
        r = requests.post(b.api + "/entityOperations/create", data=json.dumps(batch), headers=JSON)
        assert r.status_code == 201, r.text
    assert b.stop() == 0
    return data_dir


# Reads whose selection no index answers (an unanchored pattern): each examines every Sensor
# (or its history).
COSTLY_READS = [
    ("GET", "/entities", {"type": "Sensor", "q": "name~=nobody"}, None),
    ("GET", "/entities", {"type": "Sensor", "idPattern": "nobody$"}, None),
    ("GET", "/entities", {"type": "Sensor", "count": "true", "limit": "1", "orderBy": "name"}, None),
    ("POST", "/entityOperations/query", {},
     {"type": "Query", "entities": [{"type": "Sensor"}], "q": "name~=nobody"}),
    ("GET", "/entityMaps", {"type": "Sensor", "q": "name~=nobody"}, None),
    ("GET", "/temporal/entities", {"type": "Sensor", "q": "name~=nobody"}, None),
    ("POST", "/temporal/entityOperations/query", {"count": "true"},
     {"type": "Query", "entities": [{"type": "Sensor"}], "attrs": ["temperature"]}),
]


def read(broker, method, path, params, body):
    if method == "GET":
        return requests.get(broker.api + path, params=params, timeout=60)
    return requests.post(broker.api + path, params=params, data=json.dumps(body), headers=JSON, timeout=60)


def test_reads_past_the_time_limit_are_403_too_complex_query(make_broker, sensor_data):
    b = make_broker("--request-time-limit", "1", data_dir=sensor_data).start()
    for method, path, params, body in COSTLY_READS:
        problem = assert_problem(read(b, method, path, params, body), 403, "TooComplexQuery")
        detail = problem["detail"]
        assert "1 ms" in detail and "--request-time-limit" in detail, (path, params, detail)
        # how to narrow it
        assert "type" in detail and "q comparing attributes with numbers or strings" in detail, detail
    # Reads that examine a few candidates stay well within it.
    one = "urn:ngsi-ld:Sensor:17"
    assert requests.get(entity_url(b, one)).status_code == 200
    r = requests.get(b.api + "/entities", params={"type": "Sensor", "id": one})
    assert r.status_code == 200 and [e["id"] for e in r.json()] == [one], r.text
    r = requests.get(f"{b.api}/temporal/entities/{one}")
    assert r.status_code == 200 and r.json()["id"] == one, r.text
    assert requests.get(b.url + "/health").status_code == 200
    assert b.stop() == 0


@pytest.mark.parametrize("limit", [None, "0"])
def test_the_same_reads_answer_with_the_default_limit_or_none(make_broker, sensor_data, limit):
    """10 s (the default) is plenty for these; 0 switches the bound off."""
    args = ("--request-time-limit", limit) if limit else ()
    b = make_broker(*args, data_dir=sensor_data).start()
    for method, path, params, body in COSTLY_READS:
        r = read(b, method, path, params, body)
        assert r.status_code in (200, 201), (path, params, r.text)
    r = requests.get(b.api + "/entities", params={"type": "Sensor", "q": 'name=="sensor-3999"'})
    assert [e["id"] for e in r.json()] == ["urn:ngsi-ld:Sensor:3999"], r.text
    r = requests.get(b.api + "/entities", params={"type": "Sensor", "count": "true", "limit": "1",
                                                  "orderBy": "name"})
    assert r.headers["NGSILD-Results-Count"] == str(SENSORS)
    r = requests.get(b.api + "/temporal/entities", params={"type": "Sensor", "attrs": "temperature",
                                                           "count": "true", "limit": "1"})
    assert r.status_code == 200 and r.headers["NGSILD-Results-Count"] == str(SENSORS), r.text
    assert b.stop() == 0


def document(eid, size):
    return {"id": eid, "type": "Document", "text": {"type": "Property", "value": "x" * size}}


def test_answers_beyond_the_response_limit_are_403_too_many_results(make_broker):
    b = make_broker("--max-response-bytes", "4096").start()
    kind = f"Document{time.time_ns()}"
    docs = [dict(document(unique_id(), 500), type=kind) for _ in range(20)]
    r = requests.post(b.api + "/entityOperations/create", data=json.dumps(docs), headers=JSON)
    assert r.status_code == 201, r.text
    # 20 entities of more than 500 bytes each: over 4,096.
    r = requests.get(b.api + "/entities", params={"type": kind, "limit": "20"})
    problem = assert_problem(r, 403, "TooManyResults")
    assert "4096 bytes" in problem["detail"] and "--max-response-bytes" in problem["detail"], problem
    assert "smaller limit" in problem["detail"] and "attrs" in problem["detail"], problem
    assert len(r.content) < 1000
    # A smaller page fits, and so does the same page without the large attribute.
    r = requests.get(b.api + "/entities", params={"type": kind, "limit": "5"})
    assert r.status_code == 200 and len(r.json()) == 5 and len(r.content) <= 4096, r.text
    r = requests.get(b.api + "/entities", params={"type": kind, "limit": "20", "pick": "id"})
    assert r.status_code == 200 and len(r.json()) == 20, r.text
    # A temporal query is written entity by entity: it stops at the limit just as well.
    r = requests.get(b.api + "/temporal/entities", params={"type": kind, "limit": "20"})
    assert_problem(r, 403, "TooManyResults")
    assert len(r.content) < 1000
    r = requests.get(b.api + "/temporal/entities", params={"type": kind, "limit": "5"})
    assert r.status_code == 200 and len(r.json()) == 5 and len(r.content) <= 4096, r.text
    # A single entity larger than the limit is refused the same way, on every path that renders it.
    big = document(unique_id(), 5000)
    assert requests.post(b.api + "/entities", data=json.dumps(big), headers=JSON).status_code == 201
    assert_problem(requests.get(entity_url(b, big["id"])), 403, "TooManyResults")
    assert_problem(requests.get(f"{b.api}/temporal/entities/{big['id']}"), 403, "TooManyResults")
    assert requests.get(entity_url(b, big["id"]), params={"pick": "id,type"}).status_code == 200
    assert requests.get(b.url + "/health").status_code == 200
    assert b.stop() == 0


@pytest.mark.parametrize("option,value", [
    ("--request-time-limit", "-1"),
    ("--request-time-limit", "3600001"),
    ("--request-time-limit", "fast"),
    ("--max-response-bytes", "1023"),
    ("--max-response-bytes", "-5"),
    ("--max-response-bytes", "64MiB"),
])
def test_bad_values_are_refused_at_start(broker_binary, tmp_path, option, value):
    p = subprocess.run([broker_binary, "serve", "--data", str(tmp_path), "--port", "0", option, value],
                       capture_output=True, timeout=30)
    assert p.returncode != 0
    assert option.encode() in p.stdout + p.stderr
