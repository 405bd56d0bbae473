// libpq behind store::pg::Connection: every statement with parameters is
// prepared once per connection (named by the order it was first used in) and
// then only executed, so the server parses and plans it once.
#include "store/postgres/connection.h"

#include <charconv>
#include <cmath>

#include <poll.h>

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

namespace allmende::store::pg {

namespace {

std::string errorState(const PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state ? state : "";
}

void appendQuoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::string numberText(double number) {
  if (std::isnan(number)) return "NaN";
  if (std::isinf(number)) return number > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, number).ptr;
  return std::string(buffer, end);
}

Params& Params::add(double number) {
  return add(std::string_view(numberText(number)));
}

std::string byteaText(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

namespace {

void appendElement(std::string& out, std::string_view text) {
  appendQuoted(out, text);
}
void appendElement(std::string& out, double number) {
  out += numberText(number);
}
void appendElement(std::string& out, int64_t number) {
  out += std::to_string(number);
}
void appendElement(std::string& out, bool truth) {
  out.push_back(truth ? 't' : 'f');
}
template <class T>
void appendElement(std::string& out, const std::optional<T>& element) {
  if (element)
    appendElement(out, *element);
  else
    out += "NULL";
}

template <class Elements>
std::string literalOf(const Elements& elements) {
  std::string out = "{";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i) out.push_back(',');
    appendElement(out, elements[i]);
  }
  out.push_back('}');
  return out;
}

}  // namespace

std::string arrayLiteral(const std::vector<std::string_view>& elements) {
  return literalOf(elements);
}
std::string arrayLiteral(const std::vector<double>& elements) {
  return literalOf(elements);
}
std::string arrayLiteral(const std::vector<int64_t>& elements) {
  return literalOf(elements);
}
std::string arrayLiteral(const std::vector<bool>& elements) {
  return literalOf(elements);
}
std::string arrayLiteral(const std::vector<std::optional<double>>& elements) {
  return literalOf(elements);
}
std::string arrayLiteral(const std::vector<std::optional<int64_t>>& elements) {
  return literalOf(elements);
}

std::vector<std::string> parseArray(std::string_view literal) {
  std::vector<std::string> out;
  if (literal.size() < 2) return out;
  literal = literal.substr(1, literal.size() - 2);  // without { }
  size_t i = 0;
  while (i < literal.size()) {
    std::string element;
    if (literal[i] == '"') {
      for (++i; i < literal.size() && literal[i] != '"'; ++i) {
        if (literal[i] == '\\') ++i;
        if (i < literal.size()) element.push_back(literal[i]);
      }
      ++i;  // the closing quote
    } else {
      while (i < literal.size() && literal[i] != ',') element.push_back(literal[i++]);
    }
    out.push_back(std::move(element));
    ++i;  // the comma
  }
  return out;
}

void Batch::add(std::string_view sql, Params params, Plan plan) {
  statements_.push_back({std::string(sql), std::move(params), plan});
}

Result::Result(PGresult* result) : result_(result, PQclear) {}

size_t Result::rows() const {
  return result_ ? PQntuples(result_.get()) : 0;
}

bool Result::isNull(size_t row, size_t column) const {
  return PQgetisnull(result_.get(), static_cast<int>(row), static_cast<int>(column));
}

std::string_view Result::text(size_t row, size_t column) const {
  int r = static_cast<int>(row), c = static_cast<int>(column);
  return {PQgetvalue(result_.get(), r, c), static_cast<size_t>(PQgetlength(result_.get(), r, c))};
}

int64_t Result::number(size_t row, size_t column) const {
  auto t = text(row, column);
  int64_t value = 0;
  std::from_chars(t.data(), t.data() + t.size(), value);
  return value;
}

double Result::real(size_t row, size_t column) const {
  auto t = text(row, column);
  double value = 0;
  std::from_chars(t.data(), t.data() + t.size(), value);
  return value;
}

bool Result::flag(size_t row, size_t column) const {
  return text(row, column) == "t";
}

size_t Result::affected() const {
  const char* n = result_ ? PQcmdTuples(result_.get()) : "";
  return *n ? std::stoul(n) : 0;
}

Connection::Connection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = conn_ ? PQerrorMessage(conn_) : "out of memory";
    PQfinish(conn_);
    conn_ = nullptr;
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw Error("cannot connect to PostgreSQL: " + message, "");
  }
  // The server's notices ("... already exists, skipping") to the debug log, not to stderr.
  PQsetNoticeProcessor(
      conn_, [](void*, const char* message) { spdlog::debug("PostgreSQL: {}", message); }, nullptr);
}

Connection::~Connection() {
  PQfinish(conn_);
}

bool Connection::ok() const {
  return PQstatus(conn_) == CONNECTION_OK;
}

std::vector<Connection::Notification> Connection::waitForNotifications(int timeoutMs) {
  auto drain = [this] {
    std::vector<Notification> out;
    if (PQconsumeInput(conn_) != 1) throw Error("PostgreSQL: " + std::string(PQerrorMessage(conn_)), "");
    while (PGnotify* n = PQnotifies(conn_)) {
      out.push_back({n->relname, n->extra});
      PQfreemem(n);
    }
    return out;
  };
  auto arrived = drain();  // what came with the results of statements
  if (!arrived.empty()) return arrived;
  pollfd socket{PQsocket(conn_), POLLIN, 0};
  if (socket.fd < 0) throw Error("PostgreSQL: the connection is closed", "");
  if (poll(&socket, 1, timeoutMs) <= 0) return {};
  return drain();
}

Result Connection::exec(std::string_view sql, const Params& params, Plan plan) {
  Batch one;
  one.add(sql, params, plan);
  return std::move(execAll(one)[0]);
}

// A statement not prepared on this connection yet is prepared in the same
// pipeline, just before its first execution.
std::vector<Result> Connection::execAll(const Batch& batch) {
  if (prepared_.size() + batch.size() > kPrepared) {  // queries of ever new shapes
    run("DEALLOCATE ALL");
    prepared_.clear();
  }
  if (PQenterPipelineMode(conn_) != 1)
    throw Error("PostgreSQL: " + std::string(PQerrorMessage(conn_)), "");
  std::vector<bool> preparing(batch.size());  // whether a statement's PREPARE is in the pipeline
  std::vector<const char*> values;
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& s = batch[i];
    values.resize(s.params.size());
    for (size_t k = 0; k < s.params.size(); ++k) values[k] = s.params[k] ? s.params[k]->c_str() : nullptr;
    int n = static_cast<int>(values.size());
    if (s.plan == Plan::ForTheValues) {
      PQsendQueryParams(conn_, s.sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0);
      continue;
    }
    auto [it, added] = prepared_.try_emplace(s.sql, "");
    if (added) {
      it->second = "s" + std::to_string(++names_);
      PQsendPrepare(conn_, it->second.c_str(), s.sql.c_str(), 0, nullptr);
      preparing[i] = true;
    }
    PQsendQueryPrepared(conn_, it->second.c_str(), n, values.data(), nullptr, nullptr, 0);
  }
  PQpipelineSync(conn_);
  // Every result is read (also after a failure) so that the connection leaves the pipeline in step.
  std::vector<Result> out;
  std::optional<Error> failure;
  // One statement's result (its end read too); nullopt when it failed or did not run.
  auto next = [&](const std::string& sql) -> std::optional<Result> {
    PGresult* raw = PQgetResult(conn_);
    Result result(raw);
    if (raw)
      while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
    auto status = PQresultStatus(raw);
    if (raw && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return result;
    if (!failure && status != PGRES_PIPELINE_ABORTED) failure = errorOf(raw, sql);
    return std::nullopt;
  };
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& sql = batch[i].sql;
    if (preparing[i] && !next(sql)) prepared_.erase(sql);  // its PREPARE's result comes first
    auto result = next(sql);
    out.push_back(result ? std::move(*result) : Result());
  }
  if (PGresult* sync = PQgetResult(conn_)) PQclear(sync);  // PGRES_PIPELINE_SYNC
  PQexitPipelineMode(conn_);
  if (failure) throw *failure;
  return out;
}

void Connection::run(std::string_view sql) {
  finish(PQexec(conn_, std::string(sql).c_str()), sql);
}

Error Connection::errorOf(const PGresult* raw, std::string_view sql) const {
  std::string message = raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return Error("PostgreSQL: " + message + " (in: " + std::string(sql.substr(0, 120)) + ")",
               errorState(raw));
}

Result Connection::finish(PGresult* raw, std::string_view sql) {
  Result result(raw);
  auto status = PQresultStatus(raw);
  if (raw && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return result;
  throw errorOf(raw, sql);
}

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.run("BEGIN");
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    connection_.run("ROLLBACK");
  } catch (...) {  // a broken connection: the server rolls back itself
  }
}

void Transaction::commit() {
  open_ = false;
  connection_.run("COMMIT");
}

std::vector<Result> Transaction::commitWith(Batch batch) {
  batch.add("COMMIT", {});
  auto results = connection_.execAll(batch);  // a failure leaves the transaction to roll back
  open_ = false;
  results.pop_back();
  return results;
}

}  // namespace allmende::store::pg
