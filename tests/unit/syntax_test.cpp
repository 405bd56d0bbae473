// Identifier, name, scope, language tag and tenant syntax.
#include <gtest/gtest.h>

#include "ngsi/syntax.h"

using namespace allmende::ngsi;

TEST(Syntax, Uris) {
  EXPECT_TRUE(isUri("urn:ngsi-ld:Building:1"));
  EXPECT_TRUE(isUri("http://example.org/a?b=c"));
  EXPECT_FALSE(isUri("Building1"));
  EXPECT_FALSE(isUri("urn:with space"));
  EXPECT_FALSE(isUri(":nothing"));
  EXPECT_FALSE(isUri("1abc:x"));
}

TEST(Syntax, UrisAreBoundedInLength) {
  std::string longest = "urn:x:" + std::string(maxUriLength() - 6, 'a');
  EXPECT_TRUE(isUri(longest));
  EXPECT_FALSE(isUri(longest + "a"));
  EXPECT_NE(notUriDetail("the entity id", longest + "a").find("--max-uri-length"),
            std::string::npos);
  EXPECT_EQ(notUriDetail("id", "Building1"), "id 'Building1' is not a URI");
  // A long value is quoted shortened, and never cut inside a character.
  auto detail = notUriDetail("id", std::string(199, 'a') + "\xC3\xA9" + std::string(500, 'b'));
  EXPECT_EQ(detail, "id '" + std::string(199, 'a') + "...' is not a URI");
}

TEST(Syntax, Names) {
  EXPECT_TRUE(isValidName("temperature"));
  EXPECT_TRUE(isValidName("ex:temperature"));
  EXPECT_TRUE(isValidName("http://example.org/temperature"));
  EXPECT_FALSE(isValidName(""));
  EXPECT_FALSE(isValidName("a b"));
  EXPECT_FALSE(isValidName("a<b"));
  EXPECT_FALSE(isValidName("a;b"));
}

TEST(Syntax, ScopesLanguagesTenants) {
  EXPECT_TRUE(isValidScope("/Madrid/Centro"));
  EXPECT_FALSE(isValidScope("Madrid"));
  EXPECT_FALSE(isValidScope("/a//b"));
  EXPECT_FALSE(isValidScope("/a/"));
  EXPECT_TRUE(isValidLanguageTag("de-CH"));
  EXPECT_TRUE(isValidLanguageTag("@none"));
  EXPECT_FALSE(isValidLanguageTag("d e"));
  EXPECT_TRUE(isValidTenant("city-a"));
  EXPECT_TRUE(isValidTenant("org:city/district_1"));
  EXPECT_TRUE(isValidTenant("a..b"));
  EXPECT_TRUE(isValidTenant(std::string(63, 'x')));
  EXPECT_FALSE(isValidTenant(std::string(64, 'x')));
  EXPECT_FALSE(isValidTenant("city a"));
  for (auto bad : {"", ".", "..", "../x", "a/../b", "a/./b", ".hidden", "/x", "a//b", "a/"})
    EXPECT_FALSE(isValidTenant(bad)) << bad;
}
