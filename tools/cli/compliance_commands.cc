// The CLI's compliance commands: ingest, verify, findings, baselines, evidence.
#include "tools/cli/compliance_commands.h"

#include <unistd.h>

#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/charts/load_chart.h"
#include "lib/model/clock.h"
#include "lib/model/labels.h"
#include "lib/model/time_syntax.h"
#include "lib/rpc/status.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/monitoring_files.h"
#include "tools/cli/options.h"
#include "tools/cli/output.h"

namespace cuofeng {
namespace {

const absl::TimeZone& China() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

std::string When(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M", FromTimestamp(ts), China());
}

absl::StatusOr<google::protobuf::Timestamp> TimeFlag(const char* name, const std::string& value) {
  auto t = ParseTimeText(value);
  if (!t.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", t.status().message()));
  }
  return ToTimestamp(*t);
}

// An enum value for people: its Chinese label, the code after it for
// whoever searches the documentation ("已确认 (CONFIRMED)").
std::string Coded(const std::string& code) {
  const std::string label = ChineseLabel(code);
  return label == code ? code : absl::StrCat(label, " (", code, ")");
}

void PrintSummary(const v1::IngestSummary& s) {
  std::cout << "接收 " << s.accepted() << " 行，重复 " << s.duplicate() << " 行，拒收 "
            << s.rejected() << " 行\n";
  for (const v1::RejectedRow& r : s.rejections()) {
    std::cout << "  " << r.source() << ":" << r.line();
    if (r.column() > 0) std::cout << ":" << r.column();
    std::cout << ": " << r.reason() << "\n";
  }
  if (s.rejected() > s.rejections_size()) {
    std::cout << "  ……另有 " << s.rejected() - s.rejections_size() << " 行拒收，未列出\n";
  }
  if (!s.time_zone().empty()) {
    std::cout << s.local_times() << " 个未注明时区的时间按 " << s.time_zone() << " 读取\n";
  }
}

int Ingest(v1::ComplianceService::Stub& stub, const std::string& key,
           const std::vector<std::string>& args) {
  if (args.size() < 3) {
    std::cerr << "usage: cuofeng ingest readings|gate|ledger|production FILE...\n";
    return 2;
  }
  static const std::map<std::string, MonitoringKind> kKinds = {
      {"readings", MonitoringKind::kReadings},
      {"gate", MonitoringKind::kGate},
      {"ledger", MonitoringKind::kLedger},
      {"production", MonitoringKind::kProduction}};
  auto kind = kKinds.find(args[1]);
  if (kind == kKinds.end()) {
    std::cerr << "cuofeng ingest: \"" << args[1]
              << "\" is not readings, gate, ledger or production\n";
    return 2;
  }
  const std::vector<std::string> files(args.begin() + 2, args.end());
  const bool tty = isatty(2) && !Opts().quiet;
  const absl::Time start = absl::Now();
  int last_percent = -1;
  auto progress = [&](int64_t done, int64_t total) {
    const int percent = total > 0 ? static_cast<int>(100 * done / total) : 100;
    if (percent == last_percent) return;
    last_percent = percent;
    if (tty) {
      const int bar = percent / 4;
      std::cerr << "\r[" << std::string(bar, '#') << std::string(25 - bar, '.') << "] " << percent
                << "% " << absl::StrFormat("%.1f MB", done / 1e6) << std::flush;
    } else if (percent % 25 == 0) {
      std::cerr << "已发送 " << percent << "%（" << absl::StrFormat("%.1f MB", done / 1e6)
                << "）\n";
    }
  };
  auto summary =
      StreamMonitoringFiles(stub, key, kind->second, files, progress, 20000, Opts().time_zone);
  if (tty) std::cerr << "\n";
  if (!summary.ok()) return Fail(summary.status());
  PrintSummary(*summary);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const int64_t rows = summary->accepted() + summary->duplicate() + summary->rejected();
  if (!Opts().quiet) {
    std::cerr << absl::StrFormat("共 %d 行，用时 %.1f 秒（每秒 %.0f 行）\n", rows, seconds,
                                 rows / std::max(seconds, 1e-9));
  }
  // Exit 4: the stream went through, but some rows were not stored.
  return summary->rejected() > 0 ? 4 : 0;
}

void PrintFinding(const v1::Finding& f, bool full) {
  std::cout << f.name() << "\t" << Coded(v1::FindingType_Name(f.type())) << "\t"
            << Coded(v1::FindingStatus_Name(f.status())) << "\t" << When(f.window_start()) << " .. "
            << When(f.window_end()) << "\t" << f.summary() << "\n";
  if (!full) return;
  std::cout << "  企业：" << f.enterprise() << "\n  对象：" << f.scope() << "\n  规则：" << f.rule()
            << "\n";
  if (!f.obligation().empty()) std::cout << "  管控要求：" << f.obligation() << "\n";
  if (!f.unit().empty()) {
    std::cout << absl::StrFormat("  实测 %.2f %s，限值 %.2f %s", f.measured(), f.unit(),
                                 f.threshold(), f.unit());
    if (f.baseline_kw() > 0)
      std::cout << absl::StrFormat("（基准 %.1f kW，%s）", f.baseline_kw(), f.season());
    std::cout << "\n";
  }
  const v1::Evidence& e = f.evidence();
  std::cout << "  证据：" << e.source() << " " << When(e.from()) << " .. " << When(e.to()) << "，"
            << e.rows() << " 行，sha256 " << e.sha256() << (e.detail().empty() ? "" : "；")
            << e.detail() << "\n";
  std::cout << "  核查批次：" << f.verification_run() << "\n";
  if (f.status() != v1::OPEN) {
    std::cout << "  审核：" << Coded(v1::FindingStatus_Name(f.status())) << "，" << f.reviewed_by()
              << " 于 " << When(f.review_time()) << "：" << f.review_comment() << "\n";
  }
  if (!f.explanation().empty()) {
    std::cout << "  异常申报（" << When(f.explanation_time()) << "）：" << f.explanation() << "\n";
  }
}

int Verify(v1::ComplianceService::Stub& stub, const std::string& key,
           const std::vector<std::string>& args) {
  if (args.size() < 2 || args[1] != "run") {
    std::cerr << "用法：cuofeng verify run --district=districts/ID --from=T --to=T\n";
    return 2;
  }
  v1::RunVerificationRequest req;
  req.set_district(Opts().district);
  auto from = TimeFlag("from", Opts().from);
  if (!from.ok()) return Fail(from.status());
  auto to = TimeFlag("to", Opts().to);
  if (!to.ok()) return Fail(to.status());
  *req.mutable_from() = *from;
  *req.mutable_to() = *to;
  req.set_request_id(Opts().request_id);
  grpc::ClientContext ctx;
  AddKey(&ctx, key);
  v1::VerificationRun run;
  grpc::Status s = stub.RunVerification(&ctx, req, &run);
  if (!s.ok()) return Fail(FromGrpcStatus(s));
  std::cout << "核查批次 " << run.name() << "，时段 " << When(run.from()) << " .. "
            << When(run.to()) << "（" << run.rule_set() << "）\n";
  std::cout << "  停产或限产的管控时段 " << run.obligation_windows() << " 个：按电表核查 "
            << run.windows_checked() << " 个，无本身电表 " << run.windows_without_meter()
            << " 个\n";
  std::cout << "  电表 " << run.meters() << " 块，读数 " << run.readings() << " 条，过车 "
            << run.gate_events() << " 次，台账 " << run.ledger_rows() << " 行\n";
  if (run.monitoring_points() > 0 || run.production_ledgers() > 0) {
    std::cout << "  监测点 " << run.monitoring_points() << " 个（在线监测 " << run.cems_minutes()
              << " 分钟），生产台账 " << run.production_ledgers() << " 本（" << run.ledger_days()
              << " 天）\n";
  }
  std::cout << "  核查发现：新增 " << run.findings_new() << " 条，已有记录 "
            << run.findings_unchanged() << " 条；用时 " << run.elapsed_ms() << " 毫秒\n";
  for (const v1::FindingCount& c : run.findings()) {
    std::cout << "    " << Coded(v1::FindingType_Name(c.type())) << "\t" << c.count() << "\n";
  }
  // Issue 15: what was superseded, how far the data reaches, what could not be verified.
  if (run.has_data_end())
    std::cout << "  管控时段按数据截止时间 " << When(run.data_end()) << " 为止完整判定\n";
  if (run.findings_superseded() > 0) {
    std::cout << "  " << run.findings_superseded()
              << " 条先前的核查发现已被取代（后来的数据否定了它们）\n";
  }
  std::map<std::string, std::vector<const v1::UnverifiedWindow*>> unverified;
  for (const v1::UnverifiedWindow& u : run.unverified()) unverified[u.enterprise()].push_back(&u);
  if (!unverified.empty())
    std::cout << "  未能核查的管控时段 " << run.unverified_size() << " 个，按企业：\n";
  for (const auto& [enterprise, windows] : unverified) {
    std::cout << "    " << enterprise << "\n";
    for (const v1::UnverifiedWindow* u : windows) {
      std::cout << "      " << v1::UnverifiedWindow::Reason_Name(u->reason()) << "\t"
                << u->resource() << "\t" << When(u->window_start()) << " .. "
                << When(u->window_end()) << "\t" << u->detail()
                << (u->meter().empty() ? "" : " (" + u->meter() + ")") << "\n";
    }
  }
  return 0;
}

// The stub of this run's server, with its TLS choice.
v1::ComplianceService::Stub& Stub() {
  static auto* stub =
      v1::ComplianceService::NewStub(Connect(ServerAddress(), TlsRootCertificates())).release();
  return *stub;
}

const std::string& Arg(size_t i) { return Opts().args.at(i); }

std::string Plant(const std::string& enterprise);

int FindingsList() {
  std::string parent = Opts().parent.empty() ? Opts().district : Opts().parent;
  if (parent.empty()) {
    std::cerr << "cuofeng findings list：请给 --parent=districts/ID（或 "
                 "districts/ID/enterprises/E，或 districts/- 表示全部）；也可用 "
                 "--district=districts/ID\n";
    return kExitUsage;
  }
  v1::FindingType type = v1::FINDING_TYPE_UNSPECIFIED;
  if (!Opts().type.empty()) v1::FindingType_Parse(Opts().type, &type);
  v1::FindingStatus status = v1::FINDING_STATUS_UNSPECIFIED;
  if (!Opts().status.empty()) v1::FindingStatus_Parse(Opts().status, &status);
  return PrintList(
      v1::ListFindingsResponse(),
      [&](const std::string& token, int size, google::protobuf::Message* out) {
        v1::ListFindingsRequest req;
        req.set_parent(parent);
        req.set_type(type);
        req.set_status(status);
        req.set_page_size(size);
        req.set_page_token(token);
        req.set_filter(Opts().filter);
        grpc::ClientContext ctx;
        AddKey(&ctx, ApiKey());
        return FromGrpcStatus(
            Stub().ListFindings(&ctx, req, static_cast<v1::ListFindingsResponse*>(out)));
      },
      {Field("name", "name"), Field("type", "type"), Field("status", "status"),
       Lookup("plant", "enterprise", Plant), Field("window_start", "window_start"),
       Field("window_end", "window_end"), Field("summary", "summary")},
      "findings");
}

int FindingsOne() {
  const std::string& sub = Arg(1);
  grpc::ClientContext ctx;
  AddKey(&ctx, ApiKey());
  v1::Finding f;
  grpc::Status s;
  if (sub == "get") {
    v1::GetFindingRequest req;
    req.set_name(Arg(2));
    s = Stub().GetFinding(&ctx, req, &f);
  } else if (sub == "review") {
    v1::ReviewFindingRequest req;
    req.set_name(Arg(2));
    v1::ReviewDecision d = v1::REVIEW_DECISION_UNSPECIFIED;
    (void)v1::ReviewDecision_Parse(Opts().decision, &d);
    req.set_decision(d);
    req.set_comment(Opts().comment);
    req.set_request_id(Opts().request_id);
    s = Stub().ReviewFinding(&ctx, req, &f);
  } else {
    v1::ExplainFindingRequest req;
    req.set_name(Arg(2));
    req.set_explanation(Opts().text);
    req.set_request_id(Opts().request_id);
    s = Stub().ExplainFinding(&ctx, req, &f);
  }
  if (!s.ok()) return Fail(FromGrpcStatus(s));
  if (sub == "get") {
    PrintResource(f, [&] { PrintFinding(f, true); });
  } else {
    PrintFinding(f, true);
  }
  return 0;
}

int BaselinesList() {
  v1::ListBaselinesRequest req;
  req.set_parent(Opts().parent.empty() ? Opts().district : Opts().parent);
  if (req.parent().empty()) {
    std::cerr << "cuofeng baselines list：请给 --parent=districts/ID/enterprises/E（或 "
                 "districts/ID）\n";
    return kExitUsage;
  }
  req.set_filter(Opts().filter);
  grpc::ClientContext ctx;
  AddKey(&ctx, ApiKey());
  v1::ListBaselinesResponse resp;
  grpc::Status s = Stub().ListBaselines(&ctx, req, &resp);
  if (!s.ok()) return Fail(FromGrpcStatus(s));
  Column load{"load_kw", [](const google::protobuf::Message& m, bool human) {
                const auto& b = static_cast<const v1::Baseline&>(m);
                if (!human) return absl::StrCat(b.load_kw());
                return b.overridden()
                           ? absl::StrFormat("%.1f kW（%s 人工设定：%s；计算值 %.1f kW）",
                                             b.load_kw(), b.overridden_by(), b.override_reason(),
                                             b.computed_load_kw())
                           : absl::StrFormat("%.1f kW", b.load_kw());
              }};
  return PrintItems(resp,
                    {Field("name", "name"), Lookup("plant", "meter", Plant), load,
                     Field("overridden", "overridden"), Field("method", "method")},
                    "baselines");
}

int BaselinesOverride() {
  grpc::ClientContext ctx;
  AddKey(&ctx, ApiKey());
  v1::OverrideBaselineRequest req;
  req.set_name(Arg(2));
  req.set_load_kw(Opts().load_kw);
  req.set_reason(Opts().reason);
  req.set_request_id(Opts().request_id);
  v1::Baseline b;
  grpc::Status s = Stub().OverrideBaseline(&ctx, req, &b);
  if (!s.ok()) return Fail(FromGrpcStatus(s));
  std::cout << b.name() << "\t" << absl::StrFormat("%.1f kW", b.load_kw()) << "（计算值 "
            << absl::StrFormat("%.1f kW", b.computed_load_kw()) << "）\t理由："
            << b.override_reason() << "\n";
  return 0;
}

int Evidence() {
  v1::ComplianceService::Stub& stub = Stub();
  grpc::ClientContext ctx;
  AddKey(&ctx, ApiKey());
  v1::GetEvidenceRequest req;
  req.set_name(Arg(1));
  v1::EvidenceSeries e;
  grpc::Status s = stub.GetEvidence(&ctx, req, &e);
  if (!s.ok()) return Fail(FromGrpcStatus(s));
  const v1::Finding& f = e.finding();
  PrintFinding(f, true);
  if (e.meter().empty()) {
    std::cout << "（门禁类核查发现：证据就是上面的记录，没有负荷曲线可画）\n";
    return 0;
  }
  if (!e.baseline_method().empty()) std::cout << "  基准：" << e.baseline_method() << "\n";
  const LoadChart chart = EvidenceChart(e);
  if (absl::Status w = WriteLoadChart(chart, Opts().out); !w.ok()) return Fail(w);
  std::cout << "图已写入 " << Opts().out << "（" << chart.load.size() << " 个点，"
            << chart.gaps.size() << " 处缺失）\n";
  return 0;
}

std::string Plant(const std::string& resource) {
  static auto* cache = new std::map<std::string, std::string>;
  std::vector<std::string> parts = absl::StrSplit(resource, '/');
  if (parts.size() < 4 || parts[2] != "enterprises") return "";
  const std::string enterprise = absl::StrJoin(parts.begin(), parts.begin() + 4, "/");
  auto it = cache->find(enterprise);
  if (it != cache->end()) return it->second;
  static auto* registry =
      v1::RegistryService::NewStub(Connect(ServerAddress(), TlsRootCertificates())).release();
  grpc::ClientContext ctx;
  AddKey(&ctx, ApiKey());
  v1::GetEnterpriseRequest req;
  req.set_name(enterprise);
  v1::Enterprise e;
  std::string name = registry->GetEnterprise(&ctx, req, &e).ok() ? e.display_name() : "";
  (*cache)[enterprise] = name;
  return name;
}

// cuofeng meters event METER --time=T --kind=... --new_register=KWH --reason=...; meters events
// METER.
int Meters(v1::ComplianceService::Stub& stub, const std::string& key,
           const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  grpc::ClientContext ctx;
  AddKey(&ctx, key);
  if (sub == "event" && args.size() == 3) {
    v1::RecordMeterEventRequest req;
    v1::MeterEvent* e = req.mutable_event();
    e->set_meter(args[2]);
    if (!Opts().time.empty()) {
      auto t = TimeFlag("time", Opts().time);
      if (!t.ok()) return Fail(t.status());
      *e->mutable_time() = *t;
    }
    v1::MeterEvent::Kind kind = v1::MeterEvent::KIND_UNSPECIFIED;
    (void)v1::MeterEvent::Kind_Parse(Opts().kind, &kind);
    e->set_kind(kind);
    e->set_new_register(Opts().new_register);
    e->set_reason(Opts().reason);
    e->set_serial_number(Opts().serial_number);
    req.set_request_id(Opts().request_id);
    v1::MeterEvent out;
    grpc::Status s = stub.RecordMeterEvent(&ctx, req, &out);
    if (!s.ok()) return Fail(FromGrpcStatus(s));
    std::cout << out.name() << "\t" << v1::MeterEvent::Kind_Name(out.kind()) << "，"
              << When(out.time()) << "：表底读数自 " << absl::StrFormat("%.15g", out.new_register())
              << " kWh 起（" << out.reason() << "；记录人 " << out.recorded_by() << "）\n";
    return 0;
  }
  if (sub == "events" && args.size() == 3) {
    v1::ListMeterEventsRequest req;
    req.set_meter(args[2]);
    v1::ListMeterEventsResponse resp;
    grpc::Status s = stub.ListMeterEvents(&ctx, req, &resp);
    if (!s.ok()) return Fail(FromGrpcStatus(s));
    for (const v1::MeterEvent& e : resp.events()) {
      std::cout << e.name() << "\t" << v1::MeterEvent::Kind_Name(e.kind()) << "\t" << When(e.time())
                << "\t" << absl::StrFormat("%.15g", e.new_register()) << " kWh\t" << e.reason()
                << "\t" << e.recorded_by() << "\n";
    }
    return 0;
  }
  std::cerr << "用法：cuofeng meters event METER --time=T --kind=REGISTER_RESET|METER_REPLACED "
               "--new_register=KWH --reason=... [--serial_number=S] | events METER\n";
  return 2;
}

}  // namespace

std::vector<CommandSpec> ComplianceCommands() {
  auto ingest = [] { return Ingest(Stub(), ApiKey(), Opts().args); };
  auto verify = [] { return Verify(Stub(), ApiKey(), Opts().args); };
  auto meters = [] { return Meters(Stub(), ApiKey(), Opts().args); };
  const std::vector<std::string> list_flags = {"output", "page_size", "page_token", "all",
                                               "filter"};
  std::vector<std::string> findings_flags = {"parent", "district", "type", "status"};
  findings_flags.insert(findings_flags.end(), list_flags.begin(), list_flags.end());
  return {
      {"ingest readings",
       "",
       "系统服务（计量平台）、区县部门、企业（本企业）",
       "报送电表读数：meter,time,kind,value（有行被拒时退出码 4）",
       {"FILE..."},
       {"time_zone"},
       "cuofeng ingest readings out/season/readings.csv",
       ingest},
      {"ingest gate",
       "",
       "系统服务、区县部门、企业（本企业）",
       "报送门禁过车记录：camera,time,plate,direction,...",
       {"FILE..."},
       {},
       "cuofeng ingest gate out/season/gate.csv",
       ingest},
      {"ingest ledger",
       "",
       "系统服务、区县部门、企业（本企业）",
       "报送电子台账：enterprise,plate,time,direction,...",
       {"FILE..."},
       {},
       "cuofeng ingest ledger out/season/ledger.csv",
       ingest},
      {"ingest production",
       "",
       "系统服务、区县部门、企业（本企业）",
       "报送生产台账日数据（CSV 或 XLSX）：ledger,day,output,fuel,...",
       {"FILE..."},
       {},
       "cuofeng ingest production out/season/production.csv",
       ingest},
      {"verify run",
       "",
       "核查人员、区县部门",
       "核查一段时间：以数据对照管控要求",
       {},
       {"district!", "from!", "to!", "request_id"},
       "cuofeng verify run --district=districts/120119 --from=\"2018-11-15 00:00\" "
       "--to=\"2018-12-10 00:00\"",
       verify},
      {"findings list",
       "",
       "核查人员、区县部门、市级部门、企业（本企业）",
       "核查发现列表",
       {},
       findings_flags,
       "cuofeng findings list --parent=districts/120119 --type=STOP_NOT_KEPT --status=OPEN",
       FindingsList},
      {"findings get",
       "",
       "核查人员、区县部门、市级部门、企业（本企业）",
       "一条核查发现及其证据和审核",
       {"NAME"},
       {"output"},
       "cuofeng findings get districts/120119/enterprises/e10001/findings/3",
       FindingsOne},
      {"findings review",
       "",
       "核查人员",
       "确认或撤销核查发现",
       {"NAME"},
       {"decision!", "comment", "request_id"},
       "cuofeng findings review districts/120119/enterprises/e10001/findings/3 "
       "--decision=CONFIRM --comment=\"现场核实\"",
       FindingsOne},
      {"findings explain",
       "",
       "企业",
       "对核查发现作异常申报",
       {"NAME"},
       {"text!", "request_id"},
       "cuofeng findings explain districts/120119/enterprises/e10001/findings/3 "
       "--text=\"停电检修\"",
       FindingsOne},
      {"baselines list",
       "",
       "区县部门、核查人员",
       "基准及其人工设定",
       {},
       {"parent", "district", "filter", "output"},
       "cuofeng baselines list --parent=districts/120119/enterprises/e10001",
       BaselinesList},
      {"baselines override",
       "",
       "区县部门",
       "人工设定基准，并写明理由",
       {"NAME"},
       {"load_kw!", "reason", "request_id"},
       "cuofeng baselines override "
       "districts/120119/enterprises/e10001/meters/m1/baselines/2018-2019 --load_kw=80 "
       "--reason=\"10月份试生产\"",
       BaselinesOverride},
      {"evidence",
       "",
       "能查看该核查发现的所有角色",
       "核查发现的证据图（SVG 或 PNG）",
       {"FINDING"},
       {"out!"},
       "cuofeng evidence districts/120119/enterprises/e10001/findings/3 --out=chart.svg",
       Evidence},
      {"meters event",
       "",
       "区县部门、系统服务（计量平台）",
       "记录电表清零或换表，以便之后的读数被接收",
       {"METER"},
       {"time!", "kind!", "new_register!", "reason", "serial_number", "request_id"},
       "cuofeng meters event districts/120119/enterprises/e10001/meters/m1 "
       "--time=\"2018-12-01 08:00\" --kind=REGISTER_RESET --new_register=0 --reason=\"换表\"",
       meters},
      {"meters events",
       "",
       "区县部门、核查人员、系统服务",
       "电表的事件记录",
       {"METER"},
       {},
       "cuofeng meters events districts/120119/enterprises/e10001/meters/m1",
       meters},
  };
}

}  // namespace cuofeng
