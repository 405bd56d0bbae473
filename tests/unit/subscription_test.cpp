// Subscriptions below the API: type expressions keep their shape when their
// names are rewritten, the stored form round-trips, status follows isActive and
// expiresAt, and the matcher decides by trigger, watched attribute and filter.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "jsonld/core_context.h"
#include "ngsi/error.h"
#include "ngsi/operations.h"
#include "ngsi/parse.h"
#include "subscriptions/matcher.h"
#include "subscriptions/subscription.h"

namespace json = boost::json;
using namespace allmende;
using namespace allmende::subscriptions;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14
const std::string kDefault = "https://uri.etsi.org/ngsi-ld/default-context/";
const query::EntityResolver kNoLinks = [](std::string_view) -> const json::object* { return nullptr; };

Subscription make(std::string_view text) {
  return createSubscription(json::parse(text).as_object(), *jsonld::coreContext(), nullptr, kNow);
}

store::Entity entity(std::string_view text) {
  auto parsed = ngsi::parseEntity(json::parse(text).as_object(), *jsonld::coreContext(), ngsi::ParseMode::Create);
  return ngsi::createEntity(std::move(parsed), kNow);
}

constexpr std::string_view kRoom = R"({"id":"urn:r1","type":"Room","temperature":{"type":"Property","value":20},
  "humidity":{"type":"Property","value":50}})";
constexpr std::string_view kWarmer = R"({"id":"urn:r1","type":"Room","temperature":{"type":"Property","value":30},
  "humidity":{"type":"Property","value":50}})";
constexpr std::string_view kDrier = R"({"id":"urn:r1","type":"Room","temperature":{"type":"Property","value":20},
  "humidity":{"type":"Property","value":10}})";

}  // namespace

TEST(Subscription, TypeExpressionNamesAreRewrittenInPlace) {
  auto upper = [](std::string_view n) { return "<" + std::string(n) + ">"; };
  EXPECT_EQ(mapTypeNames("(A;B)|C,D", upper), "(<A>;<B>)|<C>,<D>");
  EXPECT_EQ(mapTypeNames("Room", upper), "<Room>");
}

TEST(Subscription, QueryTextIsPercentDecoded) {
  EXPECT_EQ(queryText("name==%22Eiffel%20Tower%22"), "name==\"Eiffel Tower\"");
  EXPECT_EQ(queryText("a==100%"), "a==100%");
  EXPECT_EQ(queryText("a==%zz;b==%4"), "a==%zz;b==%4");
}

TEST(Subscription, StoredFormExpandsTermsAndRoundTrips) {
  auto s = make(R"({"id":"urn:s1","type":"Subscription","entities":[{"type":"Room"}],
    "watchedAttributes":["temperature"],"notification":{"attributes":["humidity"],"endpoint":{"uri":"http://h/n"}}})");
  EXPECT_EQ(s.doc.at("entities").at(0).at("type").as_string(), kDefault + "Room");
  EXPECT_EQ(s.doc.at("watchedAttributes").at(0).as_string(), kDefault + "temperature");
  s.stats.timesSent = 3;
  auto back = parseStoredSubscription("urn:s1", serializeSubscription(s));
  EXPECT_EQ(back.doc, s.doc);
  EXPECT_EQ(back.stats.timesSent, 3u);
  auto shown = renderSubscription(back, *jsonld::coreContext(), false, kNow);
  EXPECT_EQ(shown.at("entities").at(0).at("type"), "Room");
  EXPECT_EQ(shown.at("notification").at("attributes").at(0), "humidity");
  EXPECT_EQ(shown.at("notification").at("timesSent"), 3);
}

TEST(Subscription, StatusFollowsIsActiveAndExpiry) {
  auto s = make(R"({"type":"Subscription","entities":[{"type":"Room"}],"isActive":false,
    "expiresAt":"2030-01-01T00:00:00Z","notification":{"endpoint":{"uri":"http://h/n"}}})");
  EXPECT_EQ(statusOf(s, kNow), "paused");
  EXPECT_EQ(statusOf(s, 1'900'000'000'000), "expired");
  patchSubscription(s, json::parse(R"({"isActive":true})").as_object(), *jsonld::coreContext(), kNow);
  EXPECT_EQ(statusOf(s, kNow), "active");
}

TEST(Subscription, PatchIsCheckedAsAWhole) {
  auto s = make(R"({"type":"Subscription","entities":[{"type":"Room"}],"throttling":5,
    "notification":{"endpoint":{"uri":"http://h/n"}}})");
  auto before = s.doc;
  EXPECT_THROW(patchSubscription(s, json::parse(R"({"timeInterval":5})").as_object(), *jsonld::coreContext(), kNow),
               ngsi::Error);
  EXPECT_EQ(s.doc, before);
}

TEST(Matcher, DefaultTriggersNotifyCreatedAndUpdatedAttributes) {
  auto m = compileMatcher(make(R"({"type":"Subscription","entities":[{"type":"Room"}],
    "notification":{"endpoint":{"uri":"http://h/n"}}})"), *jsonld::coreContext());
  EXPECT_TRUE(triggers(m, {std::nullopt, entity(kRoom), true}, kNow, kNoLinks));
  EXPECT_TRUE(triggers(m, {entity(kRoom), entity(kWarmer), true}, kNow, kNoLinks));
  EXPECT_FALSE(triggers(m, {entity(kRoom), std::nullopt, true}, kNow, kNoLinks)) << "deletion is not a default trigger";
  auto other = entity(R"({"id":"urn:x","type":"Car","temperature":{"type":"Property","value":1}})");
  EXPECT_FALSE(triggers(m, {std::nullopt, other, true}, kNow, kNoLinks));
}

TEST(Matcher, WatchedAttributesAndQDecide) {
  auto m = compileMatcher(make(R"({"type":"Subscription","watchedAttributes":["temperature"],"q":"temperature>25",
    "notification":{"endpoint":{"uri":"http://h/n"}}})"), *jsonld::coreContext());
  EXPECT_TRUE(triggers(m, {entity(kRoom), entity(kWarmer), true}, kNow, kNoLinks));
  EXPECT_FALSE(triggers(m, {entity(kRoom), entity(kDrier), true}, kNow, kNoLinks)) << "q fails on the new state";
  EXPECT_FALSE(triggers(m, {entity(kWarmer), entity(kWarmer), true}, kNow, kNoLinks)) << "nothing watched changed";
}

TEST(Matcher, EntityTriggersAndPausedOrExpiredSubscriptions) {
  auto s = make(R"({"type":"Subscription","entities":[{"type":"Room"}],"notificationTrigger":["entityDeleted"],
    "expiresAt":"2030-01-01T00:00:00Z","notification":{"endpoint":{"uri":"http://h/n"}}})");
  auto m = compileMatcher(s, *jsonld::coreContext());
  EXPECT_TRUE(triggers(m, {entity(kRoom), std::nullopt, true}, kNow, kNoLinks));
  EXPECT_FALSE(triggers(m, {entity(kRoom), entity(kWarmer), true}, kNow, kNoLinks));
  EXPECT_FALSE(triggers(m, {entity(kRoom), std::nullopt, true}, 1'900'000'000'000, kNoLinks)) << "expired";
  m.active = false;
  EXPECT_FALSE(triggers(m, {entity(kRoom), std::nullopt, true}, kNow, kNoLinks));
}
