// Response JSON text: plain numbers, escaping, round trip.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/json_text.h"

namespace json = boost::json;
using allmende::toJsonText;

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

TEST(JsonText, ReplacesBytesThatAreNotUtf8) {
  // Found by fuzz/fuzz_http.cpp: a 404's detail echoed a path holding 0x9b, and the
  // body was no JSON. Each byte that does not begin well-formed UTF-8 becomes U+FFFD.
  EXPECT_EQ(toJsonText(json::value("/ngsi-\x9b\x9b/v1")), "\"/ngsi-\xEF\xBF\xBD\xEF\xBF\xBD/v1\"");
  for (std::string bad : {"\xff", "\xc3", "\xc0\xaf", "\xe2\x82", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80"}) {
    for (size_t at = 0; at < 12; ++at) {
      std::string s(12, 'x');
      s.insert(at, bad);
      auto text = toJsonText(json::value(s));
      json::error_code ec;
      json::parse(text, ec);
      EXPECT_FALSE(ec) << "invalid sequence of " << bad.size() << " bytes at " << at;
    }
  }
  for (std::string good : {"é", "€", "\xf0\x9d\x84\x9e", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"}) {
    std::string s = "12345678" + good + "12345678";
    EXPECT_EQ(toJsonText(json::value(s)), "\"" + s + "\"");
  }
}

TEST(JsonText, BoundedTextStopsOnceLongerThanTheLimit) {
  json::value v = json::parse(R"([{"id":"a","n":1},{"id":"b","n":2},{"id":"c","n":3}])");
  auto whole = toJsonText(v);
  auto fits = toJsonText(v, whole.size());
  ASSERT_TRUE(fits);
  EXPECT_EQ(*fits, whole);
  EXPECT_FALSE(toJsonText(v, whole.size() - 1));
  EXPECT_FALSE(toJsonText(json::value(std::string(100, 'x')), 50));  // one long string
  EXPECT_FALSE(toJsonText(json::value(json::array{1, 2, 3}), 0));
}
