// Batch entity operations (clause 5.6.7-5.6.10, 5.6.20; /entityOperations/):
// create, upsert (options=replace|update), update (options=noOverwrite),
// delete and merge. Each entity is applied atomically through the write path;
// one entity's failure does not stop the others. Answers: 201 with the created
// ids, 204 when everything was applied, 207 with a BatchOperationResult
// {"success": [...], "errors": [{"entityId", "error": ProblemDetails}]}.
#include "api/distributed_write.h"
#include "api/entity_access.h"
#include "api/routes.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/parse.h"
#include "ngsi/syntax.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

// One element of a batch body with the @context that applies to it.
struct Item {
  json::object body;
  jsonld::ContextPtr context;
  std::optional<ngsi::Error> fault;  // why this element cannot be applied, if it cannot
};

// The first block of a batch's arena: one buffer per thread, used by batch
// after batch, so that its pages stay mapped (a fresh block costs a page fault
// per 4 KiB on every request). A batch while another is alive on the same
// thread (there is none today) gets no buffer.
class Scratch {
 public:
  Scratch() : held_(!inUse_) { inUse_ = inUse_ || held_; }
  Scratch(Scratch&& other) noexcept : held_(std::exchange(other.held_, false)) {}
  Scratch& operator=(Scratch&&) = delete;
  ~Scratch() {
    if (held_) inUse_ = false;
  }
  std::unique_ptr<json::monotonic_resource> arena() const {
    if (!held_) return std::make_unique<json::monotonic_resource>();
    thread_local std::unique_ptr<unsigned char[]> buffer(new unsigned char[kSize]);
    return std::make_unique<json::monotonic_resource>(buffer.get(), kSize);
  }

 private:
  static constexpr size_t kSize = 8 << 20;  // 1,000 template entities (a body of 820 KB) take 5-7 MB
  static thread_local bool inUse_;
  bool held_;
};
thread_local bool Scratch::inUse_ = false;

// The elements of a batch body and the entities made from them, in an arena of
// their own: the thousands of objects are freed at once when the handler
// returns, not one by one.
struct Batch {
  Scratch scratch;
  std::unique_ptr<json::monotonic_resource> arena = scratch.arena();
  std::vector<Item> items;
  json::storage_ptr storage() const { return arena.get(); }
};

// The body: a non-empty JSON array of objects (or of ids, for delete), each
// with its @context (the Link header's for application/json, its own member
// for application/ld+json).
json::array batchArray(Call& call, json::monotonic_resource& arena) {
  bodyMediaType(call.req, false);
  if (call.req.body.empty()) fail(ErrorType::InvalidRequest, "the request body is empty");
  auto parsed = call.parseBody(json::storage_ptr(&arena));
  if (!parsed.is_array()) fail(ErrorType::BadRequestData, "a batch operation needs a JSON array");
  auto& items = parsed.get_array();
  if (items.empty()) fail(ErrorType::BadRequestData, "the batch is empty");
  if (items.size() > call.services.limits.maxBatch)
    fail(ErrorType::BadRequestData, "the batch has " + std::to_string(items.size()) +
                                        " elements; the maximum is " + std::to_string(call.services.limits.maxBatch));
  return std::move(items);
}

// Elements whose @context cannot be used (misplaced for the Content-Type, or
// not retrievable) fail on their own in the 207 result, as every other
// per-entity fault does.
Batch batchEntities(Call& call) {
  Batch batch;
  auto items = batchArray(call, *batch.arena);
  bool ld = bodyMediaType(call.req, false) == MediaType::JsonLd;
  if (ld && call.req.header("link"))
    fail(ErrorType::BadRequestData, "with application/ld+json the @context must be in each entity, not in a Link header");
  std::optional<ngsi::Error> linkFault;
  if (!ld) {
    try {
      call.context();  // the Link header's context, resolved once for every entity
    } catch (const ngsi::Error& e) {
      linkFault = e;
    }
  }
  auto& out = batch.items;
  for (auto& v : items) {
    if (!v.is_object()) fail(ErrorType::BadRequestData, "every batch element must be an entity object");
    Item item{std::move(v.get_object()), nullptr, linkFault};
    const json::value* ctx = item.body.if_contains("@context");
    try {
      if (ld && !ctx) fail(ErrorType::BadRequestData, "with application/ld+json every entity needs an @context");
      if (!ld && ctx)
        fail(ErrorType::BadRequestData, "with application/json an entity must not contain an @context (use a Link header)");
      if (ld) item.context = call.services.contexts.resolve(*ctx);
    } catch (const ngsi::Error& e) {
      item.fault = e;
    }
    out.push_back(std::move(item));
  }
  return batch;
}

const jsonld::Context& contextOf(Call& call, const Item& item) {
  return item.context ? *item.context : call.context();
}

std::string idOf(const json::object& o) {
  auto* id = o.if_contains("id");
  if (!id) id = o.if_contains("@id");
  return id && id->is_string() ? std::string(id->get_string()) : std::string();
}

// The answer's lists, in the batch's arena.
struct Outcome {
  explicit Outcome(json::storage_ptr sp) : success(sp), errors(sp), created(sp) {}
  json::array success;
  json::array errors;
  json::array created;

  void failed(const std::string& id, const ngsi::Error& e) {
    json::object problem{{"type", ngsi::errorTypeUri(e.type())},
                         {"title", ngsi::errorTitle(e.type())},
                         {"status", e.status()},
                         {"detail", e.detail()}};
    errors.push_back(json::object{{"entityId", id}, {"error", std::move(problem)}});
  }
};

// What the mutator of one element reports besides success or failure.
struct Step {
  bool created = false;    // the element created its entity
  std::string incomplete;  // written, but to be reported as an error (noOverwrite)
};

// Prepares every element (prepare(item, id, step) parses it and returns its
// mutator), applies all mutators in one write (Store::modifyEntities: each
// entity atomic, one durable batch), and collects successes and per-entity errors.
template <class Prepare>
Outcome applyBatch(Call& call, Batch& batch, Prepare prepare) {
  auto& items = batch.items;
  std::vector<std::string> ids(items.size());
  std::vector<std::optional<ngsi::Error>> faults(items.size());
  std::vector<Step> steps(items.size());
  std::vector<store::Store::Mutation> mutations;
  std::vector<size_t> which;
  for (size_t i = 0; i < items.size(); ++i) {
    ids[i] = idOf(items[i].body);
    try {
      if (ids[i].empty()) fail(ErrorType::BadRequestData, "the entity has no id");
      if (items[i].fault) throw *items[i].fault;
      mutations.push_back({ids[i], prepare(items[i], ids[i], steps[i])});
      which.push_back(i);
    } catch (const ngsi::Error& e) {
      faults[i] = e;
    }
  }
  auto outcomes = call.services.writes.applyAll(call.tenant(), call.author(), std::move(mutations));
  for (size_t k = 0; k < outcomes.size(); ++k) {
    if (!outcomes[k].error) continue;
    try {
      std::rethrow_exception(outcomes[k].error);
    } catch (const ngsi::Error& e) {
      faults[which[k]] = e;
    }
  }
  Outcome out(batch.storage());
  for (size_t i = 0; i < items.size(); ++i) {
    if (faults[i]) {
      out.failed(ids[i], *faults[i]);
    } else if (!steps[i].incomplete.empty()) {
      out.failed(ids[i], ngsi::Error(ErrorType::BadRequestData, steps[i].incomplete));
    } else {
      out.success.emplace_back(ids[i]);
      if (steps[i].created) out.created.emplace_back(ids[i]);
    }
  }
  return out;
}

http::Response result(Call& call, Outcome& out, bool createdAnswer) {
  if (!out.errors.empty())
    return call.plain(207, json::object{{"success", std::move(out.success)}, {"errors", std::move(out.errors)}});
  if (createdAnswer && !out.created.empty()) return call.plain(201, std::move(out.created));
  return call.empty(204);
}

std::string option(Call& call, std::initializer_list<std::string_view> allowed) {
  std::string chosen;
  for (const auto& o : call.listParam("options")) {
    bool ok = false;
    for (auto a : allowed) ok = ok || o == a;
    if (!ok) fail(ErrorType::BadRequestData, "unknown options value '" + o + "'");
    chosen = o;
  }
  return chosen;
}

http::Response batchCreate(Call& call) {
  call.allowParams({"local"});
  auto batch = batchEntities(call);
  auto now = ngsi::nowMs();
  auto out = applyBatch(call, batch, [&](Item& item, const std::string&, Step&) {
    return createMutator(ngsi::parseEntity(std::move(item.body), contextOf(call, item), ngsi::ParseMode::Create, batch.storage()), now);
  });
  if (out.errors.empty()) return call.plain(201, std::move(out.success));
  return result(call, out, true);
}

http::Response batchUpsert(Call& call) {
  call.allowParams({"options", "local"});
  bool update = option(call, {"replace", "update"}) == "update";
  auto batch = batchEntities(call);
  auto now = ngsi::nowMs();
  auto out = applyBatch(call, batch, [&](Item& item, const std::string&, Step& step) -> store::Store::Mutator {
    auto parsed = ngsi::parseEntity(std::move(item.body), contextOf(call, item), ngsi::ParseMode::Create, batch.storage());
    // Each EntityWrite is made from its entity (assigning an entity would copy it
    // out of the batch's arena).
    return [parsed = std::move(parsed), &step, update, now](const std::optional<store::Entity>& current) mutable {
      using store::EntityWrite;
      step.created = !current || ngsi::isExpired(*current, now);
      if (step.created)
        return std::optional(
            EntityWrite{EntityWrite::Kind::Put, ngsi::createEntity(std::move(parsed), now), {}});
      if (!update)
        return std::optional(
            EntityWrite{EntityWrite::Kind::Put, ngsi::replaceEntity(*current, parsed, now), {}});
      EntityWrite write{EntityWrite::Kind::Put, *current, {}};
      ngsi::appendAttributes(write.entity, parsed, false, now);
      return std::optional(std::move(write));
    };
  });
  return result(call, out, true);
}

http::Response batchUpdate(Call& call) {
  call.allowParams({"options", "local"});
  bool noOverwrite = option(call, {"noOverwrite"}) == "noOverwrite";
  auto batch = batchEntities(call);
  call.requireTenant();
  auto now = ngsi::nowMs();
  auto out = applyBatch(call, batch, [&](Item& item, const std::string& id, Step& step) {
    const auto& ctx = contextOf(call, item);
    auto parsed = ngsi::parseEntity(std::move(item.body), ctx, ngsi::ParseMode::Fragment);
    return changeMutator(id, {}, [parsed = std::move(parsed), &step, &ctx, noOverwrite, now](json::object& entity) {
      auto outcome = ngsi::appendAttributes(entity, parsed, noOverwrite, now);
      // The entity is updated, but not completely: say which attributes were kept.
      for (const auto& [name, reason] : outcome.notUpdated)
        step.incomplete += (step.incomplete.empty() ? "attributes not overwritten (noOverwrite): " : ", ") +
                           ctx.compact(name);
    });
  });
  return result(call, out, false);
}

http::Response batchMerge(Call& call) {
  call.allowParams({"local"});
  auto batch = batchEntities(call);
  call.requireTenant();
  auto now = ngsi::nowMs();
  auto out = applyBatch(call, batch, [&](Item& item, const std::string& id, Step&) {
    auto parsed = ngsi::parseEntity(std::move(item.body), contextOf(call, item), ngsi::ParseMode::Merge);
    return changeMutator(id, {}, [parsed = std::move(parsed), now](json::object& entity) {
      ngsi::mergeEntity(entity, parsed, now);
    });
  });
  return result(call, out, false);
}

http::Response batchDelete(Call& call) {
  call.allowParams({"local"});
  Batch batch;
  for (const auto& v : batchArray(call, *batch.arena)) {
    if (!v.is_string()) fail(ErrorType::BadRequestData, "a batch delete needs an array of entity ids");
    batch.items.push_back(Item{json::object{{"id", v}}, nullptr, std::nullopt});
  }
  call.requireTenant();
  auto out = applyBatch(call, batch, [](Item&, const std::string& id, Step&) {
    if (!ngsi::isUri(id)) fail(ErrorType::BadRequestData, ngsi::notUriDetail("the entity id", id));
    return deleteMutator(id, {});
  });
  return result(call, out, false);
}

}  // namespace

void registerBatchRoutes(http::Router& router, Services& services) {
  // Each is a distributed write (clause 4.20 names its operation).
  auto batch = [](std::string operation, Handler local) {
    return [operation, local](Call& call) { return distributedBatch(call, operation, local); };
  };
  addRoute(router, services, "POST", "/ngsi-ld/v1/entityOperations/create", batch("createBatch", batchCreate));
  addRoute(router, services, "POST", "/ngsi-ld/v1/entityOperations/upsert", batch("upsertBatch", batchUpsert));
  addRoute(router, services, "POST", "/ngsi-ld/v1/entityOperations/update", batch("updateBatch", batchUpdate));
  addRoute(router, services, "POST", "/ngsi-ld/v1/entityOperations/merge", batch("mergeBatch", batchMerge));
  addRoute(router, services, "POST", "/ngsi-ld/v1/entityOperations/delete", batch("deleteBatch", batchDelete));
}

}  // namespace allmende::api
