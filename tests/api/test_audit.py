"""The audit trail (docs/security.md): with --audit on every write records who
made it (token subject, client, request id), when, the operation and the
attributes it changed, in the same durable batch as the change; admin actions
(grants, API keys) and changes of history alone are recorded too. Admins read
it per entity (or grant, or key) and per subject, newest first and paged, and
from an instanceId of the temporal API to the write that recorded it. Records
older than --audit-retention are no longer answered.
"""
import time

import pytest
import requests

from conftest import JSON, assert_problem, link
from issuer import ISSUER, Key, bearer, write_jwks

AUDIT = "/ngsi-ld/ex/audit"
EID = "urn:ngsi-ld:ServiceRequest:audit-1"


@pytest.fixture(scope="module")
def key():
    return Key("EdDSA", "k-audit")


def start(make_broker, tmp_path, key, context_server, *extra):
    jwks = str(tmp_path / "jwks.json")
    write_jwks(jwks, key)
    b = make_broker("--auth-issuer", ISSUER, "--auth-jwks", jwks, "--auth-admin", "city-admin", "--audit", "on",
                    *extra).start()
    b.key = key
    b.town = link(context_server.base + "/town.jsonld")
    return b


def who(broker, sub, client="dashboard", **headers):
    return {**bearer(broker.key.token(sub=sub, azp=client)), "Link": broker.town, **headers}


@pytest.fixture
def audited(make_broker, tmp_path, key, context_server):
    b = start(make_broker, tmp_path, key, context_server)
    b.admin = who(b, "city-admin", "admin-console")
    r = requests.post(b.url + "/ngsi-ld/ex/grants", json={"to": "authenticated", "role": "writer"}, headers=b.admin)
    assert r.status_code == 201, r.text
    b.grant = r.json()["id"]
    return b


def trail(broker, **params):
    r = requests.get(broker.url + AUDIT, params=params, headers=broker.admin)
    assert r.status_code == 200, r.text
    return r.json()


def test_each_write_records_who_what_and_when(audited):
    editor = who(audited, "editor")
    before = time.time()
    r = requests.post(audited.api + "/entities", headers=editor, json={
        "id": EID, "type": "ServiceRequest", "status": {"type": "Property", "value": "open"}})
    assert r.status_code == 201, r.text
    created_id = r.headers["X-Request-Id"]  # made by the broker when the client sent none
    assert len(created_id) >= 8
    r = requests.patch(audited.api + f"/entities/{EID}/attrs", json={"status": {"type": "Property", "value": "done"}},
                       headers={**who(audited, "clerk", "mobile-app"), "X-Request-Id": "req-42"})
    assert r.status_code == 204 and r.headers["X-Request-Id"] == "req-42"
    assert requests.delete(audited.api + "/entities/" + EID, headers=editor).status_code == 204
    records = requests.get(audited.url + AUDIT, params={"id": EID}, headers=audited.admin).json()
    assert [(x["operation"], x["subject"], x["client"]) for x in records] == [
        ("delete", "editor", "dashboard"), ("update", "clerk", "mobile-app"), ("create", "editor", "dashboard")]
    update = records[1]
    assert update["requestId"] == "req-42" and update["resource"] == EID and update["type"] == "AuditRecord"
    assert update["attributes"] == ["status"]  # compacted with the request's @context
    assert records[2]["requestId"] == created_id
    assert "status" in str(records[2]["attributes"])
    # Times are the writes' own, newest first.
    times = [x["time"] for x in records]
    assert times == sorted(times, reverse=True) and times[-1] >= time.strftime("%Y-%m-%dT%H:%M", time.gmtime(before))


def test_the_trail_of_a_subject_paged(audited):
    editor = who(audited, "editor")
    for n in range(3):
        r = requests.post(audited.api + "/entities", headers=editor, json={"id": f"{EID}-{n}", "type": "ServiceRequest"})
        assert r.status_code == 201, r.text
    r = requests.post(audited.api + "/entityOperations/upsert", headers=who(audited, "agent", "iot-agent"),
                      json=[{"id": f"{EID}-{n}", "type": "ServiceRequest",
                             "status": {"type": "Property", "value": n}} for n in range(2)])
    assert r.status_code == 204, r.text
    mine = trail(audited, subject="editor")
    assert [x["resource"] for x in mine] == [f"{EID}-2", f"{EID}-1", f"{EID}-0"]
    r = requests.get(audited.url + AUDIT, params={"subject": "editor", "limit": 1, "offset": 1, "count": "true"},
                     headers=audited.admin)
    assert r.status_code == 200 and r.headers["NGSILD-Results-Count"] == "3"
    assert [x["resource"] for x in r.json()] == [f"{EID}-1"] and 'rel="next"' in r.headers.get("Link", "")
    # The batch is recorded per entity, for its caller.
    assert sorted(x["resource"] for x in trail(audited, subject="agent")) == [f"{EID}-0", f"{EID}-1"]
    # A time window.
    newest = mine[0]["time"]
    assert [x["resource"] for x in trail(audited, subject="editor", timeAt=newest)] == [f"{EID}-2"]
    assert [x["resource"] for x in trail(audited, subject="editor", endTimeAt=newest)] == [
        x["resource"] for x in mine if x["time"] < newest]


def test_admin_actions_and_history_changes_are_recorded(audited):
    [made] = trail(audited, id=audited.grant)
    assert made["operation"] == "createGrant" and made["subject"] == "city-admin" and made["client"] == "admin-console"
    r = requests.post(audited.url + "/ngsi-ld/ex/apiKeys", json={"name": "iot"}, headers=audited.admin)
    key_id = r.json()["id"]
    assert requests.delete(audited.url + "/ngsi-ld/ex/apiKeys/" + key_id, headers=audited.admin).status_code == 204
    assert [x["operation"] for x in trail(audited, id=key_id)] == ["revokeApiKey", "createApiKey"]
    editor = who(audited, "editor")
    requests.post(audited.api + "/entities", headers=editor, json={
        "id": EID, "type": "ServiceRequest", "status": {"type": "Property", "value": "open"}})
    r = requests.delete(audited.api + f"/temporal/entities/{EID}/attrs/status", params={"deleteAll": "true"},
                        headers=editor)
    assert r.status_code == 204, r.text
    latest = trail(audited, id=EID)[0]
    assert latest["operation"] == "deleteHistory" and "status" in str(latest["attributes"])


def test_from_a_history_instance_to_the_write_that_recorded_it(audited):
    editor, clerk = who(audited, "editor"), who(audited, "clerk", "mobile-app")
    requests.post(audited.api + "/entities", headers=editor, json={
        "id": EID, "type": "ServiceRequest", "status": {"type": "Property", "value": "open"}})
    time.sleep(0.01)
    r = requests.patch(audited.api + f"/entities/{EID}/attrs", headers=clerk,
                       json={"status": {"type": "Property", "value": "done"}})
    assert r.status_code == 204
    history = requests.get(audited.api + "/temporal/entities/" + EID, headers=editor).json()
    instances = {i["value"]: i["instanceId"] for i in history["status"]}
    for value, subject in (("open", "editor"), ("done", "clerk")):
        [record] = trail(audited, id=EID, instanceId=instances[value])
        assert record["subject"] == subject, (value, record)
    assert_problem(requests.get(audited.url + AUDIT, params={"id": EID, "instanceId": "urn:x"}, headers=audited.admin),
                   400, "BadRequestData")


def test_only_admins_read_the_trail_and_it_survives_a_restart(audited):
    editor = who(audited, "editor")
    requests.post(audited.api + "/entities", headers=editor, json={"id": EID, "type": "ServiceRequest"})
    assert_problem(requests.get(audited.url + AUDIT, params={"id": EID}, headers=editor), 403, "Forbidden")
    r = requests.post(audited.url + "/ngsi-ld/ex/grants", json={"to": "sub:auditor", "role": "admin"},
                      headers=audited.admin)
    assert r.status_code == 201
    assert len(requests.get(audited.url + AUDIT, params={"id": EID}, headers=who(audited, "auditor")).json()) == 1
    # Per tenant: another tenant's trail holds nothing of it.
    assert requests.get(audited.url + AUDIT, params={"id": EID}, headers={**audited.admin, "NGSILD-Tenant": "x"}).json() == []
    for bad in ({}, {"id": EID, "subject": "editor"}, {"id": EID, "timeAt": "yesterday"}, {"subject": "s", "instanceId": "urn:x"}):
        assert_problem(requests.get(audited.url + AUDIT, params=bad, headers=audited.admin), 400, "BadRequestData")
    audited.stop()
    audited.start(audited.port)
    assert [x["operation"] for x in trail(audited, id=EID)] == ["create"]


def test_records_older_than_the_retention_are_not_answered(make_broker, tmp_path, key, context_server):
    b = start(make_broker, tmp_path, key, context_server, "--audit-retention", "PT2S")
    b.admin = who(b, "city-admin")
    assert requests.post(b.api + "/entities", headers=b.admin, json={"id": EID, "type": "ServiceRequest"}).status_code == 201
    assert len(trail(b, id=EID)) == 1
    time.sleep(2.2)
    assert trail(b, id=EID) == []


def test_the_trail_is_off_unless_asked_for(broker):
    assert_problem(requests.get(broker.url + AUDIT, params={"id": EID}, headers=JSON), 422, "OperationNotSupported")


def test_without_authentication_the_trail_has_request_ids(make_broker):
    b = make_broker("--audit", "on").start()
    r = requests.post(b.api + "/entities", json={"id": EID, "type": "ServiceRequest"},
                      headers={**JSON, "X-Request-Id": "nightly-import-7"})
    assert r.status_code == 201
    [record] = requests.get(b.url + AUDIT, params={"id": EID}).json()
    assert record["subject"] == "" and record["requestId"] == "nightly-import-7" and record["operation"] == "create"
