"""Bad input and its answers (5.5.2, 5.5.4, 5.5.6, 6.3): each rejected request
gets the right status and a ProblemDetails body, the broker keeps serving,
and a rejected create leaves no entity behind.
"""
import json
import socket

import pytest
import requests

from conftest import assert_problem, link, unique_id

JSON = {"Content-Type": "application/json"}
LD = {"Content-Type": "application/ld+json"}


def post_entity(broker, body, headers=JSON):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.post(broker.api + "/entities", data=data, headers=headers)


def assert_still_serving(broker):
    assert requests.get(broker.url + "/health", timeout=5).status_code == 200


def assert_no_entity(broker, eid):
    assert requests.get(f"{broker.api}/entities/{eid}").status_code == 404


def assert_create_rejected(broker, eid, response, status, error_type):
    """The create failed as a ProblemDetails, the broker is alive, and no entity was written."""
    assert_problem(response, status, error_type)
    assert_still_serving(broker)
    assert_no_entity(broker, eid)


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the request body as a document -----------------------------------------

def test_malformed_json_is_400_invalid_request(broker):
    """5.5.4 (suites 001_02_01, 554_01_05): a body that is not valid JSON is InvalidRequest."""
    eid = unique_id()
    r = post_entity(broker, '{"id": "%s", "type": ' % eid)
    assert_create_rejected(broker, eid, r, 400, "InvalidRequest")


def test_json_array_body_is_400(broker):
    """5.6.1: Create Entity takes one entity object; a JSON array is rejected with 400."""
    eid = unique_id()
    r = post_entity(broker, [{"id": eid, "type": "Thing"}])
    assert r.status_code == 400, r.text
    # the spec does not say which of the two; both are ProblemDetails of a 400
    assert r.json()["type"].rsplit("/", 1)[-1] in ("InvalidRequest", "BadRequestData"), r.text
    assert_still_serving(broker)
    assert_no_entity(broker, eid)


def test_content_type_text_plain_is_415(broker):
    """6.3.4 (suite 048_01): a Content-Type other than JSON / JSON-LD is 415."""
    eid = unique_id()
    r = post_entity(broker, {"id": eid, "type": "Thing"}, {"Content-Type": "text/plain"})
    assert r.status_code == 415, r.text
    assert_still_serving(broker)
    assert_no_entity(broker, eid)


def test_json_body_with_context_is_400(broker):
    """6.3.5 (suite 001_06): application/json with an "@context" member is BadRequestData."""
    eid = unique_id()
    r = post_entity(broker, {"@context": "https://example.org/c.jsonld", "id": eid, "type": "Thing"})
    assert_create_rejected(broker, eid, r, 400, "BadRequestData")


def test_json_ld_body_without_context_is_400(broker):
    """6.3.5 (suite 001_08): application/ld+json without an "@context" member is BadRequestData."""
    eid = unique_id()
    r = post_entity(broker, {"id": eid, "type": "Thing"}, LD)
    assert_create_rejected(broker, eid, r, 400, "BadRequestData")


def test_json_ld_with_link_header_is_400(broker, context_server):
    """6.3.5 (suite 001_09): application/ld+json together with a JSON-LD Link header is BadRequestData."""
    eid = unique_id()
    headers = {**LD, "Link": link(context_server.base + "/test-context.jsonld")}
    r = post_entity(broker, {"@context": context_server.base + "/test-context.jsonld",
                             "id": eid, "type": "Thing"}, headers)
    assert_create_rejected(broker, eid, r, 400, "BadRequestData")


# --- the entity's content ---------------------------------------------------

def test_missing_id_is_400(broker):
    """4.5.1 / 5.6.1 (suite 402_01): an entity without id is BadRequestData."""
    r = post_entity(broker, {"type": "Thing", "name": {"type": "Property", "value": "x"}})
    assert_problem(r, 400, "BadRequestData")
    assert_still_serving(broker)


def test_missing_type_is_400(broker):
    """4.5.1 / 5.6.1 (suite 402_01): an entity without type is BadRequestData."""
    eid = unique_id()
    r = post_entity(broker, {"id": eid, "name": {"type": "Property", "value": "x"}})
    assert_create_rejected(broker, eid, r, 400, "BadRequestData")


def test_unknown_attribute_type_is_400(broker):
    """4.5 / 5.5.4 (suite 001_02_04): an attribute "type" that is no NGSI-LD attribute type is BadRequestData."""
    eid = unique_id()
    r = post_entity(broker, {"id": eid, "type": "Thing", "a": {"type": "Foo", "value": 1}})
    assert_create_rejected(broker, eid, r, 400, "BadRequestData")


def test_property_without_value_is_400(broker):
    """4.5.2 (suite 452_01): a Property needs a value."""
    eid = unique_id()
    r = post_entity(broker, {"id": eid, "type": "Thing", "a": {"type": "Property", "unitCode": "MTR"}})
    assert_create_rejected(broker, eid, r, 400, "BadRequestData")


def test_relationship_object_not_a_uri_is_400(broker):
    """4.5.3 (suite 453_01): a Relationship's object must be a URI."""
    eid = unique_id()
    r = post_entity(broker, {"id": eid, "type": "Thing",
                             "owner": {"type": "Relationship", "object": "not a uri"}})
    assert_create_rejected(broker, eid, r, 400, "BadRequestData")


@pytest.mark.parametrize("geometry", [
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
    {"type": "Point", "coordinates": [10.0, 100.0]},
    {"type": "Pointy", "coordinates": [10.0, 50.0]},
], ids=["unclosed-ring", "latitude-100", "wrong-geometry-type"])
def test_invalid_geometry_is_400(broker, geometry):
    """4.7 (suite 471_01): a GeoProperty value must be a valid GeoJSON geometry (closed rings,
    latitude within -90..90, a known geometry type)."""
    eid = unique_id()
    r = post_entity(broker, {"id": eid, "type": "Thing",
                             "location": {"type": "GeoProperty", "value": geometry}})
    assert_create_rejected(broker, eid, r, 400, "BadRequestData")


def test_observed_at_not_a_date_is_400(broker):
    """4.8 / 4.6.3 (suite 408_01): observedAt must be a DateTime."""
    eid = unique_id()
    r = post_entity(broker, {"id": eid, "type": "Thing",
                             "a": {"type": "Property", "value": 1, "observedAt": "yesterday"}})
    assert_create_rejected(broker, eid, r, 400, "BadRequestData")


# --- request shape ----------------------------------------------------------

def test_unknown_query_parameter_is_400_invalid_request(broker):
    """6.3.x (suite 059_01): an unknown query parameter is InvalidRequest."""
    eid = unique_id()
    assert post_entity(broker, {"id": eid, "type": "Thing"}).status_code == 201
    r = requests.get(f"{broker.api}/entities/{eid}", params={"colour": "blue"})
    assert_problem(r, 400, "InvalidRequest")
    assert_still_serving(broker)


def test_body_over_the_limit_is_413_and_broker_keeps_serving(make_broker):
    """Resource limits: a body over --max-body is refused with 413, and the broker goes on serving."""
    b = make_broker("--max-body", "1000").start()
    eid = unique_id()
    big = {"id": eid, "type": "Thing", "blob": {"type": "Property", "value": "x" * 5000}}
    r = post_entity(b, big)
    assert r.status_code == 413, r.text
    assert_still_serving(b)
    assert_no_entity(b, eid)
    small = unique_id()
    assert post_entity(b, {"id": small, "type": "Thing"}).status_code == 201


def test_post_without_content_length_is_bare_411(broker):
    """6.3.2 / 6.3.4 (suite 046_01): a POST without Content-Length (chunked) is 411 with no body."""
    eid = unique_id()
    body = json.dumps({"id": eid, "type": "Thing"}).encode()
    r = requests.post(broker.api + "/entities", data=iter([body]), headers=JSON)
    assert r.status_code == 411, r.text
    assert r.text == ""
    assert_still_serving(broker)
    assert_no_entity(broker, eid)


def raw_exchange(broker, request):
    """Sends raw bytes; returns (status, header block, body) of the answer."""
    with socket.create_connection(("127.0.0.1", broker.port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            chunk = s.recv(65536)
            assert chunk
            body += chunk
    return int(head.split()[1]), head, body


@pytest.mark.parametrize("headers", [b"", b"Host: a\r\nHost: b\r\n"], ids=["none", "two"])
def test_http11_request_without_exactly_one_host_is_400(broker, headers):
    """RFC 9112 3.2: an HTTP/1.1 request without a Host header (or with two) is 400."""
    status, _, body = raw_exchange(broker, b"GET /ngsi-ld/v1/entities/urn:a HTTP/1.1\r\n" + headers + b"\r\n")
    assert status == 400
    problem = json.loads(body)
    assert problem["type"].endswith("/InvalidRequest") and "Host" in problem["detail"]
    assert_still_serving(broker)


def test_http10_request_without_host_is_served(broker):
    """HTTP/1.0 has no Host requirement."""
    status, _, body = raw_exchange(broker, b"GET /ngsi-ld/v1/entities/urn:a HTTP/1.0\r\n\r\n")
    assert status == 404
    assert json.loads(body)["type"].endswith("/ResourceNotFound")


def test_invalid_utf8_is_escaped_in_the_error_detail(broker):
    """An id with invalid UTF-8 (%FF%FE) is 400, and the ProblemDetails stays valid UTF-8 JSON:
    the bytes are shown as \\xFF\\xFE, not echoed."""
    r = requests.get(broker.api + "/entities/urn:a%FF%FE")
    assert r.status_code == 400
    problem = json.loads(r.content.decode("utf-8", errors="strict"))
    assert problem["type"].endswith("/BadRequestData")
    assert "urn:a\\xFF\\xFE" in problem["detail"], problem


def test_invalid_utf8_in_a_tenant_is_escaped_and_not_echoed(broker):
    """An NGSILD-Tenant with a byte that is not UTF-8 is 400 with a valid UTF-8 detail, and the
    invalid name is not echoed in the NGSILD-Tenant response header."""
    status, head, body = raw_exchange(broker, b"GET /ngsi-ld/v1/entities/urn:a HTTP/1.1\r\nHost: x\r\n"
                                              b"NGSILD-Tenant: t\xff\r\nConnection: close\r\n\r\n")
    assert status == 400
    assert "t\\xFF" in json.loads(body.decode("utf-8", errors="strict"))["detail"]
    assert b"ngsild-tenant" not in head.lower()


def test_unknown_path_is_404(broker):
    """HTTP: a path the API does not have is 404."""
    r = requests.get(broker.api + "/no-such-resource")
    assert r.status_code == 404, r.text
    assert_still_serving(broker)


def test_put_or_patch_without_an_entity_id_is_400(broker):
    """PUT and PATCH exist only on /entities/{entityId}; without the id (/entities or
    /entities/) the conformance suite expects 400 BadRequestData, not 405 (054_02_02,
    056_02_02), and Allmende follows the suite (docs/decisions.md)."""
    for method in ("PUT", "PATCH"):
        for path in ("/entities", "/entities/"):
            r = requests.request(method, broker.api + path, data='{"type": "T"}', headers=JSON)
            assert_problem(r, 400, "BadRequestData")
    assert_still_serving(broker)


def test_405_names_the_allowed_methods(broker):
    """RFC 9110 15.5.6: a 405 answer carries an Allow header listing the methods the resource has."""
    r = requests.put(broker.api + "/subscriptions", data="{}", headers=JSON)
    assert r.status_code == 405
    allowed = {m.strip() for m in r.headers.get("Allow", "").split(",")}
    assert allowed == {"GET", "POST"}


# --- remote @contexts -------------------------------------------------------

def test_unreachable_remote_context_is_504(broker):
    """5.5.6 (suite 043_01): a remote @context that cannot be fetched is 504 LdContextNotAvailable."""
    eid = unique_id()
    headers = {**JSON, "Link": link(f"http://127.0.0.1:{closed_port()}/x.jsonld")}
    r = post_entity(broker, {"id": eid, "type": "Thing"}, headers)
    assert_create_rejected(broker, eid, r, 504, "LdContextNotAvailable")


@pytest.mark.parametrize("name", ["not-json.jsonld", "no-context-member.jsonld"])
def test_invalid_remote_context_is_400(broker, context_server, name):
    """5.5.6 (suite 556_01): a remote @context that is not JSON, or has no "@context"
    member, is BadRequestData (not LdContextNotAvailable)."""
    eid = unique_id()
    headers = {**JSON, "Link": link(f"{context_server.base}/{name}")}
    r = post_entity(broker, {"id": eid, "type": "Thing"}, headers)
    assert_create_rejected(broker, eid, r, 400, "BadRequestData")
