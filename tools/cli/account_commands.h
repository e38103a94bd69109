// The CLI's account commands (AccountService and key lifetimes): people's
// accounts (account create|list|unlock) and machine keys' rotation
// (admin rotate-key). Expiry at creation is `admin create-key --expires`.
#ifndef CUOFENG_TOOLS_CLI_ACCOUNT_COMMANDS_H_
#define CUOFENG_TOOLS_CLI_ACCOUNT_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/cli/commands.h"

namespace cuofeng {

// AccountCommands are the table rows of these commands (section and key
// check are set by the caller).
std::vector<CommandSpec> AccountCommands();

// ParseLifetime reads a duration as a clerk writes it: 90d, 36h, 30m, or
// any absl duration ("1h30m"); INVALID_ARGUMENT naming `flag` otherwise.
absl::StatusOr<absl::Duration> ParseLifetime(const std::string& flag, const std::string& text);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_CLI_ACCOUNT_COMMANDS_H_
