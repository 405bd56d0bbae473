"""Prefer: ngsi-ld=<version> (4.3.6.8): entity data is amended for a consumer
that prefers an earlier NGSI-LD version (kinds introduced later fall back to
Property or Relationship), answered 203 when something changed, and every
answer that honours the preference carries Preference-Applied.
"""
import requests

from conftest import JSON, create_entity, entity_url, unique_id


def kinds_entity(eid):
    return {"id": eid, "type": "Building",
            "category": {"type": "VocabProperty", "vocab": "monument"},
            "config": {"type": "JsonProperty", "json": {"a": 1}},
            "readings": {"type": "ListProperty", "valueList": [1, 2]},
            "name": {"type": "LanguageProperty", "languageMap": {"en": "Tower", "fr": "Tour"},
                     "source": {"type": "VocabProperty", "vocab": "survey"}},
            "height": {"type": "Property", "value": 300}}


def test_earlier_version_reformats_newer_kinds(broker):
    eid = unique_id("Building")
    create_entity(broker, kinds_entity(eid))
    r = requests.get(entity_url(broker, eid), headers={"Prefer": "ngsi-ld=1.5"})
    assert r.status_code == 203, r.text
    assert r.headers["Preference-Applied"] == "ngsi-ld=1.5"
    e = r.json()
    assert e["category"] == {"type": "Property", "value": "monument"}
    assert e["config"] == {"type": "Property", "value": {"a": 1}}
    assert e["readings"] == {"type": "Property", "value": [1, 2]}
    assert e["name"]["type"] == "LanguageProperty"  # introduced in 1.4: 1.5 knows it
    assert e["name"]["source"] == {"type": "Property", "value": "survey"}  # sub-attributes too
    assert e["height"] == {"type": "Property", "value": 300}
    r = requests.get(entity_url(broker, eid), headers={"Prefer": "ngsi-ld=1.3"})
    assert r.json()["name"] == {"type": "Property", "value": {"en": "Tower", "fr": "Tour"},
                                "source": {"type": "Property", "value": "survey"}}


def test_current_version_and_unaltered_payloads_answer_200(broker):
    eid = unique_id("Building")
    create_entity(broker, kinds_entity(eid))
    r = requests.get(entity_url(broker, eid), headers={"Prefer": "NGSI-LD=\"1.9\";q=0.5"})
    assert r.status_code == 200
    assert r.headers["Preference-Applied"] == "ngsi-ld=1.9"
    assert r.json()["category"]["type"] == "VocabProperty"
    plain = unique_id("Building")
    create_entity(broker, {"id": plain, "type": "Building", "height": {"type": "Property", "value": 1}})
    r = requests.get(entity_url(broker, plain), headers={"Prefer": "respond-async, ngsi-ld=1.0"})
    assert r.status_code == 200 and r.headers["Preference-Applied"] == "ngsi-ld=1.0"
    r = requests.get(entity_url(broker, plain), headers={"Prefer": "respond-async"})
    assert r.status_code == 200 and "Preference-Applied" not in r.headers
    r = requests.get(entity_url(broker, eid), headers={"Prefer": "ngsi-ld=1.9"}, params={"options": "keyValues"})
    assert r.status_code == 200 and r.json()["category"] == {"vocab": "monument"}


def test_simplified_data_loses_the_kind_wrapper(broker):
    eid = unique_id("Building")
    create_entity(broker, kinds_entity(eid))
    r = requests.get(entity_url(broker, eid), headers={"Prefer": "ngsi-ld=1.5"}, params={"options": "keyValues"})
    assert r.status_code == 203
    e = r.json()
    assert e["category"] == "monument" and e["config"] == {"a": 1} and e["height"] == 300


def test_query_results_are_amended_and_subscriptions_left_as_they_are(broker):
    eid = unique_id("Building")
    create_entity(broker, kinds_entity(eid))
    r = requests.get(broker.api + "/entities", params={"id": eid, "type": "Building"},
                     headers={"Prefer": "ngsi-ld=1.7"})
    assert r.status_code == 203 and r.json()[0]["category"]["type"] == "Property"
    sub = {"type": "Subscription", "entities": [{"type": "Building"}],
           "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}
    r = requests.post(broker.api + "/subscriptions", json=sub, headers=JSON)
    r = requests.get(broker.api + r.headers["Location"].removeprefix("/ngsi-ld/v1"), headers={"Prefer": "ngsi-ld=1.0"})
    assert r.status_code == 200 and r.headers["Preference-Applied"] == "ngsi-ld=1.0"
