#include "services/planning/planning_service.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/filter/filter.h"
#include "lib/hash/sha256.h"
#include "lib/model/clock.h"
#include "lib/model/identifiers.h"
#include "lib/model/labels.h"
#include "lib/paging/page_token.h"
#include "lib/rpc/forward.h"
#include "lib/rpc/status.h"
#include "lib/rules/explain.h"
#include "lib/rules/obligations.h"
#include "lib/rules/rule_set.h"
#include "lib/status/errors.h"
#include "services/planning/measured_transmission.h"
#include "services/planning/repository.h"

namespace cuofeng {
namespace {

constexpr int kDefaultPage = 100;
constexpr int kMaxPage = 1000;

// districts/{d} → d, or "" if it is not a district name.
std::string DistrictId(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() < 2 || parts[0] != "districts" || !ValidateDistrictCode(parts[1]).ok())
    return "";
  return parts[1];
}

// ruleSets/{id}[@{revision}].
absl::Status ParseRuleSetName(const std::string& name, std::string* id, int* revision) {
  absl::string_view rest = name;
  *revision = 0;
  if (!absl::ConsumePrefix(&rest, "ruleSets/")) {
    return InvalidArgumentWithViolations(
        {{"rule_set", absl::StrCat("\"", name, "\" 不是 ruleSets/{id} 或 ruleSets/{id}@{版本}")}});
  }
  std::vector<std::string> parts = absl::StrSplit(rest, '@');
  *id = parts[0];
  if (parts.size() > 2 || (parts.size() == 2 && !absl::SimpleAtoi(parts[1], revision)) ||
      !ValidateResourceId(*id).ok()) {
    return InvalidArgumentWithViolations(
        {{"rule_set", absl::StrCat("\"", name, "\" 不是 ruleSets/{id} 或 ruleSets/{id}@{版本}")}});
  }
  return absl::OkStatus();
}

// districts/{d}/lists/{list}/entries/{n} → list name and n.
bool ParseEntryName(const std::string& name, std::string* list, int* seq) {
  size_t at = name.rfind("/entries/");
  if (at == std::string::npos) return false;
  *list = name.substr(0, at);
  return absl::SimpleAtoi(name.substr(at + 9), seq) && *seq > 0;
}

std::vector<FieldViolation> CheckSeason(const v1::Season& s) {
  std::vector<FieldViolation> v;
  for (auto [field, value] :
       {std::pair{"season.start", &s.start()}, std::pair{"season.end", &s.end()},
        std::pair{"season.filing_deadline", &s.filing_deadline()}}) {
    absl::Status ok = ValidateDate(*value);
    if (!ok.ok()) v.push_back({field, std::string(ok.message())});
  }
  if (v.empty() && s.end() <= s.start()) v.push_back({"season.end", "采暖季的结束日须晚于开始日"});
  if (v.empty() && s.filing_deadline() > s.end()) {
    v.push_back({"season.filing_deadline", "备案截止日晚于采暖季结束日"});
  }
  for (int i = 0; i < s.adjustments_size(); ++i) {
    const std::string& m = s.adjustments(i).month();
    if (!ValidateDate(m + "-01").ok()) {
      v.push_back({absl::StrCat("season.adjustments[", i, "].month"),
                   absl::StrCat("\"", m, "\" 不是 YYYY-MM 格式的月份")});
    } else if (v.empty() && (m + "-31" < s.start() || m + "-01" > s.end())) {
      v.push_back(
          {absl::StrCat("season.adjustments[", i, "].month"), absl::StrCat(m, " 不在采暖季内")});
    }
  }
  return v;
}

// SeasonInForce: the season whose dates hold `today` (YYYY-MM-DD), else the
// next to start, else the last to end; "" when there is none.
std::string SeasonInForce(const std::vector<v1::Season>& seasons, const std::string& today) {
  const v1::Season *holding = nullptr, *next = nullptr, *last = nullptr;
  for (const v1::Season& s : seasons) {
    if (s.start() <= today && today <= s.end() &&
        (holding == nullptr || s.start() > holding->start()))
      holding = &s;
    if (s.start() > today && (next == nullptr || s.start() < next->start())) next = &s;
    if (s.end() < today && (last == nullptr || s.end() > last->end())) last = &s;
  }
  const v1::Season* chosen = holding != nullptr ? holding : next != nullptr ? next : last;
  return chosen == nullptr ? "" : chosen->name();
}

}  // namespace

absl::StatusOr<RegistrySnapshot> PlanningServiceImpl::ReadSnapshot(const grpc::ServerContext* ctx,
                                                                   const std::string& district,
                                                                   std::string* sha256) {
  grpc::ClientContext call;
  ForwardCaller(*ctx, &call, absl::Minutes(10));
  v1::ReadDistrictSnapshotRequest req;
  req.set_district(district);
  auto reader = registry_->ReadDistrictSnapshot(&call, req);
  RegistrySnapshot s;
  v1::DistrictSnapshotChunk chunk;
  std::string digest_input;
  while (reader->Read(&chunk)) {
    // Hash first: the messages are moved out below.
    absl::StrAppend(&digest_input, Sha256Hex(chunk.SerializeAsString()));
    if (chunk.has_district()) s.district = chunk.district();
    for (auto& x : *chunk.mutable_townships()) s.townships.push_back(std::move(x));
    for (auto& x : *chunk.mutable_enterprises()) s.enterprises.push_back(std::move(x));
    for (auto& x : *chunk.mutable_production_lines()) s.lines.push_back(std::move(x));
    for (auto& x : *chunk.mutable_processes()) s.processes.push_back(std::move(x));
    for (auto& x : *chunk.mutable_equipment()) s.equipment.push_back(std::move(x));
    for (auto& x : *chunk.mutable_retrofit_tasks()) s.retrofit_tasks.push_back(std::move(x));
    for (auto& x : *chunk.mutable_emission_totals()) s.emission_totals.push_back(std::move(x));
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  *sha256 = Sha256Hex(digest_input);
  return s;
}

grpc::Status PlanningServiceImpl::CreateRuleSet(grpc::ServerContext* ctx,
                                                const v1::CreateRuleSetRequest* req,
                                                v1::RuleSet* resp) {
  Mutation m{"CreateRuleSet", absl::StrCat("ruleSets/", req->rule_set_id()), "",
             req->validate_only()};
  return guard_->Mutate(ctx, m, resp, [&](const Principal& p, pqxx::work& tx) -> absl::Status {
    absl::Status id_ok = ValidateResourceId(req->rule_set_id());
    if (!id_ok.ok())
      return InvalidArgumentWithViolations({{"rule_set_id", std::string(id_ok.message())}});
    auto parsed = ParseRuleSet(req->text());
    if (!parsed.ok()) return parsed.status();
    parsed->set_sha256(RuleSetSha256(*parsed));
    auto stored =
        PlanningRepository::StoreRuleSet(tx, req->rule_set_id(), req->text(), *parsed, p.key_name);
    if (!stored.ok()) return stored.status();
    *resp = *stored;
    return absl::OkStatus();
  });
}

grpc::Status PlanningServiceImpl::GetRuleSet(grpc::ServerContext* ctx,
                                             const v1::GetRuleSetRequest* req, v1::RuleSet* resp) {
  // Rule sets are shared documents every role may read.
  auto principal = guard_->Check(ctx, "GetRuleSet", "");
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::string id;
  int revision;
  absl::Status ok = ParseRuleSetName(req->name(), &id, &revision);
  if (!ok.ok()) return ToGrpcStatus(ok);
  return ToGrpcStatus(InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
    auto rs = PlanningRepository::GetRuleSet(tx, id, revision);
    if (!rs.ok()) return rs.status();
    *resp = *rs;
    return absl::OkStatus();
  }));
}

grpc::Status PlanningServiceImpl::ListRuleSets(grpc::ServerContext* ctx,
                                               const v1::ListRuleSetsRequest* req,
                                               v1::ListRuleSetsResponse* resp) {
  auto principal = guard_->Check(ctx, "ListRuleSets", "");
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const int limit = req->page_size() <= 0 ? kDefaultPage : std::min(req->page_size(), kMaxPage);
  auto after = DecodePageToken("ListRuleSets", req->page_token());
  if (!after.ok()) return ToGrpcStatus(after.status());
  return ToGrpcStatus(InTransaction(guard_->pool(), [&](pqxx::work& tx) {
    auto all = PlanningRepository::ListRuleSets(tx, *after, limit + 1);
    for (int i = 0; i < static_cast<int>(all.size()) && i < limit; ++i)
      *resp->add_rule_sets() = all[i];
    if (static_cast<int>(all.size()) > limit) {
      resp->set_next_page_token(EncodePageToken(
          "ListRuleSets", all[limit - 1].name().substr(std::string("ruleSets/").size())));
    }
    return ApplyFilter(req->filter(), resp);
  }));
}

grpc::Status PlanningServiceImpl::CreateSeason(grpc::ServerContext* ctx,
                                               const v1::CreateSeasonRequest* req,
                                               v1::Season* resp) {
  Mutation m{"CreateSeason", req->parent(), "", false};
  return guard_->Mutate(ctx, m, resp, [&](const Principal&, pqxx::work& tx) -> absl::Status {
    const std::string district = DistrictId(req->parent());
    std::vector<FieldViolation> v;
    if (district.empty() || req->parent() != absl::StrCat("districts/", district)) {
      v.push_back({"parent", absl::StrCat("\"", req->parent(), "\" 不是 districts/{district}")});
    }
    absl::Status id_ok = ValidateResourceId(req->season_id());
    if (!id_ok.ok()) v.push_back({"season_id", std::string(id_ok.message())});
    for (auto& x : CheckSeason(req->season())) v.push_back(std::move(x));
    if (!v.empty()) return InvalidArgumentWithViolations(std::move(v));
    *resp = req->season();
    resp->set_name(absl::StrCat(req->parent(), "/seasons/", req->season_id()));
    resp->clear_etag();
    absl::Status ok = PlanningRepository::InsertSeason(tx, district, req->season_id(), *resp);
    if (!ok.ok()) return ok;
    resp->set_etag("1");
    return absl::OkStatus();
  });
}

grpc::Status PlanningServiceImpl::GetSeason(grpc::ServerContext* ctx,
                                            const v1::GetSeasonRequest* req, v1::Season* resp) {
  auto principal = guard_->Check(ctx, "GetSeason", req->name());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  return ToGrpcStatus(InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
    auto s = PlanningRepository::GetSeason(tx, req->name());
    if (!s.ok()) return s.status();
    *resp = *s;
    return absl::OkStatus();
  }));
}

grpc::Status PlanningServiceImpl::ListSeasons(grpc::ServerContext* ctx,
                                              const v1::ListSeasonsRequest* req,
                                              v1::ListSeasonsResponse* resp) {
  const std::string district = DistrictId(req->parent());
  std::vector<FieldViolation> v;
  if (district.empty() || req->parent() != absl::StrCat("districts/", district)) {
    v.push_back({"parent", absl::StrCat("“", req->parent(), "”不是 districts/{区代码} 形式")});
  }
  if (req->page_size() < 0) v.push_back({"page_size", "不能为负数"});
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  auto principal = guard_->Check(ctx, "ListSeasons", req->parent());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const std::string scope = absl::StrCat("ListSeasons|", req->parent());
  auto after = DecodePageToken(scope, req->page_token());
  if (!after.ok()) return ToGrpcStatus(after.status());
  const int limit = req->page_size() <= 0 ? kDefaultPage : std::min(req->page_size(), kMaxPage);
  return ToGrpcStatus(InTransaction(guard_->read_pool(*principal), [&](pqxx::work& tx) {
    resp->Clear();
    // A district has a season a year: all of them are read, so that the one
    // in force is chosen among all whatever the page.
    const std::vector<v1::Season> all = PlanningRepository::Seasons(tx, district);
    resp->set_in_force(SeasonInForce(all, ChinaDay(Now())));
    int n = 0;
    for (const v1::Season& s : all) {
      if (!after->empty() && s.name() <= *after) continue;
      if (n == limit) {
        resp->set_next_page_token(EncodePageToken(scope, resp->seasons(n - 1).name()));
        break;
      }
      *resp->add_seasons() = s;
      ++n;
    }
    return absl::OkStatus();
  }));
}

grpc::Status PlanningServiceImpl::UpdateSeason(grpc::ServerContext* ctx,
                                               const v1::UpdateSeasonRequest* req,
                                               v1::Season* resp) {
  Mutation m{"UpdateSeason", req->season().name(), "", false};
  return guard_->Mutate(ctx, m, resp, [&](const Principal&, pqxx::work& tx) -> absl::Status {
    auto current = PlanningRepository::GetSeason(tx, req->season().name(), /*for_update=*/true);
    if (!current.ok()) return current.status();
    if (!req->season().etag().empty() && req->season().etag() != current->etag()) {
      return WithReason(absl::AbortedError(absl::StrCat(
                            req->season().name(), " 已被他人修改（etag ", req->season().etag(),
                            " 已过时，现为 ", current->etag(), "）")),
                        "ETAG_MISMATCH");
    }
    auto v = CheckSeason(req->season());
    if (!v.empty()) return InvalidArgumentWithViolations(std::move(v));
    absl::Status ok = PlanningRepository::UpdateSeason(tx, req->season());
    if (!ok.ok()) return ok;
    auto stored = PlanningRepository::GetSeason(tx, req->season().name());
    if (!stored.ok()) return stored.status();
    *resp = *stored;
    return absl::OkStatus();
  });
}

grpc::Status PlanningServiceImpl::GenerateList(grpc::ServerContext* ctx,
                                               const v1::GenerateListRequest* req,
                                               v1::ListVersion* resp) {
  // Authorise before the (possibly large) snapshot is read.
  auto principal = guard_->Check(ctx, "GenerateList", req->parent());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const std::string district = DistrictId(req->parent());
  std::vector<FieldViolation> v;
  if (district.empty() || req->parent() != absl::StrCat("districts/", district)) {
    v.push_back({"parent", absl::StrCat("\"", req->parent(), "\" 不是 districts/{district}")});
  }
  if (!absl::StartsWith(req->season(), absl::StrCat(req->parent(), "/seasons/"))) {
    v.push_back(
        {"season", absl::StrCat("\"", req->season(), "\" 不是 ", req->parent(), " 的采暖季")});
  }
  std::string rule_set_id;
  int revision = 0;
  absl::Status rs_name = ParseRuleSetName(req->rule_set(), &rule_set_id, &revision);
  if (!rs_name.ok()) v.push_back({"rule_set", std::string(rs_name.message())});
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));

  v1::Season season;
  v1::RuleSet rules;
  absl::Status loaded = InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
    auto s = PlanningRepository::GetSeason(tx, req->season());
    if (!s.ok()) return s.status();
    season = *s;
    auto rs = PlanningRepository::GetRuleSet(tx, rule_set_id, revision);
    if (!rs.ok()) return rs.status();
    rules = *rs;
    return absl::OkStatus();
  });
  if (!loaded.ok()) return ToGrpcStatus(loaded);
  if (rules.rules_size() == 0) {
    // A revision stored before rule sets listed their rules would give an empty list.
    return ToGrpcStatus(absl::FailedPreconditionError(
        absl::StrCat(rules.name(), " 第 ", rules.revision(),
                     " 版没有列出规则（RuleSet.rules）；请重新载入规则集")));
  }
  std::string snapshot_sha;
  auto snapshot = ReadSnapshot(ctx, req->parent(), &snapshot_sha);
  if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
  // The list is generated today, on the server's clock, in China.
  const std::string as_of = ChinaDay(Now());
  // Measured CEMS transmission over the window before it, asked for before
  // anything is written (no connection is held while compliance answers).
  auto measured = FetchMeasuredTransmission(compliance_.get(), *ctx, req->parent(),
                                            TransmissionWindow(rules, as_of));
  if (!measured.ok()) return ToGrpcStatus(measured.status());
  snapshot->cems_transmission = *measured;
  // Compact: InsertList makes each entry as it writes it (the snapshot
  // outlives it).
  GeneratedList generated =
      cuofeng::GenerateList(rules, season, *snapshot, as_of, EntryForm::kCompact);

  Mutation m{"GenerateList", req->parent(), req->request_id(), req->validate_only()};
  return guard_->Mutate(ctx, m, resp, [&](const Principal& p, pqxx::work& tx) -> absl::Status {
    const int seq = PlanningRepository::NextListSeq(tx, district);
    const std::string season_id = season.name().substr(season.name().rfind('/') + 1);
    resp->set_name(absl::StrCat(req->parent(), "/lists/", season_id, "-v", seq));
    resp->set_season(season.name());
    resp->set_rule_set(rules.name());
    resp->set_rule_set_revision(rules.revision());
    resp->set_rule_set_sha256(rules.sha256());
    resp->set_state(v1::DRAFT);
    resp->set_content_sha256(generated.content_sha256);
    resp->set_registry_snapshot_sha256(snapshot_sha);
    resp->set_entry_count(static_cast<int>(generated.entry_count));
    for (const auto& proof : generated.proof) *resp->add_proof() = proof;
    resp->set_restricted(generated.restricted);
    resp->set_exempt(generated.exempt);
    resp->set_guaranteed(generated.guaranteed);
    resp->set_data_missing(generated.data_missing);
    for (const auto& period : generated.staggered_periods) *resp->add_staggered_periods() = period;
    absl::Status inserted =
        PlanningRepository::InsertList(tx, district, seq, *resp, generated, p.key_name);
    if (!inserted.ok()) return inserted;
    return RecordMeasuredTransmission(tx, resp->name(), district, *measured);
  });
}

grpc::Status PlanningServiceImpl::GetListVersion(grpc::ServerContext* ctx,
                                                 const v1::GetListVersionRequest* req,
                                                 v1::ListVersion* resp) {
  auto principal = guard_->Check(ctx, "GetListVersion", req->name());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  return ToGrpcStatus(InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
    auto l = PlanningRepository::GetList(tx, req->name());
    if (!l.ok()) return l.status();
    *resp = *l;
    return absl::OkStatus();
  }));
}

grpc::Status PlanningServiceImpl::ListListVersions(grpc::ServerContext* ctx,
                                                   const v1::ListListVersionsRequest* req,
                                                   v1::ListListVersionsResponse* resp) {
  auto principal = guard_->Check(ctx, "ListListVersions", req->parent());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const std::string district = DistrictId(req->parent());
  if (district.empty() || req->parent() != absl::StrCat("districts/", district)) {
    return ToGrpcStatus(InvalidArgumentWithViolations({{"parent", "须为 districts/{district}"}}));
  }
  const std::string scope = absl::StrCat("ListListVersions|", req->parent());
  auto position = DecodePageToken(scope, req->page_token());
  if (!position.ok()) return ToGrpcStatus(position.status());
  int after = 0;
  if (!position->empty() && !absl::SimpleAtoi(*position, &after)) after = 0;
  const int limit = req->page_size() <= 0 ? kDefaultPage : std::min(req->page_size(), kMaxPage);
  return ToGrpcStatus(InTransaction(guard_->read_pool(*principal), [&](pqxx::work& tx) {
    auto lists = PlanningRepository::ListLists(tx, district, after, limit + 1);
    for (int i = 0; i < static_cast<int>(lists.size()) && i < limit; ++i)
      *resp->add_list_versions() = lists[i];
    if (static_cast<int>(lists.size()) > limit)
      resp->set_next_page_token(EncodePageToken(scope, absl::StrCat(after + limit)));
    return ApplyFilter(req->filter(), resp);
  }));
}

absl::Status PlanningServiceImpl::CheckListRead(const grpc::ServerContext* ctx, const char* method,
                                                const std::string& list, std::string* enterprise,
                                                bool* narrowed) {
  std::string narrow_to;
  auto principal = guard_->Check(ctx, method, list, &narrow_to);
  if (!principal.ok()) return principal.status();
  *narrowed = !narrow_to.empty();
  if (!*narrowed) return absl::OkStatus();
  // An enterprise reads the filed entries about itself, whatever it asks for.
  if (!enterprise->empty() && *enterprise != narrow_to) {
    return absl::PermissionDeniedError(
        absl::StrCat("无权操作：企业账号（", narrow_to, "）只能查看已备案清单中本企业的条目"));
  }
  *enterprise = narrow_to;
  return absl::OkStatus();
}

grpc::Status PlanningServiceImpl::ListEntries(grpc::ServerContext* ctx,
                                              const v1::ListEntriesRequest* req,
                                              v1::ListEntriesResponse* resp) {
  std::string enterprise = req->enterprise();
  bool narrowed = false;
  absl::Status allowed = CheckListRead(ctx, "ListEntries", req->parent(), &enterprise, &narrowed);
  if (!allowed.ok()) return ToGrpcStatus(allowed);
  const std::string scope = absl::StrCat("ListEntries|", req->parent(), "|", enterprise);
  auto position = DecodePageToken(scope, req->page_token());
  if (!position.ok()) return ToGrpcStatus(position.status());
  int after = 0;
  if (!position->empty() && !absl::SimpleAtoi(*position, &after)) after = 0;
  const int limit = req->page_size() <= 0 ? kDefaultPage : std::min(req->page_size(), kMaxPage);
  return ToGrpcStatus(InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
    auto list = PlanningRepository::GetList(tx, req->parent());
    if (!list.ok()) return list.status();
    if (narrowed && list->state() != v1::FILED && list->state() != v1::SUPERSEDED) {
      // Only filed lists bind; an enterprise does not read drafts.
      return absl::PermissionDeniedError(absl::StrCat(
          "无权操作：清单 ", req->parent(), " 的状态为",
          ChineseLabel(v1::ListState_Name(list->state())), "，企业只能查看已备案的清单"));
    }
    auto entries = PlanningRepository::Entries(tx, req->parent(), enterprise, after, limit + 1);
    for (int i = 0; i < static_cast<int>(entries.size()) && i < limit; ++i)
      *resp->add_entries() = entries[i];
    if (static_cast<int>(entries.size()) > limit) {
      const std::string& last = entries[limit - 1].name();
      resp->set_next_page_token(EncodePageToken(scope, last.substr(last.rfind('/') + 1)));
    }
    return ApplyFilter(req->filter(), resp);
  }));
}

grpc::Status PlanningServiceImpl::ExplainEntry(grpc::ServerContext* ctx,
                                               const v1::ExplainEntryRequest* req,
                                               v1::ExplainEntryResponse* resp) {
  std::string list_name;
  int seq = 0;
  if (!ParseEntryName(req->name(), &list_name, &seq)) {
    return ToGrpcStatus(
        InvalidArgumentWithViolations({{"name", "须为 districts/{d}/lists/{list}/entries/{n}"}}));
  }
  std::string enterprise;
  bool narrowed = false;
  absl::Status allowed = CheckListRead(ctx, "ExplainEntry", list_name, &enterprise, &narrowed);
  if (!allowed.ok()) return ToGrpcStatus(allowed);
  return ToGrpcStatus(InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
    auto list = PlanningRepository::GetList(tx, list_name);
    if (!list.ok()) return list.status();
    auto entry = PlanningRepository::Entry(tx, list_name, seq);
    if (!entry.ok()) return entry.status();
    if (narrowed && (entry->enterprise() != enterprise ||
                     (list->state() != v1::FILED && list->state() != v1::SUPERSEDED))) {
      return absl::PermissionDeniedError("无权操作：企业只能查看已备案清单中本企业的条目");
    }
    *resp->mutable_entry() = *entry;
    resp->set_explanation(cuofeng::ExplainEntry(*entry, *list));
    return absl::OkStatus();
  }));
}

grpc::Status PlanningServiceImpl::DiffLists(grpc::ServerContext* ctx,
                                            const v1::DiffListsRequest* req,
                                            v1::DiffListsResponse* resp) {
  for (const std::string* name : {&req->base(), &req->other()}) {
    auto principal = guard_->Check(ctx, "DiffLists", *name);
    if (!principal.ok()) return ToGrpcStatus(principal.status());
  }
  return ToGrpcStatus(InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
    std::vector<v1::ListEntry> lists[2];
    int i = 0;
    for (const std::string* name : {&req->base(), &req->other()}) {
      auto list = PlanningRepository::GetList(tx, *name);
      if (!list.ok()) return list.status();
      lists[i++] = PlanningRepository::Entries(tx, *name, "", 0, std::numeric_limits<int>::max());
    }
    for (auto& c : DiffEntries(lists[0], lists[1])) *resp->add_changes() = std::move(c);
    return absl::OkStatus();
  }));
}

}  // namespace cuofeng
