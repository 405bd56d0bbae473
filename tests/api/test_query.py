"""Query entities (5.7.2, 6.4.3.2) and the POST query (5.7.2 via 6.23):
entity type selection (4.17), ids and idPattern, attrs / pick / omit
projection, representations, paging (4.12) and counting (4.13), content
negotiation, tenants and transient entities.

Every test gives its entities a type of its own (new_type()), so the tests
share one broker without seeing each other's entities.
"""
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from conftest import CORE, assert_problem, link, unique_id

JSON = {"Content-Type": "application/json"}
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
EX = "http://example.org/vocab#"


def new_type():
    return f"T{uuid.uuid4().hex[:12]}"


def new_tenant():
    return f"q{uuid.uuid4().hex[:12]}"


def prop(value, **members):
    return {"type": "Property", "value": value, **members}


def entity(eid, etype, **attrs):
    return {"id": eid, "type": etype, **attrs}


def create(broker, body, headers=None):
    r = requests.post(broker.api + "/entities", json=body, headers={**JSON, **(headers or {})})
    assert r.status_code == 201, r.text
    return body["id"]


def create_many(broker, etype, n, headers=None, **attrs):
    """n entities of type etype, returned in id order."""
    return sorted(create(broker, entity(unique_id(), etype, **attrs), headers) for _ in range(n))


def query(broker, headers=None, **params):
    return requests.get(broker.api + "/entities", params=params, headers=headers)


def found(broker, headers=None, **params):
    r = query(broker, headers, **params)
    assert r.status_code == 200, r.text
    assert isinstance(r.json(), list), r.text
    return r.json()


def ids(entities):
    return sorted(e["id"] for e in entities)


def post_query(broker, body, headers=None, **params):
    return requests.post(broker.api + "/entityOperations/query", json=body, params=params,
                         headers={**JSON, **(headers or {})})


def links(response):
    """rel -> URL of the prev/next entries of the Link header."""
    out = {}
    for part in re.findall(r'<([^>]*)>\s*;([^,<]*)', response.headers.get("Link", "")):
        rel = re.search(r'rel="?([^";]+)"?', part[1])
        if rel:
            out[rel.group(1)] = part[0]
    return out


# --- entity type selection --------------------------------------------------

def test_query_by_type_returns_only_that_type(broker):
    """5.7.2: type=T returns all entities of type T and none of another type."""
    t, other = new_type(), new_type()
    mine = create_many(broker, t, 2)
    create_many(broker, other, 1)
    assert ids(found(broker, type=t)) == mine


def test_query_by_unknown_type_is_an_empty_array(broker):
    """5.7.2: a type no entity has gives 200 with an empty array."""
    assert found(broker, type=new_type()) == []


def test_query_type_list_with_comma_is_any_of(broker):
    """4.17: type=A,B selects entities of type A or of type B."""
    a, b, c = new_type(), new_type(), new_type()
    ea, eb = create_many(broker, a, 1), create_many(broker, b, 1)
    create_many(broker, c, 1)
    assert ids(found(broker, type=f"{a},{b}")) == sorted(ea + eb)


def test_query_type_with_semicolon_requires_both(broker):
    """4.17: type=A;B selects only entities that have both types."""
    a, b = new_type(), new_type()
    both = create(broker, entity(unique_id(), [a, b]))
    create(broker, entity(unique_id(), a))
    create(broker, entity(unique_id(), b))
    assert ids(found(broker, type=f"{a};{b}")) == [both]


def test_query_type_grouping_with_parentheses(broker):
    """4.17: type=(A;B)|C selects entities with both A and B, or with C."""
    a, b, c = new_type(), new_type(), new_type()
    both = create(broker, entity(unique_id(), [a, b]))
    only_a = create(broker, entity(unique_id(), a))
    with_c = create(broker, entity(unique_id(), c))
    result = ids(found(broker, type=f"({a};{b})|{c}"))
    assert result == sorted([both, with_c])
    assert only_a not in result


def test_entity_matching_several_selected_types_is_returned_once(broker):
    """4.17 / 4.13: an entity with types A and B appears once for type=A,B and is counted once."""
    a, b = new_type(), new_type()
    both = create(broker, entity(unique_id(), [a, b]))
    only_a = create(broker, entity(unique_id(), a))
    r = query(broker, type=f"{a},{b}", count="true")
    assert r.status_code == 200, r.text
    assert sorted(e["id"] for e in r.json()) == sorted([both, only_a])
    assert r.headers.get("NGSILD-Results-Count") == "2"


def test_query_type_wildcard_selects_every_type(broker):
    """6.4.3.2 (suite 019_26_01): type=* selects all entity types, not a type named "*"."""
    a, b = new_type(), new_type()
    prefix = f"urn:ngsi-ld:Wild{uuid.uuid4().hex[:8]}:"
    ea = create(broker, entity(prefix + "1", a))
    eb = create(broker, entity(prefix + "2", b))
    assert ids(found(broker, type="*", idPattern=re.escape(prefix) + ".*")) == sorted([ea, eb])


def test_query_type_is_expanded_with_the_link_context(broker, context_server):
    """5.7.2 / 6.3.5: the type is expanded with the request's @context; the short name
    without that context means another (default-vocabulary) type."""
    ctx = {"Link": link(context_server.base + "/test-context.jsonld")}
    prefix = f"urn:ngsi-ld:Ctx{uuid.uuid4().hex[:8]}:"
    eid = create(broker, entity(prefix + "1", "Building"), headers=ctx)
    pattern = re.escape(prefix) + ".*"
    assert ids(found(broker, ctx, type="Building", idPattern=pattern)) == [eid]
    assert ids(found(broker, type=EX + "Building", idPattern=pattern)) == [eid]
    assert found(broker, type="Building", idPattern=pattern) == []


# --- ids and idPattern ------------------------------------------------------

def test_query_by_id_list(broker):
    """5.7.2 (suite 019_01_01): id=a,b with a type returns exactly those entities."""
    t = new_type()
    e1, e2, e3 = create_many(broker, t, 3)
    assert ids(found(broker, type=t, id=f"{e1},{e3}")) == [e1, e3]


def test_query_by_id_pattern(broker):
    """5.7.2 (suite 019_01_03): idPattern is a regular expression over entity ids."""
    t = new_type()
    tag = uuid.uuid4().hex[:8]
    match1 = create(broker, entity(f"urn:ngsi-ld:Car:{tag}-1", t))
    match2 = create(broker, entity(f"urn:ngsi-ld:Car:{tag}-2", t))
    create(broker, entity(f"urn:ngsi-ld:Bus:{tag}-3", t))
    assert ids(found(broker, type=t, idPattern=r"urn:ngsi-ld:Car:.*")) == [match1, match2]


def test_id_pattern_matches_anywhere_in_the_id(broker):
    """5.7.2 (suite 4233_01 uses idPattern=coll4233): idPattern is searched in the id,
    like a regular expression search; ^ and $ anchor it."""
    t = new_type()
    tag = uuid.uuid4().hex[:8]
    eid = create(broker, entity(f"urn:ngsi-ld:Car:{tag}", t))
    other = create(broker, entity(f"urn:ngsi-ld:Car:x{uuid.uuid4().hex[:8]}", t))
    assert ids(found(broker, type=t, idPattern=tag)) == [eid]
    assert ids(found(broker, type=t, idPattern="urn:ngsi-ld:Car")) == sorted([eid, other])
    assert found(broker, type=t, idPattern=f"^{tag}") == []
    assert ids(found(broker, type=t, idPattern=f"{tag}$")) == [eid]


def test_invalid_ids_are_400(broker):
    """5.7.2 (suite 019_03_01): ids that are not URIs are BadRequestData."""
    r = query(broker, type=new_type(), id="thisisaninvaliduri1,thisisaninvaliduri2")
    assert_problem(r, 400, "BadRequestData")


def test_type_wildcard_with_local_false_is_400(broker):
    """6.4.3.2 (suite 019_26_02): type=* implies local=true; local=false with it is
    BadRequestData."""
    assert_problem(query(broker, type="*", local="false"), 400, "BadRequestData")


def test_invalid_id_pattern_is_400(broker):
    """5.7.2 (suite 019_03_02): an idPattern that is not a valid regular expression is
    BadRequestData."""
    assert_problem(query(broker, type=new_type(), idPattern="urn:(unclosed"), 400, "BadRequestData")


def test_query_with_only_ids_is_400(broker):
    """5.7.2.4 (suite 019_03_05): a query with id but no type, attrs, q or georel is
    BadRequestData."""
    assert_problem(query(broker, id=unique_id()), 400, "BadRequestData")


def test_query_with_only_ids_and_local_true_is_allowed(broker):
    """5.7.2.4 (suite 019_25): with local=true no further restriction is needed."""
    t = new_type()
    e1, e2 = create_many(broker, t, 2)
    assert ids(found(broker, id=f"{e1},{e2}", local="true")) == [e1, e2]


def test_query_without_any_parameter_is_400(broker):
    """5.7.2.4: a query without type, attrs, q, georel (and not local) is BadRequestData."""
    assert_problem(query(broker), 400, "BadRequestData")


def test_unknown_query_parameter_is_invalid_request(broker):
    """6.3.20 (suite 059_01): an undefined query parameter is 400 InvalidRequest."""
    assert_problem(query(broker, type=new_type(), color="red"), 400, "InvalidRequest")


# --- attrs, pick, omit -------------------------------------------------------

def test_attrs_selects_entities_having_any_of_them(broker):
    """5.7.2 (suite 019_01_04): attrs=a,b selects entities that have a or b."""
    t = new_type()
    with_a = create(broker, entity(unique_id(), t, a=prop(1)))
    with_b = create(broker, entity(unique_id(), t, b=prop(2)))
    create(broker, entity(unique_id(), t, c=prop(3)))
    assert ids(found(broker, type=t, attrs="a,b")) == sorted([with_a, with_b])


def test_attrs_alone_is_a_valid_query(broker):
    """5.7.2.4: attrs without a type is a sufficient query restriction."""
    name = f"attr{uuid.uuid4().hex[:10]}"
    eid = create(broker, entity(unique_id(), new_type(), **{name: prop(1)}))
    assert ids(found(broker, attrs=name)) == [eid]


def test_attrs_restricts_the_returned_attributes(broker):
    """5.7.2 / 4.21: only the attributes listed in attrs are returned."""
    t = new_type()
    create(broker, entity(unique_id(), t, a=prop(1), b=prop(2), c=prop(3)))
    [body] = found(broker, type=t, attrs="a,b")
    assert body["a"] == prop(1) and body["b"] == prop(2)
    assert "c" not in body


def test_attrs_naming_entity_members_is_400(broker):
    """5.7.2 (suite 019_03_03): attrs=id,type names no attributes and is BadRequestData."""
    assert_problem(query(broker, attrs="id,type"), 400, "BadRequestData")


def test_pick_keeps_only_the_named_members(broker):
    """4.21 (suite 019_17): pick=id,a gives each entity only its id and attribute a."""
    t = new_type()
    eid = create(broker, entity(unique_id(), t, a=prop(1), b=prop(2)))
    assert found(broker, type=t, pick="id,a") == [{"id": eid, "a": prop(1)}]


def test_pick_lists_only_the_entities_it_leaves_something_of(broker):
    """4.21: an entity of which pick keeps no member is not listed, and its retrieve is 404;
    with application/ld+json each listed entity still carries its @context."""
    t = new_type()
    create(broker, entity(unique_id(), t, a=prop(1)))
    without = create(broker, entity(unique_id(), t, b=prop(2)))
    assert found(broker, type=t, pick="a") == [{"a": prop(1)}]
    (only,) = found(broker, {"Accept": "application/ld+json"}, type=t, pick="a")
    assert only == {"a": prop(1), "@context": CORE}, only
    r = requests.get(f"{broker.api}/entities/{without}", params={"pick": "a"})
    assert_problem(r, 404, "ResourceNotFound")
    r = requests.get(f"{broker.api}/entities/{without}", params={"pick": "b"}, headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and r.json() == {"b": prop(2), "@context": CORE}, r.text


def test_omit_drops_the_named_members(broker):
    """4.21 (suite 019_17): omit=a,type drops attribute a and the type of each entity."""
    t = new_type()
    eid = create(broker, entity(unique_id(), t, a=prop(1), b=prop(2)))
    assert found(broker, type=t, omit="a,type") == [{"id": eid, "b": prop(2)}]


def test_pick_and_omit_together_is_400(broker):
    """4.21 (suite 019_18): pick and omit in one request is BadRequestData."""
    assert_problem(query(broker, type=new_type(), pick="a", omit="b"), 400, "BadRequestData")


# --- representations ---------------------------------------------------------

def test_key_values_representation(broker):
    """4.5.4 (suite 019_04): options=keyValues gives each attribute's value only."""
    t = new_type()
    eid = create(broker, entity(unique_id(), t, a=prop(7),
                                r={"type": "Relationship", "object": "urn:ngsi-ld:X:1"}))
    assert found(broker, type=t, options="keyValues") == [
        {"id": eid, "type": t, "a": 7, "r": "urn:ngsi-ld:X:1"}]


def test_concise_representation(broker):
    """4.5.2.3: options=concise drops the attribute type; a Relationship keeps {"object"}."""
    t = new_type()
    create(broker, entity(unique_id(), t, a=prop(7, unitCode="MTR"),
                          r={"type": "Relationship", "object": "urn:ngsi-ld:X:1"}))
    [body] = found(broker, type=t, options="concise")
    assert body["a"] == {"value": 7, "unitCode": "MTR"}
    assert body["r"] == {"object": "urn:ngsi-ld:X:1"}


def test_sys_attrs_adds_created_and_modified_at(broker):
    """6.3.11: options=sysAttrs adds createdAt and modifiedAt to entities and attributes."""
    t = new_type()
    create(broker, entity(unique_id(), t, a=prop(1)))
    [body] = found(broker, type=t, options="sysAttrs")
    assert "createdAt" in body and "modifiedAt" in body
    assert "createdAt" in body["a"] and "modifiedAt" in body["a"]
    [plain] = found(broker, type=t)
    assert "createdAt" not in plain and "createdAt" not in plain["a"]


def test_lang_selects_a_language_of_a_language_property(broker):
    """4.15 (suite 019 lang): with lang=de a LanguageProperty becomes a Property holding
    the German string and "lang": "de"."""
    t = new_type()
    create(broker, entity(unique_id(), t, greeting={
        "type": "LanguageProperty", "languageMap": {"en": "Hello", "de": "Hallo"}}))
    [body] = found(broker, type=t, lang="de")
    assert body["greeting"] == {"type": "Property", "value": "Hallo", "lang": "de"}


# --- paging and counting -----------------------------------------------------

def test_pages_cover_all_entities_in_id_order(broker):
    """4.12: limit/offset pages return the entities in a stable (id) order, without
    repeats or gaps across pages, whatever the order of creation."""
    t = new_type()
    tag = uuid.uuid4().hex[:8]
    all_ids = [f"urn:ngsi-ld:Page:{tag}:{c}" for c in "gcaefbd"]
    for eid in all_ids:
        create(broker, entity(eid, t))
    all_ids.sort()
    seen = []
    for offset in (0, 3, 6):
        page = [e["id"] for e in found(broker, type=t, limit=3, offset=offset)]
        assert len(page) == min(3, 7 - offset)
        seen += page
    assert seen == all_ids


def test_offset_beyond_the_end_is_an_empty_page(broker):
    """4.12: an offset past the last entity gives an empty array."""
    t = new_type()
    create_many(broker, t, 2)
    assert found(broker, type=t, offset=5) == []


def test_count_true_sets_the_results_count_header(broker):
    """4.13 (suite 019_07): count=true gives NGSILD-Results-Count, the total number of
    matches, independent of the page size."""
    t = new_type()
    create_many(broker, t, 4)
    r = query(broker, type=t, count="true", limit=2)
    assert r.status_code == 200, r.text
    assert len(r.json()) == 2
    assert r.headers.get("NGSILD-Results-Count") == "4"


def test_no_count_header_without_count(broker):
    """4.13: without count=true there is no NGSILD-Results-Count header."""
    t = new_type()
    create_many(broker, t, 1)
    r = query(broker, type=t)
    assert r.status_code == 200
    assert "NGSILD-Results-Count" not in r.headers


def test_limit_zero_with_count_gives_only_the_count(broker):
    """4.13 (suite 019_31_05): limit=0&count=true gives an empty array and the count."""
    t = new_type()
    create_many(broker, t, 3)
    r = query(broker, type=t, limit=0, count="true")
    assert r.status_code == 200, r.text
    assert r.json() == []
    assert r.headers.get("NGSILD-Results-Count") == "3"


def test_middle_page_has_prev_and_next_links(broker):
    """4.12 / 5.5.9 (suite 019_31_02): a middle page carries Link rel="prev" and rel="next"."""
    t = new_type()
    create_many(broker, t, 3)
    r = query(broker, type=t, limit=1, offset=1)
    assert r.status_code == 200, r.text
    rels = links(r)
    assert "prev" in rels and "next" in rels, r.headers.get("Link")
    assert "offset=0" in rels["prev"] and "offset=2" in rels["next"]


def test_first_page_has_no_prev_and_last_page_no_next(broker):
    """4.12 (suites 019_31_01, 019_31_03): no prev link on the first page, no next on the last."""
    t = new_type()
    create_many(broker, t, 3)
    first = query(broker, type=t, limit=2, offset=0)
    last = query(broker, type=t, limit=2, offset=2)
    assert "prev" not in links(first) and "next" in links(first), first.headers.get("Link")
    assert "next" not in links(last) and "prev" in links(last), last.headers.get("Link")


def test_following_next_links_walks_the_whole_result(broker):
    """4.12: following the next links from the first page visits every entity once."""
    t = new_type()
    all_ids = create_many(broker, t, 5)
    r = query(broker, type=t, limit=2)
    seen = []
    for _ in range(10):
        assert r.status_code == 200, r.text
        seen += [e["id"] for e in r.json()]
        nxt = links(r).get("next")
        if not nxt:
            break
        r = requests.get(broker.url + nxt if nxt.startswith("/") else nxt)
    assert seen == all_ids


def test_next_link_keeps_the_filters(broker):
    """4.12: the next link repeats q and attrs, so the next page is of the same query."""
    t = new_type()
    hits = sorted(create(broker, entity(unique_id(), t, n=prop(v), m=prop(0))) for v in (5, 6, 7))
    create(broker, entity(unique_id(), t, n=prop(1)))
    r = query(broker, type=t, q="n>=5", attrs="n", limit=2)
    assert r.status_code == 200, r.text
    first = r.json()
    nxt = links(r)["next"]
    r = requests.get(broker.url + nxt if nxt.startswith("/") else nxt)
    assert r.status_code == 200, r.text
    pages = first + r.json()
    assert [e["id"] for e in pages] == hits
    assert all(set(e) == {"id", "type", "n"} for e in pages), pages


def test_limit_above_the_maximum_is_too_many_results(broker):
    """6.3.10 / 5.5.9: a limit above the broker's maximum (1000) is 403 TooManyResults."""
    assert_problem(query(broker, type=new_type(), limit=1001), 403, "TooManyResults")


def test_limit_at_the_maximum_is_accepted(broker):
    """6.3.10: limit equal to the maximum (1000) is fine."""
    assert found(broker, type=new_type(), limit=1000) == []


def test_configured_max_limit_is_enforced(make_broker):
    """--max-limit 5: limit=6 is 403 TooManyResults, limit=5 is accepted."""
    b = make_broker("--max-limit", "5").start()
    t = new_type()
    create_many(b, t, 2)
    assert_problem(query(b, type=t, limit=6), 403, "TooManyResults")
    assert len(found(b, type=t, limit=5)) == 2


@pytest.mark.parametrize("params", [{"limit": "-1"}, {"limit": "abc"}, {"offset": "-1"},
                                    {"offset": "x"}, {"count": "maybe"}],
                         ids=["negative-limit", "text-limit", "negative-offset", "text-offset",
                              "count-not-boolean"])
def test_invalid_paging_parameters_are_400(broker, params):
    """6.3.10 / 6.3.13: limit and offset are non-negative integers, count a boolean."""
    r = query(broker, type=new_type(), **params)
    assert r.status_code == 400, r.text
    assert r.json()["type"] in ("https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
                                "https://uri.etsi.org/ngsi-ld/errors/InvalidRequest")


# --- content negotiation -------------------------------------------------------

def test_accept_geo_json_gives_a_feature_collection(broker):
    """4.5.16 / 6.3.15 (suite 019_05): Accept application/geo+json gives a
    FeatureCollection with one Feature per entity."""
    t = new_type()
    point = {"type": "Point", "coordinates": [13.4, 52.5]}
    eid = create(broker, entity(unique_id(), t, a=prop(1),
                                location={"type": "GeoProperty", "value": point}))
    r = query(broker, {"Accept": "application/geo+json"}, type=t)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/geo+json")
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 1
    feature = body["features"][0]
    assert feature["type"] == "Feature" and feature["id"] == eid
    assert feature["geometry"] == point
    assert feature["properties"]["a"] == prop(1)


def test_geometry_property_selects_the_feature_geometry(broker):
    """4.5.16 / 6.3.15 (suite 019_27_02): with geo+json, geometryProperty names the
    GeoProperty used as each Feature's geometry."""
    t = new_type()
    loc, other = {"type": "Point", "coordinates": [1, 2]}, {"type": "Point", "coordinates": [3, 4]}
    create(broker, entity(unique_id(), t, location={"type": "GeoProperty", "value": loc},
                          entrance={"type": "GeoProperty", "value": other}))
    r = query(broker, {"Accept": "application/geo+json"}, type=t, geometryProperty="entrance")
    assert r.status_code == 200, r.text
    assert r.json()["features"][0]["geometry"] == other


def test_geometry_property_without_geo_json_is_400(broker):
    """5.7.2.4 (suite 019_27_01): geometryProperty outside application/geo+json is
    BadRequestData."""
    r = query(broker, {"Accept": "application/json"}, type=new_type(), geometryProperty="location")
    assert_problem(r, 400, "BadRequestData")


def test_accept_json_ld_puts_a_context_in_every_entity(broker):
    """6.3.6: with Accept application/ld+json every entity of the array carries @context."""
    t = new_type()
    create_many(broker, t, 2)
    r = query(broker, {"Accept": "application/ld+json"}, type=t)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/ld+json")
    body = r.json()
    assert len(body) == 2
    for e in body:
        assert CORE in str(e["@context"]), e


def test_accept_json_has_no_context_in_the_body(broker):
    """6.3.6: with application/json the @context is in the Link header, not the entities."""
    t = new_type()
    create_many(broker, t, 1)
    r = query(broker, {"Accept": "application/json"}, type=t)
    assert r.status_code == 200
    assert all("@context" not in e for e in r.json())
    assert "json-ld#context" in r.headers.get("Link", "")


# --- tenants -----------------------------------------------------------------

def test_query_sees_only_its_tenant(broker):
    """4.14: a query in tenant A returns A's entities, not those of the default tenant or B."""
    t, a, b = new_type(), new_tenant(), new_tenant()
    in_a = create(broker, entity(unique_id(), t), {"NGSILD-Tenant": a})
    create(broker, entity(unique_id(), t), {"NGSILD-Tenant": b})
    create(broker, entity(unique_id(), t))
    assert ids(found(broker, {"NGSILD-Tenant": a}, type=t)) == [in_a]
    assert in_a not in ids(found(broker, type=t))


def test_query_in_a_nonexistent_tenant_is_404(broker):
    """5.5.10 / 6.3.14: a query naming a tenant that does not exist is 404 NonexistentTenant."""
    r = query(broker, {"NGSILD-Tenant": new_tenant()}, type=new_type())
    assert_problem(r, 404, "NonexistentTenant")


# --- transient entities ------------------------------------------------------

def test_expired_attribute_is_not_matched_nor_returned(broker):
    """4.22: an attribute whose expiresAt has passed neither matches q/attrs nor appears."""
    t = new_type()
    expires = (datetime.now(timezone.utc) + timedelta(seconds=1)).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    eid = create(broker, entity(unique_id(), t, a=prop(1, expiresAt=expires), b=prop(2)))
    assert ids(found(broker, type=t, q="a==1")) == [eid]
    time.sleep(1.3)
    assert found(broker, type=t, q="a==1") == []
    assert found(broker, type=t, attrs="a") == []
    [body] = found(broker, type=t)
    assert "a" not in body and body["b"] == prop(2)


def test_expired_entities_are_not_returned(broker):
    """4.22: an entity whose expiresAt has passed is no longer part of query results."""
    t = new_type()
    expires = (datetime.now(timezone.utc) + timedelta(seconds=1)).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    transient = create(broker, entity(unique_id(), t, expiresAt=expires))
    lasting = create(broker, entity(unique_id(), t))
    assert ids(found(broker, type=t)) == sorted([transient, lasting])
    time.sleep(1.3)
    assert ids(found(broker, type=t)) == [lasting]


# --- POST /entityOperations/query ---------------------------------------------

def test_post_query_by_type_matches_get(broker):
    """5.7.2 / 6.23 (suite 019_02_02): a Query with entities [{"type": T}] returns what
    GET ?type=T returns."""
    t = new_type()
    mine = create_many(broker, t, 3, a=prop(1))
    r = post_query(broker, {"type": "Query", "entities": [{"type": t}]})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == mine
    assert sorted(r.json(), key=lambda e: e["id"]) == sorted(found(broker, type=t),
                                                             key=lambda e: e["id"])


def test_post_query_with_q(broker):
    """5.7.2 / 6.23: q in the Query body filters like the q parameter of GET."""
    t = new_type()
    hit = create(broker, entity(unique_id(), t, a=prop(5)))
    create(broker, entity(unique_id(), t, a=prop(1)))
    r = post_query(broker, {"type": "Query", "entities": [{"type": t}], "q": "a>3"})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == [hit]
    assert r.json() == found(broker, type=t, q="a>3")


def test_post_query_attrs_selects_entities_having_them(broker):
    """5.2.23 / 5.7.2: attrs in the Query body selects entities having any of them."""
    t = new_type()
    with_a = create(broker, entity(unique_id(), t, a=prop(1)))
    create(broker, entity(unique_id(), t, c=prop(1)))
    r = post_query(broker, {"type": "Query", "entities": [{"type": t}], "attrs": ["a"]})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == [with_a]


def test_post_query_attrs_restricts_the_returned_attributes(broker):
    """5.2.23 / 5.7.2: attrs in the Query body also restricts the returned attributes,
    as attrs does in GET."""
    t = new_type()
    hit = create(broker, entity(unique_id(), t, a=prop(5), b=prop(1)))
    r = post_query(broker, {"type": "Query", "entities": [{"type": t}], "attrs": ["a"]})
    assert r.status_code == 200, r.text
    assert r.json() == [{"id": hit, "type": t, "a": prop(5)}]
    assert found(broker, type=t, attrs="a") == r.json()


def test_post_query_by_id_and_id_pattern(broker):
    """6.23 (suites 019_02_01, 019_02_03): entities may name an id or an idPattern."""
    t = new_type()
    tag = uuid.uuid4().hex[:8]
    e1 = create(broker, entity(f"urn:ngsi-ld:P:{tag}:1", t))
    e2 = create(broker, entity(f"urn:ngsi-ld:P:{tag}:2", t))
    r = post_query(broker, {"type": "Query", "entities": [{"id": e1, "type": t}]})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == [e1]
    r = post_query(broker, {"type": "Query",
                            "entities": [{"idPattern": f"urn:ngsi-ld:P:{tag}:.*", "type": t}]})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == [e1, e2]


def test_post_query_with_geo_q(broker):
    """6.23 / 4.10: geoQ in the Query body works like georel/geometry/coordinates."""
    t = new_type()
    near = create(broker, entity(unique_id(), t, location={
        "type": "GeoProperty", "value": {"type": "Point", "coordinates": [13.4050, 52.5200]}}))
    create(broker, entity(unique_id(), t, location={
        "type": "GeoProperty", "value": {"type": "Point", "coordinates": [14.4050, 52.5200]}}))
    r = post_query(broker, {"type": "Query", "entities": [{"type": t}],
                            "geoQ": {"georel": "near;maxDistance==1000", "geometry": "Point",
                                     "coordinates": [13.4060, 52.5200]}})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == [near]


def test_post_query_with_paging_and_count(broker):
    """6.23: limit, offset and count are URL parameters of the POST query."""
    t = new_type()
    all_ids = create_many(broker, t, 3)
    r = post_query(broker, {"type": "Query", "entities": [{"type": t}]},
                   limit=2, offset=1, count="true")
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == all_ids[1:]
    assert r.headers.get("NGSILD-Results-Count") == "3"


def test_post_query_key_values(broker):
    """6.23: options=keyValues applies to the POST query result."""
    t = new_type()
    eid = create(broker, entity(unique_id(), t, a=prop(3)))
    r = post_query(broker, {"type": "Query", "entities": [{"type": t}]}, options="keyValues")
    assert r.status_code == 200, r.text
    assert r.json() == [{"id": eid, "type": t, "a": 3}]


def test_post_query_with_several_entity_selectors(broker):
    """5.2.23: several EntitySelectors in entities are alternatives (any may match)."""
    a, b, c = new_type(), new_type(), new_type()
    ea = create(broker, entity(unique_id(), a))
    eb = create(broker, entity(unique_id(), b))
    create(broker, entity(unique_id(), c))
    r = post_query(broker, {"type": "Query", "entities": [{"type": a}, {"type": b}]})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == sorted([ea, eb])


def test_post_query_invalid_json_is_400(broker):
    """6.23: a body that is not JSON is InvalidRequest."""
    r = requests.post(broker.api + "/entityOperations/query", data="{", headers=JSON)
    assert_problem(r, 400, "InvalidRequest")


def test_post_query_without_a_restriction_is_400(broker):
    """5.7.2.4: a Query without entities, attrs, q or geoQ is BadRequestData."""
    assert_problem(post_query(broker, {"type": "Query"}), 400, "BadRequestData")


def test_post_query_with_a_wrong_type_member_is_400(broker):
    """6.23 / 5.2.23: the body's type must be "Query"."""
    r = post_query(broker, {"type": "Subscription", "entities": [{"type": new_type()}]})
    assert r.status_code == 400, r.text


def test_post_query_in_a_tenant(broker):
    """4.14: the POST query honours NGSILD-Tenant."""
    t, tenant = new_type(), new_tenant()
    eid = create(broker, entity(unique_id(), t), {"NGSILD-Tenant": tenant})
    create(broker, entity(unique_id(), t))
    r = post_query(broker, {"type": "Query", "entities": [{"type": t}]}, {"NGSILD-Tenant": tenant})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == [eid]


def test_post_query_in_a_nonexistent_tenant_is_404(broker):
    """5.5.10 / 6.3.14: a POST query naming a tenant that does not exist is NonexistentTenant."""
    r = post_query(broker, {"type": "Query", "entities": [{"type": new_type()}]},
                   {"NGSILD-Tenant": new_tenant()})
    assert_problem(r, 404, "NonexistentTenant")


def test_post_query_limit_above_the_maximum_is_too_many_results(broker):
    """6.3.10: the page size limit applies to the POST query too."""
    r = post_query(broker, {"type": "Query", "entities": [{"type": new_type()}]}, limit=1001)
    assert_problem(r, 403, "TooManyResults")


@pytest.mark.embedded_only("the paths and counts of the embedded store's query planner")
def test_explain_header_says_how_the_matches_were_found(broker):
    """Allmende-Explain (a request header, any value) answers in the same header: the
    candidates walked (path and its size), those the in-memory checks let through, the
    entities read and the matches."""
    tenant = {"NGSILD-Tenant": new_tenant()}
    kind = new_type()
    batch = [entity(f"urn:ngsi-ld:{kind}:{i:02d}", kind, speed=prop(i), status=prop("alarm" if i % 10 == 3 else "ok"))
             for i in range(30)]
    batch.append(entity("urn:ngsi-ld:Other:1", "Other", speed=prop(99)))
    r = requests.post(f"{broker.api}/entityOperations/create", json=batch, headers={**JSON, **tenant})
    assert r.status_code == 201, r.text

    def explain(**params):
        r = requests.get(f"{broker.api}/entities", params=params, headers={**tenant, "Allmende-Explain": "1"})
        assert r.status_code == 200, r.text
        fields = dict(part.split("=") for part in r.headers["Allmende-Explain"].split("; "))
        return len(r.json()), fields

    # A numeric range walks the number index of speed, in value order: both bounds as one
    # range [10, 15) (no entity has two speeds), so only the matches are read.
    n, e = explain(type=kind, q="speed>=10;speed<15")
    assert n == 5 and e == {"path": "value", "path-size": "5", "candidates": "5", "counted": "0", "read": "5",
                            "matched": "5"}, e
    # count=true with limit=0 counts what the indexes prove without reading anything ...
    n, e = explain(type=kind, q="speed>=10;speed<15", count="true", limit="0")
    assert n == 0 and e["counted"] == "5" and e["read"] == "0" and e["matched"] == "5", e
    # ... and with a page, reads only the page (and the one after it, which tells that there is more).
    n, e = explain(type=kind, q="speed>=10;speed<15", count="true", limit="2")
    assert n == 2 and e["read"] == "3" and e["counted"] == "2" and e["matched"] == "5", e
    # A string equality walks the string index of status: the entities with "alarm" (03, 13,
    # 23), in id order; only the page and the one after it are read.
    n, e = explain(type=kind, q='status=="alarm"', limit=2)
    assert n == 2 and e == {"path": "text", "path-size": "3", "candidates": "3", "counted": "0", "read": "3",
                            "matched": "3"}, e
    # The index proves an equality: a count reads nothing.
    n, e = explain(type=kind, q='status=="alarm"', count="true", limit="0")
    assert n == 0 and e["path"] == "text" and e["counted"] == "3" and e["read"] == "0" and e["matched"] == "3", e
    # A list of strings walks each one's entities, one string after the other.
    n, e = explain(type=kind, q='status=="nothing","alarm"', count="true", limit="0")
    assert e["path"] == "text" and e["path-size"] == "3" and e["counted"] == "3" and e["read"] == "0", e
    # A pattern anchored at the start walks the strings with its prefix; each is read and
    # checked (the pattern decides), so nothing is counted unread.
    n, e = explain(type=kind, q="status~=^ala", count="true", limit="0")
    assert e["path"] == "text" and e["path-size"] == "3" and e["read"] == "3" and e["matched"] == "3", e
    # An unanchored pattern cannot use the index: every candidate of the type is read.
    n, e = explain(type=kind, q="status~=arm", count="true", limit="0")
    assert e["path"] == "type" and e["read"] == "30" and e["matched"] == "3", e
    # A string term that no entity's strings meet ends the query before anything is read.
    n, e = explain(type=kind, q='status=="nothing"', count="true")
    assert n == 0 and e["path"] == "text" and e["read"] == "0" and e["matched"] == "0", e
    # A type alone is proven by the index: counted without reading.
    n, e = explain(type=kind, count="true", limit="0")
    assert e["path"] == "type" and e["counted"] == "30" and e["read"] == "0", e
    # Ids are the smallest source; without any selector every entity is a candidate.
    n, e = explain(id=f"urn:ngsi-ld:{kind}:01,urn:ngsi-ld:{kind}:02", type=kind)
    assert n == 2 and e["path"] == "ids" and e["path-size"] == "2", e
    n, e = explain(q="status~=o", local="true", limit="1")
    assert n == 1 and e["path"] == "all" and e["path-size"] == "31", e
    n, e = explain(q="speed>=99", local="true")
    assert n == 1 and e["path"] == "value" and e["path-size"] == "1" and e["read"] == "1", e
    # orderBy on a number every entity with it has once reads the index in order: only the
    # page (and one more) is read.
    n, e = explain(type=kind, orderBy="speed", limit=3)
    assert n == 3 and e["path"] == "order" and e["read"] == "4", e
    # So does orderBy on the entity's own modifiedAt or createdAt (every entity has them).
    n, e = explain(type=kind, orderBy="modifiedAt;desc", limit=3)
    assert n == 3 and e["path"] == "order" and e["read"] == "4", e
    # Any other ordering reads every candidate for its sort key, then the page's (and one more) again.
    n, e = explain(type=kind, orderBy="status", limit=3)
    assert n == 3 and e["read"] == "34" and e["matched"] == "30", e
    r = requests.get(f"{broker.api}/entities", params={"type": kind}, headers=tenant)
    assert "Allmende-Explain" not in r.headers


@pytest.mark.embedded_only("the paths and counts of the embedded store's query planner")
def test_time_terms_walk_the_time_indexes(broker):
    """Dates and date-times in values, observedAt, and the entity's createdAt and modifiedAt
    are indexed as points in time: a term comparing them with a date-time walks those
    entities only, and a count needs no reads."""
    tenant = {"NGSILD-Tenant": new_tenant()}
    kind = new_type()
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    batch = [entity(f"urn:ngsi-ld:{kind}:{i:02d}", kind,
                    temperature=prop(i, observedAt=f"2026-01-{1 + i % 10:02d}T08:00:00Z"),
                    # the same day written as a date and as a date-time
                    dateObserved=prop(f"2026-02-{1 + i % 10:02d}" if i % 2 else f"2026-02-{1 + i % 10:02d}T00:00:00Z"))
             for i in range(30)]
    r = requests.post(f"{broker.api}/entityOperations/create", json=batch, headers={**JSON, **tenant})
    assert r.status_code == 201, r.text

    def explain(q, **params):
        r = requests.get(f"{broker.api}/entities", params={"type": kind, "q": q, "count": "true", **params},
                         headers={**tenant, "Allmende-Explain": "1"})
        assert r.status_code == 200, r.text
        fields = dict(part.split("=") for part in r.headers["Allmende-Explain"].split("; "))
        return int(r.headers["NGSILD-Results-Count"]), sorted(ids(r.json())), fields

    n, found, e = explain("dateObserved==2026-02-03", limit="0")
    assert n == 3 and e["path"] == "time" and e["read"] == "0" and e["counted"] == "3", e
    n, found, e = explain("dateObserved>=2026-02-09T00:00:00Z")
    assert found == [f"urn:ngsi-ld:{kind}:{i:02d}" for i in (8, 9, 18, 19, 28, 29)], found
    assert e["path"] == "time" and e["path-size"] == "6" and e["read"] == "6", e
    n, found, e = explain("temperature.observedAt<2026-01-02T00:00:00Z")
    assert found == [f"urn:ngsi-ld:{kind}:{i:02d}" for i in (0, 10, 20)] and e["path"] == "time", e
    # The entity's own times: all were created after `before`, none before it.
    stamp = before.strftime("%Y-%m-%dT%H:%M:%SZ")
    n, found, e = explain(f"modifiedAt>={stamp}", limit="0")
    assert n == 30 and e["path"] == "time" and e["read"] == "0", e
    n, found, e = explain(f"createdAt<{stamp}", limit="0")
    assert n == 0 and e["path"] == "time" and e["read"] == "0", e
    # A time no entity has ends the query at once.
    n, found, e = explain("dateObserved==2027-01-01")
    assert n == 0 and e["path"] == "time" and e["path-size"] == "0" and e["read"] == "0", e


def test_two_ranges_on_one_attribute_each_met_by_some_value(broker):
    """q=speed>=10;speed<20 asks for some value >= 10 and some value < 20: with one value per
    entity that is one value in [10, 20); an entity with two values may meet each term with
    another one ([5, 25]), and matches too, also while the other entities have one value."""
    tenant = {"NGSILD-Tenant": new_tenant()}
    kind = new_type()
    single = [entity(f"urn:ngsi-ld:{kind}:{n}", kind, speed=prop(v)) for n, v in (("low", 5), ("in", 15), ("high", 25))]
    r = requests.post(f"{broker.api}/entityOperations/create", json=single, headers={**JSON, **tenant})
    assert r.status_code == 201, r.text
    params = {"type": kind, "q": "speed>=10;speed<20", "count": "true"}
    r = requests.get(f"{broker.api}/entities", params=params, headers=tenant)
    assert ids(r.json()) == [f"urn:ngsi-ld:{kind}:in"] and r.headers["NGSILD-Results-Count"] == "1"
    two = entity(f"urn:ngsi-ld:{kind}:both", kind, speed=[prop(5), prop(25, datasetId="urn:ds:2")])
    r = requests.post(f"{broker.api}/entities", json=two, headers={**JSON, **tenant})
    assert r.status_code == 201, r.text
    r = requests.get(f"{broker.api}/entities", params=params, headers=tenant)
    assert sorted(ids(r.json())) == [f"urn:ngsi-ld:{kind}:both", f"urn:ngsi-ld:{kind}:in"]
    assert r.headers["NGSILD-Results-Count"] == "2"


def test_an_entity_with_several_values_in_a_range_is_one_match(broker):
    """An attribute with several values (datasetIds, an array) that a range meets more than
    once: the entity is one match, counted once, and paging meets every match once."""
    tenant = {"NGSILD-Tenant": new_tenant()}
    kind = new_type()
    batch = [entity(f"urn:ngsi-ld:{kind}:a", kind, speed=[prop(10), prop(12, datasetId="urn:ds:2")]),
             entity(f"urn:ngsi-ld:{kind}:b", kind, speed=prop(11)),
             entity(f"urn:ngsi-ld:{kind}:c", kind, speed=prop([14, 15, 16])),
             entity(f"urn:ngsi-ld:{kind}:d", kind, speed=prop(13)),
             entity(f"urn:ngsi-ld:{kind}:e", kind, speed=prop(30))]
    r = requests.post(f"{broker.api}/entityOperations/create", json=batch, headers={**JSON, **tenant})
    assert r.status_code == 201, r.text
    params = {"type": kind, "q": "speed>=10;speed<20", "count": "true"}
    r = requests.get(f"{broker.api}/entities", params=params, headers=tenant)
    assert r.headers["NGSILD-Results-Count"] == "4"
    assert sorted(ids(r.json())) == [f"urn:ngsi-ld:{kind}:{x}" for x in "abcd"]
    paged = []
    for offset in range(4):
        r = requests.get(f"{broker.api}/entities", params={**params, "limit": 1, "offset": offset}, headers=tenant)
        assert r.headers["NGSILD-Results-Count"] == "4"
        paged += ids(r.json())
    assert sorted(paged) == [f"urn:ngsi-ld:{kind}:{x}" for x in "abcd"]
