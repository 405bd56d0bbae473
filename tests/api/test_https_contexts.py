"""Remote @contexts over https (clause 5.5.1 / 6.3.5): fetched with the
certificate verified (system trust store plus --context-ca) and the host name
checked; an untrusted certificate makes the context unavailable (504)."""
import http.server
import os

import pytest
import requests

from conftest import HERE, assert_problem, https_server, link, unique_id


@pytest.fixture(scope="module")
def https_context_server(tmp_path_factory):
    """Serves tests/api/contexts/* over https with a fresh self-signed certificate."""
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=os.path.join(HERE, "contexts"), **kwargs)

        def log_message(self, *args):
            pass

    server = https_server(str(tmp_path_factory.mktemp("tls")), Handler)
    server.url = f"https://localhost:{server.port}"
    yield server
    server.shutdown()


def create(broker, ctx_url):
    eid = unique_id("Building")
    return eid, requests.post(broker.api + "/entities",
                              json={"id": eid, "type": "Building", "name": {"type": "Property", "value": "x"}},
                              headers={"Content-Type": "application/json", "Link": link(ctx_url)})


def test_https_context_with_a_trusted_certificate(make_broker, https_context_server):
    b = make_broker("--context-ca", https_context_server.cert).start()
    ctx = https_context_server.url + "/test-context.jsonld"
    eid, r = create(b, ctx)
    assert r.status_code == 201, r.text
    # The context's terms were used: read with the core context only, names are full IRIs.
    plain = requests.get(f"{b.api}/entities/{eid}").json()
    assert "http://example.org/vocab#name" in plain
    assert requests.get(f"{b.api}/entities/{eid}", headers={"Link": link(ctx)}).json()["type"] == "Building"


def test_https_context_with_an_untrusted_certificate_is_504(make_broker, https_context_server):
    b = make_broker().start()
    eid, r = create(b, https_context_server.url + "/test-context.jsonld")
    body = assert_problem(r, 504, "LdContextNotAvailable")
    assert "certificate" in body["detail"] or "verify" in body["detail"], body
    assert requests.get(f"{b.api}/entities/{eid}").status_code == 404
