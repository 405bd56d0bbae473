// The q and scopeQ languages: parse errors, every operator on each value type,
// lists and ranges, precedence, paths into sub-attributes, members and compound
// values, instances (datasetId, expiry), LanguageProperty, VocabProperty,
// Relationships (including linked entities), and scope patterns.
#include <map>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "jsonld/core_context.h"
#include "ngsi/error.h"
#include "ngsi/operations.h"
#include "ngsi/parse.h"
#include "query/q.h"

namespace json = boost::json;
using namespace allmende;
using query::matches;
using query::parseQ;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14

json::object entity(std::string_view text) {
  auto parsed = ngsi::parseEntity(json::parse(text).as_object(), *jsonld::coreContext(),
                                  ngsi::ParseMode::Create);
  return ngsi::createEntity(std::move(parsed), 1'600'000'000'000);  // created 2020-09-13
}

const json::object& building() {
  static const json::object e = entity(R"({
    "id": "urn:ngsi-ld:Building:1", "type": "Building",
    "name": {"type": "Property", "value": "Eiffel Tower"},
    "height": {"type": "Property", "value": 324, "unitCode": "MTR",
               "observedAt": "2020-09-09T16:40:00.000Z",
               "precision": {"type": "Property", "value": 0.5,
                             "source": {"type": "Property", "value": "laser"}}},
    "level": {"type": "Property", "value": -2.5},
    "open": {"type": "Property", "value": true},
    "built": {"type": "Property", "value": "1889-03-31T00:00:00Z"},
    "tags": {"type": "Property", "value": ["iron", "tower"]},
    "address": {"type": "Property", "value": {"city": "Paris", "zip": {"code": "75007"}}},
    "locatedIn": {"type": "Relationship", "object": "urn:ngsi-ld:City:Paris"},
    "near": {"type": "Relationship", "object": ["urn:ngsi-ld:Place:A", "urn:ngsi-ld:Place:B"]},
    "color": {"type": "LanguageProperty", "languageMap": {"fr": "rouge", "en": "red", "de": ["rot", "rötlich"]}},
    "category": {"type": "VocabProperty", "vocab": "commercial"},
    "readings": {"type": "ListProperty", "valueList": [3, 7, 11]},
    "speed": [{"type": "Property", "value": 10},
              {"type": "Property", "value": 80, "datasetId": "urn:ngsi-ld:Dataset:gps"}],
    "gone": {"type": "Property", "value": 1, "expiresAt": "2021-01-01T00:00:00Z"}
  })");
  return e;
}

bool q(std::string_view text, const json::object& e = building()) {
  return matches(*parseQ(text, *jsonld::coreContext()), e, kNow);
}

// The detail of the BadRequestData error parsing text throws ("" if none).
std::string parseError(std::string_view text) {
  try {
    parseQ(text, *jsonld::coreContext());
  } catch (const ngsi::Error& e) {
    EXPECT_EQ(e.type(), ngsi::ErrorType::BadRequestData) << text;
    return e.detail();
  }
  return "";
}

}  // namespace

TEST(Q, ParseErrorsNameThePosition) {
  EXPECT_EQ(parseError("a==1)"), "q: unexpected ')' at position 5");
  EXPECT_EQ(parseError("(a==1"), "q: unbalanced '(' at position 1");
  EXPECT_EQ(parseError("a=="), "q: missing value after '==' at position 4");
  EXPECT_EQ(parseError("a=1"), "q: unknown operator '=' at position 2");
  EXPECT_EQ(parseError("a<>1"), "q: unknown operator '<>' at position 2");
  EXPECT_EQ(parseError(""), "q: empty expression");
  EXPECT_EQ(parseError("a;"), "q: missing an attribute name at the end");
  EXPECT_EQ(parseError("a|()"), "q: expected an attribute name, found ')' at position 4");
  EXPECT_EQ(parseError("a == 1"), "q: unexpected ' ' at position 2");
  EXPECT_EQ(parseError("name==\"Eiffel"), "q: unterminated string at position 7");
  EXPECT_EQ(parseError("!a==1").find("q: '!' only negates"), 0u);
  EXPECT_NE(parseError("a[k"), "");
  EXPECT_NE(parseError("a==1\"x\""), "");
}

TEST(Q, InvalidRegexIsBadRequestData) {
  EXPECT_EQ(parseError("name~=\"(unclosed\"").find("q: invalid regular expression '(unclosed'"),
            0u);
  EXPECT_EQ(parseError("name~="), "q: missing pattern after '~=' at position 7");
}

TEST(Q, ListsAndRangesOnlyWithEquality) {
  EXPECT_EQ(parseError("a>4..5"), "q: a range is only allowed with == and != at position 3");
  EXPECT_EQ(parseError("a<1,2"), "q: a value list is only allowed with == and != at position 3");
  EXPECT_NE(parseError("a==1..\"x\""), "");
  EXPECT_NE(parseError("a==true..false"), "");
  EXPECT_NE(parseError("a>true"), "");
  EXPECT_NE(parseError("a>urn:x"), "");
}

TEST(Q, TooComplex) {
  std::string deep = std::string(65, '(') + "a" + std::string(65, ')');
  EXPECT_EQ(parseError(deep).find("q: too complex"), 0u);
  std::string ok = std::string(64, '(') + "name" + std::string(64, ')');
  EXPECT_TRUE(q(ok));
  std::string longQ(4097, 'a');
  EXPECT_EQ(parseError(longQ).find("q: too complex"), 0u);
}

TEST(Q, NumbersEveryOperator) {
  EXPECT_TRUE(q("height==324"));
  EXPECT_TRUE(q("height==324.0"));
  EXPECT_TRUE(q("height==3.24e2"));
  EXPECT_FALSE(q("height==325"));
  EXPECT_TRUE(q("height!=325"));
  EXPECT_FALSE(q("height!=324"));
  EXPECT_TRUE(q("height>300"));
  EXPECT_FALSE(q("height>324"));
  EXPECT_TRUE(q("height>=324"));
  EXPECT_TRUE(q("height<400"));
  EXPECT_FALSE(q("height<324"));
  EXPECT_TRUE(q("height<=324"));
  EXPECT_TRUE(q("level<-2"));
  EXPECT_TRUE(q("level==-2.5"));
  EXPECT_FALSE(q("height==\"324\""));  // a string never equals a number
  EXPECT_TRUE(q("height!=\"324\""));   // 4.9: different data types are unequal
}

TEST(Q, StringsEveryOperator) {
  EXPECT_TRUE(q("name==\"Eiffel Tower\""));
  EXPECT_FALSE(q("name==\"Eiffel\""));
  EXPECT_TRUE(q("name!=\"Big Ben\""));
  EXPECT_FALSE(q("name!=\"Eiffel Tower\""));
  EXPECT_TRUE(q("name>\"A\""));
  EXPECT_TRUE(q("name<\"F\""));
  EXPECT_TRUE(q("name>=\"Eiffel Tower\""));
  EXPECT_TRUE(q("name<=\"Eiffel Tower\""));
  EXPECT_FALSE(q("name>\"Z\""));
  EXPECT_FALSE(q("name>5"));
  EXPECT_TRUE(q("name~=\"^Eiff\""));
  EXPECT_TRUE(q("name~=\"Tow\""));  // partial match
  EXPECT_FALSE(q("name~=\"^Tow\""));
  EXPECT_TRUE(q("name!~=\"^Pisa\""));
  EXPECT_FALSE(q("name!~=\"^Eiffel\""));
  EXPECT_TRUE(q("name~=(?i)eiffel"));  // unquoted, balanced parentheses
  EXPECT_TRUE(q("name~=\"\\w+ Tower$\""));
  EXPECT_FALSE(q("height~=\"3\""));  // patterns apply to strings only
  EXPECT_TRUE(q("name==\"Eiffel \\\"The Iron Lady\\\"\"|name==\"Eiffel Tower\""));
}

TEST(Q, Booleans) {
  EXPECT_TRUE(q("open==true"));
  EXPECT_FALSE(q("open==false"));
  EXPECT_TRUE(q("open!=false"));
  EXPECT_FALSE(q("open!=true"));
  EXPECT_FALSE(q("open==\"true\""));
}

TEST(Q, DateTimes) {
  EXPECT_TRUE(q("built<1900-01-01T00:00:00Z"));
  EXPECT_TRUE(q("built==1889-03-31T00:00:00.000Z"));  // same instant, other spelling
  EXPECT_TRUE(q("built==\"1889-03-31T00:00:00Z\""));
  EXPECT_TRUE(q("built>1889-03-30"));
  EXPECT_FALSE(q("built>1889-03-31T00:00:01Z"));
  EXPECT_FALSE(q("name>2000-01-01T00:00:00Z"));  // not a date-time
  EXPECT_TRUE(q("built==1800-01-01..1900-01-01"));
}

TEST(Q, MembersObservedAtUnitCodeAndSystemTimes) {
  EXPECT_TRUE(q("height.observedAt>2020-01-01T00:00:00Z"));
  EXPECT_FALSE(q("height.observedAt>2021-01-01T00:00:00Z"));
  EXPECT_TRUE(q("height.unitCode==\"MTR\""));
  EXPECT_TRUE(q("height.observedAt"));
  EXPECT_FALSE(q("name.observedAt"));
  EXPECT_TRUE(q("height.createdAt==2020-09-13T12:26:40Z"));
  EXPECT_TRUE(q("modifiedAt>\"2020-01-01T00:00:00Z\""));  // the entity's own
  EXPECT_FALSE(q("createdAt>2021-01-01T00:00:00Z"));
  EXPECT_TRUE(q("speed.datasetId==urn:ngsi-ld:Dataset:gps"));
  auto e = parseQ("height.observedAt", *jsonld::coreContext());
  EXPECT_EQ(e->term.path.member, query::AttrPath::Member::ObservedAt);
}

TEST(Q, UrisAndRelationships) {
  EXPECT_TRUE(q("locatedIn==urn:ngsi-ld:City:Paris"));
  EXPECT_TRUE(q("locatedIn==\"urn:ngsi-ld:City:Paris\""));
  EXPECT_FALSE(q("locatedIn==urn:ngsi-ld:City:Pisa"));
  EXPECT_TRUE(q("locatedIn!=urn:ngsi-ld:City:Pisa"));
  EXPECT_FALSE(q("locatedIn>\"urn:a\""));  // only == and != on relationships
  EXPECT_FALSE(q("locatedIn~=\"Paris\""));
  EXPECT_TRUE(q("near==urn:ngsi-ld:Place:B"));   // any object of the array
  EXPECT_FALSE(q("near!=urn:ngsi-ld:Place:B"));  // none may equal
  EXPECT_TRUE(q("near!=urn:ngsi-ld:Place:C"));
}

TEST(Q, ValueLists) {
  EXPECT_TRUE(q("name==\"Big Ben\",\"Eiffel Tower\""));
  EXPECT_FALSE(q("name!=\"Big Ben\",\"Eiffel Tower\""));
  EXPECT_TRUE(q("name!=\"Big Ben\",\"Pisa Tower\""));
  EXPECT_TRUE(q("height==1,324,5"));
  EXPECT_TRUE(q("locatedIn==urn:ngsi-ld:City:Pisa,urn:ngsi-ld:City:Paris"));
  EXPECT_TRUE(q("height==\"x\",324"));  // mixed types: the number matches
  // != with a list: unequal to every listed value, values of another type included (4.9)
  EXPECT_FALSE(q("height!=\"x\",324"));
  EXPECT_TRUE(q("height!=\"324\",\"x\""));
  EXPECT_TRUE(q("name!=1,2"));
}

TEST(Q, Ranges) {
  EXPECT_TRUE(q("height==300..400"));
  EXPECT_TRUE(q("height==324..325"));  // bounds included
  EXPECT_TRUE(q("height==400..300"));  // between the minimum and the maximum
  EXPECT_FALSE(q("height==325..400"));
  EXPECT_TRUE(q("height!=325..400"));
  EXPECT_FALSE(q("height!=300..400"));
  EXPECT_TRUE(q("level==-3..-2"));
  EXPECT_TRUE(q("name==\"A\"..\"F\""));
  EXPECT_FALSE(q("name==1..2"));
  EXPECT_TRUE(q("name!=1..2"));  // a string lies outside every numeric range
}

TEST(Q, ArraysMatchAnyElement) {
  EXPECT_TRUE(q("tags==\"tower\""));
  EXPECT_FALSE(q("tags!=\"tower\""));
  EXPECT_TRUE(q("tags!=\"bridge\""));
  EXPECT_TRUE(q("tags!=3"));           // no element equals a number
  EXPECT_FALSE(q("height!~=\"^3\""));  // patterns never match a number, negated or not
  EXPECT_TRUE(q("open!=1"));
  EXPECT_TRUE(q("tags~=\"^to\""));
  EXPECT_TRUE(q("readings>10"));
  EXPECT_FALSE(q("readings>11"));
  EXPECT_TRUE(q("readings==7"));
}

TEST(Q, AndOrPrecedenceAndParentheses) {
  EXPECT_TRUE(q("height==1;height==2|open==true"));     // (F;F)|T
  EXPECT_FALSE(q("height==1;(height==2|open==true)"));  // F;(F|T)
  EXPECT_TRUE(q("open==true|height==1;height==2"));     // T|(F;F)
  EXPECT_FALSE(q("(open==true|height==1);height==2"));
  EXPECT_TRUE(q("((name);((open==true)))"));
  auto e = parseQ("a;b;c|d", *jsonld::coreContext());
  ASSERT_EQ(e->kind, query::Expr::Kind::Or);
  ASSERT_EQ(e->children.size(), 2u);
  EXPECT_EQ(e->children[0]->kind, query::Expr::Kind::And);
  EXPECT_EQ(e->children[0]->children.size(), 3u);
}

TEST(Q, ExistenceAndAbsence) {
  EXPECT_TRUE(q("name"));
  EXPECT_FALSE(q("nothing"));
  EXPECT_TRUE(q("!nothing"));
  EXPECT_FALSE(q("!name"));
  EXPECT_TRUE(q("!nothing;name"));
  EXPECT_FALSE(q("nothing!=1"));  // != needs the attribute
  auto e = parseQ("name", *jsonld::coreContext());
  EXPECT_EQ(e->term.op, query::Op::Exists);
  EXPECT_EQ(e->term.path.attributes[0], "https://uri.etsi.org/ngsi-ld/default-context/name");
}

TEST(Q, SubAttributePaths) {
  EXPECT_TRUE(q("height.precision==0.5"));
  EXPECT_TRUE(q("height.precision<1"));
  EXPECT_TRUE(q("height.precision.source==\"laser\""));
  EXPECT_TRUE(q("height.precision"));
  EXPECT_FALSE(q("height.accuracy"));
  EXPECT_FALSE(q("name.precision"));
}

TEST(Q, CompoundValuePaths) {
  EXPECT_TRUE(q("address[city]==\"Paris\""));
  EXPECT_TRUE(q("address[zip.code]==\"75007\""));
  EXPECT_TRUE(q("address[zip][code]==\"75007\""));
  EXPECT_TRUE(q("address[city]"));
  EXPECT_FALSE(q("address[postcode]"));
  EXPECT_FALSE(q("address[postcode]==\"Paris\""));
  EXPECT_TRUE(q("!address[postcode]"));
  auto e = parseQ("address[zip.code]", *jsonld::coreContext());
  EXPECT_EQ(e->term.path.valuePath, (std::vector<std::string>{"zip", "code"}));
}

TEST(Q, DatasetIdInstancesAnyMatches) {
  EXPECT_TRUE(q("speed>50"));  // the gps instance
  EXPECT_TRUE(q("speed<50"));  // the default instance
  EXPECT_FALSE(q("speed>100"));
  EXPECT_TRUE(q("speed!=10"));
}

TEST(Q, ExpiredInstancesIgnored) {
  EXPECT_FALSE(q("gone"));
  EXPECT_TRUE(q("!gone"));
  EXPECT_FALSE(q("gone==1"));
  auto e = parseQ("gone==1", *jsonld::coreContext());
  EXPECT_TRUE(matches(*e, building(), 1'500'000'000'000));  // before it expired
}

TEST(Q, LanguageProperty) {
  EXPECT_TRUE(q("color==\"rouge\""));
  EXPECT_TRUE(q("color==\"rötlich\""));
  EXPECT_TRUE(q("color[en]==\"red\""));
  EXPECT_FALSE(q("color[en]==\"rouge\""));
  EXPECT_TRUE(q("color[*]==\"rouge\""));
  EXPECT_FALSE(q("color[*]!=\"red\""));  // no language may say red
  EXPECT_TRUE(q("color[*]!=\"blue\""));
  EXPECT_TRUE(q("color[de]==\"rot\""));
  EXPECT_TRUE(q("color[en]"));
  EXPECT_FALSE(q("color[it]"));
}

TEST(Q, VocabPropertyAndExpandValues) {
  const auto& ctx = *jsonld::coreContext();
  EXPECT_TRUE(q("category==\"https://uri.etsi.org/ngsi-ld/default-context/commercial\""));
  EXPECT_FALSE(q("category==commercial"));  // stored expanded; literal as written
  auto e = parseQ("category==commercial", ctx, {"category"});
  EXPECT_TRUE(e->term.expandValues);
  EXPECT_TRUE(matches(*e, building(), kNow));
  EXPECT_FALSE(matches(*parseQ("category==commercial", ctx, {"name"}), building(), kNow));
}

TEST(Q, LinkedEntities) {
  const auto& ctx = *jsonld::coreContext();
  auto city = entity(R"({"id": "urn:ngsi-ld:City:Paris", "type": "City",
                          "population": {"type": "Property", "value": 2100000}})");
  query::EntityResolver resolve = [&city](std::string_view id) -> const json::object* {
    return id == "urn:ngsi-ld:City:Paris" ? &city : nullptr;
  };
  auto e = parseQ("locatedIn{population}>1000000", ctx);
  EXPECT_EQ(e->linkDepth, 1);
  EXPECT_TRUE(e->term.path.linked);
  EXPECT_TRUE(matches(*e, building(), kNow, resolve));
  EXPECT_FALSE(matches(*e, building(), kNow));  // no resolver: never matches
  EXPECT_FALSE(matches(*parseQ("locatedIn{population}<1000", ctx), building(), kNow, resolve));
  EXPECT_TRUE(matches(*parseQ("locatedIn{City:population}", ctx), building(), kNow, resolve));
  EXPECT_FALSE(matches(*parseQ("locatedIn{Town:population}", ctx), building(), kNow, resolve));
  EXPECT_FALSE(matches(*parseQ("near{population}", ctx), building(), kNow, resolve));
  EXPECT_FALSE(matches(*parseQ("name{population}", ctx), building(), kNow, resolve));
  auto deep = parseQ("name;(a{b{c}}==1|x)", ctx);
  EXPECT_EQ(deep->linkDepth, 2);
  EXPECT_EQ(parseQ("a{ngsi-ld:b}", ctx)->term.path.linkedType, "");  // a compact IRI
}

TEST(Q, EntitiesLinkingEachOtherAreVisitedOncePerLevel) {
  // Found by fuzz/fuzz_q.cpp: two entities whose relationship names both of them
  // made friends{friends{...}} follow every route, 2^levels (20 levels took seconds).
  const auto& ctx = *jsonld::coreContext();
  auto a = entity(R"({"id": "urn:x:A", "type": "T", "n": {"type": "Property", "value": 1},
                      "friends": {"type": "Relationship", "object": ["urn:x:A", "urn:x:B"]}})");
  auto b = entity(R"({"id": "urn:x:B", "type": "T", "n": {"type": "Property", "value": 2},
                      "friends": {"type": "Relationship", "object": ["urn:x:A", "urn:x:B"]}})");
  int lookups = 0;
  query::EntityResolver resolve = [&](std::string_view id) -> const json::object* {
    ++lookups;
    return id == "urn:x:A" ? &a : id == "urn:x:B" ? &b : nullptr;
  };
  auto chain = [](int levels, std::string_view comparison) {  // friends{friends{...{n}}}==3
    std::string text;
    for (int i = 0; i < levels; ++i) text += "friends{";
    return text + "n" + std::string(levels, '}') + std::string(comparison);
  };
  EXPECT_FALSE(matches(*parseQ(chain(60, "==3"), ctx), a, kNow, resolve));
  EXPECT_LE(lookups, 2 * 60);  // each entity once per level
  EXPECT_TRUE(matches(*parseQ(chain(60, "==2"), ctx), a, kNow, resolve));
  EXPECT_TRUE(matches(*parseQ(chain(3, "==1") + ";" + chain(2, "==2"), ctx), a, kNow, resolve));
  EXPECT_FALSE(matches(*parseQ("friends{T:n}==3|friends{X:n}==1", ctx), a, kNow, resolve));
}

TEST(ScopeQ, Forms) {
  auto both = entity(R"({"id": "urn:x:1", "type": "T",
                         "scope": ["/Madrid/Gardens/ParqueNorte", "/CompanyA/OrganizationB/UnitC"]})");
  auto one = entity(R"({"id": "urn:x:2", "type": "T", "scope": "/CompanyA/OrganizationB/UnitC"})");
  auto none = entity(R"({"id": "urn:x:3", "type": "T"})");
  auto count = [&](std::string_view text) {
    auto e = query::parseScopeQ(text);
    return int(query::matchesScope(*e, both)) + int(query::matchesScope(*e, one)) +
           int(query::matchesScope(*e, none));
  };
  EXPECT_EQ(count("/Madrid/Gardens/ParqueNorte"), 1);
  EXPECT_EQ(count("/Madrid/Gardens"), 0);  // exact, not a prefix
  EXPECT_EQ(count("/Madrid/+/ParqueNorte"), 1);
  EXPECT_EQ(count("/Madrid/+"), 0);  // one level exactly
  EXPECT_EQ(count("/CompanyA/#"), 2);
  EXPECT_EQ(count("/CompanyA/OrganizationB/UnitC/#"), 2);  // includes the level itself
  EXPECT_EQ(count("/#"), 2);
  EXPECT_EQ(count("/Madrid/Gardens/ParqueNorte;/CompanyA/OrganizationB/UnitC"), 1);
  EXPECT_EQ(count("/Madrid/Gardens/ParqueNorte,/CompanyA/OrganizationB/UnitC"), 2);
  EXPECT_EQ(count("/CompanyA/OrganizationB/UnitC|/Nowhere/AtAll"), 2);
  EXPECT_EQ(count("(/Madrid/Gardens/ParqueNorte;/Nowhere/AtAll)"), 0);
  EXPECT_EQ(count("(/Madrid/Gardens/ParqueNorte;/CompanyA/#)|/Nowhere"), 1);
  EXPECT_EQ(count("/Nowhere|/CompanyA/+/UnitC;/Madrid/#"), 1);  // AND binds tighter
}

TEST(ScopeQ, Errors) {
  auto error = [](std::string_view text) -> std::string {
    try {
      query::parseScopeQ(text);
    } catch (const ngsi::Error& e) {
      EXPECT_EQ(e.type(), ngsi::ErrorType::BadRequestData);
      return e.detail();
    }
    return "";
  };
  EXPECT_EQ(error(""), "scopeQ: empty expression");
  EXPECT_EQ(error("Madrid"), "scopeQ: expected a scope starting with '/', found 'M' at position 1");
  EXPECT_EQ(error("/a//b"), "scopeQ: empty scope level at position 4");
  EXPECT_EQ(error("/a/"), "scopeQ: empty scope level at position 4");
  EXPECT_EQ(error("/a/#/b"), "scopeQ: unexpected '/' in a scope at position 5");
  EXPECT_EQ(error("/a b"), "scopeQ: unexpected ' ' in a scope at position 3");
  EXPECT_EQ(error("(/a"), "scopeQ: unbalanced '(' at position 1");
  EXPECT_EQ(error("/a)"), "scopeQ: unexpected ')' at position 3");
  EXPECT_EQ(error("/a;"), "scopeQ: missing a scope at the end");
  EXPECT_EQ(error(std::string(65, '(') + "/a" + std::string(65, ')')).find("scopeQ: too complex"),
            0u);
}
