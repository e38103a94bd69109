#include "lib/db/pool.h"

#include <libpq-fe.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace cuofeng {

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_));
}

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Create(std::string dsn, int size) {
  std::unique_ptr<ConnectionPool> pool(new ConnectionPool(std::move(dsn), size < 1 ? 1 : size));
  auto lease = pool->Acquire();
  if (!lease.ok()) return lease.status();
  return pool;
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < size_;
    };
    mu_.Await(absl::Condition(&available));
    while (!idle_.empty()) {
      std::unique_ptr<pqxx::connection> conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->is_open()) return Lease(this, std::move(conn));
      --open_;
    }
    ++open_;
  }
  try {
    auto conn = std::make_unique<pqxx::connection>(dsn_);
    conn->set_client_encoding("UTF8");
    return Lease(this, std::move(conn));
  } catch (const std::exception& e) {
    absl::MutexLock lock(&mu_);
    --open_;
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", e.what()));
  }
}

void ConnectionPool::Release(std::unique_ptr<pqxx::connection> conn) {
  absl::MutexLock lock(&mu_);
  if (conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
}

absl::Status InTransaction(ConnectionPool& pool,
                           const std::function<absl::Status(pqxx::work&)>& body,
                           Isolation isolation) {
  auto lease = pool.Acquire();
  if (!lease.ok()) return lease.status();
  try {
    pqxx::work tx(**lease);
    switch (isolation) {
      case Isolation::kReadCommitted:
        break;
      case Isolation::kRepeatableReadReadOnly:
        tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
        break;
      case Isolation::kSerializable:
        tx.exec0("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
        break;
    }
    absl::Status status = body(tx);
    if (status.ok()) {
      tx.commit();
    } else {
      tx.abort();
    }
    return status;
  } catch (const std::exception& e) {
    return TranslateDbError(e);
  }
}

std::vector<const char*> NullableParams::Pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v.has_value() ? v->c_str() : nullptr);
  return out;
}

pqxx::result Exec(pqxx::transaction_base& tx, const std::string& sql,
                  const NullableParams& params) {
  std::vector<const char*> ptrs = params.Pointers();
  return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(ptrs));
}

}  // namespace cuofeng

namespace cuofeng {

// tablewriter is deprecated in favour of stream_to, which in 6.4 takes only
// tuples of fixed size; the raw-line path is what we need.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
CopyWriter::CopyWriter(pqxx::transaction_base& tx, const std::string& table,
                       const std::vector<std::string>& columns)
    : writer_(std::make_unique<pqxx::tablewriter>(tx, table, columns.begin(), columns.end())) {}
#pragma GCC diagnostic pop

CopyWriter::~CopyWriter() = default;

void CopyWriter::WriteRow(const NullableParams& row) {
  line_.clear();
  bool first = true;
  for (const auto& v : row.values()) {
    if (!first) line_.push_back('\t');
    first = false;
    if (!v.has_value()) {
      line_ += "\\N";
      continue;
    }
    for (char c : *v) {
      switch (c) {
        case '\\':
          line_ += "\\\\";
          break;
        case '\t':
          line_ += "\\t";
          break;
        case '\n':
          line_ += "\\n";
          break;
        case '\r':
          line_ += "\\r";
          break;
        default:
          line_.push_back(c);
      }
    }
  }
  writer_->write_raw_line(line_);
}

void CopyWriter::WriteLines(const std::string& lines) {
  if (lines.empty()) return;
  // write_raw_line adds the last newline itself.
  writer_->write_raw_line(lines.substr(0, lines.size() - 1));
}

void CopyWriter::Complete() { writer_->complete(); }

absl::Status CopyOutBinary(const std::string& dsn, const std::string& copy_sql,
                           const std::function<void(const char* tuple, int length)>& row) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(dsn.c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat("database: ", PQerrorMessage(conn.get())));
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> started(PQexec(conn.get(), copy_sql.c_str()), PQclear);
  if (PQresultStatus(started.get()) != PGRES_COPY_OUT) {
    return absl::InternalError(absl::StrCat("database: ", PQerrorMessage(conn.get())));
  }
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";
  constexpr int kHeader = 11 + 4 + 4;
  bool first = true;
  for (;;) {
    char* buf = nullptr;
    const int n = PQgetCopyData(conn.get(), &buf, /*async=*/0);
    if (n == -1) break;
    if (n == -2) return absl::InternalError(absl::StrCat("database: ", PQerrorMessage(conn.get())));
    const char* data = buf;
    int len = n;
    if (first && len >= kHeader && std::memcmp(data, kSignature, 11) == 0) {
      data += kHeader;
      len -= kHeader;
    }
    first = false;
    // The trailer is a field count of -1.
    if (len >= 2 && !(static_cast<unsigned char>(data[0]) == 0xff && static_cast<unsigned char>(data[1]) == 0xff)) {
      row(data, len);
    }
    PQfreemem(buf);
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> done(PQgetResult(conn.get()), PQclear);
  if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) {
    return absl::InternalError(absl::StrCat("database: ", PQerrorMessage(conn.get())));
  }
  return absl::OkStatus();
}

}  // namespace cuofeng
