// Client side of the CLI: connecting with a key, and the registry template
// folder (reading the bureau's CSV files, writing an export), shared by the
// cuofeng CLI, the benchmark and the tests.
#ifndef CUOFENG_TOOLS_CLI_CLIENT_LIB_H_
#define CUOFENG_TOOLS_CLI_CLIENT_LIB_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cuofeng/v1/registry.grpc.pb.h"

namespace cuofeng {

// Connect opens an insecure channel to `server` (host:port).
std::shared_ptr<grpc::Channel> Connect(const std::string& server);

// Connect with `tls_ca_pem` non-empty opens a TLS channel that trusts that
// PEM root certificate (grpc::SslCredentials); empty: insecure, as above.
std::shared_ptr<grpc::Channel> Connect(const std::string& server, const std::string& tls_ca_pem);

// The CLI's exit codes (`cuofeng help` and the README list them).
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,          // anything else: INTERNAL, UNKNOWN, a local file that cannot be written
  kExitUsage = 2,          // bad usage or input: a flag missing or wrong, INVALID_ARGUMENT
  kExitIntegrity = 3,      // the filing chain no longer matches (filing verify), DATA_LOSS
  kExitRowsRejected = 4,   // ingest went through but some rows were rejected
  kExitNotFound = 5,       // NOT_FOUND
  kExitRefused = 6,        // UNAUTHENTICATED, PERMISSION_DENIED: no key, or not allowed
  kExitUnavailable = 7,    // UNAVAILABLE, DEADLINE_EXCEEDED: the server cannot be reached
  kExitConflict = 8,       // FAILED_PRECONDITION, ABORTED: the state forbids it (no-op, stale etag)
  kExitAlreadyExists = 9,  // ALREADY_EXISTS
  kExitExhausted = 10,     // RESOURCE_EXHAUSTED
};

// ExitCodeFor maps a status code to the CLI's exit code.
int ExitCodeFor(absl::StatusCode code);

// SetKeyMissing(true) tells Fail that no key was given, so that an
// UNAUTHENTICATED answer is explained as the missing key it is.
void SetKeyMissing(bool missing);

// Fail prints `status` for a person (field violations one per line) and
// returns its exit code (ExitCodeFor).
int Fail(const absl::Status& status);

// AddKey puts "authorization: Bearer <key>" on a call.
void AddKey(grpc::ClientContext* ctx, const std::string& key);

// ReadTemplateDir reads every template file found in `dir` (townships.csv,
// enterprises.csv, ...), decoding UTF-8 with or without BOM and GB18030.
// CSV syntax errors fail with "file:row:column: reason" violations, before
// anything is sent.
absl::StatusOr<std::vector<v1::CsvFile>> ReadTemplateDir(const std::string& dir);

// ImportTemplateDir streams `files` to ImportRegistry; `progress` is called
// with rows sent and rows total.
absl::StatusOr<v1::ImportRegistryResponse> ImportFiles(
    v1::RegistryService::Stub& stub, const std::string& key, const std::string& district,
    const std::vector<v1::CsvFile>& files, bool validate_only, const std::string& request_id,
    const std::function<void(int64_t, int64_t)>& progress);

// CountCsvDataRecords counts the records after the header that ParseCsv
// would return for a file's `bytes` (UTF-8, with or without BOM, or
// GB18030), without decoding or making them.
int64_t CountCsvDataRecords(absl::string_view bytes);

// ImportTemplateDir is ReadTemplateDir and ImportFiles together, but
// overlapped: each file is sent as soon as it is parsed (the server checks
// and writes it while the next ones are parsed and sent). The same problems
// are reported, and a file found wrong means nothing is written.
absl::StatusOr<v1::ImportRegistryResponse> ImportTemplateDir(
    v1::RegistryService::Stub& stub, const std::string& key, const std::string& district,
    const std::string& dir, bool validate_only, const std::string& request_id,
    const std::function<void(int64_t, int64_t)>& progress);

// ExportToDir writes the district's registry into `dir` as CSV, one file
// per kind: UTF-8 with a BOM, Chinese headers and choices (铸造, 是/否), as
// the clerk's template; with `codes`, UTF-8 without BOM, English headers and
// enum codes (for scripts). ReadTemplateDir reads either back. Returns the
// number of rows written.
absl::StatusOr<int64_t> ExportToDir(v1::RegistryService::Stub& stub, const std::string& key,
                                    const std::string& district, const std::string& dir,
                                    bool codes = false);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_CLI_CLIENT_LIB_H_
