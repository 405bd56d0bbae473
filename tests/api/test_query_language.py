"""The NGSI-LD Query Language (4.9) in the q parameter of GET /entities, and
the Scope Query Language (4.19) in scopeQ.

Each test creates a few entities of a type of its own (new_type()) and
checks which of them a q expression selects; malformed expressions are 400
BadRequestData and the broker keeps serving afterwards.
"""
import uuid

import pytest
import requests

from conftest import assert_problem, link, unique_id

JSON = {"Content-Type": "application/json"}


def new_type():
    return f"T{uuid.uuid4().hex[:12]}"


def prop(value, **members):
    return {"type": "Property", "value": value, **members}


def rel(obj, **members):
    return {"type": "Relationship", "object": obj, **members}


def create(broker, etype, **attrs):
    eid = unique_id()
    body = {"id": eid, "type": etype, **attrs}
    r = requests.post(broker.api + "/entities", json=body, headers=JSON)
    assert r.status_code == 201, r.text
    return eid


def query(broker, **params):
    return requests.get(broker.api + "/entities", params=params)


def matching(broker, etype, q=None, **params):
    """Sorted ids of the entities of etype selected by q."""
    if q is not None:
        params["q"] = q
    r = query(broker, type=etype, **params)
    assert r.status_code == 200, r.text
    return sorted(e["id"] for e in r.json())


def still_serving(broker):
    r = requests.get(broker.url + "/health")
    assert r.status_code == 200
    t = new_type()
    eid = create(broker, t, a=prop(1))
    assert matching(broker, t, "a==1") == [eid]


@pytest.fixture
def numbers(broker):
    """Entities of a fresh type with n = 1, 2, 3, 4, 5 (and one without n)."""
    t = new_type()
    by_value = {v: create(broker, t, n=prop(v)) for v in (1, 2, 3, 4, 5)}
    by_value[None] = create(broker, t, other=prop(0))
    return t, by_value


def pick(by_value, *values):
    return sorted(by_value[v] for v in values)


# --- comparison operators -----------------------------------------------------

@pytest.mark.parametrize("q,expected", [
    ("n==3", (3,)),
    ("n!=3", (1, 2, 4, 5)),
    ("n>3", (4, 5)),
    ("n>=3", (3, 4, 5)),
    ("n<3", (1, 2)),
    ("n<=3", (1, 2, 3)),
], ids=["eq", "ne", "gt", "ge", "lt", "le"])
def test_numeric_comparisons(broker, numbers, q, expected):
    """4.9: ==, !=, >, >=, <, <= compare numeric Property values."""
    t, by_value = numbers
    assert matching(broker, t, q) == pick(by_value, *expected)


def test_unequal_does_not_select_entities_without_the_attribute(broker, numbers):
    """4.9: a query term on an attribute the entity lacks does not match, even with !=."""
    t, by_value = numbers
    assert by_value[None] not in matching(broker, t, "n!=3")


def test_range_with_equal_is_the_closed_interval(broker, numbers):
    """4.9 (suite 019_28_01): n==2..4 matches values from 2 to 4, both included."""
    t, by_value = numbers
    assert matching(broker, t, "n==2..4") == pick(by_value, 2, 3, 4)


def test_range_with_unequal_is_outside_the_interval(broker, numbers):
    """4.9 (suite 019_28_02): n!=2..4 matches values outside [2, 4]."""
    t, by_value = numbers
    assert matching(broker, t, "n!=2..4") == pick(by_value, 1, 5)


def test_value_list_with_equal_matches_any_value(broker, numbers):
    """4.9 (suite 019_28_03): n==1,3,5 matches any of the listed values."""
    t, by_value = numbers
    assert matching(broker, t, "n==1,3,5") == pick(by_value, 1, 3, 5)


def test_value_list_with_unequal_excludes_every_value(broker, numbers):
    """4.9 (suite 019_28_04): n!=1,3,5 matches values that are none of the listed ones."""
    t, by_value = numbers
    assert matching(broker, t, "n!=1,3,5") == pick(by_value, 2, 4)


def test_range_with_an_ordering_operator_is_400(broker, numbers):
    """4.9 (suite 019_28_06): a range is allowed only with == and !=."""
    t, _ = numbers
    assert_problem(query(broker, type=t, q="n>2..4"), 400, "BadRequestData")


def test_float_values_compare_numerically(broker):
    """4.9: a number literal compares numerically with integer and float values."""
    t = new_type()
    low = create(broker, t, x=prop(2.5))
    high = create(broker, t, x=prop(10))
    assert matching(broker, t, "x>3.75") == [high]
    assert matching(broker, t, "x<3") == [low]


def test_quoted_string_equality(broker):
    """4.9 (suite 019_09_01): a quoted string matches a string value exactly."""
    t = new_type()
    eiffel = create(broker, t, name=prop("Eiffel Tower"))
    create(broker, t, name=prop("Pisa Tower"))
    assert matching(broker, t, 'name=="Eiffel Tower"') == [eiffel]


def test_quoted_string_with_percent_encoded_space(broker):
    """4.9 / RFC 3986: a space sent as %20 inside a quoted string is part of the value."""
    t = new_type()
    eiffel = create(broker, t, name=prop("Eiffel Tower"))
    r = requests.get(f"{broker.api}/entities?type={t}&q=name%3D%3D%22Eiffel%20Tower%22")
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [eiffel]


def test_plus_in_the_query_string_is_a_space(broker):
    """6.3 / form encoding (as HTTP clients and the suite's requests library send it):
    "+" in the query string stands for a space, so q=name=="Eiffel+Tower" matches
    "Eiffel Tower"."""
    t = new_type()
    eiffel = create(broker, t, name=prop("Eiffel Tower"))
    r = requests.get(f"{broker.api}/entities?type={t}&q=name%3D%3D%22Eiffel+Tower%22")
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [eiffel]


def test_string_value_list(broker):
    """4.9 (suite 019_28_03): a list of quoted strings matches any of them."""
    t = new_type()
    a = create(broker, t, name=prop("Eiffel Tower"))
    b = create(broker, t, name=prop("Pisa Tower"))
    create(broker, t, name=prop("Big Ben"))
    assert matching(broker, t, 'name=="Eiffel Tower","Pisa Tower"') == sorted([a, b])


def test_operators_inside_quoted_strings_are_literal(broker):
    """4.9: ; | ( ) , and == inside a quoted string are part of the value, not syntax."""
    t = new_type()
    odd = create(broker, t, s=prop("a;b|c(d),e==f"))
    create(broker, t, s=prop("a"))
    r = requests.get(broker.api + "/entities",
                     params={"type": t, "q": 's=="a;b|c(d),e==f"'})
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [odd]


def test_negative_and_exponent_numbers(broker):
    """4.9: number literals follow JSON: negative numbers and exponents."""
    t = new_type()
    neg = create(broker, t, x=prop(-2))
    big = create(broker, t, x=prop(1500))
    assert matching(broker, t, "x==-2") == [neg]
    assert matching(broker, t, "x<0") == [neg]
    assert matching(broker, t, "x>1e3") == [big]


def test_strings_compare_lexicographically(broker):
    """4.9: ordering operators on strings compare lexicographically."""
    t = new_type()
    create(broker, t, s=prop("apple"))
    pear = create(broker, t, s=prop("pear"))
    assert matching(broker, t, 's>"banana"') == [pear]


def test_string_is_not_equal_to_a_number(broker):
    """4.9: "3" (a string) is not the number 3."""
    t = new_type()
    number = create(broker, t, v=prop(3))
    text = create(broker, t, v=prop("3"))
    assert matching(broker, t, "v==3") == [number]
    assert matching(broker, t, 'v=="3"') == [text]


def test_boolean_values(broker):
    """4.9 (suite 019_09_02): true and false match boolean values."""
    t = new_type()
    full = create(broker, t, almostFull=prop(True))
    empty = create(broker, t, almostFull=prop(False))
    assert matching(broker, t, "almostFull==true") == [full]
    assert matching(broker, t, "almostFull==false") == [empty]


def test_date_time_values(broker):
    """4.9: a DateTime literal compares with date-time Property values in time order."""
    t = new_type()
    early = create(broker, t, seen=prop("2020-03-01T10:00:00Z"))
    late = create(broker, t, seen=prop("2024-03-01T10:00:00Z"))
    assert matching(broker, t, "seen>2022-01-01T00:00:00Z") == [late]
    assert matching(broker, t, "seen<2022-01-01T00:00:00Z") == [early]
    assert matching(broker, t, "seen==2020-03-01T10:00:00Z") == [early]


def test_observed_at_comparison(broker):
    """4.9: attr.observedAt compares the observedAt of the attribute."""
    t = new_type()
    old = create(broker, t, temp=prop(20, observedAt="2020-01-01T00:00:00Z"))
    new = create(broker, t, temp=prop(21, observedAt="2024-06-01T12:00:00Z"))
    assert matching(broker, t, "temp.observedAt>=2023-01-01T00:00:00Z") == [new]
    assert matching(broker, t, "temp.observedAt<2023-01-01T00:00:00Z") == [old]


def test_observed_at_range(broker):
    """4.9: a DateTime range with == on observedAt."""
    t = new_type()
    create(broker, t, temp=prop(20, observedAt="2020-01-01T00:00:00Z"))
    mid = create(broker, t, temp=prop(21, observedAt="2022-06-01T00:00:00Z"))
    create(broker, t, temp=prop(22, observedAt="2024-06-01T00:00:00Z"))
    assert matching(broker, t, "temp.observedAt==2021-01-01T00:00:00Z..2023-01-01T00:00:00Z") == [mid]


# --- patterns -------------------------------------------------------------------

def test_pattern_match(broker):
    """4.9: ~= matches string values against a regular expression."""
    t = new_type()
    eiffel = create(broker, t, name=prop("Eiffel Tower"))
    create(broker, t, name=prop("Pisa Tower"))
    assert matching(broker, t, 'name~="^Eif.*"') == [eiffel]


def test_pattern_is_a_search_not_a_full_match(broker):
    """4.9: ~= is satisfied when the pattern is found in the value (RE2 search)."""
    t = new_type()
    eiffel = create(broker, t, name=prop("Eiffel Tower"))
    pisa = create(broker, t, name=prop("Pisa Tower"))
    assert matching(broker, t, 'name~="Tower"') == sorted([eiffel, pisa])


def test_pattern_case_insensitive_flag(broker):
    """4.9 / RE2: the (?i) flag makes ~= case-insensitive."""
    t = new_type()
    eiffel = create(broker, t, name=prop("Eiffel Tower"))
    assert matching(broker, t, 'name~="(?i)^eiffel"') == [eiffel]
    assert matching(broker, t, 'name~="^eiffel"') == []


def test_not_pattern_match(broker):
    """4.9 (suite 019_28_05): !~= selects string values the pattern does not match."""
    t = new_type()
    create(broker, t, name=prop("Eiffel Tower"))
    pisa = create(broker, t, name=prop("Pisa Tower"))
    assert matching(broker, t, 'name!~="^Eiffel"') == [pisa]


def test_invalid_regular_expression_is_400(broker):
    """4.9: a pattern that is not a valid regular expression is BadRequestData."""
    assert_problem(query(broker, type=new_type(), q='name~="(unclosed"'), 400, "BadRequestData")
    still_serving(broker)


# --- existence ------------------------------------------------------------------

def test_existence(broker):
    """4.9: a bare attribute path selects entities that have the attribute."""
    t = new_type()
    has = create(broker, t, a=prop(1))
    create(broker, t, b=prop(1))
    assert matching(broker, t, "a") == [has]


def test_absence(broker):
    """4.9: !attr selects entities that do not have the attribute."""
    t = new_type()
    create(broker, t, a=prop(1))
    lacks = create(broker, t, b=prop(1))
    assert matching(broker, t, "!a") == [lacks]


# --- logical operators ------------------------------------------------------------

def test_and(broker):
    """4.9 (suite 019_09_02): ; is the logical AND."""
    t = new_type()
    both = create(broker, t, a=prop(1), b=prop(2))
    create(broker, t, a=prop(1), b=prop(3))
    assert matching(broker, t, "a==1;b==2") == [both]


def test_or(broker):
    """4.9 (suite 019_09_04): | is the logical OR."""
    t = new_type()
    one = create(broker, t, a=prop(1))
    two = create(broker, t, a=prop(2))
    create(broker, t, a=prop(3))
    assert matching(broker, t, "a==1|a==2") == sorted([one, two])


def test_parentheses_group(broker):
    """4.9 (suite 019_09_05): (x|y);z groups the OR before the AND."""
    t = new_type()
    hit1 = create(broker, t, a=prop(1), b=prop(True))
    hit2 = create(broker, t, a=prop(2), b=prop(True))
    create(broker, t, a=prop(1), b=prop(False))
    create(broker, t, a=prop(3), b=prop(True))
    assert matching(broker, t, "(a==1|a==2);b==true") == sorted([hit1, hit2])


def test_and_binds_tighter_than_or(broker):
    """4.9: without parentheses a==1|a==2;b==true means a==1 | (a==2 ; b==true)."""
    t = new_type()
    one_false = create(broker, t, a=prop(1), b=prop(False))
    two_true = create(broker, t, a=prop(2), b=prop(True))
    create(broker, t, a=prop(2), b=prop(False))
    assert matching(broker, t, "a==1|a==2;b==true") == sorted([one_false, two_true])


def test_nested_parentheses(broker):
    """4.9: parentheses nest."""
    t = new_type()
    hit = create(broker, t, a=prop(1), b=prop(2), c=prop(3))
    create(broker, t, a=prop(1), b=prop(9), c=prop(9))
    assert matching(broker, t, "((a==1;b==2)|c==4);(c==3)") == [hit]


# --- attribute paths ----------------------------------------------------------------

def test_sub_attribute_path(broker):
    """4.9: attr.sub addresses the value of a sub-property of the attribute."""
    t = new_type()
    precise = create(broker, t, temp=prop(20, accuracy=prop(0.1)))
    create(broker, t, temp=prop(20, accuracy=prop(2.0)))
    assert matching(broker, t, "temp.accuracy<0.5") == [precise]


def test_compound_value_path(broker):
    """4.9 (suite 019_29_01): attr[key] addresses a member of a JSON object value."""
    t = new_type()
    berlin = create(broker, t, address=prop({"city": "Berlin", "street": "Unter den Linden"}))
    create(broker, t, address=prop({"city": "Paris"}))
    assert matching(broker, t, 'address[city]=="Berlin"') == [berlin]


def test_nested_compound_value_path(broker):
    """4.9: attr[key.sub] addresses a nested member of a JSON object value."""
    t = new_type()
    hit = create(broker, t, spec=prop({"engine": {"power": 150}}))
    create(broker, t, spec=prop({"engine": {"power": 90}}))
    assert matching(broker, t, "spec[engine.power]>100") == [hit]


def test_compound_path_to_an_undefined_member_does_not_match(broker):
    """4.9 (suite 019_29_02): a member that is not defined is non-existent, never matching."""
    t = new_type()
    create(broker, t, address=prop({"city": "Berlin"}))
    assert matching(broker, t, 'address[postcode]=="Berlin"') == []


def test_compound_path_existence(broker):
    """4.9 (suite 019_29_03): attr[key] alone is an existence check of the member."""
    t = new_type()
    has = create(broker, t, address=prop({"city": "Berlin"}))
    create(broker, t, address=prop({"street": "Main"}))
    assert matching(broker, t, "address[city]") == [has]


# --- relationships, datasets, languages -------------------------------------------------

def test_relationship_object_equality(broker):
    """4.9 (suite 019_09_08): rel==URI matches the object of a Relationship."""
    t = new_type()
    pisa = create(broker, t, locatedIn=rel("urn:ngsi-ld:City:Pisa"))
    create(broker, t, locatedIn=rel("urn:ngsi-ld:City:Paris"))
    assert matching(broker, t, "locatedIn==urn:ngsi-ld:City:Pisa") == [pisa]
    assert matching(broker, t, 'locatedIn=="urn:ngsi-ld:City:Pisa"') == [pisa]


def test_relationship_object_list(broker):
    """4.9 (suite 019_09_10): rel==a|rel==b matches either object."""
    t = new_type()
    pisa = create(broker, t, locatedIn=rel("urn:ngsi-ld:City:Pisa"))
    rome = create(broker, t, locatedIn=rel("urn:ngsi-ld:City:Rome"))
    create(broker, t, locatedIn=rel("urn:ngsi-ld:City:Paris"))
    assert matching(broker, t, "locatedIn==urn:ngsi-ld:City:Pisa|locatedIn==urn:ngsi-ld:City:Rome") \
        == sorted([pisa, rome])


def test_ordering_operator_on_a_relationship_never_matches(broker):
    """4.9 (suite 019_29_11): a Relationship with an operator other than ==/!= does not match."""
    t = new_type()
    create(broker, t, managedBy=rel("urn:ngsi-ld:Person:1"))
    assert matching(broker, t, 'managedBy>"urn:a"') == []


def test_any_dataset_instance_may_match(broker):
    """4.9 / 4.5.5: an attribute with several datasetId instances matches if any instance does."""
    t = new_type()
    hit = create(broker, t, temp=[prop(10), prop(30, datasetId="urn:ngsi-ld:Dataset:b")])
    create(broker, t, temp=[prop(10), prop(12, datasetId="urn:ngsi-ld:Dataset:b")])
    assert matching(broker, t, "temp>25") == [hit]
    assert matching(broker, t, "temp==10") == sorted(matching(broker, t))


def test_language_property_any_language(broker):
    """4.9 (suite 019_29_06): attr[*] matches a value of any language of the languageMap."""
    t = new_type()
    hit = create(broker, t, color={"type": "LanguageProperty",
                                   "languageMap": {"en": "red", "fr": "rouge"}})
    create(broker, t, color={"type": "LanguageProperty", "languageMap": {"en": "blue"}})
    assert matching(broker, t, 'color[*]=="rouge"') == [hit]


def test_language_property_one_language(broker):
    """4.9 (suites 019_29_04/05): attr[en] matches only the English value."""
    t = new_type()
    hit = create(broker, t, color={"type": "LanguageProperty",
                                   "languageMap": {"en": "red", "fr": "rouge"}})
    assert matching(broker, t, 'color[en]=="red"') == [hit]
    assert matching(broker, t, 'color[en]=="rouge"') == []


def test_language_property_plain_comparison(broker):
    """4.9: attr=="text" on a LanguageProperty matches a value in any language."""
    t = new_type()
    hit = create(broker, t, color={"type": "LanguageProperty",
                                   "languageMap": {"en": "red", "fr": "rouge"}})
    create(broker, t, color={"type": "LanguageProperty", "languageMap": {"en": "blue"}})
    assert matching(broker, t, 'color=="rouge"') == [hit]


# --- combined with other parameters ---------------------------------------------------

def test_q_attribute_names_are_expanded_with_the_context(broker, context_server):
    """4.9 / 5.7.2: attribute names in q are expanded with the request's @context; the same
    short name without that context is another attribute."""
    ctx = {"Link": link(context_server.base + "/test-context.jsonld")}
    t, eid = new_type(), unique_id()
    r = requests.post(broker.api + "/entities", headers={**JSON, **ctx},
                      json={"id": eid, "type": t, "temperature": prop(30)})
    assert r.status_code == 201, r.text
    r = query(broker, type=t, q="temperature>20")
    assert r.status_code == 200 and r.json() == [], r.text
    r = requests.get(broker.api + "/entities", params={"type": t, "q": "temperature>20"}, headers=ctx)
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [eid]


def test_q_alone_is_a_valid_query(broker):
    """5.7.2.4: q without a type is a sufficient restriction."""
    name = f"attr{uuid.uuid4().hex[:10]}"
    t = new_type()
    eid = create(broker, t, **{name: prop(42)})
    r = query(broker, q=f"{name}==42")
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [eid]


def test_q_with_count(broker, numbers):
    """4.13: the count reflects the q filter."""
    t, _ = numbers
    r = query(broker, type=t, q="n>=2", count="true")
    assert r.status_code == 200, r.text
    assert r.headers.get("NGSILD-Results-Count") == "4"


def test_post_query_with_scope_q(broker):
    """5.2.23 / 4.19: scopeQ in the POST Query body filters like the GET parameter."""
    t = new_type()
    hit = create(broker, t, scope="/a/b")
    create(broker, t, scope="/c")
    r = requests.post(broker.api + "/entityOperations/query", headers=JSON,
                      json={"type": "Query", "entities": [{"type": t}], "scopeQ": "/a/#"})
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [hit]


# --- malformed q ------------------------------------------------------------------------

@pytest.mark.parametrize("q", [
    "(a==1",
    "a==1)",
    "((a==1)",
    "a==",
    "a>",
    "a=1",
    "a===1",
    "a=>1",
    "a<>1",
    ";a==1",
    "a==1;",
    "a==1||b==2",
    'a=="unterminated',
    "a==1..",
    "==1",
], ids=["open-paren", "close-paren", "unbalanced-nested", "missing-value", "missing-value-gt",
        "single-equals", "triple-equals", "bad-operator", "angle-operator", "leading-and",
        "trailing-and", "double-or", "unterminated-string", "open-range", "missing-attribute"])
def test_unparsable_q_is_400(broker, q):
    """4.9 / 5.7.2.4: a q that does not follow the grammar is 400 BadRequestData, and the
    broker keeps serving."""
    assert_problem(query(broker, type=new_type(), q=q), 400, "BadRequestData")
    still_serving(broker)


# --- scopeQ ----------------------------------------------------------------------------------

@pytest.fixture
def scoped(broker):
    t = new_type()
    return t, {
        "ab": create(broker, t, scope="/a/b"),
        "abc": create(broker, t, scope="/a/b/c"),
        "axc": create(broker, t, scope="/a/x/c"),
        "a": create(broker, t, scope="/a"),
        "both": create(broker, t, scope=["/a/b", "/z"]),
        "z": create(broker, t, scope="/z"),
        "none": create(broker, t),
    }


def scope_matching(broker, t, scope_q):
    return matching(broker, t, scopeQ=scope_q)


def test_scope_q_exact(broker, scoped):
    """4.19 (suite 019_01_06): scopeQ=/a/b matches exactly the scope /a/b."""
    t, e = scoped
    assert scope_matching(broker, t, "/a/b") == sorted([e["ab"], e["both"]])


def test_scope_q_hash_matches_the_scope_and_descendants(broker, scoped):
    """4.19: /a/# matches /a and every scope below it."""
    t, e = scoped
    assert scope_matching(broker, t, "/a/#") == sorted([e["a"], e["ab"], e["abc"], e["axc"], e["both"]])


def test_scope_q_plus_matches_one_level(broker, scoped):
    """4.19 (suite 019_01_06): /a/+ matches exactly one level below /a; /a/+/c one level
    in the middle."""
    t, e = scoped
    assert scope_matching(broker, t, "/a/+") == sorted([e["ab"], e["both"]])
    assert scope_matching(broker, t, "/a/+/c") == sorted([e["abc"], e["axc"]])


def test_scope_q_root_hash_matches_every_scoped_entity(broker, scoped):
    """4.19 (suite 019_01_06): /# matches every entity that has a scope."""
    t, e = scoped
    assert scope_matching(broker, t, "/#") == sorted(v for k, v in e.items() if k != "none")


def test_scope_q_and_or(broker, scoped):
    """4.19 (suites 019_01_06, 019_34): ; is AND, , and | are OR, parentheses group."""
    t, e = scoped
    assert scope_matching(broker, t, "/a/b;/z") == [e["both"]]
    assert scope_matching(broker, t, "/a/b/c,/z") == sorted([e["abc"], e["both"], e["z"]])
    assert scope_matching(broker, t, "/a/b/c|/z") == sorted([e["abc"], e["both"], e["z"]])
    assert scope_matching(broker, t, "(/a/b;/z)|/a") == sorted([e["both"], e["a"]])


def test_invalid_scope_q_is_400(broker):
    """4.19: a scopeQ that is not a scope path is BadRequestData."""
    assert_problem(query(broker, type=new_type(), scopeQ="a/b"), 400, "BadRequestData")
    still_serving(broker)
