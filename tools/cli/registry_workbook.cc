#include "tools/cli/registry_workbook.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/status/errors.h"
#include "lib/xlsx/registry_sheets.h"
#include "lib/xlsx/xlsx_reader.h"

namespace cuofeng {
namespace {

constexpr int kRowsPerChunk = 2000;

}  // namespace

bool IsRegistryWorkbook(const std::string& path) { return absl::EndsWithIgnoreCase(path, ".xlsx"); }

absl::StatusOr<std::vector<v1::CsvFile>> ReadRegistryWorkbook(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    return absl::NotFoundError(absl::StrCat(path, " 不是文件"));
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto sheets = ReadXlsx(bytes.str());
  if (!sheets.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", sheets.status().message()));
  }
  std::vector<std::string> known;
  for (const auto& [stem, name] : RegistrySheets()) known.push_back(absl::StrCat(name, "/", stem));
  std::vector<FieldViolation> violations;
  std::vector<v1::CsvFile> out;
  std::set<std::string> seen;
  for (const XlsxSheet& sheet : *sheets) {
    if (sheet.name == kRegistryChoicesSheet) continue;  // the drop-down lists
    const std::string stem = RegistryStemOfSheet(sheet.name);
    if (stem.empty()) {
      violations.push_back(
          {sheet.name, absl::StrCat("工作表 \"", sheet.name, "\" 不是登记表；工作表应名为 ",
                                    absl::StrJoin(known, "、"))});
      continue;
    }
    if (!seen.insert(stem).second) {
      violations.push_back({sheet.name, absl::StrCat(stem, " 有第二张工作表")});
      continue;
    }
    if (sheet.rows.empty()) continue;
    v1::CsvFile file;
    file.set_file_name(sheet.name);
    file.set_kind(stem);
    for (const std::string& h : sheet.rows.front().cells) file.add_header(h);
    // Later chunks carry no header: pad every row to the sheet's header.
    const int columns = file.header_size();
    for (size_t i = 1; i < sheet.rows.size(); ++i) {
      if (file.rows_size() == kRowsPerChunk) {
        out.push_back(std::move(file));
        file = v1::CsvFile();
        file.set_file_name(sheet.name);
        file.set_kind(stem);
      }
      auto* row = file.add_rows();
      row->set_line(sheet.rows[i].line);
      for (const std::string& c : sheet.rows[i].cells) row->add_cells(c);
      // A sheet row ends at its last non-empty cell (XLSX keeps no empty
      // cells): the empty ones after it are the header's remaining columns,
      // not a short row.
      while (row->cells_size() < columns) row->add_cells("");
    }
    out.push_back(std::move(file));
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
  return out;
}

}  // namespace cuofeng
