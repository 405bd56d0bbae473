"""Context source registrations (5.9, 5.10, 6.8, 6.9): register, retrieve,
update with a fragment, delete; what a registration may contain
(BadRequestData otherwise), the conflict rules of exclusive and redirect
registrations (4.3.6.3, 5.9.2.4), discovery with every filter, compaction with
the reader's @context, expiry, tenants and persistence across a restart.
"""
import time

import requests

from conftest import JSON, assert_problem, create_entity, link, unique_id

EX = "http://example.org/vocab#"  # prefix of the terms of contexts/test-context.jsonld


def registration(**members):
    r = {"type": "ContextSourceRegistration",
         "information": [{"entities": [{"type": "Building"}], "propertyNames": ["name"]}],
         "endpoint": "http://127.0.0.1:9/town-a"}
    r.update(members)
    return r


def create(broker, body, headers=JSON):
    r = requests.post(broker.api + "/csourceRegistrations", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.text == ""
    return r.headers["Location"].rsplit("/", 1)[1]


def reg_url(broker, rid):
    return f"{broker.api}/csourceRegistrations/{rid}"


def read(broker, rid, headers=None, **params):
    r = requests.get(reg_url(broker, rid), headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def query(broker, headers=None, **params):
    r = requests.get(broker.api + "/csourceRegistrations", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()]


def test_register_and_retrieve_echoes_what_was_sent(broker, context_server):
    ctx = link(context_server.base + "/test-context.jsonld")
    rid = unique_id("ContextSourceRegistration")
    body = registration(
        id=rid, registrationName="town A buildings", description="the buildings of town A",
        information=[{"entities": [{"id": "urn:ngsi-ld:Building:1", "type": "Building"},
                                   {"idPattern": ".*downtown$", "type": "Building"}],
                      "propertyNames": ["name", "temperature"], "relationshipNames": ["locatedAt"]}],
        location={"type": "Point", "coordinates": [8.68, 49.41]},
        expiresAt="2035-11-29T14:53:15Z", scope=["/Town/A"], mode="inclusive",
        operations=["retrieveOps", "queryTemporal"],
        contextSourceInfo=[{"key": "Authorization", "value": "Bearer abc"}],
        management={"localOnly": True, "cacheDuration": "PT5M", "timeout": 3000, "cooldown": 500},
        observationInterval={"startAt": "2020-08-01T22:07:00Z", "endAt": "2021-08-01T21:07:00Z"},
        refreshRate="PT1M", status="ok", timesSent=7)
    create(broker, body, headers={**JSON, "Link": ctx})
    got = read(broker, rid, headers={"Link": ctx})
    del body["status"], body["timesSent"]  # read-only: dropped
    assert got == body
    # without the test context the terms are full IRIs ("locatedAt" too: the core
    # context's @vocab does not reach the test context's IRIs)
    plain = read(broker, rid)
    info = plain["information"][0]
    assert info["entities"][0]["type"] == EX + "Building"
    assert info["propertyNames"] == [EX + "name", EX + "temperature"]
    assert info["relationshipNames"] == [EX + "locatedAt"]
    sys = read(broker, rid, options="sysAttrs")
    assert sys["createdAt"].endswith("Z") and sys["modifiedAt"].endswith("Z")
    # as JSON-LD, the @context travels in the body
    ld = read(broker, rid, headers={"Link": ctx, "Accept": "application/ld+json"})
    assert ld["@context"] in (context_server.base + "/test-context.jsonld",
                              [context_server.base + "/test-context.jsonld"])


def test_generated_id_and_context_source_properties(broker, context_server):
    ctx = link(context_server.base + "/test-context.jsonld")
    rid = create(broker, registration(monument=True, sourceType={"type": "Property", "value": "sensor"}),
                 headers={**JSON, "Link": ctx})
    assert rid.startswith("urn:ngsi-ld:ContextSourceRegistration:")
    got = read(broker, rid, headers={"Link": ctx})
    assert got["monument"] is True
    assert got["sourceType"] == {"type": "Property", "value": "sensor"}
    assert read(broker, rid)[EX + "monument"] is True  # the name is expanded with the creator's context


def test_invalid_registrations_are_bad_request_data(broker):
    bad = [
        {k: v for k, v in registration().items() if k != "information"},
        {k: v for k, v in registration().items() if k != "endpoint"},
        registration(type="Registration"),
        registration(information=None),
        registration(information=[]),
        registration(information=[{}]),
        registration(information=[{"entities": [{"type": "Building", "color": "red"}]}]),
        registration(information=[{"entities": [{"id": "not a uri", "type": "Building"}]}]),
        registration(information=[{"entities": [{"idPattern": "(", "type": "Building"}]}]),
        registration(information=[{"propertyNames": ["bad name"]}]),
        registration(endpoint="not-a-uri"),
        registration(expiresAt="2020-01-01T00:00:00Z"),
        registration(expiresAt="2026-13-45T00:00:00Z"),
        registration(mode="sometimes"),
        registration(operations=["flyToTheMoon"]),
        registration(operations=[]),
        registration(contextSourceInfo=[{"key": "X-Custom", "value": 123}]),
        registration(contextSourceInfo=[{"key": "X-Custom"}]),
        registration(management="yes"),
        registration(management={"cacheDuration": "bogus"}),
        registration(management={"cooldown": 0}),
        registration(management={"timeout": -5}),
        registration(management={"localOnly": "yes"}),
        registration(location={"type": "Point", "coordinates": [200, 95]}),
        registration(observationInterval={"endAt": "2021-08-01T21:07:00Z"}),
        registration(scope="no-slash"),
        registration(refreshRate="often"),
        # 5.9.2.4: an auxiliary registration only serves reads
        registration(mode="auxiliary", operations=["updateEntity"]),
        # 4.3.6.3: an exclusive registration names entity ids and attributes
        registration(mode="exclusive", information=[{"entities": [{"type": "Building"}], "propertyNames": ["name"]}]),
        registration(mode="exclusive",
                     information=[{"entities": [{"idPattern": ".*", "type": "Building"}], "propertyNames": ["name"]}]),
        registration(mode="exclusive", information=[{"entities": [{"id": "urn:ngsi-ld:Building:x", "type": "Building"}]}]),
    ]
    for body in bad:
        r = requests.post(broker.api + "/csourceRegistrations", json=body, headers=JSON)
        assert_problem(r, 400, "BadRequestData")
        assert "Location" not in r.headers
    create(broker, registration(mode="auxiliary", operations=["retrieveOps"]))


def test_duplicate_id_and_unknown_ids(broker):
    rid = create(broker, registration(id=unique_id("ContextSourceRegistration")))
    assert_problem(requests.post(broker.api + "/csourceRegistrations", json=registration(id=rid), headers=JSON),
                   409, "AlreadyExists")
    missing = unique_id("ContextSourceRegistration")
    assert_problem(requests.get(reg_url(broker, missing)), 404, "ResourceNotFound")
    assert_problem(requests.patch(reg_url(broker, missing), json={"endpoint": "http://x.org"}, headers=JSON),
                   404, "ResourceNotFound")
    assert_problem(requests.delete(reg_url(broker, missing)), 404, "ResourceNotFound")
    assert_problem(requests.get(reg_url(broker, "invalidUri")), 400, "BadRequestData")
    assert_problem(requests.delete(reg_url(broker, "invalidUri")), 400, "BadRequestData")
    r = requests.delete(broker.api + "/csourceRegistrations/")
    assert r.status_code == 405


def test_patch_replaces_members_removes_nulls_and_is_checked_whole(broker):
    rid = create(broker, registration(expiresAt="2035-01-01T00:00:00Z", description="old"))
    r = requests.patch(reg_url(broker, rid), json={"endpoint": "http://127.0.0.1:9/new", "expiresAt": None,
                                                   "information": [{"entities": [{"type": "Room"}]}]},
                       headers=JSON)
    assert r.status_code == 204, r.text
    got = read(broker, rid)
    assert got["endpoint"] == "http://127.0.0.1:9/new"
    assert "expiresAt" not in got and got["description"] == "old"
    assert got["information"] == [{"entities": [{"type": "Room"}]}]
    for fragment in ({"information": None}, {"endpoint": None}, {"type": "Building"},
                     {"mode": "exclusive"}, {"id": "urn:ngsi-ld:ContextSourceRegistration:other"}):
        assert_problem(requests.patch(reg_url(broker, rid), json=fragment, headers=JSON), 400, "BadRequestData")
    r = requests.patch(reg_url(broker, rid), data="{\"endpoint\":,}", headers=JSON)
    assert_problem(r, 400, "InvalidRequest")
    assert read(broker, rid) == got  # nothing of a refused PATCH is applied
    assert requests.delete(reg_url(broker, rid)).status_code == 204
    assert_problem(requests.get(reg_url(broker, rid)), 404, "ResourceNotFound")


def test_exclusive_and_redirect_registrations_may_not_overlap(broker):
    vehicle = unique_id("Vehicle")
    info = [{"entities": [{"id": vehicle, "type": "Vehicle"}], "propertyNames": ["speed"]}]
    first = create(broker, registration(mode="exclusive", information=info))
    for mode in ("exclusive", "redirect"):
        r = requests.post(broker.api + "/csourceRegistrations", json=registration(mode=mode, information=info),
                          headers=JSON)
        body = assert_problem(r, 409, "Conflict")
        assert first in body["detail"]
    # another attribute of the same entity, and inclusive registrations, are fine
    create(broker, registration(mode="exclusive", information=[
        {"entities": [{"id": vehicle, "type": "Vehicle"}], "propertyNames": ["fuelLevel"]}]))
    create(broker, registration(mode="inclusive", information=info))
    # redirect registrations may overlap each other
    other = unique_id("Vehicle")
    info2 = [{"entities": [{"id": other, "type": "Vehicle"}], "propertyNames": ["speed"]}]
    create(broker, registration(mode="redirect", information=info2))
    create(broker, registration(mode="redirect", information=info2))
    # ... but then no exclusive one may come over them
    r = requests.post(broker.api + "/csourceRegistrations", json=registration(mode="exclusive", information=info2),
                      headers=JSON)
    assert_problem(r, 409, "Conflict")


def test_registrations_may_not_take_over_local_entities(broker):
    building = unique_id("Building")
    create_entity(broker, {"id": building, "type": "Building", "category": {"type": "Property", "value": "museum"}})
    r = requests.post(broker.api + "/csourceRegistrations", headers=JSON, json=registration(
        mode="redirect", operations=["retrieveOps"], information=[{"entities": [{"id": building, "type": "Building"}]}]))
    assert building in assert_problem(r, 409, "Conflict")["detail"]
    r = requests.post(broker.api + "/csourceRegistrations", headers=JSON, json=registration(
        mode="exclusive", information=[{"entities": [{"id": building, "type": "Building"}],
                                        "propertyNames": ["category"]}]))
    assert building in assert_problem(r, 409, "Conflict")["detail"]
    # an attribute the local entity does not have may be exclusive elsewhere
    create(broker, registration(mode="exclusive", information=[
        {"entities": [{"id": building, "type": "Building"}], "propertyNames": ["temperature"]}]))


def test_discovery_filters(make_broker, context_server):
    b = make_broker()
    b.start()
    ctx = {"Link": link(context_server.base + "/test-context.jsonld")}
    h = {**JSON, **ctx}
    buildings = create(b, registration(
        information=[{"entities": [{"type": "Building"}], "propertyNames": ["name"], "relationshipNames": ["locatedAt"]}],
        endpoint="http://127.0.0.1:9/a", scope="/Town/A", location={"type": "Point", "coordinates": [8.68, 49.41]},
        csourceProperty1="aValue", managementInterval={"startAt": "2020-08-01T22:07:00Z"}), headers=h)
    vehicles = create(b, registration(
        information=[{"entities": [{"id": "urn:ngsi-ld:Vehicle:A456", "type": "Vehicle"},
                                   {"idPattern": ".*downtown$", "type": "OffStreetParking"}],
                      "propertyNames": ["speed"]}],
        endpoint="http://127.0.0.1:9/b", scope=["/Town/B"],
        observationInterval={"startAt": "2020-08-01T22:07:00Z", "endAt": "2021-08-01T21:07:00Z"}), headers=h)
    anything = create(b, registration(information=[{"propertyNames": ["name"]}], endpoint="http://127.0.0.1:9/c",
                                      sourceType={"type": "Property", "value": "sensor"}), headers=h)
    everyone = sorted([buildings, vehicles, anything])

    def q(**params):
        return sorted(query(b, headers=ctx, **params))

    assert q(type="Building") == sorted([buildings, anything])
    assert q(type="Vehicle,OffStreetParking") == sorted([vehicles, anything])
    assert q(attrs="name") == sorted([buildings, anything])
    assert q(attrs="speed") == [vehicles]
    assert q(attrs="locatedAt") == [buildings]
    assert q(id="urn:ngsi-ld:Vehicle:A456") == sorted([buildings, vehicles, anything])  # type-only infos may hold it
    assert q(id="urn:ngsi-ld:Vehicle:B1", type="Vehicle") == [anything]
    assert q(id="urn:ngsi-ld:Parking:downtown", type="OffStreetParking") == sorted([vehicles, anything])
    assert q(idPattern=".*downtown$", type="OffStreetParking") == sorted([vehicles, anything])
    assert q(idPattern=".*A45.$", type="Vehicle") == sorted([vehicles, anything])
    assert q(q='csourceProperty1=="aValue"') == [buildings]
    assert q(csf='endpoint=="http://127.0.0.1:9/b"') == [vehicles]
    assert q(csf='sourceType=="sensor"') == [anything]
    assert q(scopeQ="/Town/#") == sorted([buildings, vehicles])
    assert q(scopeQ="/Town/B") == [vehicles]
    assert q(type="Building", georel="near;maxDistance==2000", geometry="Point", coordinates="[8.69,49.41]") == \
        [buildings]
    assert q(type="Building", georel="near;maxDistance==200", geometry="Point", coordinates="[8.69,49.41]") == []
    assert q(type="Vehicle", timerel="before", timeAt="2021-01-01T00:00:00Z") == [vehicles]
    assert q(type="Vehicle", timerel="after", timeAt="2022-01-01T00:00:00Z") == []
    assert q(type="Building", timerel="after", timeAt="2030-01-01T00:00:00Z", timeproperty="modifiedAt") == \
        [buildings]
    assert q(type="Building", attrs="speed") == []
    # paging: a stable order (by id), counts and links
    r = requests.get(b.api + "/csourceRegistrations", headers=ctx,
                     params={"attrs": "name,speed", "limit": 1, "offset": 1, "count": "true"})
    assert [x["id"] for x in r.json()] == [everyone[1]]
    assert r.headers["NGSILD-Results-Count"] == "3"
    assert 'rel="prev"' in r.headers["Link"] and 'rel="next"' in r.headers["Link"]
    # bad queries
    for params in ({}, {"id": "invalidUri"}, {"q": "(invalidQuery"}, {"georel": "within"},
                   {"timerel": "before"}, {"type": "Building", "options": "keyValues"}):
        assert_problem(requests.get(b.api + "/csourceRegistrations", headers=ctx, params=params), 400,
                       "BadRequestData")
    r = requests.get(b.api + "/csourceRegistrations", params={"type": "Building"}, headers={"Accept": "application/xml"})
    assert r.status_code == 406


def test_expired_registrations_are_gone(broker):
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
    rid = create(broker, registration(expiresAt=at, information=[{"entities": [{"type": "Ephemeral"}]}]))
    assert read(broker, rid)["expiresAt"] == at
    assert query(broker, type="Ephemeral") == [rid]
    time.sleep(2.5)
    assert_problem(requests.get(reg_url(broker, rid)), 404, "ResourceNotFound")
    assert query(broker, type="Ephemeral") == []


def test_tenants_are_separate_and_registrations_survive_a_restart(make_broker):
    b = make_broker()
    b.start()
    tenant = {"NGSILD-Tenant": "regs"}
    rid = create(b, registration(description="kept"), headers={**JSON, **tenant})
    assert_problem(requests.get(reg_url(b, rid)), 404, "ResourceNotFound")
    assert read(b, rid, headers=tenant)["description"] == "kept"
    b.stop()
    b.start()
    assert read(b, rid, headers=tenant)["description"] == "kept"
    assert query(b, headers=tenant, type="Building") == [rid]
    assert query(b, type="Building") == []
    assert_problem(requests.get(b.api + "/csourceRegistrations", headers={"NGSILD-Tenant": "none"},
                                params={"type": "Building"}), 404, "NonexistentTenant")
