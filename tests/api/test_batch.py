"""Batch entity operations (5.6.7 - 5.6.10, 5.6.20; 6.14 - 6.17, 6.31):
POST /entityOperations/create, upsert, update, merge and delete, their
BatchOperationResult (5.2.16) on partial success, and the checks on the
request as a whole (empty array, not an array, null elements, size limit,
@context placement).

Entity ids are unique per test (unique_id()), so the tests share one broker.
"""
import uuid

import pytest
import requests

from conftest import CORE, assert_problem, link, unique_id, JSON, get_entity as get, read_entity as read

LD = {"Content-Type": "application/ld+json"}
EX = "http://example.org/vocab#"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def new_type():
    return f"T{uuid.uuid4().hex[:12]}"


def prop(value, **members):
    return {"type": "Property", "value": value, **members}


def thing(eid, **attrs):
    return {"id": eid, "type": "Thing", **attrs}


def batch(broker, op, body, headers=JSON, **params):
    return requests.post(f"{broker.api}/entityOperations/{op}", json=body, params=params,
                         headers=headers)


def exists(broker, eid):
    return get(broker, eid).status_code == 200


def create(broker, entity):
    r = requests.post(broker.api + "/entities", json=entity, headers=JSON)
    assert r.status_code == 201, r.text
    return entity["id"]


def assert_batch_result(r, success, failed):
    """207 with a BatchOperationResult: success ids and, per failure, an entityId and a
    ProblemDetails error. Returns {entityId: [error, ...]}."""
    assert r.status_code == 207, r.text
    body = r.json()
    assert sorted(body["success"]) == sorted(success), body
    assert sorted(e["entityId"] for e in body["errors"]) == sorted(failed), body
    errors = {}
    for e in body["errors"]:
        assert e["error"]["type"].startswith(ERRORS), e
        assert e["error"].get("title"), e
        errors.setdefault(e["entityId"], []).append(e["error"])
    return errors


# --- create ---------------------------------------------------------------------------

def test_create_answers_201_with_the_created_ids(broker):
    """5.6.7 / 6.14.3.1 (suite 003_01): all created -> 201 with the array of their ids."""
    e1, e2 = unique_id(), unique_id()
    r = batch(broker, "create", [thing(e1, a=prop(1)), thing(e2, b=prop(2))])
    assert r.status_code == 201, r.text
    assert r.json() == [e1, e2]
    assert read(broker, e1)["a"] == prop(1)
    assert read(broker, e2)["b"] == prop(2)


def test_create_with_an_existing_id_and_an_invalid_entity_is_207(broker):
    """5.6.7 (suite 003_02): the valid entities are created; the existing id fails with
    AlreadyExists and the invalid entity with BadRequestData."""
    existing = create(broker, thing(unique_id()))
    good1, good2, bad = unique_id(), unique_id(), unique_id()
    r = batch(broker, "create", [thing(good1), thing(existing), {"id": bad}, thing(good2)])
    errors = assert_batch_result(r, [good1, good2], [existing, bad])
    assert errors[existing][0]["type"] == ERRORS + "AlreadyExists"
    assert errors[bad][0]["type"] == ERRORS + "BadRequestData"
    assert exists(broker, good1) and exists(broker, good2)
    assert not exists(broker, bad)


def test_create_with_the_same_id_twice_is_207(broker):
    """5.6.7 / 5.5.11 (suite 003_10): the second entity with the same id fails (AlreadyExists)."""
    e1, e2 = unique_id(), unique_id()
    r = batch(broker, "create", [thing(e1, a=prop(1)), thing(e2), thing(e1, a=prop(2))])
    errors = assert_batch_result(r, [e1, e2], [e1])
    assert errors[e1][0]["type"] == ERRORS + "AlreadyExists"
    assert read(broker, e1)["a"] == prop(1)


def test_create_with_an_invalid_id_reports_it(broker):
    """5.6.7: an entity whose id is not a URI fails with BadRequestData; the rest is created."""
    good = unique_id()
    r = batch(broker, "create", [thing(good), thing("not a uri")])
    errors = assert_batch_result(r, [good], ["not a uri"])
    assert errors["not a uri"][0]["type"] == ERRORS + "BadRequestData"


def test_create_with_an_invalid_attribute_reports_the_entity(broker):
    """5.6.7: an entity with an invalid attribute (a Property without value) fails with
    BadRequestData; the others are created."""
    good, bad = unique_id(), unique_id()
    r = batch(broker, "create", [thing(good), thing(bad, a={"type": "Property"})])
    errors = assert_batch_result(r, [good], [bad])
    assert errors[bad][0]["type"] == ERRORS + "BadRequestData"
    assert not exists(broker, bad)


def test_create_with_link_context(broker, context_server):
    """6.3.5 (suite 003_04): with application/json the Link header's @context expands names."""
    ctx = link(context_server.base + "/test-context.jsonld")
    eid = unique_id()
    r = batch(broker, "create", [{"id": eid, "type": "Building", "temperature": prop(21)}],
              headers={**JSON, "Link": ctx})
    assert r.status_code == 201, r.text
    body = read(broker, eid)
    assert body["type"] == EX + "Building"
    assert body[EX + "temperature"] == prop(21)
    assert read(broker, eid, {"Link": ctx})["temperature"] == prop(21)


def test_create_json_ld_with_a_context_in_each_entity(broker, context_server):
    """6.3.5 (suite 003_07): with application/ld+json each entity carries its own @context."""
    ctx = context_server.base + "/test-context.jsonld"
    e1, e2 = unique_id(), unique_id()
    r = batch(broker, "create", [
        {"id": e1, "type": "Building", "name": prop("one"), "@context": [ctx, CORE]},
        {"id": e2, "type": "Thing", "name": prop("two"), "@context": CORE},
    ], headers=LD)
    assert r.status_code == 201, r.text
    assert read(broker, e1)[EX + "name"] == prop("one")
    assert read(broker, e1)["type"] == EX + "Building"
    assert read(broker, e2)["name"] == prop("two")


def test_create_json_ld_entity_without_a_context_fails(broker):
    """6.3.5 (suite 003_08): with application/ld+json an entity lacking @context fails
    with BadRequestData (207); the others are created."""
    good, bad = unique_id(), unique_id()
    r = batch(broker, "create", [thing(good, **{"@context": CORE}), thing(bad)], headers=LD)
    errors = assert_batch_result(r, [good], [bad])
    assert errors[bad][0]["type"] == ERRORS + "BadRequestData"
    assert not exists(broker, bad)


def test_create_json_with_a_context_inside_an_entity_is_rejected(broker):
    """6.3.5 (suite 003_06): with application/json an @context in the body is BadRequestData
    (the suite expects the entity to be reported in a 207) and the entity is not created."""
    eid = unique_id()
    r = batch(broker, "create", [thing(eid, **{"@context": CORE})])
    if r.status_code == 207:
        errors = assert_batch_result(r, [], [eid])
        assert errors[eid][0]["type"] == ERRORS + "BadRequestData"
    else:
        assert_problem(r, 400, "BadRequestData")
    assert not exists(broker, eid)


def test_json_ld_with_a_link_header_is_400(broker, context_server):
    """6.3.5 (suite 003_09): application/ld+json together with a JSON-LD Link header is
    BadRequestData for the whole request."""
    eid = unique_id()
    r = batch(broker, "create", [thing(eid, **{"@context": CORE})],
              headers={**LD, "Link": link(context_server.base + "/test-context.jsonld")})
    assert_problem(r, 400, "BadRequestData")
    assert not exists(broker, eid)


# --- request-level validation ------------------------------------------------------------

@pytest.mark.parametrize("op", ["create", "upsert", "update", "merge", "delete"])
def test_empty_array_is_400(broker, op):
    """5.6.7-5.6.10 / 5.6.20 (suites 003_03_02, 006_03_02, 5620_01_02): an empty array is
    BadRequestData."""
    assert_problem(batch(broker, op, []), 400, "BadRequestData")


@pytest.mark.parametrize("op", ["create", "upsert", "update", "merge", "delete"])
def test_body_not_an_array_is_400(broker, op):
    """6.14-6.17 / 6.31: the body must be a JSON array."""
    r = batch(broker, op, thing(unique_id()) if op != "delete" else unique_id())
    assert r.status_code == 400, r.text
    assert r.json()["type"] in (ERRORS + "BadRequestData", ERRORS + "InvalidRequest")


@pytest.mark.parametrize("op", ["create", "upsert", "update", "merge", "delete"])
def test_invalid_json_is_invalid_request(broker, op):
    """6.14 (suites 003_03_01, 004_06_01, 005_04_01, 006_03_01): a body that is not JSON
    is InvalidRequest."""
    r = requests.post(f"{broker.api}/entityOperations/{op}", data="[{\"id\": ", headers=JSON)
    assert_problem(r, 400, "InvalidRequest")


def test_null_element_fails_the_whole_create(broker):
    """5.6.7.4 (suite 567_01_01): [entity, null] is BadRequestData and nothing is created."""
    eid = unique_id()
    assert_problem(batch(broker, "create", [thing(eid), None]), 400, "BadRequestData")
    assert not exists(broker, eid)


@pytest.mark.parametrize("op", ["upsert", "update", "merge"])
def test_null_element_fails_the_whole_batch(broker, op):
    """5.5.4 (suite 5620_01_01): a null element makes the whole batch BadRequestData;
    nothing is written."""
    eid = create(broker, thing(unique_id(), a=prop(1)))
    new = unique_id()
    r = batch(broker, op, [thing(eid, a=prop(2)), None, thing(new)])
    assert_problem(r, 400, "BadRequestData")
    assert read(broker, eid)["a"] == prop(1)
    assert not exists(broker, new)


def test_delete_with_a_null_element_is_400(broker):
    """5.6.10: the delete body is an array of URIs; a null element fails the whole batch."""
    eid = create(broker, thing(unique_id()))
    assert_problem(batch(broker, "delete", [eid, None]), 400, "BadRequestData")
    assert exists(broker, eid)


def test_more_than_the_maximum_batch_size_is_400(make_broker):
    """--max-batch 3: a batch of 4 entities is rejected as a whole; 3 are fine."""
    b = make_broker("--max-batch", "3").start()
    four = [thing(unique_id()) for _ in range(4)]
    assert_problem(batch(b, "create", four), 400, "BadRequestData")
    assert all(not exists(b, e["id"]) for e in four)
    r = batch(b, "create", four[:3])
    assert r.status_code == 201, r.text
    assert_problem(batch(b, "delete", [e["id"] for e in four]), 400, "BadRequestData")


def test_batch_in_a_tenant(broker):
    """4.14: batch operations honour NGSILD-Tenant."""
    tenant = f"b{uuid.uuid4().hex[:12]}"
    eid = unique_id()
    r = batch(broker, "create", [thing(eid)], headers={**JSON, "NGSILD-Tenant": tenant})
    assert r.status_code == 201, r.text
    assert get(broker, eid, {"NGSILD-Tenant": tenant}).status_code == 200
    assert not exists(broker, eid)
    r = batch(broker, "delete", [eid], headers={**JSON, "NGSILD-Tenant": tenant})
    assert r.status_code == 204, r.text
    assert get(broker, eid, {"NGSILD-Tenant": tenant}).status_code == 404


# --- upsert -------------------------------------------------------------------------------

def test_upsert_creating_all_answers_201_with_ids(broker):
    """5.6.8 / 6.15.3.1 (suite 004_01): if all entities are new -> 201 with their ids."""
    e1, e2 = unique_id(), unique_id()
    r = batch(broker, "upsert", [thing(e1, a=prop(1)), thing(e2)])
    assert r.status_code == 201, r.text
    assert sorted(r.json()) == sorted([e1, e2])
    assert read(broker, e1)["a"] == prop(1)


def test_upsert_of_existing_entities_answers_204(broker):
    """5.6.8 (suite 004_02): if all entities exist -> 204 without body."""
    e1 = create(broker, thing(unique_id(), a=prop(1)))
    e2 = create(broker, thing(unique_id(), a=prop(1)))
    r = batch(broker, "upsert", [thing(e1, a=prop(2)), thing(e2, a=prop(3))])
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert read(broker, e1)["a"] == prop(2)
    assert read(broker, e2)["a"] == prop(3)


def test_upsert_replaces_by_default(broker):
    """5.6.8 (suite 004_03): without options (or options=replace) an existing entity is
    replaced: attributes not in the new version are gone."""
    eid = create(broker, thing(unique_id(), a=prop(1), old=prop(True)))
    r = batch(broker, "upsert", [thing(eid, a=prop(2))])
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert body["a"] == prop(2)
    assert "old" not in body


def test_upsert_with_options_replace(broker):
    """5.6.8: options=replace is the default behaviour, explicitly."""
    eid = create(broker, thing(unique_id(), a=prop(1), old=prop(True)))
    r = batch(broker, "upsert", [thing(eid, a=prop(2))], options="replace")
    assert r.status_code == 204, r.text
    assert "old" not in read(broker, eid)


def test_upsert_with_options_update_keeps_other_attributes(broker):
    """5.6.8 (suite 004_04): options=update updates the given attributes and keeps the others."""
    eid = create(broker, thing(unique_id(), a=prop(1), old=prop(True)))
    r = batch(broker, "upsert", [thing(eid, a=prop(2), b=prop(3))], options="update")
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert body["a"] == prop(2) and body["b"] == prop(3)
    assert body["old"] == prop(True)


def test_upsert_mixed_answers_201_with_only_the_created_ids(broker):
    """5.6.8 (suite 004_04): some new, some existing -> 201 with the ids of the new ones."""
    existing = create(broker, thing(unique_id(), a=prop(1)))
    new = unique_id()
    r = batch(broker, "upsert", [thing(new), thing(existing, a=prop(5))], options="update")
    assert r.status_code == 201, r.text
    assert r.json() == [new]
    assert read(broker, existing)["a"] == prop(5)
    assert exists(broker, new)


def test_upsert_with_an_invalid_entity_is_207(broker):
    """5.6.8 (suite 004_05): an entity without type fails (BadRequestData), the others are
    upserted."""
    e1, e2, bad = unique_id(), unique_id(), unique_id()
    r = batch(broker, "upsert", [thing(e1), thing(e2), {"id": bad}])
    errors = assert_batch_result(r, [e1, e2], [bad])
    assert errors[bad][0]["type"] == ERRORS + "BadRequestData"
    assert exists(broker, e1) and exists(broker, e2) and not exists(broker, bad)


def test_upsert_same_id_twice_the_later_wins(broker):
    """4.6.6 / 5.5.11 (suites 004_07, 466_01): the same id twice -> one entity whose final
    state is the later instance (replace)."""
    eid = unique_id()
    r = batch(broker, "upsert", [thing(eid, speed=prop(1), old=prop(True)), thing(eid, speed=prop(2))])
    assert r.status_code in (201, 204), r.text
    if r.status_code == 201:
        assert r.json() == [eid]
    body = read(broker, eid)
    assert body["speed"] == prop(2)
    assert "old" not in body


def test_upsert_with_an_unknown_option_is_400(broker):
    """6.15.3.1: options for upsert are replace or update."""
    r = batch(broker, "upsert", [thing(unique_id())], options="sideways")
    assert r.status_code == 400, r.text


# --- update -------------------------------------------------------------------------------

def test_update_of_existing_entities_answers_204(broker):
    """5.6.9 (suite 005_01): updating existing entities -> 204; new attributes are added,
    existing ones overwritten, others kept."""
    eid = create(broker, thing(unique_id(), a=prop(1), keep=prop("k")))
    r = batch(broker, "update", [thing(eid, a=prop(2), b=prop(3))])
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert body["a"] == prop(2) and body["b"] == prop(3) and body["keep"] == prop("k")


def test_update_of_a_missing_entity_is_207_resource_not_found(broker):
    """5.6.9 (suite 005_03): existing entities are updated; a missing one fails with
    ResourceNotFound and is not created."""
    e1 = create(broker, thing(unique_id(), a=prop(1)))
    e2 = create(broker, thing(unique_id(), a=prop(1)))
    missing = unique_id()
    r = batch(broker, "update", [thing(e1, a=prop(2)), thing(e2, a=prop(2)), thing(missing, a=prop(2))])
    errors = assert_batch_result(r, [e1, e2], [missing])
    assert errors[missing][0]["type"] == ERRORS + "ResourceNotFound"
    assert read(broker, e1)["a"] == prop(2)
    assert not exists(broker, missing)


def test_update_no_overwrite_keeps_existing_values(broker):
    """5.6.9 (suite 005_02_03): with options=noOverwrite existing attributes keep their
    values, new ones are added; some attributes not being updated is reported with 207."""
    eid = create(broker, thing(unique_id(), a=prop(1)))
    r = batch(broker, "update", [thing(eid, a=prop(9), b=prop(2))], options="noOverwrite")
    assert r.status_code == 207, r.text
    body = read(broker, eid)
    assert body["a"] == prop(1)
    assert body["b"] == prop(2)


def test_update_no_overwrite_with_only_new_attributes_is_204(broker):
    """5.6.9 (suite 005_02_02): noOverwrite with only new attributes adds them -> 204."""
    eid = create(broker, thing(unique_id(), a=prop(1)))
    r = batch(broker, "update", [thing(eid, b=prop(2))], options="noOverwrite")
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert body["a"] == prop(1) and body["b"] == prop(2)


def test_update_adds_a_new_type(broker):
    """5.6.9 / 4.16 (suite 005_05): types in the fragment are added to the entity's types."""
    t = new_type()
    eid = create(broker, thing(unique_id()))
    r = batch(broker, "update", [{"id": eid, "type": t}])
    assert r.status_code == 204, r.text
    assert sorted(read(broker, eid)["type"]) == sorted(["Thing", t])


# --- merge --------------------------------------------------------------------------------

def test_merge_answers_204_and_merges(broker):
    """5.6.20 / 5.6.17 (suite 057_01): merge adds new attributes, merges the members of
    existing ones and keeps the rest."""
    eid = create(broker, thing(unique_id(), a=prop(1, unitCode="MTR"), keep=prop("k")))
    r = batch(broker, "merge", [thing(eid, a={"value": 5}, b=prop(2))])
    assert r.status_code == 204, r.text
    assert r.content == b""
    body = read(broker, eid)
    assert body["a"] == prop(5, unitCode="MTR")
    assert body["b"] == prop(2)
    assert body["keep"] == prop("k")


def test_merge_null_deletes_the_attribute(broker):
    """5.6.20 (suite 5620_01_03): an attribute merged with "urn:ngsi-ld:null" is deleted."""
    eid = create(broker, thing(unique_id(), a=prop(1), b=prop(2)))
    r = batch(broker, "merge", [thing(eid, a="urn:ngsi-ld:null")])
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert "a" not in body
    assert body["b"] == prop(2)
    assert "urn:ngsi-ld:null" not in str(body)


def test_merge_same_id_twice_applies_both_in_order(broker):
    """5.5.11: two fragments for one id are merged in order; the later value wins."""
    eid = create(broker, thing(unique_id(), a=prop(1)))
    r = batch(broker, "merge", [thing(eid, a=prop(2), b=prop(1)), thing(eid, a=prop(3))])
    assert r.status_code == 204, r.text
    body = read(broker, eid)
    assert body["a"] == prop(3) and body["b"] == prop(1)


def test_merge_with_a_missing_entity_is_207(broker):
    """5.6.20 (suite 057_02): existing entities are merged; a missing one fails with
    ResourceNotFound."""
    e1 = create(broker, thing(unique_id(), a=prop(1)))
    missing = unique_id()
    r = batch(broker, "merge", [thing(e1, a=prop(2)), thing(missing, a=prop(2))])
    errors = assert_batch_result(r, [e1], [missing])
    assert errors[missing][0]["type"] == ERRORS + "ResourceNotFound"
    assert read(broker, e1)["a"] == prop(2)
    assert not exists(broker, missing)


# --- delete -------------------------------------------------------------------------------

def test_delete_answers_204(broker):
    """5.6.10 (suite 006_01): deleting existing entities -> 204; they are gone."""
    e1 = create(broker, thing(unique_id()))
    e2 = create(broker, thing(unique_id()))
    r = batch(broker, "delete", [e1, e2])
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert not exists(broker, e1) and not exists(broker, e2)


def test_delete_with_a_missing_id_is_207(broker):
    """5.6.10 (suite 006_02): existing ids are deleted; a missing one fails with
    ResourceNotFound."""
    eid = create(broker, thing(unique_id()))
    missing = unique_id()
    errors = assert_batch_result(batch(broker, "delete", [eid, missing]), [eid], [missing])
    assert errors[missing][0]["type"] == ERRORS + "ResourceNotFound"
    assert not exists(broker, eid)


def test_delete_the_same_id_twice_is_207(broker):
    """5.6.10 / 5.5.11 (suite 006_04): the first delete succeeds, the second fails."""
    eid = create(broker, thing(unique_id()))
    errors = assert_batch_result(batch(broker, "delete", [eid, eid]), [eid], [eid])
    assert errors[eid][0]["type"] == ERRORS + "ResourceNotFound"


def test_delete_with_an_invalid_id_reports_it(broker):
    """5.6.10: an element that is not a URI fails with BadRequestData; the rest is deleted."""
    eid = create(broker, thing(unique_id()))
    errors = assert_batch_result(batch(broker, "delete", [eid, "not a uri"]), [eid], ["not a uri"])
    assert errors["not a uri"][0]["type"] == ERRORS + "BadRequestData"


def test_deleted_entities_leave_query_results(broker):
    """5.6.10 (suite 006_01): after a batch delete the entities no longer match queries."""
    t = new_type()
    ids = [unique_id(), unique_id()]
    assert batch(broker, "create", [{"id": i, "type": t} for i in ids]).status_code == 201
    assert batch(broker, "delete", ids).status_code == 204
    r = requests.get(broker.api + "/entities", params={"type": t})
    assert r.status_code == 200 and r.json() == [], r.text


def test_large_bodies_on_one_connection(broker):
    """HTTP: batch bodies far larger than one read (here ~600 KB each) are read whole, one
    after another on the same keep-alive connection, and a small request after them on
    that connection is answered too."""
    tag = new_type()
    session = requests.Session()
    ids = []
    for round_ in range(2):
        body = [thing(f"urn:ngsi-ld:Thing:{tag}-{round_}-{i}", note=prop("x" * 500, unitCode="C62"))
                for i in range(1000)]
        ids += [e["id"] for e in body]
        r = session.post(f"{broker.api}/entityOperations/upsert", json=body, headers=JSON)
        assert r.status_code == 201, r.text
        assert len(r.json()) == 1000
    r = session.get(f"{broker.api}/entities", params={"type": "Thing", "q": "note.unitCode==\"C62\"",
                                                     "idPattern": f".*{tag}.*", "count": "true",
                                                     "limit": "1"})
    assert r.status_code == 200, r.text
    assert r.headers["NGSILD-Results-Count"] == "2000"
    assert read(broker, ids[-1])["note"]["value"] == "x" * 500
