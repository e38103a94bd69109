#include "lib/auth/policy.h"

#include <unordered_map>

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
                                          {"MonitoringPoint", "MonitoringPoints"}};
  std::vector<std::string> out;
  for (const auto& verb : verbs) {
    for (const auto& kind : kKinds) out.push_back(absl::StrCat(verb, kind[verb == "List" ? 1 : 0]));
  }
  return out;
}

AccessRule Row(std::string service, std::vector<std::string> methods, std::string what,
               std::string resource, bool narrows, Grant admin, Grant city, Grant bureau,
               Grant verifier, Grant enterprise, Grant service_role) {
  AccessRule r;
  r.rpc_service = std::move(service);
  r.methods = std::move(methods);
  r.what = std::move(what);
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
AccessRule PasswordRow(std::string service, std::vector<std::string> methods, std::string what) {
  AccessRule r = Row(std::move(service), std::move(methods), std::move(what), "username", false,
                     Grant::kAll, Grant::kAll, Grant::kAll, Grant::kAll, Grant::kAll, Grant::kAll);
  r.password_only = true;
  return r;
}

// The access table. Columns: admin, city, bureau, verifier, enterprise, service.
std::vector<AccessRule> MakeRules() {
  const bool kList = true, kOne = false;
  return {
      // AdminService: keys and the audit log.
      Row("AdminService", {"CreateApiKey", "RevokeApiKey"}, "create or revoke an API key",
          "api_key / name", kOne, A, N, N, N, N, N),
      Row("AdminService", {"GetCaller"}, "read who the key is", "-", kOne, A, A, A, A, A, A),
      Row("AdminService", {"ListAuditEntries"}, "read the audit log", "resource_prefix", kOne, A, A,
          N, N, N, N),
      // RegistryService.
      Row("RegistryService", {"CreateDistrict", "UpdateDistrict", "DeleteDistrict"},
          "register, rename or delete a district", "district / name", kOne, A, N, N, N, N, N),
      Row("RegistryService", {"GetDistrict"}, "read a district", "name", kOne, A, A, O, O, N, A),
      Row("RegistryService", {"ListDistricts"}, "list districts", "-", kList, A, A, O, O, N, A),
      Row("RegistryService", RegistryMethods({"Get"}),
          "read a registry resource below a district (townships … monitoring points)", "name", kOne,
          A, A, O, O, O, A),
      Row("RegistryService", RegistryMethods({"List"}), "list registry resources below a district",
          "parent", kList, A, A, O, O, O, A),
      Row("RegistryService", RegistryMethods({"Create", "Update", "Delete"}),
          "create, update or delete a registry resource below a district", "parent / name", kOne, A,
          N, O, N, N, N),
      Row("RegistryService", {"ImportRegistry"}, "import the registry files", "header.district",
          kOne, A, N, O, N, N, N),
      Row("RegistryService", {"ExportRegistry"}, "export the registry files", "district", kOne, A,
          A, O, O, N, A),
      Row("RegistryService", {"ReadDistrictSnapshot"},
          "read a district's snapshot (for list generation)", "district", kOne, A, A, O, O, N, A),
      // PlanningService.
      Row("PlanningService", {"CreateRuleSet"}, "load a rule set", "rule_set_id", kOne, A, A, A, N,
          N, N),
      Row("PlanningService", {"GetRuleSet", "ListRuleSets"}, "read rule sets", "-", kOne, A, A, A,
          A, A, A),
      Row("PlanningService", {"CreateSeason", "UpdateSeason"}, "create or adjust a season",
          "parent / season.name", kOne, A, N, O, N, N, N),
      Row("PlanningService", {"GetSeason"}, "read a season", "name", kOne, A, A, O, O, N, A),
      Row("PlanningService", {"ListSeasons"}, "list a district's seasons", "parent", kOne, A, A, O,
          O, N, A),
      Row("PlanningService", {"GenerateList"}, "generate a list (a draft)", "parent", kOne, A, N, O,
          N, N, N),
      Row("PlanningService", {"GetListVersion", "ListListVersions", "DiffLists"},
          "read lists (drafts too) with their proof, diff two lists", "name / parent / base, other",
          kOne, A, A, O, O, N, A),
      Row("PlanningService", {"ListEntries", "ExplainEntry"}, "read a list's entries, explain one",
          "parent / name", kOne, A, A, O, O, F, A),
      // FilingService.
      Row("FilingService", {"SubmitList", "AmendFiling"}, "submit a list, file an amendment",
          "name / amendment", kOne, A, N, O, N, N, N),
      Row("FilingService", {"AcknowledgeFiling"}, "acknowledge a filing or approve an amendment",
          "name", kOne, A, A, N, N, N, N),
      Row("FilingService", {"ListFilings"}, "list the filings", "parent", kList, A, A, O, O, N, A),
      Row("FilingService", {"VerifyChain"}, "verify a district's chain", "district", kOne, A, A, O,
          O, N, A),
      // AlertService.
      Row("AlertService", {"IssueAlert"},
          "issue an alert (a bureau: its own district, if its filed rule set allows)",
          "alert.districts", kOne, A, A, O, N, N, N),
      Row("AlertService", {"ChangeAlert", "LiftAlert"}, "change or lift an alert", "name", kOne, A,
          A, N, N, N, N),
      Row("AlertService", {"GetAlert", "ListAlerts"}, "read alerts", "-", kOne, A, A, A, A, A, A),
      Row("AlertService", {"PreviewAlert"},
          "preview what issuing, changing or lifting an alert would change (nothing is sent)",
          "issue.alert.districts / change.name / lift.name", kOne, A, A, O, N, N, N),
      // ObligationService.
      Row("ObligationService", {"GetObligations", "WatchObligations"},
          "read what binds an enterprise, or watch it", "enterprise", kOne, A, A, O, O, O, A),
      Row("ObligationService", {"ListObligationWindows"},
          "read every restricting window of a district", "district", kOne, A, A, O, O, N, A),
      // ComplianceService.
      Row("ComplianceService", {"IngestReadings", "IngestGateEvents", "IngestLedgerRows"},
          "send monitoring data, row by row", "each row's meter / camera / enterprise", kOne, A, N,
          O, N, O, A),
      Row("ComplianceService", {"RecordMeterEvent"}, "record a register reset or meter replacement",
          "event.meter", kOne, A, N, O, N, N, A),
      Row("ComplianceService", {"ListMeterEvents"}, "read a meter's events", "meter", kOne, A, A, O,
          O, O, A),
      Row("ComplianceService", {"ListBaselines"}, "read baselines", "parent", kList, A, A, O, O, O,
          A),
      Row("ComplianceService", {"OverrideBaseline"}, "override a baseline", "name", kOne, A, N, O,
          N, N, N),
      Row("ComplianceService", {"RunVerification"}, "run verification", "district", kOne, A, N, O,
          O, N, N),
      Row("ComplianceService", {"ListVerificationRuns"},
          "read verification runs and what they could not verify", "parent", kOne, A, A, O, O, N,
          A),
      Row("ComplianceService", {"GetVerificationRun"},
          "read a verification run, under way or done, with its progress", "name", kOne, A, A, O, O,
          N, A),
      Row("ComplianceService", {"ListFindings", "WatchFindings"}, "list findings, or watch them",
          "parent", kList, A, A, O, O, O, A),
      Row("ComplianceService", {"GetFinding", "GetEvidence"}, "read a finding and its evidence",
          "name", kOne, A, A, O, O, O, A),
      Row("ComplianceService", {"ReviewFinding"}, "confirm or dismiss a finding", "name", kOne, A,
          N, N, O, N, N),
      Row("ComplianceService", {"ExplainFinding"}, "explain a finding (异常申报)", "name", kOne, A,
          N, N, N, O, N),
      // DocumentService: each document is built from calls made with the
      // caller's own key, so their rows apply as well (an enterprise's
      // 一厂一策 comes from its district's filed lists only).
      Row("DocumentService", {"RenderList"}, "render a list (XLSX, CSV, PDF)", "list", kOne, A, A,
          O, O, N, A),
      Row("DocumentService", {"RenderPlantPlan", "RenderObligationNotice"},
          "render an enterprise's 一厂一策 or its obligation notice (告知书)", "enterprise", kOne,
          A, A, O, O, O, A),
      Row("DocumentService", {"RenderCaseFile"}, "render a finding's case file", "finding", kOne, A,
          A, O, O, O, A),
      Row("DocumentService", {"RenderRegistryWorkbook"}, "render the registry workbook", "district",
          kOne, A, A, O, O, N, A),
      Row("DocumentService", {"RenderCityOverview"},
          "render the city's overview and daily summary (a bureau: its own district)",
          "districts/-", kList, A, A, O, N, N, A),
      // NotificationService.
      Row("NotificationService", {"ListNotifications"}, "list notifications", "parent", kList, A, A,
          O, O, O, A),
      Row("NotificationService", {"MarkNotificationRead"}, "mark a notification read (已读)",
          "name", kOne, A, N, N, N, O, N),
      Row("NotificationService", {"GetContactSettings"}, "read where notifications go",
          "name's enterprise", kOne, A, A, O, O, O, A),
      Row("NotificationService", {"UpdateContactSettings"}, "set where notifications go",
          "contact_settings.name's enterprise", kOne, A, N, O, N, O, N),
      // AccountService: people's accounts for the browser.
      Row("AccountService", {"CreateAccount", "ListAccounts", "UnlockAccount"},
          "create, list or unlock people's accounts", "account.scope / scope / the account's scope",
          kOne, A, N, O, N, N, N),
      PasswordRow("AccountService", {"Login", "ChangePassword"},
                  "sign in, or change the initial password (no key: the password is checked)"),
      Row("AccountService", {"Logout"}, "end the calling session", "-", kOne, A, A, A, A, A, A),
      Row("AccountService", {"RotateApiKey"}, "rotate a machine key", "name", kOne, A, N, N, N, N,
          N),
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

// Denied names the role, scope, what the rule's row says the method does,
// the method and the resource (cut to 200 bytes).
absl::Status Denied(const Principal& p, const AccessRule& rule, absl::string_view method,
                    absl::string_view resource) {
  const std::string role = RoleName(p.role);
  const bool vowel = role[0] == 'a' || role[0] == 'e';
  return absl::PermissionDeniedError(
      absl::StrCat(vowel ? "an " : "a ", role, " key", p.scope.empty() ? "" : " for ", p.scope,
                   " may not ", rule.what, " (", method, ")", resource.empty() ? "" : ": ",
                   resource.substr(0, 200), " (see the access table: README, Roles)"));
}

}  // namespace

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
        absl::StrCat("no access rule for ", method, "; refused until the access table has one"));
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
            "a ", RoleName(role), " key needs a district scope (districts/{district}), got \"",
            scope.substr(0, 200), "\""));
      }
      return absl::OkStatus();
    case Role::kEnterprise:
      if (!is_enterprise) {
        return absl::InvalidArgumentError(
            absl::StrCat("an enterprise key needs an enterprise scope "
                         "(districts/{district}/enterprises/{enterprise}), got \"",
                         scope.substr(0, 200), "\""));
      }
      return absl::OkStatus();
    default:
      if (!scope.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "a ", RoleName(role), " key has no scope, got \"", scope.substr(0, 200), "\""));
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
