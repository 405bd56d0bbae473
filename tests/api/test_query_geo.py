"""Geo-queries (4.10, 5.7.2): georel near (maxDistance / minDistance, metres on
the sphere), within, intersects, contains, disjoint, equals, overlaps, the
geoproperty parameter, geoQ in the POST query, and the 400 BadRequestData
answers to malformed geo-queries.

The reference point is Berlin (13.4050, 52.5200). Test points are placed by
latitude offsets at about 300 m and 800 m from it (the tests assert those
distances with a haversine formula first, so the fixtures cannot drift).
Every test uses its own entity type.
"""
import json
import math
import uuid

import pytest
import requests

from conftest import assert_problem, unique_id

JSON = {"Content-Type": "application/json"}
EARTH_RADIUS = 6371008.8  # metres, mean radius

REF = [13.4050, 52.5200]
AT_300M = [13.4050, 52.5227]   # ~300 m north
AT_800M = [13.4050, 52.5272]   # ~800 m north
FAR = [2.3522, 48.8566]        # Paris


def haversine(a, b):
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS * math.asin(math.sqrt(h))


def new_type():
    return f"T{uuid.uuid4().hex[:12]}"


def point(coords):
    return {"type": "Point", "coordinates": coords}


def polygon(*rings):
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


def square(lon0, lat0, lon1, lat1):
    """A closed rectangular ring, counter-clockwise."""
    return [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]


def geo(value):
    return {"type": "GeoProperty", "value": value}


def create(broker, etype, geometry=None, **attrs):
    eid = unique_id()
    body = {"id": eid, "type": etype, **attrs}
    if geometry is not None:
        body["location"] = geo(geometry)
    r = requests.post(broker.api + "/entities", json=body, headers=JSON)
    assert r.status_code == 201, r.text
    return eid


def geo_query(broker, etype, georel, geometry, coordinates, **params):
    if not isinstance(coordinates, str):
        coordinates = json.dumps(coordinates, separators=(",", ":"))
    params = {"georel": georel, "geometry": geometry, "coordinates": coordinates, **params}
    if etype:
        params["type"] = etype
    return requests.get(broker.api + "/entities", params=params)


def matching(broker, etype, georel, geometry, coordinates, **params):
    r = geo_query(broker, etype, georel, geometry, coordinates, **params)
    assert r.status_code == 200, r.text
    return sorted(e["id"] for e in r.json())


def test_fixture_distances():
    """The test points are where the module docstring says."""
    assert 280 < haversine(REF, AT_300M) < 320
    assert 780 < haversine(REF, AT_800M) < 820


def test_coordinates_with_spaces_are_accepted(broker):
    """4.10 (suite 019_10 sends "[13.3986, 52.5547]"): coordinates are JSON, so spaces
    after the commas are allowed, whether sent as %20 or as "+" (form encoding)."""
    t = new_type()
    inside = create(broker, t, point(AT_300M))
    base = f"{broker.api}/entities?type={t}&georel=near%3BmaxDistance%3D%3D500&geometry=Point"
    r = requests.get(base + "&coordinates=%5B13.405,%2052.52%5D")
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [inside]
    r = requests.get(base + "&coordinates=%5B13.405,+52.52%5D")
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [inside]


# --- near --------------------------------------------------------------------------

def test_near_max_distance(broker):
    """4.10 (suite 019_10_02): near;maxDistance==500 selects entities within 500 m."""
    t = new_type()
    inside = create(broker, t, point(AT_300M))
    create(broker, t, point(AT_800M))
    create(broker, t, point(FAR))
    assert matching(broker, t, "near;maxDistance==500", "Point", REF) == [inside]


def test_near_max_distance_includes_both_when_large_enough(broker):
    """4.10: with maxDistance==1000 both the 300 m and the 800 m points are near."""
    t = new_type()
    a = create(broker, t, point(AT_300M))
    b = create(broker, t, point(AT_800M))
    assert matching(broker, t, "near;maxDistance==1000", "Point", REF) == sorted([a, b])


def test_near_distance_is_measured_on_the_sphere(broker):
    """4.10: distances are metres on the earth, not degrees: 0.0074 degrees of longitude
    at latitude 52.52 is about 500 m, so a point 0.0044 east (~300 m) is within 400 m and
    one 0.0118 east (~800 m) is not."""
    t = new_type()
    east_300 = [REF[0] + 0.0044, REF[1]]
    east_800 = [REF[0] + 0.0118, REF[1]]
    assert 280 < haversine(REF, east_300) < 320 and 780 < haversine(REF, east_800) < 820
    inside = create(broker, t, point(east_300))
    create(broker, t, point(east_800))
    assert matching(broker, t, "near;maxDistance==400", "Point", REF) == [inside]


def test_near_across_the_antimeridian(broker):
    """4.10: 179.999 E and 179.999 W on the equator are ~220 m apart on the sphere."""
    t = new_type()
    hit = create(broker, t, point([179.999, 0]))
    assert matching(broker, t, "near;maxDistance==500", "Point", [-179.999, 0]) == [hit]
    assert matching(broker, t, "near;minDistance==500", "Point", [-179.999, 0]) == []


def test_entity_with_two_location_instances_near_is_listed_once(broker):
    """4.10 with datasetId (4.5.5): an entity whose two location instances both lie
    within the distance matches once."""
    t = new_type()
    eid = unique_id()
    body = {"id": eid, "type": t,
            "location": [geo(point(AT_300M)),
                         {**geo(point(REF)), "datasetId": "urn:ngsi-ld:Dataset:gps"}]}
    r = requests.post(broker.api + "/entities", json=body, headers=JSON)
    assert r.status_code == 201, r.text
    assert matching(broker, t, "near;maxDistance==500", "Point", REF) == [eid]
    r = geo_query(broker, t, "near;maxDistance==500", "Point", REF, count="true")
    assert r.headers["NGSILD-Results-Count"] == "1"


def test_entities_at_one_site_page_in_id_order(broker):
    """4.10 + 5.5.9: many entities at the very same point (sensors of one site) are all
    found, and paging through them with limit/offset neither repeats nor skips one."""
    t = new_type()
    ids = sorted(create(broker, t, point(AT_300M)) for _ in range(7))
    pages = []
    for offset in range(0, 7, 3):
        r = geo_query(broker, t, "near;maxDistance==500", "Point", REF, limit="3", offset=str(offset))
        assert r.status_code == 200, r.text
        pages += [e["id"] for e in r.json()]
    assert pages == ids


def test_a_box_of_more_than_4096_locations_and_a_narrow_one_count_and_page_alike(broker):
    """4.10: a geo query whose box meets more locations than a store walks in the box's
    own order (4,096; then it walks the entities) finds, counts and pages its matches as a
    narrow one does, each once."""
    tenant = {"NGSILD-Tenant": f"geo{uuid.uuid4().hex[:8]}"}
    t = new_type()
    spots = {f"urn:ngsi-ld:{t}:{i:05d}": [REF[0] + (i % 70 - 35) * 0.0003, REF[1] + (i // 70 - 30) * 0.0002]
             for i in range(4200)}
    items = list(spots.items())
    for first in range(0, len(items), 700):
        batch = [{"id": eid, "type": t, "location": geo(point(c))} for eid, c in items[first:first + 700]]
        r = requests.post(broker.api + "/entityOperations/create", json=batch, headers={**JSON, **tenant})
        assert r.status_code == 201, r.text
    for distance in (800, 120):
        expected = sorted(eid for eid, c in spots.items() if haversine(REF, c) <= distance)
        assert 0 < len(expected) < len(spots)  # (800 m: the box holds all 4,200; 120 m: a few dozen)
        params = {"type": t, "georel": f"near;maxDistance=={distance}", "geometry": "Point",
                  "coordinates": json.dumps(REF), "count": "true", "limit": "1000"}
        paged = []
        for offset in range(0, len(expected), 1000):
            r = requests.get(broker.api + "/entities", params={**params, "offset": str(offset)}, headers=tenant)
            assert r.status_code == 200 and r.headers["NGSILD-Results-Count"] == str(len(expected)), r.text
            paged += [e["id"] for e in r.json()]
        assert sorted(paged) == expected  # every match once, in whatever order the store walks


def test_near_the_pole(broker):
    """4.10: near the pole, longitudes 0 and 180 at latitude 89.999 are ~220 m apart."""
    t = new_type()
    hit = create(broker, t, point([0, 89.999]))
    assert matching(broker, t, "near;maxDistance==500", "Point", [180, 89.999]) == [hit]


def test_near_min_distance(broker):
    """4.10 (suite 019_10_03): near;minDistance==500 selects entities at least 500 m away."""
    t = new_type()
    create(broker, t, point(AT_300M))
    outside = create(broker, t, point(AT_800M))
    far = create(broker, t, point(FAR))
    assert matching(broker, t, "near;minDistance==500", "Point", REF) == sorted([outside, far])


def test_near_ignores_entities_without_a_location(broker):
    """4.10: an entity without the target GeoProperty never matches."""
    t = new_type()
    create(broker, t, None, a={"type": "Property", "value": 1})
    assert matching(broker, t, "near;minDistance==1", "Point", REF) == []


def test_near_a_line_measures_to_the_closest_point(broker):
    """4.10 (suite 019_30_09): near a LineString is the distance to the line, not to its
    first vertex."""
    t = new_type()
    probe = [10.0, 60.009]  # ~1 km north of the line's end, ~557 km from its start
    hit = create(broker, t, point(probe))
    assert matching(broker, t, "near;maxDistance==2000", "LineString", [[0, 60], [10, 60]]) == [hit]
    assert matching(broker, t, "near;maxDistance==2000", "LineString", [[0, 61], [10, 61]]) == []


def test_near_an_entity_polygon_measures_to_its_border(broker):
    """4.10: the distance to an entity's polygon is to its closest point, not its first vertex."""
    t = new_type()
    # a 0.1 x 0.1 degree square whose nearest border is ~300 m north of REF
    hit = create(broker, t, polygon(square(13.35, 52.5227, 13.45, 52.6227)))
    assert matching(broker, t, "near;maxDistance==500", "Point", REF) == [hit]
    assert matching(broker, t, "near;maxDistance==200", "Point", REF) == []


def test_near_a_polygon_includes_points_inside_it(broker):
    """4.10: a point inside the reference polygon is at distance 0, so near with any
    maxDistance matches it."""
    t = new_type()
    inside = create(broker, t, point([5, 5]))
    assert matching(broker, t, "near;maxDistance==1", "Polygon", [square(0, 0, 10, 10)]) == [inside]


# --- within / contains / intersects / disjoint / equals / overlaps -----------------------

def test_within_polygon(broker):
    """4.10 (suite 019_10_04): within selects entities whose geometry lies inside the polygon."""
    t = new_type()
    inside = create(broker, t, point(AT_300M))
    create(broker, t, point(FAR))
    area = [square(13.40, 52.51, 13.41, 52.525)]
    assert matching(broker, t, "within", "Polygon", area) == [inside]


def test_within_polygon_with_a_hole(broker):
    """4.10 (suite 019_30_06): a point inside the polygon's hole is not within it."""
    t = new_type()
    in_shell = create(broker, t, point([2, 2]))
    create(broker, t, point([5, 5]))
    holed = [square(0, 0, 10, 10), [[4, 4], [4, 6], [6, 6], [6, 4], [4, 4]]]
    assert matching(broker, t, "within", "Polygon", holed) == [in_shell]


def test_within_selects_a_polygon_inside_a_polygon(broker):
    """4.10: an entity polygon entirely inside the query polygon is within it; one that
    crosses the border is not."""
    t = new_type()
    inner = create(broker, t, polygon(square(1, 1, 2, 2)))
    create(broker, t, polygon(square(9, 9, 11, 11)))
    assert matching(broker, t, "within", "Polygon", [square(0, 0, 10, 10)]) == [inner]


def test_contains_point(broker):
    """4.10 (suite 019_10_07): contains selects entities whose geometry contains the
    query geometry."""
    t = new_type()
    container = create(broker, t, polygon(square(13.40, 52.51, 13.41, 52.53)))
    create(broker, t, polygon(square(2.3, 48.8, 2.4, 48.9)))
    create(broker, t, point(AT_300M))
    assert matching(broker, t, "contains", "Point", REF) == [container]


def test_intersects_polygon(broker):
    """4.10: intersects selects entities whose geometry shares any point with the query."""
    t = new_type()
    crossing = create(broker, t, polygon(square(5, 5, 15, 15)))
    inside_point = create(broker, t, point([1, 1]))
    line_through = create(broker, t, {"type": "LineString", "coordinates": [[-5, 5], [5, 5]]})
    create(broker, t, polygon(square(20, 20, 30, 30)))
    create(broker, t, point([11, 1]))
    assert matching(broker, t, "intersects", "Polygon", [square(0, 0, 10, 10)]) == \
        sorted([crossing, inside_point, line_through])


def test_intersects_point(broker):
    """4.10 (suite 019_10_08): intersects with a Point selects the geometries covering it."""
    t = new_type()
    same = create(broker, t, point([3.5, 7.25]))
    around = create(broker, t, polygon(square(3, 7, 4, 8)))
    create(broker, t, point([3.5, 7.5]))
    assert matching(broker, t, "intersects", "Point", [3.5, 7.25]) == sorted([same, around])


def test_intersects_line_string(broker):
    """4.10: intersects with a LineString selects polygons it crosses and lines it crosses."""
    t = new_type()
    crossed = create(broker, t, polygon(square(4, -1, 6, 1)))
    crossing_line = create(broker, t, {"type": "LineString", "coordinates": [[5, -5], [5, 5]]})
    create(broker, t, polygon(square(4, 2, 6, 3)))
    assert matching(broker, t, "intersects", "LineString", [[0, 0], [10, 0]]) == \
        sorted([crossed, crossing_line])


def test_disjoint_polygon(broker):
    """4.10 (suite 019_10_05): disjoint selects entities sharing no point with the query."""
    t = new_type()
    create(broker, t, point([1, 1]))
    create(broker, t, polygon(square(5, 5, 15, 15)))
    away = create(broker, t, polygon(square(20, 20, 30, 30)))
    away_point = create(broker, t, point([-1, -1]))
    assert matching(broker, t, "disjoint", "Polygon", [square(0, 0, 10, 10)]) == sorted([away, away_point])


def test_equals_point(broker):
    """4.10 (suite 019_10_01): equals selects entities whose geometry is the same point."""
    t = new_type()
    same = create(broker, t, point([13.3986, 52.5547]))
    create(broker, t, point([13.3987, 52.5547]))
    assert matching(broker, t, "equals", "Point", [13.3986, 52.5547]) == [same]


def test_equals_polygon(broker):
    """4.10 (suite 019_11): equals selects the entity with the same polygon."""
    t = new_type()
    ring = square(0, 0, 10, 10)
    same = create(broker, t, polygon(ring))
    create(broker, t, polygon(square(0, 0, 10, 11)))
    assert matching(broker, t, "equals", "Polygon", [ring]) == [same]


def test_equals_is_topological(broker):
    """4.10 / Simple Features: equals compares point sets, so a ring starting at another
    vertex or running the other way round is the same polygon."""
    t = new_type()
    same = create(broker, t, polygon(square(0, 0, 10, 10)))
    shifted = [[10, 0], [10, 10], [0, 10], [0, 0], [10, 0]]
    reversed_ring = list(reversed(square(0, 0, 10, 10)))
    assert matching(broker, t, "equals", "Polygon", [shifted]) == [same]
    assert matching(broker, t, "equals", "Polygon", [reversed_ring]) == [same]


def test_boundary_point_intersects_but_is_not_contained(broker):
    """4.10 / Simple Features: a point on a polygon's border intersects it, but the polygon
    does not contain it (contains needs the interiors to meet)."""
    t = new_type()
    area = create(broker, t, polygon(square(0, 0, 10, 10)))
    assert matching(broker, t, "intersects", "Point", [10, 5]) == [area]
    assert matching(broker, t, "contains", "Point", [10, 5]) == []
    assert matching(broker, t, "contains", "Point", [9, 5]) == [area]


def test_identical_polygon_is_within_but_does_not_overlap(broker):
    """4.10 / Simple Features: a polygon is within an identical one; identical polygons do
    not overlap."""
    t = new_type()
    area = create(broker, t, polygon(square(0, 0, 10, 10)))
    assert matching(broker, t, "within", "Polygon", [square(0, 0, 10, 10)]) == [area]
    assert matching(broker, t, "overlaps", "Polygon", [square(0, 0, 10, 10)]) == []


def test_overlaps_polygon(broker):
    """4.10: overlaps selects geometries of the same dimension that share some but not all
    of their area; a polygon inside the query or apart from it does not overlap."""
    t = new_type()
    partly = create(broker, t, polygon(square(5, 5, 15, 15)))
    create(broker, t, polygon(square(20, 20, 30, 30)))
    create(broker, t, polygon(square(2, 2, 3, 3)))
    assert matching(broker, t, "overlaps", "Polygon", [square(0, 0, 10, 10)]) == [partly]


# --- geoproperty ----------------------------------------------------------------------

def test_geoproperty_selects_another_geo_property(broker):
    """4.10 (suite 019_30_07): geoproperty=observationSpace applies the query to that
    GeoProperty instead of location."""
    t = new_type()
    target = create(broker, t, point(FAR), observationSpace=geo(point(AT_300M)))
    create(broker, t, point(AT_300M))
    assert matching(broker, t, "near;maxDistance==500", "Point", REF,
                    geoproperty="observationSpace") == [target]


def test_default_geoproperty_is_location(broker):
    """4.10 (suite 019_30_08): without geoproperty the query uses location."""
    t = new_type()
    create(broker, t, point(FAR), observationSpace=geo(point(AT_300M)))
    by_location = create(broker, t, point(AT_300M))
    assert matching(broker, t, "near;maxDistance==500", "Point", REF) == [by_location]


def test_geoproperty_naming_a_missing_attribute_matches_nothing(broker):
    """4.10: entities that do not have the target GeoProperty do not match."""
    t = new_type()
    create(broker, t, point(AT_300M))
    assert matching(broker, t, "near;maxDistance==500", "Point", REF, geoproperty="nowhere") == []


# --- combined with other parameters ----------------------------------------------------

def test_geo_query_alone_is_a_valid_query(broker):
    """5.7.2.4: georel without a type is a sufficient restriction."""
    spot = [-33.0 + uuid.uuid4().int % 1000 / 10000.0, -71.0]  # a point no other test uses
    t = new_type()
    eid = create(broker, t, point(spot))
    assert eid in matching(broker, None, "near;maxDistance==1", "Point", spot)


def test_geo_query_with_q_and_count(broker):
    """4.10 / 4.9 / 4.13: a geo-query combines with q; the count reflects both."""
    t = new_type()
    hit = create(broker, t, point(AT_300M), kind={"type": "Property", "value": "shop"})
    create(broker, t, point(AT_300M), kind={"type": "Property", "value": "home"})
    r = geo_query(broker, t, "near;maxDistance==500", "Point", REF, q='kind=="shop"', count="true")
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [hit]
    assert r.headers.get("NGSILD-Results-Count") == "1"


def test_post_query_with_geo_q(broker):
    """6.23 / 5.2.13: geoQ in a POST query body works like the GET parameters."""
    t = new_type()
    inside = create(broker, t, point(AT_300M))
    create(broker, t, point(AT_800M))
    body = {"type": "Query", "entities": [{"type": t}],
            "geoQ": {"georel": "near;maxDistance==500", "geometry": "Point", "coordinates": REF}}
    r = requests.post(broker.api + "/entityOperations/query", json=body, headers=JSON)
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [inside]


def test_post_query_with_geo_q_polygon_and_geoproperty(broker):
    """6.23 / 5.2.13: geoQ carries a polygon and a geoproperty."""
    t = new_type()
    inside = create(broker, t, point(FAR), area=geo(point([1, 1])))
    create(broker, t, point([1, 1]))
    body = {"type": "Query", "entities": [{"type": t}],
            "geoQ": {"georel": "within", "geometry": "Polygon",
                     "coordinates": [square(0, 0, 10, 10)], "geoproperty": "area"}}
    r = requests.post(broker.api + "/entityOperations/query", json=body, headers=JSON)
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [inside]


def test_post_query_with_invalid_geo_q_is_400(broker):
    """5.2.13: a geoQ with an unknown georel is BadRequestData."""
    body = {"type": "Query", "entities": [{"type": new_type()}],
            "geoQ": {"georel": "touches", "geometry": "Point", "coordinates": REF}}
    r = requests.post(broker.api + "/entityOperations/query", json=body, headers=JSON)
    assert_problem(r, 400, "BadRequestData")


# --- malformed geo-queries ---------------------------------------------------------------

@pytest.mark.parametrize("georel,geometry,coordinates", [
    ("touches", "Point", "[13.405,52.52]"),
    ("near", "Point", "[13.405,52.52]"),
    ("near;maxDistance", "Point", "[13.405,52.52]"),
    ("near;maxDistance==abc", "Point", "[13.405,52.52]"),
    ("near;maxDistance==0", "Point", "[13.405,52.52]"),
    ("near;maxDistance==-100", "Point", "[13.405,52.52]"),
    ("near;maxDistance==5;minDistance==1", "Point", "[13.405,52.52]"),
    ("near;farDistance==5", "Point", "[13.405,52.52]"),
    ("near;maxDistance==inf", "Point", "[13.405,52.52]"),
    ("near;maxDistance==500", "Point", "[1,"),
    ("near;maxDistance==500", "Point", "13.405,52.52,"),
    ("near;maxDistance==500", "Point", "[13.405,95]"),
    ("near;maxDistance==500", "Point", "[200,52.52]"),
    ("near;maxDistance==500", "Point", '["a","b"]'),
    ("near;maxDistance==500", "Point", "[[13.405,52.52]]"),
    ("within", "Polygon", "[[[0,0],[1,0],[1,1],[0,1]]]"),
    ("within", "Polygon", "[[[0,0],[1,0],[0,0]]]"),
    ("within", "Circle", "[13.405,52.52]"),
    ("equals", "LineString", "[[0,0]]"),
], ids=["unknown-georel", "near-without-distance", "distance-without-value", "distance-not-a-number",
        "zero-distance", "negative-distance", "two-distances", "unknown-distance", "infinite-distance",
        "truncated-coordinates", "trailing-comma", "latitude-out-of-range", "longitude-out-of-range",
        "string-coordinates", "point-with-nested-array", "unclosed-ring", "too-short-ring",
        "unknown-geometry", "one-point-line"])
def test_malformed_geo_query_is_400(broker, georel, geometry, coordinates):
    """4.10 / 5.7.2.4: a geo-query that does not follow the grammar or has an invalid
    geometry is 400 BadRequestData."""
    r = geo_query(broker, new_type(), georel, geometry, coordinates)
    assert_problem(r, 400, "BadRequestData")


def test_geometry_without_georel_is_400(broker):
    """5.7.2.4: geometry and coordinates without georel are BadRequestData."""
    r = requests.get(broker.api + "/entities", params={
        "type": new_type(), "geometry": "Point", "coordinates": "[13.405,52.52]"})
    assert_problem(r, 400, "BadRequestData")


def test_georel_without_geometry_is_400(broker):
    """5.7.2.4: georel without geometry and coordinates is BadRequestData."""
    r = requests.get(broker.api + "/entities", params={
        "type": new_type(), "georel": "near;maxDistance==500"})
    assert_problem(r, 400, "BadRequestData")


def test_georel_without_coordinates_is_400(broker):
    """5.7.2.4: georel and geometry without coordinates is BadRequestData."""
    r = requests.get(broker.api + "/entities", params={
        "type": new_type(), "georel": "near;maxDistance==500", "geometry": "Point"})
    assert_problem(r, 400, "BadRequestData")


def test_broker_serves_after_malformed_geo_queries(broker):
    """The broker keeps answering valid geo-queries after rejecting malformed ones."""
    for coordinates in ("[1,", "[[[", "]", "[1e999,0]", "[" * 500):
        r = geo_query(broker, new_type(), "near;maxDistance==500", "Point", coordinates)
        assert r.status_code == 400, r.text
    t = new_type()
    inside = create(broker, t, point(AT_300M))
    assert matching(broker, t, "near;maxDistance==500", "Point", REF) == [inside]
