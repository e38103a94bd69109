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

namespace cuofeng {

// ConnectionPool hands out up to `size` connections to `dsn`, opening them
// lazily and replacing broken ones.
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

   private:
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  // Create checks that the database answers before returning the pool.
  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Create(std::string dsn, int size);

  // Acquire waits for a free connection.
  absl::StatusOr<Lease> Acquire();

  const std::string& dsn() const { return dsn_; }

 private:
  ConnectionPool(std::string dsn, int size) : dsn_(std::move(dsn)), size_(size) {}
  void Release(std::unique_ptr<pqxx::connection> conn);

  const std::string dsn_;
  const int size_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

// Isolation of a transaction run by InTransaction.
enum class Isolation { kReadCommitted, kRepeatableReadReadOnly, kSerializable };

// InTransaction runs `body` in one transaction on a pooled connection and
// commits if it returns OK; otherwise, or if it throws, the transaction rolls
// back. Database exceptions come back as a Status (see TranslateDbError).
absl::Status InTransaction(ConnectionPool& pool,
                           const std::function<absl::Status(pqxx::work&)>& body,
                           Isolation isolation = Isolation::kReadCommitted);

// TranslateDbError maps a libpqxx/libpq exception to a Status: unique
// violation → ALREADY_EXISTS, foreign-key violation → FAILED_PRECONDITION,
// check violation → INVALID_ARGUMENT, serialization failure → ABORTED,
// broken connection → UNAVAILABLE, anything else → INTERNAL. The message
// keeps PostgreSQL's DETAIL line, which names the row concerned.
absl::Status TranslateDbError(const std::exception& e);

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
absl::Status CopyOutBinary(const std::string& dsn, const std::string& copy_sql,
                           const std::function<void(const char* tuple, int length)>& row);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DB_POOL_H_
