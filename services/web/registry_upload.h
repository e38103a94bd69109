// The registry workbook uploaded to cuofeng-web: the bureau's page sends the
// XLSX file itself, the gateway reads it into the template files the CLI
// sends (one sheet per kind, the sheet's name where a file name would be, so
// errors read 企业:3:4) and streams them to RegistryService.ImportRegistry
// with the signed-in person's own session.
#ifndef CUOFENG_SERVICES_WEB_REGISTRY_UPLOAD_H_
#define CUOFENG_SERVICES_WEB_REGISTRY_UPLOAD_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cuofeng/v1/registry.pb.h"

namespace cuofeng {

// WorkbookFiles reads the workbook in `bytes`: every sheet but the hidden
// choices sheet must be named by a kind (企业 or enterprises, ...);
// INVALID_ARGUMENT naming each sheet that is not, or "file" when the bytes
// are not a workbook. `headers` receives each sheet's header cells, so a
// page can name the column of a cell the server refuses.
absl::StatusOr<std::vector<v1::CsvFile>> WorkbookFiles(
    const std::string& bytes, std::map<std::string, std::vector<std::string>>* headers);

// UploadedCsv is one file of the CSV template folder as the browser sent it.
struct UploadedCsv {
  std::string file_name;  // enterprises.csv, 企业.csv, ...
  std::string bytes;      // UTF-8 (with or without BOM) or GB18030
};

// CsvFolderFiles reads the template's CSV files (the folder `cuofeng import
// registry DIR` reads), named by kind (enterprises.csv or 企业.csv):
// INVALID_ARGUMENT naming each file that is not a kind, is not UTF-8 nor
// GB18030, or is not CSV, and each row over kMaxCsvLineBytes.
absl::StatusOr<std::vector<v1::CsvFile>> CsvFolderFiles(
    const std::vector<UploadedCsv>& uploaded,
    std::map<std::string, std::vector<std::string>>* headers);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_WEB_REGISTRY_UPLOAD_H_
