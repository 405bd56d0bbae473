// Response JSON text: plain numbers, escaping, round trip.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "api/json_text.h"

namespace json = boost::json;
using allmende::api::toJsonText;

TEST(JsonText, PlainNumbers) {
  EXPECT_EQ(toJsonText(json::parse("[21.5, 0.1, 1e300, -3, 18446744073709551615, 2.0]")),
            "[21.5,0.1,1e+300,-3,18446744073709551615,2]");
}

TEST(JsonText, EscapesStringsAndRoundTrips) {
  json::value v = json::parse(R"({"a\"b":"line\nbreak\u0001 \\ é","n":null,"t":true,"o":{},"l":[]})");
  auto text = toJsonText(v);
  EXPECT_EQ(json::parse(text), v);
  EXPECT_NE(text.find("\\u0001"), std::string::npos);
}

TEST(JsonText, EscapesAtEveryPositionOfLongStrings) {
  // The writer skips eight clean bytes at a time: put each special character at
  // every offset of a 20-byte string, next to multi-byte UTF-8.
  for (std::string special : {"\"", "\\", "\n", "\x01", "\x1f", "é"}) {
    for (size_t at = 0; at < 20; ++at) {
      std::string s(20, 'x');
      s.replace(at, 1, special);
      json::value v(s);
      auto text = toJsonText(v);
      EXPECT_EQ(json::parse(text), v) << "special at " << at;
      if (special == "\x1f") {
        EXPECT_NE(text.find("\\u001f"), std::string::npos);
      }
    }
  }
  EXPECT_EQ(toJsonText(json::value("abcdefgh")), "\"abcdefgh\"");
  EXPECT_EQ(toJsonText(json::value("abcdefg\"")), "\"abcdefg\\\"\"");
  EXPECT_EQ(toJsonText(json::value("~~~~~~~~ \x7f")), "\"~~~~~~~~ \x7f\"");
}
