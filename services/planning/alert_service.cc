#include "services/planning/alert_service.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "lib/filter/filter.h"
#include "lib/model/clock.h"
#include "lib/model/identifiers.h"
#include "lib/model/labels.h"
#include "lib/rpc/forward.h"
#include "lib/rpc/status.h"
#include "lib/rules/alert_impact.h"
#include "lib/status/errors.h"
#include "services/notify/outbox.h"

namespace cuofeng {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds());
}

v1::Alert AlertRow(const pqxx::row& r) {
  v1::Alert a;
  a.set_name(absl::StrCat("alerts/", r["id"].as<std::string>()));
  a.set_revision(r["revision"].as<int>());
  v1::AlertLevel level;
  if (v1::AlertLevel_Parse(r["level"].as<std::string>(), &level)) a.set_level(level);
  for (auto d : absl::StrSplit(r["districts"].as<std::string>(), ',', absl::SkipEmpty()))
    a.add_districts(std::string(d));
  a.mutable_start_time()->set_seconds(r["start_epoch"].as<int64_t>());
  if (!r["end_epoch"].is_null()) a.mutable_end_time()->set_seconds(r["end_epoch"].as<int64_t>());
  a.set_document_number(r["document_number"].as<std::string>());
  a.set_lifted(r["lifted"].as<bool>());
  a.mutable_effective_time()->set_seconds(r["effective_epoch"].as<int64_t>());
  a.set_issued_by(r["issued_by"].as<std::string>());
  a.set_note(r["note"].as<std::string>());
  return a;
}

constexpr char kAlertColumns[] =
    "id, revision, level, array_to_string(districts, ',') AS districts, "
    "extract(epoch from start_time)::bigint AS start_epoch, extract(epoch from end_time)::bigint "
    "AS end_epoch, "
    "document_number, lifted, extract(epoch from effective_time)::bigint AS effective_epoch, "
    "issued_by, note";

void Insert(pqxx::work& tx, const std::string& id, const v1::Alert& a) {
  std::string districts = absl::StrCat("{", absl::StrJoin(a.districts(), ","), "}");
  tx.exec_params0(
      "INSERT INTO planning.alert_revision (id, revision, level, districts, start_time, end_time, "
      "document_number, "
      "lifted, effective_time, issued_by, note) VALUES ($1, $2, $3, $4::text[], to_timestamp($5), "
      "CASE WHEN $6::bigint = 0 THEN NULL ELSE to_timestamp($6::bigint) END, $7, $8, "
      "to_timestamp($9), $10, $11)",
      id, a.revision(), v1::AlertLevel_Name(a.level()), districts, a.start_time().seconds(),
      a.has_end_time() ? a.end_time().seconds() : 0, a.document_number(), a.lifted(),
      a.effective_time().seconds(), a.issued_by(), a.note());
}

std::vector<std::string> DistrictIds(const v1::Alert& a) {
  std::vector<std::string> out;
  for (const auto& d : a.districts()) out.push_back(d.substr(d.rfind('/') + 1));
  return out;
}

}  // namespace

grpc::Status AlertServiceImpl::IssueAlert(grpc::ServerContext* ctx,
                                          const v1::IssueAlertRequest* req, v1::Alert* resp) {
  v1::Alert alert = req->alert();
  // The access table judges the alert's district (a bureau: its own only,
  // and only where its filed rule set allows); a city-wide or multi-district
  // alert is judged as "alerts".
  const std::string resource = alert.districts_size() == 1 ? alert.districts(0) : "alerts";
  auto principal = guard_->Check(ctx, "IssueAlert", resource);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const bool bureau = principal->role == Role::kBureau;
  Mutation m{"IssueAlert", resource, req->request_id(), false};
  std::vector<FieldViolation> v;
  if (alert.level() == v1::ALERT_LEVEL_UNSPECIFIED)
    v.push_back({"alert.level", "必填：YELLOW（黄色）、ORANGE（橙色）或 RED（红色）"});
  if (!alert.has_start_time()) alert.mutable_start_time()->set_seconds(absl::ToUnixSeconds(Now()));
  if (alert.has_end_time() && alert.end_time().seconds() <= alert.start_time().seconds()) {
    v.push_back({"alert.end_time", "预警的结束时间须晚于开始时间"});
  }
  for (int i = 0; i < alert.districts_size(); ++i) {
    const std::string& d = alert.districts(i);
    v1::GetDistrictRequest get;
    get.set_name(d);
    v1::District found;
    grpc::ClientContext call;
    ForwardCaller(*ctx, &call, absl::Seconds(10));
    grpc::Status s = registry_->GetDistrict(&call, get, &found);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND ||
        s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      v.push_back({absl::StrCat("alert.districts[", i, "]"), absl::StrCat("登记中没有区县 ", d)});
    } else if (!s.ok() && !bureau) {
      return s;
    }
  }
  if (bureau && (alert.districts_size() != 1 || alert.districts(0) != principal->scope)) {
    v.push_back(
        {"alert.districts", absl::StrCat("区县部门只能为本区记录预警：[", principal->scope, "]")});
  }
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  grpc::Status status =
      guard_->Mutate(ctx, m, resp, [&](const Principal& p, pqxx::work& tx) -> absl::Status {
        if (bureau) {
          // Allowed only if the district's filed rule set says so.
          pqxx::result r = tx.exec_params(
              "SELECT r.body FROM planning.list_version v JOIN planning.rule_set r "
              "ON r.id = v.rule_set_id AND r.revision = v.rule_set_revision "
              "WHERE v.district_id = $1 AND v.state = 'FILED' ORDER BY v.seq DESC LIMIT 1",
              principal->scope.substr(principal->scope.rfind('/') + 1));
          v1::RuleSet rules;
          if (r.empty() || !rules.ParseFromString(pqxx::binarystring(r[0][0]).str()) ||
              !rules.district_alerts_allowed()) {
            return absl::PermissionDeniedError(
                "本区备案的规则集不允许区级发布预警（district_alerts_allowed）");
          }
        }
        const std::string id =
            absl::StrCat(tx.exec1("SELECT nextval('planning.alert_number')")[0].as<int64_t>());
        alert.set_revision(1);
        *alert.mutable_effective_time() = alert.start_time();
        alert.set_issued_by(p.key_name);
        alert.set_lifted(false);
        Insert(tx, id, alert);
        ObligationCache::RecordChange(tx, ObligationCache::Change::kAlerts, DistrictIds(alert));
        alert.set_name(absl::StrCat("alerts/", id));
        RecordAlertChange(tx, alert);  // the enterprises it touches are notified
        *resp = alert;
        return absl::OkStatus();
      });
  if (status.ok()) cache_->AlertsChanged(DistrictIds(*resp));
  return status;
}

grpc::Status AlertServiceImpl::Revise(grpc::ServerContext* ctx, const char* method,
                                      const std::string& name, const std::string& request_id,
                                      v1::Alert* resp,
                                      const std::function<absl::Status(v1::Alert&)>& change) {
  Mutation m{method, name, request_id, false};
  grpc::Status status =
      guard_->Mutate(ctx, m, resp, [&](const Principal& p, pqxx::work& tx) -> absl::Status {
        absl::string_view id = name;
        if (!absl::ConsumePrefix(&id, "alerts/") || id.empty()) {
          return InvalidArgumentWithViolations({{"name", "须为 alerts/{alert}"}});
        }
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('alert/' || $1))", std::string(id));
        pqxx::result r = tx.exec_params(
            absl::StrCat(
                "SELECT ", kAlertColumns,
                " FROM planning.alert_revision WHERE id = $1 ORDER BY revision DESC LIMIT 1"),
            std::string(id));
        if (r.empty()) return absl::NotFoundError(absl::StrCat(name, " 不存在"));
        v1::Alert latest = AlertRow(r[0]);
        const absl::Time now = Now();
        if (latest.lifted() || (latest.has_end_time() && ToTime(latest.end_time()) <= now)) {
          return WithReason(absl::FailedPreconditionError(absl::StrCat(
                                name, " 已不在生效中（", latest.lifted() ? "已解除" : "已结束",
                                "）；请发布新的预警")),
                            "ALERT_NOT_IN_FORCE");
        }
        v1::Alert next = latest;
        next.set_revision(latest.revision() + 1);
        next.mutable_effective_time()->set_seconds(absl::ToUnixSeconds(now));
        next.set_issued_by(p.key_name);
        next.clear_note();
        absl::Status changed = change(next);
        if (!changed.ok()) return changed;
        if (next.effective_time().seconds() < latest.effective_time().seconds()) {
          return InvalidArgumentWithViolations(
              {{"effective_time", "调整的生效时间不能早于上一次调整"}});
        }
        // Lifting at or before the start cancels the alert (end == start).
        if (next.has_end_time() && next.end_time().seconds() < next.start_time().seconds()) {
          return InvalidArgumentWithViolations({{"end_time", "预警的结束时间不能早于开始时间"}});
        }
        Insert(tx, std::string(id), next);
        ObligationCache::RecordChange(tx, ObligationCache::Change::kAlerts, DistrictIds(next));
        RecordAlertChange(tx, next);  // the enterprises it touches are notified
        *resp = next;
        return absl::OkStatus();
      });
  if (status.ok()) cache_->AlertsChanged(DistrictIds(*resp));
  return status;
}

grpc::Status AlertServiceImpl::ChangeAlert(grpc::ServerContext* ctx,
                                           const v1::ChangeAlertRequest* req, v1::Alert* resp) {
  return Revise(
      ctx, "ChangeAlert", req->name(), req->request_id(), resp,
      [&](v1::Alert& next) -> absl::Status {
        // No silent no-ops: a change must name something to change, and change it.
        if (!v1::AlertLevel_IsValid(req->level())) {
          return InvalidArgumentWithViolations(
              {{"level", "不是预警级别：应为 YELLOW（黄色）、ORANGE（橙色）或 RED（红色）"}});
        }
        if (req->level() == v1::ALERT_LEVEL_UNSPECIFIED && !req->has_end_time() &&
            req->document_number().empty()) {
          return InvalidArgumentWithViolations(
              {{"level", "没有可改的：请给出新的 level、end_time 或 document_number"}});
        }
        const v1::Alert before = next;
        if (req->level() != v1::ALERT_LEVEL_UNSPECIFIED) next.set_level(req->level());
        if (req->has_end_time()) *next.mutable_end_time() = req->end_time();
        if (!req->document_number().empty()) next.set_document_number(req->document_number());
        if (next.level() == before.level() && next.document_number() == before.document_number() &&
            next.has_end_time() == before.has_end_time() &&
            next.end_time().seconds() == before.end_time().seconds()) {
          return WithReason(
              absl::FailedPreconditionError(absl::StrCat(
                  req->name(), " 已是", ChineseLabel(v1::AlertLevel_Name(before.level())), "预警（",
                  v1::AlertLevel_Name(before.level()),
                  "），结束时间和文号也相同；此次调整没有改变任何内容")),
              "NO_CHANGE");
        }
        if (req->has_effective_time()) *next.mutable_effective_time() = req->effective_time();
        next.set_note(req->note());
        return absl::OkStatus();
      });
}

grpc::Status AlertServiceImpl::LiftAlert(grpc::ServerContext* ctx, const v1::LiftAlertRequest* req,
                                         v1::Alert* resp) {
  return Revise(ctx, "LiftAlert", req->name(), req->request_id(), resp, [&](v1::Alert& next) {
    if (req->has_lift_time()) *next.mutable_effective_time() = req->lift_time();
    next.set_lifted(true);
    // Lifted before it began: it never was in force.
    *next.mutable_end_time() = next.effective_time().seconds() < next.start_time().seconds()
                                   ? next.start_time()
                                   : next.effective_time();
    next.set_note(req->note());
    return absl::OkStatus();
  });
}

grpc::Status AlertServiceImpl::GetAlert(grpc::ServerContext* ctx, const v1::GetAlertRequest* req,
                                        v1::Alert* resp) {
  auto principal = guard_->Check(ctx, "GetAlert", req->name());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  absl::string_view id = req->name();
  if (!absl::ConsumePrefix(&id, "alerts/")) {
    return ToGrpcStatus(InvalidArgumentWithViolations({{"name", "须为 alerts/{alert}"}}));
  }
  return ToGrpcStatus(InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
    pqxx::result r = tx.exec_params(
        absl::StrCat("SELECT ", kAlertColumns,
                     " FROM planning.alert_revision WHERE id = $1 ORDER BY revision DESC LIMIT 1"),
        std::string(id));
    if (r.empty()) return absl::NotFoundError(absl::StrCat(req->name(), " 不存在"));
    *resp = AlertRow(r[0]);
    return absl::OkStatus();
  }));
}

grpc::Status AlertServiceImpl::ListAlerts(grpc::ServerContext* ctx,
                                          const v1::ListAlertsRequest* req,
                                          v1::ListAlertsResponse* resp) {
  auto principal = guard_->Check(ctx, "ListAlerts", req->district());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  return ToGrpcStatus(InTransaction(guard_->pool(), [&](pqxx::work& tx) {
    std::string sql =
        absl::StrCat("SELECT ", kAlertColumns,
                     " FROM planning.alert_revision a WHERE ($1 = '' OR districts = '{}' OR $1 = "
                     "ANY(districts))",
                     req->include_history() ? ""
                                            : " AND revision = (SELECT max(revision) FROM "
                                              "planning.alert_revision b WHERE b.id = a.id)",
                     " ORDER BY start_time, id, revision");
    for (const auto& row : tx.exec_params(sql, req->district()))
      *resp->add_alerts() = AlertRow(row);
    return ApplyFilter(req->filter(), resp);
  }));
}

namespace {

AlertRevision RevisionOf(const v1::Alert& a) {
  AlertRevision r;
  r.name = a.name();
  r.revision = a.revision();
  r.level = a.level();
  r.start = ToTime(a.start_time());
  r.effective = ToTime(a.effective_time());
  if (a.has_end_time()) r.end = ToTime(a.end_time());
  r.lifted = a.lifted();
  for (const std::string& d : DistrictIds(a)) r.districts.push_back(d);
  return r;
}

// The latest revision of `name` as v1::Alert, from the cache's revisions.
absl::StatusOr<v1::Alert> Latest(const std::vector<AlertRevision>& alerts,
                                 const std::string& name) {
  const AlertRevision* latest = nullptr;
  for (const AlertRevision& a : alerts) {
    if (a.name == name && (latest == nullptr || a.revision > latest->revision)) latest = &a;
  }
  if (latest == nullptr) return absl::NotFoundError(absl::StrCat("预警 ", name, " 不存在"));
  v1::Alert out;
  out.set_name(latest->name);
  out.set_revision(latest->revision);
  out.set_level(latest->level);
  out.mutable_start_time()->set_seconds(absl::ToUnixSeconds(latest->start));
  out.mutable_effective_time()->set_seconds(absl::ToUnixSeconds(latest->effective));
  if (latest->end != absl::InfiniteFuture())
    out.mutable_end_time()->set_seconds(absl::ToUnixSeconds(latest->end));
  out.set_lifted(latest->lifted);
  for (const std::string& d : latest->districts) out.add_districts(absl::StrCat("districts/", d));
  return out;
}

absl::Time EndOf(const v1::Alert& a) {
  return a.has_end_time() ? ToTime(a.end_time()) : absl::InfiniteFuture();
}

}  // namespace

// PreviewAlert applies the request to the alerts in memory, as IssueAlert,
// ChangeAlert or LiftAlert would store it, and compares the obligation
// windows of every district it covers (lib/rules/alert_impact.h).
grpc::Status AlertServiceImpl::PreviewAlert(grpc::ServerContext* ctx,
                                            const v1::PreviewAlertRequest* req,
                                            v1::PreviewAlertResponse* resp) {
  std::string resource;
  switch (req->action_case()) {
    case v1::PreviewAlertRequest::kIssue: {
      const auto& ds = req->issue().alert().districts();
      resource = ds.size() == 1 ? ds[0] : "alerts";
      break;
    }
    case v1::PreviewAlertRequest::kChange:
      resource = req->change().name();
      break;
    case v1::PreviewAlertRequest::kLift:
      resource = req->lift().name();
      break;
    default:
      return ToGrpcStatus(InvalidArgumentWithViolations(
          {{"action", "须给出要预览的请求：issue（发布）、change（调整）或 lift（解除）"}}));
  }
  auto principal = guard_->Check(ctx, "PreviewAlert", resource);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const absl::Time now = Now();
  // Every alert revision, as the obligation path sees them.
  auto loaded = cache_->LoadAlerts();
  if (!loaded.ok()) return ToGrpcStatus(loaded.status());
  const std::vector<AlertRevision>& before = *loaded;
  std::vector<FieldViolation> v;
  v1::Alert previous, next;  // the alert as it is (none for an issue) and as it would be
  if (req->has_issue()) {
    next = req->issue().alert();
    if (next.level() == v1::ALERT_LEVEL_UNSPECIFIED || !v1::AlertLevel_IsValid(next.level()))
      v.push_back({"issue.alert.level", "必填：YELLOW（黄色）、ORANGE（橙色）或 RED（红色）"});
    if (!next.has_start_time()) next.mutable_start_time()->set_seconds(absl::ToUnixSeconds(now));
    if (next.has_end_time() && next.end_time().seconds() <= next.start_time().seconds())
      v.push_back({"issue.alert.end_time", "预警的结束时间须晚于开始时间"});
    for (int i = 0; i < next.districts_size(); ++i) {
      const std::string& d = next.districts(i);
      if (!absl::StartsWith(d, "districts/") || d.size() <= 10 || d.find('/', 10) != d.npos) {
        v.push_back({absl::StrCat("issue.alert.districts[", i, "]"),
                     absl::StrCat("“", d, "”不是 districts/{区代码} 形式")});
      }
    }
    next.clear_name();
    next.set_revision(1);
    *next.mutable_effective_time() = next.start_time();
    next.set_lifted(false);
  } else {
    const std::string& name = req->has_change() ? req->change().name() : req->lift().name();
    const char* field = req->has_change() ? "change" : "lift";
    auto latest = Latest(before, name);
    if (!latest.ok()) return ToGrpcStatus(latest.status());
    previous = *latest;
    if (previous.lifted() || EndOf(previous) <= now) {
      return ToGrpcStatus(WithReason(
          absl::FailedPreconditionError(absl::StrCat("预警 ", name, " 已不在生效期（",
                                                     previous.lifted() ? "已解除" : "已结束",
                                                     "），请发布新预警")),
          "ALERT_NOT_IN_FORCE"));
    }
    next = previous;
    next.set_revision(previous.revision() + 1);
    next.mutable_effective_time()->set_seconds(absl::ToUnixSeconds(now));
    if (req->has_change()) {
      const v1::ChangeAlertRequest& c = req->change();
      if (!v1::AlertLevel_IsValid(c.level())) {
        v.push_back({"change.level", "不是预警级别：YELLOW、ORANGE 或 RED"});
      } else if (c.level() == v1::ALERT_LEVEL_UNSPECIFIED && !c.has_end_time() &&
                 c.document_number().empty()) {
        v.push_back({"change.level", "没有要改变的内容：请给出新的级别、结束时间或文号"});
      }
      if (c.level() != v1::ALERT_LEVEL_UNSPECIFIED) next.set_level(c.level());
      if (c.has_end_time()) *next.mutable_end_time() = c.end_time();
      if (!c.document_number().empty()) next.set_document_number(c.document_number());
      if (c.has_effective_time()) *next.mutable_effective_time() = c.effective_time();
    } else {
      if (req->lift().has_lift_time()) *next.mutable_effective_time() = req->lift().lift_time();
      next.set_lifted(true);
      *next.mutable_end_time() = next.effective_time().seconds() < next.start_time().seconds()
                                     ? next.start_time()
                                     : next.effective_time();
    }
    if (next.effective_time().seconds() < previous.effective_time().seconds()) {
      v.push_back({absl::StrCat(field, req->has_change() ? ".effective_time" : ".lift_time"),
                   "调整的生效时间不能早于上一次调整"});
    }
    if (next.has_end_time() && next.end_time().seconds() < next.start_time().seconds()) {
      v.push_back({absl::StrCat(field, ".end_time"), "预警的结束时间不能早于开始时间"});
    }
  }
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  std::vector<AlertRevision> after = before;
  AlertRevision revised = RevisionOf(next);
  if (revised.name.empty()) revised.name = "alerts/-";  // the alert to be issued
  after.push_back(revised);
  // From when it takes effect (its start, if later) until neither the alert
  // as it is nor as it would be binds.
  const absl::Time from = std::max(ToTime(next.effective_time()), ToTime(next.start_time()));
  absl::Time to = EndOf(next);
  if (!previous.name().empty()) to = std::max(to, EndOf(previous));
  // The districts it covers: all of them for a city-wide alert.
  std::vector<std::string> districts;
  for (const std::string& d : next.districts()) districts.push_back(d.substr(d.rfind('/') + 1));
  if (districts.empty()) {
    v1::ListDistrictsRequest lreq;
    lreq.set_page_size(1000);
    do {
      v1::ListDistrictsResponse lresp;
      grpc::ClientContext call;
      ForwardCaller(*ctx, &call, absl::Seconds(10));
      grpc::Status s = registry_->ListDistricts(&call, lreq, &lresp);
      if (!s.ok()) return s;
      for (const v1::District& d : lresp.districts())
        districts.push_back(d.name().substr(d.name().rfind('/') + 1));
      lreq.set_page_token(lresp.next_page_token());
    } while (!lreq.page_token().empty());
  }
  std::set<std::string> enterprises;
  for (const std::string& d : districts) {
    auto view = cache_->Get(d);
    if (!view.ok()) return ToGrpcStatus(view.status());
    if (view->lists->empty()) {
      resp->add_districts_without_list(absl::StrCat("districts/", d));
      continue;
    }
    for (v1::AlertImpact& i : AlertImpacts(*view->lists, before, after, d, from, to)) {
      enterprises.insert(i.enterprise());
      *resp->add_impacts() = std::move(i);
    }
  }
  *resp->mutable_alert() = next;
  resp->set_enterprises(static_cast<int32_t>(enterprises.size()));
  resp->mutable_from()->set_seconds(absl::ToUnixSeconds(from));
  if (to != absl::InfiniteFuture()) resp->mutable_to()->set_seconds(absl::ToUnixSeconds(to));
  return grpc::Status::OK;
}

}  // namespace cuofeng
