"""GET /metrics (docs/operations.md): the Prometheus text format, request
counts and latency histograms per route family, entities per tenant, store,
notification and process figures.

The broker is shared by the tests of this module; each test compares
counters before and after its own requests, so the order of tests does not
matter.
"""
import itertools
import os
import re

import pytest
import requests

from conftest import JSON, unique_id

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')
_n = itertools.count()


def parse(text):
    """{(name, frozenset of (label, value)): value} of a text-format body; asserts that
    every line is a comment or a sample of a metric whose TYPE came before it."""
    types = {}
    samples = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram"), line
            types[name] = kind
            continue
        if line.startswith("# HELP "):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample: {line!r}"
        name, _, labels_text, value = m.groups()
        base = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert base in types, f"sample before its TYPE: {line!r}"
        labels = []
        if labels_text:
            pos = 0
            while pos < len(labels_text):
                lm = LABEL.match(labels_text, pos)
                assert lm, f"bad labels: {line!r}"
                labels.append((lm.group(1), lm.group(2)))
                pos = lm.end()
        key = (name, frozenset(labels))
        assert key not in samples, f"series twice: {line!r}"
        samples[key] = float(value)
    return types, samples


def scrape(broker):
    r = requests.get(broker.url + "/metrics")
    assert r.status_code == 200, r.text
    return parse(r.text)[1]


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0)


def requests_of(samples, route):
    """Sum of allmende_http_requests_total over the methods and statuses of a route family."""
    return sum(v for (name, labels), v in samples.items()
               if name == "allmende_http_requests_total" and ("route", route) in labels)


def test_metrics_is_the_prometheus_text_format(broker):
    r = requests.get(broker.url + "/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == CONTENT_TYPE
    types, samples = parse(r.text)
    assert types["allmende_http_requests_total"] == "counter"
    assert types["allmende_http_request_duration_seconds"] == "histogram"
    assert types["allmende_entities"] == "gauge"
    for name in ("sent", "failed", "retried", "coalesced", "dropped"):
        assert types[f"allmende_notifications_{name}_total"] == "counter"
    for name in ("allmende_notification_queued", "allmende_notification_queued_bytes",
                 "allmende_notification_in_flight"):
        assert types[name] == "gauge"


def test_request_counts_go_up_by_route_family_method_and_status(broker):
    eid = unique_id()
    before = scrape(broker)
    assert requests.post(broker.api + "/entities", json={"id": eid, "type": "Thing"},
                         headers=JSON).status_code == 201
    for _ in range(3):
        assert requests.get(f"{broker.api}/entities/{eid}").status_code == 200
    assert requests.get(f"{broker.api}/entities/{eid}-missing").status_code == 404
    assert requests.post(f"{broker.api}/entities/{eid}/attrs",
                         json={"p": {"type": "Property", "value": 1}}, headers=JSON).status_code == 204
    assert requests.get(broker.api + "/entities", params={"type": "Thing"}).status_code == 200
    assert requests.get(broker.url + "/no/such/path").status_code == 404
    after = scrape(broker)

    def grew(route, method, status):
        key = dict(route=route, method=method, status=status)
        return (value(after, "allmende_http_requests_total", **key)
                - value(before, "allmende_http_requests_total", **key))

    assert grew("entities", "POST", "201") == 1
    assert grew("entities", "GET", "200") == 3
    assert grew("entities", "GET", "404") == 1
    assert grew("attributes", "POST", "204") == 1
    assert grew("query", "GET", "200") == 1
    assert grew("unrouted", "GET", "404") == 1
    # The scrape before counts itself once it is answered.
    assert grew("system", "GET", "200") == 1


def test_histogram_count_matches_the_requests_of_its_family(broker):
    eid = unique_id()
    assert requests.post(broker.api + "/entities", json={"id": eid, "type": "Thing"},
                         headers=JSON).status_code == 201
    for _ in range(5):
        requests.get(f"{broker.api}/entities/{eid}")
    samples = scrape(broker)
    name = "allmende_http_request_duration_seconds"
    count = value(samples, name + "_count", route="entities")
    assert count >= 6
    assert count == requests_of(samples, "entities")
    buckets = sorted(((float(dict(labels)["le"]), v) for (n, labels), v in samples.items()
                      if n == name + "_bucket" and ("route", "entities") in labels))
    assert buckets[-1] == (float("inf"), count)
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), "buckets are cumulative"
    assert 0 < value(samples, name + "_sum", route="entities") < count * 10


def test_request_refused_before_routing_is_counted(make_broker):
    """A body over --max-body is answered by the server itself (413): counted as unrouted."""
    b = make_broker("--max-body", "1000").start()
    r = requests.post(b.api + "/entities", data="x" * 5000, headers=JSON)
    assert r.status_code == 413
    samples = scrape(b)
    assert value(samples, "allmende_http_requests_total",
                 route="unrouted", method="POST", status="413") == 1
    assert value(samples, "allmende_http_request_duration_seconds_count", route="unrouted") == 1


def test_entities_per_tenant(broker):
    first, second = f"m{os.getpid()}x{next(_n)}", f"m{os.getpid()}x{next(_n)}"
    ids = []
    for tenant, n in ((first, 2), (second, 1)):
        for _ in range(n):
            ids.append((tenant, unique_id()))
            r = requests.post(broker.api + "/entities", json={"id": ids[-1][1], "type": "Thing"},
                              headers={"NGSILD-Tenant": tenant, **JSON})
            assert r.status_code == 201, r.text
    samples = scrape(broker)
    assert value(samples, "allmende_entities", tenant=first) == 2
    assert value(samples, "allmende_entities", tenant=second) == 1
    tenant, eid = ids[0]
    assert requests.delete(f"{broker.api}/entities/{eid}",
                           headers={"NGSILD-Tenant": tenant}).status_code == 204
    assert value(scrape(broker), "allmende_entities", tenant=first) == 1


def test_default_tenant_is_the_empty_label(broker):
    before = value(scrape(broker), "allmende_entities", tenant="")
    assert requests.post(broker.api + "/entities", json={"id": unique_id(), "type": "Thing"},
                         headers=JSON).status_code == 201
    assert value(scrape(broker), "allmende_entities", tenant="") == before + 1


@pytest.mark.embedded_only("the figures are the embedded store's: sizes of its files in --data, RocksDB's "
                           "memtables, flushes, compactions, write stalls and write-ahead log replay")
def test_store_figures(make_broker):
    b = make_broker().start()
    for _ in range(20):
        requests.post(b.api + "/entities", json={"id": unique_id(), "type": "Thing"}, headers=JSON)
    samples = scrape(b)
    assert value(samples, "allmende_store_size_bytes") > 0
    assert value(samples, "allmende_store_unflushed_bytes") > 0
    assert value(samples, "allmende_store_history_bytes") == 0, "nothing flushed yet"
    for name in ("allmende_store_live_data_bytes", "allmende_store_flushes_total",
                 "allmende_store_compactions_total", "allmende_store_compactions_running",
                 "allmende_store_compaction_written_bytes_total",
                 "allmende_store_compaction_pending_bytes"):
        assert (name, frozenset()) in samples, name
    for state in ("delayed", "stopped"):
        assert value(samples, "allmende_store_write_stalls_total", state=state) == 0
        assert ("allmende_store_write_stall_seconds_total",
                frozenset({("state", state)})) in samples
    # A start writes what it replays from the write-ahead log to data files.
    b.stop()
    b.start()
    samples = scrape(b)
    assert value(samples, "allmende_store_live_data_bytes") > 0
    assert value(samples, "allmende_store_history_bytes") > 0, "the creations' history"


def test_process_figures(broker):
    samples = scrape(broker)
    version = requests.get(broker.url + "/version").json()
    assert value(samples, "allmende_build_info",
                 version=version["version"], revision=version["revision"]) == 1
    assert value(samples, "allmende_uptime_seconds") > 0
    assert value(samples, "allmende_process_cpu_seconds_total") > 0
    assert value(samples, "allmende_process_resident_memory_bytes") > 1 << 20
