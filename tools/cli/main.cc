// cuofeng: the command line for bureaus, the city, enterprises and verifiers.
// Run `cuofeng help` for the commands. Server and key come from --server and
// --key, or from CUOFENG_SERVER and CUOFENG_KEY.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lib/db/embedded_files.h"
#include "lib/db/migrations.h"
#include "lib/db/pool.h"
#include "lib/documents/list_document.h"
#include "lib/model/labels.h"
#include "lib/rpc/status.h"
#include "lib/rules/measures.h"
#include "lib/status/errors.h"
#include "services/core/key_store.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/compliance_commands.h"

ABSL_FLAG(std::string, server, "", "server address (default $CUOFENG_SERVER or 127.0.0.1:50051)");
ABSL_FLAG(std::string, key, "", "API key (default $CUOFENG_KEY)");
ABSL_FLAG(std::string, database, "", "libpq DSN, for migrate and admin bootstrap");
ABSL_FLAG(std::string, district, "", "district resource name, e.g. districts/120119");
ABSL_FLAG(std::string, role, "", "key role: admin, city, bureau, enterprise, verifier, service");
ABSL_FLAG(std::string, scope, "", "key scope: districts/{d} or districts/{d}/enterprises/{e}");
ABSL_FLAG(std::string, name, "", "display name");
ABSL_FLAG(std::string, city, "", "city of a district");
ABSL_FLAG(std::string, parent, "", "parent resource name for list");
ABSL_FLAG(std::string, filter, "", "list filter: field = \"value\" AND ...");
ABSL_FLAG(std::string, request_id, "", "makes a mutating command safe to retry");
ABSL_FLAG(bool, validate_only, false, "check everything, write nothing");
ABSL_FLAG(bool, quiet, false, "print only the essential result");
ABSL_FLAG(std::string, id, "", "id of a new rule set or season");
ABSL_FLAG(std::string, season, "", "season resource name, e.g. districts/120119/seasons/2018-2019");
ABSL_FLAG(std::string, rule_set, "", "rule set, ruleSets/{id} or ruleSets/{id}@{revision}");
ABSL_FLAG(std::string, start, "", "season start, YYYY-MM-DD");
ABSL_FLAG(std::string, end, "", "season end, YYYY-MM-DD");
ABSL_FLAG(std::string, filing_deadline, "", "filing deadline, YYYY-MM-DD");
ABSL_FLAG(std::string, enterprise, "", "enterprise resource name");
ABSL_FLAG(int, limit, 50, "how many entries to print");
ABSL_FLAG(std::string, month, "", "a month, YYYY-MM");
ABSL_FLAG(bool, staggered, true, "whether the month is in the staggered period");
ABSL_FLAG(std::string, note, "", "why (recorded with the change)");
ABSL_FLAG(std::string, reason, "", "the reason of an amendment");
ABSL_FLAG(std::string, state, "", "filter filings by state: SUBMITTED, FILED, SUPERSEDED");
ABSL_FLAG(std::string, xlsx, "", "write the list as XLSX to this file");
ABSL_FLAG(std::string, level, "", "alert level: YELLOW, ORANGE, RED");
ABSL_FLAG(std::string, districts, "", "comma list of districts/{d} an alert covers (empty: the whole city)");
ABSL_FLAG(std::string, start_time, "", "RFC 3339 time, e.g. 2018-12-20T08:00:00+08:00 (default now)");
ABSL_FLAG(std::string, end_time, "", "RFC 3339 time; empty: open-ended");
ABSL_FLAG(std::string, at, "", "RFC 3339 time (default now)");
ABSL_FLAG(std::string, from, "", "RFC 3339 time");
ABSL_FLAG(std::string, to, "", "RFC 3339 time");
ABSL_FLAG(std::string, document, "", "the city's document number (文号)");
ABSL_FLAG(int, count, 0, "watch: stop after this many sets (0: until interrupted)");
ABSL_FLAG(std::string, csv, "", "write the list as CSV to this file");

namespace cuofeng {
namespace {

constexpr char kUsage[] = R"(cuofeng COMMAND [flags]

Setup (against the database directly):
  migrate --database=DSN                   apply schema migrations
  admin bootstrap --database=DSN           create the first admin key and print it once
Keys and audit (admin):
  admin create-key --role=R [--scope=S] [--name=N]
  admin revoke-key apiKeys/ID
  admin whoami
  audit list [--parent=PREFIX]
Registry (bureau):
  district create ID --name=NAME [--city=CITY]       (admin) e.g. 120119 --name=蓟州区
  import registry DIR --district=districts/ID [--validate_only] [--request_id=R]
  export registry DIR --district=districts/ID
  registry get NAME
  registry list COLLECTION --parent=NAME [--filter=...]   e.g. enterprises --parent=districts/120119
  registry summary --district=districts/ID
Lists (bureau):
  ruleset load FILE --id=ID [--validate_only]       a rule set in protobuf text format
  ruleset list | ruleset get ruleSets/ID[@REVISION]
  season create --district=districts/ID --id=2018-2019 --start=2018-11-15 --end=2019-03-15 --filing_deadline=2018-10-31
  season adjust NAME --month=2019-03 --staggered=false --note="forecast good"   (SP1)
  list generate --district=districts/ID --season=NAME --rule_set=ruleSets/ID [--validate_only]
  list show NAME | list versions --district=districts/ID
  list entries NAME [--enterprise=NAME] [--limit=N]
  list explain ENTRY_NAME
  list diff BASE OTHER
Filing with the city (T78):
  filing submit LIST [--request_id=R]                         bureau
  filing acknowledge LIST [--request_id=R]                    city: files it (approves an amendment)
  filing amend FILED_LIST AMENDMENT_LIST --reason="..."       bureau: a new draft replaces the filed list once approved
  filing list [--district=districts/ID|districts/-] [--state=FILED] [--season=2018-2019]
  filing verify --district=districts/ID                       recomputes every hash of the chain
  filing export LIST --xlsx=FILE --csv=FILE                   the documents as the city expects them
Alerts (city) and obligations (everyone):
  alert issue --level=ORANGE [--districts=districts/120119,...] [--start_time=T] [--end_time=T] --document=文号
  alert change alerts/N [--level=RED] [--end_time=T] [--note=...]     raise, lower or extend
  alert lift alerts/N [--at=T]
  alert list [--district=districts/ID]
  obligations get districts/ID/enterprises/E [--at=T]                what binds each line, process, equipment
  obligations windows --district=districts/ID --from=T --to=T
  obligations watch districts/ID/enterprises/E [--count=N]            a new set on every change
Monitoring data and verification (service/bureau/enterprise send; verifier checks):
  ingest readings FILE...     meter,time,kind,value (INTERVAL_KWH, CUMULATIVE_KWH or KW)   exit 4: rows rejected
  ingest gate FILE...         camera,time,plate,direction,vehicle_class,photo,cargo,tonnage
  ingest ledger FILE...       enterprise,plate,time,direction,vin,...,emission_stage,...     (电子台账)
  verify run --district=districts/ID --from=T --to=T [--request_id=R]   verifier or bureau
  findings list --parent=districts/ID[/enterprises/E] [--type=STOP_NOT_KEPT] [--status=OPEN]
  findings get NAME | findings review NAME --decision=CONFIRM|DISMISS --comment=...   (verifier)
  findings explain NAME --text="..."                                    enterprise: 异常申报
  baselines list --parent=NAME | baselines override NAME --load_kw=KW --reason=...   (bureau)
  evidence FINDING --out=FILE.svg|FILE.png                              the load-curve chart
Flags: --server (or CUOFENG_SERVER), --key (or CUOFENG_KEY).
)";

std::string Server() {
  std::string s = absl::GetFlag(FLAGS_server);
  if (s.empty() && std::getenv("CUOFENG_SERVER") != nullptr) s = std::getenv("CUOFENG_SERVER");
  return s.empty() ? "127.0.0.1:50051" : s;
}

std::string Key() {
  std::string k = absl::GetFlag(FLAGS_key);
  if (k.empty() && std::getenv("CUOFENG_KEY") != nullptr) k = std::getenv("CUOFENG_KEY");
  return k;
}

int Fail(const absl::Status& status) { return cuofeng::Fail(status); }
int Fail(const grpc::Status& status) { return Fail(FromGrpcStatus(status)); }

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

int Migrate() {
  auto pool = ConnectionPool::Create(absl::GetFlag(FLAGS_database), 1);
  if (!pool.ok()) return Fail(pool.status());
  auto applied = ApplyMigrations(**pool, SqlMigrations());
  if (!applied.ok()) return Fail(applied.status());
  std::cout << (applied->empty() ? "schema is up to date"
                                 : absl::StrCat("applied ", absl::StrJoin(*applied, ", ")))
            << "\n";
  return 0;
}

int Bootstrap() {
  auto pool = ConnectionPool::Create(absl::GetFlag(FLAGS_database), 1);
  if (!pool.ok()) return Fail(pool.status());
  auto applied = ApplyMigrations(**pool, SqlMigrations());
  if (!applied.ok()) return Fail(applied.status());
  NewKey key;
  absl::Status status = InTransaction(**pool, [&](pqxx::work& tx) -> absl::Status {
    std::string name =
        absl::GetFlag(FLAGS_name).empty() ? "bootstrap admin" : absl::GetFlag(FLAGS_name);
    auto created = KeyStore::CreateKey(tx, name, Role::kAdmin, "", "bootstrap");
    if (!created.ok()) return created.status();
    key = *created;
    tx.exec_params0(
        "INSERT INTO core.audit_log (principal, method, resource, outcome, detail) "
        "VALUES ('bootstrap', 'AdminBootstrap', $1, 'OK', 'first admin key created from the CLI')",
        key.key.name());
    return absl::OkStatus();
  });
  if (!status.ok()) return Fail(status);
  if (absl::GetFlag(FLAGS_quiet)) {
    std::cout << key.secret << "\n";
  } else {
    std::cout << "admin key " << key.key.name() << " (shown once, store it safely):\n"
              << key.secret << "\n";
  }
  return 0;
}

int CreateKey() {
  auto stub = v1::AdminService::NewStub(Connect(Server()));
  v1::CreateApiKeyRequest req;
  std::optional<Role> role = ParseRole(absl::GetFlag(FLAGS_role));
  if (!role.has_value()) {
    std::cerr << "--role must be one of admin, city, bureau, enterprise, verifier, service\n";
    return 2;
  }
  req.mutable_api_key()->set_role(RoleToProto(*role));
  req.mutable_api_key()->set_scope(absl::GetFlag(FLAGS_scope));
  req.mutable_api_key()->set_display_name(absl::GetFlag(FLAGS_name));
  req.set_request_id(absl::GetFlag(FLAGS_request_id));
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  v1::CreateApiKeyResponse resp;
  grpc::Status s = stub->CreateApiKey(&ctx, req, &resp);
  if (!s.ok()) return Fail(s);
  if (absl::GetFlag(FLAGS_quiet)) {
    std::cout << resp.secret() << "\n";
  } else {
    std::cout << RoleName(*role) << " key " << resp.api_key().name()
              << (resp.api_key().scope().empty() ? "" : " for " + resp.api_key().scope())
              << " (shown once):\n"
              << resp.secret() << "\n";
  }
  return 0;
}

int CreateDistrict(const std::vector<std::string>& args) {
  if (args.size() < 3) {
    std::cerr << "usage: cuofeng district create ID --name=NAME [--city=CITY]\n";
    return 2;
  }
  auto stub = v1::RegistryService::NewStub(Connect(Server()));
  v1::CreateDistrictRequest req;
  req.set_district_id(args[2]);
  req.mutable_district()->set_display_name(absl::GetFlag(FLAGS_name));
  req.mutable_district()->set_city(absl::GetFlag(FLAGS_city));
  req.set_request_id(absl::GetFlag(FLAGS_request_id));
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  v1::District resp;
  grpc::Status s = stub->CreateDistrict(&ctx, req, &resp);
  if (!s.ok()) return Fail(s);
  std::cout << "created " << resp.name() << " " << resp.display_name() << "\n";
  return 0;
}

int Import(const std::vector<std::string>& args) {
  if (args.size() < 3 || args[1] != "registry") {
    std::cerr << "usage: cuofeng import registry DIR --district=districts/ID\n";
    return 2;
  }
  auto files = ReadTemplateDir(args[2]);
  if (!files.ok()) return Fail(files.status());
  auto stub = v1::RegistryService::NewStub(Connect(Server()));
  const bool tty = isatty(STDERR_FILENO);
  auto response = ImportFiles(*stub, Key(), absl::GetFlag(FLAGS_district), *files,
                              absl::GetFlag(FLAGS_validate_only), absl::GetFlag(FLAGS_request_id),
                              [&](int64_t sent, int64_t total) {
                                if (tty || sent == total) {
                                  std::cerr << "\rsending " << sent << "/" << total << " rows"
                                            << (sent == total ? "\n" : "") << std::flush;
                                }
                              });
  if (!response.ok()) return Fail(response.status());
  std::cout << (response->validate_only() ? "checked (nothing written): " : "imported: ")
            << response->created() << " created, " << response->updated() << " updated, "
            << response->unchanged() << " unchanged\n";
  for (const auto& c : response->counts()) {
    std::cout << "  " << c.kind() << ": " << c.created() << " created, " << c.updated()
              << " updated, " << c.unchanged() << " unchanged\n";
  }
  if (response->created() == 0 && response->updated() == 0) {
    std::cout << "nothing changed: the registry already holds exactly these rows\n";
  }
  return 0;
}

int Export(const std::vector<std::string>& args) {
  if (args.size() < 3 || args[1] != "registry") {
    std::cerr << "usage: cuofeng export registry DIR --district=districts/ID\n";
    return 2;
  }
  auto stub = v1::RegistryService::NewStub(Connect(Server()));
  auto rows = ExportToDir(*stub, Key(), absl::GetFlag(FLAGS_district), args[2]);
  if (!rows.ok()) return Fail(rows.status());
  std::cout << "exported " << *rows << " rows to " << args[2] << "\n";
  return 0;
}

// Any registry resource by name, through the generic descriptors.
int RegistryGet(const std::vector<std::string>& args) {
  if (args.size() < 3) {
    std::cerr << "usage: cuofeng registry get NAME\n";
    return 2;
  }
  const std::string& name = args[2];
  auto stub = v1::RegistryService::NewStub(Connect(Server()));
  // The kind is the second-to-last segment.
  std::string collection = name.substr(0, name.rfind('/'));
  collection = collection.substr(collection.rfind('/') + 1);
  static const std::map<std::string, std::string> kMethod = {{"districts", "District"},
                                                             {"townships", "Township"},
                                                             {"enterprises", "Enterprise"},
                                                             {"lines", "ProductionLine"},
                                                             {"processes", "Process"},
                                                             {"equipment", "Equipment"},
                                                             {"meters", "Meter"},
                                                             {"cameras", "Camera"},
                                                             {"vehicles", "Vehicle"},
                                                             {"retrofitTasks", "RetrofitTask"},
                                                             {"emissionTotals", "EmissionTotal"},
                                                             {"whitelistEntries", "WhitelistEntry"}};
  auto it = kMethod.find(collection);
  if (it == kMethod.end()) {
    std::cerr << "\"" << name << "\" is not a registry resource name\n";
    return 2;
  }
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  grpc::Status s;
  std::unique_ptr<google::protobuf::Message> out;
#define CUOFENG_GET(Msg)                 \
  if (it->second == #Msg) {              \
    v1::Get##Msg##Request req;           \
    req.set_name(name);                  \
    auto* resp = new v1::Msg;            \
    out.reset(resp);                     \
    s = stub->Get##Msg(&ctx, req, resp); \
  }
  CUOFENG_GET(District)
  CUOFENG_GET(Township) CUOFENG_GET(Enterprise) CUOFENG_GET(ProductionLine) CUOFENG_GET(Process)
      CUOFENG_GET(Equipment) CUOFENG_GET(Meter) CUOFENG_GET(Camera) CUOFENG_GET(Vehicle)
          CUOFENG_GET(RetrofitTask) CUOFENG_GET(EmissionTotal)
#undef CUOFENG_GET
              if (!s.ok()) return Fail(s);
  std::cout << Json(*out);
  return 0;
}

// Counts of a district's registry and the facts the plan cares about, as a
// bureau clerk reads them.
int Summary() {
  auto stub = v1::RegistryService::NewStub(Connect(Server()));
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  v1::ReadDistrictSnapshotRequest req;
  req.set_district(absl::GetFlag(FLAGS_district));
  auto reader = stub->ReadDistrictSnapshot(&ctx, req);
  v1::DistrictSnapshotChunk chunk;
  v1::District district;
  std::map<std::string, int64_t> counts;
  std::map<std::string, int64_t> by_industry;
  int64_t restricted = 0, livelihood = 0, bulk = 0, overdue = 0, kilns_off_list = 0,
          high_stacks_without_cems = 0, benchmark_candidates = 0;
  const std::string today = "2018-11-01";  // the plan's reference date
  while (reader->Read(&chunk)) {
    if (chunk.has_district()) district = chunk.district();
    counts["townships"] += chunk.townships_size();
    counts["enterprises"] += chunk.enterprises_size();
    counts["production lines"] += chunk.production_lines_size();
    counts["processes"] += chunk.processes_size();
    counts["equipment"] += chunk.equipment_size();
    counts["meters"] += chunk.meters_size();
    counts["gate cameras"] += chunk.cameras_size();
    counts["vehicles"] += chunk.vehicles_size();
    counts["retrofit tasks"] += chunk.retrofit_tasks_size();
    counts["emission totals"] += chunk.emission_totals_size();
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
  std::cout << "Registry of " << district.display_name() << " (" << district.name() << "), "
            << district.city() << "\n";
  for (const auto& [what, n] : counts) std::cout << "  " << what << ": " << n << "\n";
  std::cout << "Enterprises by industry:\n";
  for (const auto& [industry, n] : by_industry) {
    std::cout << "  " << ChineseLabel(industry) << " " << industry << ": " << n << "\n";
  }
  std::cout << "What the staggered-production rules will look at:\n"
            << "  restricted-class enterprises (限制类, T77): " << restricted << "\n"
            << "  livelihood duties, heating or waste co-processing (民生保障): " << livelihood
            << "\n"
            << "  bulk-transport enterprises (大宗物料运输, T79): " << bulk << "\n"
            << "  retrofit tasks past deadline and unfinished on " << today << " (T77): " << overdue
            << "\n"
            << "  kilns/cupolas not on the kiln management list (T54): " << kilns_off_list << "\n"
            << "  stacks over 45 m without CEMS at >= 90% (T81, T83): " << high_stacks_without_cems
            << "\n"
            << "  foundry melting equipment within 20/100 mg/m3 (benchmark candidates, §26): "
            << benchmark_candidates << "\n";
  return 0;
}

int List(const std::vector<std::string>& args) {
  if (args.size() < 3) {
    std::cerr << "usage: cuofeng registry list COLLECTION --parent=NAME [--filter=...]\n";
    return 2;
  }
  auto stub = v1::RegistryService::NewStub(Connect(Server()));
  const std::string& what = args[2];
  int64_t shown = 0;
  std::string token;
  grpc::Status s;
#define CUOFENG_LIST(coll, Plural, field, ...)     \
  if (what == coll) {                              \
    do {                                           \
      grpc::ClientContext ctx;                     \
      AddKey(&ctx, Key());                         \
      v1::List##Plural##Request req;               \
      __VA_ARGS__;                                 \
      req.set_page_size(500);                      \
      req.set_page_token(token);                   \
      req.set_filter(absl::GetFlag(FLAGS_filter)); \
      v1::List##Plural##Response resp;             \
      s = stub->List##Plural(&ctx, req, &resp);    \
      if (!s.ok()) return Fail(s);                 \
      for (const auto& r : resp.field()) {         \
        std::cout << r.name() << "\n";             \
        ++shown;                                   \
      }                                            \
      token = resp.next_page_token();              \
    } while (!token.empty());                      \
    std::cerr << shown << " " << what << "\n";     \
    return 0;                                      \
  }
  CUOFENG_LIST("districts", Districts, districts, (void)0)
  CUOFENG_LIST("townships", Townships, townships, req.set_parent(absl::GetFlag(FLAGS_parent)))
  CUOFENG_LIST("enterprises", Enterprises, enterprises, req.set_parent(absl::GetFlag(FLAGS_parent)))
  CUOFENG_LIST("lines", ProductionLines, production_lines,
               req.set_parent(absl::GetFlag(FLAGS_parent)))
  CUOFENG_LIST("processes", Processes, processes, req.set_parent(absl::GetFlag(FLAGS_parent)))
  CUOFENG_LIST("equipment", Equipment, equipment, req.set_parent(absl::GetFlag(FLAGS_parent)))
  CUOFENG_LIST("meters", Meters, meters, req.set_parent(absl::GetFlag(FLAGS_parent)))
  CUOFENG_LIST("cameras", Cameras, cameras, req.set_parent(absl::GetFlag(FLAGS_parent)))
  CUOFENG_LIST("vehicles", Vehicles, vehicles, req.set_parent(absl::GetFlag(FLAGS_parent)))
  CUOFENG_LIST("retrofitTasks", RetrofitTasks, retrofit_tasks,
               req.set_parent(absl::GetFlag(FLAGS_parent)))
  CUOFENG_LIST("emissionTotals", EmissionTotals, emission_totals,
               req.set_parent(absl::GetFlag(FLAGS_parent)))
  CUOFENG_LIST("whitelistEntries", WhitelistEntries, whitelist_entries,
               req.set_parent(absl::GetFlag(FLAGS_parent)))
#undef CUOFENG_LIST
  std::cerr << "unknown collection \"" << what << "\"\n";
  return 2;
}

int AuditList() {
  auto stub = v1::AdminService::NewStub(Connect(Server()));
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  v1::ListAuditEntriesRequest req;
  req.set_resource_prefix(absl::GetFlag(FLAGS_parent));
  req.set_page_size(200);
  v1::ListAuditEntriesResponse resp;
  grpc::Status s = stub->ListAuditEntries(&ctx, req, &resp);
  if (!s.ok()) return Fail(s);
  for (const auto& e : resp.audit_entries()) {
    std::cout << e.id() << "\t" << e.principal() << "\t" << e.method() << "\t" << e.resource()
              << "\t" << e.outcome() << (e.detail().empty() ? "" : "\t" + e.detail()) << "\n";
  }
  return 0;
}

int WhoAmI() {
  auto stub = v1::AdminService::NewStub(Connect(Server()));
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  v1::ApiKey resp;
  grpc::Status s = stub->GetCaller(&ctx, v1::GetCallerRequest(), &resp);
  if (!s.ok()) return Fail(s);
  std::cout << Json(resp);
  return 0;
}

int RevokeKey(const std::vector<std::string>& args) {
  if (args.size() < 3) {
    std::cerr << "usage: cuofeng admin revoke-key apiKeys/ID\n";
    return 2;
  }
  auto stub = v1::AdminService::NewStub(Connect(Server()));
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  v1::RevokeApiKeyRequest req;
  req.set_name(args[2]);
  v1::ApiKey resp;
  grpc::Status s = stub->RevokeApiKey(&ctx, req, &resp);
  if (!s.ok()) return Fail(s);
  std::cout << "revoked " << resp.name() << "\n";
  return 0;
}

std::string Fixed(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

void PrintList(const v1::ListVersion& l) {
  std::cout << "清单 list " << (l.name().empty() ? "(dry run)" : l.name()) << "  "
            << v1::ListState_Name(l.state()) << "\n"
            << "  season " << l.season() << ", rule set " << l.rule_set() << " revision "
            << l.rule_set_revision() << " (sha256 " << l.rule_set_sha256().substr(0, 12) << "…)\n"
            << "  " << l.entry_count() << " entries: " << l.restricted() << " restricted, "
            << l.exempt() << " exempt, " << l.guaranteed() << " livelihood guarantees, "
            << l.data_missing() << " with data missing\n"
            << "  content sha256 " << l.content_sha256() << "\n";
  std::cout << "  错峰时段 staggered periods:";
  for (const auto& p : l.staggered_periods()) std::cout << " " << p.start() << "~" << p.end();
  std::cout << "\n"
            << "减排目标核算 (cut against the district inventory, T74):\n";
  for (const auto& proof : l.proof()) {
    std::cout << "  " << v1::AlertLevel_Name(proof.level())
              << (proof.escalated_entries()
                      ? " (escalated " + std::to_string(proof.escalated_entries()) +
                            " entries, EM2/T75)"
                      : "")
              << "\n";
    for (const auto& c : proof.cuts()) {
      std::cout << "    " << v1::Pollutant_Name(c.pollutant()) << ": cut " << Fixed(c.cut_tonnes())
                << " of " << Fixed(c.inventory_tonnes()) << " t = " << Fixed(c.cut_percent())
                << "% (target " << Fixed(c.target_percent(), 0) << "%) "
                << (c.met() ? "met" : "NOT MET");
      if (!c.met()) std::cout << ", short by " << Fixed(c.shortfall_tonnes()) << " t";
      std::cout << "\n";
      for (const auto& b : c.blocked_by()) std::cout << "      blocked by: " << b << "\n";
    }
  }
}

int RuleSetCommand(const std::vector<std::string>& args) {
  auto stub = v1::PlanningService::NewStub(Connect(Server()));
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  if (args.size() >= 3 && args[1] == "load") {
    std::ifstream in(args[2]);
    if (!in) {
      std::cerr << "cannot read " << args[2] << "\n";
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    v1::CreateRuleSetRequest req;
    req.set_rule_set_id(absl::GetFlag(FLAGS_id));
    req.set_text(text.str());
    req.set_validate_only(absl::GetFlag(FLAGS_validate_only));
    v1::RuleSet rs;
    grpc::Status st = stub->CreateRuleSet(&ctx, req, &rs);
    if (!st.ok()) return Fail(st);
    std::cout << (req.validate_only() ? "checked " : "loaded ") << rs.name() << " revision "
              << rs.revision() << " (sha256 " << rs.sha256() << "): " << rs.measure_tables_size()
              << " measure tables, " << rs.targets_size() << " targets\n";
    return 0;
  }
  if (args.size() >= 3 && args[1] == "get") {
    v1::GetRuleSetRequest req;
    req.set_name(args[2]);
    v1::RuleSet rs;
    grpc::Status st = stub->GetRuleSet(&ctx, req, &rs);
    if (!st.ok()) return Fail(st);
    std::cout << Json(rs);
    return 0;
  }
  if (args.size() >= 2 && args[1] == "list") {
    v1::ListRuleSetsResponse resp;
    grpc::Status st = stub->ListRuleSets(&ctx, v1::ListRuleSetsRequest(), &resp);
    if (!st.ok()) return Fail(st);
    for (const auto& rs : resp.rule_sets()) {
      std::cout << rs.name() << "@" << rs.revision() << "\t" << rs.display_name() << "\n";
    }
    return 0;
  }
  std::cerr << kUsage;
  return 2;
}

// season adjust NAME --month=YYYY-MM --staggered=true|false --note=WHY
int AdjustSeason(const std::vector<std::string>& args) {
  if (args.size() < 3) {
    std::cerr << kUsage;
    return 2;
  }
  auto stub = v1::PlanningService::NewStub(Connect(Server()));
  v1::GetSeasonRequest get;
  get.set_name(args[2]);
  v1::Season season;
  {
    grpc::ClientContext ctx;
    AddKey(&ctx, Key());
    grpc::Status st = stub->GetSeason(&ctx, get, &season);
    if (!st.ok()) return Fail(st);
  }
  v1::MonthAdjustment* a = nullptr;
  for (auto& x : *season.mutable_adjustments()) {
    if (x.month() == absl::GetFlag(FLAGS_month)) a = &x;
  }
  if (a == nullptr) a = season.add_adjustments();
  a->set_month(absl::GetFlag(FLAGS_month));
  a->set_staggered(absl::GetFlag(FLAGS_staggered));
  a->set_reason(absl::GetFlag(FLAGS_note));
  v1::UpdateSeasonRequest req;
  *req.mutable_season() = season;
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  v1::Season updated;
  grpc::Status st = stub->UpdateSeason(&ctx, req, &updated);
  if (!st.ok()) return Fail(st);
  std::cout << "updated " << updated.name() << ": " << updated.adjustments_size()
            << " month adjustment(s)\n";
  return 0;
}

int SeasonCommand(const std::vector<std::string>& args) {
  if (args.size() >= 2 && args[1] == "adjust") return AdjustSeason(args);
  if (args.size() < 2 || args[1] != "create") {
    std::cerr << kUsage;
    return 2;
  }
  auto stub = v1::PlanningService::NewStub(Connect(Server()));
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  v1::CreateSeasonRequest req;
  req.set_parent(absl::GetFlag(FLAGS_district));
  req.set_season_id(absl::GetFlag(FLAGS_id));
  req.mutable_season()->set_start(absl::GetFlag(FLAGS_start));
  req.mutable_season()->set_end(absl::GetFlag(FLAGS_end));
  req.mutable_season()->set_filing_deadline(absl::GetFlag(FLAGS_filing_deadline));
  v1::Season season;
  grpc::Status st = stub->CreateSeason(&ctx, req, &season);
  if (!st.ok()) return Fail(st);
  std::cout << "created " << season.name() << ": " << season.start() << " to " << season.end()
            << ", filing deadline " << season.filing_deadline() << "\n";
  return 0;
}

void PrintEntry(const v1::ListEntry& e) {
  std::cout << e.name() << "\n  " << e.resource() << "  " << e.resource_name() << " ("
            << v1::EntryKind_Name(e.kind()) << (e.escalated() ? ", escalated" : "") << ", from "
            << e.effective_from() << ")\n  season: " << Describe(e.season())
            << "\n  yellow: " << Describe(e.yellow()) << "\n  orange: " << Describe(e.orange())
            << "\n  red: " << Describe(e.red()) << "\n  because:";
  for (const auto& r : e.reasons())
    std::cout << " [" << r.rule_id() << " " << r.seed_clause() << "]";
  std::cout << "\n";
}

int ListCommand(const std::vector<std::string>& args) {
  auto stub = v1::PlanningService::NewStub(Connect(Server()));
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  const std::string verb = args.size() >= 2 ? args[1] : "";
  if (verb == "generate") {
    v1::GenerateListRequest req;
    req.set_parent(absl::GetFlag(FLAGS_district));
    req.set_season(absl::GetFlag(FLAGS_season));
    req.set_rule_set(absl::GetFlag(FLAGS_rule_set));
    req.set_validate_only(absl::GetFlag(FLAGS_validate_only));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    v1::ListVersion l;
    grpc::Status st = stub->GenerateList(&ctx, req, &l);
    if (!st.ok()) return Fail(st);
    if (req.validate_only()) std::cout << "dry run: nothing stored\n";
    PrintList(l);
    return 0;
  }
  if (verb == "show" && args.size() >= 3) {
    v1::GetListVersionRequest req;
    req.set_name(args[2]);
    v1::ListVersion l;
    grpc::Status st = stub->GetListVersion(&ctx, req, &l);
    if (!st.ok()) return Fail(st);
    PrintList(l);
    return 0;
  }
  if (verb == "versions") {
    v1::ListListVersionsRequest req;
    req.set_parent(absl::GetFlag(FLAGS_district));
    v1::ListListVersionsResponse resp;
    grpc::Status st = stub->ListListVersions(&ctx, req, &resp);
    if (!st.ok()) return Fail(st);
    for (const auto& l : resp.list_versions()) {
      std::cout << l.name() << "\t" << v1::ListState_Name(l.state()) << "\t" << l.entry_count()
                << " entries\t" << l.rule_set() << "@" << l.rule_set_revision() << "\t"
                << l.content_sha256().substr(0, 12) << "\n";
    }
    return 0;
  }
  if (verb == "entries" && args.size() >= 3) {
    v1::ListEntriesRequest req;
    req.set_parent(args[2]);
    req.set_enterprise(absl::GetFlag(FLAGS_enterprise));
    req.set_page_size(absl::GetFlag(FLAGS_limit));
    v1::ListEntriesResponse resp;
    grpc::Status st = stub->ListEntries(&ctx, req, &resp);
    if (!st.ok()) return Fail(st);
    for (const auto& e : resp.entries()) PrintEntry(e);
    if (!resp.next_page_token().empty())
      std::cout << "(more: raise --limit or narrow with --enterprise)\n";
    return 0;
  }
  if (verb == "explain" && args.size() >= 3) {
    v1::ExplainEntryRequest req;
    req.set_name(args[2]);
    v1::ExplainEntryResponse resp;
    grpc::Status st = stub->ExplainEntry(&ctx, req, &resp);
    if (!st.ok()) return Fail(st);
    std::cout << resp.explanation();
    return 0;
  }
  if (verb == "diff" && args.size() >= 4) {
    v1::DiffListsRequest req;
    req.set_base(args[2]);
    req.set_other(args[3]);
    v1::DiffListsResponse resp;
    grpc::Status st = stub->DiffLists(&ctx, req, &resp);
    if (!st.ok()) return Fail(st);
    for (const auto& c : resp.changes()) {
      std::cout << v1::EntryChange::Change_Name(c.change()) << "\t" << c.summary() << "\n";
    }
    std::cout << resp.changes_size() << " changes\n";
    return 0;
  }
  std::cerr << kUsage;
  return 2;
}

void PrintFiling(const v1::Filing& f) {
  std::cout << "备案 filing " << f.list() << "  " << v1::ListState_Name(f.state())
            << (f.late() ? " (LATE)" : "") << "\n  chain position " << f.seq() << ", "
            << f.entry_count() << " entries, content sha256 " << f.content_sha256()
            << "\n  link sha256 " << f.sha256() << " (previous "
            << (f.previous_sha256().empty() ? "none" : f.previous_sha256().substr(0, 16) + "…")
            << ")\n"
            << "  submitted by " << f.submitted_by();
  if (!f.acknowledged_by().empty()) std::cout << ", acknowledged by " << f.acknowledged_by();
  std::cout << "\n";
  if (!f.amends().empty()) std::cout << "  amends " << f.amends() << ": " << f.reason() << "\n";
  constexpr int kShown = 10;
  for (int i = 0; i < f.changes_size() && i < kShown; ++i)
    std::cout << "    " << f.changes(i) << "\n";
  if (f.changes_size() > kShown) {
    std::cout << "    … " << f.changes_size() - kShown << " more: cuofeng list diff " << f.amends()
              << " " << f.list() << "\n";
  }
}

int FilingCommand(const std::vector<std::string>& args) {
  auto stub = v1::FilingService::NewStub(Connect(Server()));
  auto planning = v1::PlanningService::NewStub(Connect(Server()));
  const std::string verb = args.size() >= 2 ? args[1] : "";
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  v1::Filing filing;
  grpc::Status st;
  if (verb == "submit" && args.size() >= 3) {
    v1::SubmitListRequest req;
    req.set_name(args[2]);
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    st = stub->SubmitList(&ctx, req, &filing);
  } else if (verb == "acknowledge" && args.size() >= 3) {
    v1::AcknowledgeFilingRequest req;
    req.set_name(args[2]);
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    st = stub->AcknowledgeFiling(&ctx, req, &filing);
  } else if (verb == "amend" && args.size() >= 4) {
    v1::AmendFilingRequest req;
    req.set_filed(args[2]);
    req.set_amendment(args[3]);
    req.set_reason(absl::GetFlag(FLAGS_reason));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    st = stub->AmendFiling(&ctx, req, &filing);
  } else if (verb == "list") {
    v1::ListFilingsRequest req;
    req.set_parent(absl::GetFlag(FLAGS_district).empty() ? "districts/-"
                                                         : absl::GetFlag(FLAGS_district));
    v1::ListState state = v1::LIST_STATE_UNSPECIFIED;
    if (!absl::GetFlag(FLAGS_state).empty() &&
        !v1::ListState_Parse(absl::GetFlag(FLAGS_state), &state)) {
      std::cerr << "--state must be SUBMITTED, FILED or SUPERSEDED\n";
      return 2;
    }
    req.set_state(state);
    req.set_season(absl::GetFlag(FLAGS_season));
    v1::ListFilingsResponse resp;
    st = stub->ListFilings(&ctx, req, &resp);
    if (!st.ok()) return Fail(st);
    for (const auto& f : resp.filings()) {
      std::cout << f.list() << "\t" << v1::ListState_Name(f.state()) << (f.late() ? " late" : "")
                << "\t#" << f.seq() << "\t" << f.entry_count() << " entries\t"
                << f.sha256().substr(0, 16) << (f.amends().empty() ? "" : "\tamends " + f.amends())
                << "\n";
    }
    std::cout << resp.filings_size() << " filings\n";
    return 0;
  } else if (verb == "verify") {
    v1::VerifyChainRequest req;
    req.set_district(absl::GetFlag(FLAGS_district));
    v1::VerifyChainResponse resp;
    st = stub->VerifyChain(&ctx, req, &resp);
    if (!st.ok()) return Fail(st);
    if (resp.intact()) {
      std::cout << "intact: " << resp.filings_checked() << " filings and " << resp.entries_checked()
                << " entries recomputed, every hash matches\n";
      return 0;
    }
    std::cout << "TAMPERED: " << resp.problem()
              << "\n  first filing that no longer matches: " << resp.first_bad_filing() << "\n";
    if (!resp.first_bad_entry().empty())
      std::cout << "  first entry that no longer matches: " << resp.first_bad_entry() << "\n";
    return 3;
  } else if (verb == "export" && args.size() >= 3) {
    ListDocument doc;
    v1::GetListVersionRequest get;
    get.set_name(args[2]);
    st = planning->GetListVersion(&ctx, get, &doc.list);
    if (!st.ok()) return Fail(st);
    std::string token;
    do {
      grpc::ClientContext page_ctx;
      AddKey(&page_ctx, Key());
      v1::ListEntriesRequest req;
      req.set_parent(args[2]);
      req.set_page_size(1000);
      req.set_page_token(token);
      v1::ListEntriesResponse resp;
      st = planning->ListEntries(&page_ctx, req, &resp);
      if (!st.ok()) return Fail(st);
      for (auto& e : *resp.mutable_entries()) doc.entries.push_back(std::move(e));
      token = resp.next_page_token();
    } while (!token.empty());
    grpc::ClientContext filings_ctx;
    AddKey(&filings_ctx, Key());
    v1::ListFilingsRequest fr;
    fr.set_parent(doc.list.name().substr(0, doc.list.name().find("/lists/")));
    fr.set_page_size(1000);
    v1::ListFilingsResponse filings;
    if (stub->ListFilings(&filings_ctx, fr, &filings).ok()) {
      for (const auto& f : filings.filings()) {
        if (f.list() == doc.list.name()) doc.filing = f;
      }
    }
    if (!absl::GetFlag(FLAGS_xlsx).empty()) {
      absl::Status written = WriteListXlsx(doc, absl::GetFlag(FLAGS_xlsx));
      if (!written.ok()) return Fail(written);
      std::cout << "wrote " << absl::GetFlag(FLAGS_xlsx) << " (" << doc.entries.size()
                << " rows)\n";
    }
    if (!absl::GetFlag(FLAGS_csv).empty()) {
      std::ofstream out(absl::GetFlag(FLAGS_csv), std::ios::binary);
      out << ListCsv(doc);
      if (!out) return Fail(absl::InternalError("cannot write " + absl::GetFlag(FLAGS_csv)));
      std::cout << "wrote " << absl::GetFlag(FLAGS_csv) << "\n";
    }
    return 0;
  } else {
    std::cerr << kUsage;
    return 2;
  }
  if (!st.ok()) return Fail(st);
  PrintFiling(filing);
  return 0;
}

bool ParseTimeFlag(const std::string& text, google::protobuf::Timestamp* out) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    std::cerr << "\"" << text << "\" is not an RFC 3339 time (e.g. 2018-12-20T08:00:00+08:00): " << err << "\n";
    return false;
  }
  out->set_seconds(absl::ToUnixSeconds(t));
  return true;
}

std::string TimeText(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(ts.seconds()), absl::FixedTimeZone(8 * 3600));
}

void PrintAlert(const v1::Alert& a) {
  std::cout << a.name() << " r" << a.revision() << "  " << v1::AlertLevel_Name(a.level()) << (a.lifted() ? " LIFTED" : "")
            << "  " << (a.districts().empty() ? "全市 whole city" : absl::StrJoin(a.districts(), ",")) << "  "
            << TimeText(a.start_time()) << " ~ " << (a.has_end_time() ? TimeText(a.end_time()) : "until lifted")
            << "  " << a.document_number() << "\n";
}

void PrintObligations(const v1::ObligationSet& set) {
  std::cout << set.enterprise() << " at " << TimeText(set.at()) << " (China time): "
            << (set.list().empty() ? "no filed list binds" : "list " + set.list()) << ", alert "
            << (set.level() == v1::ALERT_LEVEL_UNSPECIFIED ? "none" : v1::AlertLevel_Name(set.level())) << "\n";
  for (const auto& o : set.obligations()) {
    v1::Measure m;
    m.set_action(o.action());
    m.set_percent(o.percent());
    m.set_transport(o.transport());
    m.set_stop_non_road(o.stop_non_road());
    std::cout << "  " << o.resource().substr(set.enterprise().size()) << " " << o.resource_name() << ": "
              << Describe(m) << "\n     "
              << (o.has_window_start() ? TimeText(o.window_start()) : "…") << " ~ "
              << (o.has_window_end() ? TimeText(o.window_end()) : "until further notice") << "; " << o.reason() << "\n";
  }
}

int AlertCommand(const std::vector<std::string>& args) {
  auto stub = v1::AlertService::NewStub(Connect(Server()));
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  const std::string verb = args.size() >= 2 ? args[1] : "";
  v1::Alert alert;
  grpc::Status st;
  if (verb == "issue") {
    v1::IssueAlertRequest req;
    v1::AlertLevel level = v1::ALERT_LEVEL_UNSPECIFIED;
    if (!absl::GetFlag(FLAGS_level).empty()) v1::AlertLevel_Parse(absl::GetFlag(FLAGS_level), &level);
    req.mutable_alert()->set_level(level);
    for (auto d : absl::StrSplit(absl::GetFlag(FLAGS_districts), ',', absl::SkipEmpty())) {
      req.mutable_alert()->add_districts(std::string(d));
    }
    if (!absl::GetFlag(FLAGS_start_time).empty() &&
        !ParseTimeFlag(absl::GetFlag(FLAGS_start_time), req.mutable_alert()->mutable_start_time())) {
      return 2;
    }
    if (!absl::GetFlag(FLAGS_end_time).empty() &&
        !ParseTimeFlag(absl::GetFlag(FLAGS_end_time), req.mutable_alert()->mutable_end_time())) {
      return 2;
    }
    req.mutable_alert()->set_document_number(absl::GetFlag(FLAGS_document));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    st = stub->IssueAlert(&ctx, req, &alert);
  } else if (verb == "change" && args.size() >= 3) {
    v1::ChangeAlertRequest req;
    req.set_name(args[2]);
    v1::AlertLevel level = v1::ALERT_LEVEL_UNSPECIFIED;
    if (!absl::GetFlag(FLAGS_level).empty()) v1::AlertLevel_Parse(absl::GetFlag(FLAGS_level), &level);
    req.set_level(level);
    if (!absl::GetFlag(FLAGS_end_time).empty() && !ParseTimeFlag(absl::GetFlag(FLAGS_end_time), req.mutable_end_time())) {
      return 2;
    }
    req.set_note(absl::GetFlag(FLAGS_note));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    st = stub->ChangeAlert(&ctx, req, &alert);
  } else if (verb == "lift" && args.size() >= 3) {
    v1::LiftAlertRequest req;
    req.set_name(args[2]);
    if (!absl::GetFlag(FLAGS_at).empty() && !ParseTimeFlag(absl::GetFlag(FLAGS_at), req.mutable_lift_time())) return 2;
    req.set_note(absl::GetFlag(FLAGS_note));
    st = stub->LiftAlert(&ctx, req, &alert);
  } else if (verb == "list") {
    v1::ListAlertsRequest req;
    req.set_district(absl::GetFlag(FLAGS_district));
    v1::ListAlertsResponse resp;
    st = stub->ListAlerts(&ctx, req, &resp);
    if (!st.ok()) return Fail(st);
    for (const auto& a : resp.alerts()) PrintAlert(a);
    return 0;
  } else {
    std::cerr << kUsage;
    return 2;
  }
  if (!st.ok()) return Fail(st);
  PrintAlert(alert);
  return 0;
}

int ObligationsCommand(const std::vector<std::string>& args) {
  auto stub = v1::ObligationService::NewStub(Connect(Server()));
  grpc::ClientContext ctx;
  AddKey(&ctx, Key());
  const std::string verb = args.size() >= 2 ? args[1] : "";
  if (verb == "get" && args.size() >= 3) {
    v1::GetObligationsRequest req;
    req.set_enterprise(args[2]);
    if (!absl::GetFlag(FLAGS_at).empty() && !ParseTimeFlag(absl::GetFlag(FLAGS_at), req.mutable_at())) return 2;
    v1::ObligationSet set;
    grpc::Status st = stub->GetObligations(&ctx, req, &set);
    if (!st.ok()) return Fail(st);
    PrintObligations(set);
    return 0;
  }
  if (verb == "windows") {
    v1::ListObligationWindowsRequest req;
    req.set_district(absl::GetFlag(FLAGS_district));
    if (!ParseTimeFlag(absl::GetFlag(FLAGS_from), req.mutable_from()) ||
        !ParseTimeFlag(absl::GetFlag(FLAGS_to), req.mutable_to())) {
      return 2;
    }
    v1::ListObligationWindowsResponse resp;
    grpc::Status st = stub->ListObligationWindows(&ctx, req, &resp);
    if (!st.ok()) return Fail(st);
    for (const auto& o : resp.obligations()) {
      std::cout << o.resource() << "\t" << v1::Action_Name(o.action()) << (o.percent() > 0 ? " " + std::to_string(static_cast<int>(o.percent())) + "%" : "")
                << "\t" << TimeText(o.window_start()) << " ~ " << TimeText(o.window_end()) << "\t"
                << (o.level() == v1::ALERT_LEVEL_UNSPECIFIED ? "season" : v1::AlertLevel_Name(o.level())) << "\n";
    }
    std::cout << resp.obligations_size() << " obligation windows\n";
    return 0;
  }
  if (verb == "watch" && args.size() >= 3) {
    v1::WatchObligationsRequest req;
    req.set_enterprise(args[2]);
    auto reader = stub->WatchObligations(&ctx, req);
    v1::ObligationSet set;
    int n = 0;
    while (reader->Read(&set)) {
      PrintObligations(set);
      std::cout << std::flush;
      if (absl::GetFlag(FLAGS_count) > 0 && ++n >= absl::GetFlag(FLAGS_count)) {
        ctx.TryCancel();
        break;
      }
    }
    grpc::Status st = reader->Finish();
    if (!st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) return Fail(st);
    return 0;
  }
  std::cerr << kUsage;
  return 2;
}

}  // namespace
}  // namespace cuofeng

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(cuofeng::kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> args(positional.begin() + 1, positional.end());
  auto is = [&](std::initializer_list<const char*> words) {
    size_t i = 0;
    for (const char* w : words) {
      if (i >= args.size() || args[i] != w) return false;
      ++i;
    }
    return true;
  };
  using namespace cuofeng;
  if (is({"migrate"})) return Migrate();
  if (is({"admin", "bootstrap"})) return Bootstrap();
  if (is({"admin", "create-key"})) return CreateKey();
  if (is({"admin", "revoke-key"})) return RevokeKey(args);
  if (is({"admin", "whoami"})) return WhoAmI();
  if (is({"audit", "list"})) return AuditList();
  if (is({"district", "create"})) return CreateDistrict(args);
  if (is({"import"})) return Import(args);
  if (is({"export"})) return Export(args);
  if (is({"registry", "get"})) return RegistryGet(args);
  if (is({"registry", "list"})) return List(args);
  if (is({"registry", "summary"})) return Summary();
  if (is({"ruleset"})) return RuleSetCommand(args);
  if (is({"season"})) return SeasonCommand(args);
  if (is({"list"})) return ListCommand(args);
  if (is({"filing"})) return FilingCommand(args);
  if (is({"alert"})) return AlertCommand(args);
  if (is({"obligations"})) return ObligationsCommand(args);
  if (is({"ingest"}) || is({"verify"}) || is({"findings"}) || is({"baselines"}) ||
      is({"evidence"}) || is({"meters"})) {
    return ComplianceCommand(args, Server(), Key());
  }
  std::cerr << kUsage;
  return args.empty() || is({"help"}) ? 0 : 2;
}
