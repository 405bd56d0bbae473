"""Transient entities and attributes (4.22, expiresAt of 4.8): data with an
expiresAt in the past is no longer served and is deleted by the broker's
sweep (every 200 ms in tests), so an expired entity's id can be used again.

4.22 lets deletion lag expiresAt "to a certain extent"; the tests allow one
second of lag after the expiry instant.
"""
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from conftest import assert_problem, unique_id

JSON = {"Content-Type": "application/json"}
LAG = 1.0  # seconds of deletion lag allowed after expiresAt


def in_seconds(seconds):
    """An expiresAt `seconds` from now, ISO 8601 in UTC with milliseconds."""
    t = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sleep_past(expires_at):
    t = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    delay = (t - datetime.now(timezone.utc)).total_seconds()
    if delay > 0:
        time.sleep(delay + 0.05)


def eventually(check, timeout=LAG):
    """check() becomes true within timeout seconds; returns its last result."""
    deadline = time.time() + timeout
    while True:
        result = check()
        if result or time.time() > deadline:
            return result
        time.sleep(0.05)


def create(broker, entity):
    return requests.post(broker.api + "/entities", json=entity, headers=JSON)


def get(broker, eid, **params):
    return requests.get(f"{broker.api}/entities/{eid}", params=params)


def test_transient_entity_is_served_until_it_expires(broker):
    """4.22 (suite 422_02): an entity with expiresAt 2 s ahead is readable, and 404 once expired."""
    eid, expires = unique_id(), in_seconds(2)
    assert create(broker, {"id": eid, "type": "Thing", "expiresAt": expires}).status_code == 201
    assert get(broker, eid).status_code == 200
    sleep_past(expires)
    assert eventually(lambda: get(broker, eid).status_code == 404)
    assert_problem(get(broker, eid), 404, "ResourceNotFound")


def test_expired_entity_id_can_be_created_again(broker):
    """4.22 (suite 422_02): after expiry the entity is really deleted, so its id is free (201, not 409)."""
    eid, expires = unique_id(), in_seconds(2)
    assert create(broker, {"id": eid, "type": "Thing", "expiresAt": expires}).status_code == 201
    sleep_past(expires)
    again = {"id": eid, "type": "Thing", "name": {"type": "Property", "value": "second life"}}
    r = eventually(lambda: create(broker, again).status_code == 201)
    assert r, "the expired entity's id was still taken"
    assert get(broker, eid).json()["name"]["value"] == "second life"


def test_transient_attribute_expires_and_the_entity_stays(broker):
    """4.22 (suite 422_03): an attribute with expiresAt vanishes at expiry; the entity and its
    other attributes stay."""
    eid, expires = unique_id(), in_seconds(2)
    r = create(broker, {"id": eid, "type": "Thing",
                        "temp": {"type": "Property", "value": 21, "expiresAt": expires},
                        "humidity": {"type": "Property", "value": 60}})
    assert r.status_code == 201, r.text
    assert "temp" in get(broker, eid).json()
    sleep_past(expires)
    assert eventually(lambda: "temp" not in get(broker, eid).json())
    body = get(broker, eid).json()
    assert body["humidity"]["value"] == 60


def test_a_transient_attributes_history_expires_with_it(broker):
    """4.22 (suite 422_07_02): the instances of a transient attribute carry its expiresAt, so
    after it its history is gone from temporal reads and aggregations; a durable attribute's
    history stays."""
    eid, expires = unique_id(), in_seconds(2)
    r = create(broker, {"id": eid, "type": "Thing",
                        "flash": {"type": "Property", "value": 10, "expiresAt": expires},
                        "steady": {"type": "Property", "value": 100}})
    assert r.status_code == 201, r.text
    r = requests.patch(f"{broker.api}/entities/{eid}/attrs/flash", json={"value": 11}, headers=JSON)
    assert r.status_code == 204, r.text
    temporal = f"{broker.api}/temporal/entities/{eid}"
    body = requests.get(temporal, params={"options": "temporalValues"}).json()
    assert sorted(v[0] for v in body["flash"]["values"]) == [10, 11]
    sleep_past(expires)
    body = requests.get(temporal, params={"options": "temporalValues"}).json()
    assert "flash" not in body and [v[0] for v in body["steady"]["values"]] == [100]
    assert "flash" not in requests.get(temporal, params={"lastN": 1}).json()
    body = requests.get(temporal, params={"options": "aggregatedValues", "aggrMethods": "totalCount"}).json()
    assert "flash" not in body and body["steady"]["totalCount"][0][0] == 1


def test_one_dataset_instance_expires_alone(broker):
    """4.22 / 4.5.5 (suite 422_08_02): a datasetId instance with expiresAt vanishes while the
    default instance of the same attribute stays."""
    eid, expires = unique_id(), in_seconds(2)
    r = create(broker, {"id": eid, "type": "Thing", "speed": [
        {"type": "Property", "value": 10},
        {"type": "Property", "value": 20, "datasetId": "urn:ngsi-ld:Dataset:gps", "expiresAt": expires}]})
    assert r.status_code == 201, r.text
    assert len(get(broker, eid).json()["speed"]) == 2
    sleep_past(expires)
    assert eventually(lambda: "urn:ngsi-ld:Dataset:gps" not in get(broker, eid).text)
    assert get(broker, eid).json()["speed"] == {"type": "Property", "value": 10}


def test_expires_at_set_later_by_merge(broker):
    """4.22 / 5.6.17 (suite 422_04): a durable entity made transient by a merge expires."""
    eid = unique_id()
    assert create(broker, {"id": eid, "type": "Thing"}).status_code == 201
    expires = in_seconds(2)
    r = requests.patch(f"{broker.api}/entities/{eid}", json={"expiresAt": expires}, headers=JSON)
    assert r.status_code == 204, r.text
    assert get(broker, eid).status_code == 200
    sleep_past(expires)
    assert eventually(lambda: get(broker, eid).status_code == 404)


def test_expires_at_removed_by_a_merge_with_the_ngsi_ld_null(broker):
    """5.5.4 (suite 5611_01_03): "urn:ngsi-ld:null" for expiresAt in a merge fragment removes it,
    and the entity no longer expires; outside a fragment (create, temporal create) it is 400."""
    eid = unique_id()
    expires = in_seconds(1)
    assert create(broker, {"id": eid, "type": "Thing", "expiresAt": expires}).status_code == 201
    r = requests.patch(f"{broker.api}/entities/{eid}", json={"expiresAt": "urn:ngsi-ld:null"}, headers=JSON)
    assert r.status_code == 204, r.text
    body = get(broker, eid, options="sysAttrs").json()
    assert "expiresAt" not in body and "urn:ngsi-ld:null" not in str(body)
    sleep_past(expires)
    time.sleep(LAG)
    assert get(broker, eid).status_code == 200
    assert_problem(create(broker, {"id": unique_id(), "type": "Thing", "expiresAt": "urn:ngsi-ld:null"}),
                   400, "BadRequestData")
    r = requests.post(broker.api + "/temporal/entities", headers=JSON, json={
        "id": unique_id(), "type": "Thing", "expiresAt": "urn:ngsi-ld:null",
        "speed": [{"type": "Property", "value": 1, "observedAt": "2026-01-01T00:00:00Z"}]})
    assert_problem(r, 400, "BadRequestData")


def test_expires_at_is_shown_only_with_sys_attrs(broker):
    """6.3.11 (suite 6311_01): expiresAt is a system attribute: absent without options=sysAttrs,
    present on entity and attribute with it."""
    eid, far = unique_id(), "2100-01-01T00:00:00Z"
    r = create(broker, {"id": eid, "type": "Thing", "expiresAt": far,
                        "speed": {"type": "Property", "value": 7, "expiresAt": far}})
    assert r.status_code == 201, r.text
    assert "expiresAt" not in get(broker, eid).text
    body = get(broker, eid, options="sysAttrs").json()
    assert body["expiresAt"].startswith("2100-01-01T00:00:00")
    assert body["speed"]["expiresAt"].startswith("2100-01-01T00:00:00")


@pytest.mark.parametrize("bad", ["not-a-date", "2026-13-45T00:00:00Z"])
@pytest.mark.parametrize("level", ["entity", "attribute"])
def test_invalid_expires_at_is_400(broker, bad, level):
    """4.8 / 4.6.3 (suite 422_08_03): expiresAt must be a DateTime at entity and attribute level."""
    eid = unique_id()
    entity = {"id": eid, "type": "Thing"}
    if level == "entity":
        entity["expiresAt"] = bad
    else:
        entity["speed"] = {"type": "Property", "value": 1, "expiresAt": bad}
    assert_problem(create(broker, entity), 400, "BadRequestData")
    assert get(broker, eid).status_code == 404
