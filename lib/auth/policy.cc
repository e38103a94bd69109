#include "lib/auth/policy.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace cuofeng {

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
  for (Role r : {Role::kAdmin, Role::kCity, Role::kBureau, Role::kEnterprise, Role::kVerifier,
                 Role::kService}) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

absl::Status ValidateScope(Role role, absl::string_view scope) {
  std::vector<absl::string_view> parts = absl::StrSplit(scope, '/');
  bool is_district = parts.size() == 2 && parts[0] == "districts" && !parts[1].empty();
  bool is_enterprise = parts.size() == 4 && parts[0] == "districts" && !parts[1].empty() &&
                       parts[2] == "enterprises" && !parts[3].empty();
  switch (role) {
    case Role::kBureau:
    case Role::kVerifier:
      if (!is_district) {
        return absl::InvalidArgumentError(absl::StrCat(
            "a ", RoleName(role), " key needs a district scope (districts/{district}), got \"",
            scope, "\""));
      }
      return absl::OkStatus();
    case Role::kEnterprise:
      if (!is_enterprise) {
        return absl::InvalidArgumentError(
            absl::StrCat("an enterprise key needs an enterprise scope "
                         "(districts/{district}/enterprises/{enterprise}), got \"",
                         scope, "\""));
      }
      return absl::OkStatus();
    default:
      if (!scope.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("a ", RoleName(role), " key has no scope, got \"", scope, "\""));
      }
      return absl::OkStatus();
  }
}

bool IsWithin(absl::string_view resource, absl::string_view prefix) {
  return resource == prefix || (absl::StartsWith(resource, prefix) &&
                                resource.size() > prefix.size() && resource[prefix.size()] == '/');
}

namespace {

absl::Status Denied(const Principal& p, Action action, absl::string_view resource) {
  static constexpr const char* kVerbs[] = {"read",
                                           "change",
                                           "administer",
                                           "read the audit of",
                                           "publish",
                                           "acknowledge",
                                           "issue alerts for",
                                           "send monitoring data for",
                                           "run verification of",
                                           "review findings of",
                                           "explain findings of",
                                           "manage accounts of",
                                           "set the contacts of",
                                           "mark notifications read of"};
  static_assert(sizeof(kVerbs) / sizeof(kVerbs[0]) == static_cast<int>(Action::kMarkRead) + 1,
                "one verb per Action");
  const std::string role = RoleName(p.role);
  const bool vowel = role[0] == 'a' || role[0] == 'e';
  return absl::PermissionDeniedError(absl::StrCat(
      vowel ? "an " : "a ", role, " key", p.scope.empty() ? "" : " for ", p.scope, " may not ",
      kVerbs[static_cast<int>(action)], " ", resource.empty() ? "this" : resource));
}

// Replaces a "-" district segment with the principal's district, if any.
bool WildcardWithin(absl::string_view parent, absl::string_view scope) {
  std::vector<absl::string_view> p = absl::StrSplit(parent, '/');
  std::vector<absl::string_view> s = absl::StrSplit(scope, '/');
  if (p.size() < 2 || s.size() < 2 || p[1] != "-") return false;
  p[1] = s[1];
  return IsWithin(absl::StrJoin(p, "/"), scope) || IsWithin(scope, absl::StrJoin(p, "/"));
}

}  // namespace

absl::Status Authorize(const Principal& p, Action action, absl::string_view resource) {
  if (action == Action::kAcknowledge || action == Action::kIssueAlerts) {
    // Filings are acknowledged by the city bureaus (T78).
    return p.role == Role::kAdmin || p.role == Role::kCity ? absl::OkStatus()
                                                           : Denied(p, action, resource);
  }
  if (action == Action::kManageAccounts) {
    // People's accounts: the administrator's, and the bureau's within its district.
    return p.role == Role::kAdmin || (p.role == Role::kBureau && IsWithin(resource, p.scope))
               ? absl::OkStatus()
               : Denied(p, action, resource);
  }
  if (action == Action::kPublishRules) {
    // Rule sets are shared documents; revisions never change, lists pin one.
    return p.role == Role::kAdmin || p.role == Role::kCity || p.role == Role::kBureau
               ? absl::OkStatus()
               : Denied(p, action, resource);
  }
  if (action == Action::kIngest || action == Action::kVerify || action == Action::kReview ||
      action == Action::kExplain || action == Action::kSetContacts || action == Action::kMarkRead) {
    const bool in_scope = IsWithin(resource, p.scope);
    bool allowed = p.role == Role::kAdmin;
    switch (action) {
      case Action::kIngest:  // the data platform, the bureau, the enterprise itself
        allowed = allowed || p.role == Role::kService ||
                  ((p.role == Role::kBureau || p.role == Role::kEnterprise) && in_scope);
        break;
      case Action::kVerify:
        allowed = allowed || ((p.role == Role::kVerifier || p.role == Role::kBureau) && in_scope);
        break;
      case Action::kReview:  // findings are confirmed or dismissed by verifiers (核查人员)
        allowed = allowed || (p.role == Role::kVerifier && in_scope);
        break;
      case Action::kSetContacts:  // notification contacts: the bureau or the enterprise
        allowed = allowed || ((p.role == Role::kBureau || p.role == Role::kEnterprise) && in_scope);
        break;
      default:  // kExplain (异常申报), kMarkRead (已读): by the enterprise concerned
        allowed = allowed || (p.role == Role::kEnterprise && in_scope);
        break;
    }
    return allowed ? absl::OkStatus() : Denied(p, action, resource);
  }
  switch (p.role) {
    case Role::kAdmin:
      return absl::OkStatus();
    case Role::kCity:
    case Role::kService:
      if (action == Action::kRead) return absl::OkStatus();
      if (action == Action::kReadAudit && p.role == Role::kCity) return absl::OkStatus();
      return Denied(p, action, resource);
    case Role::kBureau:
      if ((action == Action::kRead || action == Action::kWrite) && IsWithin(resource, p.scope)) {
        return absl::OkStatus();
      }
      return Denied(p, action, resource);
    case Role::kVerifier:
    case Role::kEnterprise:
      if (action == Action::kRead && IsWithin(resource, p.scope)) return absl::OkStatus();
      return Denied(p, action, resource);
  }
  return Denied(p, action, resource);
}

absl::Status ListScope(const Principal& p, absl::string_view parent, std::string* prefix) {
  prefix->clear();
  if (p.role == Role::kAdmin || p.role == Role::kCity || p.role == Role::kService) {
    return absl::OkStatus();
  }
  if (IsWithin(parent, p.scope)) return absl::OkStatus();
  if (IsWithin(p.scope, parent) || WildcardWithin(parent, p.scope)) {
    *prefix = p.scope;
    return absl::OkStatus();
  }
  return Denied(p, Action::kRead, parent);
}

}  // namespace cuofeng
