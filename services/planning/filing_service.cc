#include "services/planning/filing_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/filter/filter.h"
#include "lib/model/clock.h"
#include "lib/model/labels.h"
#include "lib/paging/page_token.h"
#include "lib/rpc/status.h"
#include "lib/rules/explain.h"
#include "lib/status/errors.h"
#include "services/notify/outbox.h"
#include "services/planning/filing_repository.h"
#include "services/planning/repository.h"

namespace cuofeng {
namespace {

constexpr int kMaxChangesShown = 200;

absl::Status WrongState(const ListRow& row, const std::string& wanted) {
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "清单 ", row.name, " 的状态是", ChineseLabel(v1::ListState_Name(row.state)),
                        "（", v1::ListState_Name(row.state), "）；", wanted)),
                    "WRONG_LIST_STATE");
}

// Today in China (UTC+8, no daylight saving), as YYYY-MM-DD.
std::string TodayInChina() {
  return absl::FormatTime("%Y-%m-%d", Now(), absl::FixedTimeZone(8 * 3600));
}

std::string DistrictOf(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  return parts.size() >= 2 && parts[0] == "districts" ? parts[1] : "";
}

}  // namespace

grpc::Status FilingServiceImpl::SubmitList(grpc::ServerContext* ctx,
                                           const v1::SubmitListRequest* req, v1::Filing* resp) {
  Mutation m{"SubmitList", req->name(), req->request_id(), false};
  return guard_->Mutate(ctx, m, resp, [&](const Principal& p, pqxx::work& tx) -> absl::Status {
    auto row = FilingRepository::LockList(tx, req->name());
    if (!row.ok()) return row.status();
    if (row->state != v1::DRAFT) return WrongState(*row, "只有草稿（DRAFT）清单才能报送");
    for (v1::ListState in_force : {v1::SUBMITTED, v1::FILED}) {
      auto others = FilingRepository::ListsIn(tx, row->district_id, row->season, in_force);
      if (!others.empty()) {
        return WithReason(
            absl::FailedPreconditionError(absl::StrCat(
                "清单 ", others.front(), " 在采暖季 ", row->season, " 已是",
                ChineseLabel(v1::ListState_Name(in_force)), "（", v1::ListState_Name(in_force),
                "）；改动须作为变更备案（cuofeng filing amend）")),
            "ALREADY_FILED");
      }
    }
    auto season = PlanningRepository::GetSeason(tx, row->season);
    if (!season.ok()) return season.status();
    const bool late = TodayInChina() > season->filing_deadline();
    *resp = FilingRepository::AppendFiling(tx, *row, p.key_name, late, "");
    FilingRepository::SetState(tx, row->name, v1::SUBMITTED);
    resp->set_state(v1::SUBMITTED);
    return absl::OkStatus();
  });
}

grpc::Status FilingServiceImpl::AcknowledgeFiling(grpc::ServerContext* ctx,
                                                  const v1::AcknowledgeFilingRequest* req,
                                                  v1::Filing* resp) {
  Mutation m{"AcknowledgeFiling", req->name(), req->request_id(), false};
  grpc::Status status =
      guard_->Mutate(ctx, m, resp, [&](const Principal& p, pqxx::work& tx) -> absl::Status {
        auto row = FilingRepository::LockList(tx, req->name());
        if (!row.ok()) return row.status();
        if (row->state != v1::SUBMITTED)
          return WrongState(*row, "只有已报送（SUBMITTED）的清单才能确认");
        if (!row->amends.empty()) {
          auto old = FilingRepository::LockList(tx, row->amends);
          if (!old.ok()) return old.status();
          if (old->state != v1::FILED) return WrongState(*old, "变更只能替换已备案（FILED）的清单");
          FilingRepository::SetState(tx, old->name, v1::SUPERSEDED);
        }
        FilingRepository::Acknowledge(tx, row->name, p.key_name);
        FilingRepository::SetState(tx, row->name, v1::FILED);
        ObligationCache::RecordChange(tx, ObligationCache::Change::kLists, {row->district_id});
        auto filing = FilingRepository::GetFiling(tx, row->name);
        if (!filing.ok()) return filing.status();
        // The enterprises whose obligations it changes are notified.
        RecordListFiled(tx, row->name, row->amends, filing->reason());
        *resp = *filing;
        return absl::OkStatus();
      });
  // A filed list binds from now: the obligation path reloads the district.
  if (status.ok()) cache_->FilingChanged(DistrictOf(req->name()));
  return status;
}

grpc::Status FilingServiceImpl::AmendFiling(grpc::ServerContext* ctx,
                                            const v1::AmendFilingRequest* req, v1::Filing* resp) {
  Mutation m{"AmendFiling", req->amendment(), req->request_id(), false};
  return guard_->Mutate(ctx, m, resp, [&](const Principal& p, pqxx::work& tx) -> absl::Status {
    if (req->reason().empty()) {
      return InvalidArgumentWithViolations({{"reason", "变更须写明变更原因"}});
    }
    auto filed = FilingRepository::LockList(tx, req->filed());
    if (!filed.ok()) return filed.status();
    auto amendment = FilingRepository::LockList(tx, req->amendment());
    if (!amendment.ok()) return amendment.status();
    if (filed->state != v1::FILED) return WrongState(*filed, "只有已备案（FILED）的清单才能变更");
    if (amendment->state != v1::DRAFT) return WrongState(*amendment, "变更须为草稿（DRAFT）清单");
    if (amendment->district_id != filed->district_id || amendment->season != filed->season) {
      return InvalidArgumentWithViolations(
          {{"amendment", absl::StrCat(req->amendment(), " 与 ", req->filed(),
                                      " 不是同一区县、同一采暖季的清单")}});
    }
    for (const std::string& pending :
         FilingRepository::ListsIn(tx, filed->district_id, filed->season, v1::SUBMITTED)) {
      return WithReason(
          absl::FailedPreconditionError(absl::StrCat("变更 ", pending, " 已在等待市里确认")),
          "AMENDMENT_PENDING");
    }
    FilingRepository::MarkAmendment(tx, amendment->name, filed->name, req->reason());
    amendment->amends = filed->name;
    *resp =
        FilingRepository::AppendFiling(tx, *amendment, p.key_name, /*late=*/false, req->reason());
    FilingRepository::SetState(tx, amendment->name, v1::SUBMITTED);
    resp->set_state(v1::SUBMITTED);
    auto before =
        PlanningRepository::Entries(tx, filed->name, "", 0, std::numeric_limits<int>::max());
    auto after =
        PlanningRepository::Entries(tx, amendment->name, "", 0, std::numeric_limits<int>::max());
    auto changes = DiffEntries(before, after);
    for (int i = 0; i < static_cast<int>(changes.size()) && i < kMaxChangesShown; ++i) {
      resp->add_changes(changes[i].summary());
    }
    if (static_cast<int>(changes.size()) > kMaxChangesShown) {
      resp->add_changes(
          absl::StrCat("……另有 ", changes.size() - kMaxChangesShown, " 处（cuofeng list diff）"));
    }
    return absl::OkStatus();
  });
}

grpc::Status FilingServiceImpl::ListFilings(grpc::ServerContext* ctx,
                                            const v1::ListFilingsRequest* req,
                                            v1::ListFilingsResponse* resp) {
  std::string district = DistrictOf(req->parent());
  if (district.empty() || req->parent() != absl::StrCat("districts/", district)) {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"parent", "须为 districts/{district} 或 districts/-（全部区县）"}}));
  }
  // A bureau or verifier asking for districts/- reads its own district.
  std::string narrow_to;
  auto principal = guard_->Check(ctx, "ListFilings", req->parent(), &narrow_to);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (!narrow_to.empty()) {
    district = DistrictOf(narrow_to);
    if (district.empty() || narrow_to != absl::StrCat("districts/", district)) {
      return ToGrpcStatus(absl::PermissionDeniedError(
          absl::StrCat("无权操作：", narrow_to, " 的账号不能查看备案记录")));
    }
  }
  const int limit = req->page_size() <= 0 ? 100 : std::min(req->page_size(), 1000);
  const std::string token_scope =
      absl::StrCat("ListFilings|", req->parent(), "|", req->state(), "|", req->season());
  auto after = DecodePageToken(token_scope, req->page_token());
  if (!after.ok()) return ToGrpcStatus(after.status());
  return ToGrpcStatus(InTransaction(guard_->pool(), [&](pqxx::work& tx) {
    auto filings = FilingRepository::ListFilings(tx, district == "-" ? "" : district, req->state(),
                                                 req->season(), *after, limit + 1);
    for (int i = 0; i < static_cast<int>(filings.size()) && i < limit; ++i)
      *resp->add_filings() = filings[i];
    if (static_cast<int>(filings.size()) > limit) {
      resp->set_next_page_token(EncodePageToken(
          token_scope,
          absl::StrCat(DistrictOf(filings[limit - 1].list()), "/", filings[limit - 1].seq())));
    }
    return ApplyFilter(req->filter(), resp);
  }));
}

grpc::Status FilingServiceImpl::VerifyChain(grpc::ServerContext* ctx,
                                            const v1::VerifyChainRequest* req,
                                            v1::VerifyChainResponse* resp) {
  auto principal = guard_->Check(ctx, "VerifyChain", req->district());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const std::string district = DistrictOf(req->district());
  if (district.empty() || district == "-" ||
      req->district() != absl::StrCat("districts/", district))
    return ToGrpcStatus(InvalidArgumentWithViolations({{"district", "须为 districts/{district}"}}));
  return ToGrpcStatus(InTransaction(
      guard_->pool(),
      [&](pqxx::work& tx) {
        *resp = FilingRepository::Verify(tx, district);
        return absl::OkStatus();
      },
      Isolation::kRepeatableReadReadOnly));
}

}  // namespace cuofeng
