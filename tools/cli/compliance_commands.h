// The CLI's compliance commands (ComplianceService).
#ifndef CUOFENG_TOOLS_CLI_COMPLIANCE_COMMANDS_H_
#define CUOFENG_TOOLS_CLI_COMPLIANCE_COMMANDS_H_

#include <string>
#include <vector>

namespace cuofeng {

// ComplianceCommand runs `args` = ingest|verify|findings|baselines|evidence ...
// and returns the exit code.
int ComplianceCommand(const std::vector<std::string>& args, const std::string& server, const std::string& key);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_CLI_COMPLIANCE_COMMANDS_H_
