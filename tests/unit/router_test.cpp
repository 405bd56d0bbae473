// Route matching, path parameter decoding, 404 vs 405.
#include <gtest/gtest.h>

#include "http/router.h"

using namespace allmende::http;

TEST(Router, MatchesAndDecodes) {
  Router r;
  int hit = 0;
  r.add("GET", "/ngsi-ld/v1/entities/{}", [&](Request&) { hit = 1; return Response{}; });
  r.add("GET", "/ngsi-ld/v1/entities/{}/attrs/{}", [&](Request&) { hit = 2; return Response{}; });
  Request req;
  req.method = "GET";
  req.path = "/ngsi-ld/v1/entities/urn%3Angsi-ld%3AX%3A1/attrs/temp";
  auto m = r.match(req);
  ASSERT_TRUE(std::holds_alternative<const Router::Handler*>(m));
  (*std::get<const Router::Handler*>(m))(req);
  EXPECT_EQ(hit, 2);
  ASSERT_EQ(req.pathParams.size(), 2u);
  EXPECT_EQ(req.pathParams[0], "urn:ngsi-ld:X:1");
  req.method = "DELETE";
  EXPECT_EQ(std::get<Router::Miss>(r.match(req)), Router::Miss::MethodNotAllowed);
  req.path = "/nothing";
  EXPECT_EQ(std::get<Router::Miss>(r.match(req)), Router::Miss::NotFound);
}

TEST(Target, SplitsAndDecodesQuery) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  ASSERT_TRUE(parseTarget("/a?q=temp%3E20&attrs=a,b", path, query));
  EXPECT_EQ(path, "/a");
  ASSERT_EQ(query.size(), 2u);
  EXPECT_EQ(query[0].second, "temp>20");
  query.clear();
  EXPECT_FALSE(parseTarget("/a?q=%zz", path, query));
}

TEST(Target, DotSegmentsDecodedAsOftenAsTheyDecode) {
  for (const char* dots : {".", "..", "%2e", "%2E%2e", "%252e%252e", "%25252e."})
    EXPECT_TRUE(isDotSegment(dots)) << dots;
  for (const char* name : {"", "...", "a..", "%2e%2ex", "%zz", "speed", "%2"})
    EXPECT_FALSE(isDotSegment(name)) << name;
}

TEST(Router, ReportsTheMatchedRoutesFamily) {
  Router r;
  r.add("GET", "/version", [](Request&) { return Response{}; });
  r.beginFamily(3);
  r.add("GET", "/ngsi-ld/v1/entities/{}", [](Request&) { return Response{}; });
  Request req;
  req.method = "GET";
  req.path = "/ngsi-ld/v1/entities/x";
  r.match(req);
  EXPECT_EQ(req.family, 3);
  req.path = "/version";
  r.match(req);
  EXPECT_EQ(req.family, 0) << "routes added before any family are in family 0";
}
