#include "lib/db/pool.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cuofeng {

namespace {

thread_local absl::Time current_call_deadline = absl::InfiniteFuture();

// Usable tells whether an idle connection can be handed out. An idle
// connection has nothing to read: anything readable is the server's goodbye
// (a restart, an administrator's termination) or EOF. poll() costs no round
// trip.
bool Usable(pqxx::connection& conn) {
  if (!conn.is_open()) return false;
  const int fd = conn.sock();
  if (fd < 0) return false;
  pollfd p{fd, POLLIN, 0};
  const int n = poll(&p, 1, 0);
  return n == 0;
}

// StatementTimeoutMs is what is left of the thread's CallDeadline, at least 1.
int64_t StatementTimeoutMs(absl::Time deadline) {
  return std::max<int64_t>(1, absl::ToInt64Milliseconds(deadline - absl::Now()));
}

}  // namespace

CallDeadline::CallDeadline(absl::Time deadline) : previous_(current_call_deadline) {
  current_call_deadline = std::min(previous_, deadline);
}

CallDeadline::~CallDeadline() { current_call_deadline = previous_; }

absl::Time CallDeadline::Current() { return current_call_deadline; }

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_), /*discard=*/false);
}

void ConnectionPool::Lease::Discard() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_), /*discard=*/true);
}

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Create(std::string dsn,
                                                                       Options options) {
  if (options.size < 1) options.size = 1;
  std::unique_ptr<ConnectionPool> pool(new ConnectionPool(std::move(dsn), std::move(options)));
  auto lease = pool->Acquire();
  if (!lease.ok()) return lease.status();
  return pool;
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(absl::Time deadline) {
  const absl::Time start = absl::Now();
  deadline = std::min({deadline, start + options_.max_wait, CallDeadline::Current()});
  std::vector<std::unique_ptr<pqxx::connection>> broken;  // closed outside mu_
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.size;
    };
    if (!available()) {
      ++waits_;
      if (!mu_.AwaitWithDeadline(absl::Condition(&available), deadline)) {
        ++timeouts_;
        return absl::ResourceExhaustedError(absl::StrCat(
            "the database pool \"", options_.name, "\" has all ", options_.size,
            " connections busy; none came free within ",
            absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1))),
            " (try again, or start the server with a larger --pool_size)"));
      }
    }
    while (!idle_.empty()) {
      std::unique_ptr<pqxx::connection> conn = std::move(idle_.back());
      idle_.pop_back();
      if (Usable(*conn)) {
        ++in_use_;
        return Lease(this, std::move(conn));
      }
      --open_;
      ++replaced_;
      broken.push_back(std::move(conn));
    }
    ++open_;
    ++in_use_;
  }
  broken.clear();
  try {
    // connect_timeout bounds the wait for an unreachable server.
    auto conn = std::make_unique<pqxx::connection>(absl::StrCat(
        dsn_,
        " connect_timeout=", std::max<int64_t>(2, absl::ToInt64Seconds(deadline - absl::Now()))));
    conn->set_client_encoding("UTF8");
    return Lease(this, std::move(conn));
  } catch (const std::exception& e) {
    absl::MutexLock lock(&mu_);
    --open_;
    --in_use_;
    std::string what = e.what();
    while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL (pool \"", options_.name, "\"): ", what));
  }
}

void ConnectionPool::Release(std::unique_ptr<pqxx::connection> conn, bool discard) {
  absl::MutexLock lock(&mu_);
  --in_use_;
  if (!discard && conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
    ++replaced_;
  }
}

ConnectionPool::Stats ConnectionPool::stats() {
  absl::MutexLock lock(&mu_);
  Stats s;
  s.size = options_.size;
  s.open = open_;
  s.in_use = in_use_;
  s.waits = waits_;
  s.timeouts = timeouts_;
  s.replaced = replaced_;
  return s;
}

absl::Status InTransaction(ConnectionPool& pool,
                           const std::function<absl::Status(pqxx::work&)>& body,
                           Isolation isolation) {
  const bool read_only =
      isolation == Isolation::kRepeatableReadReadOnly || isolation == Isolation::kReadOnly;
  for (int attempt = 0;; ++attempt) {
    auto lease = pool.Acquire();
    if (!lease.ok()) return lease.status();
    bool body_started = false;
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
        case Isolation::kReadOnly:
          tx.exec0("SET TRANSACTION READ ONLY");
          break;
      }
      if (const absl::Time deadline = CallDeadline::Current(); deadline != absl::InfiniteFuture()) {
        tx.exec0(absl::StrCat("SET LOCAL statement_timeout = ", StatementTimeoutMs(deadline)));
      }
      body_started = true;
      absl::Status status = body(tx);
      if (status.ok()) {
        tx.commit();
      } else {
        tx.abort();
      }
      return status;
    } catch (const pqxx::broken_connection& e) {
      lease->Discard();
      // Nothing was done on a connection found broken before the body ran,
      // and a read can be read again; a write that broke midway is not
      // repeated here.
      if (attempt == 0 && (!body_started || read_only)) continue;
      return TranslateDbError(e);
    } catch (const std::exception& e) {
      return TranslateDbError(e);
    }
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

namespace {

// CopyError is the status of a failed COPY on a raw libpq connection, coded
// like TranslateDbError codes libpqxx's exceptions.
absl::Status CopyError(const PGresult* result, PGconn* conn) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return StatusForSqlState(state != nullptr ? state : "", PQerrorMessage(conn),
                           PQstatus(conn) == CONNECTION_BAD);
}

}  // namespace

absl::Status CopyOutBinary(const std::string& dsn, const std::string& copy_sql,
                           const std::function<void(const char* tuple, int length)>& row) {
  const std::string with_timeout = absl::StrCat(dsn, " connect_timeout=10");
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(with_timeout.c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat("database: ", PQerrorMessage(conn.get())));
  }
  if (const absl::Time deadline = CallDeadline::Current(); deadline != absl::InfiniteFuture()) {
    const std::string set = absl::StrCat("SET statement_timeout = ", StatementTimeoutMs(deadline));
    std::unique_ptr<PGresult, void (*)(PGresult*)> r(PQexec(conn.get(), set.c_str()), PQclear);
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> started(PQexec(conn.get(), copy_sql.c_str()),
                                                         PQclear);
  if (PQresultStatus(started.get()) != PGRES_COPY_OUT) return CopyError(started.get(), conn.get());
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";
  constexpr int kHeader = 11 + 4 + 4;
  bool first = true;
  for (;;) {
    char* buf = nullptr;
    const int n = PQgetCopyData(conn.get(), &buf, /*async=*/0);
    if (n == -1) break;
    if (n == -2) return CopyError(nullptr, conn.get());
    const char* data = buf;
    int len = n;
    if (first && len >= kHeader && std::memcmp(data, kSignature, 11) == 0) {
      data += kHeader;
      len -= kHeader;
    }
    first = false;
    // The trailer is a field count of -1.
    if (len >= 2 && !(static_cast<unsigned char>(data[0]) == 0xff &&
                      static_cast<unsigned char>(data[1]) == 0xff)) {
      row(data, len);
    }
    PQfreemem(buf);
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> done(PQgetResult(conn.get()), PQclear);
  if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) return CopyError(done.get(), conn.get());
  return absl::OkStatus();
}

}  // namespace cuofeng
