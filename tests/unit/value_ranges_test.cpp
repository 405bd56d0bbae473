// store::addValueRanges: which q terms become index ranges, with which
// bounds, and which of them the indexes decide exactly (a count may then
// skip reading the entity).
#include <gtest/gtest.h>

#include "jsonld/core_context.h"
#include "query/q.h"
#include "store/store.h"
#include "store/value_ranges.h"

using namespace allmende;

namespace {

struct Ranges {
  store::EntityQuery query;
  bool exact = false;
};

Ranges of(const std::string& q) {
  Ranges r;
  r.exact = store::addValueRanges(*query::parseQ(q, *jsonld::coreContext()), r.query);
  return r;
}

std::string attr(const std::string& name) { return jsonld::coreContext()->expand(name); }

}  // namespace

TEST(ValueRanges, NumbersAndStringEqualityAreExact) {
  auto r = of("a>=2;a<5;s==\"x\"");
  EXPECT_TRUE(r.exact);
  ASSERT_EQ(r.query.numberRanges.size(), 2u);
  EXPECT_EQ(r.query.numberRanges[0].attribute, attr("a"));
  EXPECT_EQ(r.query.numberRanges[0].min, 2);
  EXPECT_TRUE(r.query.numberRanges[1].maxOpen);
  ASSERT_EQ(r.query.textRanges.size(), 1u);
  EXPECT_EQ(r.query.textRanges[0].min, "x");
  EXPECT_EQ(r.query.textRanges[0].max, "x");
  EXPECT_TRUE(of("ref==urn:ngsi-ld:Device:1").exact);  // a URI compares as a string
  EXPECT_TRUE(of("s==\"a\"..\"c\"").exact);
}

TEST(ValueRanges, StringOrderingAndPatternsNarrowButDoNotDecide) {
  auto r = of("s>\"m\"");
  EXPECT_FALSE(r.exact);  // a Relationship's object is never greater: the entity decides
  ASSERT_EQ(r.query.textRanges.size(), 1u);
  EXPECT_TRUE(r.query.textRanges[0].minOpen);
  EXPECT_FALSE(r.query.textRanges[0].max);
  r = of("s~=^abc");
  EXPECT_FALSE(r.exact);
  ASSERT_EQ(r.query.textRanges.size(), 1u);
  EXPECT_EQ(r.query.textRanges[0].min, "abc");
  EXPECT_EQ(r.query.textRanges[0].max, "abd");  // every string that starts with abc comes before abd
  EXPECT_TRUE(r.query.textRanges[0].maxOpen);
  for (const char* q : {"s~=abc", "s~=^a|b", "s!=\"x\"", "s!~=^a"}) {
    auto none = of(q);
    EXPECT_TRUE(none.query.textRanges.empty()) << q;
    EXPECT_FALSE(none.exact) << q;
  }
}

TEST(ValueRanges, AListOfStringsIsOneConditionOfItsStrings) {
  auto r = of("s==\"b\",\"a\",\"b\"");
  EXPECT_TRUE(r.exact);
  ASSERT_EQ(r.query.textRanges.size(), 1u);
  EXPECT_EQ(r.query.textRanges[0].anyOf, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.query.textRanges[0].min, "a");
  EXPECT_EQ(r.query.textRanges[0].max, "b");
  EXPECT_TRUE(of("s==\"a\",3").query.textRanges.empty());  // mixed kinds: no range
}

TEST(ValueRanges, LiteralsLongerThanTheIndexedPrefixAreCutAndNoLongerDecide) {
  const size_t n = store::EntityMeta::kIndexedStringBytes;
  std::string longer(n + 5, 'x');
  auto r = of("s==\"" + longer + "\"");
  EXPECT_FALSE(r.exact);
  ASSERT_EQ(r.query.textRanges.size(), 1u);
  EXPECT_EQ(r.query.textRanges[0].min.size(), n);
  EXPECT_EQ(r.query.textRanges[0].max->size(), n);
  r = of("s==\"a\",\"" + longer + "\"");
  EXPECT_FALSE(r.exact);
  ASSERT_EQ(r.query.textRanges.size(), 1u);
  EXPECT_EQ(r.query.textRanges[0].anyOf.back().size(), n);
}

TEST(ValueRanges, DateTimesObservedAtAndTheEntitysOwnTimesAreTimeRanges) {
  using Of = store::EntityQuery::TimeRange::Of;
  auto r = of("d>=2026-01-02;t.observedAt<2026-01-03T00:00:00Z;modifiedAt>=2026-01-01;createdAt==1767225600000");
  EXPECT_TRUE(r.exact);
  ASSERT_EQ(r.query.timeRanges.size(), 4u);
  const auto& t = r.query.timeRanges;
  EXPECT_EQ(t[0].of, Of::Value);
  EXPECT_EQ(t[0].attribute, attr("d"));
  EXPECT_EQ(t[0].min, 1767312000000.0);
  EXPECT_EQ(t[1].of, Of::ObservedAt);
  EXPECT_EQ(t[1].attribute, attr("t"));
  EXPECT_TRUE(t[1].maxOpen);
  EXPECT_EQ(t[2].of, Of::ModifiedAt);
  EXPECT_TRUE(t[2].attribute.empty());
  EXPECT_EQ(t[3].of, Of::CreatedAt);
  EXPECT_EQ(t[3].min, 1767225600000.0);
  EXPECT_EQ(t[3].max, 1767225600000.0);
  // A number is no time of a value or an observedAt (they are strings).
  EXPECT_TRUE(of("t.observedAt>5").query.timeRanges.empty());
}

TEST(ValueRanges, TermsOutsideTheTopLevelAndAreLeftToTheEntity) {
  auto r = of("a>1|s==\"x\"");
  EXPECT_FALSE(r.exact);
  EXPECT_TRUE(r.query.numberRanges.empty() && r.query.textRanges.empty());
  r = of("t.unitCode==\"CEL\";a[k]==1");
  EXPECT_FALSE(r.exact);
  EXPECT_TRUE(r.query.textRanges.empty() && r.query.numberRanges.empty());
}
