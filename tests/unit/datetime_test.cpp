// ISO 8601 parsing and UTC formatting.
#include <gtest/gtest.h>

#include "ngsi/datetime.h"

using namespace allmende::ngsi;

TEST(DateTime, ParsesCommonForms) {
  EXPECT_EQ(parseDateTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parseDateTime("1970-01-01T00:00:01.5Z"), 1500);
  EXPECT_EQ(parseDateTime("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parseDateTime("2020-02-29T12:00:00.123456Z"), 1582977600123);
  EXPECT_TRUE(parseDateTime("2020-01-01T10:00"));
}

TEST(DateTime, RejectsGarbage) {
  EXPECT_FALSE(parseDateTime(""));
  EXPECT_FALSE(parseDateTime("yesterday"));
  EXPECT_FALSE(parseDateTime("2020-13-01T00:00:00Z"));
  EXPECT_FALSE(parseDateTime("2021-02-29T00:00:00Z"));
  EXPECT_FALSE(parseDateTime("2020-01-01T25:00:00Z"));
  EXPECT_FALSE(parseDateTime("2020-01-01T00:00:00Zjunk"));
}

TEST(DateTime, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(formatDateTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatDateTime(1582977600123), "2020-02-29T12:00:00.123Z");
  EXPECT_EQ(formatDateTime(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(formatDateTime(253402300799999), "9999-12-31T23:59:59.999Z");
  auto now = nowMs();
  EXPECT_EQ(parseDateTime(formatDateTime(now)), now);
}
