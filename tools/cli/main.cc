// cuofeng: the command line for bureaus, the city, enterprises and verifiers.
// Run `cuofeng help` for the commands, `cuofeng help COMMAND` for one. The
// command table at the bottom (Commands()) is the single definition from
// which the parser, the help, the bash completion and the README table come.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/auth/policy.h"
#include "lib/db/embedded_files.h"
#include "lib/db/migrations.h"
#include "lib/db/pool.h"
#include "lib/model/clock.h"
#include "lib/model/labels.h"
#include "lib/model/time_syntax.h"
#include "lib/process/malloc_tuning.h"
#include "lib/rpc/status.h"
#include "lib/rules/measures.h"
#include "lib/status/errors.h"
#include "services/core/key_store.h"
#include "tools/cli/account_commands.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/commands.h"
#include "tools/cli/compliance_commands.h"
#include "tools/cli/document_commands.h"
#include "tools/cli/notify_commands.h"
#include "tools/cli/options.h"
#include "tools/cli/output.h"
#include "tools/cli/registry_workbook.h"

namespace cuofeng {
namespace {

const Options& O() { return Opts(); }
const std::string& Arg(size_t i) { return Opts().args.at(i); }

std::shared_ptr<grpc::Channel> Channel() {
  static std::shared_ptr<grpc::Channel> channel = Connect(ServerAddress(), TlsRootCertificates());
  return channel;
}

// A context carrying the caller's key.
std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  AddKey(ctx.get(), ApiKey());
  return ctx;
}

int Fail(const absl::Status& status) { return cuofeng::Fail(status); }
int Fail(const grpc::Status& status) { return cuofeng::Fail(FromGrpcStatus(status)); }
absl::Status AsStatus(const grpc::Status& status) { return FromGrpcStatus(status); }

// A usage error found after parsing (a combination of flags): exit 2.
int Usage(const std::string& message) {
  std::cerr << "cuofeng "
            << absl::StrJoin(O().args.begin(),
                             O().args.begin() + std::min<size_t>(O().args.size(), 2), " ")
            << "：" << message << "\n";
  return kExitUsage;
}

// Server wraps a command that talks to the server: without a key, the
// server's refusal is explained in those words instead of "malformed".
std::function<int()> Server(std::function<int()> run) {
  return [run]() {
    if (absl::Status tls = CheckTlsRootCertificates(); !tls.ok()) return Fail(tls);
    SetKeyMissing(ApiKey().empty());
    return run();
  };
}

absl::StatusOr<google::protobuf::Timestamp> TimeArg(const std::string& text) {
  auto t = ParseTimeText(text);
  if (!t.ok()) return t.status();
  return ToTimestamp(*t);
}

std::string TimeText(const google::protobuf::Timestamp& ts) {
  return ChinaTimeText(FromTimestamp(ts));
}

// The label of an enum value for people: "橙色" (the code where none).
template <typename E>
std::string Label(E value, const google::protobuf::EnumDescriptor* type) {
  const auto* v = type->FindValueByNumber(static_cast<int>(value));
  return v == nullptr || v->number() == 0 ? "" : ChineseLabel(v->name());
}

// PlantName is the display name of the enterprise that `resource` lies
// under ("" when it lies under none or cannot be read), cached per run.
std::string PlantName(const std::string& resource) {
  static std::map<std::string, std::string>* cache = new std::map<std::string, std::string>;
  std::vector<std::string> parts = absl::StrSplit(resource, '/');
  if (parts.size() < 4 || parts[0] != "districts" || parts[2] != "enterprises") return "";
  const std::string enterprise = absl::StrJoin(parts.begin(), parts.begin() + 4, "/");
  auto it = cache->find(enterprise);
  if (it != cache->end()) return it->second;
  auto stub = v1::RegistryService::NewStub(Channel());
  v1::GetEnterpriseRequest req;
  req.set_name(enterprise);
  v1::Enterprise e;
  auto ctx = Ctx();
  std::string name = stub->GetEnterprise(ctx.get(), req, &e).ok() ? e.display_name() : "";
  (*cache)[enterprise] = name;
  return name;
}

Column PlantColumn(const std::string& path) { return Lookup("plant", path, PlantName); }

// ---- setup -------------------------------------------------------------

int Migrate() {
  auto pool = ConnectionPool::Create(O().database, 1);
  if (!pool.ok()) return Fail(pool.status());
  auto applied = ApplyMigrations(**pool, SqlMigrations());
  if (!applied.ok()) return Fail(applied.status());
  std::cout << (applied->empty() ? "数据库结构已是最新"
                                 : absl::StrCat("已执行迁移：", absl::StrJoin(*applied, ", ")))
            << "\n";
  return 0;
}

int Bootstrap() {
  auto pool = ConnectionPool::Create(O().database, 1);
  if (!pool.ok()) return Fail(pool.status());
  auto applied = ApplyMigrations(**pool, SqlMigrations());
  if (!applied.ok()) return Fail(applied.status());
  NewKey key;
  absl::Status status = InTransaction(**pool, [&](pqxx::work& tx) -> absl::Status {
    std::string name = O().name.empty() ? "bootstrap admin" : O().name;
    auto created = KeyStore::CreateKey(tx, name, Role::kAdmin, "", "bootstrap");
    if (!created.ok()) return created.status();
    key = *created;
    tx.exec_params0(
        "INSERT INTO core.audit_log (principal, method, resource, outcome, detail) "
        "VALUES ('bootstrap', 'AdminBootstrap', $1, 'OK', '用命令行创建了第一个管理员密钥')",
        key.key.name());
    return absl::OkStatus();
  });
  if (!status.ok()) return Fail(status);
  if (O().quiet) {
    std::cout << key.secret << "\n";
  } else {
    std::cout << "管理员密钥 " << key.key.name() << "（只显示这一次，请妥善保存）：\n"
              << key.secret << "\n";
  }
  return 0;
}

// ---- keys and audit ----------------------------------------------------

int CreateKey() {
  auto stub = v1::AdminService::NewStub(Channel());
  v1::CreateApiKeyRequest req;
  std::optional<Role> role = ParseRole(absl::AsciiStrToLower(O().role));
  if (!role.has_value())
    return Usage("--role 须为 admin、city、bureau、enterprise、verifier、service 之一");
  req.mutable_api_key()->set_role(RoleToProto(*role));
  req.mutable_api_key()->set_scope(O().scope);
  req.mutable_api_key()->set_display_name(O().name);
  if (!O().expires.empty()) {
    auto t = ParseTimeText(O().expires);
    if (!t.ok()) return Usage(absl::StrCat("--expires: ", t.status().message()));
    *req.mutable_api_key()->mutable_expire_time() = ToTimestamp(*t);
  }
  req.set_request_id(O().request_id);
  auto ctx = Ctx();
  v1::CreateApiKeyResponse resp;
  grpc::Status s = stub->CreateApiKey(ctx.get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (O().quiet) {
    std::cout << resp.secret() << "\n";
  } else {
    std::cout << RoleName(*role) << " 密钥 " << resp.api_key().name()
              << (resp.api_key().scope().empty() ? "" : "，范围 " + resp.api_key().scope())
              << "（只显示这一次）：\n"
              << resp.secret() << "\n";
  }
  return 0;
}

int RevokeKey() {
  auto stub = v1::AdminService::NewStub(Channel());
  auto ctx = Ctx();
  v1::RevokeApiKeyRequest req;
  req.set_name(Arg(2));
  v1::ApiKey resp;
  grpc::Status s = stub->RevokeApiKey(ctx.get(), req, &resp);
  if (!s.ok()) return Fail(s);
  std::cout << "已吊销 " << resp.name() << "\n";
  return 0;
}

int WhoAmI() {
  auto stub = v1::AdminService::NewStub(Channel());
  auto ctx = Ctx();
  v1::ApiKey resp;
  grpc::Status s = stub->GetCaller(ctx.get(), v1::GetCallerRequest(), &resp);
  if (!s.ok()) return Fail(s);
  PrintResource(resp, [&] {
    std::cout << resp.name() << "  " << Label(resp.role(), v1::Role_descriptor()) << " "
              << v1::Role_Name(resp.role()) << (resp.scope().empty() ? "" : "  " + resp.scope())
              << "  " << resp.display_name() << "\n";
  });
  return 0;
}

int AuditList() {
  auto stub = v1::AdminService::NewStub(Channel());
  return PrintList(
      v1::ListAuditEntriesResponse(),
      [&](const std::string& token, int size, google::protobuf::Message* out) {
        v1::ListAuditEntriesRequest req;
        req.set_resource_prefix(O().parent);
        req.set_filter(O().filter);
        req.set_page_size(size);
        req.set_page_token(token);
        auto ctx = Ctx();
        return AsStatus(stub->ListAuditEntries(ctx.get(), req,
                                               static_cast<v1::ListAuditEntriesResponse*>(out)));
      },
      {Field("id", "id"), Field("time", "time"), Field("principal", "principal"),
       Field("method", "method"), Field("resource", "resource"), Field("outcome", "outcome"),
       Field("detail", "detail")},
      "条审计记录");
}

// ---- registry ----------------------------------------------------------

int CreateDistrict() {
  auto stub = v1::RegistryService::NewStub(Channel());
  v1::CreateDistrictRequest req;
  req.set_district_id(Arg(2));
  req.mutable_district()->set_display_name(O().name);
  req.mutable_district()->set_city(O().city);
  req.set_request_id(O().request_id);
  auto ctx = Ctx();
  v1::District resp;
  grpc::Status s = stub->CreateDistrict(ctx.get(), req, &resp);
  if (!s.ok()) return Fail(s);
  std::cout << "已创建 " << resp.name() << " " << resp.display_name() << "\n";
  return 0;
}

int Import() {
  const std::string& dir = Arg(2);
  const bool tty = isatty(STDERR_FILENO);
  auto progress = [&](int64_t sent, int64_t total) {
    if (tty || sent == total) {
      std::cerr << "\r已发送 " << sent << "/" << total << " 行" << (sent == total ? "\n" : "")
                << std::flush;
    }
  };
  auto stub = v1::RegistryService::NewStub(Channel());
  absl::StatusOr<v1::ImportRegistryResponse> response;
  if (IsRegistryWorkbook(dir)) {
    auto files = ReadRegistryWorkbook(dir);
    if (!files.ok()) return Fail(files.status());
    response = ImportFiles(*stub, ApiKey(), O().district, *files, O().validate_only, O().request_id,
                           progress);
  } else {
    // A folder of CSV files: each is sent as soon as it is parsed.
    response = ImportTemplateDir(*stub, ApiKey(), O().district, dir, O().validate_only,
                                 O().request_id, progress);
  }
  if (!response.ok()) return Fail(response.status());
  std::cout << (response->validate_only() ? "已校验（未写入）：" : "已导入：") << "新增 "
            << response->created() << " 行，更新 " << response->updated() << " 行，未变 "
            << response->unchanged() << " 行\n";
  for (const auto& c : response->counts()) {
    std::cout << "  " << c.kind() << "：新增 " << c.created() << " 行，更新 " << c.updated()
              << " 行，未变 " << c.unchanged() << " 行\n";
  }
  if (response->created() == 0 && response->updated() == 0) {
    std::cout << "没有变化：登记信息已与这些行完全一致\n";
  }
  return 0;
}

int Export() {
  if (IsRegistryWorkbook(Arg(2))) return WriteRegistryWorkbook(O().district, Arg(2));
  auto stub = v1::RegistryService::NewStub(Channel());
  auto rows = ExportToDir(*stub, ApiKey(), O().district, Arg(2), O().codes);
  if (!rows.ok()) return Fail(rows.status());
  std::cout << "已导出 " << *rows << " 行到 " << Arg(2) << "\n";
  return 0;
}

// One kind of registry resource as the CLI reaches it: its collection
// segment, and its Get and List calls.
struct RegistryKindCalls {
  std::string collection;
  std::function<grpc::Status(grpc::ClientContext*, const std::string& name,
                             std::unique_ptr<google::protobuf::Message>* out)>
      get;
  std::unique_ptr<google::protobuf::Message> list_response;
  std::function<grpc::Status(grpc::ClientContext*, const std::string& parent, int size,
                             const std::string& token, const std::string& filter,
                             google::protobuf::Message* out)>
      list;
};

const std::vector<RegistryKindCalls>& RegistryKinds(v1::RegistryService::Stub** stub_out) {
  static v1::RegistryService::Stub* stub = v1::RegistryService::NewStub(Channel()).release();
  *stub_out = stub;
  static auto* kinds = new std::vector<RegistryKindCalls>();
  if (!kinds->empty()) return *kinds;
#define CUOFENG_KIND(coll, Msg, Plural, HasParent)                                           \
  {                                                                                          \
    RegistryKindCalls k;                                                                     \
    k.collection = coll;                                                                     \
    k.get = [](grpc::ClientContext* ctx, const std::string& name,                            \
               std::unique_ptr<google::protobuf::Message>* out) {                            \
      v1::Get##Msg##Request req;                                                             \
      req.set_name(name);                                                                    \
      auto m = std::make_unique<v1::Msg>();                                                  \
      grpc::Status s = stub->Get##Msg(ctx, req, m.get());                                    \
      *out = std::move(m);                                                                   \
      return s;                                                                              \
    };                                                                                       \
    k.list_response = std::make_unique<v1::List##Plural##Response>();                        \
    k.list = [](grpc::ClientContext* ctx, const std::string& parent, int size,               \
                const std::string& token, const std::string& filter,                         \
                google::protobuf::Message* out) {                                            \
      v1::List##Plural##Request req;                                                         \
      if (HasParent)                                                                         \
        req.GetReflection()->SetString(&req, req.GetDescriptor()->FindFieldByName("parent"), \
                                       parent);                                              \
      req.set_page_size(size);                                                               \
      req.set_page_token(token);                                                             \
      req.set_filter(filter);                                                                \
      return stub->List##Plural(ctx, req, static_cast<v1::List##Plural##Response*>(out));    \
    };                                                                                       \
    kinds->push_back(std::move(k));                                                          \
  }
  CUOFENG_KIND("districts", District, Districts, false)
  CUOFENG_KIND("townships", Township, Townships, true)
  CUOFENG_KIND("enterprises", Enterprise, Enterprises, true)
  CUOFENG_KIND("lines", ProductionLine, ProductionLines, true)
  CUOFENG_KIND("processes", Process, Processes, true)
  CUOFENG_KIND("equipment", Equipment, Equipment, true)
  CUOFENG_KIND("meters", Meter, Meters, true)
  CUOFENG_KIND("cameras", Camera, Cameras, true)
  CUOFENG_KIND("vehicles", Vehicle, Vehicles, true)
  CUOFENG_KIND("retrofitTasks", RetrofitTask, RetrofitTasks, true)
  CUOFENG_KIND("emissionTotals", EmissionTotal, EmissionTotals, true)
  CUOFENG_KIND("whitelistEntries", WhitelistEntry, WhitelistEntries, true)
  CUOFENG_KIND("monitoringPoints", MonitoringPoint, MonitoringPoints, true)
  CUOFENG_KIND("productionLedgers", ProductionLedger, ProductionLedgers, true)
#undef CUOFENG_KIND
  return *kinds;
}

const RegistryKindCalls* KindOf(const std::string& collection) {
  v1::RegistryService::Stub* stub;
  for (const auto& k : RegistryKinds(&stub)) {
    if (k.collection == collection) return &k;
  }
  return nullptr;
}

std::string CollectionList() {
  v1::RegistryService::Stub* stub;
  std::vector<std::string> names;
  for (const auto& k : RegistryKinds(&stub)) names.push_back(k.collection);
  return absl::StrJoin(names, ", ");
}

bool IsMeta(const google::protobuf::FieldDescriptor* f) {
  return f->name() == "create_time" || f->name() == "update_time" || f->name() == "etag";
}

// A registry resource for people: one "field  value" line per set field
// (the field's Chinese header where there is one).
void PrintFields(const google::protobuf::Message& m) {
  const auto* d = m.GetDescriptor();
  int width = 0;
  for (int i = 0; i < d->field_count(); ++i)
    width = std::max<int>(width, DisplayWidth(HeaderText(d->field(i)->name())));
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    std::string value = Field(f->name(), f->name()).cell(m, true);
    if (value.empty() || f->name() == "etag") continue;
    const std::string header = HeaderText(f->name());
    std::cout << header << std::string(width - DisplayWidth(header) + 2, ' ') << value << "\n";
  }
}

int RegistryGet() {
  const std::string& name = Arg(2);
  // The kind is the second-to-last segment: districts/120119/enterprises/e1 → enterprises.
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  const RegistryKindCalls* kind =
      parts.size() >= 2 && parts.size() % 2 == 0 ? KindOf(parts[parts.size() - 2]) : nullptr;
  if (kind == nullptr) {
    return Usage(absl::StrCat("\"", name, "\" 不是登记资源名（",
                              "districts/{d}/集合/{id}...；集合有：", CollectionList(), "）"));
  }
  auto ctx = Ctx();
  std::unique_ptr<google::protobuf::Message> out;
  grpc::Status s = kind->get(ctx.get(), name, &out);
  if (!s.ok()) return Fail(s);
  if (out == nullptr) return Fail(absl::InternalError("服务器没有返回内容"));
  PrintResource(*out, [&] { PrintFields(*out); });
  return 0;
}

std::vector<Column> RegistryColumns(const google::protobuf::Descriptor* d) {
  std::vector<Column> cols;
  const bool all = Format() == OutputFormat::kCsv;
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (IsMeta(f)) continue;
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const bool key = f->name() == "name" || f->name() == "display_name" || f->name() == "plate" ||
                     f->name() == "year" || f->name() == "tonnes" || f->name() == "deadline" ||
                     f->name() == "vehicle" || f->name() == "valid_until";
    const bool choice = f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_ENUM;
    if (all || key || (choice && cols.size() < 7)) cols.push_back(Field(f->name(), f->name()));
  }
  return cols;
}

int RegistryList() {
  const std::string& collection = Arg(2);
  const RegistryKindCalls* kind = KindOf(collection);
  if (kind == nullptr) {
    return Usage(absl::StrCat("\"", collection, "\" 不是登记集合；可选 ", CollectionList()));
  }
  if (collection != "districts" && O().parent.empty()) {
    return Usage(
        absl::StrCat("列出 ", collection,
                     " 须给 --parent：如 --parent=districts/120119（districts/- 表示全部区县）"));
  }
  const google::protobuf::Descriptor* item =
      kind->list_response->GetDescriptor()->field(0)->message_type();
  return PrintList(
      *kind->list_response,
      [&](const std::string& token, int size, google::protobuf::Message* out) {
        auto ctx = Ctx();
        return AsStatus(kind->list(ctx.get(), O().parent, size, token, O().filter, out));
      },
      RegistryColumns(item), collection);
}

// Counts of a district's registry and the facts the plan cares about, as a
// bureau clerk reads them.
int Summary() {
  auto stub = v1::RegistryService::NewStub(Channel());
  auto ctx = Ctx();
  v1::ReadDistrictSnapshotRequest req;
  req.set_district(O().district);
  auto reader = stub->ReadDistrictSnapshot(ctx.get(), req);
  v1::DistrictSnapshotChunk chunk;
  v1::District district;
  std::vector<std::pair<std::string, int64_t>> counts = {
      {"乡镇", 0}, {"企业", 0},       {"生产线", 0}, {"工序", 0},         {"设备", 0},
      {"电表", 0}, {"门禁摄像头", 0}, {"车辆", 0},   {"治理改造任务", 0}, {"排放总量", 0}};
  std::map<std::string, int64_t> by_industry;
  int64_t restricted = 0, livelihood = 0, bulk = 0, overdue = 0, kilns_off_list = 0,
          high_stacks_without_cems = 0, benchmark_candidates = 0;
  const std::string today = "2018-11-01";  // the plan's reference date
  while (reader->Read(&chunk)) {
    if (chunk.has_district()) district = chunk.district();
    counts[0].second += chunk.townships_size();
    counts[1].second += chunk.enterprises_size();
    counts[2].second += chunk.production_lines_size();
    counts[3].second += chunk.processes_size();
    counts[4].second += chunk.equipment_size();
    counts[5].second += chunk.meters_size();
    counts[6].second += chunk.cameras_size();
    counts[7].second += chunk.vehicles_size();
    counts[8].second += chunk.retrofit_tasks_size();
    counts[9].second += chunk.emission_totals_size();
    for (const auto& e : chunk.enterprises()) {
      by_industry[v1::IndustryCategory_Name(e.industry_category())]++;
      restricted += e.restricted_class();
      livelihood += e.supplies_heating() || e.coprocesses_municipal_waste() ||
                    e.coprocesses_hazardous_waste();
      bulk += e.bulk_transport();
    }
    for (const auto& q : chunk.equipment()) {
      if ((q.type() == v1::KILN || q.type() == v1::CUPOLA) && !q.on_kiln_list()) ++kilns_off_list;
      if (q.has_stack_height_m() && q.stack_height_m() > 45 &&
          (!q.cems_installed() || q.cems_transmission_rate() < 90)) {
        ++high_stacks_without_cems;
      }
      if ((q.type() == v1::CUPOLA || q.type() == v1::INDUCTION_FURNACE) &&
          q.has_pm_concentration() && q.pm_concentration() <= 20 && q.has_so2_concentration() &&
          q.so2_concentration() <= 100) {
        ++benchmark_candidates;
      }
    }
    for (const auto& t : chunk.retrofit_tasks()) {
      if (t.completed_date().empty() && t.deadline() < today) ++overdue;
    }
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return Fail(s);
  std::cout << district.city() << district.display_name() << "（" << district.name()
            << "）登记情况\n";
  for (const auto& [what, n] : counts) std::cout << "  " << what << "：" << n << "\n";
  std::cout << "按行业分的企业数：\n";
  for (const auto& [industry, n] : by_industry) {
    std::cout << "  " << ChineseLabel(industry) << "：" << n << "\n";
  }
  std::cout << "错峰生产规则将关注：\n"
            << "  限制类企业（T77）：" << restricted << "\n"
            << "  承担民生保障（供热或协同处置废物）的企业：" << livelihood << "\n"
            << "  大宗物料运输企业（T79）：" << bulk << "\n"
            << "  截至 " << today << " 已过期限仍未完成的治理改造任务（T77）：" << overdue << "\n"
            << "  未列入工业炉窑管理清单的炉窑、冲天炉（T54）：" << kilns_off_list << "\n"
            << "  高于 45 米、未装在线监测或传输有效率低于 90% 的排气筒（T81、T83）："
            << high_stacks_without_cems << "\n"
            << "  颗粒物不高于 20、二氧化硫不高于 100 毫克/立方米的铸造熔炼设备（标杆候选，§26）："
            << benchmark_candidates << "\n";
  return 0;
}

// ---- rule sets, seasons, lists -----------------------------------------

std::string Fixed(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

void PrintListVersion(const v1::ListVersion& l) {
  std::cout << "清单 " << (l.name().empty() ? "（试算）" : l.name()) << "  "
            << Label(l.state(), v1::ListState_descriptor()) << "\n"
            << "  采暖季 " << l.season() << "，规则集 " << l.rule_set() << " 第 "
            << l.rule_set_revision() << " 版（sha256 " << l.rule_set_sha256().substr(0, 12)
            << "…）\n"
            << "  条目 " << l.entry_count() << " 条：管控 " << l.restricted() << " 条，豁免 "
            << l.exempt() << " 条，民生保障 " << l.guaranteed() << " 条，数据缺失 "
            << l.data_missing() << " 条\n"
            << "  内容 sha256 " << l.content_sha256() << "\n";
  std::cout << "  错峰时段：";
  for (const auto& p : l.staggered_periods()) std::cout << " " << p.start() << "~" << p.end();
  std::cout << "\n"
            << "减排目标核算（对照本区排放清单，T74）：\n";
  for (const auto& proof : l.proof()) {
    std::cout << "  " << Label(proof.level(), v1::AlertLevel_descriptor())
              << (proof.escalated_entries()
                      ? "（升级措施 " + std::to_string(proof.escalated_entries()) + " 条，EM2/T75）"
                      : "")
              << "\n";
    for (const auto& c : proof.cuts()) {
      std::cout << "    " << Label(c.pollutant(), v1::Pollutant_descriptor()) << "：削减 "
                << Fixed(c.cut_tonnes()) << " 吨 / 排放量 " << Fixed(c.inventory_tonnes())
                << " 吨 = " << Fixed(c.cut_percent()) << "%（目标 " << Fixed(c.target_percent(), 0)
                << "%）" << (c.met() ? "达标" : "未达标");
      if (!c.met()) std::cout << "，差 " << Fixed(c.shortfall_tonnes()) << " 吨";
      std::cout << "\n";
      for (const auto& b : c.blocked_by()) std::cout << "      受限于：" << b << "\n";
    }
  }
}

int RuleSetLoad() {
  std::ifstream in(Arg(2));
  if (!in) return Usage(absl::StrCat("读不了文件 ", Arg(2)));
  std::stringstream text;
  text << in.rdbuf();
  auto stub = v1::PlanningService::NewStub(Channel());
  auto ctx = Ctx();
  v1::CreateRuleSetRequest req;
  req.set_rule_set_id(O().id);
  req.set_text(text.str());
  req.set_validate_only(O().validate_only);
  v1::RuleSet rs;
  grpc::Status st = stub->CreateRuleSet(ctx.get(), req, &rs);
  if (!st.ok()) return Fail(st);
  std::cout << (req.validate_only() ? "已校验 " : "已载入 ") << rs.name() << " 第 " << rs.revision()
            << " 版（sha256 " << rs.sha256() << "）：措施表 " << rs.measure_tables_size()
            << " 张，目标 " << rs.targets_size() << " 项\n";
  return 0;
}

int RuleSetGet() {
  auto stub = v1::PlanningService::NewStub(Channel());
  auto ctx = Ctx();
  v1::GetRuleSetRequest req;
  req.set_name(Arg(2));
  v1::RuleSet rs;
  grpc::Status st = stub->GetRuleSet(ctx.get(), req, &rs);
  if (!st.ok()) return Fail(st);
  PrintResource(rs, [&] { std::cout << JsonOf(rs); });
  return 0;
}

int RuleSetList() {
  auto stub = v1::PlanningService::NewStub(Channel());
  return PrintList(
      v1::ListRuleSetsResponse(),
      [&](const std::string& token, int size, google::protobuf::Message* out) {
        v1::ListRuleSetsRequest req;
        req.set_page_size(size);
        req.set_page_token(token);
        req.set_filter(O().filter);
        auto ctx = Ctx();
        return AsStatus(
            stub->ListRuleSets(ctx.get(), req, static_cast<v1::ListRuleSetsResponse*>(out)));
      },
      {Field("name", "name"), Field("revision", "revision"), Field("display_name", "display_name"),
       Field("sha256", "sha256")},
      "个规则集");
}

int SeasonAdjust() {
  auto stub = v1::PlanningService::NewStub(Channel());
  v1::GetSeasonRequest get;
  get.set_name(Arg(2));
  v1::Season season;
  {
    auto ctx = Ctx();
    grpc::Status st = stub->GetSeason(ctx.get(), get, &season);
    if (!st.ok()) return Fail(st);
  }
  v1::MonthAdjustment* a = nullptr;
  for (auto& x : *season.mutable_adjustments()) {
    if (x.month() == O().month) a = &x;
  }
  if (a != nullptr && a->staggered() == O().staggered && a->reason() == O().note) {
    std::cerr << "错误（FAILED_PRECONDITION）：" << O().month << " 已经"
              << (O().staggered ? "错峰" : "不错峰") << "，说明也相同；没有可改的\n";
    return kExitConflict;
  }
  if (a == nullptr) a = season.add_adjustments();
  a->set_month(O().month);
  a->set_staggered(O().staggered);
  a->set_reason(O().note);
  v1::UpdateSeasonRequest req;
  *req.mutable_season() = season;
  auto ctx = Ctx();
  v1::Season updated;
  grpc::Status st = stub->UpdateSeason(ctx.get(), req, &updated);
  if (!st.ok()) return Fail(st);
  std::cout << "已更新 " << updated.name() << "：月份调整 " << updated.adjustments_size()
            << " 项\n";
  return 0;
}

int SeasonCreate() {
  auto stub = v1::PlanningService::NewStub(Channel());
  auto ctx = Ctx();
  v1::CreateSeasonRequest req;
  req.set_parent(O().district);
  req.set_season_id(O().id);
  req.mutable_season()->set_start(O().start);
  req.mutable_season()->set_end(O().end);
  req.mutable_season()->set_filing_deadline(O().filing_deadline);
  v1::Season season;
  grpc::Status st = stub->CreateSeason(ctx.get(), req, &season);
  if (!st.ok()) return Fail(st);
  std::cout << "已创建 " << season.name() << "：" << season.start() << " 至 " << season.end()
            << "，备案截止 " << season.filing_deadline() << "\n";
  return 0;
}

int ListGenerate() {
  auto stub = v1::PlanningService::NewStub(Channel());
  auto ctx = Ctx();
  v1::GenerateListRequest req;
  req.set_parent(O().district);
  req.set_season(O().season);
  req.set_rule_set(O().rule_set);
  req.set_validate_only(O().validate_only);
  req.set_request_id(O().request_id);
  v1::ListVersion l;
  grpc::Status st = stub->GenerateList(ctx.get(), req, &l);
  if (!st.ok()) return Fail(st);
  if (req.validate_only()) std::cout << "试算：未保存\n";
  PrintListVersion(l);
  return 0;
}

int ListShow() {
  auto stub = v1::PlanningService::NewStub(Channel());
  auto ctx = Ctx();
  v1::GetListVersionRequest req;
  req.set_name(Arg(2));
  v1::ListVersion l;
  grpc::Status st = stub->GetListVersion(ctx.get(), req, &l);
  if (!st.ok()) return Fail(st);
  PrintResource(l, [&] { PrintListVersion(l); });
  return 0;
}

int ListVersions() {
  auto stub = v1::PlanningService::NewStub(Channel());
  return PrintList(
      v1::ListListVersionsResponse(),
      [&](const std::string& token, int size, google::protobuf::Message* out) {
        v1::ListListVersionsRequest req;
        req.set_parent(O().district);
        req.set_page_size(size);
        req.set_page_token(token);
        req.set_filter(O().filter);
        auto ctx = Ctx();
        return AsStatus(stub->ListListVersions(ctx.get(), req,
                                               static_cast<v1::ListListVersionsResponse*>(out)));
      },
      {Field("name", "name"), Field("state", "state"), Field("entry_count", "entry_count"),
       Field("rule_set", "rule_set"), Field("rule_set_revision", "rule_set_revision"),
       Field("content_sha256", "content_sha256")},
      "份清单");
}

Column MeasureColumn(const std::string& header, const std::string& field) {
  return {header, [field](const google::protobuf::Message& m, bool human) {
            const auto& e = static_cast<const v1::ListEntry&>(m);
            const v1::Measure& measure = field == "season"   ? e.season()
                                         : field == "yellow" ? e.yellow()
                                         : field == "orange" ? e.orange()
                                                             : e.red();
            if (measure.action() == v1::ACTION_UNSPECIFIED) return std::string();
            if (!human) {
              return absl::StrCat(
                  v1::Action_Name(measure.action()),
                  measure.percent() > 0 ? absl::StrCat(" ", measure.percent()) : "");
            }
            return Describe(measure);
          }};
}

int ListEntries() {
  auto stub = v1::PlanningService::NewStub(Channel());
  return PrintList(
      v1::ListEntriesResponse(),
      [&](const std::string& token, int size, google::protobuf::Message* out) {
        v1::ListEntriesRequest req;
        req.set_parent(Arg(2));
        req.set_enterprise(O().enterprise);
        req.set_page_size(size);
        req.set_page_token(token);
        req.set_filter(O().filter);
        auto ctx = Ctx();
        return AsStatus(
            stub->ListEntries(ctx.get(), req, static_cast<v1::ListEntriesResponse*>(out)));
      },
      {Field("name", "name"), Field("resource_name", "resource_name"), Field("kind", "kind"),
       MeasureColumn("season", "season"), MeasureColumn("yellow", "yellow"),
       MeasureColumn("orange", "orange"), MeasureColumn("red", "red"),
       Field("effective_from", "effective_from")},
      "条清单条目");
}

int ListExplain() {
  auto stub = v1::PlanningService::NewStub(Channel());
  auto ctx = Ctx();
  v1::ExplainEntryRequest req;
  req.set_name(Arg(2));
  v1::ExplainEntryResponse resp;
  grpc::Status st = stub->ExplainEntry(ctx.get(), req, &resp);
  if (!st.ok()) return Fail(st);
  std::cout << resp.explanation();
  return 0;
}

int ListDiff() {
  auto stub = v1::PlanningService::NewStub(Channel());
  auto ctx = Ctx();
  v1::DiffListsRequest req;
  req.set_base(Arg(2));
  req.set_other(Arg(3));
  v1::DiffListsResponse resp;
  grpc::Status st = stub->DiffLists(ctx.get(), req, &resp);
  if (!st.ok()) return Fail(st);
  auto plant = [](const google::protobuf::Message& m, bool) {
    const auto& c = static_cast<const v1::EntryChange&>(m);
    const std::string& n =
        c.after().resource_name().empty() ? c.before().resource_name() : c.after().resource_name();
    const std::string owner = PlantName(c.resource());
    return owner.empty() || owner == n ? n : absl::StrCat(owner, " ", n);
  };
  return PrintItems(resp,
                    {Field("change", "change"), Column{"plant", plant},
                     Field("resource", "resource"), Field("summary", "summary")},
                    "处变化");
}

// ---- filing ------------------------------------------------------------

void PrintFiling(const v1::Filing& f) {
  std::cout << "备案 " << f.list() << "  " << Label(f.state(), v1::ListState_descriptor())
            << (f.late() ? "（逾期）" : "") << "\n  备案链第 " << f.seq() << " 环，条目 "
            << f.entry_count() << " 条，内容 sha256 " << f.content_sha256() << "\n  本环 sha256 "
            << f.sha256() << "（上一环 "
            << (f.previous_sha256().empty() ? "无" : f.previous_sha256().substr(0, 16) + "…")
            << "）\n"
            << "  报送：" << f.submitted_by();
  if (!f.acknowledged_by().empty()) std::cout << "，确认：" << f.acknowledged_by();
  std::cout << "\n";
  if (!f.amends().empty()) std::cout << "  变更 " << f.amends() << "：" << f.reason() << "\n";
  constexpr int kShown = 10;
  for (int i = 0; i < f.changes_size() && i < kShown; ++i)
    std::cout << "    " << f.changes(i) << "\n";
  if (f.changes_size() > kShown) {
    std::cout << "    … 另有 " << f.changes_size() - kShown << " 处：cuofeng list diff "
              << f.amends() << " " << f.list() << "\n";
  }
}

int FilingChange() {
  auto stub = v1::FilingService::NewStub(Channel());
  auto ctx = Ctx();
  const std::string& verb = Arg(1);
  v1::Filing filing;
  grpc::Status st;
  if (verb == "submit") {
    v1::SubmitListRequest req;
    req.set_name(Arg(2));
    req.set_request_id(O().request_id);
    st = stub->SubmitList(ctx.get(), req, &filing);
  } else if (verb == "acknowledge") {
    v1::AcknowledgeFilingRequest req;
    req.set_name(Arg(2));
    req.set_request_id(O().request_id);
    st = stub->AcknowledgeFiling(ctx.get(), req, &filing);
  } else {
    v1::AmendFilingRequest req;
    req.set_filed(Arg(2));
    req.set_amendment(Arg(3));
    req.set_reason(O().reason);
    req.set_request_id(O().request_id);
    st = stub->AmendFiling(ctx.get(), req, &filing);
  }
  if (!st.ok()) return Fail(st);
  PrintFiling(filing);
  return 0;
}

int FilingList() {
  auto stub = v1::FilingService::NewStub(Channel());
  v1::ListState state = v1::LIST_STATE_UNSPECIFIED;
  if (!O().state.empty()) v1::ListState_Parse(O().state, &state);
  return PrintList(
      v1::ListFilingsResponse(),
      [&](const std::string& token, int size, google::protobuf::Message* out) {
        v1::ListFilingsRequest req;
        req.set_parent(O().district.empty() ? "districts/-" : O().district);
        req.set_state(state);
        req.set_season(O().season);
        req.set_page_size(size);
        req.set_page_token(token);
        req.set_filter(O().filter);
        auto ctx = Ctx();
        return AsStatus(
            stub->ListFilings(ctx.get(), req, static_cast<v1::ListFilingsResponse*>(out)));
      },
      {Field("list", "list"), Field("state", "state"), Field("late", "late"), Field("seq", "seq"),
       Field("entry_count", "entry_count"), Field("sha256", "sha256"), Field("amends", "amends")},
      "份备案");
}

int FilingVerify() {
  auto stub = v1::FilingService::NewStub(Channel());
  auto ctx = Ctx();
  v1::VerifyChainRequest req;
  req.set_district(O().district);
  v1::VerifyChainResponse resp;
  grpc::Status st = stub->VerifyChain(ctx.get(), req, &resp);
  if (!st.ok()) return Fail(st);
  if (resp.intact()) {
    std::cout << "完好：重新计算了 " << resp.filings_checked() << " 份备案、"
              << resp.entries_checked() << " 条条目，所有哈希一致\n";
    return 0;
  }
  std::cout << "已被篡改：" << resp.problem() << "\n  第一份对不上的备案："
            << resp.first_bad_filing() << "\n";
  if (!resp.first_bad_entry().empty())
    std::cout << "  第一条对不上的条目：" << resp.first_bad_entry() << "\n";
  if (!resp.first_bad_column().empty()) std::cout << "  列：" << resp.first_bad_column() << "\n";
  return kExitIntegrity;
}

int FilingExport() {
  if (O().xlsx.empty() && O().csv.empty()) return Usage("请给 --xlsx=FILE、--csv=FILE 或两者都给");
  // Rendered by the server (DocumentService), as `documents list` does.
  return WriteListDocuments(Arg(2), O().xlsx, O().csv);
}

// ---- alerts and obligations --------------------------------------------

void PrintAlert(const v1::Alert& a) {
  std::cout << a.name() << " r" << a.revision() << "  "
            << Label(a.level(), v1::AlertLevel_descriptor()) << "预警"
            << (a.lifted() ? " 已解除" : "") << "  "
            << (a.districts().empty() ? "全市" : absl::StrJoin(a.districts(), ",")) << "  "
            << TimeText(a.start_time()) << " ~ "
            << (a.has_end_time() ? TimeText(a.end_time()) : "解除为止") << "  "
            << a.document_number() << "\n";
}

std::vector<Column> AlertColumns() {
  return {Field("name", "name"),           Field("revision", "revision"),
          Field("level", "level"),         Field("lifted", "lifted"),
          Field("districts", "districts"), Field("start_time", "start_time"),
          Field("end_time", "end_time"),   Field("document_number", "document_number")};
}

int AlertIssue() {
  auto stub = v1::AlertService::NewStub(Channel());
  v1::IssueAlertRequest req;
  v1::AlertLevel level = v1::ALERT_LEVEL_UNSPECIFIED;
  v1::AlertLevel_Parse(O().level, &level);
  req.mutable_alert()->set_level(level);
  for (auto d : absl::StrSplit(O().districts, ',', absl::SkipEmpty())) {
    req.mutable_alert()->add_districts(std::string(absl::StripAsciiWhitespace(d)));
  }
  if (!O().start_time.empty()) {
    auto t = TimeArg(O().start_time);
    if (!t.ok()) return Fail(t.status());
    *req.mutable_alert()->mutable_start_time() = *t;
  }
  if (!O().end_time.empty()) {
    auto t = TimeArg(O().end_time);
    if (!t.ok()) return Fail(t.status());
    *req.mutable_alert()->mutable_end_time() = *t;
  }
  req.mutable_alert()->set_document_number(O().document);
  req.set_request_id(O().request_id);
  auto ctx = Ctx();
  v1::Alert alert;
  grpc::Status st = stub->IssueAlert(ctx.get(), req, &alert);
  if (!st.ok()) return Fail(st);
  PrintAlert(alert);
  return 0;
}

int AlertChange() {
  if (O().level.empty() && O().end_time.empty() && O().document.empty()) {
    return Usage("没有可改的：请给 --level、--end_time 或 --document");
  }
  auto stub = v1::AlertService::NewStub(Channel());
  v1::ChangeAlertRequest req;
  req.set_name(Arg(2));
  v1::AlertLevel level = v1::ALERT_LEVEL_UNSPECIFIED;
  if (!O().level.empty()) v1::AlertLevel_Parse(O().level, &level);
  req.set_level(level);
  if (!O().end_time.empty()) {
    auto t = TimeArg(O().end_time);
    if (!t.ok()) return Fail(t.status());
    *req.mutable_end_time() = *t;
  }
  req.set_document_number(O().document);
  req.set_note(O().note);
  req.set_request_id(O().request_id);
  auto ctx = Ctx();
  v1::Alert alert;
  grpc::Status st = stub->ChangeAlert(ctx.get(), req, &alert);
  if (!st.ok()) return Fail(st);
  PrintAlert(alert);
  return 0;
}

int AlertLift() {
  auto stub = v1::AlertService::NewStub(Channel());
  v1::LiftAlertRequest req;
  req.set_name(Arg(2));
  if (!O().at.empty()) {
    auto t = TimeArg(O().at);
    if (!t.ok()) return Fail(t.status());
    *req.mutable_lift_time() = *t;
  }
  req.set_note(O().note);
  req.set_request_id(O().request_id);
  auto ctx = Ctx();
  v1::Alert alert;
  grpc::Status st = stub->LiftAlert(ctx.get(), req, &alert);
  if (!st.ok()) return Fail(st);
  PrintAlert(alert);
  return 0;
}

int AlertGet() {
  auto stub = v1::AlertService::NewStub(Channel());
  v1::GetAlertRequest req;
  req.set_name(Arg(2));
  auto ctx = Ctx();
  v1::Alert alert;
  grpc::Status st = stub->GetAlert(ctx.get(), req, &alert);
  if (!st.ok()) return Fail(st);
  PrintResource(alert, [&] { PrintAlert(alert); });
  return 0;
}

int AlertList() {
  auto stub = v1::AlertService::NewStub(Channel());
  v1::ListAlertsRequest req;
  req.set_district(O().district);
  req.set_include_history(O().include_history);
  req.set_filter(O().filter);
  auto ctx = Ctx();
  v1::ListAlertsResponse resp;
  grpc::Status st = stub->ListAlerts(ctx.get(), req, &resp);
  if (!st.ok()) return Fail(st);
  return PrintItems(resp, AlertColumns(), "条预警");
}

void PrintObligations(const v1::ObligationSet& set) {
  const std::string plant = PlantName(set.enterprise());
  std::cout << set.enterprise() << (plant.empty() ? "" : " " + plant) << " 在 "
            << TimeText(set.at()) << "（北京时间）："
            << (set.list().empty() ? "没有约束本企业的已备案清单" : "清单 " + set.list())
            << "，预警 "
            << (set.level() == v1::ALERT_LEVEL_UNSPECIFIED
                    ? "无"
                    : Label(set.level(), v1::AlertLevel_descriptor()) + "预警")
            << "\n";
  for (const auto& o : set.obligations()) {
    v1::Measure m;
    m.set_action(o.action());
    m.set_percent(o.percent());
    m.set_transport(o.transport());
    m.set_stop_non_road(o.stop_non_road());
    std::cout << "  " << o.resource().substr(set.enterprise().size()) << " " << o.resource_name()
              << "：" << Describe(m) << "\n     "
              << (o.has_window_start() ? TimeText(o.window_start()) : "…") << " ~ "
              << (o.has_window_end() ? TimeText(o.window_end()) : "另行通知为止") << "；"
              << o.reason() << "\n";
  }
}

int ObligationsGet() {
  auto stub = v1::ObligationService::NewStub(Channel());
  v1::GetObligationsRequest req;
  req.set_enterprise(Arg(2));
  if (!O().at.empty()) {
    auto t = TimeArg(O().at);
    if (!t.ok()) return Fail(t.status());
    *req.mutable_at() = *t;
  }
  auto ctx = Ctx();
  v1::ObligationSet set;
  grpc::Status st = stub->GetObligations(ctx.get(), req, &set);
  if (!st.ok()) return Fail(st);
  PrintResource(set, [&] { PrintObligations(set); });
  return 0;
}

int ObligationsWindows() {
  auto stub = v1::ObligationService::NewStub(Channel());
  v1::ListObligationWindowsRequest req;
  req.set_district(O().district);
  auto from = TimeArg(O().from);
  if (!from.ok()) return Fail(from.status());
  auto to = TimeArg(O().to);
  if (!to.ok()) return Fail(to.status());
  *req.mutable_from() = *from;
  *req.mutable_to() = *to;
  auto ctx = Ctx();
  v1::ListObligationWindowsResponse resp;
  grpc::Status st = stub->ListObligationWindows(ctx.get(), req, &resp);
  if (!st.ok()) return Fail(st);
  return PrintItems(resp,
                    {PlantColumn("enterprise"), Field("resource_name", "resource_name"),
                     Field("action", "action"), Field("percent", "percent"),
                     Field("window_start", "window_start"), Field("window_end", "window_end"),
                     Field("level", "level"), Field("resource", "resource")},
                    "个管控时段");
}

int ObligationsWatch() {
  auto stub = v1::ObligationService::NewStub(Channel());
  auto ctx = Ctx();
  v1::WatchObligationsRequest req;
  req.set_enterprise(Arg(2));
  auto reader = stub->WatchObligations(ctx.get(), req);
  v1::ObligationSet set;
  int n = 0;
  while (reader->Read(&set)) {
    PrintObligations(set);
    std::cout << std::flush;
    if (O().count > 0 && ++n >= O().count) {
      ctx->TryCancel();
      break;
    }
  }
  grpc::Status st = reader->Finish();
  if (!st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) return Fail(st);
  return 0;
}

// ---- the command table -------------------------------------------------

const std::vector<std::string> kListFlags = {"output", "page_size", "page_token", "all", "filter"};

std::vector<std::string> With(std::vector<std::string> flags,
                              const std::vector<std::string>& more) {
  flags.insert(flags.end(), more.begin(), more.end());
  return flags;
}

std::vector<CommandSpec> Commands() {
  const std::string kSetup = "初始化（直接连数据库）";
  const std::string kKeys = "密钥和审计";
  const std::string kRegistry = "企业登记";
  const std::string kLists = "规则集、采暖季和清单";
  const std::string kFiling = "向市里备案（T78）";
  const std::string kAlerts = "预警和管控要求";
  const std::string kCompliance = "监测数据和核查";
  const std::string kDocuments = "文件";
  std::vector<CommandSpec> c = {
      {"migrate",
       kSetup,
       "管理员",
       "只执行数据库结构迁移",
       {},
       {"database!"},
       "cuofeng migrate --database=\"host=db port=5432 dbname=cuofeng user=cuofeng\"",
       Migrate},
      {"admin bootstrap",
       kSetup,
       "管理员",
       "生成第一个管理员密钥，只显示一次",
       {},
       {"database!", "name"},
       "cuofeng admin bootstrap --database=\"dbname=cuofeng\"",
       Bootstrap},
      {"admin create-key",
       kKeys,
       "管理员",
       "为他人生成密钥，只显示一次",
       {},
       {"role!", "scope", "name", "expires", "request_id"},
       "cuofeng admin create-key --role=bureau --scope=districts/120119 --name=蓟州区工信委",
       Server(CreateKey)},
      {"admin revoke-key",
       kKeys,
       "管理员",
       "立即吊销密钥",
       {"NAME"},
       {},
       "cuofeng admin revoke-key apiKeys/7",
       Server(RevokeKey)},
      {"admin whoami",
       kKeys,
       "任何角色",
       "当前密钥是谁：角色和范围",
       {},
       {"output"},
       "cuofeng admin whoami",
       Server(WhoAmI)},
      {"audit list",
       kKeys,
       "管理员、市级部门",
       "审计记录，最新的在前，带时间",
       {},
       With({"parent"}, kListFlags),
       "cuofeng audit list --parent=districts/120119",
       Server(AuditList)},
      {"district create",
       kRegistry,
       "管理员",
       "登记区县",
       {"ID"},
       {"name!", "city", "request_id"},
       "cuofeng district create 120119 --name=蓟州区 --city=天津市",
       Server(CreateDistrict)},
      {"import registry",
       kRegistry,
       "区县部门",
       "导入文件夹中的登记表或一个 .xlsx 工作簿（要么全部导入，要么都不导入）",
       {"DIR"},
       {"district!", "validate_only", "request_id"},
       "cuofeng import registry out/registry --district=districts/120119 --validate_only",
       Server(Import)},
      {"export registry",
       kRegistry,
       "区县部门、市级部门、核查人员",
       "按同样的登记表导出（一个文件夹的 CSV，UTF-8 带 BOM，中文"
       "表头和选项；或一个 .xlsx 工作簿）",
       {"DIR"},
       {"district!", "codes"},
       "cuofeng export registry exported/ --district=districts/120119",
       Server(Export)},
      {"registry get",
       kRegistry,
       "所有角色",
       "查看一条登记资源（12 类中任一类）",
       {"NAME"},
       {"output"},
       "cuofeng registry get districts/120119/enterprises/e10001",
       Server(RegistryGet)},
      {"registry list",
       kRegistry,
       "所有角色",
       "列出一个集合（districts、townships、enterprises、lines、processes、equipment、"
       "meters、cameras、vehicles、retrofitTasks、emissionTotals、whitelistEntries）",
       {"COLLECTION"},
       With({"parent"}, kListFlags),
       "cuofeng registry list enterprises --parent=districts/120119 --filter='industry_category = "
       "铸造 OR industry_category = CHEMICALS'",
       Server(RegistryList)},
      {"registry summary",
       kRegistry,
       "区县部门、市级部门",
       "本区登记了什么，规则将关注什么",
       {},
       {"district!"},
       "cuofeng registry summary --district=districts/120119",
       Server(Summary)},
      {"ruleset load",
       kLists,
       "区县部门、市级部门",
       "载入规则集（protobuf 文本；有改动则成为新版本）",
       {"FILE"},
       {"id!", "validate_only"},
       "cuofeng ruleset load tools/rulesets/jizhou-2018.textproto --id=jizhou-2018",
       Server(RuleSetLoad)},
      {"ruleset list",
       kLists,
       "所有角色",
       "规则集列表",
       {},
       kListFlags,
       "cuofeng ruleset list",
       Server(RuleSetList)},
      {"ruleset get",
       kLists,
       "所有角色",
       "查看一个规则集，最新版或 @版本",
       {"NAME"},
       {"output"},
       "cuofeng ruleset get ruleSets/jizhou-2018@1",
       Server(RuleSetGet)},
      {"season create",
       kLists,
       "区县部门",
       "创建采暖季",
       {},
       {"district!", "id!", "start!", "end!", "filing_deadline!"},
       "cuofeng season create --district=districts/120119 --id=2018-2019 --start=2018-11-15 "
       "--end=2019-03-15 --filing_deadline=2018-10-31",
       Server(SeasonCreate)},
      {"season adjust",
       kLists,
       "区县部门",
       "设定某月是否错峰（SP1）",
       {"NAME"},
       {"month!", "staggered", "note"},
       "cuofeng season adjust districts/120119/seasons/2018-2019 --month=2019-03 "
       "--staggered=false --note=\"空气质量预报良好\"",
       Server(SeasonAdjust)},
      {"list generate",
       kLists,
       "区县部门",
       "生成清单（草稿）及减排目标核算",
       {},
       {"district!", "season!", "rule_set!", "validate_only", "request_id"},
       "cuofeng list generate --district=districts/120119 "
       "--season=districts/120119/seasons/2018-2019 --rule_set=ruleSets/jizhou-2018",
       Server(ListGenerate)},
      {"list show",
       kLists,
       "区县部门、市级部门、核查人员",
       "查看清单及其减排目标核算",
       {"NAME"},
       {"output"},
       "cuofeng list show districts/120119/lists/1",
       Server(ListShow)},
      {"list versions",
       kLists,
       "区县部门、市级部门、核查人员",
       "本区的各版清单",
       {},
       With({"district!"}, kListFlags),
       "cuofeng list versions --district=districts/120119",
       Server(ListVersions)},
      {"list entries",
       kLists,
       "区县部门、市级部门、核查人员、企业（本企业）",
       "清单条目",
       {"NAME"},
       With({"enterprise"}, kListFlags),
       "cuofeng list entries districts/120119/lists/1 "
       "--enterprise=districts/120119/enterprises/e10001",
       Server(ListEntries)},
      {"list explain",
       kLists,
       "区县部门、市级部门、核查人员、企业（本企业）",
       "逐条规则说明条目为何如此",
       {"ENTRY"},
       {},
       "cuofeng list explain districts/120119/lists/1/entries/7",
       Server(ListExplain)},
      {"list diff",
       kLists,
       "区县部门、市级部门、核查人员",
       "两份清单之间的变化",
       {"BASE", "OTHER"},
       {"output"},
       "cuofeng list diff districts/120119/lists/1 districts/120119/lists/2",
       Server(ListDiff)},
      {"filing submit",
       kFiling,
       "区县部门",
       "向市里报送清单备案",
       {"LIST"},
       {"request_id"},
       "cuofeng filing submit districts/120119/lists/1",
       Server(FilingChange)},
      {"filing acknowledge",
       kFiling,
       "市级部门",
       "确认报送的清单或变更（确认后生效）",
       {"LIST"},
       {"request_id"},
       "cuofeng filing acknowledge districts/120119/lists/1",
       Server(FilingChange)},
      {"filing amend",
       kFiling,
       "区县部门",
       "用新草稿替换已备案清单（市里确认后生效）",
       {"FILED", "DRAFT"},
       {"reason!", "request_id"},
       "cuofeng filing amend districts/120119/lists/1 districts/120119/lists/2 "
       "--reason=\"新增企业\"",
       Server(FilingChange)},
      {"filing list",
       kFiling,
       "市级部门、区县部门、核查人员",
       "备案列表",
       {},
       With({"district", "state", "season"}, kListFlags),
       "cuofeng filing list --district=districts/- --state=FILED --season=2018-2019",
       Server(FilingList)},
      {"filing verify",
       kFiling,
       "能查看该区县的任何角色",
       "重新计算备案链的每个哈希（不完好时退出码 3，并指出第一份被改动的备案）",
       {},
       {"district!"},
       "cuofeng filing verify --district=districts/120119",
       Server(FilingVerify)},
      {"filing export",
       kFiling,
       "市级部门、区县部门",
       "按市里要求的格式导出文件",
       {"LIST"},
       {"xlsx", "csv"},
       "cuofeng filing export districts/120119/lists/1 --xlsx=list.xlsx --csv=list.csv",
       Server(FilingExport)},
      {"alert issue",
       kAlerts,
       "市级部门",
       "发布重污染天气预警",
       {},
       {"level!", "districts", "start_time", "end_time", "document", "request_id"},
       "cuofeng alert issue --level=ORANGE --districts=districts/120119 --start_time=\"2018-12-01 "
       "00:00\" --end_time=\"2018-12-04 00:00\" --document=津重污染指〔2018〕12号",
       Server(AlertIssue)},
      {"alert change",
       kAlerts,
       "市级部门",
       "提升、降低或延长生效中的预警",
       {"NAME"},
       {"level", "end_time", "document", "note", "request_id"},
       "cuofeng alert change alerts/1 --level=RED --note=\"升级为红色预警\"",
       Server(AlertChange)},
      {"alert lift",
       kAlerts,
       "市级部门",
       "解除预警",
       {"NAME"},
       {"at", "note", "request_id"},
       "cuofeng alert lift alerts/1",
       Server(AlertLift)},
      {"alert get",
       kAlerts,
       "所有角色",
       "查看一条预警的最新修订",
       {"NAME"},
       {"output"},
       "cuofeng alert get alerts/1",
       Server(AlertGet)},
      {"alert list",
       kAlerts,
       "所有角色",
       "预警列表",
       {},
       {"district", "include_history", "filter", "output"},
       "cuofeng alert list --district=districts/120119 --filter='level = 橙色'",
       Server(AlertList)},
      {"obligations get",
       kAlerts,
       "企业（本企业）、区县部门、市级部门、核查人员",
       "企业现在或任一时刻须执行的管控要求及依据",
       {"ENTERPRISE"},
       {"at", "output"},
       "cuofeng obligations get districts/120119/enterprises/e10001 --at=\"2018-12-02 10:00\"",
       Server(ObligationsGet)},
      {"obligations windows",
       kAlerts,
       "核查人员、区县部门",
       "一段时间内的所有管控时段",
       {},
       {"district!", "from!", "to!", "output"},
       "cuofeng obligations windows --district=districts/120119 --from=2018-12-01 "
       "--to=2018-12-04",
       Server(ObligationsWindows)},
      {"obligations watch",
       kAlerts,
       "企业",
       "要求一有变化就立即收到",
       {"ENTERPRISE"},
       {"count"},
       "cuofeng obligations watch districts/120119/enterprises/e10001",
       Server(ObligationsWatch)},
  };
  for (CommandSpec& s : ComplianceCommands()) {
    s.section = kCompliance;
    s.run = Server(s.run);
    c.push_back(std::move(s));
  }
  for (CommandSpec& s : NotifyCommands()) {
    s.section = "通知";
    s.run = Server(s.run);
    c.push_back(std::move(s));
  }
  for (CommandSpec& s : AccountCommands()) {
    s.section = absl::StartsWith(s.path, "admin") ? kKeys : "网页账户";
    s.run = Server(s.run);
    c.push_back(std::move(s));
  }
  for (CommandSpec& s : DocumentCommands()) {
    s.section = kDocuments;
    s.run = Server(s.run);
    c.push_back(std::move(s));
  }
  return c;
}

}  // namespace
}  // namespace cuofeng

int main(int argc, char** argv) {
  cuofeng::TuneMalloc(argv);  // may start the CLI again, with the heap settings
  static const std::vector<cuofeng::CommandSpec> commands = cuofeng::Commands();
  return cuofeng::RunCli(argc, argv, commands);
}
