// Sources of distributed operations: which registrations serve an operation,
// the requests they get, how their answers are read and merged.
#include "federation/sources.h"

#include <gtest/gtest.h>

#include "jsonld/core_context.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"

using namespace allmende;
using namespace allmende::federation;
namespace json = boost::json;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;
const std::string kVocab = "https://uri.etsi.org/ngsi-ld/default-context/";

Registration make(const std::string& id, const std::string& members) {
  auto r = createRegistration(
      json::parse(R"({"id":")" + id + R"(","type":"ContextSourceRegistration",)" + members + "}")
          .as_object(),
      *jsonld::coreContext(), kNow);
  return r;
}

ClientRequest client() {
  ClientRequest c;
  c.ctx = jsonld::coreContext().get();
  c.via = "1.1 allmende-test";
  return c;
}

std::string header(const ForwardRequest& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "";
}

}  // namespace

TEST(Sources, ChosenByInformationAndOperations) {
  std::vector<Registration> regs{
      make("urn:r1",
           R"("endpoint":"http://a.example/","information":[{"entities":[{"type":"Building"}]}])"),
      make("urn:r2",
           R"("endpoint":"http://b.example","information":[{"entities":[{"type":"Building"}]}],
                       "operations":["queryEntity"])"),
      make("urn:r3",
           R"("endpoint":"http://c.example","information":[{"entities":[{"type":"Bus"}]}])"),
      make("urn:r4",
           R"("endpoint":"http://d.example","information":[{"entities":[{"type":"Building"}]}],
                       "operations":["updateOps"])")};
  RegistrationQuery q;
  q.types = query::TypeSelection{{kVocab + "Building"}};
  auto sources = sourcesFor(regs, q, {"retrieveEntity", "queryEntity"}, kNow);
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0].operation, "retrieveEntity");  // federationOps by default
  EXPECT_EQ(sources[1].operation, "queryEntity");
  EXPECT_EQ(sourcesFor(regs, q, {"retrieveEntity"}, kNow, true).size(), 3u)
      << "with those lacking it";
}

TEST(Sources, RequestsCarryTheClientsSelectionNarrowed) {
  auto r = make("urn:r1", R"("endpoint":"http://a.example/town/","tenant":"t1","mode":"exclusive",
      "information":[{"entities":[{"id":"urn:b1","type":"Building"}],"propertyNames":["name"]}],
      "management":{"localOnly":true,"timeout":1500},
      "contextSourceInfo":[{"key":"Authorization","value":"Bearer x"},{"key":"X-User","value":"urn:ngsi-ld:request"}])");
  RegistrationQuery q;
  q.ids = {"urn:b1"};
  auto sources = sourcesFor({r}, q, {"retrieveEntity"}, kNow);
  ASSERT_EQ(sources.size(), 1u);
  auto c = client();
  c.headers = {{"x-user", "clerk"}};
  auto get = retrieveRequest(sources[0], c, "urn:b1", {kVocab + "name", kVocab + "height"});
  EXPECT_EQ(get.url, "http://a.example/town/ngsi-ld/v1/entities/urn:b1?attrs=name&local=true");
  EXPECT_EQ(get.timeout.count(), 1500);
  EXPECT_EQ(header(get, "NGSILD-Tenant"), "t1");
  EXPECT_EQ(header(get, "Authorization"), "Bearer x");
  EXPECT_EQ(header(get, "X-User"), "clerk");
  EXPECT_EQ(header(get, "Via"), "1.1 allmende-test");
  auto query = queryRequest(
      sources[0], c, {{"type", "Building"}, {"id", "urn:other,urn:b1"}, {"q", "name==\"a b\""}}, {}, 21);
  EXPECT_EQ(query.url,
            "http://a.example/town/ngsi-ld/v1/entities?type=Building&id=urn:b1&q=name%3D%3D%22a%20b%22"
            "&attrs=name&local=true&limit=21")
      << "of the client's ids, those the source may hold";
  query = queryRequest(sources[0], c, {{"type", "Building"}}, {}, 21);
  EXPECT_EQ(query.url, "http://a.example/town/ngsi-ld/v1/entities?type=Building&id=urn:b1&attrs=name&local=true&limit=21")
      << "an exclusive source's ids when the client names none";
  auto body =
      bodyFor(sources[0],
              json::parse(R"({"id":"urn:b1","type":"Building","name":"n","height":3})").as_object(),
              *jsonld::coreContext());
  EXPECT_EQ(json::serialize(body), R"({"id":"urn:b1","type":"Building","name":"n"})");
}

// The source of a registration of Buildings (id urn:r1) that is queried.
Source buildingSource() {
  auto r =
      make("urn:r1",
           R"("endpoint":"http://a.example","information":[{"entities":[{"type":"Building"}]}])");
  return sourcesFor({r}, {}, {"queryEntity"}, kNow).at(0);
}

TEST(Sources, AnswersAreReadOrWarnedAbout) {
  auto source = buildingSource();
  const auto& ctx = *jsonld::coreContext();
  http::ClientResponse ok{
      true, "", true, 200, "", "", R"([{"id":"urn:b1","type":"Building","name":"n"}])", {}};
  auto a = readAnswer(source, ok);
  ASSERT_EQ(a.entities.size(), 1u);
  EXPECT_TRUE(a.warning.empty());
  auto internal = internalEntity(a.entities[0], ctx);
  ASSERT_TRUE(internal);
  EXPECT_TRUE(internal->at(ngsi::key::attrs).get_object().contains(kVocab + "name"));
  EXPECT_FALSE(internalEntity(json::parse(R"({"id":"urn:b1","type":"Building","name":{"type":"Nonsense"}})")
                                  .as_object(), ctx)) << "an invalid entity is left out";
  http::ClientResponse single{true, "", true, 200, "", "", R"({"id":"urn:b1","type":"Building"})", {}};
  EXPECT_EQ(readAnswer(source, single).entities.size(), 1u) << "one entity as an object";
  http::ClientResponse bad{true, "", true, 200, "", "", "not json", {}};
  EXPECT_EQ(readAnswer(source, bad).warning.substr(0, 12), "111 urn:r1 \"");
  http::ClientResponse forbidden{true, "", true, 403, "", "", "{}", {}};
  EXPECT_EQ(readAnswer(source, forbidden).warning.substr(0, 4), "299 ");
  http::ClientResponse missing{true, "", true, 404, "", "", "{}", {}};
  EXPECT_TRUE(readAnswer(source, missing).warning.empty());
  http::ClientResponse dead{false, "timed out", false, 0, "", "", "", {}};
  EXPECT_NE(readAnswer(source, dead).warning.find("timed out"), std::string::npos);
  EXPECT_EQ(readAnswer(source, dead).warning.substr(0, 4), "199 ") << "no answer (Table 6.3.17-1)";
}

TEST(Sources, TheSourcesSystemTimesAreKept) {
  auto source = buildingSource();
  const auto& ctx = *jsonld::coreContext();
  http::ClientResponse ok{true, "", true, 200, "", "",
                          R"([{"id":"urn:b1","type":"Building","createdAt":"2026-01-01T00:00:00Z",
                               "name":{"type":"Property","value":"n","modifiedAt":"2026-01-02T00:00:00Z"},
                               "height":[{"type":"Property","value":1},
                                         {"type":"Property","value":2,"datasetId":"urn:d",
                                          "createdAt":"2026-01-03T00:00:00Z"}]}])",
                          {}};
  auto a = readAnswer(source, ok);
  ASSERT_EQ(a.entities.size(), 1u);
  auto internal = internalEntity(std::move(a.entities[0]), ctx);  // taken from the answer's arena
  ASSERT_TRUE(internal);
  EXPECT_EQ(internal->at(ngsi::key::createdAt), *ngsi::parseDateTime("2026-01-01T00:00:00Z"));
  const auto& attrs = internal->at(ngsi::key::attrs).as_object();
  EXPECT_EQ(attrs.at(kVocab + "name").at(0).at(ngsi::key::modifiedAt), *ngsi::parseDateTime("2026-01-02T00:00:00Z"));
  const auto& height = attrs.at(kVocab + "height").as_array();
  ASSERT_EQ(height.size(), 2u);
  EXPECT_FALSE(height.at(0).as_object().contains(ngsi::key::createdAt)) << "the first instance said no time";
  EXPECT_EQ(height.at(1).at(ngsi::key::createdAt), *ngsi::parseDateTime("2026-01-03T00:00:00Z"))
      << "the second instance's time stays with it";
}

TEST(Sources, MergeFollowsTheMode) {
  auto entity = [](const std::string& attrs) {
    return json::parse(R"({"id":"urn:b1","type":["T"],"attrs":)" + attrs + "}").as_object();
  };
  Source inclusive, auxiliary, exclusive;
  auxiliary.mode = Mode::Auxiliary;
  exclusive.mode = Mode::Exclusive;
  exclusive.attributes = {"urn:a"};
  auto local = entity(
      R"({"urn:a":[{"type":"Property","value":1}],"urn:b":[{"type":"Property","value":2}]})");
  auto remote = entity(
      R"({"urn:a":[{"type":"Property","value":10}],"urn:c":[{"type":"Property","value":30}]})");
  auto merged = local;
  merge(merged, remote, auxiliary);
  EXPECT_EQ(merged.at("attrs").at("urn:a").at(0).at("value"), 1) << "never overrides";
  EXPECT_EQ(merged.at("attrs").at("urn:c").at(0).at("value"), 30);
  merged = local;
  dropExclusive(merged, exclusive);
  EXPECT_FALSE(merged.at("attrs").get_object().contains("urn:a"));
  merge(merged, remote, exclusive);
  EXPECT_EQ(merged.at("attrs").at("urn:a").at(0).at("value"), 10);
  EXPECT_FALSE(merged.at("attrs").get_object().contains("urn:c")) << "only what it names";
  merged = local;
  merge(merged, remote, inclusive);
  EXPECT_EQ(merged.at("attrs").at("urn:a").at(0).at("value"), 1);
  EXPECT_EQ(merged.at("attrs").get_object().size(), 3u);
}

TEST(Sources, MergeTakesTheLatestObservationOfEachInstance) {
  auto entity = [](const std::string& attrs) {
    return json::parse(R"({"id":"urn:b1","type":["T"],"attrs":)" + attrs + "}").as_object();
  };
  Source inclusive, auxiliary;
  auxiliary.mode = Mode::Auxiliary;
  auto local = entity(R"({"urn:a":[{"type":"Property","value":1,"observedAt":"2026-01-01T00:00:00Z"}]})");
  auto later = entity(R"({"urn:a":[{"type":"Property","value":2,"observedAt":"2026-01-02T00:00:00Z"},
                                   {"type":"Property","value":3,"datasetId":"urn:d"}]})");
  auto merged = local;
  merge(merged, later, inclusive);
  const auto& a = merged.at("attrs").at("urn:a").as_array();
  ASSERT_EQ(a.size(), 2u) << "another datasetId is another instance";
  EXPECT_EQ(a.at(0).at("value"), 2) << "observed later";
  EXPECT_EQ(a.at(1).at("value"), 3);
  merged = later;
  merge(merged, local, inclusive);
  EXPECT_EQ(merged.at("attrs").at("urn:a").at(0).at("value"), 2) << "an older observation does not replace";
  auto undated = entity(R"({"urn:a":[{"type":"Property","value":0}]})");
  merged = undated;
  merge(merged, local, inclusive);
  EXPECT_EQ(merged.at("attrs").at("urn:a").at(0).at("value"), 1) << "an observation beats one that says no time";
  merged = local;
  merge(merged, undated, inclusive);
  EXPECT_EQ(merged.at("attrs").at("urn:a").at(0).at("value"), 1);
  merged = local;
  merge(merged, later, auxiliary);
  EXPECT_EQ(merged.at("attrs").at("urn:a").at(0).at("value"), 1) << "auxiliary never overrides";
  EXPECT_EQ(merged.at("attrs").at("urn:a").as_array().size(), 2u) << "but fills in";
  std::vector<Source> sources(3);
  sources[0].mode = Mode::Auxiliary;
  EXPECT_EQ(mergeOrder(sources), (std::vector<size_t>{1, 2, 0}));
}

TEST(Sources, WritesMaySendJsonLd) {
  auto r = make("urn:r1", R"("endpoint":"http://a.example","information":[{"entities":[{"type":"Building"}]}],
      "operations":["createEntity"],"contextSourceInfo":[{"key":"contentType","value":"application/ld+json"}])");
  auto source = sourcesFor({r}, {}, {"createEntity"}, kNow).at(0);
  auto c = client();
  c.contextUrl = "http://ctx.example/c.jsonld";
  auto w = relayRequest(source, c, "POST", "/entities", {{"local", "true"}}, R"({"id":"urn:b1","type":"Building"})");
  EXPECT_EQ(w.url, "http://a.example/ngsi-ld/v1/entities") << "local is the client's, not the source's";
  EXPECT_EQ(header(w, "Content-Type"), "application/ld+json");
  EXPECT_EQ(header(w, "Link"), "");
  EXPECT_EQ(w.body, R"({"id":"urn:b1","type":"Building","@context":"http://ctx.example/c.jsonld"})");
}
