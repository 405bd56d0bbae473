// Distributed operations in the api layer (docs/federation.md): whether a request
// may be forwarded to registered context sources (not with local=true, not
// when this broker is in its Via header already), what the forwarded
// requests carry of it, and an answer made once the sources answered or
// timed out, without a thread waiting meanwhile (http::Response::later).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/call.h"
#include "federation/sources.h"

namespace allmende::api {

// What the sources of a distributed operation answered, source by source (a
// source not asked during its cooldown as a response that failed). The answer
// that reads it may take entities out of it (moved, in their answer's arena).
struct Remote {
  std::vector<federation::Source> sources;
  std::vector<http::ClientResponse> responses;
  std::vector<federation::SourceAnswer> answers;  // the responses read as answers to a read
};

// True if the request may be forwarded (not with local=true, not when it
// reads a snapshot).
bool mayForward(const Call& call);

// True if the request passed this broker already (its Via names this broker):
// forwardThen asks no source then, and answers with a 199 warning.
bool passedHere(const Call& call);

// federation::sourcesFor, without the sources the request came from (a
// registration whose contextSourceAlias its Via header names) and those whose
// registration names datasetIds none of which the request's datasetId asks for.
std::vector<federation::Source> sourcesFor(const Call& call, const std::vector<federation::Registration>& registrations,
                                           const federation::RegistrationQuery& query,
                                           std::initializer_list<std::string_view> operations,
                                           bool unsupportedToo = false);

// The registrations a request's parameters may concern: by its id, idPattern,
// type, attrs and csf.
federation::RegistrationQuery registrationQueryFromParams(Call& call);

// A Query body's selection (entities, q, scopeQ, lang, geoQ) as query
// parameters for the sources in `forwarded`, and the registrations it may
// concern; false for a Query with more than one entity selector (answered
// from local data).
bool forwardedFromBody(Call& call, const boost::json::object& body, federation::RegistrationQuery& registrations,
                       std::vector<std::pair<std::string, std::string>>& forwarded);

// The request as the forwarded ones carry it (its @context, headers, Via with this broker).
federation::ClientRequest clientRequest(Call& call);

// Sends the requests (one per source); once all answered (or failed),
// `answer` makes the response with a Call for the same request. With `warn`
// (reads), each source's warning, and the warnings its answer carried, are
// added to it as NGSILD-Warning headers (to an error answer too). A request
// that passed this broker already is sent to no source: it is answered with
// no source's data and a 199 "registration loop detected" warning.
http::Response forwardThen(Call& call, std::vector<federation::Source> sources,
                           std::vector<federation::ForwardRequest> requests, bool warn,
                           std::function<http::Response(Call&, Remote&)> answer);

}  // namespace allmende::api
