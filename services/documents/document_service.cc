#include "services/documents/document_service.h"

#include <map>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/documents/case_documents.h"
#include "lib/documents/registry_workbook.h"
#include "lib/hash/sha256.h"
#include "lib/model/clock.h"
#include "lib/model/labels.h"
#include "lib/rpc/forward.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "lib/status/status_macros.h"
#include "lib/xlsx/registry_sheets.h"
#include "services/registry/csv_template.h"
#include "services/registry/resources.h"

namespace cuofeng {
namespace {

// Documents of a whole district read a few thousand rows; a minute is ample.
constexpr absl::Duration kGatherCap = absl::Minutes(2);

std::unique_ptr<grpc::ClientContext> Forward(const grpc::ServerContext& ctx) {
  auto call = std::make_unique<grpc::ClientContext>();
  ForwardCaller(ctx, call.get(), kGatherCap);
  return call;
}

// Segments of a resource name: "districts/1/lists/2" -> {districts,1,lists,2}.
std::vector<std::string> Segments(const std::string& name) { return absl::StrSplit(name, '/'); }

std::string DistrictOfName(const std::string& name) {
  const std::vector<std::string> p = Segments(name);
  return p.size() >= 2 && p[0] == "districts" ? absl::StrCat("districts/", p[1]) : "";
}

// NameProblem says what is wrong with a resource name ("" when nothing).
std::string NameProblem(const std::string& value, const std::string& shape, size_t segments,
                        const char* collection) {
  const std::vector<std::string> p = Segments(value);
  if (p.size() != segments || p[0] != "districts" || p[segments - 2] != collection ||
      p[1].empty() || p[segments - 1].empty()) {
    return value.empty() ? absl::StrCat("必填：", shape)
                         : absl::StrCat("\"", value, "\" 不是 ", shape);
  }
  return "";
}

absl::Status CheckName(const char* field, const std::string& value, const std::string& shape,
                       size_t segments, const char* collection) {
  const std::string problem = NameProblem(value, shape, segments, collection);
  if (problem.empty()) return absl::OkStatus();
  return InvalidArgumentWithViolations({{field, problem}});
}

std::string ChinaNow() {
  google::protobuf::Timestamp ts = ToTimestamp(Now());
  return ChinaTimeText(ts);
}

// Denied is true for a PERMISSION_DENIED answer: an enterprise key may read
// its own plant and entries but not the district's list header, season or
// name, and its 一厂一策 and 告知书 then go without them.
bool Denied(const absl::Status& s) { return s.code() == absl::StatusCode::kPermissionDenied; }

std::string ShortName(const std::string& name) { return name.substr(name.rfind('/') + 1); }

grpc::Status Finish(absl::StatusOr<std::string> bytes, v1::DocumentFormat format,
                    const std::string& file_stem, int pages, v1::Document* resp) {
  if (!bytes.ok()) return ToGrpcStatus(bytes.status());
  resp->set_format(format);
  switch (format) {
    case v1::XLSX:
      resp->set_media_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
      resp->set_file_name(file_stem + ".xlsx");
      break;
    case v1::CSV:
      resp->set_media_type("text/csv; charset=utf-8");
      resp->set_file_name(file_stem + ".csv");
      break;
    default:
      resp->set_media_type("application/pdf");
      resp->set_file_name(file_stem + ".pdf");
      break;
  }
  resp->set_sha256(Sha256Hex(*bytes));
  resp->set_pages(pages);
  resp->set_content(std::move(*bytes));
  return grpc::Status::OK;
}

}  // namespace

grpc::Status FinishDocument(absl::StatusOr<std::string> bytes, v1::DocumentFormat format,
                            const std::string& file_stem, int pages, v1::Document* resp) {
  return Finish(std::move(bytes), format, file_stem, pages, resp);
}

DocumentServiceImpl::DocumentServiceImpl(CallGuard* guard, std::shared_ptr<grpc::Channel> services)
    : guard_(guard),
      registry_(v1::RegistryService::NewStub(services)),
      planning_(v1::PlanningService::NewStub(services)),
      filing_(v1::FilingService::NewStub(services)),
      obligations_(v1::ObligationService::NewStub(services)),
      compliance_(v1::ComplianceService::NewStub(services)),
      alerts_(v1::AlertService::NewStub(services)) {}

absl::Status DocumentServiceImpl::LoadDistrict(const grpc::ServerContext& ctx,
                                               const std::string& district,
                                               DocumentContext* context) {
  v1::GetDistrictRequest req;
  req.set_name(district);
  v1::District d;
  auto call = Forward(ctx);
  RETURN_IF_ERROR(FromGrpcStatus(registry_->GetDistrict(call.get(), req, &d)));
  context->city = d.city();
  context->district_name = d.display_name();
  context->rendered_at = ChinaNow();
  return absl::OkStatus();
}

absl::Status DocumentServiceImpl::LoadList(const grpc::ServerContext& ctx, const std::string& list,
                                           const std::string& enterprise, bool figures,
                                           ListDocument* doc) {
  {
    v1::GetListVersionRequest req;
    req.set_name(list);
    auto call = Forward(ctx);
    absl::Status s = FromGrpcStatus(planning_->GetListVersion(call.get(), req, &doc->list));
    if (!s.ok() && (figures || !Denied(s))) return s;
    if (!s.ok()) doc->list.set_name(list);
  }
  std::string token;
  do {
    v1::ListEntriesRequest req;
    req.set_parent(list);
    req.set_page_size(1000);
    req.set_page_token(token);
    req.set_enterprise(enterprise);
    v1::ListEntriesResponse resp;
    auto call = Forward(ctx);
    RETURN_IF_ERROR(FromGrpcStatus(planning_->ListEntries(call.get(), req, &resp)));
    for (auto& e : *resp.mutable_entries()) doc->entries.push_back(std::move(e));
    token = resp.next_page_token();
  } while (!token.empty());
  const std::string district = DistrictOfName(list);
  if (!doc->list.season().empty()) {
    v1::GetSeasonRequest req;
    req.set_name(doc->list.season());
    auto call = Forward(ctx);
    absl::Status s = FromGrpcStatus(planning_->GetSeason(call.get(), req, &doc->context.season));
    if (!s.ok() && (figures || !Denied(s))) return s;
  }
  if (absl::Status s = LoadDistrict(ctx, district, &doc->context); !s.ok()) {
    if (figures || !Denied(s)) return s;
    doc->context.rendered_at = ChinaNow();
  }
  if (doc->list.state() != v1::DRAFT && doc->list.state() != v1::LIST_STATE_UNSPECIFIED) {
    // The filing of this list (an enterprise key may not list filings: its
    // documents then show the list's state without the dates).
    v1::ListFilingsRequest req;
    req.set_parent(district);
    req.set_page_size(1000);
    v1::ListFilingsResponse resp;
    auto call = Forward(ctx);
    const grpc::Status st = filing_->ListFilings(call.get(), req, &resp);
    if (!st.ok() && st.error_code() != grpc::StatusCode::PERMISSION_DENIED) {
      return FromGrpcStatus(st);
    }
    for (const auto& f : resp.filings()) {
      if (f.list() == list) doc->filing = f;
    }
  }
  if (figures) {
    // The same snapshot (and digest) list generation reads.
    v1::ReadDistrictSnapshotRequest req;
    req.set_district(district);
    auto call = Forward(ctx);
    auto reader = registry_->ReadDistrictSnapshot(call.get(), req);
    v1::DistrictSnapshotChunk chunk;
    std::string digest_input;
    std::map<std::string, std::string> township_names;
    std::vector<v1::Enterprise> enterprises;
    while (reader->Read(&chunk)) {
      absl::StrAppend(&digest_input, Sha256Hex(chunk.SerializeAsString()));
      for (const auto& t : chunk.townships()) township_names[t.name()] = t.display_name();
      for (auto& e : *chunk.mutable_enterprises()) enterprises.push_back(std::move(e));
      for (auto& q : *chunk.mutable_equipment()) {
        std::string name = q.name();
        doc->context.equipment[name] = std::move(q);
      }
    }
    RETURN_IF_ERROR(FromGrpcStatus(reader->Finish()));
    for (const v1::Enterprise& e : enterprises) {
      auto t = township_names.find(e.township());
      if (t != township_names.end()) doc->context.township[e.name()] = t->second;
    }
    doc->context.registry_matches_list =
        Sha256Hex(digest_input) == doc->list.registry_snapshot_sha256();
  } else {
    // One plant: its township by name.
    std::set<std::string> plants;
    for (const auto& e : doc->entries) plants.insert(e.enterprise());
    for (const std::string& plant : plants) {
      v1::GetEnterpriseRequest req;
      req.set_name(plant);
      v1::Enterprise e;
      auto call = Forward(ctx);
      RETURN_IF_ERROR(FromGrpcStatus(registry_->GetEnterprise(call.get(), req, &e)));
      if (e.township().empty()) continue;
      v1::GetTownshipRequest treq;
      treq.set_name(e.township());
      v1::Township t;
      auto tcall = Forward(ctx);
      if (registry_->GetTownship(tcall.get(), treq, &t).ok()) {
        doc->context.township[plant] = t.display_name();
      }
    }
  }
  return absl::OkStatus();
}

grpc::Status DocumentServiceImpl::RenderList(grpc::ServerContext* ctx,
                                             const v1::RenderListRequest* req, v1::Document* resp) {
  if (absl::Status s = CheckName("list", req->list(), "districts/{d}/lists/{list}", 4, "lists");
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto principal = guard_->Check(ctx, "RenderList", req->list());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  ListDocument doc;
  if (absl::Status s = LoadList(*ctx, req->list(), "", true, &doc); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const std::string stem =
      absl::StrCat(doc.context.district_name, "-错峰生产清单-", ShortName(req->list()));
  switch (req->format()) {
    case v1::XLSX:
    case v1::DOCUMENT_FORMAT_UNSPECIFIED:
      return Finish(ListXlsx(doc), v1::XLSX, stem, 3 + 0, resp);
    case v1::CSV:
      return Finish(ListCsv(doc), v1::CSV, stem, 0, resp);
    case v1::PDF: {
      int pages = 0;
      auto pdf = ListPdf(doc, &pages);
      return Finish(std::move(pdf), v1::PDF, stem, pages, resp);
    }
    default:
      return ToGrpcStatus(InvalidArgumentWithViolations({{"format", "须为 XLSX、CSV 或 PDF"}}));
  }
}

grpc::Status DocumentServiceImpl::RenderPlantPlan(grpc::ServerContext* ctx,
                                                  const v1::RenderPlantPlanRequest* req,
                                                  v1::Document* resp) {
  std::vector<FieldViolation> v;
  if (std::string s = NameProblem(req->list(), "districts/{d}/lists/{list}", 4, "lists");
      !s.empty()) {
    v.push_back({"list", s});
  }
  if (std::string s =
          NameProblem(req->enterprise(), "districts/{d}/enterprises/{e}", 4, "enterprises");
      !s.empty()) {
    v.push_back({"enterprise", s});
  } else if (DistrictOfName(req->enterprise()) != DistrictOfName(req->list())) {
    v.push_back(
        {"enterprise", absl::StrCat(req->enterprise(), " 不在 ", req->list(), " 所属区县")});
  }
  if (req->format() == v1::CSV) v.push_back({"format", "一厂一策只能是 XLSX 或 PDF"});
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  auto principal = guard_->Check(ctx, "RenderPlantPlan", req->enterprise());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  ListDocument doc;
  if (absl::Status s = LoadList(*ctx, req->list(), req->enterprise(), false, &doc); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (doc.entries.empty()) {
    return ToGrpcStatus(
        absl::NotFoundError(absl::StrCat(req->list(), " 中没有 ", req->enterprise(), " 的条目")));
  }
  const std::string stem =
      absl::StrCat(doc.entries.front().enterprise_name(), "-一厂一策-", ShortName(req->list()));
  if (req->format() == v1::PDF) {
    int pages = 0;
    auto pdf = PlantPlanPdf(doc, req->enterprise(), &pages);
    return Finish(std::move(pdf), v1::PDF, stem, pages, resp);
  }
  return Finish(PlantPlanXlsx(doc, req->enterprise()), v1::XLSX, stem, 1, resp);
}

grpc::Status DocumentServiceImpl::RenderObligationNotice(
    grpc::ServerContext* ctx, const v1::RenderObligationNoticeRequest* req, v1::Document* resp) {
  std::vector<FieldViolation> v;
  if (std::string s =
          NameProblem(req->enterprise(), "districts/{d}/enterprises/{e}", 4, "enterprises");
      !s.empty()) {
    v.push_back({"enterprise", s});
  }
  if (req->format() != v1::PDF && req->format() != v1::DOCUMENT_FORMAT_UNSPECIFIED) {
    v.push_back({"format", "告知书只能是 PDF"});
  }
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  auto principal = guard_->Check(ctx, "RenderObligationNotice", req->enterprise());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  NoticeDocument doc;
  {
    v1::GetObligationsRequest oreq;
    oreq.set_enterprise(req->enterprise());
    *oreq.mutable_at() = req->has_at() ? req->at() : ToTimestamp(Now());
    auto call = Forward(*ctx);
    grpc::Status st = obligations_->GetObligations(call.get(), oreq, &doc.obligations);
    if (!st.ok()) return st;
    doc.at_text = ChinaTimeText(oreq.at());
  }
  if (doc.obligations.list().empty()) {
    return ToGrpcStatus(absl::FailedPreconditionError(
        absl::StrCat(doc.at_text, "（北京时间）没有约束 ", req->enterprise(),
                     " 的已备案清单：告知书依据生效的清单出具")));
  }
  {
    v1::GetEnterpriseRequest ereq;
    ereq.set_name(req->enterprise());
    auto call = Forward(*ctx);
    grpc::Status st = registry_->GetEnterprise(call.get(), ereq, &doc.enterprise);
    if (!st.ok()) return st;
  }
  if (absl::Status s = LoadList(*ctx, doc.obligations.list(), req->enterprise(), false, &doc.list);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  int pages = 0;
  auto pdf = NoticePdf(doc, &pages);
  return Finish(std::move(pdf), v1::PDF, absl::StrCat(doc.enterprise.display_name(), "-告知书"),
                pages, resp);
}

grpc::Status DocumentServiceImpl::RenderCaseFile(grpc::ServerContext* ctx,
                                                 const v1::RenderCaseFileRequest* req,
                                                 v1::Document* resp) {
  if (absl::Status s = CheckName("finding", req->finding(),
                                 "districts/{d}/enterprises/{e}/findings/{n}", 6, "findings");
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (req->format() == v1::CSV) {
    return ToGrpcStatus(InvalidArgumentWithViolations({{"format", "案卷只能是 XLSX 或 PDF"}}));
  }
  auto principal = guard_->Check(ctx, "RenderCaseFile", req->finding());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  CaseFileDocument doc;
  {
    v1::GetEvidenceRequest ereq;
    ereq.set_name(req->finding());
    auto call = Forward(*ctx);
    grpc::Status st = compliance_->GetEvidence(call.get(), ereq, &doc.evidence);
    if (!st.ok()) return st;
  }
  if (absl::Status s = LoadDistrict(*ctx, DistrictOfName(req->finding()), &doc.context); !s.ok()) {
    return ToGrpcStatus(s);
  }
  doc.rendered_at = doc.context.rendered_at;
  const std::vector<std::string> p = Segments(req->finding());
  const std::string stem =
      absl::StrCat(doc.evidence.finding().enterprise_name(), "-案卷-", p[3], "-", p[5]);
  if (req->format() == v1::XLSX) return Finish(CaseFileXlsx(doc), v1::XLSX, stem, 2, resp);
  int pages = 0;
  auto pdf = CaseFilePdf(doc, &pages);
  return Finish(std::move(pdf), v1::PDF, stem, pages, resp);
}

grpc::Status DocumentServiceImpl::RenderRegistryWorkbook(
    grpc::ServerContext* ctx, const v1::RenderRegistryWorkbookRequest* req, v1::Document* resp) {
  const std::vector<std::string> p = Segments(req->district());
  if (p.size() != 2 || p[0] != "districts" || p[1].empty()) {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"district", absl::StrCat("\"", req->district(), "\" 不是 districts/{d}")}}));
  }
  auto principal = guard_->Check(ctx, "RenderRegistryWorkbook", req->district());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  // The export in Chinese (headers and choices), as the clerk's template has it.
  std::map<std::string, std::vector<v1::CsvFile>> files;
  {
    v1::ExportRegistryRequest ereq;
    ereq.set_district(req->district());
    ereq.set_chinese(true);
    auto call = Forward(*ctx);
    auto reader = registry_->ExportRegistry(call.get(), ereq);
    v1::ExportRegistryResponse chunk;
    while (reader->Read(&chunk)) files[chunk.file().kind()].push_back(chunk.file());
    grpc::Status st = reader->Finish();
    if (!st.ok()) return st;
  }
  std::vector<WorkbookSheet> sheets;
  for (const auto& [stem, sheet_name] : RegistrySheets()) {
    const ResourceKind* kind = KindByFile(stem);
    if (kind == nullptr) continue;
    WorkbookSheet sheet;
    sheet.name = sheet_name;
    const std::vector<TemplateColumn>& columns = TemplateColumns(*kind);
    for (const TemplateColumn& c : columns) {
      WorkbookColumn col;
      col.header = c.header_zh.empty() ? c.header : c.header_zh;
      if (c.field != nullptr && c.role == TemplateColumn::Role::kField) {
        if (c.field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_ENUM) {
          for (int v = 0; v < c.field->enum_type()->value_count(); ++v) {
            const auto* value = c.field->enum_type()->value(v);
            if (value->number() != 0) col.choices.push_back(ChineseLabel(value->name()));
          }
        } else if (c.field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_BOOL) {
          col.choices = {"是", "否"};
        }
      }
      sheet.columns.push_back(std::move(col));
    }
    // Columns by their Chinese header in the export (a later chunk of a
    // large file has no header: the template's order).
    std::vector<int> at;
    for (size_t i = 0; i < columns.size(); ++i) at.push_back(static_cast<int>(i));
    for (const v1::CsvFile& f : files[stem]) {
      if (!f.header().empty()) {
        at.clear();
        for (const std::string& h : f.header()) {
          int found = -1;
          for (size_t i = 0; i < columns.size(); ++i) {
            if ((columns[i].header_zh.empty() ? columns[i].header : columns[i].header_zh) == h) {
              found = static_cast<int>(i);
            }
          }
          at.push_back(found);
        }
      }
      for (const auto& row : f.rows()) {
        std::vector<std::string> cells(columns.size());
        for (int i = 0; i < row.cells_size() && i < static_cast<int>(at.size()); ++i) {
          if (at[i] >= 0) cells[at[i]] = row.cells(i);
        }
        sheet.rows.push_back(std::move(cells));
      }
    }
    sheets.push_back(std::move(sheet));
  }
  DocumentContext context;
  if (absl::Status s = LoadDistrict(*ctx, req->district(), &context); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return Finish(RegistryWorkbookXlsx(sheets), v1::XLSX,
                absl::StrCat(context.district_name, "-登记数据"), static_cast<int>(sheets.size()),
                resp);
}

}  // namespace cuofeng
