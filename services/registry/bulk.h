// Bulk import and export of a district's registry in the CSV template.
#ifndef CUOFENG_SERVICES_REGISTRY_BULK_H_
#define CUOFENG_SERVICES_REGISTRY_BULK_H_

#include <functional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cuofeng/v1/registry.pb.h"

namespace cuofeng {

// ImportRegistryFiles checks every row of `files` against the template, the
// validation rules, each other and the registry, and if nothing is wrong
// upserts them all in `tx`. Any error means nothing is written: it returns
// INVALID_ARGUMENT with a violation per bad cell (up to 100), each named
// "file:row:column".
absl::Status ImportRegistryFiles(pqxx::work& tx, const std::string& district,
                                 const std::vector<const v1::CsvFile*>& files,
                                 v1::ImportRegistryResponse* response);

// ImportRegistryStream is ImportRegistryFiles for chunks that arrive while
// it runs: `next` returns each as it arrives, and nullptr at the end. The
// sender promises each file whole (its chunks one after another) and the
// files in RegistryKinds() order, and `announced` names their kinds
// (townships, enterprises, ...): each kind is checked, and handed to the
// writer, as soon as the next file begins. A chunk that breaks the promise
// is refused (INVALID_ARGUMENT, nothing written). The caller makes sure the
// stream was whole before committing.
absl::Status ImportRegistryStream(pqxx::work& tx, const std::string& district,
                                  const std::vector<std::string>& announced,
                                  const std::function<const v1::CsvFile*()>& next,
                                  v1::ImportRegistryResponse* response);

// ExportRegistryFiles writes the district's registry as template files, in
// chunks of at most `chunk_rows` rows (the first chunk of a file carries its
// header).
absl::Status ExportRegistryFiles(pqxx::transaction_base& tx, const std::string& district,
                                 int chunk_rows, const std::function<bool(v1::CsvFile)>& sink);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_REGISTRY_BULK_H_
