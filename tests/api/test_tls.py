"""TLS on the listener (docs/security.md): with --tls-cert and --tls-key the broker
speaks HTTPS only, TLS 1.2 or 1.3 with forward-secret AEAD suites; SIGHUP reads
the certificate and key again for new connections (a renewed certificate needs
no restart), and files that cannot be used then keep the previous ones; a
certificate and key that do not belong together stop the start.
"""
import datetime
import ipaddress
import signal
import socket
import ssl
import subprocess
import time

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_certificate(directory, name):
    """A self-signed certificate for 127.0.0.1 and its key: (cert path, key path, DER bytes)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / (name + ".crt"), directory / (name + ".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path), cert.public_bytes(serialization.Encoding.DER)


def handshake(port, **settings):
    """The negotiated version and the server's certificate (DER) of one TLS connection."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if "maximum_version" in settings:
        ctx.maximum_version = settings["maximum_version"]
    if "ciphers" in settings:
        ctx.set_ciphers(settings["ciphers"])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw) as tls:
            return tls.version(), tls.getpeercert(binary_form=True)


@pytest.fixture
def tls_broker(make_broker, tmp_path):
    cert, key, der = make_certificate(tmp_path, "first")
    b = make_broker("--tls-cert", str(tmp_path / "live.crt"), "--tls-key", str(tmp_path / "live.key"))
    (tmp_path / "live.crt").write_bytes(open(cert, "rb").read())
    (tmp_path / "live.key").write_bytes(open(key, "rb").read())
    b.start()
    b.first = der
    b.cert = cert
    b.dir = tmp_path
    return b


def test_the_api_is_served_over_https_only(tls_broker):
    r = requests.get(tls_broker.api + "/types", verify=tls_broker.cert)  # verified against the certificate
    assert r.status_code == 200, r.text
    r = requests.post(tls_broker.api + "/entities", verify=tls_broker.cert,
                      json={"id": "urn:ngsi-ld:Bench:tls", "type": "Bench"},
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{tls_broker.port}/health", timeout=5)
    assert requests.get(tls_broker.url + "/health", verify=tls_broker.cert).status_code == 200, \
        "a plain-HTTP attempt does not disturb the listener"


def test_only_modern_versions_and_suites(tls_broker):
    version, _ = handshake(tls_broker.port)
    assert version == "TLSv1.3"
    version, _ = handshake(tls_broker.port, maximum_version=ssl.TLSVersion.TLSv1_2,
                           ciphers="ECDHE-ECDSA-AES128-GCM-SHA256")
    assert version == "TLSv1.2"
    for weak in ("ECDHE-ECDSA-AES128-SHA", "AES128-GCM-SHA256"):  # no AEAD; no forward secrecy
        with pytest.raises((ssl.SSLError, ConnectionError)):
            handshake(tls_broker.port, maximum_version=ssl.TLSVersion.TLSv1_2, ciphers=weak + ":@SECLEVEL=0")


def test_sighup_reloads_the_certificate_and_keeps_it_when_the_new_files_are_bad(tls_broker):
    assert handshake(tls_broker.port)[1] == tls_broker.first
    cert, key, second = make_certificate(tls_broker.dir, "second")
    (tls_broker.dir / "live.crt").write_bytes(open(cert, "rb").read())
    (tls_broker.dir / "live.key").write_bytes(open(key, "rb").read())
    tls_broker.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline and handshake(tls_broker.port)[1] != second:
        time.sleep(0.05)
    assert handshake(tls_broker.port)[1] == second, "new connections get the renewed certificate"
    (tls_broker.dir / "live.crt").write_text("not a certificate")
    tls_broker.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert tls_broker.alive()
    assert handshake(tls_broker.port)[1] == second, "an unusable file keeps the previous certificate"
    assert requests.get(tls_broker.api + "/types", verify=cert).status_code == 200
    assert "keeping the previous TLS certificate" in open(tls_broker.log_path).read()


def test_a_key_of_another_certificate_stops_the_start(broker_binary, tmp_path):
    cert, _, _ = make_certificate(tmp_path, "a")
    _, other_key, _ = make_certificate(tmp_path, "b")
    done = subprocess.run([broker_binary, "serve", "--data", str(tmp_path / "data"), "--port", "0",
                           "--tls-cert", cert, "--tls-key", other_key], capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "the TLS key" in out and "key values mismatch" in out, out
