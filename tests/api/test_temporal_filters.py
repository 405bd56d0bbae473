"""Value filters of temporal queries evaluated on the history (clause 5.7.4.4
S2-S4, 4.9, 4.10, 4.18, 4.19): q and the geo-query on the attribute instances
within the requested time, scopeQ on the scopes valid within it (a scope set
mid-window bounds the instances shown, a replaced scope stops being valid, the
scope valid at the window start is shown); GET and POST
/temporal/entityOperations/query; scope instances in a temporal create.

Every test makes its own entity type, so the tests share one broker.
"""
import requests

from conftest import JSON, assert_problem, unique_id

IN = "2026-03-01T12:00:00Z"
OUT = "2026-01-05T00:00:00Z"
DAY = {"timerel": "between", "timeAt": "2026-03-01T00:00:00Z", "endTimeAt": "2026-03-02T00:00:00Z"}
HOUR = {"timerel": "between", "timeAt": "2026-03-01T12:00:00Z", "endTimeAt": "2026-03-01T13:00:00Z"}


def at(minute, hour=12):
    return f"2026-03-01T{hour:02d}:{minute:02d}:00Z"


def prop(value, observed, **members):
    return {"type": "Property", "value": value, "observedAt": observed, **members}


def new_kind():
    return "K" + unique_id("x").rsplit("-", 1)[1]


def temporal_create(broker, kind, **attributes):
    """POST /temporal/entities of an entity of type kind with these attributes (lists of instances)."""
    eid = unique_id(kind)
    r = requests.post(broker.api + "/temporal/entities", json={"id": eid, "type": kind, **attributes},
                      headers=JSON)
    assert r.status_code == 201, r.text
    return eid


def query(broker, kind, window=DAY, **params):
    r = requests.get(broker.api + "/temporal/entities", params={"type": kind, **window, **params})
    assert r.status_code == 200, r.text
    return r.json()


def ids(broker, kind, window=DAY, **params):
    return sorted(e["id"] for e in query(broker, kind, window, **params))


def post_query(broker, body, **params):
    return requests.post(broker.api + "/temporal/entityOperations/query", json={"type": "Query", **body},
                         headers=JSON, params=params)


# --- q on the instances within the time asked ----------------------------------

def test_q_is_tested_on_the_instances_in_the_window(broker):
    kind = new_kind()
    fast = temporal_create(broker, kind, speed=[prop(30, IN), prop(90, OUT)])
    slow = temporal_create(broker, kind, speed=[prop(10, IN), prop(80, OUT)])
    gone = temporal_create(broker, kind, speed=[prop(99, OUT)])
    assert ids(broker, kind, q="speed>25") == [fast]
    # without a time range every instance counts: slow's 80 and gone's 99 too
    assert ids(broker, kind, window={}, q="speed>25") == sorted([fast, slow, gone])
    # the instances shown stay those of the window
    (entity,) = query(broker, kind, q="speed>25")
    assert [i["value"] for i in entity["speed"]] == [30]


def test_q_is_not_the_current_state(broker):
    kind = new_kind()
    # the entity's current speed is 5 (the latest); 60 was observed earlier the same day
    eid = temporal_create(broker, kind, speed=[prop(60, at(0)), prop(5, at(30))])
    assert ids(broker, kind, q="speed>50") == [eid]
    assert ids(broker, kind, window=HOUR | {"timeAt": at(10)}, q="speed>50") == []
    current = requests.get(f"{broker.api}/entities/{eid}").json()
    assert current["speed"]["value"] == 5


def test_q_combines_terms_over_the_windowed_instances(broker):
    kind = new_kind()
    both = temporal_create(broker, kind, speed=[prop(30, IN)], heading=[prop(45, IN)])
    late_heading = temporal_create(broker, kind, speed=[prop(30, IN)], heading=[prop(45, OUT)])
    other_dataset = temporal_create(broker, kind, speed=[prop(5, IN),
                                                         prop(60, IN, datasetId="urn:ngsi-ld:Dataset:gps")])
    assert ids(broker, kind, q="speed>=5;heading<90") == [both]
    assert ids(broker, kind, q="speed>25|heading<90") == sorted([both, late_heading, other_dataset])
    assert ids(broker, kind, q="speed<25|heading>90") == [other_dataset]
    # a heading outside the window is no heading: the negation holds
    assert ids(broker, kind, q="!heading;speed>25") == sorted([late_heading, other_dataset])
    # an instance of any datasetId qualifies the entity
    assert ids(broker, kind, q="speed>50") == [other_dataset]


def test_last_n_bounds_what_is_shown_not_what_is_tested(broker):
    kind = new_kind()
    eid = temporal_create(broker, kind, speed=[prop(90, at(0)), prop(5, at(30))])
    (entity,) = query(broker, kind, q="speed>50", lastN="1")
    assert entity["id"] == eid and [i["value"] for i in entity["speed"]] == [5]


def test_deletions_in_the_history_match_no_value(broker):
    kind = new_kind()
    eid = temporal_create(broker, kind, speed=[prop(1, at(0)), prop("urn:ngsi-ld:null", at(5))])
    assert ids(broker, kind, q="speed==1") == [eid]
    assert ids(broker, kind, q='speed=="urn:ngsi-ld:null"') == []
    assert ids(broker, kind, window=HOUR | {"timeAt": at(4)}, q="speed") == []


# --- 4.9: != matches values of another data type, and is unequal to every listed value ------

def test_unequal_matches_other_data_types_and_needs_the_attribute(broker):
    kind = new_kind()
    number = temporal_create(broker, kind, name=[prop(5, IN)])
    m = temporal_create(broker, kind, name=[prop("m", IN)])
    z = temporal_create(broker, kind, name=[prop("z", IN)])
    nameless = temporal_create(broker, kind, other=[prop(1, IN)])
    assert ids(broker, kind, q='name!="m"') == sorted([number, z])
    assert ids(broker, kind, q='name!="m","z"') == [number]
    assert ids(broker, kind, q="name!=1..9") == sorted([m, z])
    assert nameless not in ids(broker, kind, q='name!="m"')
    # ordering and equality still need the same data type
    assert ids(broker, kind, q='name>"a"') == sorted([m, z])
    assert ids(broker, kind, q='name=="5"') == []


def test_unequal_on_current_entities_matches_other_data_types(broker):
    """The same evaluator answers GET /entities (one q for both APIs)."""
    kind = new_kind()
    made = {}
    for key, value in (("number", 5), ("m", "m"), ("list", ["m", 3])):
        eid = unique_id(kind)
        r = requests.post(broker.api + "/entities", headers=JSON,
                          json={"id": eid, "type": kind, "name": {"type": "Property", "value": value}})
        assert r.status_code == 201, r.text
        made[key] = eid

    def current(q):
        r = requests.get(broker.api + "/entities", params={"type": kind, "q": q})
        assert r.status_code == 200, r.text
        return sorted(e["id"] for e in r.json())

    assert current('name!="m"') == [made["number"]]
    assert current('name!="x","y"') == sorted(made.values())
    assert current("name!=3") == sorted([made["number"], made["m"]])


# --- geo-queries on the windowed GeoProperty instances ---------------------------

def point(lon, lat, observed):
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}, "observedAt": observed}


def test_geo_query_on_the_windowed_instances(broker):
    kind = new_kind()
    paris = temporal_create(broker, kind, location=[point(2.29, 48.85, IN)])
    far = temporal_create(broker, kind, location=[point(10.0, 50.0, IN)])
    was_there = temporal_create(broker, kind, location=[point(10.0, 40.0, IN), point(2.29, 48.85, OUT)])
    near = {"georel": "near;maxDistance==2000", "geometry": "Point", "coordinates": "[2.29,48.85]"}
    assert ids(broker, kind, **near) == [paris]
    assert ids(broker, kind, window={}, **near) == sorted([paris, was_there])
    box = {"geometry": "Polygon", "coordinates": "[[[2.0,48.5],[2.6,48.5],[2.6,49.2],[2.0,49.2],[2.0,48.5]]]"}
    assert ids(broker, kind, georel="disjoint", **box) == sorted([far, was_there])
    # no GeoProperty instance in the window: matches no relation, not even disjoint
    assert ids(broker, kind, window=HOUR | {"timeAt": at(30)}, georel="disjoint", **box) == []
    obs = temporal_create(broker, kind, observationSpace=[point(2.29, 48.85, IN)])
    assert ids(broker, kind, geoproperty="observationSpace", **near) == [obs]


# --- scopeQ on the scopes valid within the window (4.18) ----------------------------

def scope(value, observed):
    return {"type": "Property", "value": value, "observedAt": observed}


def scoped_fleet(broker):
    kind = new_kind()
    e = {
        "ab": temporal_create(broker, kind, scope=[scope("/A/B", at(0, 10))], speed=[prop("abval", at(5))]),
        "x": temporal_create(broker, kind, scope=[scope("/X", at(0, 10))], speed=[prop("xval", at(5))]),
        "bare": temporal_create(broker, kind, speed=[prop("bareval", at(5))]),
        "both": temporal_create(broker, kind, scope=[scope(["/A/B", "/C"], at(0, 10))],
                                speed=[prop("bothval", at(5))]),
        "mid": temporal_create(broker, kind, scope=[scope("/M", at(10))],
                               speed=[prop("midpre", at(5)), prop("midpost", at(15))]),
        "rep": temporal_create(broker, kind, scope=[scope("/R", at(0, 10)), scope("/S", at(30))],
                               speed=[prop("repold", at(15)), prop("repnew", at(45))]),
        "late": temporal_create(broker, kind, scope=[scope("/Z", at(0, 14))], speed=[prop("lateval", at(5))]),
    }
    return kind, e


def test_scope_q_selects_by_the_scopes_valid_in_the_window(broker):
    kind, e = scoped_fleet(broker)

    def scoped(q):
        return ids(broker, kind, HOUR, scopeQ=q)

    assert scoped("/A/B") == sorted([e["ab"], e["both"]])
    assert scoped("/Y") == []
    assert scoped("/A/#") == sorted([e["ab"], e["both"]])
    assert scoped("/#") == sorted(e[k] for k in ("ab", "x", "both", "mid", "rep"))
    assert scoped("/X|/M") == sorted([e["x"], e["mid"]])
    assert scoped("(/A/B;/C)") == [e["both"]]
    assert scoped("/Z") == []  # set only after the window: never valid in it
    assert ids(broker, kind, window={"timerel": "after", "timeAt": at(0, 14)}, scopeQ="/Z") == [e["late"]]


def speeds(entity):
    return [i["value"] for i in entity.get("speed", [])]


def test_scope_set_or_replaced_mid_window_bounds_the_instances(broker):
    kind, e = scoped_fleet(broker)
    (mid,) = query(broker, kind, HOUR, scopeQ="/M")
    assert mid["id"] == e["mid"] and speeds(mid) == ["midpost"]
    (old,) = query(broker, kind, HOUR, scopeQ="/R")
    assert old["id"] == e["rep"] and speeds(old) == ["repold"]
    assert [i["value"] for i in old["scope"]] == [["/R"]]
    (new,) = query(broker, kind, HOUR, scopeQ="/S")
    assert speeds(new) == ["repnew"] and [i["value"] for i in new["scope"]] == [["/S"]]
    # both scopes: the two spans together
    (either,) = query(broker, kind, HOUR, scopeQ="/R|/S")
    assert speeds(either) == ["repold", "repnew"]


def test_the_scope_valid_at_the_window_start_is_shown(broker):
    kind, e = scoped_fleet(broker)
    ab, both = query(broker, kind, HOUR, scopeQ="/A/B", orderBy="id")
    assert ab["id"] == e["ab"] and speeds(ab) == ["abval"]
    assert [(i["value"], i["observedAt"]) for i in ab["scope"]] == [(["/A/B"], at(0, 10))]
    assert [i["value"] for i in both["scope"]] == [["/A/B", "/C"]]
    (simplified, _) = query(broker, kind, HOUR, scopeQ="/A/B", options="temporalValues", orderBy="id")
    assert simplified["scope"]["values"] == [[["/A/B"], at(0, 10)]]
    # without scopeQ the representation holds the window's instances only
    plain = {x["id"]: x for x in query(broker, kind, HOUR)}
    assert "scope" not in plain[e["ab"]]
    # attrs without the scope leave it out
    (only_speed,) = query(broker, kind, HOUR, scopeQ="/A/B;/C", attrs="speed")
    assert "scope" not in only_speed and speeds(only_speed) == ["bothval"]


def test_scope_changes_through_the_entity_api_end_validity(broker):
    kind = new_kind()
    eid = unique_id(kind)
    r = requests.post(broker.api + "/entities", headers=JSON,
                      json={"id": eid, "type": kind, "scope": "/Old", "n": {"type": "Property", "value": 1}})
    assert r.status_code == 201, r.text
    r = requests.patch(f"{broker.api}/entities/{eid}/attrs", headers=JSON,
                       json={"scope": "/New", "n": {"type": "Property", "value": 2}})
    assert r.status_code == 204, r.text
    (old,) = query(broker, kind, {}, scopeQ="/Old")
    assert [i["value"] for i in old["n"]] == [1]
    (new,) = query(broker, kind, {}, scopeQ="/New")
    assert [i["value"] for i in new["n"]] == [2]
    # the same with the modification times (the scope's instances have no createdAt of their own)
    (old,) = query(broker, kind, {"timerel": "after", "timeAt": "2000-01-01T00:00:00Z",
                                  "timeproperty": "modifiedAt"}, scopeQ="/Old")
    assert [i["value"] for i in old["n"]] == [1]
    assert ids(broker, kind, {"timerel": "after", "timeAt": "2000-01-01T00:00:00Z", "timeproperty": "createdAt"},
               scopeQ="/Old") == [eid]
    r = requests.delete(f"{broker.api}/entities/{eid}/attrs/scope")
    assert r.status_code == 204, r.text
    r = requests.patch(f"{broker.api}/entities/{eid}/attrs", headers=JSON,
                       json={"n": {"type": "Property", "value": 3}})
    assert r.status_code == 204, r.text
    (new,) = query(broker, kind, {}, scopeQ="/New")
    assert [i["value"] for i in new["n"]] == [2]  # deleting the scope ended its validity


def test_aggregation_over_the_scope_spans(broker):
    k2 = new_kind()
    eid = temporal_create(broker, k2, scope=[scope("/R", at(0, 10)), scope("/S", at(30))],
                          n=[prop(1, at(10)), prop(2, at(20)), prop(40, at(40))])
    (agg,) = query(broker, k2, HOUR, scopeQ="/R", options="aggregatedValues", aggrMethods="sum,totalCount")
    assert agg["id"] == eid
    assert agg["n"]["sum"] == [[3, at(0), at(0, 13)]] and agg["n"]["totalCount"][0][0] == 2


def test_post_query_with_temporal_q_and_filters(broker):
    kind, e = scoped_fleet(broker)
    r = post_query(broker, {"entities": [{"type": kind}], "scopeQ": "/R|/S", "q": 'speed=="repnew"',
                            "temporalQ": {"timerel": "between", "timeAt": at(0), "endTimeAt": at(0, 13)}})
    assert r.status_code == 200, r.text
    assert [(x["id"], speeds(x)) for x in r.json()] == [(e["rep"], ["repold", "repnew"])]
    geo = {"georel": "near;maxDistance==2000", "geometry": "Point", "coordinates": [2.29, 48.85]}
    paris = temporal_create(broker, kind, location=[point(2.29, 48.85, at(5))])
    r = post_query(broker, {"entities": [{"type": kind}], "geoQ": geo,
                            "temporalQ": {"timerel": "after", "timeAt": at(0)}})
    assert r.status_code == 200 and [x["id"] for x in r.json()] == [paris], r.text
    r = post_query(broker, {"entities": [{"type": kind}], "geoQ": geo,
                            "temporalQ": {"timerel": "after", "timeAt": at(6)}})
    assert r.status_code == 200 and r.json() == [], r.text


def test_filter_errors(broker):
    kind = new_kind()
    temporal_create(broker, kind, speed=[prop(1, IN)])
    for params in ({"q": "speed>"}, {"q": "speed==1..x"}, {"scopeQ": "A/B"}, {"scopeQ": "/A//B"},
                   {"georel": "near", "geometry": "Point", "coordinates": "[1,2]"},
                   {"geometry": "Point", "coordinates": "[1,2]"}, {"csf": "x=="},
                   {"q": "rel{speed}>1"}):
        r = requests.get(broker.api + "/temporal/entities", params={"type": kind, **params})
        assert_problem(r, 400, "BadRequestData")
    for body in ({"q": 5}, {"scopeQ": "nope"}, {"geoQ": {"georel": "near"}}, {"type": "Other"}):
        assert_problem(post_query(broker, {"entities": [{"type": kind}], **body}), 400, "BadRequestData")


# --- the scope given as instances in a temporal create ----------------------------------

def test_scope_instances_in_a_temporal_create(broker):
    kind = new_kind()
    eid = temporal_create(broker, kind, scope=[scope("/B", at(30)), scope(["/A", "/C"], at(10))],
                          speed=[prop(1, at(0))])
    r = requests.get(f"{broker.api}/temporal/entities/{eid}")
    assert r.status_code == 200, r.text
    assert [(i["value"], i["observedAt"]) for i in r.json()["scope"]] == [(["/A", "/C"], at(10)), (["/B"], at(30))]
    current = requests.get(f"{broker.api}/entities/{eid}").json()
    assert current["scope"] == "/B"  # the latest
    # a plain scope still is the entity's scope, recorded when written
    plain = temporal_create(broker, kind, scope="/P", speed=[prop(1, at(0))])
    assert requests.get(f"{broker.api}/entities/{plain}").json()["scope"] == "/P"
    assert ids(broker, kind, {}, scopeQ="/P") == [plain]


def test_bad_scope_instances_are_refused(broker):
    kind = new_kind()
    for bad in ([scope("A/B", at(0))], [scope("/A", "yesterday")], [{"type": "Relationship", "value": "/A"}],
                [{"type": "Property", "object": "/A"}], [{"type": "Property", "value": "/A", "unitCode": "X"}],
                [scope("/A", at(0)), "/B"], [scope(5, at(0))]):
        r = requests.post(broker.api + "/temporal/entities", headers=JSON,
                          json={"id": unique_id(kind), "type": kind, "scope": bad, "speed": [prop(1, at(0))]})
        assert_problem(r, 400, "BadRequestData")
    assert requests.get(broker.api + "/temporal/entities", params={"type": kind}).json() == []
