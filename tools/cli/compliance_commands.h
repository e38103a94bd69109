// The CLI's compliance commands (ComplianceService): ingest, verify,
// findings, baselines, evidence.
#ifndef CUOFENG_TOOLS_CLI_COMPLIANCE_COMMANDS_H_
#define CUOFENG_TOOLS_CLI_COMPLIANCE_COMMANDS_H_

#include <vector>

#include "tools/cli/commands.h"

namespace cuofeng {

// ComplianceCommands are the table rows of these commands (section and key
// check are set by the caller).
std::vector<CommandSpec> ComplianceCommands();

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_CLI_COMPLIANCE_COMMANDS_H_
