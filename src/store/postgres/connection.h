// One connection to PostgreSQL (libpq), with what the PostgreSQL store needs
// of it: statements with parameters (sent apart from the SQL text, never
// spliced into it), their results, and transactions. Parameters and results
// travel in PostgreSQL's text format; arrays as array literals (arrayLiteral).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace allmende::store::pg {

// A failed statement or a lost connection. `sqlState` is PostgreSQL's error
// code ("40P01" deadlock, "" when the connection failed).
class Error : public std::runtime_error {
 public:
  Error(const std::string& message, std::string sqlState)
      : std::runtime_error(message), sqlState_(std::move(sqlState)) {}
  const std::string& sqlState() const { return sqlState_; }

 private:
  std::string sqlState_;
};

// The parameters of one statement, $1, $2, ... in the order added.
class Params {
 public:
  Params& add(std::string_view text) {
    values_.emplace_back(text);
    return *this;
  }
  Params& add(int64_t number) { return add(std::to_string(number)); }
  Params& add(double number);
  Params& add(bool flag) { return add(std::string_view(flag ? "t" : "f")); }
  Params& add(const char* text) { return add(std::string_view(text)); }
  Params& addNull() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  template <class T>
  Params& add(const std::optional<T>& value) {
    return value ? add(*value) : addNull();
  }
  size_t size() const { return values_.size(); }
  const std::optional<std::string>& operator[](size_t i) const { return values_[i]; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// A number as PostgreSQL reads a float8 (NaN, Infinity spelled its way).
std::string numberText(double number);

// Bytes as a bytea parameter or array element in PostgreSQL's hex form (\x...).
std::string byteaText(std::string_view bytes);

// An array literal of text elements ({"a","b\"c"}) for an array parameter.
std::string arrayLiteral(const std::vector<std::string_view>& elements);
template <class Strings>
std::string arrayOf(const Strings& strings) {
  return arrayLiteral(std::vector<std::string_view>(strings.begin(), strings.end()));
}
// An array literal of numbers; nan and infinities as PostgreSQL spells them.
std::string arrayLiteral(const std::vector<double>& elements);
std::string arrayLiteral(const std::vector<int64_t>& elements);
std::string arrayLiteral(const std::vector<bool>& elements);
// With NULL for nullopt.
std::string arrayLiteral(const std::vector<std::optional<double>>& elements);
std::string arrayLiteral(const std::vector<std::optional<int64_t>>& elements);
// The elements of a text array value as the server writes it.
std::vector<std::string> parseArray(std::string_view literal);

class Result {
 public:
  Result() = default;
  explicit Result(pg_result* result);
  size_t rows() const;
  bool isNull(size_t row, size_t column) const;
  std::string_view text(size_t row, size_t column) const;  // "" when null
  int64_t number(size_t row, size_t column) const;         // 0 when null
  double real(size_t row, size_t column) const;
  bool flag(size_t row, size_t column) const;
  size_t affected() const;  // rows an INSERT, UPDATE or DELETE touched

 private:
  std::shared_ptr<pg_result> result_;
};

// Statements to send together (Connection::execAll), each with its parameters.
// How a statement is planned: prepared once per connection and its plan kept
// (PostgreSQL may then use one plan for all values), or planned anew for its
// values each time (a query whose best plan depends on them: how many
// entities a range or a type selects). A connection keeps at most kPrepared
// statements; beyond, it drops them all and prepares them anew.
enum class Plan { Kept, ForTheValues };
constexpr size_t kPrepared = 256;

struct Statement {
  std::string sql;
  Params params;
  Plan plan = Plan::Kept;
};

class Batch {
 public:
  void add(std::string_view sql, Params params, Plan plan = Plan::Kept);
  bool empty() const { return statements_.empty(); }
  size_t size() const { return statements_.size(); }
  const Statement& operator[](size_t i) const { return statements_[i]; }

 private:
  std::vector<Statement> statements_;
};

class Connection {
 public:
  // Connects (a libpq connection string or URI); throws Error.
  explicit Connection(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement; throws Error when it fails.
  Result exec(std::string_view sql, const Params& params = {}, Plan plan = Plan::Kept);
  // Runs the statements in order, sent together in one round trip (libpq's
  // pipeline mode), and returns their results; throws the first one's error
  // (the statements after a failed one do not run).
  std::vector<Result> execAll(const Batch& batch);
  // Runs statements without parameters (several, separated by semicolons).
  void run(std::string_view sql);
  // False once the connection broke (the pool then drops it).
  bool ok() const;

  // LISTEN: what the server sent to the channels this connection listens on
  // (in commit order of the transactions that sent them).
  struct Notification {
    std::string channel;
    std::string payload;
  };
  // Waits up to `timeoutMs` for notifications, and returns those that arrived
  // (none when the time passed); throws Error when the connection broke.
  std::vector<Notification> waitForNotifications(int timeoutMs);

 private:
  Result finish(pg_result* result, std::string_view sql);  // throws when it failed
  Error errorOf(const pg_result* result, std::string_view sql) const;
  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // statement text -> its name
  size_t names_ = 0;                                       // names given so far
};

// BEGIN at construction; commit() makes it durable, and a transaction not
// committed rolls back when destroyed.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  // A transaction whose BEGIN the caller has already sent (as the first of a Batch).
  struct Begun {};
  Transaction(Connection& connection, Begun) : connection_(connection) {}
  ~Transaction();
  void commit();
  // Runs the statements and COMMIT in one round trip; their results.
  std::vector<Result> commitWith(Batch batch);
  Connection& connection() { return connection_; }

 private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace allmende::store::pg
