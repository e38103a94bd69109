// Who may do what: roles, scopes and the authorisation policy. Pure logic;
// the gRPC edge authenticates the key and asks this policy.
#ifndef CUOFENG_LIB_AUTH_POLICY_H_
#define CUOFENG_LIB_AUTH_POLICY_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cuofeng {

enum class Role { kAdmin, kCity, kBureau, kEnterprise, kVerifier, kService };

// Principal is the authenticated caller: the key's name (apiKeys/{id}), its
// role, and its scope: "districts/{d}" for bureau and verifier keys,
// "districts/{d}/enterprises/{e}" for enterprise keys, "" for the rest.
struct Principal {
  std::string key_name;
  Role role = Role::kEnterprise;
  std::string scope;
};

// Action is what a call does to a resource.
enum class Action {
  kRead,          // Get, List, Export
  kWrite,         // Create, Update, Delete, Import in the registry
  kAdminister,    // API keys, districts
  kReadAudit,     // the audit log
  kPublishRules,  // load a rule set (admin, city, bureau)
  kAcknowledge,   // acknowledge a filing or approve an amendment (admin, city)
  kIssueAlerts,   // issue, change, lift heavy-pollution alerts (admin, city)
  kIngest,        // send monitoring data: service (any), bureau, enterprise (own)
  kVerify,        // run verification: verifier and bureau (own district)
  kReview,        // confirm or dismiss a finding: verifier (own district)
  kExplain,       // attach an explanation (异常申报) to a finding: enterprise (own)
  // People's accounts: admin (any), bureau (within its district).
  kManageAccounts,
  kSetContacts,  // where notifications go: bureau (own district), enterprise (own)
  kMarkRead,     // acknowledge a notification as read (已读): enterprise (own)
};

// RoleName is the lowercase role name used in messages and the database.
std::string RoleName(Role role);
std::optional<Role> ParseRole(absl::string_view name);

// ValidateScope checks that `scope` has the shape `role` needs.
absl::Status ValidateScope(Role role, absl::string_view scope);

// IsWithin says whether `resource` is `prefix` or lies below it.
bool IsWithin(absl::string_view resource, absl::string_view prefix);

// Authorize says whether `principal` may do `action` on `resource` (a
// resource name, or a collection parent). PERMISSION_DENIED names the role,
// scope and resource otherwise.
absl::Status Authorize(const Principal& principal, Action action, absl::string_view resource);

// ListScope decides what a List under `parent` may return to `principal`:
// all of it (returns ""), only what lies below a narrower prefix (returns
// that prefix, e.g. an enterprise key listing its district's enterprises
// sees only its own), or PERMISSION_DENIED. `parent` may use "-" for any
// district ("districts/-").
absl::Status ListScope(const Principal& principal, absl::string_view parent, std::string* prefix);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_AUTH_POLICY_H_
