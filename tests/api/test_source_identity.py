"""Context source identity (5.15.1, 5.2.40, 6.33): GET /info/sourceIdentity
describes this broker: a URI id, type ContextSourceIdentity, an alias per
tenant, the uptime as an ISO 8601 duration and the current time in UTC.
"""
import itertools
import os
import re
import time
from datetime import datetime, timedelta, timezone

import requests

_n = itertools.count()
DURATION = re.compile(r"^P(\d+D)?T?(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$")
UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


def new_tenant():
    return f"sid{os.getpid()}x{next(_n)}"


def identity(broker, tenant=None):
    headers = {"Accept": "application/json"}
    if tenant:
        headers["NGSILD-Tenant"] = tenant
    r = requests.get(broker.api + "/info/sourceIdentity", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def seconds(duration):
    """Seconds of a PnDTnHnMn.nS duration."""
    m = re.match(r"^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$", duration)
    assert m, duration
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


def test_source_identity_has_type_and_uri_id(broker):
    """5.15.1 / 5.2.40 (suite 061_01_01): 200 with type ContextSourceIdentity and a URI id."""
    body = identity(broker)
    assert body["type"] == "ContextSourceIdentity"
    assert body["id"].startswith("urn:")


def test_source_identity_has_the_mandatory_members(broker):
    """5.2.40 (suite 061_01_02): contextSourceAlias, contextSourceUptime and
    contextSourceTimeAt are present; the alias is not empty."""
    body = identity(broker)
    for member in ("contextSourceAlias", "contextSourceUptime", "contextSourceTimeAt"):
        assert member in body, body
    assert isinstance(body["contextSourceAlias"], str) and body["contextSourceAlias"]


def test_uptime_is_an_iso_8601_duration_that_grows(broker):
    """5.2.40 (suite 061_01_03): contextSourceUptime is an ISO 8601 duration and does not go back."""
    first = identity(broker)["contextSourceUptime"]
    assert DURATION.match(first) and first != "P", first
    time.sleep(0.3)
    second = identity(broker)["contextSourceUptime"]
    assert DURATION.match(second), second
    assert seconds(second) > seconds(first)


def test_time_at_is_now_in_utc(broker):
    """5.2.40 / 4.6.3 (suite 061_01_04): contextSourceTimeAt is a DateTime ending in Z, close to now."""
    at = identity(broker)["contextSourceTimeAt"]
    assert UTC.match(at), at
    when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    assert abs(datetime.now(timezone.utc) - when) < timedelta(minutes=2)


def test_alias_differs_per_tenant_and_is_stable(broker):
    """5.2.40 (suite 061_01_05): each tenant has its own alias, and it stays the same."""
    a, b = new_tenant(), new_tenant()
    default = identity(broker)["contextSourceAlias"]
    alias_a = identity(broker, a)["contextSourceAlias"]
    alias_b = identity(broker, b)["contextSourceAlias"]
    assert alias_a != default
    assert alias_b != default
    assert alias_a != alias_b
    assert identity(broker, a)["contextSourceAlias"] == alias_a
    assert identity(broker)["contextSourceAlias"] == default


def test_id_survives_a_restart(make_broker):
    """5.2.40: the Context Source id identifies the broker; it is the same after a restart
    on the same data directory, and the uptime starts again."""
    b = make_broker().start()
    before = identity(b)
    time.sleep(1.2)
    grown = seconds(identity(b)["contextSourceUptime"])
    b.stop()
    b.start()
    after = identity(b)
    assert after["id"] == before["id"]
    assert after["contextSourceAlias"] == before["contextSourceAlias"]
    assert seconds(after["contextSourceUptime"]) < grown


def test_different_data_directories_have_different_ids(make_broker):
    """5.2.40: two brokers with their own data are two Context Sources with different ids."""
    one = make_broker().start()
    two = make_broker().start()
    assert identity(one)["id"] != identity(two)["id"]
