"""@context management (5.13, 6.25-6.26): add a hosted @context, serve it
(with and without details), list @contexts, delete and reload them; remote
@contexts used by requests are cached; hosted ones are per tenant and durable;
a subscription with an inline @context gets an ImplicitlyCreated one; what
numberOfHits counts.

Remote @contexts come from the context_server fixture; its handler ignores the
query string, so "test-context.jsonld?n=<unique>" is a fresh remote URL per test.
"""
import itertools
import os
import re
from urllib.parse import quote

import requests

from conftest import CORE, assert_problem, link, unique_id

JSON = {"Content-Type": "application/json"}
LD_JSON = {"Content-Type": "application/ld+json"}
PREFIX = "/ngsi-ld/v1/jsonldContexts/"
EX = "http://example.org/ctx#"
UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
_n = itertools.count()


def new_tenant():
    return f"ctx{os.getpid()}x{next(_n)}"


def contexts_url(broker, context_id=None):
    """The jsonldContexts endpoint; a context id (localId or URL) is percent-encoded."""
    base = broker.api + "/jsonldContexts"
    return base if context_id is None else base + "/" + quote(context_id, safe="")


def fresh_remote(context_server):
    """A remote @context URL this broker has never seen (same document, new URL)."""
    return f"{context_server.base}/test-context.jsonld?n={unique_id()}"


def add_context(broker, context=None, headers=None):
    """POST a hosted @context; returns its Location path."""
    context = context or {"speed": EX + "speed"}
    r = requests.post(contexts_url(broker), json={"@context": context},
                      headers={**JSON, **(headers or {})})
    assert r.status_code == 201, r.text
    return r.headers["Location"]


def local_id(location):
    assert location.startswith(PREFIX), location
    return location[len(PREFIX):]


def details(broker, context_id, headers=None):
    r = requests.get(contexts_url(broker, context_id), params={"details": "true"}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def create_with_context(broker, context, headers=None):
    """Create an entity whose payload names the given @context; returns its id."""
    eid = unique_id()
    entity = {"id": eid, "type": "Thing", "speed": {"type": "Property", "value": 5},
              "@context": context}
    r = requests.post(broker.api + "/entities", json=entity, headers={**LD_JSON, **(headers or {})})
    assert r.status_code == 201, r.text
    return eid


def use_remote(broker, url, headers=None):
    """Create an entity with a Link header to a remote @context, so the broker caches it."""
    r = requests.post(broker.api + "/entities", json={"id": unique_id(), "type": "Building"},
                      headers={**JSON, "Link": link(url), **(headers or {})})
    assert r.status_code == 201, r.text


# --- add and serve -----------------------------------------------------------

def test_add_answers_201_with_location_and_empty_body(broker):
    """5.13.2: adding a @context answers 201, Location /ngsi-ld/v1/jsonldContexts/<localId>, no body."""
    r = requests.post(contexts_url(broker), json={"@context": {"speed": EX + "speed"}},
                      headers=JSON)
    assert r.status_code == 201, r.text
    assert re.match(r"^/ngsi-ld/v1/jsonldContexts/[^/?#]+$", r.headers["Location"])
    assert r.content == b""


def test_serve_returns_the_context_as_json(broker):
    """5.13.4: GET on a hosted @context serves {"@context": ...} as application/json."""
    context = {"speed": EX + "speed", "Car": EX + "Car"}
    location = add_context(broker, context)
    r = requests.get(broker.url + location)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/json"
    assert r.json() == {"@context": context}


def test_serve_with_details_describes_the_context(broker):
    """5.13.4 / 5.2.41: details=true gives URL, localId, kind Hosted, createdAt, numberOfHits."""
    location = add_context(broker)
    lid = local_id(location)
    info = details(broker, lid)
    assert info["localId"] == lid
    assert info["kind"] == "Hosted"
    assert info["URL"].startswith("http") and info["URL"].endswith(location)
    assert UTC.match(info["createdAt"]), info
    assert info["numberOfHits"] == 0


def test_details_flag_is_case_insensitive(broker):
    """6.26.3.1: the boolean details=True is taken like details=true."""
    lid = local_id(add_context(broker))
    r = requests.get(contexts_url(broker, lid), params={"details": "True"})
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "Hosted"


def test_using_the_location_path_as_context_counts_a_hit(broker):
    """5.13.4 / 5.2.41: an entity create whose @context is the (relative) Location path
    uses the hosted @context (speed expands by it) and numberOfHits grows."""
    location = add_context(broker)
    lid = local_id(location)
    before = details(broker, lid)["numberOfHits"]
    eid = create_with_context(broker, location)
    assert details(broker, lid)["numberOfHits"] > before
    expanded = requests.get(f"{broker.api}/entities/{eid}").json()
    assert EX + "speed" in expanded, expanded


def test_using_the_absolute_url_as_context_counts_a_hit(broker):
    """5.13.4 / 5.2.41: the absolute URL from details is usable as @context; numberOfHits grows."""
    lid = local_id(add_context(broker))
    info = details(broker, lid)
    eid = create_with_context(broker, info["URL"])
    assert details(broker, lid)["numberOfHits"] > info["numberOfHits"]
    compacted = requests.get(f"{broker.api}/entities/{eid}", headers={"Link": link(info["URL"])})
    assert compacted.status_code == 200, compacted.text
    assert compacted.json()["speed"]["value"] == 5


def test_core_context_is_served_by_its_url(broker):
    """5.13.4: the core @context can be retrieved through its URL as the id."""
    r = requests.get(contexts_url(broker, CORE))
    assert r.status_code == 200, r.text
    assert "@context" in r.json()


# --- list --------------------------------------------------------------------

def test_list_gives_urls(broker):
    """5.13.3: without details the list holds the URLs (strings) of the @contexts."""
    url = details(broker, local_id(add_context(broker)))["URL"]
    r = requests.get(contexts_url(broker))
    assert r.status_code == 200, r.text
    listed = r.json()
    assert all(isinstance(item, str) for item in listed), listed
    assert url in listed


def test_list_with_details_gives_objects(broker):
    """5.13.3: with details=true the list holds ContextInfo objects."""
    lid = local_id(add_context(broker))
    r = requests.get(contexts_url(broker), params={"details": "true"})
    assert r.status_code == 200, r.text
    listed = r.json()
    assert all(isinstance(item, dict) for item in listed), listed
    mine = [item for item in listed if item["localId"] == lid]
    assert len(mine) == 1 and mine[0]["kind"] == "Hosted"


def test_list_filters_by_kind(broker, context_server):
    """5.13.3: kind=Hosted lists hosted @contexts only, kind=Cached cached ones only."""
    hosted = details(broker, local_id(add_context(broker)))["URL"]
    remote = fresh_remote(context_server)
    use_remote(broker, remote)
    r = requests.get(contexts_url(broker), params={"kind": "Hosted", "details": "true"})
    assert r.status_code == 200, r.text
    assert {c["kind"] for c in r.json()} == {"Hosted"}
    assert hosted in [c["URL"] for c in r.json()]
    assert remote not in [c["URL"] for c in r.json()]
    r = requests.get(contexts_url(broker), params={"kind": "Cached"})
    assert r.status_code == 200, r.text
    assert remote in r.json()
    assert hosted not in r.json()


def test_list_with_unknown_kind_is_400(broker):
    """6.26.3.1: kind is Hosted, Cached or ImplicitlyCreated; another value is BadRequestData."""
    assert_problem(requests.get(contexts_url(broker), params={"kind": "Bogus"}),
                   400, "BadRequestData")


def test_list_with_non_boolean_details_is_400(broker):
    """6.26.3.1: details is a boolean; details=maybe is BadRequestData."""
    assert_problem(requests.get(contexts_url(broker), params={"details": "maybe"}),
                   400, "BadRequestData")


def test_remote_context_used_by_a_request_is_cached(broker, context_server):
    """5.13.1: a remote @context the broker fetched for a request is listed as kind Cached."""
    remote = fresh_remote(context_server)
    use_remote(broker, remote)
    info = details(broker, remote)
    assert info["URL"] == remote
    assert info["kind"] == "Cached"


# --- delete and reload -------------------------------------------------------

def test_delete_hosted_context_then_it_is_gone(broker):
    """5.13.5: deleting a hosted @context answers 204; serving it then is 404."""
    lid = local_id(add_context(broker))
    r = requests.delete(contexts_url(broker, lid))
    assert r.status_code == 204, r.text
    assert_problem(requests.get(contexts_url(broker, lid)), 404, "ResourceNotFound")


def test_delete_unknown_context_is_404(broker):
    """5.13.5 (suite 051_02): deleting an unknown @context is ResourceNotFound."""
    assert_problem(requests.delete(contexts_url(broker, "nosuchcontext0815")),
                   404, "ResourceNotFound")


def test_delete_unknown_context_with_reload_is_400(broker):
    """5.13.5 (suite 051_04_01): reload=true on an unknown id is BadRequestData."""
    r = requests.delete(contexts_url(broker, "nosuchcontext0815"), params={"reload": "true"})
    assert_problem(r, 400, "BadRequestData")


def test_reload_of_a_hosted_context_is_400(broker):
    """5.13.5 (suite 051_04_05): only Cached @contexts can be reloaded; Hosted ones are kept."""
    lid = local_id(add_context(broker))
    r = requests.delete(contexts_url(broker, lid), params={"reload": "true"})
    assert_problem(r, 400, "BadRequestData")
    assert requests.get(contexts_url(broker, lid)).status_code == 200


def test_reload_of_a_cached_context_is_204(broker, context_server):
    """5.13.5: reload=true on a Cached @context fetches it again (204) and keeps it Cached."""
    remote = fresh_remote(context_server)
    use_remote(broker, remote)
    fetched = context_server.hits.get("test-context.jsonld", 0)
    r = requests.delete(contexts_url(broker, remote), params={"reload": "true"})
    assert r.status_code == 204, r.text
    assert context_server.hits.get("test-context.jsonld", 0) > fetched
    assert details(broker, remote)["kind"] == "Cached"


def test_delete_of_the_core_context_is_400(broker):
    """5.13.5 (suite 051_08): the core @context cannot be deleted."""
    assert_problem(requests.delete(contexts_url(broker, CORE)), 400, "BadRequestData")
    assert requests.get(contexts_url(broker, CORE)).status_code == 200


def test_reload_of_the_core_context_is_204(make_broker):
    """5.13.5 (suite 051_09): the core @context may be reloaded; it is still served after."""
    b = make_broker().start()
    r = requests.delete(contexts_url(b, CORE), params={"reload": "true"})
    assert r.status_code == 204, r.text
    assert requests.get(contexts_url(b, CORE)).status_code == 200
    r = requests.post(b.api + "/entities", json={"id": unique_id(), "type": "Thing"}, headers=JSON)
    assert r.status_code == 201, r.text


# --- invalid additions -------------------------------------------------------

def test_add_malformed_json_is_400_invalid_request(broker):
    """5.13.2 / 6.3.5: a body that is not JSON is InvalidRequest."""
    r = requests.post(contexts_url(broker), data='{"@context": {', headers=JSON)
    assert_problem(r, 400, "InvalidRequest")


def test_add_context_that_is_a_number_is_400(broker):
    """5.13.2: the @context must be an object, a string or an array of those; 5 is BadRequestData."""
    assert_problem(requests.post(contexts_url(broker), json={"@context": 5}, headers=JSON),
                   400, "BadRequestData")


def test_add_context_array_holding_a_number_is_400(broker):
    """5.13.2: an @context array holding a number is BadRequestData."""
    assert_problem(requests.post(contexts_url(broker), json={"@context": [5]}, headers=JSON),
                   400, "BadRequestData")


def test_add_context_that_is_a_boolean_is_400(broker):
    """5.13.2: an @context that is a boolean is BadRequestData."""
    assert_problem(requests.post(contexts_url(broker), json={"@context": True}, headers=JSON),
                   400, "BadRequestData")


def test_add_context_referring_to_an_unreachable_url_is_504(broker):
    """5.13.2 / 6.3.5: a @context that refers to a URL that cannot be fetched is
    LdContextNotAvailable (504)."""
    r = requests.post(contexts_url(broker),
                      json={"@context": ["http://127.0.0.1:9/nothing-here.jsonld",
                                         {"speed": EX + "speed"}]},
                      headers=JSON)
    assert_problem(r, 504, "LdContextNotAvailable")


# --- tenants and durability --------------------------------------------------

def test_hosted_context_belongs_to_its_tenant(broker):
    """5.13.2 / 4.14: a hosted @context added in tenant A is served in A, not in the default tenant."""
    tenant = new_tenant()
    lid = local_id(add_context(broker, headers={"NGSILD-Tenant": tenant}))
    mine = requests.get(contexts_url(broker, lid), headers={"NGSILD-Tenant": tenant})
    assert mine.status_code == 200, mine.text
    assert_problem(requests.get(contexts_url(broker, lid)), 404, "ResourceNotFound")


def test_cached_context_is_visible_in_every_tenant(broker, context_server):
    """5.13.1: a cached remote @context is shared: it is served in the default tenant
    and in other tenants, not only in the tenant whose request fetched it."""
    a, b = new_tenant(), new_tenant()
    remote = fresh_remote(context_server)
    use_remote(broker, remote, headers={"NGSILD-Tenant": a})
    use_remote(broker, context_server.base + "/test-context.jsonld", headers={"NGSILD-Tenant": b})
    assert details(broker, remote)["kind"] == "Cached"
    assert details(broker, remote, headers={"NGSILD-Tenant": b})["kind"] == "Cached"


def test_hosted_context_survives_a_restart(make_broker):
    """Durability: a hosted @context is served again after a restart on the same data."""
    b = make_broker().start()
    context = {"speed": EX + "speed"}
    lid = local_id(add_context(b, context))
    b.stop()
    b.start()
    r = requests.get(contexts_url(b, lid))
    assert r.status_code == 200, r.text
    assert r.json() == {"@context": context}
    assert details(b, lid)["kind"] == "Hosted"


# --- ImplicitlyCreated @contexts ---------------------------------------------

def subscribe_with_context(broker, context, headers=None, **members):
    """Creates a subscription (application/ld+json) whose @context is `context`;
    returns its id and its GET representation."""
    body = {"type": "Subscription", "entities": [{"type": "Thing"}],
            "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify"}}, "@context": context, **members}
    r = requests.post(broker.api + "/subscriptions", json=body, headers={**LD_JSON, **(headers or {})})
    assert r.status_code == 201, r.text
    sid = r.headers["Location"].rsplit("/", 1)[1]
    r = requests.get(f"{broker.api}/subscriptions/{sid}", headers=headers)
    assert r.status_code == 200, r.text
    return sid, r.json()


def implicit_id(subscription):
    """The localId of the ImplicitlyCreated @context a subscription's jsonldContext names."""
    url = subscription["jsonldContext"]
    assert PREFIX in url, url
    return url.rsplit("/", 1)[1]


def test_inline_context_of_a_subscription_becomes_an_implicitly_created_context(broker, context_server):
    """5.13.1 (suite 050_03, 052_06, 053_07): a subscription created with an @context that
    is not one URL gets an ImplicitlyCreated @context holding it; its URL is the
    subscription's jsonldContext; it is served, listed by kind, and the remote
    @contexts it names are Cached."""
    remote = fresh_remote(context_server)
    context = [remote, {"speed": EX + "speed"}]
    _, sub = subscribe_with_context(broker, context)
    lid = implicit_id(sub)
    r = requests.get(contexts_url(broker, lid))
    assert r.status_code == 200, r.text
    assert r.json() == {"@context": context}
    info = details(broker, lid)
    assert info["kind"] == "ImplicitlyCreated" and info["URL"] == sub["jsonldContext"]
    assert UTC.match(info["createdAt"]), info
    implicit = requests.get(contexts_url(broker), params={"kind": "ImplicitlyCreated"}).json()
    assert sub["jsonldContext"] in implicit
    assert sub["jsonldContext"] not in requests.get(contexts_url(broker), params={"kind": "Hosted"}).json()
    assert remote in requests.get(contexts_url(broker), params={"kind": "Cached"}).json()


def test_a_subscription_with_one_context_url_gets_no_implicit_context(broker, context_server):
    """5.13.1: one URL (alone or as the only member of an array) already names the
    @context: no ImplicitlyCreated @context, no jsonldContext."""
    before = requests.get(contexts_url(broker), params={"kind": "ImplicitlyCreated"}).json()
    for context in (fresh_remote(context_server), [fresh_remote(context_server)]):
        _, sub = subscribe_with_context(broker, context)
        assert "jsonldContext" not in sub, sub
    assert requests.get(contexts_url(broker), params={"kind": "ImplicitlyCreated"}).json() == before


def test_a_subscription_with_its_own_jsonld_context_gets_no_implicit_context(broker, context_server):
    """5.2.12: a jsonldContext the client gives names the notifications' @context; the
    inline @context then needs no URL of its own."""
    before = requests.get(contexts_url(broker), params={"kind": "ImplicitlyCreated"}).json()
    own = fresh_remote(context_server)
    _, sub = subscribe_with_context(broker, {"speed": EX + "speed"}, jsonldContext=own)
    assert sub["jsonldContext"] == own
    assert requests.get(contexts_url(broker), params={"kind": "ImplicitlyCreated"}).json() == before


def test_implicit_context_goes_with_its_subscription(broker):
    """5.13.1: the ImplicitlyCreated @context belongs to the subscription that made it: it
    is deleted with the subscription, and when a PATCH changes or removes jsonldContext."""
    sid, sub = subscribe_with_context(broker, {"speed": EX + "speed"})
    lid = implicit_id(sub)
    assert requests.delete(f"{broker.api}/subscriptions/{sid}").status_code == 204
    assert_problem(requests.get(contexts_url(broker, lid)), 404, "ResourceNotFound")

    sid, sub = subscribe_with_context(broker, {"speed": EX + "speed"})
    lid = implicit_id(sub)
    r = requests.patch(f"{broker.api}/subscriptions/{sid}", json={"isActive": False}, headers=JSON)
    assert r.status_code == 204, r.text
    assert requests.get(contexts_url(broker, lid)).status_code == 200
    r = requests.patch(f"{broker.api}/subscriptions/{sid}", json={"jsonldContext": CORE}, headers=JSON)
    assert r.status_code == 204, r.text
    assert_problem(requests.get(contexts_url(broker, lid)), 404, "ResourceNotFound")

    sid, sub = subscribe_with_context(broker, {"speed": EX + "speed"})
    lid = implicit_id(sub)
    r = requests.patch(f"{broker.api}/subscriptions/{sid}", json={"jsonldContext": None}, headers=JSON)
    assert r.status_code == 204, r.text
    assert_problem(requests.get(contexts_url(broker, lid)), 404, "ResourceNotFound")


def test_a_failed_subscription_create_leaves_no_implicit_context(broker):
    """5.8.1: a subscription that is not created (409, its id exists) leaves nothing behind."""
    sid, _ = subscribe_with_context(broker, {"speed": EX + "speed"})
    before = requests.get(contexts_url(broker), params={"kind": "ImplicitlyCreated"}).json()
    body = {"id": sid, "type": "Subscription", "entities": [{"type": "Thing"}],
            "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify"}}, "@context": {"a": EX + "a"}}
    r = requests.post(broker.api + "/subscriptions", json=body, headers=LD_JSON)
    assert_problem(r, 409, "AlreadyExists")
    assert requests.get(contexts_url(broker), params={"kind": "ImplicitlyCreated"}).json() == before


def test_implicit_context_can_be_deleted_but_not_reloaded(broker):
    """5.13.5 (suite 051_06, 051_07): DELETE removes an ImplicitlyCreated @context (204);
    reload=true is for Cached ones only (400 BadRequestData)."""
    _, sub = subscribe_with_context(broker, {"speed": EX + "speed"})
    lid = implicit_id(sub)
    assert_problem(requests.delete(contexts_url(broker, lid), params={"reload": "true"}), 400, "BadRequestData")
    r = requests.delete(contexts_url(broker, lid))
    assert r.status_code == 204, r.text
    assert_problem(requests.get(contexts_url(broker, lid)), 404, "ResourceNotFound")


def test_implicit_context_belongs_to_the_subscriptions_tenant(broker):
    """4.14: the ImplicitlyCreated @context is listed and served in the subscription's tenant only."""
    tenant = new_tenant()
    _, sub = subscribe_with_context(broker, {"speed": EX + "speed"}, headers={"NGSILD-Tenant": tenant})
    lid = implicit_id(sub)
    assert details(broker, lid, headers={"NGSILD-Tenant": tenant})["kind"] == "ImplicitlyCreated"
    assert_problem(requests.get(contexts_url(broker, lid)), 404, "ResourceNotFound")


def test_implicit_context_survives_a_restart(make_broker):
    """Durability: the ImplicitlyCreated @context is kept like a Hosted one, and the
    subscription still names it after a restart."""
    b = make_broker().start()
    sid, sub = subscribe_with_context(b, {"speed": EX + "speed"})
    lid = implicit_id(sub)
    b.stop()
    b.start()
    assert requests.get(f"{b.api}/subscriptions/{sid}").json()["jsonldContext"] == sub["jsonldContext"]
    assert details(b, lid)["kind"] == "ImplicitlyCreated"
    assert requests.get(contexts_url(b, lid)).json() == {"@context": {"speed": EX + "speed"}}


# --- numberOfHits --------------------------------------------------------------
# A hit is a use of the @context in a request (its @context, Link header or a
# subscription compiled with it). Serving a Cached @context also counts, after the
# answer; serving a Hosted or ImplicitlyCreated one does not. The suite needs both:
# 053_04 (Hosted) expects 0 after one serve, 053_06 (Cached) and 053_08
# (ImplicitlyCreated) count differently (docs/decisions.md).

def test_serving_a_hosted_context_counts_no_hit(broker):
    """5.13.4 (suite 053_04): serve (0), use in a request, serve: numberOfHits is 1."""
    location = add_context(broker)
    lid = local_id(location)
    assert details(broker, lid)["numberOfHits"] == 0
    create_with_context(broker, location)
    assert details(broker, lid)["numberOfHits"] == 1


def test_serving_a_cached_context_counts_a_hit_after_the_answer(broker, context_server):
    """5.13.4 (suite 053_06): use (1), serve shows 1, use again, serve shows 3."""
    remote = fresh_remote(context_server)
    create_with_context(broker, remote)
    first = details(broker, remote)
    assert first["numberOfHits"] == 1
    create_with_context(broker, remote)
    second = details(broker, remote)
    assert second["numberOfHits"] == 3
    assert second["lastUsage"] >= first["lastUsage"]


def test_an_implicit_context_counts_its_subscription_and_its_uses(broker):
    """5.13.4 (suite 053_08): the subscription that made it used it once; a request
    naming its URL counts; serving it does not."""
    _, sub = subscribe_with_context(broker, {"speed": EX + "speed"})
    lid = implicit_id(sub)
    assert details(broker, lid)["numberOfHits"] == 1
    eid = create_with_context(broker, sub["jsonldContext"])
    assert details(broker, lid)["numberOfHits"] == 2
    assert details(broker, lid)["numberOfHits"] == 2
    assert EX + "speed" in requests.get(f"{broker.api}/entities/{eid}").json()
