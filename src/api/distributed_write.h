// Writes that registered context sources take part in (clause 4.3.6.2-4.3.6.4,
// docs/federation.md): an entity write goes to the matching registrations
// that allow its operation, as their mode says: to inclusive ones as it
// came (and it is applied here too), to exclusive ones with only their
// attributes (which are not written here), to redirect ones instead of here.
// Auxiliary registrations never receive writes. An exclusive or redirect
// registration that matches but does not allow the operation is a Conflict.
// The answer is the usual one when every part succeeded, the one error when
// nothing else was to be done, else 207 with each failed part.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "api/call.h"
#include "federation/registration_query.h"

namespace allmende::api {

struct WriteTarget {
  std::string operation;  // clause 4.20: createEntity, updateEntity, appendAttrs, ...
  std::string id;         // the entity ("" for a purge)
  std::optional<std::string> attribute;  // the attrId of /attrs/{attrId}, as in the path
  // The entities of a purge (DELETE /entities), by the request's parameters.
  std::optional<federation::RegistrationQuery> selection;
};

// `local` applies the write here (with the body left for here); `created` is
// the status of success when no local part ran (201 for a create, else 204).
http::Response distributedWrite(Call& call, const WriteTarget& target,
                                const std::function<http::Response(Call&)>& local,
                                int created = 204);

// The same for a batch (/entityOperations/{create,upsert,update,merge,delete},
// operation createBatch, ...): each source gets one request with its part of
// every entity; `local` applies what stays here. The answer is 201 with the
// ids (create) or 204 when every part succeeded, else 207 BatchOperationResult.
http::Response distributedBatch(Call& call, const std::string& operation,
                                const std::function<http::Response(Call&)>& local);

}  // namespace allmende::api
