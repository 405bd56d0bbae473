// JSON-LD term definitions, IRI expansion and compaction, restricted to what
// NGSI-LD uses: simple and expanded term definitions (@id, @type, @container,
// @prefix), compact IRIs, @vocab. Scoped contexts, @reverse, @base and
// @language are accepted and ignored.
#include "jsonld/context.h"

#include <boost/json.hpp>

#include "ngsi/error.h"

namespace allmende::jsonld {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;

namespace {
bool endsWithGenDelim(std::string_view iri) {
  if (iri.empty()) return false;
  char c = iri.back();
  return c == ':' || c == '/' || c == '?' || c == '#' || c == '[' || c == ']' || c == '@';
}
bool isAbsoluteIri(std::string_view s) {
  auto colon = s.find(':');
  return colon != std::string_view::npos && colon > 0;
}

// A term's definition may need another's ("a": "b:x"), which is defined first,
// recursively. Real contexts need a few levels; a chain of thousands in one
// request body would overflow the stack and end the broker.
constexpr int kMaxDefinitionDepth = 64;
}  // namespace

const TermDefinition* Context::find(std::string_view term) const {
  auto it = terms_.find(term);
  return it == terms_.end() ? nullptr : &it->second;
}

std::string Context::expand(std::string_view term) const {
  std::string out;
  expandInto(term, out);
  return out;
}

void Context::expandInto(std::string_view term, std::string& out) const {
  std::string_view base, rest = term;  // the IRI is base + rest
  if (!term.empty() && term[0] != '@') {
    if (auto* def = find(term)) {
      base = def->iri;
      rest = {};
    } else if (auto colon = term.find(':'); colon != std::string_view::npos) {
      auto prefix = term.substr(0, colon);
      auto suffix = term.substr(colon + 1);
      if (prefix != "_" && !suffix.starts_with("//"))
        if (auto* def = find(prefix); def && !def->iri.empty() && def->iri[0] != '@') {
          base = def->iri;
          rest = suffix;
        }
    } else {
      base = vocab_;
    }
  }
  out.reserve(base.size() + rest.size());
  out.assign(base);
  out.append(rest);
}

std::string Context::compact(std::string_view iri) const {
  if (auto it = reverse_.find(iri); it != reverse_.end()) return it->second;
  if (!vocab_.empty() && iri.size() > vocab_.size() && iri.starts_with(vocab_)) {
    auto rest = iri.substr(vocab_.size());
    if (rest.find(':') == std::string_view::npos && !find(rest)) return std::string(rest);
  }
  std::string best;
  for (const auto& [term, def] : terms_) {
    if (!def.prefix || def.iri.size() >= iri.size() || !iri.starts_with(def.iri)) continue;
    std::string candidate = term + ":" + std::string(iri.substr(def.iri.size()));
    if (best.empty() || candidate.size() < best.size() ||
        (candidate.size() == best.size() && candidate < best))
      best = std::move(candidate);
  }
  return best.empty() ? std::string(iri) : best;
}

void Context::finish() {
  reverse_.clear();
  for (const auto& [term, def] : terms_) {
    if (def.iri.empty() || def.iri[0] == '@') continue;
    auto [it, inserted] = reverse_.emplace(def.iri, term);
    if (!inserted && (term.size() < it->second.size() ||
                      (term.size() == it->second.size() && term < it->second)))
      it->second = term;
  }
}

ContextBuilder::ContextBuilder(const Context* base, bool protectBase)
    : ctx_(std::make_shared<Context>(base ? *base : Context{})),
      base_(base),
      protectBase_(protectBase) {}

void ContextBuilder::apply(const json::object& local) {
  std::unordered_map<std::string, int> state;
  if (auto* v = local.if_contains("@vocab")) {
    if (v->is_null())
      ctx_->vocab_.clear();
    else if (v->is_string())
      ctx_->vocab_ = expandWith(local, v->get_string(), state);
    else
      fail(ErrorType::BadRequestData, "@context: @vocab must be a string or null");
  }
  for (const auto& kv : local) {
    std::string term(kv.key());
    if (term.empty() || term[0] == '@') continue;
    define(local, term, state);
  }
}

std::string ContextBuilder::expandWith(const json::object& local, std::string_view value,
                                       std::unordered_map<std::string, int>& state) {
  if (value.empty() || value[0] == '@') return std::string(value);
  auto colon = value.find(':');
  if (colon != std::string_view::npos) {
    std::string prefix(value.substr(0, colon));
    auto suffix = value.substr(colon + 1);
    if (prefix == "_" || suffix.starts_with("//")) return std::string(value);
    if (local.contains(prefix)) define(local, prefix, state);
    if (auto* def = ctx_->find(prefix); def && !def->iri.empty() && def->iri[0] != '@')
      return def->iri + std::string(suffix);
    return std::string(value);
  }
  std::string term(value);
  if (local.contains(term)) define(local, term, state);
  if (auto* def = ctx_->find(term)) return def->iri;
  return ctx_->vocab_.empty() ? term : ctx_->vocab_ + term;
}

void ContextBuilder::define(const json::object& local, const std::string& term,
                            std::unordered_map<std::string, int>& state) {
  int& s = state[term];
  if (s == 2) return;
  if (s == 1) fail(ErrorType::BadRequestData, "@context: cyclic IRI mapping for term '" + term + "'");
  if (defining_ == kMaxDefinitionDepth)
    fail(ErrorType::BadRequestData, "@context: the definition of term '" + term +
                                        "' depends on more than " +
                                        std::to_string(kMaxDefinitionDepth) + " others in a chain");
  s = 1;
  ++defining_;
  struct Done {
    int& defining;
    ~Done() { --defining; }
  } done{defining_};
  if (protectBase_ && base_ && base_->find(term)) {
    s = 2;  // protected core term: its definition stays
    return;
  }
  const json::value& value = local.at(term);
  TermDefinition def;
  if (value.is_null()) {
    ctx_->terms_.erase(term);
    s = 2;
    return;
  }
  if (value.is_string()) {
    def.iri = expandWith(local, value.get_string(), state);
    def.prefix = endsWithGenDelim(def.iri);
  } else if (value.is_object()) {
    const auto& obj = value.get_object();
    if (auto* id = obj.if_contains("@id"); id && id->is_string()) {
      def.iri = expandWith(local, id->get_string(), state);
    } else if (id && id->is_null()) {
      ctx_->terms_.erase(term);
      state[term] = 2;
      return;
    } else if (term.find(':') != std::string::npos) {
      def.iri = expandWith(local, term, state);
    } else if (!ctx_->vocab_.empty()) {
      def.iri = ctx_->vocab_ + term;
    } else {
      fail(ErrorType::BadRequestData, "@context: term '" + term + "' has no @id and no @vocab applies");
    }
    if (auto* t = obj.if_contains("@type"); t && t->is_string())
      def.type = expandWith(local, t->get_string(), state);
    if (auto* c = obj.if_contains("@container")) {
      if (c->is_string()) def.container = std::string(c->get_string());
      if (c->is_array())
        for (const auto& e : c->get_array())
          if (e.is_string() && e.get_string() != "@set") def.container = std::string(e.get_string());
    }
    if (auto* p = obj.if_contains("@prefix"); p && p->is_bool()) def.prefix = p->get_bool();
  } else {
    fail(ErrorType::BadRequestData,
         "@context: the definition of term '" + term + "' must be a string, an object or null");
  }
  if (def.iri.empty() || (def.iri[0] != '@' && !isAbsoluteIri(def.iri) && def.iri.find(':') == std::string::npos))
    fail(ErrorType::BadRequestData, "@context: term '" + term + "' does not map to an absolute IRI");
  ctx_->terms_[term] = std::move(def);
  state[term] = 2;
}

ContextPtr ContextBuilder::build() {
  ctx_->finish();
  return ctx_;
}

}  // namespace allmende::jsonld
