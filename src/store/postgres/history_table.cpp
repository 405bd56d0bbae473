// The attribute history in PostgreSQL (history_table.h). Each instance is a
// row of `history`, partitioned by the UTC month of its time. A scan reads one
// series (entity, attribute, datasetId) in (time_ms, seq) order, a page at a
// time from where the last page ended (keyset pagination), with a connection
// of the pool for each page only: memory stays bounded and a visit that stops
// ends the reading. Writes go straight into their month's partition, made
// beforehand by ensurePartitions on a connection of its own with CREATE TABLE
// and ATTACH PARTITION: unlike CREATE TABLE ... PARTITION OF, ATTACH does not
// wait for the transactions that write history (the caller's among them), and
// a transaction that wrote history before the partition existed finds it by
// its name where it would not through `history`.
#include "store/postgres/history_table.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>

#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>

#include "ngsi/datetime.h"
#include "store/embedded/history_codec.h"

namespace allmende::store::pg {

namespace json = boost::json;

namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kDayMs = 86'400'000;
// The advisory lock under which the brokers of one database make partitions.
constexpr int64_t kPartitionLock = 0x416c6d656e6468;
// Rows per page of a scan: a small first page for scans that stop early (lastN).
constexpr size_t kFirstPage = 128;
constexpr size_t kPage = 1024;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A UTC month, whose instances are in the partition history_YYYYMM.
struct Month {
  int64_t year;
  int month;  // 1..12
  Month next() const { return month == 12 ? Month{year + 1, 1} : Month{year, month + 1}; }
};

// Days since 1970-01-01 of a date and back (H. Hinnant's civil calendar algorithms).
int64_t daysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Month monthOf(int64_t ms) {
  int64_t z = ms / kDayMs - (ms % kDayMs < 0 ? 1 : 0) + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2), month};
}

// Where the month starts (epoch ms); nullopt for a month that starts before
// the first time an int64 holds, or after the last.
std::optional<int64_t> startOf(Month m) {
  int64_t ms = 0;
  if (__builtin_mul_overflow(daysFromCivil(m.year, m.month, 1), kDayMs, &ms)) return std::nullopt;
  return ms;
}

// The key of a month in partitions_: its start (the first month's: INT64_MIN).
int64_t keyOf(Month m) {
  return startOf(m).value_or(kMin);
}

std::string nameOf(Month m) {
  std::string year = std::to_string(m.year < 0 ? -m.year : m.year);
  if (year.size() < 4) year.insert(0, 4 - year.size(), '0');
  return "history_" + std::string(m.year < 0 ? "m" : "") + year + (m.month < 10 ? "0" : "") +
         std::to_string(m.month);
}

// The month of a partition named by nameOf; nullopt for another name.
std::optional<Month> monthOfName(std::string_view name) {
  constexpr std::string_view prefix = "history_";
  if (!name.starts_with(prefix)) return std::nullopt;
  name.remove_prefix(prefix.size());
  bool negative = name.starts_with('m');
  if (negative) name.remove_prefix(1);
  if (name.size() < 6) return std::nullopt;
  int64_t year = 0;
  int month = 0;
  auto yearText = name.substr(0, name.size() - 2), monthText = name.substr(name.size() - 2);
  auto y = std::from_chars(yearText.data(), yearText.data() + yearText.size(), year);
  auto m = std::from_chars(monthText.data(), monthText.data() + monthText.size(), month);
  if (y.ec != std::errc() || y.ptr != yearText.data() + yearText.size() || m.ec != std::errc() ||
      m.ptr != monthText.data() + monthText.size() || month < 1 || month > 12)
    return std::nullopt;
  return Month{negative ? -year : year, month};
}

// The months that have a partition in the database.
std::vector<Month> partitionsIn(Connection& c) {
  auto r = c.exec(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = to_regclass('history')");
  std::vector<Month> out;
  for (size_t i = 0; i < r.rows(); ++i)
    if (auto m = monthOfName(r.text(i, 0))) out.push_back(*m);
  return out;
}

// A whole int64 written as text (a jsonb number), else nullopt.
std::optional<int64_t> integerOf(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The page statements of a scan: `columns` after time_ms, seq and recorded_ms.
// The series' index (tenant, entity, attribute, dataset, time_ms, seq) gives
// the order; the bounds on time_ms leave out the partitions outside the range.
std::string pageSql(std::string_view columns, bool newestFirst) {
  std::string direction = newestFirst ? " DESC" : "";
  return "SELECT time_ms, seq, recorded_ms, " + std::string(columns) +
         " FROM history WHERE tenant = $1 AND entity = $2 AND attribute = $3 AND dataset = $4"
         " AND time_ms >= $5 AND time_ms < $6 AND (time_ms, seq) " +
         (newestFirst ? "<" : ">") + " ($7, $8) ORDER BY time_ms" + direction + ", seq" +
         direction + " LIMIT $9";
}

// Calls row(result, i) for each row of the scan's range (from the cutoff on)
// in its order, until it returns false.
template <typename Row>
void scanPages(Pool& pool, std::string_view tenant, const HistoryScan& scan, int64_t cutoff,
               const std::string& sql, Row&& row) {
  int64_t from = std::max(scan.fromMs, cutoff), to = scan.toMs;
  if (from >= to) return;
  // After the last row read: time and seq (seq -1: before or after every row of that time).
  int64_t lastTime = scan.newestFirst ? to : from, lastSeq = -1;
  for (size_t limit = kFirstPage;; limit = std::min(limit * 4, kPage)) {
    Result r;
    {
      auto c = pool.take();  // given back before the visits
      r = c->exec(sql, Params()
                           .add(tenant)
                           .add(scan.entityId)
                           .add(scan.attribute)
                           .add(scan.datasetId)
                           .add(from)
                           .add(to)
                           .add(lastTime)
                           .add(lastSeq)
                           .add(static_cast<int64_t>(limit)));
    }
    for (size_t i = 0; i < r.rows(); ++i)
      if (!row(r, i)) return;
    if (r.rows() < limit) return;
    lastTime = r.number(r.rows() - 1, 0);
    lastSeq = r.number(r.rows() - 1, 1);
    if (scan.newestFirst)  // the next page is at or before lastTime
      to = lastTime == kMax ? to : lastTime + 1;
    else
      from = lastTime;
  }
}

const std::string& instanceSql(bool newestFirst) {
  static const std::string oldest = pageSql("instance", false), newest = pageSql("instance", true);
  return newestFirst ? newest : oldest;
}

// What history_codec's decodeValue reads: the type, the times, expiresAt and
// the value member (one of them; a deletion's is left out afterwards).
const std::string& valueSql(bool newestFirst) {
  static constexpr std::string_view columns =
      "CASE WHEN json_typeof(instance->'type') = 'string' THEN instance->>'type' END, "
      "instance->'createdAt', instance->'modifiedAt', instance->'deletedAt', "
      "CASE WHEN json_typeof(instance->'expiresAt') = 'string' THEN instance->>'expiresAt' END, "
      "coalesce(instance->'value', instance->'object', instance->'languageMap', "
      "instance->'vocab', instance->'json', instance->'valueList', instance->'objectList')";
  static const std::string oldest = pageSql(columns, false), newest = pageSql(columns, true);
  return newestFirst ? newest : oldest;
}

// Parses a stored instance into `into` (in the storage `into` has).
void parseInstance(json::parser& parser, std::string_view text, json::object& into) {
  parser.reset(into.storage());
  parser.write(text);
  auto value = parser.release();
  if (!value.is_object()) throw std::runtime_error("a history instance that is not an object");
  into = std::move(value.get_object());
}

// What the aggregation columns hold of an instance: its value when that is a
// number, whether it has a value (a deletion has none), when it expires.
struct ValueColumns {
  std::optional<double> number;
  bool hasValue = false;
  std::optional<int64_t> expiresMs;
};

ValueColumns valueColumns(const HistoryInstance& instance) {
  auto v = valueOf(instance);
  ValueColumns out;
  out.hasValue = v.value.has_value();
  if (v.value && v.value->is_number()) out.number = v.value->to_number<double>();
  if (!v.expiresAt.empty()) out.expiresMs = ngsi::parseDateTime(v.expiresAt);
  return out;
}

// The instances of the aggregation's range, as a condition on the history
// columns named with `prefix`.
std::string aggregatedRange(const std::string& prefix) {
  return prefix + "tenant = $1 AND " + prefix + "entity = $2 AND " + prefix +
         "attribute = $3 AND " + prefix + "dataset = $4 AND " + prefix + "time_ms >= $5 AND " +
         prefix + "time_ms < $6 AND (" + prefix + "expires_ms IS NULL OR " + prefix +
         "expires_ms > $9)";
}

// The aggregation's statement: the series' first instance in range gives the
// origin (unless $7 does) and the kind; its instances are grouped by period
// ($8 ms; 0 = one). With `distinct`, the distinct values are counted too.
std::string aggregateSql(bool distinct) {
  std::string sql =
      "SELECT CASE WHEN $8::bigint = 0 THEN 0 ELSE (h.time_ms - o.origin) / $8::bigint END, "
      "o.origin, o.kind, max(h.time_ms), count(*) FILTER (WHERE h.has_value), "
      "count(h.value_number), coalesce(sum(h.value_number), 0), "
      "coalesce(sum(h.value_number * h.value_number), 0), min(h.value_number), max(h.value_number)";
  if (distinct)
    sql +=
        ", count(DISTINCT CASE WHEN h.has_value THEN coalesce(h.instance->'value', "
        "h.instance->'object', h.instance->'languageMap', h.instance->'vocab', h.instance->'json', "
        "h.instance->'valueList', h.instance->'objectList')::jsonb END)";
  return sql +
         " FROM (SELECT coalesce($7::bigint, time_ms) AS origin, "
         "CASE WHEN json_typeof(instance->'type') = 'string' THEN instance->>'type' END AS kind "
         "FROM history WHERE " +
         aggregatedRange("") + " ORDER BY time_ms, seq LIMIT 1) o CROSS JOIN history h WHERE " +
         aggregatedRange("h.") + " GROUP BY 1, 2, 3 ORDER BY 1";
}

// The instances of a write that are stored: those the retention keeps, and
// with replaceSameTime, of those of one series and time only the last one.
std::vector<const HistoryInstance*> storedInstances(const HistoryWrite& h, int64_t cutoff) {
  std::vector<const HistoryInstance*> kept;
  for (const auto& instance : h.instances)
    if (instance.timeMs >= cutoff) kept.push_back(&instance);
  if (!h.replaceSameTime) return kept;
  std::set<std::tuple<std::string_view, std::string_view, int64_t>> seen;
  std::vector<const HistoryInstance*> last;
  for (auto it = kept.rbegin(); it != kept.rend(); ++it)
    if (seen.emplace((*it)->attribute, (*it)->datasetId, (*it)->timeMs).second) last.push_back(*it);
  return {last.rbegin(), last.rend()};
}

// A record as it was before need not be written again where it is stored.
void writeEntityRecord(Batch& b, std::string_view tenant, std::string_view id,
                       const HistoryEntity& entity, bool asBefore) {
  Params p;
  p.add(tenant).add(id).add(arrayOf(entity.types)).add(entity.createdAtMs).add(entity.deletedAtMs);
  if (asBefore)
    b.add(
        "INSERT INTO history_entities (tenant, id, types, created_at, deleted_at) "
        "VALUES ($1, $2, $3::text[], $4, $5) ON CONFLICT (tenant, id) DO NOTHING",
        p);
  else
    b.add(
        "INSERT INTO history_entities (tenant, id, types, created_at, deleted_at) "
        "VALUES ($1, $2, $3::text[], $4, $5) ON CONFLICT (tenant, id) DO UPDATE SET "
        "types = EXCLUDED.types, created_at = EXCLUDED.created_at, "
        "deleted_at = EXCLUDED.deleted_at",
        p);
}

}  // namespace

HistoryTable::HistoryTable(Pool& pool, const ReadRoute& reads, int64_t retentionMs)
    : pool_(pool), reads_(reads), retentionMs_(retentionMs) {
  auto c = pool_.take();  // (before the schema exists: no partitions)
  for (auto m : partitionsIn(*c)) partitions_.insert(keyOf(m));
}

int64_t HistoryTable::cutoffMs() const {
  return retentionMs_ > 0 ? nowMs() - retentionMs_ : kMin;
}

// On a connection that is not of the pool: the caller holds one of its
// connections, and every other one may be held by a writer waiting here.
void HistoryTable::ensurePartitions(const std::vector<int64_t>& timesMs) {
  auto missing = [&] {
    std::map<int64_t, Month> out;
    std::lock_guard lock(partitionsMutex_);
    for (auto t : timesMs) {
      auto m = monthOf(t);
      if (!partitions_.contains(keyOf(m))) out.emplace(keyOf(m), m);
    }
    return out;
  };
  if (missing().empty()) return;
  std::lock_guard creating(creatingMutex_);
  auto months = missing();  // another thread may have made them meanwhile
  if (months.empty()) return;
  Connection side(pool_.conninfo());
  Transaction t(side);
  side.exec("SELECT pg_advisory_xact_lock($1)", Params().add(kPartitionLock));
  std::set<int64_t> existing;
  for (auto m : partitionsIn(side)) existing.insert(keyOf(m));
  for (const auto& [key, m] : months) {
    if (existing.contains(key)) continue;
    auto lower = startOf(m), upper = startOf(m.next());
    auto name = nameOf(m);
    side.run("CREATE TABLE IF NOT EXISTS " + name +
             " (LIKE history INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
    side.run("ALTER TABLE history ATTACH PARTITION " + name + " FOR VALUES FROM (" +
             (lower ? std::to_string(*lower) : "MINVALUE") + ") TO (" +
             (upper ? std::to_string(*upper) : "MAXVALUE") + ")");
  }
  t.commit();
  std::lock_guard lock(partitionsMutex_);
  for (const auto& [key, m] : months) partitions_.insert(key);
}

// Instances older than the retention are left out (they would never be
// answered); the others go into their month's partition, one statement per
// month, with a sequence number each in their order.
void HistoryTable::add(Batch& b, std::string_view tenant, std::string_view id,
                       const HistoryWrite& h) {
  auto kept = storedInstances(h, cutoffMs());
  if (!kept.empty()) {
    std::vector<int64_t> times;
    for (const auto* instance : kept) times.push_back(instance->timeMs);
    ensurePartitions(times);
  }
  std::map<int64_t, std::pair<Month, std::vector<const HistoryInstance*>>> byMonth;
  for (const auto* instance : kept) {
    auto m = monthOf(instance->timeMs);
    byMonth.try_emplace(keyOf(m), m, std::vector<const HistoryInstance*>())
        .first->second.second.push_back(instance);
  }
  for (const auto& [_, month] : byMonth) {
    std::vector<std::string_view> attributes, datasetIds;
    std::vector<int64_t> timesMs, recordedMs;
    std::vector<std::string> texts;
    std::vector<std::optional<double>> numbers;
    std::vector<bool> hasValues;
    std::vector<std::optional<int64_t>> expiresMs;
    for (const auto* instance : month.second) {
      attributes.push_back(instance->attribute);
      datasetIds.push_back(instance->datasetId);
      timesMs.push_back(instance->timeMs);
      recordedMs.push_back(instance->recordedMs);
      texts.push_back(json::serialize(instance->instance));
      auto columns = valueColumns(*instance);
      numbers.push_back(columns.number);
      hasValues.push_back(columns.hasValue);
      expiresMs.push_back(columns.expiresMs);
    }
    auto name = nameOf(month.first);
    if (h.replaceSameTime)
      b.add("DELETE FROM " + name +
                " h USING unnest($3::text[], $4::text[], $5::bigint[]) AS x(a, d, t) "
                "WHERE h.tenant = $1 AND h.entity = $2 AND h.attribute = x.a "
                "AND h.dataset = x.d AND h.time_ms = x.t",
            Params()
                .add(tenant)
                .add(id)
                .add(arrayLiteral(attributes))
                .add(arrayLiteral(datasetIds))
                .add(arrayLiteral(timesMs)));
    b.add("INSERT INTO " + name +
              " (tenant, entity, attribute, dataset, time_ms, recorded_ms, seq, instance, "
              "value_number, has_value, expires_ms) "
              "SELECT $1, $2, a, d, t, r, nextval('history_seq'), i::json, v, h, e "
              "FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], "
              "$8::float8[], $9::boolean[], $10::bigint[]) "
              "WITH ORDINALITY AS x(a, d, t, r, i, v, h, e, n) ORDER BY n",
          Params()
              .add(tenant)
              .add(id)
              .add(arrayLiteral(attributes))
              .add(arrayLiteral(datasetIds))
              .add(arrayLiteral(timesMs))
              .add(arrayLiteral(recordedMs))
              .add(arrayOf(texts))
              .add(arrayLiteral(numbers))
              .add(arrayLiteral(hasValues))
              .add(arrayLiteral(expiresMs)));
  }
  if (h.entity) writeEntityRecord(b, tenant, id, *h.entity, h.entityAsBefore);
}

std::vector<HistoryEntity> HistoryTable::entities(std::string_view tenant) const {
  auto c = reads_.pool().take();
  auto r = c->exec(
      "SELECT id, types, created_at, deleted_at FROM history_entities WHERE tenant = $1 "
      "ORDER BY id COLLATE \"C\"",
      Params().add(tenant));
  std::vector<HistoryEntity> out;
  out.reserve(r.rows());
  for (size_t i = 0; i < r.rows(); ++i)
    out.push_back(
        {std::string(r.text(i, 0)), parseArray(r.text(i, 1)), r.number(i, 2), r.number(i, 3)});
  return out;
}

std::optional<HistoryEntity> HistoryTable::entity(std::string_view tenant,
                                                  std::string_view id) const {
  auto c = reads_.pool().take();
  auto r = c->exec(
      "SELECT types, created_at, deleted_at FROM history_entities WHERE tenant = $1 AND id = $2",
      Params().add(tenant).add(id));
  if (r.rows() == 0) return std::nullopt;
  return HistoryEntity{std::string(id), parseArray(r.text(0, 0)), r.number(0, 1), r.number(0, 2)};
}

// One index descent per series (a skip scan: each step looks for the first
// series after the last one), over the instances the retention keeps; sorted
// here in byte order, which the database's collation need not be.
std::vector<std::pair<std::string, std::string>> HistoryTable::attributes(
    std::string_view tenant, std::string_view id) const {
  auto c = reads_.pool().take();
  auto r = c->exec(
      "WITH RECURSIVE s(attribute, dataset) AS ("
      " (SELECT attribute, dataset FROM history WHERE tenant = $1 AND entity = $2"
      "  AND time_ms >= $3 ORDER BY attribute, dataset LIMIT 1)"
      " UNION ALL"
      " SELECT n.attribute, n.dataset FROM s, LATERAL ("
      "  SELECT attribute, dataset FROM history WHERE tenant = $1 AND entity = $2"
      "  AND time_ms >= $3 AND (attribute, dataset) > (s.attribute, s.dataset)"
      "  ORDER BY attribute, dataset LIMIT 1) n"
      ") SELECT attribute, dataset FROM s",
      Params().add(tenant).add(id).add(cutoffMs()));
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(r.rows());
  for (size_t i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0), r.text(i, 1));
  std::sort(out.begin(), out.end());
  return out;
}

void HistoryTable::scan(std::string_view tenant, const HistoryScan& scan,
                        const std::function<bool(HistoryInstance&)>& visit) const {
  HistoryInstance h{{}, {}, 0, 0, json::object(scan.storage), json::string(scan.storage)};
  json::parser parser;
  scanPages(reads_.pool(), tenant, scan, cutoffMs(), instanceSql(scan.newestFirst),
            [&](const Result& r, size_t i) {
              h.attribute.clear();
              h.datasetId.clear();
              h.timeMs = r.number(i, 0);
              h.recordedMs = r.number(i, 2);
              if (scan.instanceIds)
                history::writeInstanceId(h.recordedMs, static_cast<uint32_t>(r.number(i, 1)),
                                         h.instanceId);
              else
                h.instanceId.clear();
              parseInstance(parser, r.text(i, 3), h.instance);
              return visit(h);
            });
}

void HistoryTable::scanValues(std::string_view tenant, const HistoryScan& scan,
                              const std::function<bool(HistoryValue&)>& visit) const {
  HistoryValue v;
  scanPages(reads_.pool(), tenant, scan, cutoffMs(), valueSql(scan.newestFirst),
            [&](const Result& r, size_t i) {
              v.timeMs = r.number(i, 0);
              v.recordedMs = r.number(i, 2);
              v.kind = r.text(i, 3);
              v.createdAtMs = integerOf(r.text(i, 4));
              v.modifiedAtMs = integerOf(r.text(i, 5));
              v.deletedAtMs = integerOf(r.text(i, 6));
              v.expiresAt = r.text(i, 7);
              if (v.deletedAtMs || r.isNull(i, 8))
                v.value.reset();
              else
                v.value = json::parse(r.text(i, 8));
              return visit(v);
            });
}

// One statement (on a connection the read route gives): the database groups
// the range's rows by period, reading the aggregation columns only (and the
// value members for distinct counts).
std::string HistoryTable::aggregate(std::string_view tenant, const HistoryAggregation& a,
                                    const std::function<void(const HistoryPeriod&)>& visit) const {
  int64_t from = std::max(a.scan.fromMs, cutoffMs());
  if (from >= a.scan.toMs) return "";
  static const std::string plain = aggregateSql(false), distinct = aggregateSql(true);
  if (a.deadline) a.deadline->check();
  Result r;
  {
    auto c = reads_.pool().take();
    r = c->exec(a.distinct ? distinct : plain, Params()
                                                   .add(tenant)
                                                   .add(a.scan.entityId)
                                                   .add(a.scan.attribute)
                                                   .add(a.scan.datasetId)
                                                   .add(from)
                                                   .add(a.scan.toMs)
                                                   .add(a.originMs)
                                                   .add(a.periodMs)
                                                   .add(a.nowMs));
  }
  if (a.deadline) a.deadline->check();
  HistoryPeriod p;
  for (size_t i = 0; i < r.rows(); ++i) {
    p.startMs = r.number(i, 1) + r.number(i, 0) * a.periodMs;
    p.lastMs = r.number(i, 3);
    p.values = static_cast<uint64_t>(r.number(i, 4));
    p.numbers = static_cast<uint64_t>(r.number(i, 5));
    p.sum = r.real(i, 6);
    p.sumsq = r.real(i, 7);
    p.min = p.numbers ? r.real(i, 8) : 0;
    p.max = p.numbers ? r.real(i, 9) : 0;
    p.distinct = a.distinct ? static_cast<uint64_t>(r.number(i, 10)) : 0;
    visit(p);
  }
  return r.rows() ? std::string(r.text(0, 2)) : "";
}

// The instance is found by the history_instance index (its id is its
// recording time and sequence number, in any datasetId); its replacement keeps
// both and goes where its time puts it.
bool HistoryTable::change(
    Connection& c, std::string_view tenant, std::string_view id, std::string_view attribute,
    std::string_view instanceId,
    const std::function<std::optional<HistoryInstance>(const HistoryInstance&)>& change) {
  auto wanted = history::parseInstanceId(instanceId);
  if (!wanted) return false;
  auto [recordedMs, seq] = *wanted;
  auto r = c.exec(
      "SELECT dataset, time_ms, instance FROM history WHERE tenant = $1 AND entity = $2 "
      "AND attribute = $3 AND recorded_ms = $4 AND seq = $5 AND time_ms >= $6 "
      "ORDER BY dataset COLLATE \"C\" LIMIT 1",
      Params()
          .add(tenant)
          .add(id)
          .add(attribute)
          .add(recordedMs)
          .add(static_cast<int64_t>(seq))
          .add(cutoffMs()));
  if (r.rows() == 0) return false;
  HistoryInstance found;
  found.attribute = attribute;
  found.datasetId = r.text(0, 0);
  found.timeMs = r.number(0, 1);
  found.recordedMs = recordedMs;
  history::writeInstanceId(recordedMs, seq, found.instanceId);
  json::parser parser;
  parseInstance(parser, r.text(0, 2), found.instance);
  auto replacement = change(found);  // what it throws leaves the history as it is
  c.exec(
      "DELETE FROM history WHERE tenant = $1 AND entity = $2 AND attribute = $3 AND dataset = $4 "
      "AND time_ms = $5 AND recorded_ms = $6 AND seq = $7",
      Params()
          .add(tenant)
          .add(id)
          .add(attribute)
          .add(found.datasetId)
          .add(found.timeMs)
          .add(recordedMs)
          .add(static_cast<int64_t>(seq)));
  if (!replacement || replacement->timeMs < cutoffMs()) return true;
  ensurePartitions({replacement->timeMs});
  auto month = monthOf(replacement->timeMs);
  try {
    auto columns = valueColumns(*replacement);
    c.exec("INSERT INTO " + nameOf(month) +
               " (tenant, entity, attribute, dataset, time_ms, recorded_ms, seq, instance, "
               "value_number, has_value, expires_ms) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json, $9, $10, $11)",
           Params()
               .add(tenant)
               .add(id)
               .add(attribute)
               .add(found.datasetId)
               .add(replacement->timeMs)
               .add(recordedMs)
               .add(static_cast<int64_t>(seq))
               .add(json::serialize(replacement->instance))
               .add(columns.number)
               .add(columns.hasValue)
               .add(columns.expiresMs));
  } catch (const Error& e) {
    forgetPartitionIfGone(e);
    throw;
  }
  return true;
}

void HistoryTable::forgetPartitionIfGone(const Error& e) {
  if (e.sqlState() != "42P01") return;  // undefined_table
  std::lock_guard lock(partitionsMutex_);
  partitions_.clear();
}

bool HistoryTable::erase(Connection& c, std::string_view tenant, std::string_view id,
                         const std::optional<std::string>& attribute,
                         const std::optional<std::string>& datasetId) {
  size_t erased = 0;
  if (!attribute) {
    erased += c.exec("DELETE FROM history WHERE tenant = $1 AND entity = $2",
                     Params().add(tenant).add(id))
                  .affected();
    erased += c.exec("DELETE FROM history_entities WHERE tenant = $1 AND id = $2",
                     Params().add(tenant).add(id))
                  .affected();
  } else if (!datasetId) {
    erased += c.exec("DELETE FROM history WHERE tenant = $1 AND entity = $2 AND attribute = $3",
                     Params().add(tenant).add(id).add(*attribute))
                  .affected();
  } else {
    erased += c.exec(
                   "DELETE FROM history WHERE tenant = $1 AND entity = $2 AND attribute = $3 "
                   "AND dataset = $4",
                   Params().add(tenant).add(id).add(*attribute).add(*datasetId))
                  .affected();
  }
  return erased > 0;
}

void HistoryTable::dropTenant(Connection& c, std::string_view tenant) {
  c.exec("DELETE FROM history WHERE tenant = $1", Params().add(tenant));
  c.exec("DELETE FROM history_entities WHERE tenant = $1", Params().add(tenant));
}

// Also makes this month's and the next month's partitions, so that the turn
// of a month finds its partition made (off the write path). DROP TABLE of a
// partition locks `history` exclusively: it waits for the statements and
// transactions using history, and every new one waits behind it. Hence a short
// lock timeout: a partition whose lock does not come soon (or whose DROP is
// chosen to end a deadlock) is dropped another time.
void HistoryTable::applyRetention() {
  int64_t now = nowMs();
  auto next = startOf(monthOf(now).next());
  ensurePartitions(next ? std::vector<int64_t>{now, *next} : std::vector<int64_t>{now});
  if (retentionMs_ <= 0) return;
  int64_t cutoff = now - retentionMs_;
  auto c = pool_.take();
  for (auto m : partitionsIn(*c)) {
    auto upper = startOf(m.next());
    if (!upper || *upper > cutoff) continue;
    try {
      Transaction t(*c);
      c->run("SET LOCAL lock_timeout = '500ms'");
      c->run("DROP TABLE IF EXISTS " + nameOf(m));
      t.commit();
    } catch (const Error& e) {
      if (e.sqlState() == "55P03" || e.sqlState() == "40P01") return;  // the next time
      throw;
    }
    std::lock_guard lock(partitionsMutex_);
    partitions_.erase(keyOf(m));
  }
}

}  // namespace allmende::store::pg
