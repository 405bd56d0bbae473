"""Subscription management (5.8, 6.10, 6.11): create, retrieve, query with
paging, update with a fragment, delete; what a subscription may contain
(BadRequestData otherwise), its computed status, compaction with the reader's
@context, tenants, and persistence across a restart.
"""
import time

import pytest
import requests

from conftest import CORE, JSON, assert_problem, link, unique_id

TEST_CONTEXT_TERM = "http://example.org/vocab#"  # prefix of the terms of contexts/test-context.jsonld


def subscription(**members):
    s = {"type": "Subscription", "entities": [{"type": "Room"}],
         "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify", "accept": "application/json"}}}
    s.update(members)
    return s


def create(broker, body, headers=JSON):
    r = requests.post(broker.api + "/subscriptions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.headers["Location"].rsplit("/", 1)[1]


def sub_url(broker, sid):
    return f"{broker.api}/subscriptions/{sid}"


def read(broker, sid, headers=None, **params):
    r = requests.get(sub_url(broker, sid), headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_create_and_retrieve_echoes_members_with_status_and_default_trigger(broker):
    sid = unique_id("Subscription")
    body = subscription(id=sid, subscriptionName="rooms", watchedAttributes=["temperature"],
                        q="temperature>20", throttling=5)
    r = requests.post(broker.api + "/subscriptions", json=body, headers=JSON)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/ngsi-ld/v1/subscriptions/{sid}"
    got = read(broker, sid)
    expected = dict(body, status="active", notificationTrigger=["attributeCreated", "attributeUpdated"])
    assert got == expected
    assert r.headers.get("Link") is None  # a 201 has no body
    assert "createdAt" not in got and "isActive" not in got


def test_generated_id_is_a_urn_that_can_be_read(broker):
    sid = create(broker, subscription())
    assert sid.startswith("urn:ngsi-ld:Subscription:")
    assert read(broker, sid)["id"] == sid


def test_sys_attrs_add_created_and_modified(broker):
    sid = create(broker, subscription())
    got = read(broker, sid, options="sysAttrs")
    assert got["createdAt"].endswith("Z") and got["modifiedAt"].endswith("Z")


def test_existing_id_is_already_exists(broker):
    sid = unique_id("Subscription")
    create(broker, subscription(id=sid))
    r = requests.post(broker.api + "/subscriptions", json=subscription(id=sid), headers=JSON)
    assert_problem(r, 409, "AlreadyExists")


def test_terms_are_compacted_with_the_readers_context(broker, context_server):
    ctx = context_server.base + "/test-context.jsonld"
    sid = create(broker, subscription(entities=[{"type": "Building"}], watchedAttributes=["temperature"]),
                 headers={**JSON, "Link": link(ctx)})
    with_ctx = read(broker, sid, headers={"Link": link(ctx)})
    assert with_ctx["entities"] == [{"type": "Building"}]
    assert with_ctx["watchedAttributes"] == ["temperature"]
    core_only = read(broker, sid)
    assert core_only["entities"] == [{"type": TEST_CONTEXT_TERM + "Building"}]
    assert core_only["watchedAttributes"] == [TEST_CONTEXT_TERM + "temperature"]


def test_ld_json_answer_carries_the_context_and_json_answer_a_link(broker):
    sid = create(broker, subscription())
    r = requests.get(sub_url(broker, sid), headers={"Accept": "application/ld+json"})
    assert r.headers["Content-Type"] == "application/ld+json"
    assert r.json()["@context"] == CORE
    r = requests.get(sub_url(broker, sid), headers={"Accept": "*/*"})
    assert r.headers["Content-Type"] == "application/json"
    assert CORE in r.headers["Link"]


@pytest.mark.parametrize("members, why", [
    ({"type": "Thing"}, "type"),
    ({"id": "not a uri"}, "id"),
    ({"entities": []}, "entities"),
    ({"entities": [{"id": "urn:a"}]}, "type"),
    ({"entities": [{"type": "Room", "idPattern": "("}]}, "idPattern"),
    ({"watchedAttributes": []}, "watchedAttributes"),
    ({"notificationTrigger": ["entityChanged"]}, "notificationTrigger"),
    ({"timeInterval": 10, "throttling": 30}, "throttling"),
    ({"throttling": -30}, "throttling"),
    ({"timeInterval": 10, "watchedAttributes": ["a"]}, "timeInterval"),
    ({"q": "temperature>>"}, ""),
    ({"geoQ": {"georel": "near;maxDistance==10", "geometry": "Point", "coordinates": [200, 0]}}, ""),
    ({"expiresAt": "2020-01-01T00:00:00Z"}, "past"),
    ({"expiresAt": "2026-13-45T00:00:00Z"}, "expiresAt"),
    ({"isActive": "yes"}, "isActive"),
    ({"jsonldContext": "unknownContext"}, "jsonldContext"),
    ({"notification": {}}, "endpoint"),
    ({"notification": {"endpoint": {"uri": "not a uri"}}}, "uri"),
    ({"notification": {"endpoint": {"uri": "ftp://h/x"}}}, "uri"),
    ({"notification": {"endpoint": {"uri": "http://h/x", "accept": "text/plain"}}}, "accept"),
    ({"notification": {"endpoint": {"uri": "http://h/x"}, "format": "xml"}}, "format"),
    ({"notification": {"endpoint": {"uri": "http://h/x"}, "format": "keyValues", "showChanges": True}},
     "showChanges"),
    ({"notification": {"endpoint": {"uri": "http://h/x"}, "attributes": []}}, "attributes"),
    ({"notification": {"endpoint": {"uri": "http://h/x"}, "pick": ["id"], "omit": ["id"]}}, "picked"),
    ({"notification": {"endpoint": {"uri": "http://h/x"}, "pick": ["a"], "attributes": ["a"]}}, "pick"),
    ({"notification": {"endpoint": {"uri": "http://h/x", "receiverInfo": [{"key": "K", "value": 1}]}}},
     "receiverInfo"),
])
def test_invalid_subscription_is_bad_request_data(broker, members, why):
    body = subscription(**members)
    r = requests.post(broker.api + "/subscriptions", json=body, headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert why in r.json()["detail"]


def test_neither_entities_nor_watched_attributes_is_bad_request_data(broker):
    body = subscription()
    del body["entities"]
    r = requests.post(broker.api + "/subscriptions", json=body, headers=JSON)
    assert_problem(r, 400, "BadRequestData")


def test_read_only_and_unknown_members_are_dropped(broker):
    body = subscription(status="expired", __context="http://x/hijacked.jsonld")
    body["notification"]["timesSent"] = 42
    sid = create(broker, body)
    got = read(broker, sid)
    assert got["status"] == "active"
    assert "__context" not in got and "timesSent" not in got["notification"]


def test_unreachable_context_is_ld_context_not_available(broker):
    body = subscription(jsonldContext="http://127.0.0.1:9/missing.jsonld")
    r = requests.post(broker.api + "/subscriptions", json=body, headers=JSON)
    assert_problem(r, 504, "LdContextNotAvailable")


def test_request_level_errors(broker):
    r = requests.post(broker.api + "/subscriptions?bogus=1", json=subscription(), headers=JSON)
    assert_problem(r, 400, "InvalidRequest")
    r = requests.post(broker.api + "/subscriptions", data="{,,}", headers=JSON)
    assert_problem(r, 400, "InvalidRequest")
    r = requests.post(broker.api + "/subscriptions", data="<s/>", headers={"Content-Type": "application/xml"})
    assert r.status_code == 415
    missing = sub_url(broker, "urn:ngsi-ld:Subscription:missing")
    assert requests.get(missing, headers={"Accept": "application/xml"}).status_code == 406
    assert requests.get(missing, headers={"Accept": "application/geo+json"}).status_code == 406
    r = requests.patch(missing, data="<s/>", headers={"Content-Type": "application/xml"})
    assert r.status_code == 415
    assert_problem(requests.get(missing), 404, "ResourceNotFound")
    assert_problem(requests.get(sub_url(broker, "not-a-uri")), 400, "BadRequestData")
    assert requests.delete(broker.api + "/subscriptions/").status_code == 405
    assert requests.patch(broker.api + "/subscriptions/", json={}, headers=JSON).status_code == 405


def test_patch_replaces_members_and_keeps_the_others(broker, context_server):
    ctx = context_server.base + "/test-context.jsonld"
    sid = create(broker, subscription(throttling=5, description="old"))
    fragment = {"entities": [{"type": "Building"}], "description": "new",
                "notification": {"endpoint": {"uri": "http://127.0.0.1:9/second"}, "format": "keyValues"}}
    r = requests.patch(sub_url(broker, sid), json=fragment, headers={**JSON, "Link": link(ctx)})
    assert r.status_code == 204 and r.text == ""
    got = read(broker, sid, headers={"Link": link(ctx)})
    assert got["entities"] == [{"type": "Building"}]
    assert read(broker, sid)["entities"] == [{"type": TEST_CONTEXT_TERM + "Building"}]
    assert got["throttling"] == 5 and got["description"] == "new"
    assert got["notification"] == fragment["notification"]


def test_patch_with_merge_patch_content_type_and_null_removes(broker):
    sid = create(broker, subscription(description="x"))
    r = requests.patch(sub_url(broker, sid), json={"description": None},
                       headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 204, r.text
    assert "description" not in read(broker, sid)


@pytest.mark.parametrize("fragment", [
    {"notification": {"format": "keyValues"}},
    {"notification": {"endpoint": None}},
    {"notification": None},
    {"type": None},
    {"expiresAt": "2020-08-01T22:07:00Z"},
    {"timeInterval": 10},  # the stored throttling forbids it
    {"id": "urn:ngsi-ld:Subscription:other"},
])
def test_invalid_patch_is_bad_request_data_and_changes_nothing(broker, fragment):
    sid = create(broker, subscription(throttling=5))
    before = read(broker, sid)
    r = requests.patch(sub_url(broker, sid), json=fragment, headers=JSON)
    assert_problem(r, 400, "BadRequestData")
    assert read(broker, sid) == before


def test_patch_of_unknown_subscription_is_not_found(broker):
    r = requests.patch(sub_url(broker, "urn:ngsi-ld:Subscription:missing"), json={"isActive": True}, headers=JSON)
    assert_problem(r, 404, "ResourceNotFound")


def test_status_follows_is_active_and_expires_at(broker):
    sid = create(broker, subscription(isActive=False))
    assert read(broker, sid)["status"] == "paused"
    requests.patch(sub_url(broker, sid), json={"isActive": True}, headers=JSON)
    assert read(broker, sid)["status"] == "active"
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
    r = requests.patch(sub_url(broker, sid), json={"expiresAt": soon}, headers=JSON)
    assert r.status_code == 204, r.text
    time.sleep(2.5)
    assert read(broker, sid)["status"] == "expired"
    r = requests.patch(sub_url(broker, sid), json={"expiresAt": "2099-01-01T00:00:00Z"}, headers=JSON)
    assert r.status_code == 204
    assert read(broker, sid)["status"] == "active"


def test_delete_then_not_found(broker):
    sid = create(broker, subscription())
    r = requests.delete(sub_url(broker, sid))
    assert r.status_code == 204 and r.text == ""
    assert_problem(requests.get(sub_url(broker, sid)), 404, "ResourceNotFound")
    assert_problem(requests.delete(sub_url(broker, sid)), 404, "ResourceNotFound")


def test_query_pages_in_id_order_with_links_and_count(make_broker):
    b = make_broker()
    b.start()
    ids = [create(b, subscription(id=f"urn:ngsi-ld:Subscription:q{i}")) for i in range(3)]
    r = requests.get(b.api + "/subscriptions/", params={"limit": 1, "offset": 1},
                     headers={"Accept": "application/ld+json"})
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()] == [ids[1]]
    assert "NGSILD-Results-Count" not in r.headers
    links = r.headers["Link"].replace(" ", "")
    assert '</ngsi-ld/v1/subscriptions?limit=1&offset=0>;rel="prev";type="application/ld+json"' in links
    assert '</ngsi-ld/v1/subscriptions?limit=1&offset=2>;rel="next";type="application/ld+json"' in links
    r = requests.get(b.api + "/subscriptions", params={"count": "true"})
    assert [s["id"] for s in r.json()] == ids
    assert r.headers["NGSILD-Results-Count"] == "3"
    assert_problem(requests.get(b.api + "/subscriptions", params={"bogus": 1}), 400, "InvalidRequest")
    assert_problem(requests.get(b.api + "/subscriptions", params={"limit": 0}), 400, "BadRequestData")


def test_tenants_are_separate_and_subscriptions_survive_a_restart(make_broker):
    b = make_broker()
    b.start()
    tenant = {"NGSILD-Tenant": "subs"}
    sid = create(b, subscription(description="kept"), headers={**JSON, **tenant})
    assert_problem(requests.get(sub_url(b, sid)), 404, "ResourceNotFound")
    assert read(b, sid, headers=tenant)["description"] == "kept"
    b.stop()
    b.start()
    assert read(b, sid, headers=tenant)["description"] == "kept"
    assert requests.get(b.api + "/subscriptions").json() == []
    assert_problem(requests.get(b.api + "/subscriptions", headers={"NGSILD-Tenant": "none"}), 404,
                   "NonexistentTenant")


def test_concurrent_patches_of_different_members_are_all_kept(broker):
    import threading
    sid = create(broker, subscription())

    def patch(member):
        session = requests.Session()
        for i in range(40):
            r = session.patch(sub_url(broker, sid), json={member: f"{member}-{i}"}, headers=JSON)
            assert r.status_code == 204

    threads = [threading.Thread(target=patch, args=(m,)) for m in ("description", "subscriptionName")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = read(broker, sid)
    assert got["description"] == "description-39" and got["subscriptionName"] == "subscriptionName-39"
