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
