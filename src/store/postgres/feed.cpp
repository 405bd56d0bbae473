// The feed of changes between brokers on one database, and the leases of
// subscriptions (feed.h).
#include "store/postgres/feed.h"

#include <random>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "store/postgres/schema.h"

namespace allmende::store::pg {

namespace {

constexpr std::string_view kChanges = "allmende_changes";
constexpr std::string_view kDocuments = "allmende_documents";
constexpr std::string_view kContexts = "allmende_contexts";
constexpr std::string_view kTenants = "allmende_tenants";
constexpr char kSeparator = '\x1f';  // between the parts of a notice (no id or tenant holds it)
// Changes are kept this long: a lease's holder has died longer ago only when
// no broker was running meanwhile, and then what happened before is not notified.
constexpr std::string_view kChangesKept = "10 minutes";

// The change being fed on the feed's thread (0 elsewhere): a subscription
// that had it replayed when its lease was taken is not fed it again.
thread_local int64_t feeding = 0;

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t end = text.find(kSeparator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::optional<Entity> entityOf(const Result& rows, size_t row, size_t column) {
  if (rows.isNull(row, column)) return std::nullopt;
  return std::move(boost::json::parse(rows.text(row, column)).as_object());
}

}  // namespace

Feed::Feed(std::string conninfo, std::function<void(const std::string&)> tenantDropped)
    : conninfo_(std::move(conninfo)), tenantDropped_(std::move(tenantDropped)) {
  std::random_device random;
  origin_ = std::to_string(random()) + "-" + std::to_string(random());
}

Feed::~Feed() {
  watch({});
  if (held_.empty()) return;
  try {
    Connection c(conninfo_);
    giveUp(c);
  } catch (const std::exception& e) {
    spdlog::warn("leases of subscriptions not given up (they expire in {} s): {}", kLeaseSeconds,
                 e.what());
  }
}

void Feed::watch(Store::Watchers watchers) {
  if (thread_.joinable()) {
    stopping_ = true;
    thread_.join();
    stopping_ = false;
  }
  watchers_ = std::move(watchers);
  if (watchers_.entityChanged) thread_ = std::thread([this] { run(); });
}

void Feed::addChanges(Batch& batch, std::string_view tenant,
                      const std::vector<std::string_view>& ids,
                      const std::vector<const Entity*>& before,
                      const std::vector<const Entity*>& after) const {
  std::vector<std::string> befores, afters;  // "" for none
  for (size_t i = 0; i < ids.size(); ++i) {
    befores.push_back(before[i] ? boost::json::serialize(*before[i]) : "");
    afters.push_back(after[i] ? boost::json::serialize(*after[i]) : "");
  }
  batch.add(
      "WITH recorded AS (INSERT INTO changes (tenant, id, before, after) "
      "SELECT $1, i, nullif(b, '')::json, nullif(a, '')::json "
      "FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY x(i, b, a, n) "
      "WHERE EXISTS (SELECT 1 FROM leases WHERE tenant = $1) ORDER BY n RETURNING 1) "
      "SELECT pg_notify($5, pg_current_xact_id()::text) WHERE EXISTS (SELECT 1 FROM recorded)",
      Params()
          .add(tenant)
          .add(arrayOf(ids))
          .add(arrayOf(befores))
          .add(arrayOf(afters))
          .add(kChanges));
}

void Feed::addDocumentNotice(Batch& batch, DocumentKind kind, std::string_view tenant,
                             std::string_view id) const {
  std::string notice = origin_ + kSeparator + std::string(kindName(kind)) + kSeparator +
                       std::string(tenant) + kSeparator + std::string(id);
  batch.add("SELECT pg_notify($1, $2)", Params().add(kDocuments).add(notice));
}

void Feed::addContextNotice(Batch& batch, std::string_view id) const {
  batch.add("SELECT pg_notify($1, $2)",
            Params().add(kContexts).add(origin_ + kSeparator + std::string(id)));
}

void Feed::addTenantNotice(Batch& batch, std::string_view tenant) const {
  batch.add("SELECT pg_notify($1, $2)",
            Params().add(kTenants).add(origin_ + kSeparator + std::string(tenant)));
}

bool Feed::leased(DocumentKind kind) {
  return kind == DocumentKind::Subscription || kind == DocumentKind::RegistrationSubscription;
}

void Feed::addLease(Batch& batch, DocumentKind kind, std::string_view tenant,
                    std::string_view subscription) const {
  batch.add(
      "INSERT INTO leases SELECT $1, $2, $3, $4, now() + make_interval(secs => $5), "
      "coalesce(max(seq), 0) FROM changes ON CONFLICT DO NOTHING",
      Params()
          .add(tenant)
          .add(kindName(kind))
          .add(subscription)
          .add(origin_)
          .add(static_cast<int64_t>(kLeaseSeconds)));
}

void Feed::holdIfTaken(const Result& leaseInsert, DocumentKind kind, std::string_view tenant,
                       std::string_view subscription) {
  if (leaseInsert.affected() != 1) return;
  std::lock_guard lock(mutex_);
  held_[{std::string(tenant), std::string(kindName(kind)), std::string(subscription)}] =
      Held{std::chrono::steady_clock::now(), {}};
}

void Feed::addLeaseRemoval(Batch& batch, DocumentKind kind, std::string_view tenant,
                           std::string_view subscription) {
  batch.add("DELETE FROM leases WHERE tenant = $1 AND kind = $2 AND subscription = $3",
            Params().add(tenant).add(kindName(kind)).add(subscription));
  std::lock_guard lock(mutex_);
  held_.erase({std::string(tenant), std::string(kindName(kind)), std::string(subscription)});
}

bool Feed::holds(DocumentKind kind, std::string_view tenant, std::string_view subscription) const {
  std::lock_guard lock(mutex_);
  auto it =
      held_.find({std::string(tenant), std::string(kindName(kind)), std::string(subscription)});
  return it != held_.end() && !(feeding && it->second.replayed.contains(feeding));
}

void Feed::run() {
  bool connected = false;  // before: the feed starts with the changes after the last one now
  while (!stopping_) {
    try {
      Connection c(conninfo_);
      c.run("LISTEN " + std::string(kChanges) + "; LISTEN " + std::string(kDocuments) +
            "; LISTEN " + std::string(kContexts) + "; LISTEN " + std::string(kTenants));
      if (!connected)
        lastSeq_ = c.exec("SELECT coalesce(max(seq), 0) FROM changes").number(0, 0);
      else  // what was committed while the connection was lost
        feedRows(c.exec("SELECT seq, tenant, id, before::text, after::text FROM changes WHERE seq "
                        "> $1 ORDER BY seq",
                        Params().add(lastSeq_.load())),
                 nullptr);
      connected = true;
      auto renewed = std::chrono::steady_clock::time_point{};
      auto pruned = std::chrono::steady_clock::now();
      while (!stopping_) {
        for (const auto& n : c.waitForNotifications(200)) feed(c, n);
        auto now = std::chrono::steady_clock::now();
        if (now - renewed >= std::chrono::seconds(1)) {
          renewed = now;
          renew(c);
        }
        if (now - pruned >= std::chrono::minutes(1)) {
          pruned = now;
          c.exec("DELETE FROM changes WHERE at < now() - $1::interval", Params().add(kChangesKept));
        }
      }
    } catch (const std::exception& e) {
      spdlog::warn("feed of changes between brokers: {}; connecting again", e.what());
      for (int i = 0; i < 10 && !stopping_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void Feed::feed(Connection& c, const Connection::Notification& n) {
  if (n.channel == kChanges) {
    feedRows(
        c.exec(
            "SELECT seq, tenant, id, before::text, after::text FROM changes WHERE xid = $1::xid8 "
            "ORDER BY seq",
            Params().add(n.payload)),
        nullptr);
    return;
  }
  auto parts = split(n.payload);
  if (parts[0] == origin_) return;  // this broker's own: its registries know
  if (n.channel == kDocuments && parts.size() == 4) {
    auto kind = kindNamed(parts[1]);
    if (!kind || !watchers_.documentChanged) return;
    auto r = c.exec("SELECT document FROM documents WHERE kind = $1 AND tenant = $2 AND id = $3",
                    Params().add(parts[1]).add(parts[2]).add(parts[3]));
    watchers_.documentChanged(*kind, std::string(parts[2]), std::string(parts[3]),
                              r.rows() ? std::optional<std::string>(r.text(0, 0)) : std::nullopt);
  } else if (n.channel == kContexts && parts.size() == 2) {
    if (!watchers_.contextChanged) return;
    auto r = c.exec("SELECT document FROM contexts WHERE id = $1", Params().add(parts[1]));
    watchers_.contextChanged(std::string(parts[1]),
                             r.rows() ? std::optional<std::string>(r.text(0, 0)) : std::nullopt);
  } else if (n.channel == kTenants && parts.size() == 2) {
    tenantDropped_(std::string(parts[1]));
  }
}

void Feed::feedRows(const Result& rows, const std::string* only) {
  for (size_t i = 0; i < rows.rows(); ++i) {
    int64_t seq = rows.number(i, 0);
    auto tenant = rows.text(i, 1);
    Store::Change change{entityOf(rows, i, 3), entityOf(rows, i, 4), true};
    if (!change.before && !change.after) continue;
    try {
      feeding = only ? 0 : seq;
      watchers_.entityChanged(tenant, change, only);
    } catch (const std::exception& e) {
      spdlog::warn("change {} of {} not fed to subscriptions: {}", seq, rows.text(i, 2), e.what());
    }
    feeding = 0;
    if (!only && seq > lastSeq_) lastSeq_ = seq;
  }
}

void Feed::renew(Connection& c) {
  auto started = std::chrono::steady_clock::now();
  auto kept = c.exec(
      "UPDATE leases SET expires_at = now() + make_interval(secs => $2), cursor = $3 "
      "WHERE holder = $1 RETURNING tenant, kind, subscription",
      Params().add(origin_).add(static_cast<int64_t>(kLeaseSeconds)).add(lastSeq_.load()));
  std::set<Key> renewed;
  for (size_t i = 0; i < kept.rows(); ++i)
    renewed.emplace(kept.text(i, 0), kept.text(i, 1), kept.text(i, 2));
  {
    // A lease not renewed was lost (this broker was too slow, another took
    // it) unless it was taken after the renewal began.
    std::lock_guard lock(mutex_);
    for (auto it = held_.begin(); it != held_.end();) {
      bool lost = !renewed.contains(it->first) && it->second.since < started;
      if (!lost && started - it->second.since > std::chrono::seconds(30))
        it->second.replayed.clear();
      it = lost ? held_.erase(it) : std::next(it);
    }
  }
  auto taken = c.exec(
      "UPDATE leases SET holder = $1, expires_at = now() + make_interval(secs => $2) WHERE "
      "expires_at < now() RETURNING tenant, kind, subscription, cursor",
      Params().add(origin_).add(static_cast<int64_t>(kLeaseSeconds)));
  for (size_t i = 0; i < taken.rows(); ++i) {
    std::string tenant(taken.text(i, 0)), kind(taken.text(i, 1)), subscription(taken.text(i, 2));
    Held held{std::chrono::steady_clock::now(), {}};
    // What a subscription of entities missed meanwhile.
    Result missed;
    if (kindNamed(kind) == DocumentKind::Subscription) {
      missed = c.exec(
          "SELECT seq, tenant, id, before::text, after::text FROM changes WHERE tenant = $1 AND "
          "seq > $2 ORDER BY seq",
          Params().add(tenant).add(taken.number(i, 3)));
      for (size_t k = 0; k < missed.rows(); ++k) held.replayed.insert(missed.number(k, 0));
    }
    spdlog::info("took over the notifications of {} {}{} ({} changes replayed)", kind, subscription,
                 tenant.empty() ? "" : " of tenant " + tenant, missed.rows());
    {
      std::lock_guard lock(mutex_);
      held_[{tenant, kind, subscription}] = std::move(held);
    }
    if (missed.rows()) feedRows(missed, &subscription);
  }
}

void Feed::giveUp(Connection& c) {
  c.exec(
      "UPDATE leases SET expires_at = now() - interval '1 second', cursor = $2 WHERE holder = $1",
      Params().add(origin_).add(lastSeq_.load()));
  std::lock_guard lock(mutex_);
  held_.clear();
}

}  // namespace allmende::store::pg
