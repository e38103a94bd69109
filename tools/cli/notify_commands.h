// The CLI's notification commands (NotificationService): the notifications
// with their delivery and read state, the read acknowledgement, and the
// contact settings.
#ifndef CUOFENG_TOOLS_CLI_NOTIFY_COMMANDS_H_
#define CUOFENG_TOOLS_CLI_NOTIFY_COMMANDS_H_

#include <vector>

#include "tools/cli/commands.h"

namespace cuofeng {

// NotifyCommands are the table rows of these commands (section and key
// check are set by the caller).
std::vector<CommandSpec> NotifyCommands();

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_CLI_NOTIFY_COMMANDS_H_
