// Context source registrations: what a registration may hold (checks, the
// stored form with expanded names), PATCH, the stored form's round trip,
// operation groups, and discovery matching.
#include "federation/registration.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "federation/operations.h"
#include "federation/registration_query.h"
#include "jsonld/core_context.h"
#include "ngsi/error.h"
#include "query/q.h"

using namespace allmende;
using namespace allmende::federation;
namespace json = boost::json;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14
const std::string kVocab = "https://uri.etsi.org/ngsi-ld/default-context/";

Registration make(const std::string& text) {
  return createRegistration(json::parse(text).as_object(), *jsonld::coreContext(), kNow);
}

void expectBad(const std::string& text) {
  try {
    make(text);
    ADD_FAILURE() << "accepted: " << text;
  } catch (const ngsi::Error& e) {
    EXPECT_EQ(e.type(), ngsi::ErrorType::BadRequestData) << text;
  }
}

}  // namespace

TEST(Registration, StoresNamesExpandedAndRendersThemCompacted) {
  auto r =
      make(R"({"id":"urn:r1","type":"ContextSourceRegistration","endpoint":"http://town-a.example/",
    "information":[{"entities":[{"type":"Building","idPattern":"^urn:b"}],"propertyNames":["name"],
                    "relationshipNames":["locatedAt"]}],
    "expiresAt":"2035-11-29T14:53:15Z","sourceType":{"type":"Property","value":"sensor"},"status":"ok"})");
  EXPECT_EQ(r.id, "urn:r1");
  const auto& info = r.doc.at("information").get_array()[0].get_object();
  EXPECT_EQ(info.at("entities").get_array()[0].at("type").as_string(), kVocab + "Building");
  EXPECT_EQ(info.at("propertyNames").get_array()[0].as_string(), kVocab + "name");
  EXPECT_TRUE(r.doc.contains(kVocab + "sourceType"));
  EXPECT_FALSE(r.doc.contains("status")) << "read-only members are dropped";
  auto shown = renderRegistration(parseStoredRegistration("urn:r1", serializeRegistration(r)),
                                  *jsonld::coreContext(), false);
  EXPECT_EQ(shown.at("information").get_array()[0].at("propertyNames").get_array()[0], "name");
  EXPECT_EQ(shown.at("sourceType").at("value"), "sensor");
  EXPECT_EQ(shown.at("expiresAt"), "2035-11-29T14:53:15Z") << "times keep the client's text";
  EXPECT_FALSE(shown.contains("createdAt"));
  EXPECT_EQ(*expiresAtMs(r), 2079960795000);
  EXPECT_EQ(modeOf(r), Mode::Inclusive);
}

TEST(Registration, ChecksMembersAndModes) {
  const std::string head = R"({"type":"ContextSourceRegistration","endpoint":"http://x.example",)";
  expectBad(R"({"type":"ContextSourceRegistration","endpoint":"http://x.example"})");
  expectBad(head + R"("information":[{"entities":[{"type":"T","id":"urn:a","idPattern":"a"}]}]})");
  expectBad(head + R"("information":[{"entities":[{}]}]})");
  expectBad(head + R"("information":[{"entities":[{"type":"T"}]}],"mode":"exclusive"})");
  expectBad(head + R"("information":[{"entities":[{"id":"urn:a"}]}],"mode":"exclusive"})");
  expectBad(
      head +
      R"("information":[{"propertyNames":["p"]}],"mode":"auxiliary","operations":["updateOps"]})");
  expectBad(head + R"("information":[{"propertyNames":["p"]}],"management":{"timeout":0}})");
  expectBad(
      head +
      R"("information":[{"propertyNames":["p"]}],"observationInterval":{"startAt":"2021-01-01T00:00:00Z","endAt":"2020-01-01T00:00:00Z"}})");
  auto r = make(
      head +
      R"("information":[{"entities":[{"id":"urn:a"}],"propertyNames":["p"]}],"mode":"exclusive"})");
  EXPECT_EQ(modeOf(r), Mode::Exclusive);
  EXPECT_THROW(patchRegistration(r, json::parse(R"({"information":null})").as_object(),
                                 *jsonld::coreContext(), kNow),
               ngsi::Error);
  patchRegistration(r, json::parse(R"({"mode":"redirect","description":"d"})").as_object(),
                    *jsonld::coreContext(), kNow + 1);
  EXPECT_EQ(modeOf(r), Mode::Redirect);
  EXPECT_EQ(r.modifiedAtMs, kNow + 1);
}

TEST(Registration, OperationGroupsExpand) {
  auto ops = expandOperations({"retrieveOps", "createBatch"});
  EXPECT_EQ(ops,
            (std::set<std::string, std::less<>>{"createBatch", "queryEntity", "retrieveEntity"}));
  EXPECT_TRUE(expandOperations({}).contains("queryBatch")) << "federationOps by default";
  EXPECT_TRUE(isOperationName("redirectionOps"));
  EXPECT_FALSE(isOperationName("flyToTheMoon"));
}

TEST(RegistrationQuery, MatchesInformationThenTheRegistration) {
  auto r = make(R"({"id":"urn:r1","type":"ContextSourceRegistration","endpoint":"http://x.example",
    "information":[{"entities":[{"id":"urn:ngsi-ld:Vehicle:A456","type":"Vehicle"}],"propertyNames":["speed"]},
                   {"entities":[{"idPattern":".*downtown$","type":"Parking"}]}],
    "scope":"/Town/A","location":{"type":"Point","coordinates":[8.68,49.41]},"owner":"town-a"})");
  const auto& ctx = *jsonld::coreContext();
  RegistrationQuery q;
  q.types = query::TypeSelection{{kVocab + "Vehicle"}};
  EXPECT_EQ(matchingInformation(q, r), std::vector<size_t>{0});
  q.attrs = {kVocab + "fuel"};
  EXPECT_TRUE(matchingInformation(q, r).empty());
  q = {};
  q.ids = {"urn:ngsi-ld:Parking:downtown"};
  EXPECT_EQ(matchingInformation(q, r), std::vector<size_t>{1}) << "the idPattern matches the id";
  q = {};
  q.idPattern = ".*A45.$";
  q.idPatternRegex = std::make_shared<re2::RE2>(*q.idPattern);
  EXPECT_EQ(matchingInformation(q, r), (std::vector<size_t>{0, 1}))
      << "the pattern matches the registered id, and may overlap the registered pattern (5.12)";
  q.types = query::TypeSelection{{kVocab + "Vehicle"}};
  EXPECT_EQ(matchingInformation(q, r), std::vector<size_t>{0}) << "the type still counts";
  q = {};
  q.q = query::parseQ("owner==\"town-a\"", ctx);
  EXPECT_TRUE(matches(q, r, kNow));
  q.q = query::parseQ("owner==\"town-b\"", ctx);
  EXPECT_FALSE(matches(q, r, kNow));
  q = {};
  q.csf = query::parseQ("endpoint==\"http://x.example\"", ctx);
  q.scopeQ = query::parseScopeQ("/Town/#");
  EXPECT_TRUE(matches(q, r, kNow));
  q.temporal = query::parseTemporalQ("before", "2030-01-01T00:00:00Z", std::nullopt, std::nullopt,
                                     std::nullopt);
  EXPECT_FALSE(matches(q, r, kNow)) << "no observationInterval";
}
