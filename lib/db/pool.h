// A small blocking pool of PostgreSQL connections, and the transaction
// helpers every repository uses. libpqxx exceptions never leave this
// library: they are translated to absl::Status in errors.cc.
#ifndef CUOFENG_LIB_DB_POOL_H_
#define CUOFENG_LIB_DB_POOL_H_

#include <functional>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cuofeng {

// ConnectionPool hands out up to `size` connections to `dsn`, opening them
// lazily. A connection is checked when it is handed out (a server that closed
// it, after a restart for instance, is noticed without a round trip) and
// replaced when broken. Every wait for a free connection has a deadline.
class ConnectionPool {
 public:
  // Lease is an exclusive borrow of one connection, returned on destruction.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }
    // Discard closes the connection instead of returning it (it broke).
    void Discard();

   private:
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  struct Options {
    std::string name = "primary";  // named in errors and metrics
    int size = 8;
    // The longest Acquire waits for a free connection when the caller gives
    // no earlier deadline.
    absl::Duration max_wait = absl::Seconds(5);
  };

  // Create checks that the database answers before returning the pool.
  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Create(std::string dsn, Options options);
  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Create(std::string dsn, int size) {
    Options options;
    options.size = size;
    return Create(std::move(dsn), options);
  }

  // Acquire waits for a free connection until `deadline` or max_wait from
  // now, whichever is earlier (the CallDeadline in force on this thread,
  // if any, is a third bound). It fails with RESOURCE_EXHAUSTED naming the
  // pool when none came free in time, and UNAVAILABLE when the database
  // cannot be reached.
  absl::StatusOr<Lease> Acquire(absl::Time deadline = absl::InfiniteFuture());

  const std::string& dsn() const { return dsn_; }
  const std::string& name() const { return options_.name; }

  // Figures for the metrics endpoint.
  struct Stats {
    int size = 0;
    int open = 0;
    int in_use = 0;
    int64_t waits = 0;     // Acquire calls that found no free connection
    int64_t timeouts = 0;  // of those, the ones that gave up at the deadline
    int64_t replaced = 0;  // broken connections dropped at checkout or return
  };
  Stats stats();

 private:
  ConnectionPool(std::string dsn, Options options)
      : dsn_(std::move(dsn)), options_(std::move(options)) {}
  void Release(std::unique_ptr<pqxx::connection> conn, bool discard);

  const std::string dsn_;
  const Options options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t waits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t timeouts_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t replaced_ ABSL_GUARDED_BY(mu_) = 0;
};

// CallDeadline bounds, for the calling thread and while it lives, every
// wait of the database layer (Acquire, and statements through
// InTransaction's statement_timeout): a gRPC handler opens one with its
// call's deadline so nothing it does outlives the client's patience.
class CallDeadline {
 public:
  explicit CallDeadline(absl::Time deadline);
  ~CallDeadline();
  CallDeadline(const CallDeadline&) = delete;
  CallDeadline& operator=(const CallDeadline&) = delete;
  // Current is the innermost deadline in force on this thread, or
  // InfiniteFuture.
  static absl::Time Current();

 private:
  absl::Time previous_;
};

// Isolation of a transaction run by InTransaction.
// The read-only kinds are retried once on a fresh connection when the first
// try fails on a broken one; writes are retried only when the connection was
// found broken before `body` ran (request_id makes a client's own retry safe).
enum class Isolation { kReadCommitted, kRepeatableReadReadOnly, kSerializable, kReadOnly };

// InTransaction runs `body` in one transaction on a pooled connection and
// commits if it returns OK; otherwise, or if it throws, the transaction rolls
// back. Database exceptions come back as a Status (see TranslateDbError).
// Under a CallDeadline, statements are cut off at the deadline.
absl::Status InTransaction(ConnectionPool& pool,
                           const std::function<absl::Status(pqxx::work&)>& body,
                           Isolation isolation = Isolation::kReadCommitted);

// TranslateDbError maps a libpqxx/libpq exception to a Status: unique
// violation → ALREADY_EXISTS, foreign-key violation → FAILED_PRECONDITION,
// check violation → INVALID_ARGUMENT, serialization failure → ABORTED,
// broken connection → UNAVAILABLE, a trigger's refusal (RAISE … USING
// ERRCODE insufficient_privilege) → PERMISSION_DENIED, other RAISEs →
// FAILED_PRECONDITION, values too long or badly encoded → INVALID_ARGUMENT,
// statement timeout → DEADLINE_EXCEEDED, anything else → INTERNAL. The
// message keeps PostgreSQL's DETAIL line, which names the row concerned, and
// is cut to a bounded length.
absl::Status TranslateDbError(const std::exception& e);

// StatusForSqlState is TranslateDbError's mapping for a SQLSTATE and
// PostgreSQL's message, for code that talks libpq directly.
absl::Status StatusForSqlState(const std::string& sqlstate, const std::string& what,
                               bool connection_broken);

// NullableParams holds positional parameters for exec_params where an
// absent value is SQL NULL.
class NullableParams {
 public:
  void Add(std::string value) { values_.emplace_back(std::move(value)); }
  void AddNull() { values_.emplace_back(); }
  void Add(const std::optional<std::string>& value) { values_.push_back(value); }
  size_t size() const { return values_.size(); }
  const std::vector<std::optional<std::string>>& values() const { return values_; }
  // Pointers valid while this object lives and is not modified.
  std::vector<const char*> Pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// CopyWriter streams rows into a table with COPY FROM STDIN (text format),
// for variable column lists, which libpqxx 6.4's stream_to cannot take.
// Values are escaped here; connections use client_encoding UTF8.
class CopyWriter {
 public:
  CopyWriter(pqxx::transaction_base& tx, const std::string& table,
             const std::vector<std::string>& columns);
  ~CopyWriter();
  void WriteRow(const NullableParams& row);
  // WriteLines sends rows already in COPY text format, each ending in '\n'
  // (many rows per call: one round of the protocol for all of them).
  void WriteLines(const std::string& lines);
  // Complete ends the COPY; call it before using the transaction again.
  void Complete();

 private:
  std::unique_ptr<pqxx::tablewriter> writer_;
  std::string line_;
};

// Exec runs `sql` with `params` ($1, $2, ...).
pqxx::result Exec(pqxx::transaction_base& tx, const std::string& sql, const NullableParams& params);

// CopyOutBinary runs `copy_sql` (a "COPY (...) TO STDOUT (FORMAT binary)")
// on a connection of its own to `dsn` and calls `row` with each tuple's
// bytes (the field count, then each field's length and value, in network
// byte order; the file header is skipped). libpqxx 6.4 reads COPY only as
// text; binary spares the server formatting timestamps and floats.
// It connects with a 10 s connect timeout and, under a CallDeadline, cuts the
// statement off at the deadline.
absl::Status CopyOutBinary(const std::string& dsn, const std::string& copy_sql,
                           const std::function<void(const char* tuple, int length)>& row);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DB_POOL_H_
