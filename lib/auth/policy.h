// Who may do what: roles, scopes and the access table. Pure logic; the gRPC
// edge authenticates the key and asks this policy.
//
// The access table (AccessRules) is the one place that says, for every RPC,
// how far each role's right reaches. Every handler asks Authorize with its
// own method name; the README's roles table is generated from the same rows
// (AccessTableMarkdown) and a test checks the two agree.
#ifndef CUOFENG_LIB_AUTH_POLICY_H_
#define CUOFENG_LIB_AUTH_POLICY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cuofeng {

enum class Role { kAdmin, kCity, kBureau, kEnterprise, kVerifier, kService };

// kRoles is every role, in the order of the access table's columns.
inline constexpr Role kRoles[] = {Role::kAdmin,    Role::kCity,       Role::kBureau,
                                  Role::kVerifier, Role::kEnterprise, Role::kService};

// Principal is the authenticated caller: the key's name (apiKeys/{id}), its
// role, and its scope: "districts/{d}" for bureau and verifier keys,
// "districts/{d}/enterprises/{e}" for enterprise keys, "" for the rest.
struct Principal {
  std::string key_name;
  Role role = Role::kEnterprise;
  std::string scope;
};

// Grant is how far one role's right to one method reaches.
enum class Grant {
  kNone,      // refused whatever the resource
  kAll,       // any resource
  kOwn,       // the resource lies within the key's scope (its district or
              // enterprise); a List above the scope returns only the scope
  kOwnFiled,  // an enterprise: only the entries about itself in its
              // district's filed (or superseded) lists
};

// AccessRule is one row of the access table: the methods it covers (bare
// RPC names, unique across the services), the request field whose resource
// is checked, and one grant per role.
struct AccessRule {
  std::string rpc_service;           // e.g. "RegistryService"
  std::vector<std::string> methods;  // e.g. {"CreateTownship", ...}
  std::string what;                  // the row's label in the README
  std::string what_zh;               // the same, as a refusal tells the user (不能…)
  std::string resource;              // the request field checked, e.g. "parent"
  bool narrows = false;              // a List: a parent above the scope is narrowed to it
  // Called without a key (sign-in): the method checks a username and password
  // itself; the grants are not consulted and the README shows "password".
  bool password_only = false;
  Grant admin = Grant::kNone, city = Grant::kNone, bureau = Grant::kNone, verifier = Grant::kNone,
        enterprise = Grant::kNone, service = Grant::kNone;

  Grant For(Role role) const;
};

// AccessRules is the access table.
const std::vector<AccessRule>& AccessRules();

// RuleFor is the row that covers `method` (bare name), or null.
const AccessRule* RuleFor(absl::string_view method);

// AccessTableMarkdown renders the table as the README shows it.
std::string AccessTableMarkdown();

// Access is what an allowed call may see.
struct Access {
  Grant grant = Grant::kNone;
  // Non-empty: the call may return only what lies within this prefix (the
  // key's scope), e.g. an enterprise listing its district's enterprises.
  std::string narrow_to;
};

// Authorize says whether `principal` may call `method` on `resource` (a
// resource name, or a collection parent; a List may use "districts/-").
// PERMISSION_DENIED names the role, scope, method and resource otherwise, and
// a method missing from the table is refused.
absl::StatusOr<Access> Authorize(const Principal& principal, absl::string_view method,
                                 absl::string_view resource);

// RoleName is the lowercase role name used in messages and the database.
std::string RoleName(Role role);

// RoleNameZh is the role as users read it (管理员, 区级, 企业 …), the same
// labels lib/model gives the Role enum.
const char* RoleNameZh(Role role);
std::optional<Role> ParseRole(absl::string_view name);

// ValidateScope checks that `scope` has the shape `role` needs.
absl::Status ValidateScope(Role role, absl::string_view scope);

// IsWithin says whether `resource` is `prefix` or lies below it.
bool IsWithin(absl::string_view resource, absl::string_view prefix);

// DistrictOfName is "districts/{d}" for any name below districts/{d}, else "".
std::string DistrictOfName(absl::string_view name);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_AUTH_POLICY_H_
