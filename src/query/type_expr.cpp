// Recursive-descent parser: or := and (('|'|',') and)*; and := atom (';' atom)*;
// atom := name | '(' or ')'. AND distributes over OR to reach the normal form
// (type expressions are short, so the blow-up is bounded by the input limit).
#include "query/type_expr.h"

#include "jsonld/context.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::query {

namespace {

class Parser {
 public:
  Parser(std::string_view text, const jsonld::Context& ctx) : text_(text), ctx_(ctx) {}

  TypeSelection parse() {
    if (text_.empty()) fail("is empty");
    if (text_.size() > 2048) fail("is too long");
    auto out = parseOr(0);
    if (pos_ != text_.size()) fail("has an unexpected '" + std::string(1, text_[pos_]) + "'");
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& why) {
    ngsi::fail(ngsi::ErrorType::BadRequestData,
               "the type selection '" + std::string(text_) + "' " + why);
  }

  TypeSelection parseOr(int depth) {
    if (depth > 16) fail("is nested too deeply");
    auto out = parseAnd(depth);
    while (pos_ < text_.size() && (text_[pos_] == '|' || text_[pos_] == ',')) {
      ++pos_;
      auto more = parseAnd(depth);
      out.insert(out.end(), more.begin(), more.end());
    }
    return out;
  }

  TypeSelection parseAnd(int depth) {
    auto out = parseAtom(depth);
    while (pos_ < text_.size() && text_[pos_] == ';') {
      ++pos_;
      auto right = parseAtom(depth);
      TypeSelection product;
      for (const auto& a : out)
        for (const auto& b : right) {
          auto group = a;
          group.insert(group.end(), b.begin(), b.end());
          product.push_back(std::move(group));
        }
      if (product.size() > 256) fail("is too complex");
      out = std::move(product);
    }
    return out;
  }

  TypeSelection parseAtom(int depth) {
    if (pos_ < text_.size() && text_[pos_] == '(') {
      ++pos_;
      auto inner = parseOr(depth + 1);
      if (pos_ >= text_.size() || text_[pos_] != ')') fail("lacks a closing parenthesis");
      ++pos_;
      return inner;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '|' && text_[pos_] != ',' && text_[pos_] != ';' &&
           text_[pos_] != '(' && text_[pos_] != ')')
      ++pos_;
    std::string name(text_.substr(start, pos_ - start));
    if (name.empty()) fail("has an empty type name");
    if (!ngsi::isValidName(name)) fail("has an invalid type name '" + name + "'");
    return {{ctx_.expand(name)}};
  }

  std::string_view text_;
  const jsonld::Context& ctx_;
  size_t pos_ = 0;
};

}  // namespace

TypeSelection parseTypeSelection(std::string_view text, const jsonld::Context& ctx) {
  return Parser(text, ctx).parse();
}

}  // namespace allmende::query
