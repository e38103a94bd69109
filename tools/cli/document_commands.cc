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
    absl::StrAppend(&names, names.empty() ? "" : " 或 ", ".",
                    a == v1::XLSX  ? "xlsx"
                    : a == v1::CSV ? "csv"
                                   : "pdf");
  }
  return absl::InvalidArgumentError(absl::StrCat("--out=", path, "：此文件只能写成 ", names));
}

// Save writes the document, after checking its bytes against its SHA-256.
int Save(const v1::Document& d, const std::string& path) {
  if (Sha256Hex(d.content()) != d.sha256()) {
    return Fail(absl::DataLossError(absl::StrCat("收到的文件与其 SHA-256 ", d.sha256(), " 不符")));
  }
  std::ofstream out(path, std::ios::binary);
  out << d.content();
  out.close();
  if (!out) return Fail(absl::InternalError(absl::StrCat("无法写入 ", path)));
  std::cout << "已写入 " << path << "（" << d.content().size() << " 字节"
            << (d.format() == v1::PDF ? absl::StrCat("，", d.pages(), " 页") : "") << "，sha256 "
            << d.sha256() << "）\n";
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
       "区县部门、市级部门、核查人员",
       "备案并打印的清单：.xlsx（清单、减排核算、减排明细、每家企业一张一厂一策）、.csv "
       "或 .pdf",
       {"LIST"},
       {"out!"},
       "cuofeng documents list districts/120119/lists/1 --out=清单.xlsx",
       DocumentsList},
      {"documents plan",
       "",
       "区县部门、市级部门、核查人员、企业（本企业）",
       "一家企业的一厂一策，一页可打印（.xlsx 或 .pdf）",
       {"LIST", "ENTERPRISE"},
       {"out!"},
       "cuofeng documents plan districts/120119/lists/1 districts/120119/enterprises/e10001 "
       "--out=一厂一策.pdf",
       DocumentsPlan},
      {"documents notice",
       "",
       "区县部门、市级部门、企业（本企业）",
       "依据现行已备案清单的企业告知书（.pdf）",
       {"ENTERPRISE"},
       {"out!", "at"},
       "cuofeng documents notice districts/120119/enterprises/e10001 --at=\"2018-12-02 10:00\" "
       "--out=告知书.pdf",
       DocumentsNotice},
      {"documents case-file",
       "",
       "核查人员、区县部门、市级部门",
       "核查发现的执法案卷（.pdf，含证据图；或 .xlsx）",
       {"FINDING"},
       {"out!"},
       "cuofeng documents case-file districts/120119/enterprises/e10001/findings/3 "
       "--out=案卷.pdf",
       DocumentsCaseFile},
      {"documents registry",
       "",
       "区县部门、市级部门、核查人员",
       "登记数据导出为一个工作簿（每类一张表，中文表头和下拉选项）；"
       "可用 `cuofeng import registry FILE.xlsx` 再导入",
       {},
       {"district!", "out!"},
       "cuofeng documents registry --district=districts/120119 --out=登记数据.xlsx",
       [] { return WriteRegistryWorkbook(Opts().district, Opts().out); }},
      {"documents overview",
       "",
       "市级部门、管理员、区县部门（本区）",
       "全市各区县备案情况（已备案、待确认、逾期或未报；版本；按类别的条目数；减排目标是否达标），"
       "附 --at 当日预警所涉区县的日报：生效的管控要求、核查能查到的内容、按类型的核查发现"
       "（.xlsx 或 .pdf）",
       {},
       {"season!", "out!", "at"},
       "cuofeng documents overview --season=2018-2019 --at=\"2018-12-02 10:00\" "
       "--out=备案情况.xlsx",
       DocumentsOverview},
  };
}

}  // namespace cuofeng
