// ProblemDetails details stay valid UTF-8 whatever input they quote.
#include <gtest/gtest.h>

#include "ngsi/error.h"

using namespace allmende::ngsi;

TEST(Error, ValidUtf8IsKept) {
  EXPECT_EQ(validUtf8("plain"), "plain");
  EXPECT_EQ(validUtf8("Stra\xC3\x9F"
                      "e \xE2\x82\xAC \xF0\x9F\x9A\xB2"),
            "Stra\xC3\x9F"
            "e \xE2\x82\xAC \xF0\x9F\x9A\xB2");
}

TEST(Error, InvalidBytesAreEscaped) {
  EXPECT_EQ(validUtf8("urn:a\xFF\xFE"), "urn:a\\xFF\\xFE");
  EXPECT_EQ(validUtf8("cut \xE2\x82"), "cut \\xE2\\x82");            // truncated sequence
  EXPECT_EQ(validUtf8("\xC0\xAF"), "\\xC0\\xAF");                    // overlong '/'
  EXPECT_EQ(validUtf8("\xED\xA0\x80"), "\\xED\\xA0\\x80");           // surrogate
  EXPECT_EQ(validUtf8("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(validUtf8("\xFF\xC3\xA9"), "\\xFF\xC3\xA9");             // valid text after it stays
}

TEST(Error, DetailIsMadeValidUtf8) {
  Error e(ErrorType::BadRequestData, "the entity id 'urn:a\xFF' is not a URI");
  EXPECT_EQ(e.detail(), "the entity id 'urn:a\\xFF' is not a URI");
  EXPECT_STREQ(e.what(), e.detail().c_str());
}
