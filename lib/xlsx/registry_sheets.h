// The registry workbook's sheets: one per template kind, named in Chinese
// (企业, 设备, ...). A sheet may also be named by the template's file stem
// (enterprises, equipment, ...), as the CSV files are.
#ifndef CUOFENG_LIB_XLSX_REGISTRY_SHEETS_H_
#define CUOFENG_LIB_XLSX_REGISTRY_SHEETS_H_

#include <string>
#include <utility>
#include <vector>

namespace cuofeng {

// kRegistryChoicesSheet is the workbook's hidden sheet of drop-down lists;
// readers skip it.
inline constexpr char kRegistryChoicesSheet[] = "下拉选项";

// RegistrySheets lists (file stem, Chinese sheet name) in import order.
const std::vector<std::pair<std::string, std::string>>& RegistrySheets();

// RegistrySheetName is the Chinese sheet name of a file stem ("" if none).
std::string RegistrySheetName(const std::string& stem);

// RegistryStemOfSheet is the file stem a sheet name stands for: its Chinese
// name or the stem itself, in any case, with or without ".csv"; "" if none.
std::string RegistryStemOfSheet(const std::string& sheet);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_XLSX_REGISTRY_SHEETS_H_
