// The registry workbook on the CLI side: `cuofeng import registry FILE.xlsx`
// reads one sheet per kind into the same rows the CSV template folder gives
// (the sheet's name stands where a file name would, so errors read
// 企业:3:4); `cuofeng export registry FILE.xlsx` has the server render it.
#ifndef CUOFENG_TOOLS_CLI_REGISTRY_WORKBOOK_H_
#define CUOFENG_TOOLS_CLI_REGISTRY_WORKBOOK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cuofeng/v1/registry.pb.h"

namespace cuofeng {

// IsRegistryWorkbook says whether `path` names a workbook (.xlsx).
bool IsRegistryWorkbook(const std::string& path);

// ReadRegistryWorkbook reads the workbook at `path`: every sheet must be
// named by a kind (its Chinese name, e.g. 企业, or its file stem, e.g.
// enterprises); INVALID_ARGUMENT naming every sheet that is not, before
// anything is sent. The first non-empty row of a sheet is its header.
absl::StatusOr<std::vector<v1::CsvFile>> ReadRegistryWorkbook(const std::string& path);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_CLI_REGISTRY_WORKBOOK_H_
