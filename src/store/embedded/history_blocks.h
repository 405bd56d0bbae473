// History blocks: the embedded store keeps one attribute series' instances of
// one hour in one RocksDB record (key: history_codec.h's blockKey), so that a
// range of time is a few records, not one record per instance. A write adds
// its instances as merge operands (RocksDB's Merge: no read before a write);
// BlockMerge combines them with the block, in compactions and when a read
// meets operands not yet combined.
//
// A block, and a merge operand, is a sequence of records:
//   op (1 byte) | time - block start (varint) | recorded - time (zigzag varint)
//   | seq (varint) | instance (length-prefixed; history_codec.h's encodeInstance)
// Add stores an instance; Replace stores one after removing the instances of
// the same time (the temporal API's create and append); Remove (no instance)
// removes the instance with the record's recorded and seq (its id). Records
// apply in order. A merged block holds only Add records, in (time, recorded,
// seq) order; merging operands into one another appends them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rocksdb/merge_operator.h>

namespace allmende::store::history {

// The span of time of one block: an hour (a 15-minute series puts 4 instances
// in a block, a series every 2.6 s about 1,400).
constexpr int64_t kBlockMs = 3'600'000;

// The start of the block that holds `timeMs` (the hour it falls in).
int64_t blockStart(int64_t timeMs);

enum class Op : uint8_t { Add = 1, Replace = 2, Remove = 3 };

struct BlockRecord {
  Op op = Op::Add;
  int64_t timeMs = 0;
  int64_t recordedMs = 0;
  uint32_t seq = 0;
  std::string_view instance;  // empty for Remove
};

// Appends a record of the block that starts at `start` (r.timeMs must lie in it).
void appendRecord(std::string& out, int64_t start, const BlockRecord& r);

// Reads the records of a block (or operand) that starts at `start`; next()
// throws std::runtime_error on damage.
class BlockReader {
 public:
  BlockReader(std::string_view data, int64_t start) : data_(data), start_(start) {}
  bool next(BlockRecord& r);

 private:
  std::string_view data_;
  int64_t start_;
};

class BlockMerge : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override;
  bool PartialMergeMulti(const rocksdb::Slice& key, const std::deque<rocksdb::Slice>& operands,
                         std::string* out, rocksdb::Logger* logger) const override;
  const char* Name() const override { return "allmende.HistoryBlockMerge"; }
};

}  // namespace allmende::store::history
