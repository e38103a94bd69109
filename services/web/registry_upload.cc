#include "services/web/registry_upload.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/csv/csv.h"
#include "lib/status/errors.h"
#include "lib/text/text.h"
#include "lib/xlsx/registry_sheets.h"
#include "lib/xlsx/xlsx_reader.h"

namespace cuofeng {
namespace {

constexpr int kRowsPerChunk = 2000;

}  // namespace

absl::StatusOr<std::vector<v1::CsvFile>> WorkbookFiles(
    const std::string& bytes, std::map<std::string, std::vector<std::string>>* headers) {
  auto sheets = ReadXlsx(bytes);
  if (!sheets.ok()) {
    return InvalidArgumentWithViolations(
        {{"file",
          absl::StrCat("上传的文件不是可读取的 XLSX 工作簿: ", sheets.status().message())}});
  }
  std::vector<std::string> known;
  for (const auto& [stem, name] : RegistrySheets()) known.push_back(name);
  std::vector<FieldViolation> violations;
  std::vector<v1::CsvFile> out;
  std::set<std::string> seen;
  for (const XlsxSheet& sheet : *sheets) {
    if (sheet.name == kRegistryChoicesSheet) continue;  // the drop-down lists
    const std::string stem = RegistryStemOfSheet(sheet.name);
    if (stem.empty()) {
      violations.push_back(
          {sheet.name, absl::StrCat("工作表“", sheet.name, "”不是名录模板的工作表；工作表应为 ",
                                    absl::StrJoin(known, "、"))});
      continue;
    }
    if (!seen.insert(stem).second) {
      violations.push_back({sheet.name, absl::StrCat("重复的工作表（", stem, "）")});
      continue;
    }
    if (sheet.rows.empty()) continue;
    v1::CsvFile file;
    file.set_file_name(sheet.name);
    file.set_kind(stem);
    const std::vector<std::string>& headers_of = sheet.rows.front().cells;
    for (const std::string& h : headers_of) file.add_header(h);
    if (headers != nullptr) (*headers)[sheet.name] = sheet.rows.front().cells;
    for (size_t i = 1; i < sheet.rows.size(); ++i) {
      if (file.rows_size() == kRowsPerChunk) {
        out.push_back(std::move(file));
        file = v1::CsvFile();  // later chunks carry no header
        file.set_file_name(sheet.name);
        file.set_kind(stem);
      }
      auto* row = file.add_rows();
      row->set_line(sheet.rows[i].line);
      for (const std::string& c : sheet.rows[i].cells) row->add_cells(c);
      // A sheet row ends at its last non-empty cell (XLSX keeps no empty
      // cells): the ones after it are the header's remaining columns.
      while (row->cells_size() < static_cast<int>(headers_of.size())) row->add_cells("");
    }
    out.push_back(std::move(file));
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
  if (out.empty()) {
    return InvalidArgumentWithViolations(
        {{"file", "工作簿中没有名录数据（企业、设备等工作表均为空）"}});
  }
  return out;
}

absl::StatusOr<std::vector<v1::CsvFile>> CsvFolderFiles(
    const std::vector<UploadedCsv>& uploaded,
    std::map<std::string, std::vector<std::string>>* headers) {
  std::vector<FieldViolation> violations;
  std::vector<v1::CsvFile> out;
  std::set<std::string> seen;
  for (const UploadedCsv& f : uploaded) {
    const std::string stem = RegistryStemOfSheet(f.file_name);
    if (stem.empty()) {
      violations.push_back(
          {f.file_name, absl::StrCat("文件“", f.file_name,
                                     "”不是名录模板的文件（应为 enterprises.csv、企业.csv 等）")});
      continue;
    }
    if (!seen.insert(stem).second) {
      violations.push_back({f.file_name, absl::StrCat("重复的文件（", stem, "）")});
      continue;
    }
    auto text = DecodeToUtf8(f.bytes);
    if (!text.ok()) {
      violations.push_back({f.file_name, std::string(text.status().message())});
      continue;
    }
    auto rows = ParseCsv(*text);
    if (!rows.ok()) {
      violations.push_back({f.file_name, std::string(rows.status().message())});
      continue;
    }
    if (rows->empty()) continue;
    if (headers != nullptr) (*headers)[f.file_name] = (*rows)[0].cells;
    v1::CsvFile file;
    file.set_file_name(f.file_name);
    file.set_kind(stem);
    for (const std::string& h : (*rows)[0].cells) file.add_header(h);
    for (size_t i = 1; i < rows->size(); ++i) {
      size_t row_bytes = 0;
      for (const std::string& c : (*rows)[i].cells) row_bytes += c.size() + 1;
      if (row_bytes > kMaxCsvLineBytes) {
        violations.push_back(
            {absl::StrCat(f.file_name, ":", (*rows)[i].line),
             absl::StrCat("该行有 ", row_bytes, " 字节；至多 ", kMaxCsvLineBytes)});
        continue;
      }
      if (file.rows_size() == kRowsPerChunk) {
        out.push_back(std::move(file));
        file = v1::CsvFile();  // later chunks carry no header
        file.set_file_name(f.file_name);
        file.set_kind(stem);
      }
      auto* row = file.add_rows();
      row->set_line((*rows)[i].line);
      for (const std::string& c : (*rows)[i].cells) row->add_cells(c);
    }
    out.push_back(std::move(file));
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
  if (out.empty()) {
    return InvalidArgumentWithViolations({{"file", "没有名录数据（上传的 CSV 文件均为空）"}});
  }
  return out;
}

}  // namespace cuofeng
