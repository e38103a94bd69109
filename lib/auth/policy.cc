#include "lib/auth/policy.h"

#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace cuofeng {
namespace {

constexpr Grant N = Grant::kNone;
constexpr Grant A = Grant::kAll;
constexpr Grant O = Grant::kOwn;
constexpr Grant F = Grant::kOwnFiled;

// Registry methods of every kind below a district, made from the kinds' names.
std::vector<std::string> RegistryMethods(const std::vector<std::string>& verbs) {
  static const char* const kKinds[][2] = {{"Township", "Townships"},
                                          {"Enterprise", "Enterprises"},
                                          {"ProductionLine", "ProductionLines"},
                                          {"Process", "Processes"},
                                          {"Equipment", "Equipment"},
                                          {"Meter", "Meters"},
                                          {"Camera", "Cameras"},
                                          {"Vehicle", "Vehicles"},
                                          {"RetrofitTask", "RetrofitTasks"},
                                          {"EmissionTotal", "EmissionTotals"},
                                          {"WhitelistEntry", "WhitelistEntries"},
                                          {"MonitoringPoint", "MonitoringPoints"},
                                          {"ProductionLedger", "ProductionLedgers"}};
  std::vector<std::string> out;
  for (const auto& verb : verbs) {
    for (const auto& kind : kKinds) out.push_back(absl::StrCat(verb, kind[verb == "List" ? 1 : 0]));
  }
  return out;
}

AccessRule Row(std::string service, std::vector<std::string> methods, std::string what,
               std::string what_zh, std::string resource, bool narrows, Grant admin, Grant city,
               Grant bureau, Grant verifier, Grant enterprise, Grant service_role) {
  AccessRule r;
  r.rpc_service = std::move(service);
  r.methods = std::move(methods);
  r.what = std::move(what);
  r.what_zh = std::move(what_zh);
  r.resource = std::move(resource);
  r.narrows = narrows;
  r.admin = admin;
  r.city = city;
  r.bureau = bureau;
  r.verifier = verifier;
  r.enterprise = enterprise;
  r.service = service_role;
  return r;
}

// A row for a method called without a key (its own check is a password).
AccessRule PasswordRow(std::string service, std::vector<std::string> methods, std::string what,
                       std::string what_zh) {
  AccessRule r =
      Row(std::move(service), std::move(methods), std::move(what), std::move(what_zh), "username",
          false, Grant::kAll, Grant::kAll, Grant::kAll, Grant::kAll, Grant::kAll, Grant::kAll);
  r.password_only = true;
  return r;
}

// The access table. Columns: admin, city, bureau, verifier, enterprise, service.
std::vector<AccessRule> MakeRules() {
  const bool kList = true, kOne = false;
  return {
      // AdminService: keys and the audit log.
      Row("AdminService", {"CreateApiKey", "RevokeApiKey"}, "create or revoke an API key",
          "创建或吊销 API 密钥", "api_key / name", kOne, A, N, N, N, N, N),
      Row("AdminService", {"GetCaller"}, "read who the key is", "查看密钥的身份", "-", kOne, A, A,
          A, A, A, A),
      Row("AdminService", {"ListAuditEntries"}, "read the audit log", "查看审计日志",
          "resource_prefix", kOne, A, A, N, N, N, N),
      // RegistryService.
      Row("RegistryService", {"CreateDistrict", "UpdateDistrict", "DeleteDistrict"},
          "register, rename or delete a district", "登记、更名或删除区", "district / name", kOne, A,
          N, N, N, N, N),
      Row("RegistryService", {"GetDistrict"}, "read a district", "查看区", "name", kOne, A, A, O, O,
          N, A),
      Row("RegistryService", {"ListDistricts"}, "list districts", "列出各区", "-", kList, A, A, O,
          O, N, A),
      Row("RegistryService", RegistryMethods({"Get"}),
          "read a registry resource below a district (townships … production ledgers)",
          "查看区内的登记信息（镇乡至生产台账）", "name", kOne, A, A, O, O, O, A),
      Row("RegistryService", RegistryMethods({"List"}), "list registry resources below a district",
          "列出区内的登记信息", "parent", kList, A, A, O, O, O, A),
      Row("RegistryService", RegistryMethods({"Create", "Update", "Delete"}),
          "create, update or delete a registry resource below a district",
          "新增、修改或删除区内的登记信息", "parent / name", kOne, A, N, O, N, N, N),
      Row("RegistryService", {"ImportRegistry"}, "import the registry files", "导入名录文件",
          "header.district", kOne, A, N, O, N, N, N),
      Row("RegistryService", {"ExportRegistry"}, "export the registry files", "导出名录文件",
          "district", kOne, A, A, O, O, N, A),
      Row("RegistryService", {"ReadDistrictSnapshot"},
          "read a district's snapshot (for list generation)", "读取区的名录快照（用于生成清单）",
          "district", kOne, A, A, O, O, N, A),
      // PlanningService.
      Row("PlanningService", {"CreateRuleSet"}, "load a rule set", "载入规则集", "rule_set_id",
          kOne, A, A, A, N, N, N),
      Row("PlanningService", {"GetRuleSet", "ListRuleSets"}, "read rule sets", "查看规则集", "-",
          kOne, A, A, A, A, A, A),
      Row("PlanningService", {"CreateSeason", "UpdateSeason"}, "create or adjust a season",
          "创建或调整采暖季", "parent / season.name", kOne, A, N, O, N, N, N),
      Row("PlanningService", {"GetSeason"}, "read a season", "查看采暖季", "name", kOne, A, A, O, O,
          N, A),
      Row("PlanningService", {"ListSeasons"}, "list a district's seasons", "列出区的采暖季",
          "parent", kOne, A, A, O, O, N, A),
      Row("PlanningService", {"GenerateList"}, "generate a list (a draft)", "生成清单（草稿）",
          "parent", kOne, A, N, O, N, N, N),
      Row("PlanningService", {"GetListVersion", "ListListVersions", "DiffLists"},
          "read lists (drafts too) with their proof, diff two lists",
          "查看清单（含草稿）及其减排论证，或比较两版清单", "name / parent / base, other", kOne, A,
          A, O, O, N, A),
      Row("PlanningService", {"ListEntries", "ExplainEntry"}, "read a list's entries, explain one",
          "查看清单条目或其说明", "parent / name", kOne, A, A, O, O, F, A),
      // FilingService.
      Row("FilingService", {"SubmitList", "AmendFiling"}, "submit a list, file an amendment",
          "报送清单或提交修订", "name / amendment", kOne, A, N, O, N, N, N),
      Row("FilingService", {"AcknowledgeFiling"}, "acknowledge a filing or approve an amendment",
          "确认备案或批准修订", "name", kOne, A, A, N, N, N, N),
      Row("FilingService", {"ListFilings"}, "list the filings", "查看备案记录", "parent", kList, A,
          A, O, O, N, A),
      Row("FilingService", {"VerifyChain"}, "verify a district's chain", "校验区的备案链",
          "district", kOne, A, A, O, O, N, A),
      // AlertService.
      Row("AlertService", {"IssueAlert"},
          "issue an alert (a bureau: its own district, if its filed rule set allows)",
          "发布预警（区级：仅本区，且须备案规则集允许）", "alert.districts", kOne, A, A, O, N, N,
          N),
      Row("AlertService", {"ChangeAlert", "LiftAlert"}, "change or lift an alert", "调整或解除预警",
          "name", kOne, A, A, N, N, N, N),
      Row("AlertService", {"GetAlert", "ListAlerts"}, "read alerts", "查看预警", "-", kOne, A, A, A,
          A, A, A),
      Row("AlertService", {"PreviewAlert"},
          "preview what issuing, changing or lifting an alert would change (nothing is sent)",
          "预览发布、调整或解除预警的影响", "issue.alert.districts / change.name / lift.name", kOne,
          A, A, O, N, N, N),
      // ObligationService.
      Row("ObligationService", {"GetObligations", "WatchObligations"},
          "read what binds an enterprise, or watch it", "查看或订阅企业当前应执行的措施",
          "enterprise", kOne, A, A, O, O, O, A),
      Row("ObligationService", {"ListObligationWindows"},
          "read every restricting window of a district", "查看区内全部限产、停产时段", "district",
          kOne, A, A, O, O, N, A),
      // ComplianceService.
      Row("ComplianceService", {"IngestReadings", "IngestGateEvents", "IngestLedgerRows"},
          "send monitoring data, row by row", "报送监测数据",
          "each row's meter / camera / enterprise", kOne, A, N, O, N, O, A),
      Row("ComplianceService", {"IngestProductionDays"},
          "send production ledger days (生产台账), row by row", "报送生产台账数据",
          "each row's ledger", kOne, A, N, O, N, O, A),
      Row("ComplianceService", {"RecordMeterEvent"}, "record a register reset or meter replacement",
          "登记电表清零或换表", "event.meter", kOne, A, N, O, N, N, A),
      Row("ComplianceService", {"ListMeterEvents"}, "read a meter's events", "查看电表事件",
          "meter", kOne, A, A, O, O, O, A),
      Row("ComplianceService", {"ListBaselines"}, "read baselines", "查看基准负荷", "parent", kList,
          A, A, O, O, O, A),
      Row("ComplianceService", {"OverrideBaseline"}, "override a baseline", "人工设定基准负荷",
          "name", kOne, A, N, O, N, N, N),
      Row("ComplianceService", {"RunVerification"}, "run verification", "执行核查", "district",
          kOne, A, N, O, O, N, N),
      Row("ComplianceService", {"ListVerificationRuns"},
          "read verification runs and what they could not verify", "查看核查批次及未能核查的时段",
          "parent", kOne, A, A, O, O, N, A),
      Row("ComplianceService", {"GetVerificationRun"},
          "read a verification run, under way or done, with its progress", "查看核查批次及其进度",
          "name", kOne, A, A, O, O, N, A),
      Row("ComplianceService", {"ListFindings", "WatchFindings"}, "list findings, or watch them",
          "查看或订阅核查发现", "parent", kList, A, A, O, O, O, A),
      Row("ComplianceService", {"GetFinding", "GetEvidence"}, "read a finding and its evidence",
          "查看核查发现及其证据", "name", kOne, A, A, O, O, O, A),
      Row("ComplianceService", {"ListCemsTransmission"},
          "read measured CEMS transmission (数据传输有效率) of a district's monitoring points",
          "查看区内排放口实测数据传输有效率", "district", kOne, A, A, O, O, N, A),
      Row("ComplianceService", {"ReviewFinding"}, "confirm or dismiss a finding",
          "确认或排除核查发现", "name", kOne, A, N, N, O, N, N),
      Row("ComplianceService", {"ExplainFinding"}, "explain a finding (异常申报)", "提交异常申报",
          "name", kOne, A, N, N, N, O, N),
      // DocumentService: each document is built from calls made with the
      // caller's own key, so their rows apply as well (an enterprise's
      // 一厂一策 comes from its district's filed lists only).
      Row("DocumentService", {"RenderList"}, "render a list (XLSX, CSV, PDF)",
          "导出清单（XLSX、CSV、PDF）", "list", kOne, A, A, O, O, N, A),
      Row("DocumentService", {"RenderPlantPlan", "RenderObligationNotice"},
          "render an enterprise's 一厂一策 or its obligation notice (告知书)",
          "导出企业的一厂一策或告知书", "enterprise", kOne, A, A, O, O, O, A),
      Row("DocumentService", {"RenderCaseFile"}, "render a finding's case file",
          "导出核查发现的案卷", "finding", kOne, A, A, O, O, O, A),
      Row("DocumentService", {"RenderRegistryWorkbook"}, "render the registry workbook",
          "导出名录工作簿", "district", kOne, A, A, O, O, N, A),
      Row("DocumentService", {"RenderCityOverview"},
          "render the city's overview and daily summary (a bureau: its own district)",
          "导出全市备案概况及日报（区级：仅本区）", "districts/-", kList, A, A, O, N, N, A),
      // NotificationService.
      Row("NotificationService", {"ListNotifications"}, "list notifications", "查看通知", "parent",
          kList, A, A, O, O, O, A),
      Row("NotificationService", {"MarkNotificationRead"}, "mark a notification read (已读)",
          "将通知标为已读", "name", kOne, A, N, N, N, O, N),
      Row("NotificationService", {"GetContactSettings"}, "read where notifications go",
          "查看通知接收方式", "name's enterprise", kOne, A, A, O, O, O, A),
      Row("NotificationService", {"UpdateContactSettings"}, "set where notifications go",
          "设置通知接收方式", "contact_settings.name's enterprise", kOne, A, N, O, N, O, N),
      // AccountService: people's accounts for the browser.
      Row("AccountService", {"CreateAccount", "ListAccounts", "UnlockAccount"},
          "create, list or unlock people's accounts", "创建、查看或解锁用户账号",
          "account.scope / scope / the account's scope", kOne, A, N, O, N, N, N),
      PasswordRow("AccountService", {"Login", "ChangePassword"},
                  "sign in, or change the initial password (no key: the password is checked)",
                  "登录或修改初始密码"),
      Row("AccountService", {"Logout"}, "end the calling session", "退出登录", "-", kOne, A, A, A,
          A, A, A),
      Row("AccountService", {"RotateApiKey"}, "rotate a machine key", "轮换机器密钥", "name", kOne,
          A, N, N, N, N, N),
  };
}

const char* GrantText(Grant g) {
  switch (g) {
    case Grant::kNone:
      return "—";
    case Grant::kAll:
      return "all";
    case Grant::kOwn:
      return "own";
    case Grant::kOwnFiled:
      return "own, filed";
  }
  return "?";
}

// Replaces a "-" district segment with the principal's district, if any.
bool WildcardWithin(absl::string_view parent, absl::string_view scope) {
  std::vector<absl::string_view> p = absl::StrSplit(parent, '/');
  std::vector<absl::string_view> s = absl::StrSplit(scope, '/');
  if (p.size() < 2 || s.size() < 2 || p[1] != "-") return false;
  p[1] = s[1];
  return IsWithin(absl::StrJoin(p, "/"), scope) || IsWithin(scope, absl::StrJoin(p, "/"));
}

// Denied says, in Chinese, who may not do what: the role and scope, what the
// row says the method does, then the method and the resource (cut to 200
// bytes) for machines and the audit log.
absl::Status Denied(const Principal& p, const AccessRule& rule, absl::string_view method,
                    absl::string_view resource) {
  return absl::PermissionDeniedError(absl::StrCat(
      "无权操作：", RoleNameZh(p.role), "账号", p.scope.empty() ? "" : "（范围 ", p.scope,
      p.scope.empty() ? "" : "）", "不能", rule.what_zh, "（", method, resource.empty() ? "" : "：",
      resource.substr(0, 200), "）。见访问权限表（README「Roles」）"));
}

}  // namespace

const char* RoleNameZh(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "管理员";
    case Role::kCity:
      return "市级";
    case Role::kBureau:
      return "区级";
    case Role::kVerifier:
      return "核查人员";
    case Role::kEnterprise:
      return "企业";
    case Role::kService:
      return "服务";
  }
  return "?";
}

Grant AccessRule::For(Role role) const {
  switch (role) {
    case Role::kAdmin:
      return admin;
    case Role::kCity:
      return city;
    case Role::kBureau:
      return bureau;
    case Role::kVerifier:
      return verifier;
    case Role::kEnterprise:
      return enterprise;
    case Role::kService:
      return service;
  }
  return Grant::kNone;
}

const std::vector<AccessRule>& AccessRules() {
  static const auto* rules = new std::vector<AccessRule>(MakeRules());
  return *rules;
}

const AccessRule* RuleFor(absl::string_view method) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string, const AccessRule*>();
    for (const AccessRule& r : AccessRules()) {
      for (const std::string& name : r.methods) m->emplace(name, &r);
    }
    return m;
  }();
  auto it = index->find(std::string(method));
  return it == index->end() ? nullptr : it->second;
}

std::string AccessTableMarkdown() {
  std::string out =
      "| service | methods | what | checked on | admin | city | bureau | verifier | enterprise "
      "| service |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const AccessRule& r : AccessRules()) {
    std::string methods =
        r.methods.size() > 4
            ? absl::StrCat(r.methods.front(), " … ", r.methods.back(), " (", r.methods.size(), ")")
            : absl::StrJoin(r.methods, ", ");
    absl::StrAppend(&out, "| ", r.rpc_service, " | ", methods, " | ", r.what, " | `", r.resource,
                    "`", r.narrows ? " (a List: narrowed to the scope)" : "");
    for (Role role : kRoles) {
      absl::StrAppend(&out, " | ", r.password_only ? "password" : GrantText(r.For(role)));
    }
    out += " |\n";
  }
  return out;
}

absl::StatusOr<Access> Authorize(const Principal& p, absl::string_view method,
                                 absl::string_view resource) {
  const AccessRule* rule = RuleFor(method);
  if (rule == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("访问权限表中没有 ", method, " 的规则：在补上之前一律拒绝"));
  }
  Access access;
  access.grant = rule->For(p.role);
  switch (access.grant) {
    case Grant::kNone:
      return Denied(p, *rule, method, resource);
    case Grant::kAll:
      return access;
    case Grant::kOwn:
      if (p.scope.empty()) return Denied(p, *rule, method, resource);
      if (IsWithin(resource, p.scope)) return access;
      if (rule->narrows && (IsWithin(p.scope, resource) || WildcardWithin(resource, p.scope))) {
        access.narrow_to = p.scope;
        return access;
      }
      return Denied(p, *rule, method, resource);
    case Grant::kOwnFiled: {
      // The resource is a list (or an entry) of the key's own district; the
      // handler reads only the filed entries about the key's enterprise.
      const std::string district = DistrictOfName(p.scope);
      if (district.empty() || DistrictOfName(resource) != district) {
        return Denied(p, *rule, method, resource);
      }
      access.narrow_to = p.scope;
      return access;
    }
  }
  return Denied(p, *rule, method, resource);
}

std::string RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kCity:
      return "city";
    case Role::kBureau:
      return "bureau";
    case Role::kEnterprise:
      return "enterprise";
    case Role::kVerifier:
      return "verifier";
    case Role::kService:
      return "service";
  }
  return "unknown";
}

std::optional<Role> ParseRole(absl::string_view name) {
  for (Role r : kRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

absl::Status ValidateScope(Role role, absl::string_view scope) {
  std::vector<absl::string_view> parts = absl::StrSplit(scope, '/');
  bool is_district =
      parts.size() == 2 && parts[0] == "districts" && !parts[1].empty() && parts[1] != "-";
  bool is_enterprise = parts.size() == 4 && parts[0] == "districts" && !parts[1].empty() &&
                       parts[1] != "-" && parts[2] == "enterprises" && !parts[3].empty();
  switch (role) {
    case Role::kBureau:
    case Role::kVerifier:
      if (!is_district) {
        return absl::InvalidArgumentError(absl::StrCat(
            RoleNameZh(role), "（", absl::AsciiStrToUpper(RoleName(role)),
            "）的范围须为区（districts/{district}），实为 \"", scope.substr(0, 200), "\""));
      }
      return absl::OkStatus();
    case Role::kEnterprise:
      if (!is_enterprise) {
        return absl::InvalidArgumentError(
            absl::StrCat("企业（ENTERPRISE）的范围须为企业"
                         "（districts/{district}/enterprises/{enterprise}），实为 \"",
                         scope.substr(0, 200), "\""));
      }
      return absl::OkStatus();
    default:
      if (!scope.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(RoleNameZh(role), "（", absl::AsciiStrToUpper(RoleName(role)),
                         "）没有范围，须留空，实为 \"", scope.substr(0, 200), "\""));
      }
      return absl::OkStatus();
  }
}

bool IsWithin(absl::string_view resource, absl::string_view prefix) {
  return resource == prefix || (absl::StartsWith(resource, prefix) &&
                                resource.size() > prefix.size() && resource[prefix.size()] == '/');
}

std::string DistrictOfName(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() < 2 || parts[0] != "districts" || parts[1].empty() || parts[1] == "-") return "";
  return absl::StrCat("districts/", parts[1]);
}

}  // namespace cuofeng
