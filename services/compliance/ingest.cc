#include "services/compliance/ingest.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "lib/model/clock.h"
#include "lib/model/identifiers.h"
#include "lib/status/errors.h"
#include "lib/status/status_macros.h"
#include "lib/text/text.h"
#include "lib/verification/local_time.h"
#include "lib/verification/verification.h"

namespace cuofeng {
namespace {

// Readings may run ahead of the server clock by this much (meter clock skew).
constexpr int64_t kFutureSkewUs = 5 * 60 * 1000000LL;
// 2000-01-01T00:00:00Z: nothing older is monitoring data of ours.
constexpr int64_t kEarliestUs = 946684800LL * 1000000;
constexpr size_t kCopyChunk = 1 << 16;
// A registry lookup waits this long at most (less if the caller's deadline is nearer).
constexpr absl::Duration kLookupTimeout = absl::Seconds(10);

std::string FieldOf(const std::string& parse_error) {
  const size_t colon = parse_error.find(':');
  return colon == std::string::npos ? "" : parse_error.substr(0, colon);
}

std::string TimeText(int64_t us) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S%Ez", absl::FromUnixMicros(us),
                          absl::FixedTimeZone(8 * 3600));
}

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

// InsertNew stores COPY-text `lines` into `table` through a temporary table,
// skipping rows whose `key` is already stored (or repeated in `lines`), and
// returns how many it stored.
absl::StatusOr<int64_t> InsertNew(ConnectionPool& pool, const std::string& table,
                                  const std::vector<std::string>& columns, const std::string& key,
                                  const std::string& lines) {
  int64_t inserted = 0;
  if (lines.empty()) return inserted;
  absl::Status st = InTransaction(pool, [&](pqxx::work& tx) {
    tx.exec0(absl::StrCat("CREATE TEMP TABLE incoming (LIKE ", table, ") ON COMMIT DROP"));
    CopyWriter copy(tx, "incoming", columns);
    copy.WriteLines(lines);
    copy.Complete();
    inserted = tx.exec0(absl::StrCat("INSERT INTO ", table, " SELECT DISTINCT ON (", key,
                                     ") * FROM incoming ORDER BY ", key, " ON CONFLICT DO NOTHING"))
                   .affected_rows();
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return inserted;
}

// TimeProblem says why a row's time is refused ("" when it is fine) and
// sets `t` to it in Unix microseconds. A time written without an offset
// (`local_time`) is read in the batch's zone and counted in `local`. `now`
// is the server clock (Unix µs), read once per batch.
std::string TimeProblem(bool has_time, const google::protobuf::Timestamp& ts,
                        const std::string& local_time, const BatchTimeZone& zone, int64_t now,
                        int64_t* local, int64_t* t) {
  if (!local_time.empty()) {
    if (!ParseLocalTime(local_time, zone.zone, t)) {
      return absl::StrCat("time: ", Quote(local_time), " 不是时间（应为 YYYY-MM-DD HH:MM[:SS]）");
    }
    ++*local;
  } else if (!has_time) {
    return "time: 必填（时间）";
  } else {
    *t = Micros(ts);
  }
  if (*t > now + kFutureSkewUs) {
    return absl::StrCat("time: ", TimeText(*t), " 是将来的时间（服务器时间 ", TimeText(now), "）");
  }
  if (*t < kEarliestUs) return absl::StrCat("time: ", TimeText(*t), " 早于 2000 年");
  return "";
}

void AppendDouble(std::string* out, double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, res.ptr);
}

// A stored reading, for its day's aggregates.
struct DayReading {
  int meter;
  int64_t t;
  v1::ReadingKind kind;
  double value;
};

// StoreReadingDays adds `rows` (sorted by meter and time) to their (meter,
// China day) aggregates in compliance.reading_day (sql/compliance/V006), in
// the ingest's own transaction: one upsert for the batch. A day's longest
// step between readings stays known when the batch's readings of the day all
// come after (or all before) those stored; else it becomes unknown (NULL).
void StoreReadingDays(pqxx::work& tx, const std::vector<DayReading>& rows) {
  if (rows.empty()) return;
  constexpr int64_t kDayUs = 86400LL * 1000000, kChinaUs = 8LL * 3600 * 1000000;
  auto day_of = [&](int64_t t) {
    const int64_t local = t + kChinaUs;
    return local / kDayUs - (local % kDayUs < 0 ? 1 : 0);
  };
  std::string meters = "{", days = "{", n = "{", n_register = "{", min_kw = "{", max_kw = "{",
              sum_kw = "{", min_kwh = "{", max_kwh = "{", sum_kwh = "{", first = "{", last = "{",
              gap = "{";
  auto number = [](std::string* out, double v, bool has) {
    if (has) {
      AppendDouble(out, v);
    } else {
      out->append("NULL");
    }
  };
  for (size_t i = 0; i < rows.size();) {
    const int meter = rows[i].meter;
    const int64_t day = day_of(rows[i].t);
    int64_t count = 0, registers = 0, max_gap = 0;
    double lo_kw = 0, hi_kw = 0, lo_kwh = 0, hi_kwh = 0, total_kw = 0, total_kwh = 0;
    bool has_kw = false, has_kwh = false;
    const int64_t first_t = rows[i].t;
    int64_t last_t = rows[i].t;
    size_t j = i;
    for (; j < rows.size() && rows[j].meter == meter && day_of(rows[j].t) == day; ++j) {
      const DayReading& r = rows[j];
      ++count;
      if (j > i) max_gap = std::max(max_gap, r.t - last_t);
      last_t = r.t;
      if (r.kind == v1::CUMULATIVE_KWH) ++registers;
      if (r.kind == v1::KW) {
        lo_kw = has_kw ? std::min(lo_kw, r.value) : r.value;
        hi_kw = has_kw ? std::max(hi_kw, r.value) : r.value;
        total_kw += r.value;
        has_kw = true;
      }
      if (r.kind == v1::INTERVAL_KWH) {
        lo_kwh = has_kwh ? std::min(lo_kwh, r.value) : r.value;
        hi_kwh = has_kwh ? std::max(hi_kwh, r.value) : r.value;
        total_kwh += r.value;
        has_kwh = true;
      }
    }
    const char* sep = i == 0 ? "" : ",";
    absl::StrAppend(&meters, sep, meter);
    absl::StrAppend(&days, sep, day);
    absl::StrAppend(&n, sep, count);
    absl::StrAppend(&n_register, sep, registers);
    for (std::string* s : {&min_kw, &max_kw, &sum_kw, &min_kwh, &max_kwh, &sum_kwh}) s->append(sep);
    number(&min_kw, lo_kw, has_kw);
    number(&max_kw, hi_kw, has_kw);
    number(&sum_kw, total_kw, has_kw);
    number(&min_kwh, lo_kwh, has_kwh);
    number(&max_kwh, hi_kwh, has_kwh);
    number(&sum_kwh, total_kwh, has_kwh);
    absl::StrAppend(&first, sep, first_t);
    absl::StrAppend(&last, sep, last_t);
    absl::StrAppend(&gap, sep, max_gap);
    i = j;
  }
  for (std::string* s : {&meters, &days, &n, &n_register, &min_kw, &max_kw, &sum_kw, &min_kwh,
                         &max_kwh, &sum_kwh, &first, &last, &gap}) {
    s->push_back('}');
  }
  tx.exec_params0(
      "INSERT INTO compliance.reading_day AS d (meter_id, day, n, n_register, min_kw, max_kw, "
      "sum_kw, min_kwh, max_kwh, sum_kwh, first_us, last_us, max_gap_us) "
      "SELECT m, date '1970-01-01' + dd, c, rc, lk, hk, sk, lh, hh, sh, f, l, g FROM unnest("
      "$1::int[], $2::int[], $3::int[], $4::int[], $5::float8[], $6::float8[], $7::float8[], "
      "$8::float8[], $9::float8[], $10::float8[], $11::int8[], $12::int8[], $13::int8[]) "
      "AS q(m, dd, c, rc, lk, hk, sk, lh, hh, sh, f, l, g) "
      "ON CONFLICT (meter_id, day) DO UPDATE SET n = d.n + excluded.n, "
      "n_register = d.n_register + excluded.n_register, "
      "min_kw = least(d.min_kw, excluded.min_kw), max_kw = greatest(d.max_kw, excluded.max_kw), "
      "sum_kw = CASE WHEN d.sum_kw IS NULL THEN excluded.sum_kw "
      "WHEN excluded.sum_kw IS NULL THEN d.sum_kw ELSE d.sum_kw + excluded.sum_kw END, "
      "min_kwh = least(d.min_kwh, excluded.min_kwh), "
      "max_kwh = greatest(d.max_kwh, excluded.max_kwh), "
      "sum_kwh = CASE WHEN d.sum_kwh IS NULL THEN excluded.sum_kwh "
      "WHEN excluded.sum_kwh IS NULL THEN d.sum_kwh ELSE d.sum_kwh + excluded.sum_kwh END, "
      "first_us = least(d.first_us, excluded.first_us), "
      "last_us = greatest(d.last_us, excluded.last_us), "
      "max_gap_us = CASE WHEN d.max_gap_us IS NULL OR excluded.max_gap_us IS NULL THEN NULL "
      "WHEN excluded.first_us > d.last_us THEN greatest(d.max_gap_us, excluded.max_gap_us, "
      "excluded.first_us - d.last_us) "
      "WHEN excluded.last_us < d.first_us THEN greatest(d.max_gap_us, excluded.max_gap_us, "
      "d.first_us - excluded.last_us) ELSE NULL END",
      meters, days, n, n_register, min_kw, max_kw, sum_kw, min_kwh, max_kwh, sum_kwh, first, last,
      gap);
}

// Values for COPY text format: backslash, tab and newlines escaped.
void AppendCopyText(std::string* out, const std::string& v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        out->push_back(c);
    }
  }
}

bool IsPassageDirection(v1::GateDirection d) { return d == v1::ENTRY || d == v1::EXIT; }

// RowTextFields is a row type's single string fields with their text rules,
// looked up once per type rather than once per row.
class RowTextFields {
 public:
  explicit RowTextFields(const google::protobuf::Descriptor* d) {
    using google::protobuf::FieldDescriptor;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->cpp_type() != FieldDescriptor::CPPTYPE_STRING || f->is_repeated()) continue;
      fields_.push_back({f, RuleForField(f->name())});
    }
  }
  const std::vector<std::pair<const google::protobuf::FieldDescriptor*, TextRule>>& fields() const {
    return fields_;
  }

 private:
  std::vector<std::pair<const google::protobuf::FieldDescriptor*, TextRule>> fields_;
};

// TextProblemOf checks every text field of an ingested row against the text
// rules (UTF-8, no control characters, the field's length): "" when all are
// fine, else the first problem as "field: what", with `field` set.
std::string TextProblemOf(const google::protobuf::Message& row, const RowTextFields& text,
                          std::string* field) {
  const auto* r = row.GetReflection();
  for (const auto& [f, rule] : text.fields()) {
    std::string scratch;
    const std::string& value = r->GetStringReference(row, f, &scratch);
    std::string problem = TextProblem(value, rule);
    if (!problem.empty()) {
      // A client's parse_error is about the field it names.
      *field = f->name() == "parse_error" ? "" : f->name();
      return absl::StrCat(f->name(), ": ", problem);
    }
  }
  return "";
}

// RowProblem is the first check of every ingested row: its text fields
// (TextProblemOf), then the problem its sender met parsing it (`parse_error`,
// about the field it names). "" when neither, else the problem, with `field`
// set.
std::string RowProblem(const google::protobuf::Message& row, const std::string& parse_error,
                       const RowTextFields& text, std::string* field) {
  if (std::string problem = TextProblemOf(row, text, field); !problem.empty()) return problem;
  if (!parse_error.empty()) {
    *field = FieldOf(parse_error);
    return parse_error;
  }
  return "";
}

// BatchText checks a batch's source and time zone: a bad one refuses the call.
absl::Status BatchText(const std::string& source, const std::string& time_zone) {
  std::vector<FieldViolation> v;
  CheckText("source", source, TextRule{}, &v);
  CheckText("time_zone", time_zone, TextRule{}, &v);
  if (!v.empty()) return InvalidArgumentWithViolations(std::move(v));
  return absl::OkStatus();
}

// CopyBatch is what gate events and ledger rows keep while their rows are
// checked: the batch's time zone, the time it is now (Unix µs), how many
// times were read in the zone, and the COPY-text lines of the rows that
// passed (`valid` of them).
struct CopyBatch {
  BatchTimeZone zone;
  int64_t now = 0;
  int64_t local_times = 0;
  std::string lines;
  int64_t valid = 0;
};

// StoreCopyBatch stores the batch's lines into `table` (InsertNew) and counts
// them: the local times read, those stored accepted, the rest duplicates.
absl::Status StoreCopyBatch(ConnectionPool& pool, const std::string& table,
                            const std::vector<std::string>& columns, const std::string& key,
                            const CopyBatch& batch, IngestTally* tally) {
  tally->LocalTimes(batch.local_times, batch.zone.name);
  ASSIGN_OR_RETURN(const int64_t inserted, InsertNew(pool, table, columns, key, batch.lines));
  tally->Accept(inserted);
  tally->Duplicate(batch.valid - inserted);
  return absl::OkStatus();
}

// StartCopyBatch checks a batch's source and time zone (BatchText: a bad one
// refuses the call) and starts its CopyBatch.
absl::StatusOr<CopyBatch> StartCopyBatch(const std::string& source, const std::string& time_zone) {
  RETURN_IF_ERROR(BatchText(source, time_zone));
  CopyBatch batch;
  ASSIGN_OR_RETURN(batch.zone, ResolveTimeZone(time_zone));
  batch.now = absl::ToUnixMicros(Now());
  return batch;
}

}  // namespace

void AppendSqlTimestamp(std::string* out, int64_t us) {
  // Days from civil (Howard Hinnant's algorithm), run backwards.
  int64_t secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
  const int64_t micros = us - secs * 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[128];
  if (y < 0 || y > 9999) {
    const int n = std::snprintf(
        buf, sizeof(buf), "%04lld-%02lld-%02lld %02lld:%02lld:%02lld.%06lld+00",
        static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
        static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
        static_cast<long long>(rem % 60), static_cast<long long>(micros));
    out->append(buf, static_cast<size_t>(std::max(n, 0)));
    return;
  }
  // Written digit by digit: this runs once per stored reading, and snprintf
  // was a tenth of the ingest's CPU.
  char* p = buf;
  auto put = [&p](int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p += width;
  };
  put(y, 4);
  *p++ = '-';
  put(m, 2);
  *p++ = '-';
  put(d, 2);
  *p++ = ' ';
  put(rem / 3600, 2);
  *p++ = ':';
  put(rem / 60 % 60, 2);
  *p++ = ':';
  put(rem % 60, 2);
  *p++ = '.';
  put(micros, 6);
  *p++ = '+';
  *p++ = '0';
  *p++ = '0';
  out->append(buf, p - buf);
}

std::string SqlTimestamp(int64_t us) {
  std::string out;
  AppendSqlTimestamp(&out, us);
  return out;
}

void IngestTally::LocalTimes(int64_t n, const std::string& zone) {
  if (n == 0 && !summary_.time_zone().empty()) return;
  summary_.set_local_times(summary_.local_times() + n);
  summary_.set_time_zone(zone);
}

void IngestTally::Reject(const std::string& source, int64_t line, const std::string& field,
                         const std::string& reason) {
  summary_.set_rejected(summary_.rejected() + 1);
  if (summary_.rejections_size() >= 1000) return;
  v1::RejectedRow* r = summary_.add_rejections();
  r->set_source(source);
  r->set_line(line);
  r->set_field(field);
  r->set_reason(reason);
}

absl::StatusOr<Directory::Subject> Directory::Meter(const std::string& name,
                                                    const RemoteCall& call) {
  return Resolve(true, name, call);
}

absl::StatusOr<Directory::Subject> Directory::Camera(const std::string& name,
                                                     const RemoteCall& call) {
  return Resolve(false, name, call);
}

absl::StatusOr<Directory::Subject> Directory::Resolve(bool meter, const std::string& name,
                                                      const RemoteCall& call) {
  {
    absl::MutexLock lock(&mu_);
    auto& cache = meter ? meters_ : cameras_;
    auto it = cache.find(name);
    if (it != cache.end()) return it->second;
  }
  const std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() != 6 || parts[0] != "districts" || parts[2] != "enterprises" ||
      parts[4] != (meter ? "meters" : "cameras")) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(name), " 不是", meter ? "电表" : "摄像头",
                                                   "名称（districts/{d}/enterprises/{e}/",
                                                   meter ? "meters" : "cameras", "/{id}）"));
  }
  grpc::ClientContext ctx;
  if (!call.authorization.empty()) ctx.AddMetadata("authorization", call.authorization);
  ctx.set_deadline(absl::ToChronoTime(std::min(call.deadline, absl::Now() + kLookupTimeout)));
  grpc::Status s;
  if (meter) {
    v1::GetMeterRequest req;
    req.set_name(name);
    v1::Meter out;
    s = registry_->GetMeter(&ctx, req, &out);
  } else {
    v1::GetCameraRequest req;
    req.set_name(name);
    v1::Camera out;
    s = registry_->GetCamera(&ctx, req, &out);
  }
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
    return absl::NotFoundError(
        absl::StrCat(name, " 未登记：登记信息中没有这个", meter ? "电表" : "摄像头"));
  }
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        absl::StrCat("登记服务：", s.error_message()));
  }
  Subject subject;
  subject.district_id = parts[1];
  subject.enterprise = absl::StrCat("districts/", parts[1], "/enterprises/", parts[3]);
  const std::string table = meter ? "compliance.meter" : "compliance.camera";
  absl::Status st = InTransaction(*pool_, [&](pqxx::work& tx) {
    tx.exec_params0(absl::StrCat("INSERT INTO ", table,
                                 " (name, district_id, enterprise) VALUES ($1, $2, $3) "
                                 "ON CONFLICT (name) DO NOTHING"),
                    name, subject.district_id, subject.enterprise);
    subject.id =
        tx.exec_params1(absl::StrCat("SELECT id FROM ", table, " WHERE name = $1"), name)[0]
            .as<int>();
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  absl::MutexLock lock(&mu_);
  (meter ? meters_ : cameras_)[name] = subject;
  return subject;
}

absl::Status Directory::Enterprise(const std::string& name, const RemoteCall& call) {
  {
    absl::MutexLock lock(&mu_);
    if (enterprises_.count(name)) return absl::OkStatus();
  }
  grpc::ClientContext ctx;
  if (!call.authorization.empty()) ctx.AddMetadata("authorization", call.authorization);
  ctx.set_deadline(absl::ToChronoTime(std::min(call.deadline, absl::Now() + kLookupTimeout)));
  v1::GetEnterpriseRequest req;
  req.set_name(name);
  v1::Enterprise out;
  grpc::Status s = registry_->GetEnterprise(&ctx, req, &out);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND ||
      s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return absl::NotFoundError(absl::StrCat(name, " 未登记：登记信息中没有这个企业"));
  }
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        absl::StrCat("登记服务：", s.error_message()));
  }
  absl::MutexLock lock(&mu_);
  enterprises_.insert(name);
  return absl::OkStatus();
}

absl::StatusOr<v1::ProductionLedger> Directory::ProductionLedger(const std::string& name,
                                                                 const RemoteCall& call) {
  grpc::ClientContext ctx;
  if (!call.authorization.empty()) ctx.AddMetadata("authorization", call.authorization);
  ctx.set_deadline(absl::ToChronoTime(std::min(call.deadline, absl::Now() + kLookupTimeout)));
  v1::GetProductionLedgerRequest req;
  req.set_name(name);
  v1::ProductionLedger out;
  grpc::Status s = registry_->GetProductionLedger(&ctx, req, &out);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND ||
      s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
      s.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    return absl::NotFoundError(absl::StrCat("登记信息中没有生产台账 ", name));
  }
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        absl::StrCat("登记服务：", s.error_message()));
  }
  return out;
}

absl::Status Ingestor::EnsurePartitions(const std::vector<int64_t>& times) {
  const absl::TimeZone china = absl::FixedTimeZone(8 * 3600);
  std::set<std::string> months;
  // Rows come in runs within one month: a month is named only when a row
  // falls outside the last one's [lo, hi).
  int64_t lo = 0, hi = 0;
  for (int64_t t : times) {
    if (t >= lo && t < hi) continue;
    // The reading at a month's first midnight closes the last interval of
    // the month before, but is stored by its own time like any other.
    const absl::CivilMonth month = absl::ToCivilMonth(absl::FromUnixMicros(t), china);
    lo = absl::ToUnixMicros(absl::FromCivil(month, china));
    hi = absl::ToUnixMicros(absl::FromCivil(month + 1, china));
    months.insert(absl::FormatTime("%Y-%m", absl::FromUnixMicros(t), china));
  }
  for (const std::string& month : months) {
    {
      absl::MutexLock lock(&mu_);
      if (partitions_.count(month)) continue;
    }
    const int year = std::stoi(month.substr(0, 4)), mon = std::stoi(month.substr(5, 2));
    const std::string next =
        mon == 12 ? absl::StrCat(year + 1, "-01") : absl::StrFormat("%04d-%02d", year, mon + 1);
    const std::string table =
        absl::StrCat("compliance.reading_", month.substr(0, 4), month.substr(5, 2));
    absl::Status st = InTransaction(*pool_, [&](pqxx::work& tx) {
      // One creator at a time; IF NOT EXISTS covers the one that came first.
      tx.exec("SELECT pg_advisory_xact_lock(7104)");
      tx.exec0(absl::StrCat("CREATE TABLE IF NOT EXISTS ", table,
                            " PARTITION OF compliance.reading FOR VALUES FROM ('", month,
                            "-01 00:00+08') TO ('", next, "-01 00:00+08')"));
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    absl::MutexLock lock(&mu_);
    partitions_.insert(month);
  }
  return absl::OkStatus();
}

absl::Status Ingestor::Readings(const v1::IngestReadingsRequest& batch, const Principal& caller,
                                const RemoteCall& call, IngestTally* tally) {
  CheckedReadings checked;
  RETURN_IF_ERROR(CheckReadings(batch, caller, call, &checked));
  return StoreReadings(checked, tally);
}

absl::Status Ingestor::CheckReadings(const v1::IngestReadingsRequest& batch,
                                     const Principal& caller, const RemoteCall& call,
                                     CheckedReadings* checked) {
  using Row = CheckedReadings::Row;
  RETURN_IF_ERROR(BatchText(batch.source(), batch.time_zone()));
  ASSIGN_OR_RETURN(const BatchTimeZone zone, ResolveTimeZone(batch.time_zone()));
  checked->batch = &batch;
  checked->zone = zone.name;
  int64_t& local_times = checked->local_times;
  local_times = 0;
  std::vector<Row>& rows = checked->rows;
  rows.clear();
  rows.reserve(batch.readings_size());
  // Rejections of this batch, kept apart until the batch is stored.
  std::vector<CheckedReadings::Rejection>& rejected = checked->rejected;
  rejected.clear();
  std::string last_meter;
  absl::StatusOr<Directory::Subject> last_lookup = absl::UnknownError("");
  const int64_t now = absl::ToUnixMicros(Now());
  static const RowTextFields kText(v1::Reading::descriptor());
  for (int i = 0; i < batch.readings_size(); ++i) {
    const v1::Reading& r = batch.readings(i);
    auto reject = [&](const std::string& field, const std::string& reason) {
      rejected.push_back({r.line(), field, reason});
    };
    if (std::string field, problem = RowProblem(r, r.parse_error(), kText, &field);
        !problem.empty()) {
      reject(field, problem);
      continue;
    }
    if (r.meter().empty()) {
      reject("meter", "meter: 必填（电表）");
      continue;
    }
    // Files run meter by meter: the previous row's meter is usually this one's.
    if (r.meter() != last_meter) {
      last_meter = r.meter();
      last_lookup = absl::StatusOr<Directory::Subject>(absl::UnknownError(""));
      if (absl::Status a = Authorize(caller, "IngestReadings", r.meter()).status(); !a.ok()) {
        last_lookup = absl::PermissionDeniedError(a.message());
      } else {
        last_lookup = directory_->Meter(r.meter(), call);
      }
    }
    const absl::StatusOr<Directory::Subject>& meter = last_lookup;
    if (!meter.ok()) {
      if (meter.status().code() == absl::StatusCode::kNotFound ||
          meter.status().code() == absl::StatusCode::kInvalidArgument ||
          meter.status().code() == absl::StatusCode::kPermissionDenied) {
        reject("meter", absl::StrCat("meter: ", meter.status().message()));
        continue;
      }
      return meter.status();
    }
    int64_t t = 0;
    if (std::string problem =
            TimeProblem(r.has_time(), r.time(), r.local_time(), zone, now, &local_times, &t);
        !problem.empty()) {
      reject("time", problem);
      continue;
    }
    if (r.kind() == v1::READING_KIND_UNSPECIFIED || !v1::ReadingKind_IsValid(r.kind())) {
      reject("kind",
             "kind: 必填，可选：INTERVAL_KWH（区间电量）、CUMULATIVE_KWH（累计表码）、KW（功率）");
      continue;
    }
    if (!std::isfinite(r.value())) {
      reject("value", "value: 不是数值");
      continue;
    }
    if (r.value() < 0) {
      reject("value", absl::StrCat("value: ", FormatNumber(r.value()), " 为负数，读数不能为负"));
      continue;
    }
    rows.push_back({i, meter->id, t, r.kind(), r.value()});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.meter, a.t, a.index) < std::tie(b.meter, b.t, b.index);
  });

  // Each meter's time range in the batch, and the meters with register readings.
  checked->ranges.clear();
  checked->registers.clear();
  for (const Row& r : rows) {
    auto [it, fresh] = checked->ranges.try_emplace(r.meter, r.t, r.t);
    it->second.first = std::min(it->second.first, r.t);
    it->second.second = std::max(it->second.second, r.t);
    if (r.kind == v1::CUMULATIVE_KWH) checked->registers.insert(r.meter);
  }
  return absl::OkStatus();
}

absl::Status Ingestor::StoreReadings(CheckedReadings& checked, IngestTally* tally) {
  using Row = CheckedReadings::Row;
  using Rejection = CheckedReadings::Rejection;
  const v1::IngestReadingsRequest& batch = *checked.batch;
  const std::string& src = batch.source();
  const std::vector<Row>& rows = checked.rows;
  std::vector<Rejection>& rejected = checked.rejected;
  // Rows already stored in each meter's time range, and the register before it.
  std::map<int, std::pair<int64_t, int64_t>>& ranges = checked.ranges;
  const std::set<int>& registers = checked.registers;
  int64_t duplicates = 0;
  std::vector<const Row*> fresh;
  for (int attempt = 0;; ++attempt) {
    std::map<std::pair<int, int64_t>, std::pair<int, double>> stored;
    std::map<int, std::pair<int64_t, double>> register_before;
    std::map<int, std::vector<RegisterEvent>> events;
    if (!ranges.empty()) {
      std::string ms, los, his;
      for (const auto& [m, range] : ranges) {
        absl::StrAppend(&ms, ms.empty() ? "" : ",", m);
        absl::StrAppend(&los, los.empty() ? "" : ",", range.first);
        absl::StrAppend(&his, his.empty() ? "" : ",", range.second);
      }
      std::string rms, rlos;
      for (int m : registers) {
        absl::StrAppend(&rms, rms.empty() ? "" : ",", m);
        absl::StrAppend(&rlos, rlos.empty() ? "" : ",", ranges[m].first);
      }
      absl::Status st = InTransaction(
          *pool_,
          [&](pqxx::work& tx) {
            for (const auto& row :
                 tx.exec_params("SELECT r.meter_id, (extract(epoch from r.time) * 1000000)::int8, "
                                "r.kind, r.value "
                                "FROM unnest($1::int[], $2::int8[], $3::int8[]) AS q(m, lo, hi) "
                                "JOIN compliance.reading r ON r.meter_id = q.m "
                                "AND r.time BETWEEN to_timestamp(q.lo / 1000000.0) AND "
                                "to_timestamp(q.hi / 1000000.0)",
                                "{" + ms + "}", "{" + los + "}", "{" + his + "}")) {
              stored[{row[0].as<int>(), row[1].as<int64_t>()}] = {row[2].as<int>(),
                                                                  row[3].as<double>()};
            }
            if (!rms.empty()) {
              for (const auto& row : tx.exec_params(
                       "SELECT q.m, p.t, p.value FROM unnest($1::int[], $2::int8[]) AS q(m, lo) "
                       "CROSS JOIN LATERAL (SELECT (extract(epoch from r.time) * 1000000)::int8 AS "
                       "t, r.value "
                       "FROM compliance.reading r WHERE r.meter_id = q.m AND r.kind = 2 "
                       "AND r.time < to_timestamp(q.lo / 1000000.0) ORDER BY r.time DESC LIMIT 1) "
                       "p",
                       "{" + rms + "}", "{" + rlos + "}")) {
                register_before[row[0].as<int>()] = {row[1].as<int64_t>(), row[2].as<double>()};
              }
              for (const auto& row : tx.exec_params(
                       "SELECT meter_id, (extract(epoch from time) * 1000000)::int8, new_register "
                       "FROM compliance.meter_event WHERE meter_id = ANY($1::int[]) ORDER BY "
                       "meter_id, time",
                       "{" + rms + "}")) {
                events[row[0].as<int>()].push_back({row[1].as<int64_t>(), row[2].as<double>()});
              }
            }
            return absl::OkStatus();
          },
          Isolation::kRepeatableReadReadOnly);
      if (!st.ok()) return st;
    }
    // Classify: duplicates of stored or earlier rows, conflicts, registers running backwards.
    std::vector<Rejection> conflicts;
    duplicates = 0;
    fresh.clear();
    const Row* previous = nullptr;
    int register_meter = -1;
    int64_t register_t = 0;
    double register_value = 0;
    bool have_register = false;
    for (const Row& r : rows) {
      const v1::Reading& in = batch.readings(r.index);
      if (previous != nullptr && previous->meter == r.meter && previous->t == r.t) {
        if (previous->kind == r.kind && previous->value == r.value) {
          ++duplicates;
        } else {
          conflicts.push_back(
              {in.line(), "value",
               absl::StrCat("value: 与第 ", batch.readings(previous->index).line(), " 行（",
                            v1::ReadingKind_Name(previous->kind), " ",
                            FormatNumber(previous->value), "）是同一电表同一时间的不同读数")});
        }
        continue;
      }
      previous = &r;
      auto s = stored.find({r.meter, r.t});
      if (s != stored.end()) {
        if (s->second.first == r.kind && s->second.second == r.value) {
          ++duplicates;
        } else {
          conflicts.push_back(
              {in.line(), "value",
               absl::StrCat("value: 已存有不同的读数（",
                            v1::ReadingKind_Name(static_cast<v1::ReadingKind>(s->second.first)),
                            " ", FormatNumber(s->second.second), "）：", in.meter(), "，",
                            TimeText(r.t))});
        }
        continue;
      }
      if (r.kind == v1::CUMULATIVE_KWH) {
        if (register_meter != r.meter) {
          register_meter = r.meter;
          auto b = register_before.find(r.meter);
          have_register = b != register_before.end();
          if (have_register) std::tie(register_t, register_value) = b->second;
        }
        // Stored register readings inside this batch's range count too.
        for (auto it = stored.lower_bound({r.meter, register_t + (have_register ? 1 : 0)});
             it != stored.end() && it->first.first == r.meter && it->first.second < r.t; ++it) {
          if (it->second.first == v1::CUMULATIVE_KWH) {
            have_register = true;
            register_t = it->first.second;
            register_value = it->second.second;
          }
        }
        if (have_register) {
          // A register runs backwards only after a recorded reset or replacement.
          if (std::string problem =
                  RegisterProblem(r.value, r.t, register_value, register_t, events[r.meter]);
              !problem.empty()) {
            conflicts.push_back({in.line(), "value", problem});
            continue;
          }
        }
        have_register = true;
        register_t = r.t;
        register_value = r.value;
      }
      fresh.push_back(&r);
    }
    // Store the fresh rows.
    std::vector<int64_t> times;
    times.reserve(fresh.size());
    for (const Row* r : fresh) times.push_back(r->t);
    if (absl::Status st = EnsurePartitions(times); !st.ok()) return st;
    absl::Status st = fresh.empty() ? absl::OkStatus() : InTransaction(*pool_, [&](pqxx::work& tx) {
      CopyWriter copy(tx, "compliance.reading", {"meter_id", "time", "kind", "value"});
      std::string lines;
      lines.reserve(kCopyChunk + 128);
      for (const Row* r : fresh) {
        absl::StrAppend(&lines, r->meter, "\t");
        AppendSqlTimestamp(&lines, r->t);
        absl::StrAppend(&lines, "\t", static_cast<int>(r->kind), "\t");
        AppendDouble(&lines, r->value);
        lines.push_back('\n');
        if (lines.size() >= kCopyChunk) {
          copy.WriteLines(lines);
          lines.clear();
        }
      }
      copy.WriteLines(lines);
      copy.Complete();
      std::vector<DayReading> stored;
      stored.reserve(fresh.size());
      for (const Row* r : fresh) stored.push_back({r->meter, r->t, r->kind, r->value});
      StoreReadingDays(tx, stored);
      return absl::OkStatus();
    });
    if (st.code() == absl::StatusCode::kAlreadyExists && attempt == 0)
      continue;  // a concurrent sender: look again
    if (!st.ok()) return st;
    rejected.insert(rejected.end(), conflicts.begin(), conflicts.end());
    break;
  }
  std::sort(rejected.begin(), rejected.end(),
            [](const Rejection& a, const Rejection& b) { return a.line < b.line; });
  for (const Rejection& r : rejected) tally->Reject(src, r.line, r.field, r.reason);
  tally->LocalTimes(checked.local_times, checked.zone);
  tally->Accept(static_cast<int64_t>(fresh.size()));
  tally->Duplicate(duplicates);
  return absl::OkStatus();
}

absl::Status Ingestor::GateEvents(const v1::IngestGateEventsRequest& batch, const Principal& caller,
                                  const RemoteCall& call, IngestTally* tally) {
  const std::string& src = batch.source();
  ASSIGN_OR_RETURN(CopyBatch rows, StartCopyBatch(src, batch.time_zone()));
  static const RowTextFields kText(v1::GateEvent::descriptor());
  for (const v1::GateEvent& e : batch.events()) {
    auto reject = [&](const std::string& field, const std::string& reason) {
      tally->Reject(src, e.line(), field, reason);
    };
    if (std::string field, problem = RowProblem(e, e.parse_error(), kText, &field);
        !problem.empty()) {
      reject(field, problem);
      continue;
    }
    if (e.camera().empty()) {
      reject("camera", "camera: 必填（摄像头）");
      continue;
    }
    if (absl::Status a = Authorize(caller, "IngestGateEvents", e.camera()).status(); !a.ok()) {
      reject("camera", absl::StrCat("camera: ", a.message()));
      continue;
    }
    auto camera = directory_->Camera(e.camera(), call);
    if (!camera.ok()) {
      if (camera.status().code() == absl::StatusCode::kNotFound ||
          camera.status().code() == absl::StatusCode::kInvalidArgument ||
          camera.status().code() == absl::StatusCode::kPermissionDenied) {
        reject("camera", absl::StrCat("camera: ", camera.status().message()));
        continue;
      }
      return camera.status();
    }
    int64_t t = 0;
    if (std::string problem = TimeProblem(e.has_time(), e.time(), e.local_time(), rows.zone,
                                          rows.now, &rows.local_times, &t);
        !problem.empty()) {
      reject("time", problem);
      continue;
    }
    const std::string plate = NormalizePlate(e.plate());
    if (plate.empty()) {
      reject("plate", "plate: 必填（车牌号；未识别的车牌填写“未识别”）");
      continue;
    }
    if (!IsPassageDirection(e.direction())) {
      reject("direction", "direction: 必填，可选：ENTRY（进）、EXIT（出）");
      continue;
    }
    if (!v1::VehicleClass_IsValid(e.vehicle_class())) {
      reject("vehicle_class", "vehicle_class: 无此取值");
      continue;
    }
    if (!std::isfinite(e.tonnage()) || e.tonnage() < 0) {
      reject("tonnage", absl::StrCat("tonnage: ", e.tonnage(), " 须为不小于 0 的数值"));
      continue;
    }
    ++rows.valid;
    absl::StrAppend(&rows.lines, camera->id, "\t", SqlTimestamp(t), "\t");
    AppendCopyText(&rows.lines, plate);
    absl::StrAppend(&rows.lines, "\t", static_cast<int>(e.direction()), "\t",
                    static_cast<int>(e.vehicle_class()), "\t");
    AppendCopyText(&rows.lines, e.photo());
    rows.lines.push_back('\t');
    AppendCopyText(&rows.lines, e.cargo());
    rows.lines.push_back('\t');
    AppendDouble(&rows.lines, e.tonnage());
    rows.lines.push_back('\n');
  }
  return StoreCopyBatch(
      *pool_, "compliance.gate_event",
      {"camera_id", "time", "plate", "direction", "vehicle_class", "photo", "cargo", "tonnage"},
      "camera_id, time, plate", rows, tally);
}

absl::Status Ingestor::LedgerRows(const v1::IngestLedgerRowsRequest& batch, const Principal& caller,
                                  const RemoteCall& call, IngestTally* tally) {
  const std::string& src = batch.source();
  ASSIGN_OR_RETURN(CopyBatch rows, StartCopyBatch(src, batch.time_zone()));
  static const RowTextFields kText(v1::LedgerRow::descriptor());
  for (const v1::LedgerRow& r : batch.rows()) {
    auto reject = [&](const std::string& field, const std::string& reason) {
      tally->Reject(src, r.line(), field, reason);
    };
    if (std::string field, problem = RowProblem(r, r.parse_error(), kText, &field);
        !problem.empty()) {
      reject(field, problem);
      continue;
    }
    const std::vector<std::string> parts = absl::StrSplit(r.enterprise(), '/');
    if (parts.size() != 4 || parts[0] != "districts" || parts[2] != "enterprises") {
      reject("enterprise", absl::StrCat("enterprise: ", Quote(r.enterprise()),
                                        " 不是企业名称（districts/{d}/enterprises/{e}）"));
      continue;
    }
    if (absl::Status a = Authorize(caller, "IngestLedgerRows", r.enterprise()).status(); !a.ok()) {
      reject("enterprise", absl::StrCat("enterprise: ", a.message()));
      continue;
    }
    if (absl::Status known = directory_->Enterprise(r.enterprise(), call); !known.ok()) {
      if (known.code() != absl::StatusCode::kNotFound) return known;
      reject("enterprise", absl::StrCat("enterprise: ", known.message()));
      continue;
    }
    const std::string plate = NormalizePlate(r.plate());
    if (plate.empty()) {
      reject("plate", "plate: 必填（车牌号）");
      continue;
    }
    int64_t t = 0;
    if (std::string problem = TimeProblem(r.has_time(), r.time(), r.local_time(), rows.zone,
                                          rows.now, &rows.local_times, &t);
        !problem.empty()) {
      reject("time", problem);
      continue;
    }
    if (!IsPassageDirection(r.direction())) {
      reject("direction", "direction: 必填，可选：ENTRY（进）、EXIT（出）");
      continue;
    }
    if (!r.vin().empty() && r.vin().size() != 17) {
      reject("vin", absl::StrCat("vin: ", Quote(r.vin()), " 须为 17 位车辆识别代号"));
      continue;
    }
    if (!r.registration_date().empty()) {
      if (absl::Status d = ValidateDate(r.registration_date()); !d.ok()) {
        reject("registration_date", absl::StrCat("registration_date: ", d.message()));
        continue;
      }
    }
    if (!v1::EmissionStage_IsValid(r.emission_stage())) {
      reject("emission_stage", "emission_stage: 无此取值");
      continue;
    }
    if (!std::isfinite(r.tonnage()) || r.tonnage() < 0) {
      reject("tonnage", absl::StrCat("tonnage: ", r.tonnage(), " 须为不小于 0 的数值"));
      continue;
    }
    ++rows.valid;
    absl::StrAppend(&rows.lines, parts[1], "\t");
    AppendCopyText(&rows.lines, r.enterprise());
    rows.lines.push_back('\t');
    AppendCopyText(&rows.lines, plate);
    absl::StrAppend(&rows.lines, "\t", SqlTimestamp(t), "\t", static_cast<int>(r.direction()),
                    "\t");
    for (const std::string* v : {&r.vin(), &r.engine_number()}) {
      AppendCopyText(&rows.lines, *v);
      rows.lines.push_back('\t');
    }
    absl::StrAppend(&rows.lines, static_cast<int>(r.emission_stage()), "\t");
    for (const std::string* v : {&r.registration_date(), &r.cargo()}) {
      AppendCopyText(&rows.lines, *v);
      rows.lines.push_back('\t');
    }
    AppendDouble(&rows.lines, r.tonnage());
    rows.lines.push_back('\t');
    AppendCopyText(&rows.lines, r.fleet());
    rows.lines.push_back('\n');
  }
  return StoreCopyBatch(
      *pool_, "compliance.ledger_row",
      {"district_id", "enterprise", "plate", "time", "direction", "vin", "engine_number",
       "emission_stage", "registration_date", "cargo", "tonnage", "fleet"},
      "enterprise, plate, time, direction", rows, tally);
}

}  // namespace cuofeng
