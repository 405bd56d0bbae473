"""Black-box API test fixtures: start the real allmende binary on a free port
with a fresh data directory, and a small HTTP server on loopback that serves
test @context documents (tests/api/contexts/) like a remote context host.

The binary comes from --broker (CTest passes it) or $ALLMENDE_BIN.

With --store (or $ALLMENDE_STORE), the admin URL of a PostgreSQL server as
`scripts/postgres start` prints it (postgresql://postgres@127.0.0.1:PORT/postgres),
every broker runs on the PostgreSQL store: it gets `--store` with a database of its
own, created here, one per data directory (a broker started again on the same data
directory finds its data again). Tests marked embedded_only (their subject is the
embedded store's files) are then skipped; tests marked postgres_only (several brokers
on one store) run only then. With --store-replica (or $ALLMENDE_STORE_REPLICA), the
admin URL of a streaming replica of that server, a broker made with read_replica=True
also gets --store-read-replica with its database there.
"""
import http.server
import itertools
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld"
LINK_REL = 'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'


def pytest_addoption(parser):
    parser.addoption("--broker", default=os.environ.get("ALLMENDE_BIN"), help="allmende binary")
    parser.addoption("--store", default=os.environ.get("ALLMENDE_STORE") or None,
                     help="admin URL of a PostgreSQL server (postgresql://postgres@127.0.0.1:PORT/postgres, "
                          "as scripts/postgres start prints it): run every broker on the PostgreSQL store, "
                          "in a database of its own per data directory")
    parser.addoption("--store-replica", default=os.environ.get("ALLMENDE_STORE_REPLICA") or None,
                     help="admin URL of a streaming replica of the --store server (scripts/postgres replica): "
                          "brokers made with read_replica=True read from it")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "embedded_only(reason): the test's subject is the embedded store (its files in --data, "
                   "RocksDB's figures); skipped with --store")
    config.addinivalue_line(
        "markers", "postgres_only(reason): the test's subject is several brokers sharing one PostgreSQL "
                   "store; skipped without --store")
    _store.admin_url = config.getoption("--store")
    _store.replica_url = config.getoption("--store-replica")


def pytest_collection_modifyitems(config, items):
    postgres = bool(config.getoption("--store"))
    for item in items:
        marker = item.get_closest_marker("embedded_only" if postgres else "postgres_only")
        if marker:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            prefix = ("about the embedded store, and --store runs the PostgreSQL store" if postgres
                      else "about the PostgreSQL store, which runs with --store")
            item.add_marker(pytest.mark.skip(reason=prefix + (f": {reason}" if reason else "")))


class _store:
    """The PostgreSQL databases of this run's brokers, one per data directory (with --store)."""
    admin_url = None
    replica_url = None
    databases = {}  # real path of a data directory -> its database's URL
    counter = itertools.count(1)
    lock = threading.Lock()


def store_args(data_dir):
    """With --store, the arguments that put a broker with this data directory on its own
    PostgreSQL database (created on first use, with psql against the admin URL); else none."""
    if not _store.admin_url:
        return []
    key = os.path.realpath(data_dir)
    with _store.lock:
        while key not in _store.databases:
            name = f"t_{next(_store.counter)}_{os.getpid()}"
            done = subprocess.run(["psql", _store.admin_url, "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                   "-c", f'CREATE DATABASE "{name}"'],
                                  capture_output=True, text=True, timeout=60)
            if done.returncode == 0:
                _store.databases[key] = urllib.parse.urlsplit(_store.admin_url)._replace(path="/" + name).geturl()
            elif "already exists" not in done.stderr:  # left by an earlier run with the same pid: next name
                raise RuntimeError(f"cannot create the database {name} at {_store.admin_url}:\n"
                                   + done.stdout + done.stderr)
        return ["--store", _store.databases[key]]


def replica_args(data_dir):
    """The arguments that let the broker with this data directory read from the replica of its
    database (with --store-replica)."""
    if not _store.replica_url:
        pytest.skip("no read replica: run with --store-replica (scripts/test does)")
    database = urllib.parse.urlsplit(store_args(data_dir)[1])
    replica = urllib.parse.urlsplit(_store.replica_url)._replace(path=database.path).geturl()
    deadline = time.time() + 20
    while subprocess.run(["psql", replica, "-X", "-q", "-c", "SELECT 1"], capture_output=True).returncode != 0:
        assert time.time() < deadline, f"the replica has not replayed the creation of {database.path} yet"
        time.sleep(0.05)
    return ["--store-read-replica", replica]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """One allmende process; start/stop/kill it; base URL helpers."""

    def __init__(self, binary, data_dir, extra_args=(), store_of=None, read_replica=False):
        self.binary = binary
        self.data_dir = data_dir
        self.store_key = store_of.store_key if store_of else data_dir  # whose database (with --store)
        self.read_replica = read_replica
        self.extra_args = list(extra_args)
        self.port = None
        self.proc = None
        self.log_path = os.path.join(data_dir + "-logs", "broker.log")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)

    @property
    def url(self):
        scheme = "https" if "--tls-cert" in self.extra_args else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def api(self):
        return self.url + "/ngsi-ld/v1"

    def start(self, port=None):
        self.port = port or free_port()
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--data", self.data_dir, *store_args(self.store_key),
             *(replica_args(self.store_key) if self.read_replica else []),
             "--port", str(self.port), "--threads", "2", "--expiry-interval", "200",
             "--context-timeout", "2000", *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("broker exited at start:\n" + open(self.log_path).read())
            try:
                if requests.get(self.url + "/health", timeout=1, verify=False).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("broker did not become healthy")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        code = self.proc.returncode if self.proc else None
        self.proc = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture(scope="session")
def broker_binary(request):
    binary = request.config.getoption("--broker")
    if not binary or not os.path.exists(binary):
        pytest.exit("no allmende binary: pass --broker or set ALLMENDE_BIN", returncode=2)
    return os.path.abspath(binary)


@pytest.fixture(scope="session")
def tmp_root():
    root = tempfile.mkdtemp(prefix="allmende-test-")
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def make_broker(broker_binary, tmp_root):
    """Factory for brokers with their own data directory (and, with --store, the database of
    `store_of`, another broker made here, else their own); all are stopped at the end."""
    made = []

    def make(*extra_args, data_dir=None, store_of=None, read_replica=False):
        data_dir = data_dir or tempfile.mkdtemp(dir=tmp_root)
        b = Broker(broker_binary, data_dir, extra_args, store_of, read_replica)
        made.append(b)
        return b

    yield make
    for b in made:
        if b.alive():
            b.kill()


@pytest.fixture(scope="module")
def broker(broker_binary, tmp_root, context_server):
    """A broker shared by the tests of one module (tests use unique entity ids)."""
    b = Broker(broker_binary, tempfile.mkdtemp(dir=tmp_root), ())
    b.start()
    yield b
    assert b.alive(), "the broker died during the tests:\n" + open(b.log_path).read()[-4000:]
    code = b.stop()
    assert code == 0, f"the broker exited with {code} (a sanitizer report?):\n" + open(b.log_path).read()[-4000:]


class _ContextHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = self.path.lstrip("/").split("?")[0]
        path = os.path.join(HERE, "contexts", name)
        if not name or "/" in name or not os.path.isfile(path):
            self.send_response(404)
            self.end_headers()
            return
        body = open(path, "rb").read()
        self.server.hits[name] = self.server.hits.get(name, 0) + 1
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def context_server():
    """Serves tests/api/contexts/* at http://127.0.0.1:PORT/NAME; .hits counts fetches."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ContextHandler)
    server.hits = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()


def https_server(directory, handler):
    """A loopback HTTPS server of `handler` (a BaseHTTPRequestHandler class) with a fresh
    self-signed certificate for localhost, made in `directory`; .port, .cert (its PEM
    file, to trust it). Stop it with .shutdown()."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.port, server.cert = server.server_address[1], cert
    return server


def link(url):
    return f"<{url}>; {LINK_REL}"


# --- request helpers shared by the test files ---------------------------------

JSON = {"Content-Type": "application/json"}
NULL = "urn:ngsi-ld:null"


def entity_url(broker, eid):
    return f"{broker.api}/entities/{eid}"


def attrs_url(broker, eid, attr=None):
    return f"{broker.api}/entities/{eid}/attrs" + (f"/{attr}" if attr else "")


def get_entity(broker, eid, headers=None, **params):
    return requests.get(entity_url(broker, eid), params=params, headers=headers)


def read_entity(broker, eid, headers=None, **params):
    """The entity (GET must answer 200)."""
    r = get_entity(broker, eid, headers, **params)
    assert r.status_code == 200, r.text
    return r.json()


def create_entity(broker, entity, headers=JSON):
    """POST /entities, which must answer 201; returns the response."""
    r = requests.post(broker.api + "/entities", json=entity, headers=headers)
    assert r.status_code == 201, r.text
    return r


def unique_id(kind="Thing"):
    unique_id.n += 1
    return f"urn:ngsi-ld:{kind}:{os.getpid()}-{time.time_ns()}-{unique_id.n}"


unique_id.n = 0


def assert_problem(response, status, error_type):
    """The response is a ProblemDetails of that status and NGSI-LD error type, with a detail."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "https://uri.etsi.org/ngsi-ld/errors/" + error_type, body
    assert body.get("status") == status, body
    assert body.get("title"), body
    assert body.get("detail"), body
    return body


def delivery_state(broker, subscription_id, status, member=None, timeout=5):
    """The subscription's notification member once its delivery status is `status` (and
    `member`, e.g. lastSuccess, is there); waits up to timeout, returns the last state read."""
    deadline = time.time() + timeout
    while True:
        n = requests.get(f"{broker.api}/subscriptions/{subscription_id}").json()["notification"]
        if (n.get("status") == status and (member is None or member in n)) or time.time() > deadline:
            return n
        time.sleep(0.05)

