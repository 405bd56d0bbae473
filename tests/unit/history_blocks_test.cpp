// History blocks: records round-trip relative to their block's start, a full
// merge applies Add, Replace and Remove in order and leaves the block sorted,
// a partial merge followed by a full one gives the same block as a full merge
// of the operands, hours start where they should (negative times too), and
// damaged blocks are rejected.
#include <gtest/gtest.h>

#include <deque>

#include "store/embedded/history_blocks.h"
#include "store/embedded/history_codec.h"

using namespace allmende::store;
using history::BlockRecord;
using history::Op;

namespace {

const int64_t kStart = 1596283200000;  // an hour's start
const std::string kKey =
    history::blockKey(history::seriesPrefix("t", "urn:e:1", "https://example.org/speed", ""), kStart);

std::string operand(std::initializer_list<BlockRecord> records) {
  std::string out;
  for (const auto& r : records) history::appendRecord(out, kStart, r);
  return out;
}

// (time offset, seq, instance) of each record of a block, in its order.
std::vector<std::tuple<int64_t, uint32_t, std::string>> contents(const std::string& block) {
  std::vector<std::tuple<int64_t, uint32_t, std::string>> out;
  history::BlockReader reader(block, kStart);
  BlockRecord r;
  while (reader.next(r)) {
    EXPECT_EQ(r.op, Op::Add) << "a merged block holds only Add records";
    out.emplace_back(r.timeMs - kStart, r.seq, std::string(r.instance));
  }
  return out;
}

std::optional<std::string> fullMerge(const std::string* existing, const std::vector<std::string>& operands) {
  history::BlockMerge merge;
  std::vector<rocksdb::Slice> slices(operands.begin(), operands.end());
  rocksdb::Slice base = existing ? rocksdb::Slice(*existing) : rocksdb::Slice();
  rocksdb::Slice key(kKey);  // the input holds a reference
  rocksdb::MergeOperator::MergeOperationInput in(key, existing ? &base : nullptr, slices, nullptr);
  std::string value;
  rocksdb::Slice result;
  rocksdb::MergeOperator::MergeOperationOutput out(value, result);
  if (!merge.FullMergeV2(in, &out)) return std::nullopt;
  return value;
}

}  // namespace

TEST(HistoryBlocks, HoursStartOnTheHour) {
  EXPECT_EQ(history::blockStart(kStart), kStart);
  EXPECT_EQ(history::blockStart(kStart + 3'599'999), kStart);
  EXPECT_EQ(history::blockStart(kStart + 3'600'000), kStart + 3'600'000);
  EXPECT_EQ(history::blockStart(-1), -3'600'000);
  EXPECT_EQ(history::blockStart(std::numeric_limits<int64_t>::min()), std::numeric_limits<int64_t>::min());
}

TEST(HistoryBlocks, RecordsRoundTrip) {
  BlockRecord in{Op::Replace, kStart + 1234, kStart - 99, 77, "bytes"};
  auto data = operand({in, {Op::Remove, kStart, kStart + 5000, 3, {}}});
  history::BlockReader reader(data, kStart);
  BlockRecord out;
  ASSERT_TRUE(reader.next(out));
  EXPECT_EQ(out.op, Op::Replace);
  EXPECT_EQ(out.timeMs, in.timeMs);
  EXPECT_EQ(out.recordedMs, in.recordedMs);
  EXPECT_EQ(out.seq, 77u);
  EXPECT_EQ(out.instance, "bytes");
  ASSERT_TRUE(reader.next(out));
  EXPECT_EQ(out.op, Op::Remove);
  EXPECT_EQ(out.recordedMs, kStart + 5000);
  EXPECT_FALSE(reader.next(out));
}

TEST(HistoryBlocks, FullMergeAppliesRecordsInOrderAndSorts) {
  auto block = fullMerge(nullptr, {operand({{Op::Add, kStart + 20, kStart + 20, 1, "b"}}),
                                   operand({{Op::Add, kStart + 10, kStart + 10, 2, "a"}}),
                                   operand({{Op::Add, kStart + 10, kStart + 10, 0, "a0"}})});
  ASSERT_TRUE(block);
  using C = std::vector<std::tuple<int64_t, uint32_t, std::string>>;
  EXPECT_EQ(contents(*block), (C{{10, 0, "a0"}, {10, 2, "a"}, {20, 1, "b"}}));

  // A Replace removes what came before it at its time, not what comes after.
  auto replaced = fullMerge(&*block, {operand({{Op::Replace, kStart + 10, kStart + 30, 3, "r"},
                                               {Op::Add, kStart + 10, kStart + 31, 4, "later"}})});
  ASSERT_TRUE(replaced);
  EXPECT_EQ(contents(*replaced), (C{{10, 3, "r"}, {10, 4, "later"}, {20, 1, "b"}}));

  // A Remove takes the instance with its id out; an Add after it with the same id stays
  // (a modification that keeps the instance in its hour).
  auto removed = fullMerge(&*replaced, {operand({{Op::Remove, kStart + 20, kStart + 20, 1, {}},
                                                 {Op::Remove, kStart + 10, kStart + 31, 4, {}},
                                                 {Op::Add, kStart + 15, kStart + 31, 4, "moved"}})});
  ASSERT_TRUE(removed);
  EXPECT_EQ(contents(*removed), (C{{10, 3, "r"}, {15, 4, "moved"}}));

  auto empty = fullMerge(&*removed, {operand({{Op::Remove, kStart, kStart + 30, 3, {}},
                                              {Op::Remove, kStart, kStart + 31, 4, {}}})});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(HistoryBlocks, RecordsInTimeOrderAreAppended) {
  using C = std::vector<std::tuple<int64_t, uint32_t, std::string>>;
  auto base = operand({{Op::Add, kStart + 10, kStart + 10, 1, "a"}});
  auto appended = fullMerge(&base, {operand({{Op::Replace, kStart + 20, kStart + 20, 2, "b"}}),
                                    operand({{Op::Add, kStart + 30, kStart + 30, 3, "c"}})});
  ASSERT_TRUE(appended);
  EXPECT_EQ(contents(*appended), (C{{10, 1, "a"}, {20, 2, "b"}, {30, 3, "c"}}));
  // The same time again is not in order: the later Replace wins, as anywhere.
  auto again = fullMerge(&*appended, {operand({{Op::Replace, kStart + 30, kStart + 40, 4, "c2"}}),
                                      operand({{Op::Replace, kStart + 30, kStart + 41, 5, "c3"}})});
  ASSERT_TRUE(again);
  EXPECT_EQ(contents(*again), (C{{10, 1, "a"}, {20, 2, "b"}, {30, 5, "c3"}}));
  // A Remove after records in order still removes.
  auto removed = fullMerge(&*again, {operand({{Op::Add, kStart + 50, kStart + 50, 6, "d"},
                                              {Op::Remove, kStart + 10, kStart + 10, 1, {}}})});
  ASSERT_TRUE(removed);
  EXPECT_EQ(contents(*removed), (C{{20, 2, "b"}, {30, 5, "c3"}, {50, 6, "d"}}));
}

TEST(HistoryBlocks, PartialMergeKeepsTheMeaningOfItsOperands) {
  std::vector<std::string> operands = {operand({{Op::Add, kStart + 5, kStart, 1, "x"}}),
                                       operand({{Op::Replace, kStart + 5, kStart, 2, "y"}}),
                                       operand({{Op::Remove, kStart + 5, kStart, 2, {}}}),
                                       operand({{Op::Add, kStart + 1, kStart, 3, "z"}})};
  history::BlockMerge merge;
  std::deque<rocksdb::Slice> slices(operands.begin(), operands.end());
  std::string partial;
  ASSERT_TRUE(merge.PartialMergeMulti(kKey, slices, &partial, nullptr));
  std::string base = operand({{Op::Add, kStart + 5, kStart - 10, 0, "old"}});
  EXPECT_EQ(fullMerge(&base, {partial}), fullMerge(&base, operands));
  EXPECT_EQ(contents(*fullMerge(&base, operands)),
            (std::vector<std::tuple<int64_t, uint32_t, std::string>>{{1, 3, "z"}}));
}

TEST(HistoryBlocks, DamagedBlocksAreRejected) {
  BlockRecord r;
  std::string outOfHour = operand({{Op::Add, kStart, kStart, 0, "a"}});
  outOfHour[1] = '\xff';  // a time offset that runs on
  for (std::string bad : {std::string("\x09", 1), std::string("\x01\x80", 2), outOfHour,
                          operand({{Op::Add, kStart, kStart, 0, "abc"}}).substr(0, 5)}) {
    history::BlockReader reader(bad, kStart);
    EXPECT_THROW(while (reader.next(r)) {}, std::runtime_error);
    EXPECT_FALSE(fullMerge(nullptr, {bad})) << "a merge fails rather than drop data";
  }
  EXPECT_FALSE(fullMerge(nullptr, {operand({})}) == std::nullopt) << "an empty operand is fine";
}
