// The registry as one XLSX workbook, as a bureau fills it in: one sheet per
// template kind (named in Chinese, lib/xlsx/registry_sheets.h), Chinese
// headers, Chinese choices (铸造, 有效, 是/否) with drop-down lists (data
// validation), frozen header, filter, column widths. Every cell is text, so
// ids, codes and numbers come back exactly as exported.
#ifndef CUOFENG_LIB_DOCUMENTS_REGISTRY_WORKBOOK_H_
#define CUOFENG_LIB_DOCUMENTS_REGISTRY_WORKBOOK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/xlsx/registry_sheets.h"

namespace cuofeng {

struct WorkbookColumn {
  std::string header;
  std::vector<std::string> choices;  // non-empty: a drop-down list of these
};

struct WorkbookSheet {
  std::string name;
  std::vector<WorkbookColumn> columns;
  std::vector<std::vector<std::string>> rows;
};

// RegistryWorkbookXlsx writes the sheets (and the hidden choices sheet).
absl::StatusOr<std::string> RegistryWorkbookXlsx(const std::vector<WorkbookSheet>& sheets);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DOCUMENTS_REGISTRY_WORKBOOK_H_
