// The registered context sources of a distributed operation (clause 4.3.6):
// which registrations to ask, the request each one gets, what a source's
// answer to a read holds, and how its entities join the local ones. Every
// mode serves reads: inclusive sources add entities and attributes, auxiliary
// ones only attributes the local entity lacks, exclusive ones alone hold the
// attributes they name (the local copies are dropped), redirect ones hold
// whole entities. Writes go to inclusive sources as they came, to exclusive
// ones with only their attributes, to redirect ones instead of the local store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "federation/forwarder.h"
#include "federation/registration.h"
#include "federation/registration_query.h"
#include "jsonld/context.h"

namespace allmende::federation {

// The client's request as forwarding needs it.
struct ClientRequest {
  const jsonld::Context* ctx = nullptr;  // compacts the names sent, expands the answers
  std::string contextUrl;                // sent as the Link header ("" = none: the core context)
  std::vector<std::pair<std::string, std::string>> headers;  // its headers, lower-case names
  std::string via;  // the Via header to send: the incoming one with this broker added
  bool sysAttrs = false;  // options=sysAttrs: reads ask the sources for their system times too
};

struct Source {
  Registration registration;
  Mode mode = Mode::Inclusive;
  std::string operation;             // how it is asked: retrieveEntity, queryEntity or queryBatch
  std::set<std::string> attributes;  // attribute IRIs it names (empty: any)
  std::vector<std::string> ids;      // entity ids it names
  std::optional<std::string> type;   // an entity type IRI it names
  std::vector<RegistrationInfo> information;  // its RegistrationInfos that match the request
  bool coolingDown = false;          // it failed lately: not asked (Registry::report)
};

// The registrations whose information matches the query and that allow one of
// `operations` (the first allowed one is used), in id order; with
// `unsupportedToo` also those that allow none (operation left empty).
std::vector<Source> sourcesFor(const std::vector<Registration>& registrations,
                               const RegistrationQuery& query,
                               std::initializer_list<std::string_view> operations, int64_t nowMs,
                               bool unsupportedToo = false);

// GET {endpoint}/ngsi-ld/v1/entities/{id} (or, for a source that only
// queries, the query for that id); attrs are the client's (IRIs), narrowed
// to what the source names.
ForwardRequest retrieveRequest(const Source& source, const ClientRequest& client,
                               const std::string& id, const std::vector<std::string>& attrs);

// GET {endpoint}/ngsi-ld/v1/entities with the client's selection (type, id,
// idPattern, q, scopeQ, geo-query as given) narrowed to what the source names
// (of the client's ids those the source may hold; without any, the ids of an
// exclusive or redirect source; attributes), and limit; for a
// source that only allows queryBatch the same as a Query body, POSTed to
// /entityOperations/query.
ForwardRequest queryRequest(const Source& source, const ClientRequest& client,
                            const std::vector<std::pair<std::string, std::string>>& params,
                            const std::vector<std::string>& attrs, size_t limit);

// The base URL of a registration's source: {endpoint}/ngsi-ld/v1.
std::string base(const Registration& r);

// True if requests to the source carry the client's own Authorization header
// (contextSourceInfo {"key": "Authorization", "value": "urn:ngsi-ld:request"}),
// so that the source judges the client's rights itself.
bool passesClientCredential(const Source& source);

// A temporal read at a source: GET {endpoint}/ngsi-ld/v1 followed by `path`
// (/temporal/entities/{id} or /temporal/entities) with the client's
// parameters, attrs narrowed to what the source names (local=true for a
// localOnly registration).
ForwardRequest temporalRequest(const Source& source, const ClientRequest& client, const std::string& path,
                               std::vector<std::pair<std::string, std::string>> params,
                               const std::vector<std::string>& attrs);

// The client's request at a source (a write, or a read answered as it is):
// {endpoint}/ngsi-ld/v1 followed by `path` (the client's path after
// /ngsi-ld/v1), the client's parameters (local=true for a localOnly
// registration) and `body` (JSON text, empty for none; with the
// contextSourceInfo pair contentType=application/ld+json it is sent as
// JSON-LD, each entity carrying the client's @context instead of a Link header).
ForwardRequest relayRequest(const Source& source, const ClientRequest& client,
                            const std::string& method, const std::string& path,
                            const std::vector<std::pair<std::string, std::string>>& params,
                            std::string body);

// What of an entity body (as the client sent it, without @context) a source
// takes: id, type and the attributes its registration names (naming none: all of it).
boost::json::object bodyFor(const Source& source, const boost::json::object& body,
                            const jsonld::Context& ctx);

// What a source answered: its entities as it sent them (each an object with
// an id and a type; @context removed), or why none (the NGSILD-Warning text:
// 199 for no answer, 299 for an error answer, 111 for a payload that cannot
// be read; a 404 is no warning).
// The entities of an answer live in its arena: what is taken from them must not
// outlive the answer (nothing is freed one by one, everything with the answer).
struct SourceAnswer {
  std::unique_ptr<boost::json::monotonic_resource> arena;
  std::vector<boost::json::object> entities;
  std::string warning;
};
SourceAnswer readAnswer(const Source& source, const http::ClientResponse& response);

// A source's entity in the internal form, its names expanded with ctx (read
// only for the entities an answer shows); nullopt if it is not a valid entity.
std::optional<boost::json::object> internalEntity(boost::json::object entity, const jsonld::Context& ctx);

// Drops from a local entity the attributes an exclusive source alone holds.
void dropExclusive(boost::json::object& entity, const Source& source);
// Adds a source's entity to the one with the same id (the local one, or what
// earlier sources gave), attribute by attribute for those the source may
// provide: one not there yet is added whole, an exclusive source's replaces
// it; otherwise instance by instance (datasetId): one not there is added, the
// same one observed later (observedAt) replaces it unless the source is
// auxiliary. Sources are merged in mergeOrder.
void merge(boost::json::object& into, boost::json::object remote, const Source& source);

// The order to merge sources' answers in: auxiliary sources last (they only
// fill in what the others left out).
std::vector<size_t> mergeOrder(const std::vector<Source>& sources);

}  // namespace allmende::federation
