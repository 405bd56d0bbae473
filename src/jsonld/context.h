// A compiled JSON-LD context: term definitions plus @vocab, with IRI expansion
// and compaction as NGSI-LD needs them (entity types, attribute names, vocab
// values). Immutable once built and shared between threads by shared_ptr.
// Built by ContextBuilder from the core context and the request's contexts.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/json/value.hpp>

#include "common/string_hash.h"

namespace allmende::jsonld {

struct TermDefinition {
  std::string iri;        // expanded IRI, or a keyword such as "@id"
  std::string type;       // "@id", "@vocab", "@json", a datatype IRI, or empty
  std::string container;  // "@list", "@set", "@language", "@index", or empty
  bool prefix = false;    // usable as the prefix of a compact IRI
};

using allmende::StringHash;
template <class T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

class Context {
 public:
  // Expands a term or compact IRI to an absolute IRI (vocabulary-relative).
  std::string expand(std::string_view term) const;
  // The same into `out` (its buffer is reused: no allocation per term in loops).
  void expandInto(std::string_view term, std::string& out) const;
  // Compacts an absolute IRI to the shortest term or compact IRI of this context.
  std::string compact(std::string_view iri) const;
  // The definition of term, or nullptr.
  const TermDefinition* find(std::string_view term) const;
  const std::string& vocab() const { return vocab_; }
  const StringMap<TermDefinition>& terms() const { return terms_; }

 private:
  friend class ContextBuilder;
  void finish();  // builds the reverse (IRI -> term) table

  StringMap<TermDefinition> terms_;
  StringMap<std::string> reverse_;  // IRI -> preferred term
  std::string vocab_;
};

using ContextPtr = std::shared_ptr<const Context>;

// Builds a Context by processing local context objects in order, starting from
// a base (normally the core context). Terms of the base marked protected keep
// their definitions. Errors (invalid definitions) are thrown as ngsi::Error
// BadRequestData.
class ContextBuilder {
 public:
  explicit ContextBuilder(const Context* base, bool protectBase);
  // Applies one local context object {"term": "iri" | {...}, "@vocab": ...}.
  void apply(const boost::json::object& local);
  ContextPtr build();

 private:
  void define(const boost::json::object& local, const std::string& term,
              std::unordered_map<std::string, int>& state);
  std::string expandWith(const boost::json::object& local, std::string_view value,
                         std::unordered_map<std::string, int>& state);

  std::shared_ptr<Context> ctx_;
  const Context* base_;
  bool protectBase_;
  int defining_ = 0;  // definitions under way, each waiting for the next (bounded: the stack)
};

}  // namespace allmende::jsonld
