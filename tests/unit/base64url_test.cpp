// base64url as tokens and keys use it (RFC 4648 section 5).
#include "auth/base64url.h"

#include <gtest/gtest.h>

namespace allmende::auth {

TEST(Base64Url, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(base64UrlDecode(""), "");
  EXPECT_EQ(base64UrlDecode("Zg"), "f");
  EXPECT_EQ(base64UrlDecode("Zg=="), "f");
  EXPECT_EQ(base64UrlDecode("Zm8"), "fo");
  EXPECT_EQ(base64UrlDecode("Zm9v"), "foo");
  EXPECT_EQ(base64UrlDecode("-_8"), std::string("\xfb\xff", 2)) << "the URL-safe letters";
}

TEST(Base64Url, EncodesWithoutPaddingAndDecodesBack) {
  EXPECT_EQ(base64UrlEncode("f"), "Zg");
  EXPECT_EQ(base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(base64UrlEncode(std::string("\xfb\xff", 2)), "-_8");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(base64UrlDecode(base64UrlEncode(all)), all);
}

TEST(Base64Url, RefusesWhatIsNotBase64Url) {
  EXPECT_FALSE(base64UrlDecode("Zm9v+/")) << "the standard alphabet's letters";
  EXPECT_FALSE(base64UrlDecode("Z")) << "a length no encoding has";
  EXPECT_FALSE(base64UrlDecode("Zh")) << "bits set beyond the last byte (a second spelling of 'f')";
  EXPECT_FALSE(base64UrlDecode("Zm 9v"));
}

}  // namespace allmende::auth
