"""MQTT notifications (5.8.6, 7.2): a subscription whose endpoint is
mqtt://[user[:password]@]host[:port]/topic publishes each notification as
{"metadata": {headers}, "body": notification} to that topic, with the QoS and
protocol version named in notifierInfo. A mosquitto broker on loopback is
started for these tests and stopped afterwards.
"""
import json
import os
import pwd
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import paho.mqtt.client as mqtt
import pytest
import requests

from conftest import CORE, JSON, delivery_state, free_port, link, unique_id


def start_mosquitto(folder, users=None):
    """A mosquitto on a free loopback port (with a password file when users are given)."""
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    conf = os.path.join(folder, f"mosquitto-{port}.conf")
    # run as the test's own user (as root, mosquitto would switch to one that cannot read our files)
    lines = [f"listener {port} 127.0.0.1", "persistence false", f"user {pwd.getpwuid(os.getuid()).pw_name}"]
    if users:
        passwords = os.path.join(folder, f"passwords-{port}")
        open(passwords, "w").close()
        for user, password in users.items():
            subprocess.run([shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd", "-b", passwords, user,
                            password], check=True)
        lines += ["allow_anonymous false", f"password_file {passwords}"]
    else:
        lines.append("allow_anonymous true")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    log = open(os.path.join(folder, f"mosquitto-{port}.log"), "w")
    proc = subprocess.Popen([exe, "-c", conf], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return port, proc
        except OSError:
            assert time.time() < deadline and proc.poll() is None, "mosquitto did not start"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def mosquittos():
    """Starts mosquitto brokers on demand; all are stopped at the end."""
    folder = tempfile.mkdtemp(prefix="allmende-mqtt-")
    procs = []

    def start(users=None):
        port, proc = start_mosquitto(folder, users)
        procs.append(proc)
        return port

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def mqtt_port(mosquittos):
    return mosquittos()


class Listener:
    """A paho client subscribed to one topic; .messages receives the decoded payloads."""

    def __init__(self, port, topic, user=None, password=None):
        self.messages = queue.Queue()
        subscribed = threading.Event()
        self.client = mqtt.Client()
        if user:
            self.client.username_pw_set(user, password)
        self.client.on_message = lambda c, u, m: self.messages.put(json.loads(m.payload))
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()
        assert subscribed.wait(5)

    def next(self, timeout=5):
        return self.messages.get(timeout=timeout)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def subscribe(broker, kind, uri, notifier_info=None):
    endpoint = {"uri": uri, "receiverInfo": [{"key": "test-receiver-key", "value": "test-receiver-info"}]}
    if notifier_info:
        endpoint["notifierInfo"] = notifier_info
    r = requests.post(broker.api + "/subscriptions", headers=JSON, json={
        "type": "Subscription", "entities": [{"type": kind}], "notification": {"endpoint": endpoint}})
    assert r.status_code == 201, r.text
    return r.headers["Location"].rsplit("/", 1)[1]


def create(broker, kind, value):
    eid = unique_id(kind)
    r = requests.post(broker.api + "/entities", headers=JSON,
                      json={"id": eid, "type": kind, "temperature": {"type": "Property", "value": value}})
    assert r.status_code == 201, r.text
    return eid


@pytest.mark.parametrize("info", [None, [{"key": "MQTT-QoS", "value": "1"}],
                                  [{"key": "MQTT-QoS", "value": "2"}, {"key": "MQTT-Version", "value": "mqtt5.0"}]])
def test_notification_is_published_with_metadata_and_body(broker, mqtt_port, info):
    kind = "M" + unique_id().rsplit("-", 1)[1]
    topic = f"city/{kind}"
    listener = Listener(mqtt_port, topic)
    try:
        sid = subscribe(broker, kind, f"mqtt://127.0.0.1:{mqtt_port}/{topic}", info)
        eid = create(broker, kind, 7)
        message = listener.next()
        assert message["metadata"]["Content-Type"] == "application/json"
        assert message["metadata"]["Link"] == link(CORE)
        assert message["metadata"]["test-receiver-key"] == "test-receiver-info"
        body = message["body"]
        assert body["type"] == "Notification" and body["subscriptionId"] == sid
        assert body["data"] == [{"id": eid, "type": kind, "temperature": {"type": "Property", "value": 7}}]
        n = delivery_state(broker, sid, "ok", "lastSuccess")
        assert n["timesSent"] == 1 and n["status"] == "ok"
    finally:
        listener.close()


def test_unreachable_mqtt_broker_counts_as_failed(broker):
    kind = "M" + unique_id().rsplit("-", 1)[1]
    sid = subscribe(broker, kind, f"mqtt://127.0.0.1:{free_port()}/nowhere")
    create(broker, kind, 1)
    n = delivery_state(broker, sid, "failed")
    assert n["status"] == "failed" and n["timesFailed"] == 1


@pytest.mark.parametrize("info", [[{"key": "MQTT-QoS", "value": "3"}], [{"key": "MQTT-Version", "value": "mqtt4"}]])
def test_invalid_notifier_info_is_bad_request_data(broker, info):
    r = requests.post(broker.api + "/subscriptions", headers=JSON, json={
        "type": "Subscription", "entities": [{"type": "T"}],
        "notification": {"endpoint": {"uri": "mqtt://127.0.0.1/t", "notifierInfo": info}}})
    assert r.status_code == 400 and "MQTT" in r.json()["detail"]


def test_credentials_in_the_endpoint_are_used(broker, mosquittos):
    port = mosquittos({"city": "s3cret"})
    kind = "M" + unique_id().rsplit("-", 1)[1]
    listener = Listener(port, kind, "city", "s3cret")
    try:
        sid = subscribe(broker, kind, f"mqtt://city:s3cret@127.0.0.1:{port}/{kind}")
        wrong = subscribe(broker, kind, f"mqtt://city:wrong@127.0.0.1:{port}/{kind}")
        eid = create(broker, kind, 3)
        assert listener.next()["body"]["data"][0]["id"] == eid
        n = delivery_state(broker, wrong, "failed")
        assert n["status"] == "failed"
        log = open(broker.log_path).read()
        # the failure is logged with the endpoint, never with its user or password
        assert f"to mqtt://127.0.0.1:{port} failed" in log and "wrong" not in log and "s3cret" not in log
        assert requests.get(f"{broker.api}/subscriptions/{sid}").json()["notification"]["status"] == "ok"
    finally:
        listener.close()
