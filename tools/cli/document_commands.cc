// The CLI's document commands: each asks DocumentService for a document and
// writes its bytes as they are, checking the SHA-256 the server sent.
#include "tools/cli/document_commands.h"

#include <fstream>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cuofeng/v1/documents.grpc.pb.h"
#include "lib/hash/sha256.h"
#include "lib/model/clock.h"
#include "lib/model/time_syntax.h"
#include "lib/rpc/status.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/options.h"

namespace cuofeng {
namespace {

v1::DocumentService::Stub& Stub() {
  static auto* stub =
      v1::DocumentService::NewStub(Connect(ServerAddress(), TlsRootCertificates())).release();
  return *stub;
}

const std::string& Arg(size_t i) { return Opts().args.at(i); }

// FormatOf is the format the file's extension names, among `allowed`.
absl::StatusOr<v1::DocumentFormat> FormatOf(const std::string& path,
                                            std::vector<v1::DocumentFormat> allowed) {
  v1::DocumentFormat f = v1::DOCUMENT_FORMAT_UNSPECIFIED;
  if (absl::EndsWithIgnoreCase(path, ".xlsx")) f = v1::XLSX;
  if (absl::EndsWithIgnoreCase(path, ".csv")) f = v1::CSV;
  if (absl::EndsWithIgnoreCase(path, ".pdf")) f = v1::PDF;
  std::string names;
  for (v1::DocumentFormat a : allowed) {
    if (a == f) return f;
    absl::StrAppend(&names, names.empty() ? "" : " or ", ".",
                    a == v1::XLSX  ? "xlsx"
                    : a == v1::CSV ? "csv"
                                   : "pdf");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--out=", path, ": this document is written as ", names));
}

// Save writes the document, after checking its bytes against its SHA-256.
int Save(const v1::Document& d, const std::string& path) {
  if (Sha256Hex(d.content()) != d.sha256()) {
    return Fail(absl::DataLossError(
        absl::StrCat("the document received does not match its SHA-256 ", d.sha256())));
  }
  std::ofstream out(path, std::ios::binary);
  out << d.content();
  out.close();
  if (!out) return Fail(absl::InternalError(absl::StrCat("cannot write ", path)));
  std::cout << "wrote " << path << " (" << d.content().size() << " bytes"
            << (d.format() == v1::PDF ? absl::StrCat(", ", d.pages(), " pages") : "") << ", sha256 "
            << d.sha256() << ")\n";
  return 0;
}

// SetAt sets `at` from --at, when given.
absl::Status SetAt(google::protobuf::Timestamp* at) {
  if (Opts().at.empty()) return absl::OkStatus();
  auto t = ParseTimeText(Opts().at);
  if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat("--at: ", t.status().message()));
  *at = ToTimestamp(*t);
  return absl::OkStatus();
}

grpc::ClientContext* Call(grpc::ClientContext* ctx) {
  AddKey(ctx, ApiKey());
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  return ctx;
}

int RenderList(const std::string& list, const std::string& path,
               std::vector<v1::DocumentFormat> allowed) {
  auto format = FormatOf(path, std::move(allowed));
  if (!format.ok()) return Fail(format.status());
  v1::RenderListRequest req;
  req.set_list(list);
  req.set_format(*format);
  v1::Document d;
  grpc::ClientContext ctx;
  grpc::Status st = Stub().RenderList(Call(&ctx), req, &d);
  if (!st.ok()) return Fail(FromGrpcStatus(st));
  return Save(d, path);
}

int DocumentsList() { return RenderList(Arg(2), Opts().out, {v1::XLSX, v1::CSV, v1::PDF}); }

int DocumentsPlan() {
  auto format = FormatOf(Opts().out, {v1::XLSX, v1::PDF});
  if (!format.ok()) return Fail(format.status());
  v1::RenderPlantPlanRequest req;
  req.set_list(Arg(2));
  req.set_enterprise(Arg(3));
  req.set_format(*format);
  v1::Document d;
  grpc::ClientContext ctx;
  grpc::Status st = Stub().RenderPlantPlan(Call(&ctx), req, &d);
  if (!st.ok()) return Fail(FromGrpcStatus(st));
  return Save(d, Opts().out);
}

int DocumentsNotice() {
  auto format = FormatOf(Opts().out, {v1::PDF});
  if (!format.ok()) return Fail(format.status());
  v1::RenderObligationNoticeRequest req;
  req.set_enterprise(Arg(2));
  req.set_format(v1::PDF);
  if (absl::Status at = SetAt(req.mutable_at()); !at.ok()) return Fail(at);
  v1::Document d;
  grpc::ClientContext ctx;
  grpc::Status st = Stub().RenderObligationNotice(Call(&ctx), req, &d);
  if (!st.ok()) return Fail(FromGrpcStatus(st));
  return Save(d, Opts().out);
}

int DocumentsCaseFile() {
  auto format = FormatOf(Opts().out, {v1::PDF, v1::XLSX});
  if (!format.ok()) return Fail(format.status());
  v1::RenderCaseFileRequest req;
  req.set_finding(Arg(2));
  req.set_format(*format);
  v1::Document d;
  grpc::ClientContext ctx;
  grpc::Status st = Stub().RenderCaseFile(Call(&ctx), req, &d);
  if (!st.ok()) return Fail(FromGrpcStatus(st));
  return Save(d, Opts().out);
}

int DocumentsOverview() {
  auto format = FormatOf(Opts().out, {v1::XLSX, v1::PDF});
  if (!format.ok()) return Fail(format.status());
  v1::RenderCityOverviewRequest req;
  req.set_season(Opts().season);
  req.set_format(*format);
  if (absl::Status at = SetAt(req.mutable_at()); !at.ok()) return Fail(at);
  v1::Document d;
  grpc::ClientContext ctx;
  grpc::Status st = Stub().RenderCityOverview(Call(&ctx), req, &d);
  if (!st.ok()) return Fail(FromGrpcStatus(st));
  return Save(d, Opts().out);
}

}  // namespace

int WriteListDocuments(const std::string& list, const std::string& xlsx, const std::string& csv) {
  if (!xlsx.empty()) {
    if (int rc = RenderList(list, xlsx, {v1::XLSX}); rc != 0) return rc;
  }
  if (!csv.empty()) {
    if (int rc = RenderList(list, csv, {v1::CSV}); rc != 0) return rc;
  }
  return 0;
}

int WriteRegistryWorkbook(const std::string& district, const std::string& path) {
  if (auto format = FormatOf(path, {v1::XLSX}); !format.ok()) return Fail(format.status());
  v1::RenderRegistryWorkbookRequest req;
  req.set_district(district);
  v1::Document d;
  grpc::ClientContext ctx;
  grpc::Status st = Stub().RenderRegistryWorkbook(Call(&ctx), req, &d);
  if (!st.ok()) return Fail(FromGrpcStatus(st));
  return Save(d, path);
}

std::vector<CommandSpec> DocumentCommands() {
  return {
      {"documents list",
       "",
       "bureau, city, verifier",
       "the list as filed and printed: .xlsx (list, 减排核算, 减排明细, 一厂一策 per plant), .csv "
       "or .pdf",
       {"LIST"},
       {"out!"},
       "cuofeng documents list districts/120119/lists/1 --out=清单.xlsx",
       DocumentsList},
      {"documents plan",
       "",
       "bureau, city, verifier, enterprise (its own)",
       "one plant's 一厂一策 on one printable page (.xlsx or .pdf)",
       {"LIST", "ENTERPRISE"},
       {"out!"},
       "cuofeng documents plan districts/120119/lists/1 districts/120119/enterprises/e10001 "
       "--out=一厂一策.pdf",
       DocumentsPlan},
      {"documents notice",
       "",
       "bureau, city, enterprise (itself)",
       "the enterprise's obligation notice (告知书, .pdf) under the filed list in force",
       {"ENTERPRISE"},
       {"out!", "at"},
       "cuofeng documents notice districts/120119/enterprises/e10001 --at=\"2018-12-02 10:00\" "
       "--out=告知书.pdf",
       DocumentsNotice},
      {"documents case-file",
       "",
       "verifier, bureau, city",
       "a finding's case file for enforcement (.pdf with the evidence chart, or .xlsx)",
       {"FINDING"},
       {"out!"},
       "cuofeng documents case-file districts/120119/enterprises/e10001/findings/3 "
       "--out=案卷.pdf",
       DocumentsCaseFile},
      {"documents registry",
       "",
       "bureau, city, verifier",
       "the registry as one workbook (a sheet per kind, Chinese headers and drop-down choices); "
       "`cuofeng import registry FILE.xlsx` reads it back",
       {},
       {"district!", "out!"},
       "cuofeng documents registry --district=districts/120119 --out=登记数据.xlsx",
       [] { return WriteRegistryWorkbook(Opts().district, Opts().out); }},
      {"documents overview",
       "",
       "city, admin, bureau (its own district)",
       "the city's overview of every district (filed, waiting, late or missing; version; entries "
       "by kind; targets met or short) with the daily summary (日报) of the day of --at for the "
       "districts an alert binds: obligations in force, what verification could check, findings "
       "by type (.xlsx or .pdf)",
       {},
       {"season!", "out!", "at"},
       "cuofeng documents overview --season=2018-2019 --at=\"2018-12-02 10:00\" "
       "--out=备案情况.xlsx",
       DocumentsOverview},
  };
}

}  // namespace cuofeng
