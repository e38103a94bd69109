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

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_WEB_REGISTRY_UPLOAD_H_
