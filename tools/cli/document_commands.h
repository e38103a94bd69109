// The CLI's document commands (DocumentService): the list, 一厂一策, the
// obligation notice and a finding's case file, rendered by the server and
// written to disk as they are.
#ifndef CUOFENG_TOOLS_CLI_DOCUMENT_COMMANDS_H_
#define CUOFENG_TOOLS_CLI_DOCUMENT_COMMANDS_H_

#include <string>
#include <vector>

#include "tools/cli/commands.h"

namespace cuofeng {

// DocumentCommands are the table rows of these commands (section and key
// check are set by the caller).
std::vector<CommandSpec> DocumentCommands();

// WriteListDocuments renders `list` as XLSX into `xlsx` and as CSV into
// `csv` (either may be empty) through the server; `filing export` uses it.
int WriteListDocuments(const std::string& list, const std::string& xlsx, const std::string& csv);

// WriteRegistryWorkbook has the server render `district`'s registry as one
// workbook and writes it to `path`; `export registry FILE.xlsx` uses it.
int WriteRegistryWorkbook(const std::string& district, const std::string& path);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_CLI_DOCUMENT_COMMANDS_H_
