#include "services/compliance/compliance_service.h"

#include <algorithm>
#include <cmath>
#include <future>
#include <map>
#include <set>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/filter/filter.h"
#include "lib/metrics/metrics.h"
#include "lib/model/clock.h"
#include "lib/model/labels.h"
#include "lib/paging/page_token.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "lib/status/status_macros.h"
#include "lib/text/text.h"
#include "lib/verification/cems_evidence.h"
#include "services/cems/reader.h"
#include "services/cems/transmission.h"
#include "services/compliance/run_progress.h"

namespace cuofeng {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

// A verification run may take this long at most, whatever the caller allows.
constexpr absl::Duration kVerificationCap = absl::Minutes(10);
// A registry lookup made on behalf of a call.
constexpr absl::Duration kLookupCap = absl::Seconds(10);

std::string AuthorizationOf(const grpc::ServerContext* ctx) {
  auto it = ctx->client_metadata().find("authorization");
  return it == ctx->client_metadata().end() ? ""
                                            : std::string(it->second.data(), it->second.size());
}

// DeadlineOf is the caller's deadline (real time), at most `cap` from now:
// what every nested call and database read of the call is bounded by.
absl::Time DeadlineOf(const grpc::ServerContext* ctx, absl::Duration cap) {
  const absl::Time capped = absl::Now() + cap;
  const auto d = ctx->deadline();
  if (d >= std::chrono::system_clock::now() + std::chrono::hours(24 * 365)) return capped;
  return std::min(absl::FromChrono(d), capped);
}

// The parts of districts/{d}/enterprises/{e}/findings/{n}, or empty.
bool IsFindingName(const std::string& name) {
  std::vector<std::string> p = absl::StrSplit(name, '/');
  return p.size() == 6 && p[0] == "districts" && p[2] == "enterprises" && p[4] == "findings" &&
         !p[1].empty() && !p[3].empty() && !p[5].empty();
}

// StatusText is a finding status for people with its code: "已确认 CONFIRMED".
std::string StatusText(v1::FindingStatus status) {
  const std::string code = v1::FindingStatus_Name(status);
  const std::string label = ChineseLabel(code);
  return label == code ? code : absl::StrCat(label, " ", code);
}

absl::StatusOr<v1::Finding> LoadFinding(pqxx::transaction_base& tx, const std::string& name,
                                        bool lock) {
  pqxx::result r = tx.exec_params(
      absl::StrCat("SELECT ", ComplianceRepository::FindingColumns(),
                   " FROM compliance.finding f WHERE f.name = $1", lock ? " FOR UPDATE" : ""),
      name);
  if (r.empty()) return absl::NotFoundError(absl::StrCat("核查发现 ", name, " 不存在"));
  return ComplianceRepository::FindingFromRow(r[0]);
}

// What an ingest call stored readings of, for live verification.
struct LiveBatch {
  std::set<std::string> meters;
  absl::Time from = absl::InfiniteFuture(), to = absl::InfinitePast();
};
void NoteForLive(const v1::IngestReadingsRequest& req, LiveBatch* batch) {
  for (const v1::Reading& r : req.readings()) {
    if (r.meter().empty() || !r.parse_error().empty()) continue;
    absl::Time a, b;
    if (!r.local_time().empty()) {
      // Read in the batch's zone by the ingest: any zone is within 14 hours of UTC.
      absl::Time t;
      std::string err;
      if (!absl::ParseTime("%Y-%m-%d %H:%M:%S", r.local_time(), absl::UTCTimeZone(), &t, &err) &&
          !absl::ParseTime("%Y-%m-%d %H:%M", r.local_time(), absl::UTCTimeZone(), &t, &err)) {
        continue;
      }
      a = t - absl::Hours(14);
      b = t + absl::Hours(14);
    } else if (r.has_time()) {
      a = b = FromTimestamp(r.time());
    } else {
      continue;
    }
    batch->meters.insert(r.meter());
    batch->from = std::min(batch->from, a);
    batch->to = std::max(batch->to, b);
  }
}
// Issue 21: ledger days are judged live too (material balance): the ledger
// stands for its enterprise, the day for the range.
void NoteForLive(const v1::IngestProductionDaysRequest& req, LiveBatch* batch) {
  for (const v1::ProductionDay& d : req.days()) {
    if (d.ledger().empty() || !d.parse_error().empty()) continue;
    absl::Time day;
    std::string err;
    if (!absl::ParseTime("%Y-%m-%d", d.day(), absl::FixedTimeZone(8 * 3600), &day, &err)) continue;
    batch->meters.insert(d.ledger());
    batch->from = std::min(batch->from, day);
    batch->to = std::max(batch->to, day + absl::Hours(24));
  }
}
template <typename Request>
void NoteForLive(const Request&, LiveBatch*) {}

}  // namespace

ComplianceServiceImpl::ComplianceServiceImpl(CallGuard* guard,
                                             std::shared_ptr<grpc::Channel> registry,
                                             std::shared_ptr<grpc::Channel> planning,
                                             LiveOptions live)
    : guard_(guard),
      repo_(&guard->pool()),
      directory_(&guard->pool(), registry),
      ingestor_(&guard->pool(), &directory_),
      verifier_(&repo_, registry, planning),
      registry_(v1::RegistryService::NewStub(registry)) {
  if (live.enabled) {
    live_ = std::make_unique<LiveVerifier>(
        &verifier_, &repo_,
        [this](VerificationOutcome& outcome, const std::string& run_by) {
          const std::string district = absl::StrCat("districts/", outcome.district_id);
          absl::Status st = InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
            ASSIGN_OR_RETURN(v1::VerificationRun run, StoreOutcome(tx, outcome, district, run_by));
            WriteAudit(tx, run_by, "LiveVerification", run.name(), "", "OK",
                       absl::StrCat("核查发现：新增 ", run.findings_new(), " 条，已有记录 ",
                                    run.findings_unchanged(), " 条，被取代 ",
                                    run.findings_superseded(), " 条"));
            return absl::OkStatus();
          });
          metrics::VerificationRuns(st.ok() ? "LIVE_OK" : "LIVE_FAILED").Increment();
          Ring();
          return st;
        },
        live.sweep, live.service_authorization, live.service_key_name);
  }
}

ComplianceServiceImpl::~ComplianceServiceImpl() { live_.reset(); }

void ComplianceServiceImpl::Ring() {
  {
    std::lock_guard<std::mutex> lock(bell_mu_);
    ++rung_;
  }
  bell_.notify_all();
}

template <typename Request>
grpc::Status ComplianceServiceImpl::Ingest(
    grpc::ServerContext* ctx, const char* method, grpc::ServerReader<Request>* reader,
    v1::IngestSummary* resp,
    absl::Status (Ingestor::*batch)(const Request&, const Principal&, const RemoteCall&,
                                    IngestTally*)) {
  auto principal = guard_->Authenticate(ctx);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  // Rows are authorised one by one; a role that may send nothing is refused at once.
  if (absl::Status a =
          Authorize(*principal, method, principal->scope.empty() ? "districts/-" : principal->scope)
              .status();
      !a.ok()) {
    return ToGrpcStatus(a);
  }
  const RemoteCall call{AuthorizationOf(ctx), DeadlineOf(ctx, absl::Hours(24))};
  IngestTally tally;
  std::set<std::string> sources;
  Request req;
  absl::Status status;
  bool marked = false, last = false;
  LiveBatch live;
  if constexpr (std::is_same_v<Request, v1::IngestReadingsRequest>) {
    // Readings are pipelined: this thread reads and checks batch k+1 (row by
    // row: text, meter, time, kind, value) while a writer stores batch k
    // (against the rows stored, COPY, day aggregates, commit). Batches are
    // stored one at a time and in order, each seeing those before it, and
    // counted as they are stored: when one fails the stream stops as before,
    // and the batch checked after it is neither stored nor counted.
    struct Slot {
      v1::IngestReadingsRequest req;
      CheckedReadings checked;
    };
    std::unique_ptr<Slot> stored, spare;  // two slots, in turn
    std::future<absl::Status> storing;
    auto finish = [&]() -> absl::Status {
      if (!storing.valid()) return absl::OkStatus();
      absl::Status st = storing.get();
      if (live_ != nullptr) NoteForLive(stored->req, &live);
      spare = std::move(stored);
      return st;
    };
    while (status.ok()) {
      std::unique_ptr<Slot> slot = spare != nullptr ? std::move(spare) : std::make_unique<Slot>();
      if (!reader->Read(&slot->req)) break;
      const Request& r = slot->req;
      if (!r.source().empty() && sources.size() < 20) sources.insert(Printable(r.source(), 200));
      marked = marked || r.marked();
      last = last || r.last();
      const absl::Status checked = ingestor_.CheckReadings(r, *principal, call, &slot->checked);
      status = finish();
      if (status.ok()) status = checked;
      if (!status.ok()) break;
      stored = std::move(slot);
      storing = std::async(std::launch::async, [this, s = stored.get(), &tally] {
        return ingestor_.StoreReadings(s->checked, &tally);
      });
    }
    if (absl::Status st = finish(); status.ok()) status = st;
  } else {
    while (status.ok() && reader->Read(&req)) {
      if (!req.source().empty() && sources.size() < 20)
        sources.insert(Printable(req.source(), 200));
      marked = marked || req.marked();
      last = last || req.last();
      status = (ingestor_.*batch)(req, *principal, call, &tally);
      if (live_ != nullptr) NoteForLive(req, &live);
    }
  }
  if (status.ok() && marked && !last) {
    status = absl::InvalidArgumentError(
        "数据流在最后一条消息之前中断（服务器无法读取的消息，或客户端中途停止）；"
        "其后的行没有读取");
  }
  const v1::IngestSummary& s = tally.summary();
  {
    // Rows per kind and outcome for the metrics endpoint (IngestReadings → readings).
    std::string kind = absl::AsciiStrToLower(absl::StripPrefix(method, "Ingest"));
    metrics::IngestRows(kind, "accepted").Increment(static_cast<double>(s.accepted()));
    metrics::IngestRows(kind, "duplicate").Increment(static_cast<double>(s.duplicate()));
    metrics::IngestRows(kind, "rejected").Increment(static_cast<double>(s.rejected()));
  }
  absl::Status audited = InTransaction(guard_->pool(), [&](pqxx::work& tx) {
    WriteAudit(tx, principal->key_name, method, principal->scope, "",
               status.ok() ? "OK" : StatusCodeName(status.code()),
               absl::StrCat("接收 ", s.accepted(), " 行，重复 ", s.duplicate(), " 行，拒收 ",
                            s.rejected(), " 行；来源：", absl::StrJoin(sources, ", "), "；",
                            s.local_times(), " 个不带时区偏移的时间按 ", s.time_zone(), " 读取",
                            status.ok() ? "" : absl::StrCat("；中止：", status.message())));
    return absl::OkStatus();
  });
  if (!audited.ok()) ReportAuditFailure(method, audited);
  // What was stored is checked live (the rows of a stream stopped midway too).
  // (An enterprise key may not read its whole district: its readings wait for the next sweep.)
  if (live_ != nullptr && s.accepted() > 0 && principal->role != Role::kEnterprise) {
    live_->Arrived(live.meters, live.from, live.to, call.authorization, principal->key_name);
  }
  if (!status.ok()) {
    // Every row counted: say what was stored before the stream stopped.
    absl::Status counted(status.code(),
                         absl::StrCat(status.message(), "（此前：接收 ", s.accepted(), " 行，重复 ",
                                      s.duplicate(), " 行，拒收 ", s.rejected(), " 行）"));
    status.ForEachPayload(
        [&](absl::string_view url, const absl::Cord& p) { counted.SetPayload(url, p); });
    return ToGrpcStatus(counted);
  }
  *resp = s;
  return grpc::Status::OK;
}

grpc::Status ComplianceServiceImpl::IngestReadings(
    grpc::ServerContext* ctx, grpc::ServerReader<v1::IngestReadingsRequest>* reader,
    v1::IngestSummary* resp) {
  return Ingest(ctx, "IngestReadings", reader, resp, &Ingestor::Readings);
}

grpc::Status ComplianceServiceImpl::IngestGateEvents(
    grpc::ServerContext* ctx, grpc::ServerReader<v1::IngestGateEventsRequest>* reader,
    v1::IngestSummary* resp) {
  return Ingest(ctx, "IngestGateEvents", reader, resp, &Ingestor::GateEvents);
}

grpc::Status ComplianceServiceImpl::IngestLedgerRows(
    grpc::ServerContext* ctx, grpc::ServerReader<v1::IngestLedgerRowsRequest>* reader,
    v1::IngestSummary* resp) {
  return Ingest(ctx, "IngestLedgerRows", reader, resp, &Ingestor::LedgerRows);
}

grpc::Status ComplianceServiceImpl::IngestProductionDays(
    grpc::ServerContext* ctx, grpc::ServerReader<v1::IngestProductionDaysRequest>* reader,
    v1::IngestSummary* resp) {
  return Ingest(ctx, "IngestProductionDays", reader, resp, &Ingestor::ProductionDays);
}

grpc::Status ComplianceServiceImpl::ListBaselines(grpc::ServerContext* ctx,
                                                  const v1::ListBaselinesRequest* req,
                                                  v1::ListBaselinesResponse* resp) {
  std::vector<std::string> parts = absl::StrSplit(req->parent(), '/');
  if (!((parts.size() == 2 || (parts.size() == 4 && parts[2] == "enterprises")) &&
        parts[0] == "districts")) {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"parent", "须为 districts/{d} 或 districts/{d}/enterprises/{e}"}}));
  }
  std::string prefix;
  auto principal = guard_->Check(ctx, "ListBaselines", req->parent(), &prefix);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (prefix.empty()) prefix = req->parent();
  absl::Status st = InTransaction(guard_->pool(), [&](pqxx::work& tx) {
    for (const auto& r : tx.exec_params("SELECT m.name, b.season, b.computed_kw, b.override_kw, "
                                        "b.method, b.reference_start::text, "
                                        "b.reference_end::text, b.production_days, b.intervals, "
                                        "coalesce(b.override_reason, ''), "
                                        "coalesce(b.overridden_by, ''), extract(epoch from "
                                        "b.update_time)::int8, b.version, b.complete, "
                                        "b.samples, b.expected FROM compliance.baseline b JOIN "
                                        "compliance.meter m ON m.id = b.meter_id "
                                        "WHERE m.name LIKE $1 || '/%' ORDER BY m.name, b.season",
                                        prefix)) {
      v1::Baseline* b = resp->add_baselines();
      b->set_meter(r[0].as<std::string>());
      b->set_season(r[1].as<std::string>());
      b->set_name(
          absl::StrCat(b->meter(), "/baselines/", b->season().substr(b->season().rfind('/') + 1)));
      if (!r[2].is_null()) b->set_computed_load_kw(r[2].as<double>());
      b->set_overridden(!r[3].is_null());
      if (b->overridden()) b->set_override_load_kw(r[3].as<double>());
      b->set_load_kw(b->overridden() ? b->override_load_kw() : b->computed_load_kw());
      b->set_method(r[4].as<std::string>());
      b->set_reference_start(r[5].as<std::string>());
      b->set_reference_end(r[6].as<std::string>());
      b->set_production_days(r[7].as<int>());
      b->set_intervals(r[8].as<int64_t>());
      b->set_override_reason(r[9].as<std::string>());
      b->set_overridden_by(r[10].as<std::string>());
      b->mutable_update_time()->set_seconds(r[11].as<int64_t>());
      b->set_version(r[12].as<int>());
      b->set_complete(r[13].as<bool>());
      b->set_reference_samples(r[14].as<int64_t>());
      b->set_reference_expected(r[15].as<int64_t>());
    }
    return ApplyFilter(req->filter(), resp);
  });
  return ToGrpcStatus(st);
}

grpc::Status ComplianceServiceImpl::OverrideBaseline(grpc::ServerContext* ctx,
                                                     const v1::OverrideBaselineRequest* req,
                                                     v1::Baseline* resp) {
  // districts/{d}/enterprises/{e}/meters/{m}/baselines/{season}
  std::vector<std::string> p = absl::StrSplit(req->name(), '/');
  std::vector<FieldViolation> v;
  if (p.size() != 8 || p[0] != "districts" || p[2] != "enterprises" || p[4] != "meters" ||
      p[6] != "baselines") {
    v.push_back({"name", "须为 districts/{d}/enterprises/{e}/meters/{m}/baselines/{season}"});
  }
  if (!(req->load_kw() > 0) || !std::isfinite(req->load_kw()))
    v.push_back({"load_kw", "须为大于 0 的数值（kW）"});
  if (req->reason().empty()) v.push_back({"reason", "必填：说明计算所得基准负荷为何不适用"});
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  const std::string meter = absl::StrJoin(p.begin(), p.begin() + 6, "/");
  const std::string season = absl::StrCat("districts/", p[1], "/seasons/", p[7]);
  Mutation m{"OverrideBaseline", req->name(), req->request_id(), false};
  grpc::Status status =
      guard_->Mutate(ctx, m, resp, [&](const Principal& who, pqxx::work& tx) -> absl::Status {
        // An override is a new version; the versions before it are kept.
        pqxx::result r = tx.exec_params(
            "UPDATE compliance.baseline b SET override_kw = $3, override_reason = $4, "
            "overridden_by = $5, "
            "update_time = $6::timestamptz, version = b.version + 1 FROM compliance.meter m "
            "WHERE m.id = b.meter_id AND m.name = $1 AND b.season = $2 "
            "RETURNING b.computed_kw, b.method, b.reference_start::text, b.reference_end::text, "
            "b.production_days, "
            "b.intervals, b.version, b.meter_id",
            meter, season, req->load_kw(), req->reason(), who.key_name,
            SqlTimestamp(absl::ToUnixMicros(Now())));
        if (!r.empty()) {
          tx.exec_params0(
              "INSERT INTO compliance.baseline_version (meter_id, season, version, computed_kw, "
              "override_kw, method, "
              "reference_start, reference_end, production_days, intervals, samples, expected, "
              "complete, "
              "override_reason, overridden_by, create_time) SELECT meter_id, season, version, "
              "computed_kw, "
              "override_kw, method, reference_start, reference_end, production_days, intervals, "
              "samples, expected, "
              "complete, override_reason, overridden_by, update_time FROM compliance.baseline "
              "WHERE meter_id = $1 AND season = $2",
              r[0][7].as<int>(), season);
        }
        if (r.empty()) {
          return absl::NotFoundError(absl::StrCat(
              "基准 ", req->name(), " 尚不存在：须先运行一次核查来计算（cuofeng verify run）"));
        }
        resp->set_name(req->name());
        resp->set_meter(meter);
        resp->set_season(season);
        if (!r[0][0].is_null()) resp->set_computed_load_kw(r[0][0].as<double>());
        resp->set_method(r[0][1].as<std::string>());
        resp->set_reference_start(r[0][2].as<std::string>());
        resp->set_reference_end(r[0][3].as<std::string>());
        resp->set_production_days(r[0][4].as<int>());
        resp->set_intervals(r[0][5].as<int64_t>());
        resp->set_version(r[0][6].as<int>());
        resp->set_overridden(true);
        resp->set_override_load_kw(req->load_kw());
        resp->set_load_kw(req->load_kw());
        resp->set_override_reason(req->reason());
        resp->set_overridden_by(who.key_name);
        *resp->mutable_update_time() = ToTimestamp(Now());
        return absl::OkStatus();
      });
  return status;
}

grpc::Status ComplianceServiceImpl::RunVerification(grpc::ServerContext* ctx,
                                                    const v1::RunVerificationRequest* req,
                                                    v1::VerificationRun* resp) {
  grpc::Status done = RunVerificationCounted(ctx, req, resp);
  metrics::VerificationRuns(StatusCodeName(static_cast<absl::StatusCode>(done.error_code())))
      .Increment();
  return done;
}

grpc::Status ComplianceServiceImpl::RunVerificationCounted(grpc::ServerContext* ctx,
                                                           const v1::RunVerificationRequest* req,
                                                           v1::VerificationRun* resp) {
  std::vector<std::string> parts = absl::StrSplit(req->district(), '/');
  std::vector<FieldViolation> v;
  if (parts.size() != 2 || parts[0] != "districts" || parts[1].empty()) {
    v.push_back({"district", "须为 districts/{district}"});
  }
  if (!req->has_from()) v.push_back({"from", "必填"});
  if (!req->has_to()) v.push_back({"to", "必填"});
  const absl::Time from = FromTimestamp(req->from());
  absl::Time to = FromTimestamp(req->to());
  if (req->has_from() && req->has_to() && to <= from) v.push_back({"to", "须晚于开始时间（from）"});
  if (req->has_from() && from >= Now()) v.push_back({"from", "须早于当前时间：此后尚无数据"});
  if (req->has_from() && req->has_to() && to - from > absl::Hours(24 * 400)) {
    v.push_back({"to", "一次核查最多 400 天"});
  }
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  to = std::min(to, Now());  // data of the future does not exist yet
  Mutation m{"RunVerification", req->district(), req->request_id(), false};
  // Issue 12: the verification reads the other services (in this process
  // too) and the readings first, holding no pooled connection; only then
  // does a transaction open, to store what it found. A refusal or a failure
  // goes through Mutate as well, so that it is audited.
  auto refuse = [&](const absl::Status& why) {
    return guard_->Mutate(ctx, m, resp, [&](const Principal&, pqxx::work&) { return why; });
  };
  auto principal = guard_->Check(ctx, "RunVerification", req->district());
  if (!principal.ok()) return refuse(principal.status());
  const absl::Time deadline = DeadlineOf(ctx, kVerificationCap);
  // Issue 19: the run is recorded as it starts and its progress as it goes.
  auto progress = RunProgress::Start(guard_->pool(), parts[1], from, to, principal->key_name,
                                     req->request_id());
  if (!progress.ok()) return refuse(progress.status());
  RunOptions options;
  options.progress = [&](const char* step, int done, int total) {
    progress->Step(step, done, total);
  };
  auto outcome = verifier_.Run(req->district(), from, to, AuthorizationOf(ctx), deadline, options);
  if (!outcome.ok()) {
    progress->Failed(outcome.status());
    return refuse(outcome.status());
  }
  if (absl::Now() >= deadline) {
    absl::Status late = absl::DeadlineExceededError(
        absl::StrCat(req->district(), " 的核查在调用时限过后才算完；未保存任何内容"));
    progress->Failed(late);
    return refuse(late);
  }
  progress->Step("STORING");
  outcome->run.set_name(progress->name());
  *outcome->run.mutable_progress() = progress->Succeeded();
  grpc::Status done =
      guard_->Mutate(ctx, m, resp, [&](const Principal& who, pqxx::work& tx) -> absl::Status {
        ASSIGN_OR_RETURN(*resp, StoreOutcome(tx, *outcome, req->district(), who.key_name));
        RunProgress::Forget(tx, resp->name());
        // Last look before the commit: a caller that is gone gets nothing stored.
        if (absl::Now() >= deadline || ctx->IsCancelled()) {
          return absl::DeadlineExceededError(
              absl::StrCat("保存 ", req->district(), " 的核查时已过调用时限；未保存任何内容"));
        }
        return absl::OkStatus();
      });
  if (done.ok() && resp->name() != progress->name()) progress->Discard();
  if (!done.ok()) {
    progress->Failed(
        absl::Status(static_cast<absl::StatusCode>(done.error_code()), done.error_message()));
  }
  Ring();
  return done;
}

// The name users read of a corroborating source (Corroboration.source).
static std::string SourceLabel(const std::string& source) {
  static const std::map<std::string, std::string> kLabels = {{"electricity", "用电监控"},
                                                             {"cems", "烟气在线监测"},
                                                             {"gate", "门禁抓拍"},
                                                             {"ledger", "生产台账"},
                                                             {"material_balance", "物料衡算"}};
  auto it = kLabels.find(source);
  return it == kLabels.end() ? source : it->second;
}

// RefreshCorroboration merges what a later run found other sources say
// about a stored finding into it (lib/verification/cems_checks.h
// MergeCorroboration), so that "two or more sources agree" follows the data.
// A change is written to the finding's history and renumbers it, so that
// WatchFindings sends the finding again with its sources.
static void RefreshCorroboration(pqxx::work& tx, const std::string& name,
                                 const v1::Finding& found) {
  pqxx::result r =
      tx.exec_params("SELECT body FROM compliance.finding WHERE name = $1 FOR UPDATE", name);
  if (r.empty()) return;
  v1::Finding stored;
  if (!stored.ParseFromString(pqxx::binarystring(r[0][0]).str())) return;
  if (!MergeCorroboration(&stored, found)) return;
  tx.exec_params0(
      "UPDATE compliance.finding SET body = $2, "
      "seq = nextval(pg_get_serial_sequence('compliance.finding', 'seq')) WHERE name = $1",
      name, pqxx::binarystring(stored.SerializeAsString()));
  std::vector<std::string> sources;
  for (const v1::Corroboration& c : stored.corroboration()) {
    sources.push_back(absl::StrCat(SourceLabel(c.source()), " ", c.resource(),
                                   c.supports() ? " 支持" : " 不支持",
                                   c.detail().empty() ? "" : "：", c.detail()));
  }
  tx.exec_params0(
      "INSERT INTO compliance.finding_event (finding, kind, text, by_key, time) "
      "VALUES ($1, 'CORROBORATE', $2, 'verification', $3::timestamptz)",
      name,
      absl::StrCat(found.verification_run(), " 再次发现，现有 ", stored.supporting_sources(),
                   " 类数据一致；", absl::StrJoin(sources, "；")),
      SqlTimestamp(absl::ToUnixMicros(Now())));
}

absl::StatusOr<v1::VerificationRun> ComplianceServiceImpl::StoreOutcome(
    pqxx::work& tx, VerificationOutcome& outcome, const std::string& district,
    const std::string& run_by) {
  for (const auto& b : outcome.baselines) {
    RETURN_IF_ERROR(repo_.StoreBaseline(tx, b.meter_id, b.season, b.baseline, b.version));
  }
  if (outcome.has_retention) {
    const VerificationParams& r = outcome.retention;
    tx.exec_params0(
        "INSERT INTO compliance.retention (district_id, video_days, ledger_until, ledger_days) "
        "VALUES ($1, $2, nullif($3, '')::date, $4) ON CONFLICT (district_id) DO UPDATE SET "
        "video_days = greatest(compliance.retention.video_days, excluded.video_days), "
        "ledger_until = greatest(compliance.retention.ledger_until, excluded.ledger_until), "
        "ledger_days = greatest(compliance.retention.ledger_days, excluded.ledger_days)",
        outcome.district_id, r.video_retention_days, r.ledger_retention_until,
        r.ledger_retention_days);
  }
  v1::VerificationRun run = outcome.run;
  if (run.name().empty()) {  // a batch run is named when it starts (RunProgress)
    const int64_t n = tx.exec1("SELECT nextval('compliance.run_number')")[0].as<int64_t>();
    run.set_name(absl::StrCat(district, "/verificationRuns/", n));
  }
  std::vector<std::string> found;
  std::map<std::string, const v1::Finding*> refresh;  // by name: rows locked in name order
  for (size_t i = 0; i < outcome.findings.size(); ++i) {
    v1::Finding& f = outcome.findings[i];
    f.set_verification_run(run.name());
    found.push_back(Fingerprint(f));
    auto [name, fresh] = repo_.InsertFinding(tx, outcome.district_id, f, outcome.domains[i]);
    // Issue 21: a source that agrees or disagrees now is added to the stored finding.
    if (!fresh && !name.empty() && f.corroboration_size() > 1) refresh[name] = &f;
    if (fresh) {
      run.set_findings_new(run.findings_new() + 1);
    } else {
      run.set_findings_unchanged(run.findings_unchanged() + 1);
    }
  }
  for (const auto& [name, f] : refresh) RefreshCorroboration(tx, name, *f);
  // What this run judged again and no longer finds: later data disproves it.
  run.set_findings_superseded(
      repo_.Supersede(tx, outcome.district_id,
                      std::vector<std::string>(outcome.judged.begin(), outcome.judged.end()),
                      outcome.gate_from, outcome.gate_to, found, run.name()));
  tx.exec_params0(
      "INSERT INTO compliance.verification_run (name, district_id, body, run_by, create_time, "
      "run_from, run_to, live) VALUES ($1, $2, $3, $4, $5::timestamptz, to_timestamp($6), "
      "to_timestamp($7), $8)",
      run.name(), outcome.district_id, pqxx::binarystring(run.SerializeAsString()), run_by,
      SqlTimestamp(absl::ToUnixMicros(Now())), run.from().seconds(), run.to().seconds(),
      run.live());
  return run;
}

grpc::Status ComplianceServiceImpl::ListFindings(grpc::ServerContext* ctx,
                                                 const v1::ListFindingsRequest* req,
                                                 v1::ListFindingsResponse* resp) {
  std::vector<std::string> parts = absl::StrSplit(req->parent(), '/');
  std::vector<FieldViolation> v;
  if (!((parts.size() == 2 ||
         (parts.size() == 4 && parts[2] == "enterprises" && parts[1] != "-")) &&
        parts[0] == "districts" && !parts[1].empty())) {
    v.push_back({"parent", "须为 districts/{d}、districts/{d}/enterprises/{e} 或 districts/-"});
  }
  if (req->page_size() < 0) v.push_back({"page_size", "不能为负数"});
  int64_t offset = 0;
  if (!req->page_token().empty() && (!absl::SimpleAtoi(req->page_token(), &offset) || offset < 0)) {
    v.push_back({"page_token", "不是本服务发出的分页标记"});
  }
  if (!v1::FindingType_IsValid(req->type())) v.push_back({"type", "未知的核查发现类型"});
  if (!v1::FindingStatus_IsValid(req->status())) v.push_back({"status", "未知的核查发现状态"});
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  std::string prefix;
  auto principal = guard_->Check(ctx, "ListFindings", req->parent(), &prefix);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (prefix.empty() && parts[1] != "-") prefix = req->parent();
  const int limit =
      req->page_size() == 0 ? kDefaultPageSize : std::min(req->page_size(), kMaxPageSize);
  absl::Status st = InTransaction(guard_->pool(), [&](pqxx::work& tx) {
    pqxx::result r = tx.exec_params(
        absl::StrCat("SELECT ", ComplianceRepository::FindingColumns(),
                     " FROM compliance.finding f WHERE ($1 = '' OR f.name LIKE $1 || '/%') "
                     "AND ($2 = 0 OR f.type = $2) AND ($3 = 0 OR f.status = $3) "
                     "ORDER BY f.window_start, f.name LIMIT $4 OFFSET $5"),
        prefix, static_cast<int>(req->type()), static_cast<int>(req->status()), limit + 1, offset);
    for (size_t i = 0; i < r.size() && static_cast<int>(i) < limit; ++i) {
      *resp->add_findings() = ComplianceRepository::FindingFromRow(r[i]);
    }
    if (static_cast<int>(r.size()) > limit)
      resp->set_next_page_token(std::to_string(offset + limit));
    return ApplyFilter(req->filter(), resp);
  });
  return ToGrpcStatus(st);
}

grpc::Status ComplianceServiceImpl::ListVerificationRuns(grpc::ServerContext* ctx,
                                                         const v1::ListVerificationRunsRequest* req,
                                                         v1::ListVerificationRunsResponse* resp) {
  std::vector<std::string> parts = absl::StrSplit(req->parent(), '/');
  std::vector<FieldViolation> v;
  if (parts.size() != 2 || parts[0] != "districts" || parts[1].empty() || parts[1] == "-") {
    v.push_back({"parent", "须为 districts/{district}"});
  }
  if (req->page_size() < 0) v.push_back({"page_size", "不能为负数"});
  if (req->has_from() && req->has_to() && req->to().seconds() <= req->from().seconds()) {
    v.push_back({"to", "须晚于开始时间（from）"});
  }
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  auto principal = guard_->Check(ctx, "ListVerificationRuns", req->parent());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const std::string scope =
      absl::StrCat("ListVerificationRuns|", req->parent(), "|", req->from().seconds(), "|",
                   req->to().seconds(), "|", req->include_live());
  auto position = DecodePageToken(scope, req->page_token());
  if (!position.ok()) return ToGrpcStatus(position.status());
  int64_t offset = 0;
  if (!position->empty() && !absl::SimpleAtoi(*position, &offset)) {
    return ToGrpcStatus(InvalidArgumentWithViolations({{"page_token", "不是有效的分页标记"}}));
  }
  // A run carries its coverage list, which can be long: small pages.
  const int limit = req->page_size() == 0 ? 20 : std::min(req->page_size(), 100);
  const int64_t from = req->has_from() ? req->from().seconds() : 0;
  const int64_t to = req->has_to() ? req->to().seconds() : 0;
  CallDeadline deadline(DeadlineOf(ctx, absl::Minutes(1)));
  absl::Status st = InTransaction(
      guard_->read_pool(*principal),
      [&](pqxx::work& tx) {
        resp->Clear();
        // Runs under way (and failed lately) first, on the first page.
        if (req->include_running() && offset == 0) {
          for (v1::VerificationRun& run : RunProgress::Recent(tx, parts[1], limit)) {
            if (from != 0 && run.to().seconds() <= from) continue;
            if (to != 0 && run.from().seconds() >= to) continue;
            *resp->add_runs() = std::move(run);
          }
        }
        // Runs stored before their range had columns are judged by their body.
        pqxx::result r = tx.exec_params(
            "SELECT body FROM compliance.verification_run WHERE district_id = $1 "
            "AND ($2 OR live IS NOT TRUE) "
            "AND ($3 = 0 OR run_to IS NULL OR run_to > to_timestamp($3)) "
            "AND ($4 = 0 OR run_from IS NULL OR run_from < to_timestamp($4)) "
            "ORDER BY create_time DESC, name DESC LIMIT $5 OFFSET $6",
            parts[1], req->include_live(), from, to, limit + 1, offset);
        for (size_t i = 0; i < r.size() && static_cast<int>(i) < limit; ++i) {
          v1::VerificationRun run;
          const pqxx::binarystring body(r[i][0]);
          if (!run.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
            return absl::DataLossError(absl::StrCat(req->parent(), " 的一条已存核查批次无法解码"));
          }
          if (run.live() && !req->include_live()) continue;
          if (from != 0 && run.to().seconds() <= from) continue;
          if (to != 0 && run.from().seconds() >= to) continue;
          *resp->add_runs() = std::move(run);
        }
        if (static_cast<int>(r.size()) > limit) {
          resp->set_next_page_token(EncodePageToken(scope, absl::StrCat(offset + limit)));
        }
        return absl::OkStatus();
      },
      Isolation::kReadOnly);
  return ToGrpcStatus(st);
}

grpc::Status ComplianceServiceImpl::GetVerificationRun(grpc::ServerContext* ctx,
                                                       const v1::GetVerificationRunRequest* req,
                                                       v1::VerificationRun* resp) {
  std::vector<std::string> parts = absl::StrSplit(req->name(), '/');
  int64_t n = 0;
  if (parts.size() != 4 || parts[0] != "districts" || parts[1].empty() || parts[1] == "-" ||
      parts[2] != "verificationRuns" || !absl::SimpleAtoi(parts[3], &n) || n <= 0) {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"name", absl::StrCat("“", req->name(),
                               "”不是 districts/{区代码}/verificationRuns/{编号} 形式")}}));
  }
  auto principal = guard_->Check(ctx, "GetVerificationRun", req->name());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  CallDeadline deadline(DeadlineOf(ctx, absl::Minutes(1)));
  // The primary, not a replica: a page polls a run under way.
  return ToGrpcStatus(InTransaction(
      guard_->pool(),
      [&](pqxx::work& tx) -> absl::Status {
        pqxx::result r = tx.exec_params(
            "SELECT body FROM compliance.verification_run WHERE name = $1 AND district_id = $2",
            req->name(), parts[1]);
        if (r.empty()) {
          ASSIGN_OR_RETURN(*resp, RunProgress::Read(tx, req->name()));
          return absl::OkStatus();
        }
        const pqxx::binarystring body(r[0][0]);
        if (!resp->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
          return absl::DataLossError(absl::StrCat("已存核查批次 ", req->name(), " 无法解码"));
        }
        return absl::OkStatus();
      },
      Isolation::kReadOnly));
}

grpc::Status ComplianceServiceImpl::WatchFindings(grpc::ServerContext* ctx,
                                                  const v1::WatchFindingsRequest* req,
                                                  grpc::ServerWriter<v1::Finding>* writer) {
  std::vector<std::string> parts = absl::StrSplit(req->parent(), '/');
  std::vector<FieldViolation> v;
  if (!((parts.size() == 2 ||
         (parts.size() == 4 && parts[2] == "enterprises" && parts[1] != "-")) &&
        parts[0] == "districts" && !parts[1].empty())) {
    v.push_back({"parent", "须为 districts/{d}、districts/{d}/enterprises/{e} 或 districts/-"});
  }
  if (!v1::FindingType_IsValid(req->type())) v.push_back({"type", "未知的核查发现类型"});
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  std::string prefix;
  auto principal = guard_->Check(ctx, "WatchFindings", req->parent(), &prefix);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (prefix.empty() && parts[1] != "-") prefix = req->parent();
  // Findings are numbered as they are stored (seq). Transactions commit out
  // of that order, so every look goes back kLookBack numbers before the
  // highest seen and skips the names already sent.
  constexpr int64_t kLookBack = 1000;
  int64_t high = 0;
  std::map<int64_t, std::string> sent;  // seq -> name, the last kLookBack
  absl::Status st = InTransaction(guard_->pool(), [&](pqxx::work& tx) {
    high = tx.exec1("SELECT coalesce(max(seq), 0) FROM compliance.finding")[0].as<int64_t>();
    return absl::OkStatus();
  });
  if (!st.ok()) return ToGrpcStatus(st);
  const int64_t start = high;
  uint64_t rung;
  {
    std::lock_guard<std::mutex> lock(bell_mu_);
    rung = rung_;
  }
  while (!ctx->IsCancelled()) {
    std::vector<v1::Finding> fresh;
    st = InTransaction(
        guard_->pool(),
        [&](pqxx::work& tx) {
          pqxx::result r = tx.exec_params(
              absl::StrCat("SELECT ", ComplianceRepository::FindingColumns(),
                           ", f.seq FROM compliance.finding f WHERE f.seq > $1 "
                           "AND ($2 = '' OR f.name LIKE $2 || '/%') AND ($3 = 0 OR f.type = $3) "
                           "ORDER BY f.seq"),
              std::max(start, high - kLookBack), prefix, static_cast<int>(req->type()));
          for (const auto& row : r) {
            const int64_t seq = row[row.size() - 1].as<int64_t>();
            if (sent.count(seq)) continue;
            sent[seq] = row[0].as<std::string>();
            high = std::max(high, seq);
            fresh.push_back(ComplianceRepository::FindingFromRow(row));
          }
          return absl::OkStatus();
        },
        Isolation::kReadOnly);
    if (!st.ok()) return ToGrpcStatus(st);
    while (!sent.empty() && sent.begin()->first < high - kLookBack) sent.erase(sent.begin());
    for (const v1::Finding& f : fresh) {
      if (!writer->Write(f)) return grpc::Status::OK;  // the caller went away
    }
    std::unique_lock<std::mutex> lock(bell_mu_);
    bell_.wait_for(lock, std::chrono::milliseconds(500), [&] { return rung_ != rung; });
    rung = rung_;
  }
  return grpc::Status::OK;
}

grpc::Status ComplianceServiceImpl::GetFinding(grpc::ServerContext* ctx,
                                               const v1::GetFindingRequest* req,
                                               v1::Finding* resp) {
  if (!IsFindingName(req->name())) {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"name", "须为 districts/{d}/enterprises/{e}/findings/{n}"}}));
  }
  auto principal = guard_->Check(ctx, "GetFinding", req->name());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  absl::Status st = InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
    auto f = LoadFinding(tx, req->name(), false);
    if (!f.ok()) return f.status();
    *resp = *std::move(f);
    return absl::OkStatus();
  });
  return ToGrpcStatus(st);
}

grpc::Status ComplianceServiceImpl::ReviewFinding(grpc::ServerContext* ctx,
                                                  const v1::ReviewFindingRequest* req,
                                                  v1::Finding* resp) {
  std::vector<FieldViolation> v;
  if (!IsFindingName(req->name()))
    v.push_back({"name", "须为 districts/{d}/enterprises/{e}/findings/{n}"});
  if (req->decision() != v1::CONFIRM && req->decision() != v1::DISMISS) {
    v.push_back({"decision", "必填：确认（CONFIRM）或排除（DISMISS）"});
  }
  if (req->comment().empty()) v.push_back({"comment", "必填：核查人员看到的情况"});
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  Mutation m{"ReviewFinding", req->name(), req->request_id(), false};
  return guard_->Mutate(ctx, m, resp, [&](const Principal& who, pqxx::work& tx) -> absl::Status {
    auto f = LoadFinding(tx, req->name(), true);
    if (!f.ok()) return f.status();
    if (f->status() != v1::OPEN) {
      return WithReason(absl::FailedPreconditionError(
                            absl::StrCat("核查发现 ", req->name(), " 已是", StatusText(f->status()),
                                         "（", f->reviewed_by(), "：", f->review_comment(), "）")),
                        "FINDING_ALREADY_REVIEWED");
    }
    const bool confirm = req->decision() == v1::CONFIRM;
    tx.exec_params0(
        "UPDATE compliance.finding SET status = $2, review_comment = $3, reviewed_by = $4, "
        "review_time = $5::timestamptz WHERE name = $1",
        req->name(), confirm ? static_cast<int>(v1::CONFIRMED) : static_cast<int>(v1::DISMISSED),
        req->comment(), who.key_name, SqlTimestamp(absl::ToUnixMicros(Now())));
    tx.exec_params0(
        "INSERT INTO compliance.finding_event (finding, kind, text, by_key, time) VALUES ($1, $2, "
        "$3, $4, $5::timestamptz)",
        req->name(), confirm ? "CONFIRM" : "DISMISS", req->comment(), who.key_name,
        SqlTimestamp(absl::ToUnixMicros(Now())));
    auto updated = LoadFinding(tx, req->name(), false);
    if (!updated.ok()) return updated.status();
    *resp = *std::move(updated);
    return absl::OkStatus();
  });
}

grpc::Status ComplianceServiceImpl::ExplainFinding(grpc::ServerContext* ctx,
                                                   const v1::ExplainFindingRequest* req,
                                                   v1::Finding* resp) {
  std::vector<FieldViolation> v;
  if (!IsFindingName(req->name()))
    v.push_back({"name", "须为 districts/{d}/enterprises/{e}/findings/{n}"});
  if (req->explanation().empty())
    v.push_back({"explanation", "必填（异常申报：发生了什么、原因是什么）"});
  if (req->explanation().size() > 4000)
    v.push_back({"explanation", "不能超过 4,000 字节（约 1,300 个汉字）"});
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  Mutation m{"ExplainFinding", req->name(), req->request_id(), false};
  return guard_->Mutate(ctx, m, resp, [&](const Principal& who, pqxx::work& tx) -> absl::Status {
    auto f = LoadFinding(tx, req->name(), true);
    if (!f.ok()) return f.status();
    tx.exec_params0(
        "UPDATE compliance.finding SET explanation = $2, explanation_time = $3::timestamptz WHERE "
        "name = $1",
        req->name(), req->explanation(), SqlTimestamp(absl::ToUnixMicros(Now())));
    tx.exec_params0(
        "INSERT INTO compliance.finding_event (finding, kind, text, by_key, time) "
        "VALUES ($1, 'EXPLAIN', $2, $3, $4::timestamptz)",
        req->name(), req->explanation(), who.key_name, SqlTimestamp(absl::ToUnixMicros(Now())));
    auto updated = LoadFinding(tx, req->name(), false);
    if (!updated.ok()) return updated.status();
    *resp = *std::move(updated);
    return absl::OkStatus();
  });
}

// The series of a finding on a monitoring point or a production ledger
// (issue 21): the point's minutes from the receiver's tables, the ledger's
// days, the point's device number and the ledger's declared output from the
// registry over gRPC.
static absl::Status StackOrLedgerEvidence(grpc::ServerContext* ctx,
                                          v1::RegistryService::Stub* registry, ConnectionPool* pool,
                                          v1::EvidenceSeries* resp) {
  const v1::Finding& f = resp->finding();
  const auto [from, to] = CemsEvidenceRange(f);
  *resp->mutable_from() = ToTimestamp(from);
  *resp->mutable_to() = ToTimestamp(to);
  const std::string authorization = AuthorizationOf(ctx);
  const absl::Time deadline = DeadlineOf(ctx, kLookupCap);
  auto call = [&] {
    auto c = std::make_unique<grpc::ClientContext>();
    if (!authorization.empty()) c->AddMetadata("authorization", authorization);
    c->set_deadline(absl::ToChronoTime(deadline));
    return c;
  };
  CemsReader reader(pool);
  if (absl::StrContains(f.scope(), "/monitoringPoints/")) {
    v1::GetMonitoringPointRequest preq;
    preq.set_name(f.scope());
    v1::MonitoringPoint point;
    auto c = call();
    if (grpc::Status s = registry->GetMonitoringPoint(c.get(), preq, &point); !s.ok())
      return FromGrpcStatus(s);
    if (point.mn().empty()) return absl::OkStatus();  // no device: no minutes
    ASSIGN_OR_RETURN(auto minutes,
                     reader.Minutes({point.mn()}, from - absl::Hours(24), to, deadline));
    ASSIGN_OR_RETURN(absl::Time data_end, reader.DataEnd({point.mn()}, deadline));
    FillCemsEvidence(minutes[point.mn()], std::min(data_end, Now()), resp);
    return absl::OkStatus();
  }
  v1::GetProductionLedgerRequest lreq;
  lreq.set_name(f.scope());
  v1::ProductionLedger ledger;
  auto c = call();
  if (grpc::Status s = registry->GetProductionLedger(c.get(), lreq, &ledger); !s.ok())
    return FromGrpcStatus(s);
  // The normal output the finding was judged against, else the declared one.
  double normal = NormalOutputOf(f);
  if (normal <= 0 && ledger.has_normal_daily_output()) normal = ledger.normal_daily_output();
  const std::string district_id = f.scope().substr(10, f.scope().find('/', 10) - 10);
  auto day = [](absl::Time t) {
    return absl::FormatTime("%Y-%m-%d", t, absl::FixedTimeZone(8 * 3600));
  };
  ASSIGN_OR_RETURN(auto days, reader.LedgerDays(district_id, day(from - absl::Hours(24)),
                                                day(to + absl::Hours(24)), deadline));
  FillLedgerEvidence(days[f.scope()], normal, ledger.fuel_unit(), resp);
  return absl::OkStatus();
}

grpc::Status ComplianceServiceImpl::GetEvidence(grpc::ServerContext* ctx,
                                                const v1::GetEvidenceRequest* req,
                                                v1::EvidenceSeries* resp) {
  if (!IsFindingName(req->name())) {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"name", "须为 districts/{d}/enterprises/{e}/findings/{n}"}}));
  }
  auto principal = guard_->Check(ctx, "GetEvidence", req->name());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  v1::Finding f;
  absl::Status st = InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
    auto loaded = LoadFinding(tx, req->name(), false);
    if (!loaded.ok()) return loaded.status();
    f = *std::move(loaded);
    return absl::OkStatus();
  });
  if (!st.ok()) return ToGrpcStatus(st);
  *resp->mutable_finding() = f;
  const absl::Time ws = FromTimestamp(f.window_start()), we = FromTimestamp(f.window_end());
  const absl::Duration pad = std::max(absl::Hours(12), (we - ws) / 4);
  const absl::Time from = ws - pad, to = we + pad;
  *resp->mutable_from() = ToTimestamp(from);
  *resp->mutable_to() = ToTimestamp(to);
  // Issue 21: a monitoring point's minutes, a production ledger's days.
  if (absl::StrContains(f.scope(), "/monitoringPoints/") ||
      absl::StrContains(f.scope(), "/productionLedgers/")) {
    return ToGrpcStatus(StackOrLedgerEvidence(ctx, registry_.get(), repo_.pool(), resp));
  }
  if (!absl::StrContains(f.scope(), "/meters/"))
    return grpc::Status::OK;  // a gate finding: no curve
  const bool co_running = f.type() == v1::TREATMENT_OFF;
  resp->set_meter(f.scope());
  if (co_running) resp->set_production_meter(f.obligation());
  resp->set_baseline_kw(f.baseline_kw());
  if (f.unit() == "kW") resp->set_threshold_kw(f.threshold());
  if (!f.season().empty()) {
    auto method = repo_.BaselineMethod(f.scope(), f.season());
    if (!method.ok()) return ToGrpcStatus(method.status());
    resp->set_baseline_method(method->first);
    // The version the finding was judged against (the one in force now if it does not say).
    resp->set_baseline_version(f.baseline_version() > 0 ? f.baseline_version() : method->second);
  }
  {
    auto events = repo_.MeterEvents(f.scope());
    if (!events.ok()) return ToGrpcStatus(events.status());
    for (v1::MeterEvent& e : *events) {
      const absl::Time t = FromTimestamp(e.time());
      if (t >= from && t <= to) *resp->add_meter_events() = std::move(e);
    }
  }
  const std::string authorization = AuthorizationOf(ctx);
  const absl::Time deadline = DeadlineOf(ctx, kLookupCap);
  auto ids = repo_.MeterIds(f.scope().substr(10, f.scope().find('/', 10) - 10), deadline);
  if (!ids.ok()) return ToGrpcStatus(ids.status());
  auto series = [&](const std::string& meter,
                    google::protobuf::RepeatedPtrField<v1::LoadPoint>* out,
                    bool with_gaps) -> absl::Status {
    v1::GetMeterRequest mreq;
    mreq.set_name(meter);
    v1::Meter info;
    grpc::ClientContext call;
    if (!authorization.empty()) call.AddMetadata("authorization", authorization);
    call.set_deadline(absl::ToChronoTime(deadline));
    grpc::Status s = registry_->GetMeter(&call, mreq, &info);
    if (!s.ok()) return FromGrpcStatus(s);
    const int interval = info.interval_minutes() > 0 ? info.interval_minutes() : 15;
    auto it = ids->find(meter);
    std::vector<LoadSample> load;
    if (it != ids->end()) {
      auto raw = repo_.ScanReadings({it->second}, from - absl::Hours(24), to, 1, deadline);
      if (!raw.ok()) return raw.status();
      load = ToLoad((*raw)[it->second], interval);
    }
    const int64_t lo = absl::ToUnixMicros(from), hi = absl::ToUnixMicros(to);
    for (const LoadSample& x : load) {
      if (x.t_us <= lo || x.t_us > hi) continue;
      v1::LoadPoint* p = out->Add();
      *p->mutable_time() = ToTimestamp(absl::FromUnixMicros(x.t_us));
      p->set_kw(x.kw);
    }
    if (with_gaps) {
      for (const auto& [a, b] :
           MissingStretches(load, lo, std::min(hi, absl::ToUnixMicros(Now())), interval)) {
        v1::TimeRange* g = resp->add_gaps();
        *g->mutable_start() = ToTimestamp(absl::FromUnixMicros(a));
        *g->mutable_end() = ToTimestamp(absl::FromUnixMicros(b));
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status s = series(f.scope(), resp->mutable_load(), true); !s.ok())
    return ToGrpcStatus(s);
  if (co_running) {
    if (absl::Status s = series(f.obligation(), resp->mutable_production_load(), false); !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  return grpc::Status::OK;
}

grpc::Status ComplianceServiceImpl::RecordMeterEvent(grpc::ServerContext* ctx,
                                                     const v1::RecordMeterEventRequest* req,
                                                     v1::MeterEvent* resp) {
  const v1::MeterEvent& e = req->event();
  const std::vector<std::string> p = absl::StrSplit(e.meter(), '/');
  std::vector<FieldViolation> v;
  if (p.size() != 6 || p[0] != "districts" || p[2] != "enterprises" || p[4] != "meters") {
    v.push_back({"event.meter", "须为 districts/{d}/enterprises/{e}/meters/{m}"});
  }
  if (!e.has_time()) {
    v.push_back({"event.time", "必填：表码清零或换表的时间"});
  } else if (FromTimestamp(e.time()) > Now() + absl::Minutes(5)) {
    v.push_back({"event.time", "不能晚于当前时间"});
  }
  if (e.kind() != v1::MeterEvent::REGISTER_RESET && e.kind() != v1::MeterEvent::METER_REPLACED) {
    v.push_back({"event.kind", "必填：表码清零（REGISTER_RESET）或换表（METER_REPLACED）"});
  }
  if (!std::isfinite(e.new_register()) || e.new_register() < 0) {
    v.push_back({"event.new_register", "须为不小于 0 的 kWh 数"});
  }
  if (e.reason().empty()) v.push_back({"event.reason", "必填：发生了什么（换表、表码清零……）"});
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  Mutation m{"RecordMeterEvent", e.meter(), req->request_id(), false};
  auto refuse = [&](const absl::Status& why) {
    return guard_->Mutate(ctx, m, resp, [&](const Principal&, pqxx::work&) { return why; });
  };
  auto principal = guard_->Check(ctx, "RecordMeterEvent", e.meter());
  if (!principal.ok()) return refuse(principal.status());
  // The bureau or the metering platform records what happened to a meter;
  // the enterprise whose readings it excuses may not.
  if (principal->role != Role::kBureau && principal->role != Role::kService &&
      principal->role != Role::kAdmin) {
    return refuse(absl::PermissionDeniedError(
        "无权操作：只有区级或计量平台（服务账号）可以登记电表清零或换表"));
  }
  auto meter =
      directory_.Meter(e.meter(), RemoteCall{AuthorizationOf(ctx), DeadlineOf(ctx, kLookupCap)});
  if (!meter.ok()) return refuse(meter.status());
  return guard_->Mutate(ctx, m, resp, [&](const Principal& who, pqxx::work& tx) -> absl::Status {
    pqxx::result r = tx.exec_params(
        "INSERT INTO compliance.meter_event (meter_id, time, kind, new_register, reason, "
        "serial_number, "
        "recorded_by, create_time) VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, "
        "$8::timestamptz) "
        "ON CONFLICT (meter_id, time) DO NOTHING RETURNING id",
        meter->id, SqlTimestamp(absl::ToUnixMicros(FromTimestamp(e.time()))),
        static_cast<int>(e.kind()), e.new_register(), e.reason(), e.serial_number(), who.key_name,
        SqlTimestamp(absl::ToUnixMicros(Now())));
    if (r.empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat(e.meter(), " 在此时刻已记录过事件：",
                       absl::FormatTime("%Y-%m-%d %H:%M:%S%Ez", FromTimestamp(e.time()),
                                        absl::FixedTimeZone(8 * 3600))));
    }
    *resp = e;
    resp->set_name(absl::StrCat(e.meter(), "/events/", r[0][0].as<int64_t>()));
    resp->set_recorded_by(who.key_name);
    *resp->mutable_create_time() = ToTimestamp(Now());
    return absl::OkStatus();
  });
}

grpc::Status ComplianceServiceImpl::ListMeterEvents(grpc::ServerContext* ctx,
                                                    const v1::ListMeterEventsRequest* req,
                                                    v1::ListMeterEventsResponse* resp) {
  const std::vector<std::string> p = absl::StrSplit(req->meter(), '/');
  if (p.size() != 6 || p[0] != "districts" || p[2] != "enterprises" || p[4] != "meters") {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"meter", "须为 districts/{d}/enterprises/{e}/meters/{m}"}}));
  }
  auto principal = guard_->Check(ctx, "ListMeterEvents", req->meter());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  auto events = repo_.MeterEvents(req->meter());
  if (!events.ok()) return ToGrpcStatus(events.status());
  for (v1::MeterEvent& e : *events) *resp->add_events() = std::move(e);
  return grpc::Status::OK;
}

grpc::Status ComplianceServiceImpl::ListCemsTransmission(grpc::ServerContext* ctx,
                                                         const v1::ListCemsTransmissionRequest* req,
                                                         v1::ListCemsTransmissionResponse* resp) {
  if (absl::Status v = ValidateTransmissionRequest(*req); !v.ok()) return ToGrpcStatus(v);
  auto principal = guard_->Check(ctx, "ListCemsTransmission", req->district());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  return ToGrpcStatus(
      cuofeng::ListCemsTransmission(guard_->pool(), registry_.get(), *ctx, *req, resp));
}

}  // namespace cuofeng
