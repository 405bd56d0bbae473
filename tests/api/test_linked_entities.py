"""Linked entity retrieval (4.5.23, 5.7.1 / 5.7.2 join, joinLevel and containedBy), nested
pick/omit projections on linked entities (4.21) and queries through linked
entities (4.9 EXAMPLE 13/14, q=rel{attr}).

The graph of every test is Building -> locatedAt -> City -> isInCountry -> Country,
with unique ids and unique entity types per test, so the tests share one broker
without seeing each other's entities.
"""
import uuid

import requests

from conftest import assert_problem, delivery_state, unique_id

JSON = {"Content-Type": "application/json"}


def suffix():
    return uuid.uuid4().hex[:10]


def prop(value, **members):
    return {"type": "Property", "value": value, **members}


def rel(target):
    return {"type": "Relationship", "object": target}


def create(broker, body):
    r = requests.post(broker.api + "/entities", json=body, headers=JSON)
    assert r.status_code == 201, r.text
    return body


class Graph:
    """Types and entities of one test: buildings -> cities -> countries."""

    def __init__(self, broker):
        s = suffix()
        self.broker = broker
        self.building_t, self.city_t, self.country_t = f"Building{s}", f"City{s}", f"Country{s}"

    def country(self, name="France"):
        return create(self.broker, {"id": unique_id("Country"), "type": self.country_t,
                                    "name": prop(name),
                                    "description": prop(f"{name} is a country")})

    def city(self, name="Paris", country=None):
        body = {"id": unique_id("City"), "type": self.city_t, "name": prop(name),
                "description": prop(f"{name} is a city")}
        if country is not None:
            body["isInCountry"] = rel(country["id"])
        return create(self.broker, body)

    def building(self, city_id, name="Tower", **attrs):
        return create(self.broker, {"id": unique_id("Building"), "type": self.building_t,
                                    "name": prop(name), "locatedAt": rel(city_id), **attrs})


def retrieve(broker, eid, **params):
    return requests.get(broker.api + "/entities/" + eid, params=params)


def retrieved(broker, eid, **params):
    r = retrieve(broker, eid, **params)
    assert r.status_code == 200, r.text
    return r.json()


def query(broker, **params):
    return requests.get(broker.api + "/entities", params=params)


def found(broker, **params):
    r = query(broker, **params)
    assert r.status_code == 200, r.text
    assert isinstance(r.json(), list), r.text
    return r.json()


def post_query(broker, body, **params):
    return requests.post(broker.api + "/entityOperations/query", json=body, params=params,
                         headers=JSON)


def by_id(entities):
    return {e["id"]: e for e in entities}


def ids_of(entities):
    return sorted(e["id"] for e in entities)


# --- retrieve: join=inline ----------------------------------------------------

def test_inline_join_puts_the_linked_entity_under_entity(broker):
    """4.5.23 (suite 018_10): join=inline&joinLevel=1 adds the target entity, normalized,
    as the "entity" member of the Relationship, keeping "object"."""
    g = Graph(broker)
    city = g.city("Paris")
    b = g.building(city["id"])
    body = retrieved(broker, b["id"], join="inline", joinLevel="1")
    located = body["locatedAt"]
    assert located["type"] == "Relationship"
    assert located["object"] == city["id"]
    assert located["entity"]["id"] == city["id"]
    assert located["entity"]["type"] == g.city_t
    assert located["entity"]["name"]["value"] == "Paris"
    assert located["entity"]["name"]["type"] == "Property"


def test_inline_join_without_join_level_defaults_to_one_hop(broker):
    """4.5.23: joinLevel defaults to 1 — join=inline alone inlines the first hop only."""
    g = Graph(broker)
    country = g.country()
    city = g.city(country=country)
    b = g.building(city["id"])
    linked = retrieved(broker, b["id"], join="inline")["locatedAt"]["entity"]
    assert linked["id"] == city["id"]
    assert "entity" not in linked["isInCountry"]


def test_inline_join_key_values_replaces_the_object_by_the_entity(broker):
    """4.5.23 (suite 018_10 simplified): with options=keyValues the Relationship's value is
    the linked entity itself, in keyValues form."""
    g = Graph(broker)
    city = g.city("Paris")
    b = g.building(city["id"])
    body = retrieved(broker, b["id"], join="inline", joinLevel="1", options="keyValues")
    assert body["locatedAt"] == {"id": city["id"], "type": g.city_t, "name": "Paris",
                                 "description": "Paris is a city"}


def test_inline_join_level_two_follows_two_hops(broker):
    """4.5.23 (suite 018_13): joinLevel=2 inlines Building -> City -> Country."""
    g = Graph(broker)
    country = g.country("France")
    city = g.city("Paris", country)
    b = g.building(city["id"])
    body = retrieved(broker, b["id"], join="inline", joinLevel="2")
    city_in = body["locatedAt"]["entity"]
    assert city_in["id"] == city["id"]
    country_in = city_in["isInCountry"]["entity"]
    assert country_in["id"] == country["id"]
    assert country_in["name"]["value"] == "France"


def test_inline_join_level_one_stops_after_one_hop(broker):
    """4.5.23: with joinLevel=1 the linked City's own Relationship is not followed."""
    g = Graph(broker)
    country = g.country()
    city = g.city(country=country)
    b = g.building(city["id"])
    city_in = retrieved(broker, b["id"], join="inline", joinLevel="1")["locatedAt"]["entity"]
    assert city_in["isInCountry"] == {"type": "Relationship", "object": country["id"]}


def test_inline_join_missing_target_leaves_the_relationship(broker):
    """4.5.23 (suite 018_14_01): a Relationship whose target does not exist is returned
    as it is, without an "entity" member."""
    g = Graph(broker)
    missing = unique_id("City")
    b = g.building(missing)
    body = retrieved(broker, b["id"], join="inline", joinLevel="1")
    assert body["locatedAt"] == {"type": "Relationship", "object": missing}


def test_inline_join_key_values_missing_target_keeps_the_object_id(broker):
    """4.5.23: with keyValues and a missing target the Relationship stays the object id."""
    g = Graph(broker)
    missing = unique_id("City")
    b = g.building(missing)
    body = retrieved(broker, b["id"], join="inline", joinLevel="1", options="keyValues")
    assert body["locatedAt"] == missing


# --- retrieve: join=flat --------------------------------------------------------

def test_flat_join_returns_the_entity_then_the_linked_entity(broker):
    """4.5.23 (suite 018_10 flat): join=flat gives an array: the entity first, then the
    linked entity; the Relationship itself is not inlined."""
    g = Graph(broker)
    city = g.city("Paris")
    b = g.building(city["id"])
    body = retrieved(broker, b["id"], join="flat", joinLevel="1")
    assert isinstance(body, list), body
    assert [e["id"] for e in body] == [b["id"], city["id"]]
    assert body[0]["locatedAt"] == {"type": "Relationship", "object": city["id"]}
    assert body[1]["name"]["value"] == "Paris"


def test_flat_join_key_values(broker):
    """4.5.23 (suite 018_10 flat simplified): flat with keyValues lists both entities in
    keyValues form; the Relationship stays the object id."""
    g = Graph(broker)
    city = g.city("Paris")
    b = g.building(city["id"])
    body = retrieved(broker, b["id"], join="flat", joinLevel="1", options="keyValues")
    assert body == [{"id": b["id"], "type": g.building_t, "name": "Tower",
                     "locatedAt": city["id"]},
                    {"id": city["id"], "type": g.city_t, "name": "Paris",
                     "description": "Paris is a city"}]


def test_flat_join_lists_a_target_linked_twice_once(broker):
    """4.5.23: two Relationships to the same target give that target once in the array."""
    g = Graph(broker)
    city = g.city("Paris")
    b = g.building(city["id"], nearTo=rel(city["id"]))
    body = retrieved(broker, b["id"], join="flat", joinLevel="1")
    assert [e["id"] for e in body] == [b["id"], city["id"]]


def test_flat_join_level_two_lists_all_three(broker):
    """4.5.23 (suite 018_13 flat): joinLevel=2 with flat lists Building, City and Country,
    each once."""
    g = Graph(broker)
    country = g.country()
    city = g.city(country=country)
    b = g.building(city["id"])
    body = retrieved(broker, b["id"], join="flat", joinLevel="2")
    assert body[0]["id"] == b["id"]
    assert sorted(e["id"] for e in body[1:]) == sorted([city["id"], country["id"]])
    assert len(body) == 3


def test_flat_join_missing_target_is_just_the_entity(broker):
    """4.5.23 (suite 018_14_02): with flat and a missing target the response is the entity
    object alone, its Relationship unchanged."""
    g = Graph(broker)
    missing = unique_id("City")
    b = g.building(missing)
    body = retrieved(broker, b["id"], join="flat", joinLevel="1")
    assert isinstance(body, dict), body
    assert body["id"] == b["id"]
    assert body["locatedAt"] == {"type": "Relationship", "object": missing}


def test_attrs_select_the_entitys_attributes_and_the_linked_entity_comes_whole(broker):
    """4.5.23 (suite 046_26, 046_30 for notifications): attrs selects the attributes of the
    retrieved entity; the entity a kept Relationship links to is not cut by it (nested
    pick/omit project linked entities)."""
    g = Graph(broker)
    city = g.city("Paris")
    b = g.building(city["id"])
    body = retrieved(broker, b["id"], join="inline", attrs="locatedAt")
    assert set(body) == {"id", "type", "locatedAt"}
    assert body["locatedAt"]["entity"] == {"id": city["id"], "type": g.city_t, "name": prop("Paris"),
                                           "description": prop("Paris is a city")}
    flat = retrieved(broker, b["id"], join="flat", attrs="locatedAt")
    assert by_id(flat)[city["id"]]["description"] == prop("Paris is a city")


# --- retrieve: nested pick / omit --------------------------------------------------

def test_nested_pick_applies_to_the_linked_entity_inline(broker):
    """4.21 (suite 018_20_01): pick=id,locatedAt{id,name} keeps id and locatedAt of the
    Building and only id and name of the inlined City."""
    g = Graph(broker)
    country = g.country()
    city = g.city("Paris", country)
    b = g.building(city["id"])
    body = retrieved(broker, b["id"], join="inline", joinLevel="2", pick="id,locatedAt{id,name}")
    assert set(body) == {"id", "locatedAt"}
    assert body["locatedAt"]["object"] == city["id"]
    assert body["locatedAt"]["entity"] == {"id": city["id"], "name": prop("Paris")}


def test_nested_pick_applies_to_the_linked_entity_flat(broker):
    """4.21 (suite 018_20_02): with flat the nested pick shapes the listed City."""
    g = Graph(broker)
    city = g.city("Paris")
    b = g.building(city["id"])
    body = retrieved(broker, b["id"], join="flat", joinLevel="1", pick="id,locatedAt{id,name}")
    assert body == [{"id": b["id"], "locatedAt": rel(city["id"])},
                    {"id": city["id"], "name": prop("Paris")}]


def test_nested_omit_applies_to_the_linked_entity(broker):
    """4.21 (suite 018_21_01): omit=type,locatedAt{name} drops the Building's type and the
    City's name, but keeps locatedAt and the rest of the City."""
    g = Graph(broker)
    city = g.city("Paris")
    b = g.building(city["id"])
    body = retrieved(broker, b["id"], join="inline", joinLevel="1", omit="type,locatedAt{name}")
    assert "type" not in body
    assert body["name"]["value"] == "Tower"
    linked = body["locatedAt"]["entity"]
    assert linked["id"] == city["id"]
    assert linked["type"] == g.city_t
    assert "name" not in linked
    assert linked["description"]["value"] == "Paris is a city"


def test_nested_pick_without_join_is_bad_request(broker):
    """5.7.2.4 (suite 019_33_03): a nested pick has no meaning without join -> 400."""
    g = Graph(broker)
    b = g.building(g.city()["id"])
    assert_problem(retrieve(broker, b["id"], pick="id,locatedAt{name}"), 400, "BadRequestData")


def test_nested_pick_deeper_than_join_level_is_bad_request(broker):
    """5.7.2.4 (suite 019_33_01): two hops in pick with joinLevel=1 -> 400."""
    g = Graph(broker)
    b = g.building(g.city(country=g.country())["id"])
    r = retrieve(broker, b["id"], join="inline", joinLevel="1",
                 pick="id,locatedAt{isInCountry{name}}")
    assert_problem(r, 400, "BadRequestData")


def test_nested_omit_deeper_than_join_level_is_bad_request(broker):
    """5.7.2.4 (suite 019_33_02): the joinLevel ceiling applies to omit as well."""
    g = Graph(broker)
    b = g.building(g.city(country=g.country())["id"])
    r = retrieve(broker, b["id"], join="inline", joinLevel="1",
                 omit="locatedAt{isInCountry{name}}")
    assert_problem(r, 400, "BadRequestData")


# --- containedBy: entities the caller has already retrieved ------------------------------

def test_contained_by_inline_leaves_an_already_retrieved_target_as_a_plain_relationship(broker):
    """4.5.23 / 5.7.1 containedBy: a target named in containedBy is not joined again; the
    relationship keeps its object, and the other hops are still followed."""
    g = Graph(broker)
    country = g.country()
    city = g.city(country=country)
    b = g.building(city["id"])
    body = retrieved(broker, b["id"], join="inline", joinLevel="2", containedBy=country["id"])
    city_in = body["locatedAt"]["entity"]
    assert city_in["id"] == city["id"]
    assert city_in["isInCountry"] == {"type": "Relationship", "object": country["id"]}


def test_contained_by_flat_omits_the_already_retrieved_entities(broker):
    """containedBy with join=flat: named entities are not listed, nor followed further."""
    g = Graph(broker)
    country = g.country()
    city = g.city(country=country)
    b = g.building(city["id"])
    whole = retrieved(broker, b["id"], join="flat", joinLevel="2")
    assert ids_of(whole) == sorted([b["id"], city["id"], country["id"]])
    cut = retrieve(broker, b["id"], join="flat", joinLevel="2", containedBy=city["id"])
    assert cut.status_code == 200, cut.text
    assert cut.json()["id"] == b["id"]  # nothing left to join: the entity alone


def test_contained_by_list_on_query_and_post_query(broker):
    """containedBy takes a comma-separated list (GET) or an array (Query body)."""
    g = Graph(broker)
    paris, lyon = g.city("Paris"), g.city("Lyon")
    b1, b2 = g.building(paris["id"]), g.building(lyon["id"])
    result = found(broker, type=g.building_t, join="flat", containedBy=f"{paris['id']},{lyon['id']}")
    assert ids_of(result) == sorted([b1["id"], b2["id"]])
    r = post_query(broker, {"type": "Query", "entities": [{"type": g.building_t}],
                            "join": "flat", "containedBy": [paris["id"]]})
    assert r.status_code == 200, r.text
    assert ids_of(r.json()) == sorted([b1["id"], b2["id"], lyon["id"]])


def test_contained_by_that_is_not_a_uri_is_bad_request(broker):
    """containedBy lists entity ids: a non-URI member -> 400 BadRequestData naming it."""
    g = Graph(broker)
    b = g.building(g.city()["id"])
    r = retrieve(broker, b["id"], join="inline", containedBy="not a uri")
    assert_problem(r, 400, "BadRequestData")
    assert "not a uri" in r.json()["detail"]


def test_contained_by_without_join_is_bad_request(broker):
    """containedBy only qualifies a join, like joinLevel."""
    g = Graph(broker)
    b = g.building(g.city()["id"])
    assert_problem(retrieve(broker, b["id"], containedBy=b["id"]), 400, "BadRequestData")


# --- retrieve: bad join parameters ---------------------------------------------------

def test_join_level_zero_is_bad_request(broker):
    """5.7.1: joinLevel is a positive integer; 0 -> 400 BadRequestData."""
    g = Graph(broker)
    b = g.building(g.city()["id"])
    assert_problem(retrieve(broker, b["id"], join="inline", joinLevel="0"), 400, "BadRequestData")


def test_join_level_without_join_is_bad_request(broker):
    """5.7.1: joinLevel only qualifies join; alone it is 400 BadRequestData."""
    g = Graph(broker)
    b = g.building(g.city()["id"])
    assert_problem(retrieve(broker, b["id"], joinLevel="1"), 400, "BadRequestData")


def test_unknown_join_value_is_bad_request(broker):
    """5.7.1: join is flat, inline or @none; join=bogus -> 400 BadRequestData."""
    g = Graph(broker)
    b = g.building(g.city()["id"])
    assert_problem(retrieve(broker, b["id"], join="bogus"), 400, "BadRequestData")


# --- query entities with join ---------------------------------------------------------

def test_query_inline_join_inlines_each_entitys_target(broker):
    """4.5.23 (suite 019_13 inline): GET /entities?join=inline inlines every Building's City."""
    g = Graph(broker)
    paris, lyon = g.city("Paris"), g.city("Lyon")
    b1, b2 = g.building(paris["id"]), g.building(lyon["id"])
    result = by_id(found(broker, type=g.building_t, join="inline", joinLevel="1"))
    assert sorted(result) == sorted([b1["id"], b2["id"]])
    assert result[b1["id"]]["locatedAt"]["entity"]["name"]["value"] == "Paris"
    assert result[b2["id"]]["locatedAt"]["entity"]["name"]["value"] == "Lyon"


def test_query_flat_join_lists_linked_entities_once_across_the_page(broker):
    """4.5.23 (suite 019_13 flat): join=flat appends the linked entities after the matches;
    a City linked from two Buildings appears once."""
    g = Graph(broker)
    paris, lyon = g.city("Paris"), g.city("Lyon")
    b1, b2, b3 = g.building(paris["id"]), g.building(paris["id"]), g.building(lyon["id"])
    result = found(broker, type=g.building_t, join="flat", joinLevel="1")
    got = [e["id"] for e in result]
    assert sorted(got) == sorted([b1["id"], b2["id"], b3["id"], paris["id"], lyon["id"]])
    assert len(got) == 5


def test_query_flat_join_lists_a_matching_entity_that_is_also_a_target_once(broker):
    """4.5.23: with join=flat every entity appears once in the array, also when an entity
    of the page is at the same time the linked target of another entity of the page."""
    g = Graph(broker)
    target = create(broker, {"id": unique_id("Building"), "type": g.building_t,
                             "name": prop("Annex")})
    linking = create(broker, {"id": unique_id("Building"), "type": g.building_t,
                              "name": prop("Main"), "nearTo": rel(target["id"])})
    result = found(broker, type=g.building_t, join="flat", joinLevel="1")
    got = [e["id"] for e in result]
    assert sorted(got) == sorted([target["id"], linking["id"]])


def test_query_flat_join_level_two(broker):
    """4.5.23 (suite 019_16 flat): joinLevel=2 also lists the Countries."""
    g = Graph(broker)
    fr = g.country("France")
    paris = g.city("Paris", fr)
    b = g.building(paris["id"])
    result = found(broker, type=g.building_t, join="flat", joinLevel="2")
    assert result[0]["id"] == b["id"]
    assert ids_of(result) == sorted([b["id"], paris["id"], fr["id"]])


def test_query_nested_pick_with_join(broker):
    """4.21 (suite 019_20): pick=id,locatedAt{name} on a query shapes the inlined City."""
    g = Graph(broker)
    paris = g.city("Paris")
    b = g.building(paris["id"])
    result = found(broker, type=g.building_t, join="inline", joinLevel="1",
                   pick="id,locatedAt{name}")
    assert len(result) == 1
    assert set(result[0]) == {"id", "locatedAt"}
    assert result[0]["id"] == b["id"]
    assert result[0]["locatedAt"]["entity"] == {"name": prop("Paris")}


def test_query_nested_pick_without_join_is_bad_request(broker):
    """5.7.2.4 (suite 019_33_03): a nested pick on a query without join -> 400."""
    g = Graph(broker)
    g.building(g.city()["id"])
    assert_problem(query(broker, type=g.building_t, pick="id,locatedAt{name}"), 400,
                   "BadRequestData")


def test_post_query_inline_join(broker):
    """5.2.23 / 4.5.23: POST /entityOperations/query with "join": "inline" inlines the City."""
    g = Graph(broker)
    paris = g.city("Paris")
    b = g.building(paris["id"])
    r = post_query(broker, {"type": "Query", "entities": [{"type": g.building_t}],
                            "join": "inline", "joinLevel": 1})
    assert r.status_code == 200, r.text
    result = r.json()
    assert [e["id"] for e in result] == [b["id"]]
    assert result[0]["locatedAt"]["entity"]["id"] == paris["id"]
    assert result[0]["locatedAt"]["entity"]["name"]["value"] == "Paris"


# --- q through linked entities -----------------------------------------------------------

def test_q_on_linked_entity_selects_by_the_targets_attribute(broker):
    """4.9 EXAMPLE 13 (suite 019_29_08): q=locatedAt{name}=="Paris" with join selects the
    Buildings whose linked City is named Paris."""
    g = Graph(broker)
    paris, lyon = g.city("Paris"), g.city("Lyon")
    in_paris = g.building(paris["id"])
    g.building(lyon["id"])
    result = found(broker, type=g.building_t, join="inline", joinLevel="1",
                   q='locatedAt{name}=="Paris"')
    assert [e["id"] for e in result] == [in_paris["id"]]


def test_q_on_linked_entity_with_matching_type_hint(broker):
    """4.9 EXAMPLE 14 (suite 019_29_09): locatedAt{City:name} with the target's type keeps
    the match."""
    g = Graph(broker)
    paris, lyon = g.city("Paris"), g.city("Lyon")
    in_paris = g.building(paris["id"])
    g.building(lyon["id"])
    result = found(broker, type=g.building_t, join="inline", joinLevel="1",
                   q=f'locatedAt{{{g.city_t}:name}}=="Paris"')
    assert [e["id"] for e in result] == [in_paris["id"]]


def test_q_on_linked_entity_with_other_type_hint_matches_nothing(broker):
    """4.9 EXAMPLE 14 (suite 019_29_10): a type hint the target does not have excludes it."""
    g = Graph(broker)
    paris = g.city("Paris")
    g.building(paris["id"])
    result = found(broker, type=g.building_t, join="inline", joinLevel="1",
                   q=f'locatedAt{{{g.country_t}:name}}=="Paris"')
    assert result == []


def test_q_on_linked_entity_with_missing_target_does_not_match(broker):
    """4.9: a Relationship whose target does not exist has no linked name to match."""
    g = Graph(broker)
    g.building(unique_id("City"))
    result = found(broker, type=g.building_t, join="inline", joinLevel="1",
                   q='locatedAt{name}=="Paris"')
    assert result == []


def test_q_on_linked_entity_two_hops(broker):
    """4.9 / 5.7.2.4: with joinLevel=2, locatedAt{isInCountry{name}} selects by the
    Country's name."""
    g = Graph(broker)
    fr, it = g.country("France"), g.country("Italy")
    in_france = g.building(g.city("Paris", fr)["id"])
    g.building(g.city("Rome", it)["id"])
    result = found(broker, type=g.building_t, join="inline", joinLevel="2",
                   q='locatedAt{isInCountry{name}}=="France"')
    assert [e["id"] for e in result] == [in_france["id"]]


def test_q_on_linked_entity_with_flat_join_lists_only_matching_entities_targets(broker):
    """4.9 / 4.5.23: with join=flat the q selects the Buildings; only their Cities follow."""
    g = Graph(broker)
    paris, lyon = g.city("Paris"), g.city("Lyon")
    in_paris = g.building(paris["id"])
    g.building(lyon["id"])
    result = found(broker, type=g.building_t, join="flat", joinLevel="1",
                   q='locatedAt{name}=="Paris"')
    assert ids_of(result) == sorted([in_paris["id"], paris["id"]])


def test_q_on_linked_entity_without_join_is_bad_request(broker):
    """5.7.2.4: a q on linked entities without join -> 400 BadRequestData."""
    g = Graph(broker)
    g.building(g.city("Paris")["id"])
    assert_problem(query(broker, type=g.building_t, q='locatedAt{name}=="Paris"'), 400,
                   "BadRequestData")


def test_q_on_linked_entity_deeper_than_join_level_is_bad_request(broker):
    """5.7.2.4: a q reaching two hops with joinLevel=1 -> 400 BadRequestData."""
    g = Graph(broker)
    g.building(g.city("Paris", g.country("France"))["id"])
    r = query(broker, type=g.building_t, join="inline", joinLevel="1",
              q='locatedAt{isInCountry{name}}=="France"')
    assert_problem(r, 400, "BadRequestData")


def test_delete_by_q_on_linked_entity_is_bad_request_and_deletes_nothing(broker):
    """5.6.x purge: DELETE /entities never follows linked entities; a q with
    locatedAt{name} -> 400 BadRequestData and the Building survives."""
    g = Graph(broker)
    b = g.building(g.city("x")["id"])
    r = requests.delete(broker.api + "/entities",
                        params={"type": g.building_t, "q": 'locatedAt{name}=="x"'})
    assert_problem(r, 400, "BadRequestData")
    assert retrieve(broker, b["id"]).status_code == 200


def _tangle(broker):
    """Two entities, each with two relationships to the other: an inline join repeats them
    at every level (2 + 4 + 8 + ... entities)."""
    kind = f"Knot{suffix()}"
    a, b = unique_id("KnotA"), unique_id("KnotB")
    create(broker, {"id": a, "type": kind, "left": rel(b), "right": rel(b)})
    create(broker, {"id": b, "type": kind, "left": rel(a), "right": rel(a)})
    return kind, a, b


def test_inline_join_that_would_inline_too_many_entities_is_too_complex(broker):
    """One GET must not render 2^joinLevel entities: beyond 1,000 inlined entities the
    answer is 403 TooComplexQuery (a bound of Allmende's; the spec sets none)."""
    kind, a, b = _tangle(broker)
    body = retrieved(broker, a, join="inline", joinLevel="5")  # 2 + 4 + ... + 32 = 62 entities
    assert body["left"]["entity"]["right"]["entity"]["id"] == a
    r = retrieve(broker, a, join="inline", joinLevel="60")
    assert_problem(r, 403, "TooComplexQuery")
    assert "joinLevel" in r.json()["detail"]
    flat = retrieved(broker, a, join="flat", joinLevel="60")  # flat lists each entity once
    assert sorted(e["id"] for e in flat) == sorted([a, b])


def test_a_notification_whose_join_is_too_complex_fails_but_the_write_does_not(broker):
    kind, a, b = _tangle(broker)
    r = requests.post(broker.api + "/subscriptions", headers=JSON, json={
        "type": "Subscription", "entities": [{"type": kind}],
        "notification": {"endpoint": {"uri": "http://127.0.0.1:9/never"}, "join": "inline", "joinLevel": 60}})
    assert r.status_code == 201, r.text
    sid = r.headers["Location"].rsplit("/", 1)[1]
    r = requests.post(f"{broker.api}/entities/{a}/attrs", headers=JSON, json={"note": prop(1)})
    assert r.status_code == 204, r.text
    assert retrieved(broker, a)["note"]["value"] == 1
    # (on the PostgreSQL store the change reaches the subscriptions a moment after the write)
    n = delivery_state(broker, sid, "failed")
    assert n["status"] == "failed" and n["timesFailed"] == 1 and n["timesSent"] == 0  # never sent
