// store::PeriodFold: where periods start and end, what they count.
#include "store/history_periods.h"

#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace allmende::store {
namespace {

HistoryValue valued(boost::json::value v) {
  HistoryValue h;
  h.value = std::move(v);
  return h;
}

std::vector<HistoryPeriod> fold(std::optional<int64_t> origin, int64_t periodMs, bool distinct,
                                const std::vector<std::pair<int64_t, HistoryValue>>& values) {
  std::vector<HistoryPeriod> out;
  PeriodFold f(origin, periodMs, distinct, [&out](const HistoryPeriod& p) { out.push_back(p); });
  for (const auto& [t, v] : values) f.add(t, v);
  f.finish();
  return out;
}

TEST(PeriodFold, PeriodsStartAtTheOriginAndSkipEmptyOnes) {
  auto periods = fold(100, 10, false, {{105, valued(1)}, {109, valued(3)}, {131, valued(5)}});
  ASSERT_EQ(periods.size(), 2u);
  EXPECT_EQ(periods[0].startMs, 100);
  EXPECT_EQ(periods[0].lastMs, 109);
  EXPECT_EQ(periods[0].numbers, 2u);
  EXPECT_DOUBLE_EQ(periods[0].sum, 4);
  EXPECT_DOUBLE_EQ(periods[0].sumsq, 10);
  EXPECT_DOUBLE_EQ(periods[0].min, 1);
  EXPECT_DOUBLE_EQ(periods[0].max, 3);
  EXPECT_EQ(periods[1].startMs, 130);
  EXPECT_EQ(periods[1].values, 1u);
}

TEST(PeriodFold, WithoutOriginTheFirstTimeIsIt) {
  auto periods = fold(std::nullopt, 10, false, {{7, valued(1)}, {16, valued(1)}, {17, valued(1)}});
  ASSERT_EQ(periods.size(), 2u);
  EXPECT_EQ(periods[0].startMs, 7);
  EXPECT_EQ(periods[1].startMs, 17);
}

TEST(PeriodFold, OnePeriodWithoutDuration) {
  auto periods = fold(std::nullopt, 0, false, {{7, valued(1)}, {1000, valued(2)}});
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_EQ(periods[0].startMs, 7);
  EXPECT_EQ(periods[0].lastMs, 1000);
  EXPECT_EQ(periods[0].values, 2u);
}

TEST(PeriodFold, DeletionsAndNonNumbersCountOnlyWhereTheyShould) {
  auto periods = fold(0, 10, true,
                      {{1, valued("a")},
                       {2, valued("a")},
                       {3, valued(2)},
                       {4, HistoryValue{}},
                       {15, HistoryValue{}}});
  ASSERT_EQ(periods.size(), 2u);
  EXPECT_EQ(periods[0].values, 3u);
  EXPECT_EQ(periods[0].distinct, 2u);
  EXPECT_EQ(periods[0].numbers, 1u);
  EXPECT_EQ(periods[0].lastMs, 4);
  EXPECT_EQ(periods[1].values, 0u);  // deletions only: visited, counts nothing
  EXPECT_EQ(periods[1].distinct, 0u);
}

}  // namespace
}  // namespace allmende::store
