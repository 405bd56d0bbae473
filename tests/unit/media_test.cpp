// Accept negotiation and Content-Type checks.
#include <gtest/gtest.h>

#include "api/media.h"
#include "ngsi/error.h"

using namespace allmende;
using api::MediaType;

namespace {
MediaType accept(std::string value, bool geo = true) {
  http::Request req;
  if (!value.empty()) req.headers.emplace_back("accept", value);
  return api::negotiate(req, geo);
}
}  // namespace

TEST(Media, DefaultsAndPreferences) {
  EXPECT_EQ(accept(""), MediaType::Json);
  EXPECT_EQ(accept("*/*"), MediaType::Json);
  EXPECT_EQ(accept("application/ld+json"), MediaType::JsonLd);
  EXPECT_EQ(accept("application/ld+json, application/json"), MediaType::Json);
  EXPECT_EQ(accept("application/json;q=0.5, application/ld+json"), MediaType::JsonLd);
  EXPECT_EQ(accept("application/geo+json"), MediaType::GeoJson);
  EXPECT_EQ(accept("application/json;q=0, */*"), MediaType::JsonLd);
}

TEST(Media, NotAcceptable) {
  EXPECT_THROW(accept("text/plain"), ngsi::Error);
  EXPECT_THROW(accept("application/geo+json", false), ngsi::Error);
}

TEST(Media, BodyTypes) {
  http::Request req;
  req.headers.emplace_back("content-type", "application/ld+json; charset=utf-8");
  EXPECT_EQ(api::bodyMediaType(req, false), MediaType::JsonLd);
  req.headers[0].second = "application/merge-patch+json";
  EXPECT_EQ(api::bodyMediaType(req, true), MediaType::Json);
  EXPECT_THROW(api::bodyMediaType(req, false), ngsi::Error);
  req.headers[0].second = "text/plain";
  EXPECT_THROW(api::bodyMediaType(req, true), ngsi::Error);
}
