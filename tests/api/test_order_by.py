"""Ordering of query results (4.23, 5.7.2 orderBy/orderFrom/collation, 5.2.43
the Ordering data type of the POST query): attributes, id, createdAt,
sub-attributes, compound value keys, several items, mixed value types,
distance ordering, collations, and paging/counting over an ordered result.

Every test gives its entities a type of its own (new_type()), so the tests
share one broker without seeing each other's entities.
"""
import time
import uuid

import requests

from conftest import assert_problem, unique_id

JSON = {"Content-Type": "application/json"}


def new_type():
    return f"O{uuid.uuid4().hex[:12]}"


def prop(value, **members):
    return {"type": "Property", "value": value, **members}


def point(lon, lat):
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}


def create(broker, etype, eid=None, **attrs):
    eid = eid or unique_id()
    r = requests.post(broker.api + "/entities", json={"id": eid, "type": etype, **attrs},
                      headers=JSON)
    assert r.status_code == 201, r.text
    return eid


def query(broker, **params):
    return requests.get(broker.api + "/entities", params=params)


def ordered(broker, **params):
    """The ids of the query result, in the order the broker returned them."""
    r = query(broker, **params)
    assert r.status_code == 200, r.text
    assert isinstance(r.json(), list), r.text
    return [e["id"] for e in r.json()]


def post_query(broker, body, **params):
    return requests.post(broker.api + "/entityOperations/query", json=body, params=params,
                         headers=JSON)


def post_ordered(broker, body):
    r = post_query(broker, body)
    assert r.status_code == 200, r.text
    return [e["id"] for e in r.json()]


def named(broker, etype, *names):
    """One entity per name (created in the given order); name -> id."""
    return {n: create(broker, etype, name=prop(n)) for n in names}


# --- single items -------------------------------------------------------------

def test_order_by_attribute_is_ascending_by_default(broker):
    """4.23 (suite 019_19_01): orderBy=name sorts by the value of name, ascending."""
    t = new_type()
    e = named(broker, t, "Charlie", "Alpha", "Bravo")
    assert ordered(broker, type=t, orderBy="name") == [e["Alpha"], e["Bravo"], e["Charlie"]]


def test_order_by_attribute_explicit_asc(broker):
    """4.23 (suite 019_19_06): name;asc equals the default ascending direction."""
    t = new_type()
    e = named(broker, t, "Charlie", "Alpha", "Bravo")
    assert ordered(broker, type=t, orderBy="name;asc") == [e["Alpha"], e["Bravo"], e["Charlie"]]


def test_order_by_attribute_descending(broker):
    """4.23 (suite 019_19_07): name;desc sorts by the value of name, descending."""
    t = new_type()
    e = named(broker, t, "Bravo", "Charlie", "Alpha")
    assert ordered(broker, type=t, orderBy="name;desc") == [e["Charlie"], e["Bravo"], e["Alpha"]]


def test_order_by_numeric_attribute_is_numeric_not_lexical(broker):
    """4.23.2: numbers compare as numbers (9 < 10 < 100), not as strings."""
    t = new_type()
    e = {n: create(broker, t, height=prop(n)) for n in (100, 9, 10)}
    assert ordered(broker, type=t, orderBy="height") == [e[9], e[10], e[100]]


def test_order_by_id(broker):
    """4.23 (suite 019_19_02): orderBy=id sorts by entity id, whatever the creation order."""
    t = new_type()
    base = f"urn:ngsi-ld:Ord{uuid.uuid4().hex[:8]}:"
    for suffix in ("b", "c", "a"):
        create(broker, t, base + suffix)
    assert ordered(broker, type=t, orderBy="id") == [base + "a", base + "b", base + "c"]
    assert ordered(broker, type=t, orderBy="id;desc") == [base + "c", base + "b", base + "a"]


def test_order_by_created_at(broker):
    """4.23 (suite 019_19_03): orderBy=createdAt sorts by creation time, not by id."""
    t = new_type()
    base = f"urn:ngsi-ld:Ord{uuid.uuid4().hex[:8]}:"
    made = []
    for suffix in ("c", "a", "b"):
        made.append(create(broker, t, base + suffix))
        time.sleep(0.005)  # createdAt has millisecond precision: no ties
    assert ordered(broker, type=t, orderBy="createdAt") == made
    assert ordered(broker, type=t, orderBy="createdAt;desc") == made[::-1]


def test_order_by_sub_attribute(broker):
    """4.23 (suite 019_19_05): name.rank sorts by the value of the sub-property rank of
    name, not by the value of name."""
    t = new_type()
    first = create(broker, t, name=prop("Zulu", rank=prop(1)))
    third = create(broker, t, name=prop("Alpha", rank=prop(3)))
    second = create(broker, t, name=prop("Mike", rank=prop(2)))
    assert ordered(broker, type=t, orderBy="name.rank") == [first, second, third]


def test_order_by_observed_at(broker):
    """4.23: name.observedAt sorts by the observedAt of the name attribute."""
    t = new_type()
    late = create(broker, t, name=prop("Alpha", observedAt="2024-03-01T00:00:00Z"))
    early = create(broker, t, name=prop("Bravo", observedAt="2024-01-01T00:00:00Z"))
    mid = create(broker, t, name=prop("Charlie", observedAt="2024-02-01T00:00:00Z"))
    assert ordered(broker, type=t, orderBy="name.observedAt") == [early, mid, late]
    assert ordered(broker, type=t, orderBy="name.observedAt;desc") == [late, mid, early]


def test_order_by_compound_value_key(broker):
    """4.23.3 EXAMPLE 4 (suite 423_01_04): address[city] sorts by the city member of
    the compound value of address."""
    t = new_type()
    z = create(broker, t, address=prop({"city": "Zurich", "street": "A"}))
    a = create(broker, t, address=prop({"city": "Amsterdam", "street": "C"}))
    b = create(broker, t, address=prop({"city": "Berlin", "street": "B"}))
    assert ordered(broker, type=t, orderBy="address[city]") == [a, b, z]
    assert ordered(broker, type=t, orderBy="address[city];desc") == [z, b, a]


# --- several items ------------------------------------------------------------

def test_first_item_decides_and_second_breaks_ties(broker):
    """4.23 (suite 019_19_08/09): with orderBy=category,name;desc the category orders
    first; entities with equal category are ordered by name descending."""
    t = new_type()
    a_x = create(broker, t, category=prop("A"), name=prop("X"))
    b_y = create(broker, t, category=prop("B"), name=prop("Y"))
    a_z = create(broker, t, category=prop("A"), name=prop("Z"))
    b_w = create(broker, t, category=prop("B"), name=prop("W"))
    assert ordered(broker, type=t, orderBy="category,name;desc") == [a_z, a_x, b_y, b_w]


def test_second_item_does_not_override_the_first(broker):
    """4.23: the second item only breaks ties; it never reorders distinct first keys."""
    t = new_type()
    one = create(broker, t, rank=prop(1), name=prop("Zulu"))
    two = create(broker, t, rank=prop(2), name=prop("Alpha"))
    assert ordered(broker, type=t, orderBy="rank,name") == [one, two]


# --- mixed types and absent values ---------------------------------------------

def test_mixed_value_types_numbers_then_strings_then_booleans_then_absent(broker):
    """4.23.2 (suite 423_01_03): numbers < strings < booleans, entities without the
    attribute last."""
    t = new_type()
    absent = create(broker, t)
    boolean = create(broker, t, probe=prop(True))
    string = create(broker, t, probe=prop("abc"))
    number = create(broker, t, probe=prop(5))
    assert ordered(broker, type=t, orderBy="probe") == [number, string, boolean, absent]


def test_absent_values_stay_last_when_descending(broker):
    """4.23.2: entities without the attribute come last also with ;desc, the others are
    reversed (booleans > strings > numbers)."""
    t = new_type()
    absent = create(broker, t)
    number = create(broker, t, probe=prop(5))
    boolean = create(broker, t, probe=prop(False))
    string = create(broker, t, probe=prop("abc"))
    assert ordered(broker, type=t, orderBy="probe;desc") == [boolean, string, number, absent]


# --- distance ------------------------------------------------------------------

def geo_trio(broker):
    t = new_type()
    far = create(broker, t, location=point(10, 45))
    near = create(broker, t, location=point(8.01, 40.01))
    mid = create(broker, t, location=point(9, 41))
    return t, near, mid, far


def test_order_by_distance_ascending_is_nearest_first(broker):
    """4.23.3 EXAMPLE 8 (suite 423_01_01): location;dist-asc with orderFrom=[lon,lat]
    ranks by ascending distance from that point."""
    t, near, mid, far = geo_trio(broker)
    assert ordered(broker, type=t, orderBy="location;dist-asc", orderFrom="[8,40]") == \
        [near, mid, far]


def test_order_by_distance_descending_is_farthest_first(broker):
    """4.23.3 EXAMPLE 9 (suite 423_01_01): location;dist-desc reverses dist-asc."""
    t, near, mid, far = geo_trio(broker)
    assert ordered(broker, type=t, orderBy="location;dist-desc", orderFrom="[8,40]") == \
        [far, mid, near]


def test_order_by_distance_uses_the_reference_point(broker):
    """4.23.3: the order depends on orderFrom — seen from [10,45] the far entity is nearest."""
    t, near, mid, far = geo_trio(broker)
    assert ordered(broker, type=t, orderBy="location;dist-asc", orderFrom="[10,45]") == \
        [far, mid, near]


def test_order_by_distance_puts_entities_without_location_last(broker):
    """4.23.2: an entity without the GeoProperty has no distance; it comes last for
    dist-asc and for dist-desc."""
    t, near, mid, far = geo_trio(broker)
    nowhere = create(broker, t)
    assert ordered(broker, type=t, orderBy="location;dist-asc", orderFrom="[8,40]")[-1] == nowhere
    assert ordered(broker, type=t, orderBy="location;dist-desc", orderFrom="[8,40]")[-1] == nowhere


def test_malformed_order_from_is_bad_request(broker):
    """4.23.3: orderFrom holds the coordinates of a point; orderFrom=[8] -> 400."""
    t, *_ = geo_trio(broker)
    assert_problem(query(broker, type=t, orderBy="location;dist-asc", orderFrom="[8]"), 400,
                   "BadRequestData")


def test_order_by_distance_without_order_from_is_bad_request(broker):
    """4.23.3 (suite 423_01_02): dist ordering needs orderFrom -> 400 BadRequestData."""
    t, *_ = geo_trio(broker)
    assert_problem(query(broker, type=t, orderBy="location;dist-asc"), 400, "BadRequestData")


def test_malformed_direction_is_bad_request(broker):
    """4.23.3: the direction is asc, desc, dist-asc or dist-desc; name;sideways -> 400."""
    t = new_type()
    named(broker, t, "Alpha")
    assert_problem(query(broker, type=t, orderBy="name;sideways"), 400, "BadRequestData")


def test_empty_order_by_item_is_bad_request(broker):
    """4.23.3: orderBy is a comma-separated list of items; an empty item -> 400."""
    t = new_type()
    named(broker, t, "Alpha")
    assert_problem(query(broker, type=t, orderBy="name,,id"), 400, "BadRequestData")


# --- collation -----------------------------------------------------------------

def test_without_collation_strings_order_by_code_point(broker):
    """4.23.3 (suite 4233_01_01): without collation "á" (U+00E1) sorts after "b"."""
    t = new_type()
    e = named(broker, t, "b", "á", "A")
    assert ordered(broker, type=t, orderBy="name") == [e["A"], e["b"], e["á"]]


def test_root_collation_sorts_accents_with_their_base_letter(broker):
    """4.23.3 EXAMPLE 6/7 (suite 4233_01_01): collation=und puts "á" next to "a",
    before "b"."""
    t = new_type()
    e = named(broker, t, "b", "á", "A")
    assert ordered(broker, type=t, orderBy="name", collation="und") == [e["A"], e["á"], e["b"]]


def test_german_phonebook_collation(broker):
    """4.23.3 (suite 5243_01_05): collation=de-u-co-phonebk sorts "Ähre" before "Zebra"
    (code-point order would put "Zebra" first)."""
    t = new_type()
    e = named(broker, t, "Zebra", "Ähre")
    assert ordered(broker, type=t, orderBy="name") == [e["Zebra"], e["Ähre"]]
    assert ordered(broker, type=t, orderBy="name", collation="de-u-co-phonebk") == \
        [e["Ähre"], e["Zebra"]]


def test_invalid_collation_tag_is_bad_request(broker):
    """4.23.3 (suite 4233_01_02): an unparseable collation tag -> 400 BadRequestData."""
    t = new_type()
    named(broker, t, "Alpha")
    assert_problem(query(broker, type=t, orderBy="name", collation="!!nope"), 400,
                   "BadRequestData")


def test_collation_without_order_by_is_bad_request(broker):
    """4.23.3: collation only qualifies orderBy; alone it is 400 BadRequestData."""
    t = new_type()
    named(broker, t, "Alpha")
    assert_problem(query(broker, type=t, collation="und"), 400, "BadRequestData")


# --- paging and counting -------------------------------------------------------

def test_paging_over_an_ordered_result_neither_repeats_nor_skips(broker):
    """4.12 / 4.23: pages of limit=3 over orderBy=name concatenate to the full ordered
    result, each entity exactly once."""
    t = new_type()
    names = ["Golf", "Alpha", "Echo", "Charlie", "Foxtrot", "Bravo", "Delta"]
    e = named(broker, t, *names)
    expected = [e[n] for n in sorted(names)]
    pages = [ordered(broker, type=t, orderBy="name", limit="3", offset=str(o))
             for o in (0, 3, 6)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert pages[0] + pages[1] + pages[2] == expected


def test_paging_descending_keeps_the_order_across_pages(broker):
    """4.12 / 4.23: the second page of name;desc continues where the first ended."""
    t = new_type()
    e = named(broker, t, "Alpha", "Bravo", "Charlie", "Delta")
    assert ordered(broker, type=t, orderBy="name;desc", limit="2", offset="0") == \
        [e["Delta"], e["Charlie"]]
    assert ordered(broker, type=t, orderBy="name;desc", limit="2", offset="2") == \
        [e["Bravo"], e["Alpha"]]


def test_count_with_order_by_is_the_full_count(broker):
    """4.13: count=true with orderBy and limit reports all matching entities."""
    t = new_type()
    e = named(broker, t, "Charlie", "Alpha", "Bravo", "Delta", "Echo")
    r = query(broker, type=t, orderBy="name", limit="2", count="true")
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()] == [e["Alpha"], e["Bravo"]]
    assert r.headers.get("NGSILD-Results-Count") == "5"


# --- POST /entityOperations/query with "ordering" (5.2.43) ----------------------

def test_post_query_ordering_by_name_descending(broker):
    """5.2.43: "ordering": {"orderBy": ["name;desc"]} orders the POST query result."""
    t = new_type()
    e = named(broker, t, "Bravo", "Alpha", "Charlie")
    body = {"type": "Query", "entities": [{"type": t}], "ordering": {"orderBy": ["name;desc"]}}
    assert post_ordered(broker, body) == [e["Charlie"], e["Bravo"], e["Alpha"]]


def test_post_query_ordering_by_distance(broker):
    """5.2.43 (suite 5243_01_01): dist-asc with coordinates and geometry Point orders
    nearest first."""
    t, near, mid, far = geo_trio(broker)
    body = {"type": "Query", "entities": [{"type": t}],
            "ordering": {"orderBy": ["location;dist-asc"], "coordinates": [8, 40],
                         "geometry": "Point"}}
    assert post_ordered(broker, body) == [near, mid, far]


def test_post_query_ordering_with_collation(broker):
    """5.2.43 (suite 5243_01_05): the ordering's collation is honoured."""
    t = new_type()
    e = named(broker, t, "Zebra", "Ähre")
    body = {"type": "Query", "entities": [{"type": t}],
            "ordering": {"orderBy": ["name;asc"], "collation": "de-u-co-phonebk"}}
    assert post_ordered(broker, body) == [e["Ähre"], e["Zebra"]]


def test_post_query_distance_without_coordinates_is_bad_request(broker):
    """5.2.43 (suite 5243_01_02): dist ordering without coordinates -> 400."""
    t, *_ = geo_trio(broker)
    body = {"type": "Query", "entities": [{"type": t}],
            "ordering": {"orderBy": ["location;dist-asc"]}}
    assert_problem(post_query(broker, body), 400, "BadRequestData")


def test_post_query_coordinates_as_string_is_bad_request(broker):
    """5.2.43 (suite 5243_01_03): coordinates must be an array, "8,40" -> 400."""
    t, *_ = geo_trio(broker)
    body = {"type": "Query", "entities": [{"type": t}],
            "ordering": {"orderBy": ["location;dist-asc"], "coordinates": "8,40",
                         "geometry": "Point"}}
    assert_problem(post_query(broker, body), 400, "BadRequestData")


def test_post_query_geometry_other_than_point_is_bad_request(broker):
    """5.2.43: the ordering geometry is a Point; "Polygon" -> 400."""
    t, *_ = geo_trio(broker)
    body = {"type": "Query", "entities": [{"type": t}],
            "ordering": {"orderBy": ["location;dist-asc"], "coordinates": [8, 40],
                         "geometry": "Polygon"}}
    assert_problem(post_query(broker, body), 400, "BadRequestData")


def test_post_query_invalid_collation_is_bad_request(broker):
    """5.2.43 (suite 5243_01_06): an invalid collation tag -> 400 BadRequestData."""
    t = new_type()
    named(broker, t, "Alpha")
    body = {"type": "Query", "entities": [{"type": t}],
            "ordering": {"orderBy": ["id;asc"], "collation": "not a bcp47 tag!!"}}
    assert_problem(post_query(broker, body), 400, "BadRequestData")
