"""Authentication with bearer tokens (docs/security.md): with --auth-issuer every
request but GET /health needs a JWT from that issuer, signed by a key of its
key set (a JWKS file or URL; RS256, ES256 and EdDSA here), with the right
issuer and audience, not expired and already valid. Everything else is 401
with a ProblemDetails and a WWW-Authenticate challenge, before any routing or
write; the token never reaches the log. Keys are made in the test, the key
set is served from a file or from a loopback HTTP server, and a key added to
the set (a rotation) is taken without a restart.
"""
import http.server
import json
import subprocess
import threading
import time

import pytest
import requests
from cryptography.hazmat.primitives import hashes, hmac, serialization

from conftest import JSON, assert_problem, https_server
from issuer import AUDIENCE, ISSUER, Key, b64, bearer, write_jwks

@pytest.fixture(scope="module")
def keys():
    return {alg: Key(alg, "k-" + alg) for alg in ("RS256", "ES256", "EdDSA")}


@pytest.fixture
def secured(make_broker, tmp_path, keys):
    jwks = str(tmp_path / "jwks.json")
    write_jwks(jwks, *keys.values())
    b = make_broker("--auth-issuer", ISSUER, "--auth-audience", AUDIENCE, "--auth-jwks", jwks,
                    "--auth-jwks-refresh", "1", "--auth-admin", "city-admin").start()
    b.jwks = jwks
    # Every authenticated caller may write here: these tests are about who the caller is.
    r = requests.post(b.url + "/ngsi-ld/ex/grants", json={"to": "authenticated", "role": "writer"},
                      headers=bearer(keys["RS256"].token(sub="city-admin")))
    assert r.status_code == 201, r.text
    return b


def entity(eid):
    return {"id": eid, "type": "Bench", "seats": {"type": "Property", "value": 4}}


def refused(response, error=None):
    """A 401 with the challenge; `error` is the RFC 6750 error code it names (None: none)."""
    body = assert_problem(response, 401, "Unauthorized")
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="allmende"'), challenge
    if error is None:
        assert "error=" not in challenge, challenge
    else:
        assert f'error="{error}"' in challenge, challenge
    return body["detail"]


def test_health_is_open_and_everything_else_needs_a_token(secured):
    assert requests.get(secured.url + "/health").status_code == 200
    detail = refused(requests.get(secured.api + "/entities", params={"type": "Bench"}))
    assert "bearer token" in detail
    refused(requests.get(secured.api + "/no-such-resource"))  # refused before routing: no 404
    refused(requests.get(secured.url + "/metrics"))
    refused(requests.get(secured.api + "/subscriptions"))


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_a_valid_token_of_each_algorithm_passes(secured, keys, alg):
    token = keys[alg].token()
    eid = "urn:ngsi-ld:Bench:" + alg
    r = requests.post(secured.api + "/entities", json=entity(eid), headers=bearer(token))
    assert r.status_code == 201, r.text
    r = requests.get(secured.api + "/entities/" + eid, headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json()["seats"]["value"] == 4


def test_a_write_without_a_valid_token_changes_nothing(secured, keys):
    eid = "urn:ngsi-ld:Bench:unauthorized"
    refused(requests.post(secured.api + "/entities", json=entity(eid), headers=JSON))
    expired = keys["RS256"].token(exp=int(time.time()) - 3600)
    refused(requests.post(secured.api + "/entityOperations/upsert", json=[entity(eid)], headers=bearer(expired)),
            "invalid_token")
    r = requests.get(secured.api + "/entities/" + eid, headers=bearer(keys["RS256"].token()))
    assert r.status_code == 404, r.text


def test_each_bad_credential_is_refused_with_its_reason(secured, keys):
    good = keys["RS256"]
    other = Key("RS256", good.kid)  # a key the issuer never published, under a known kid
    now = int(time.time())
    header, claims, _ = good.token().split(".")
    forged_claims = b64(json.dumps({"iss": ISSUER, "aud": AUDIENCE, "sub": "admin", "exp": now + 300}).encode())
    pem = good.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    hs_input = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": good.kid}).encode()) + "." + claims
    mac = hmac.HMAC(pem, hashes.SHA256())
    mac.update(hs_input.encode())
    cases = {
        "expired": (good.token(exp=now - 3600), "expired"),
        "not yet valid": (good.token(nbf=now + 3600), "not valid before"),
        "no expiry": (good.token(exp=None), "no expiry"),
        "another issuer": (good.token(iss="https://evil.example"), "issued by"),
        "another audience": (good.token(aud=["someone-else"]), "audience"),
        "another key": (other.token(), "signature does not verify"),
        "claims changed": (header + "." + forged_claims + "." + good.token().split(".")[2], "signature does not verify"),
        "unknown kid": (good.token(header={"kid": "nobody"}), "key id 'nobody'"),
        "alg none": (b64(b'{"alg":"none"}') + "." + claims + ".", "'none' is not accepted"),
        "HMAC with the public key": (hs_input + "." + b64(mac.finalize()), "'HS256' is not accepted"),
        "not a JWT": ("abc.def", "not a JWT"),
        "garbage parts": ("a.b.c", "not a JWT"),
    }
    for name, (token, reason) in cases.items():
        detail = refused(requests.get(secured.api + "/types", headers=bearer(token)), "invalid_token")
        assert reason in detail, (name, detail)
    refused(requests.get(secured.api + "/types", headers={"Authorization": "Basic dXNlcjpwYXNz"}), "invalid_request")
    # The audience may also be one of several.
    token = good.token(aud=["account", AUDIENCE])
    assert requests.get(secured.api + "/types", headers=bearer(token)).status_code == 200
    # No token text in the broker's log, whatever failed.
    log = open(secured.log_path).read()
    for name, (token, _) in cases.items():
        assert len(token) < 20 or token not in log, name


def test_a_key_added_to_the_set_is_taken_without_a_restart(secured, keys):
    new = Key("ES256", "k-rotated")
    token = new.token()
    refused(requests.get(secured.api + "/types", headers=bearer(token)), "invalid_token")
    write_jwks(secured.jwks, *keys.values(), new)
    deadline = time.time() + 10
    while time.time() < deadline:
        r = requests.get(secured.api + "/types", headers=bearer(token))
        if r.status_code == 200:
            break
        time.sleep(0.2)
    assert r.status_code == 200, r.text
    # A key taken out of the set stops working too.
    write_jwks(secured.jwks, keys["RS256"])
    deadline = time.time() + 10
    while time.time() < deadline and requests.get(secured.api + "/types", headers=bearer(token)).status_code == 200:
        time.sleep(0.2)
    refused(requests.get(secured.api + "/types", headers=bearer(token)), "invalid_token")
    assert requests.get(secured.api + "/types", headers=bearer(keys["RS256"].token())).status_code == 200


def test_the_key_set_from_the_issuers_url(make_broker, keys):
    document = json.dumps({"keys": [keys["EdDSA"].jwk, {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}]})

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/realms/city/protocol/openid-connect/certs"
        b = make_broker("--auth-issuer", ISSUER, "--auth-jwks", url).start()  # no audience: not checked
        token = keys["EdDSA"].token(aud="anyone")
        assert requests.get(b.api + "/types", headers=bearer(token)).status_code == 200
        refused(requests.get(b.api + "/types", headers=bearer(keys["RS256"].token())), "invalid_token")
    finally:
        server.shutdown()


def test_the_key_set_over_https_under_the_citys_own_ca(make_broker, broker_binary, keys, tmp_path):
    document = json.dumps({"keys": [keys["ES256"].jwk]})

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document.encode())

        def log_message(self, *args):
            pass

    server = https_server(str(tmp_path), Handler)
    try:
        url = f"https://localhost:{server.port}/realms/city/protocol/openid-connect/certs"
        untrusted = subprocess.run([broker_binary, "serve", "--data", str(tmp_path / "data"), "--port", "0",
                                    "--auth-issuer", ISSUER, "--auth-jwks", url],
                                   capture_output=True, text=True, timeout=30)
        assert untrusted.returncode != 0, "a key set from an untrusted certificate must not be used"
        assert "certificate" in untrusted.stdout + untrusted.stderr, untrusted.stdout + untrusted.stderr
        b = make_broker("--auth-issuer", ISSUER, "--auth-jwks", url, "--auth-ca", server.cert,
                        "--auth-admin", "user-1").start()
        assert requests.get(b.api + "/types", headers=bearer(keys["ES256"].token())).status_code == 200
    finally:
        server.shutdown()


def test_the_broker_does_not_start_without_a_usable_key_set(broker_binary, tmp_path):
    def start(jwks):
        return subprocess.run([broker_binary, "serve", "--data", str(tmp_path / "data"), "--port", "0",
                               "--auth-issuer", ISSUER, "--auth-jwks", jwks],
                              capture_output=True, text=True, timeout=30)
    missing = start(str(tmp_path / "missing.json"))
    assert missing.returncode != 0
    assert "cannot read the key set file" in missing.stdout + missing.stderr
    empty = tmp_path / "empty.json"
    empty.write_text('{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}')  # a 17-bit RSA key is no key
    weak = start(str(empty))
    assert weak.returncode != 0
    assert "no usable signing key" in weak.stdout + weak.stderr


def test_api_keys_are_made_by_the_admin_shown_once_and_revoked_at_once(make_broker, tmp_path, keys):
    jwks = str(tmp_path / "jwks.json")
    write_jwks(jwks, *keys.values())
    b = make_broker("--auth-issuer", ISSUER, "--auth-jwks", jwks, "--auth-admin", "city-admin").start()
    admin = bearer(keys["ES256"].token(sub="city-admin"))
    clerk = bearer(keys["ES256"].token(sub="clerk"))
    url = b.url + "/ngsi-ld/ex/apiKeys"
    assert_problem(requests.post(url, json={"name": "iot-agent"}, headers=clerk), 403, "Forbidden")
    assert_problem(requests.post(url, json={}, headers=admin), 400, "BadRequestData")
    r = requests.post(url, json={"name": "iot-agent"}, headers=admin)
    assert r.status_code == 201, r.text
    made = r.json()
    secret = made["key"]
    assert secret.startswith("amk_") and len(secret) > 40
    assert made["createdBy"] == "city-admin" and r.headers["Location"].endswith(made["id"])
    listed = requests.get(url, headers=admin).json()
    assert [k["name"] for k in listed] == ["iot-agent"] and "key" not in listed[0], "never shown again"
    assert "key" not in requests.get(url + "/" + made["id"], headers=admin).json()
    assert secret not in open(b.log_path).read()
    # The key works like a token (for what it is granted), but does not make its holder an admin.
    machine = bearer(secret)
    assert_problem(requests.post(b.api + "/entities", json=entity("urn:ngsi-ld:Bench:by-key"), headers=machine),
                   403, "Forbidden")
    r = requests.post(b.url + "/ngsi-ld/ex/grants", json={"to": "apikey:" + made["id"], "role": "writer"},
                      headers=admin)
    assert r.status_code == 201, r.text
    r = requests.post(b.api + "/entities", json=entity("urn:ngsi-ld:Bench:by-key"), headers=machine)
    assert r.status_code == 201, r.text
    assert_problem(requests.get(url, headers=machine), 403, "Forbidden")
    refused(requests.get(b.api + "/types", headers=bearer(secret[:-2] + "xx")), "invalid_token")
    # It survives a restart; revoked, it is refused at once.
    b.stop()
    b.start(b.port)
    assert requests.get(b.api + "/types", headers=machine).status_code == 200
    assert requests.delete(url + "/" + made["id"], headers=admin).status_code == 204
    detail = refused(requests.get(b.api + "/types", headers=machine), "invalid_token")
    assert "API key" in detail
    assert_problem(requests.delete(url + "/" + made["id"], headers=admin), 404, "ResourceNotFound")
    b.stop()
    b.start(b.port)
    refused(requests.get(b.api + "/types", headers=machine), "invalid_token")
    assert requests.get(url, headers=admin).json() == []


def test_api_keys_need_authentication_on(broker):
    assert_problem(requests.post(broker.url + "/ngsi-ld/ex/apiKeys", json={"name": "x"}, headers=JSON), 422,
                   "OperationNotSupported")
