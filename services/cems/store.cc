#include "services/cems/store.h"

#include <array>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/hash/sha256.h"
#include "lib/log/log.h"
#include "lib/model/clock.h"

namespace cuofeng {
namespace {

// China has kept +08:00 all year since 1991: device times are read so.
const absl::TimeZone& ChinaTime() {
  static const absl::TimeZone* zone = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  return *zone;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*S%Ez", t, ChinaTime());
}

std::string ChinaDay(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, ChinaTime()); }

std::optional<std::string> Number(const std::optional<double>& v) {
  if (!v.has_value()) return std::nullopt;
  return absl::StrFormat("%.15g", *v);
}

// Printable is at most 200 bytes of device input with anything but printable
// ASCII escaped, so a sample is always valid text.
std::string Printable(absl::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 200)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", c));
    }
  }
  return out;
}

struct Rejection {
  std::string mn, reason, sample, peer;
};

// SameSecret compares two password hashes in time independent of where they
// differ (the lengths are public: "sha256:" and 64 hex digits).
bool SameSecret(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  }
  return diff == 0;
}

// The most refusal rows written per batch; the rest are only counted.
constexpr int kRejectionRowsPerBatch = 200;

}  // namespace

CemsStore::CemsStore(ConnectionPool* pool, std::shared_ptr<grpc::Channel> registry,
                     std::string authorization)
    : pool_(pool),
      registry_(registry == nullptr ? nullptr : v1::RegistryService::NewStub(registry)),
      authorization_(std::move(authorization)) {}

CemsStore::Counts CemsStore::counts() const {
  absl::MutexLock lock(&mu_);
  return counts_;
}

absl::Status CemsStore::LoadPoints() {
  if (registry_ == nullptr) return absl::FailedPreconditionError("no registry to read points from");
  std::map<std::string, Point> points;
  v1::ListMonitoringPointsRequest req;
  req.set_parent("districts/-/enterprises/-");
  req.set_page_size(1000);
  // A registry of n points is n/1000 pages: far fewer than this, which
  // only stops a registry that keeps answering with a next page.
  for (int page = 0; page < 100000; ++page) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", authorization_);
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + registry_deadline));
    // The receiver may start before this process's gRPC server listens.
    ctx.set_wait_for_ready(true);
    v1::ListMonitoringPointsResponse resp;
    grpc::Status s = registry_->ListMonitoringPoints(&ctx, req, &resp);
    if (!s.ok()) {
      return absl::Status(
          static_cast<absl::StatusCode>(s.error_code()),
          absl::StrCat("RegistryService.ListMonitoringPoints: ", s.error_message()));
    }
    for (const v1::MonitoringPoint& p : resp.monitoring_points()) {
      if (p.mn().empty()) continue;
      points[p.mn()] = Point{p.name(), p.access_password()};
    }
    if (resp.next_page_token().empty()) {
      points_ = std::move(points);
      return absl::OkStatus();
    }
    req.set_page_token(resp.next_page_token());
  }
  return absl::ResourceExhaustedError("RegistryService.ListMonitoringPoints: too many pages");
}

const CemsStore::Point* CemsStore::LookUp(const std::string& mn, const std::string& pw) {
  const std::string given = absl::StrCat("sha256:", Sha256Hex(pw));
  const absl::Time now = absl::Now();
  auto it = points_.find(mn);
  if (it != points_.end() && SameSecret(it->second.password, given) &&
      now - points_loaded_ < refresh_every) {
    return &it->second;
  }
  // Unknown, a password that may have changed since the points were loaded,
  // or points older than refresh_every (a point deleted, a key revoked):
  // reload, at most once every reload_every whatever devices send.
  if (now - points_loaded_ >= reload_every) {
    points_loaded_ = now;
    absl::Status st = LoadPoints();
    if (!st.ok()) {
      const bool key_refused = absl::IsUnauthenticated(st) || absl::IsPermissionDenied(st);
      // A key refused reads nothing: no device is known through it.
      if (key_refused) points_.clear();
      logging::Warning(
          key_refused ? "HJ 212: the registry refuses the receiver's service key "
                        "(--hj212_key_file): every device is refused as unknown MN"
                      : "HJ 212: cannot read the monitoring points from the registry; the "
                        "points loaded before stay in use",
          {{"error", std::string(st.message())}, {"points", static_cast<int64_t>(points_.size())}});
    }
    it = points_.find(mn);
  }
  return it == points_.end() ? nullptr : &it->second;
}

void CemsStore::Handle(std::vector<hj212::Received>& batch) {
  const absl::Time received = Now();
  const std::string received_text = Rfc3339(received);
  const std::string day = ChinaDay(received);
  struct Upload {
    const hj212::Received* r;
    std::string point, data_time;
    hj212::DataArea area;
  };
  std::vector<Upload> uploads;
  std::vector<Rejection> rejections;
  std::map<std::string, int64_t> other_by_mn;  // well-formed packets that carry no data
  std::vector<const hj212::Received*> answer;
  std::set<std::tuple<std::string, int, std::string>> keys;  // within this batch
  std::map<std::string, int64_t> duplicate_in_batch;
  for (const hj212::Received& r : batch) {
    if (!r.ok) {
      rejections.push_back({"", r.reason, Printable(r.data), r.peer});
      continue;
    }
    const hj212::Packet& p = r.packet;
    const Point* point = LookUp(p.mn, p.pw);
    if (point == nullptr) {
      rejections.push_back(
          {"", absl::StrCat("未登记的设备 MN=", Printable(p.mn), "（registry 中没有这个排放口）"),
           Printable(r.data), r.peer});
      continue;
    }
    if (!SameSecret(point->password, absl::StrCat("sha256:", Sha256Hex(p.pw)))) {
      rejections.push_back({p.mn, "访问密码 PW 不对", "", r.peer});
      continue;
    }
    if (!hj212::IsDataUpload(p.cn)) {
      ++other_by_mn[p.mn];
      continue;
    }
    auto area = hj212::ParseDataArea(p.cp);
    if (!area.ok()) {
      rejections.push_back({p.mn, absl::StrCat("数据区无法解析: ", area.status().message()),
                            Printable(r.data), r.peer});
      continue;
    }
    const absl::Time data_time = absl::FromCivil(area->data_time, ChinaTime());
    if (data_time > received + absl::Minutes(5)) {
      rejections.push_back({p.mn,
                            absl::StrCat("DataTime ", Rfc3339(data_time), " 晚于服务器时间 ",
                                         received_text, "（设备时钟不对？）"),
                            Printable(r.data), r.peer});
      continue;
    }
    std::string time_text = Rfc3339(data_time);
    if (!keys.insert({p.mn, p.cn, time_text}).second) {
      ++duplicate_in_batch[p.mn];
      if (p.WantsAnswer()) answer.push_back(&r);
      continue;
    }
    uploads.push_back({&r, point->name, std::move(time_text), std::move(*area)});
  }

  std::map<std::string, int64_t> accepted_by_mn;
  const absl::Time give_up = absl::Now() + retry_for;
  absl::Duration backoff = absl::Milliseconds(100);
  absl::Status st;
  while (true) {
    accepted_by_mn.clear();
    st = InTransaction(*pool_, [&](pqxx::work& tx) {
      tx.exec0(
          "CREATE TEMP TABLE b_packet (LIKE cems.packet) ON COMMIT DROP;"
          "CREATE TEMP TABLE b_value (LIKE cems.value INCLUDING DEFAULTS) ON COMMIT DROP;"
          "CREATE TEMP TABLE b_count (LIKE cems.daily_count INCLUDING DEFAULTS) ON COMMIT DROP");
      {
        CopyWriter copy(tx, "b_packet",
                        {"mn", "cn", "data_time", "point", "received_at", "peer", "data"});
        for (const Upload& u : uploads) {
          NullableParams row;
          row.Add(u.r->packet.mn);
          row.Add(absl::StrCat(u.r->packet.cn));
          row.Add(u.data_time);
          row.Add(u.point);
          row.Add(received_text);
          row.Add(u.r->peer);
          row.Add(u.r->data);
          copy.WriteRow(row);
        }
        copy.Complete();
      }
      {
        CopyWriter copy(tx, "b_value",
                        {"mn", "cn", "data_time", "code", "rtd", "avg", "min", "max", "cou",
                         "zs_rtd", "zs_avg", "flag"});
        for (const Upload& u : uploads) {
          for (const auto& [code, v] : u.area.values) {
            NullableParams row;
            row.Add(u.r->packet.mn);
            row.Add(absl::StrCat(u.r->packet.cn));
            row.Add(u.data_time);
            row.Add(code);
            row.Add(Number(v.rtd));
            row.Add(Number(v.avg));
            row.Add(Number(v.min));
            row.Add(Number(v.max));
            row.Add(Number(v.cou));
            row.Add(Number(v.zs_rtd));
            row.Add(Number(v.zs_avg));
            row.Add(v.flag);
            copy.WriteRow(row);
          }
        }
        copy.Complete();
      }
      pqxx::result inserted = tx.exec(
          "WITH ins AS (INSERT INTO cems.packet SELECT * FROM b_packet ON CONFLICT DO NOTHING "
          "             RETURNING mn, cn, data_time),"
          "     vals AS (INSERT INTO cems.value SELECT v.* FROM b_value v "
          "              JOIN ins USING (mn, cn, data_time) RETURNING 1) "
          "SELECT mn, count(*) FROM ins GROUP BY mn");
      for (const auto& row : inserted) {
        accepted_by_mn[row[0].as<std::string>()] = row[1].as<int64_t>();
      }
      std::map<std::string, int64_t> uploads_by_mn;
      for (const Upload& u : uploads) ++uploads_by_mn[u.r->packet.mn];
      std::map<std::string, std::array<int64_t, 3>> counts;  // accepted, duplicate, rejected
      for (const auto& [mn, n] : uploads_by_mn) {
        const int64_t accepted = accepted_by_mn[mn];
        counts[mn][0] += accepted;
        counts[mn][1] += n - accepted;
      }
      for (const auto& [mn, n] : other_by_mn) counts[mn][0] += n;
      for (const auto& [mn, n] : duplicate_in_batch) counts[mn][1] += n;
      for (const Rejection& r : rejections) counts[r.mn][2] += 1;
      {
        CopyWriter copy(tx, "b_count", {"mn", "day", "accepted", "duplicate", "rejected"});
        for (const auto& [mn, c] : counts) {
          NullableParams row;
          row.Add(mn);
          row.Add(day);
          row.Add(absl::StrCat(c[0]));
          row.Add(absl::StrCat(c[1]));
          row.Add(absl::StrCat(c[2]));
          copy.WriteRow(row);
        }
        copy.Complete();
      }
      tx.exec0(
          "INSERT INTO cems.daily_count SELECT * FROM b_count ON CONFLICT (mn, day) DO UPDATE SET "
          "accepted = cems.daily_count.accepted + excluded.accepted, "
          "duplicate = cems.daily_count.duplicate + excluded.duplicate, "
          "rejected = cems.daily_count.rejected + excluded.rejected");
      if (!rejections.empty()) {
        CopyWriter copy(tx, "cems.rejection", {"received_at", "peer", "mn", "reason", "sample"});
        int written = 0;
        for (const Rejection& r : rejections) {
          if (++written > kRejectionRowsPerBatch) break;
          NullableParams row;
          row.Add(received_text);
          row.Add(r.peer);
          row.Add(r.mn);
          row.Add(r.reason.substr(0, 1000));
          row.Add(r.sample);
          copy.WriteRow(row);
        }
        copy.Complete();
      }
      return absl::OkStatus();
    });
    if (st.ok() || !(absl::IsUnavailable(st) || absl::IsResourceExhausted(st) ||
                     absl::IsDeadlineExceeded(st) || absl::IsAborted(st))) {
      break;
    }
    if (absl::Now() + backoff > give_up) break;
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
  if (!st.ok()) {
    // Unanswered, so devices that asked for answers send these again.
    logging::Error(
        "HJ 212: a batch of packets could not be stored",
        {{"packets", static_cast<int64_t>(batch.size())}, {"error", std::string(st.message())}});
    absl::MutexLock lock(&mu_);
    ++counts_.not_stored;
    return;
  }
  int64_t accepted = 0, duplicate = 0;
  for (const auto& [mn, n] : accepted_by_mn) accepted += n;
  duplicate = static_cast<int64_t>(uploads.size()) - accepted;
  for (const auto& [mn, n] : duplicate_in_batch) duplicate += n;
  for (const auto& [mn, n] : other_by_mn) accepted += n;
  {
    absl::MutexLock lock(&mu_);
    counts_.accepted += static_cast<uint64_t>(accepted);
    counts_.duplicate += static_cast<uint64_t>(duplicate);
    counts_.rejected += rejections.size();
  }
  if (sender_) {
    for (const Upload& u : uploads) {
      if (u.r->packet.WantsAnswer()) sender_(u.r->connection, hj212::DataAnswer(u.r->packet));
    }
    for (const hj212::Received* r : answer) sender_(r->connection, hj212::DataAnswer(r->packet));
  }
}

}  // namespace cuofeng
