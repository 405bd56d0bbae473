// History blocks and their merge (history_blocks.h).
#include "store/embedded/history_blocks.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

#include "store/embedded/binary_io.h"
#include "store/embedded/history_codec.h"

namespace allmende::store::history {

using namespace binary;

int64_t blockStart(int64_t timeMs) {
  constexpr int64_t lowest = std::numeric_limits<int64_t>::min();
  if (timeMs < lowest + kBlockMs) return lowest;  // no hour starts before it
  int64_t q = timeMs / kBlockMs;
  if (timeMs % kBlockMs < 0) --q;
  return q * kBlockMs;
}

void appendRecord(std::string& out, int64_t start, const BlockRecord& r) {
  out.push_back(static_cast<char>(r.op));
  putVarint(out, static_cast<uint64_t>(r.timeMs - start));
  putSigned(out, r.recordedMs - r.timeMs);
  putVarint(out, r.seq);
  putBytes(out, r.instance);
}

bool BlockReader::next(BlockRecord& r) {
  if (data_.empty()) return false;
  static const KeyDictionary none;  // records hold no dictionary keys
  Input in(data_, none);
  uint8_t op = in.byte();
  if (op < static_cast<uint8_t>(Op::Add) || op > static_cast<uint8_t>(Op::Remove))
    Input::bad("history block");
  r.op = static_cast<Op>(op);
  uint64_t offset = in.varint();
  if (offset >= static_cast<uint64_t>(kBlockMs)) Input::bad("history block");
  r.timeMs = start_ + static_cast<int64_t>(offset);
  r.recordedMs = r.timeMs + in.signedVarint();
  uint64_t seq = in.varint();
  if (seq > std::numeric_limits<uint32_t>::max()) Input::bad("history block");
  r.seq = static_cast<uint32_t>(seq);
  r.instance = in.bytes();
  auto rest = in.rest();
  data_ = rest;
  return true;
}

namespace {

// A record with its place in the order of application.
struct Applied {
  BlockRecord record;
  size_t order;
};

// The common case, a series written in time order: each operand record is
// later than every record before it, so nothing is replaced or removed and
// the order holds; the block is the existing one with the operands' records
// appended as Add. False (and `block` unfinished) otherwise.
bool appendInOrder(const rocksdb::MergeOperator::MergeOperationInput& in, int64_t start,
                   std::string& block) {
  block.clear();
  BlockRecord r;
  std::optional<int64_t> last;  // the time of the last record so far
  if (in.existing_value) {
    std::string_view existing(in.existing_value->data(), in.existing_value->size());
    BlockReader reader(existing, start);
    while (reader.next(r)) last = r.timeMs;
    block.append(existing);
  }
  for (const auto& operand : in.operand_list) {
    BlockReader reader(std::string_view(operand.data(), operand.size()), start);
    while (reader.next(r)) {
      if (r.op == Op::Remove || (last && r.timeMs <= *last)) return false;
      last = r.timeMs;
      r.op = Op::Add;
      appendRecord(block, start, r);
    }
  }
  return true;
}

}  // namespace

// Applies the existing block and the operands in order: in time order they
// are appended; else all records are gathered with their place, then a
// Replace drops the earlier records of its time and a Remove the earlier
// record with its id, then the rest is sorted.
bool BlockMerge::FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const {
  auto start = blockTimeOf(std::string_view(in.key.data(), in.key.size()));
  if (!start) return false;
  std::vector<Applied> records;
  std::vector<Applied> removes;
  try {
    if (appendInOrder(in, *start, out->new_value)) return true;
    auto gather = [&](const rocksdb::Slice& data) {
      BlockReader reader(std::string_view(data.data(), data.size()), *start);
      BlockRecord r;
      while (reader.next(r)) {
        auto& into = r.op == Op::Remove ? removes : records;
        into.push_back({r, records.size() + removes.size()});
      }
    };
    if (in.existing_value) gather(*in.existing_value);
    for (const auto& operand : in.operand_list) gather(operand);
  } catch (const std::exception&) {
    return false;  // a damaged record: the read or compaction fails instead of losing data
  }
  auto byTime = [](const Applied& a, const Applied& b) {
    const auto &x = a.record, &y = b.record;
    return std::tie(x.timeMs, x.recordedMs, x.seq, a.order) <
           std::tie(y.timeMs, y.recordedMs, y.seq, b.order);
  };
  std::sort(records.begin(), records.end(), byTime);
  // The place of the last Replace of each time; an earlier record of that time goes.
  std::vector<bool> gone(records.size(), false);
  for (size_t i = 0; i < records.size();) {
    size_t end = i, replaced = 0;
    bool any = false;
    for (; end < records.size() && records[end].record.timeMs == records[i].record.timeMs; ++end)
      if (records[end].record.op == Op::Replace && records[end].order >= replaced) {
        replaced = records[end].order;
        any = true;
      }
    if (any)
      for (size_t k = i; k < end; ++k) gone[k] = records[k].order < replaced;
    i = end;
  }
  for (const auto& remove : removes)
    for (size_t k = 0; k < records.size(); ++k)
      if (records[k].record.recordedMs == remove.record.recordedMs &&
          records[k].record.seq == remove.record.seq && records[k].order < remove.order)
        gone[k] = true;
  auto& block = out->new_value;
  block.clear();
  for (size_t k = 0; k < records.size(); ++k) {
    if (gone[k]) continue;
    auto r = records[k].record;
    r.op = Op::Add;
    appendRecord(block, *start, r);
  }
  return true;
}

bool BlockMerge::PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operands,
                                   std::string* out, rocksdb::Logger*) const {
  out->clear();
  for (const auto& operand : operands) out->append(operand.data(), operand.size());
  return true;
}

}  // namespace allmende::store::history
