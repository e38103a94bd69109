// The CLI's compliance commands: ingest, verify, findings, baselines, evidence.
#include "tools/cli/compliance_commands.h"

#include <unistd.h>

#include <iostream>
#include <map>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "lib/charts/load_chart.h"
#include "lib/model/clock.h"
#include "lib/rpc/status.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/monitoring_files.h"

ABSL_DECLARE_FLAG(std::string, district);
ABSL_DECLARE_FLAG(std::string, parent);
ABSL_DECLARE_FLAG(std::string, from);
ABSL_DECLARE_FLAG(std::string, to);
ABSL_DECLARE_FLAG(std::string, request_id);
ABSL_DECLARE_FLAG(std::string, reason);
ABSL_DECLARE_FLAG(int, limit);
ABSL_DECLARE_FLAG(bool, quiet);
ABSL_FLAG(std::string, out, "", "evidence: the chart file to write (.svg or .png)");
ABSL_FLAG(std::string, decision, "", "findings review: CONFIRM or DISMISS");
ABSL_FLAG(std::string, comment, "", "findings review: what the verifier saw");
ABSL_FLAG(std::string, text, "", "findings explain: the enterprise's explanation (异常申报)");
ABSL_FLAG(double, load_kw, 0, "baselines override: the baseline load in kW");
ABSL_FLAG(std::string, type, "", "findings list: only this type, e.g. STOP_NOT_KEPT");
ABSL_FLAG(std::string, status, "", "findings list: only this status: OPEN, CONFIRMED, DISMISSED");
// Issue 15: per-batch time zone, and meter events.
ABSL_FLAG(std::string, time_zone, "",
          "ingest: how times written without an offset are read: an IANA zone (Asia/Shanghai, the "
          "default), "
          "UTC, or an offset such as +08:00");
ABSL_FLAG(std::string, time, "", "meters event: when the register was reset or the meter replaced");
ABSL_FLAG(std::string, kind, "", "meters event: REGISTER_RESET or METER_REPLACED");
ABSL_FLAG(double, new_register, -1, "meters event: the register (kWh) right after the event");
ABSL_FLAG(std::string, serial_number, "", "meters event: the new meter's serial number (表号)");

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
  int64_t us;
  if (!ParseMonitoringTime(value, &us)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, "=\"", value,
                                                   "\": give an RFC 3339 time or YYYY-MM-DD HH:MM (China time)"));
  }
  return ToTimestamp(absl::FromUnixMicros(us));
}

void PrintSummary(const v1::IngestSummary& s) {
  std::cout << "accepted " << s.accepted() << ", duplicate " << s.duplicate() << ", rejected " << s.rejected()
            << "\n";
  for (const v1::RejectedRow& r : s.rejections()) {
    std::cout << "  " << r.source() << ":" << r.line();
    if (r.column() > 0) std::cout << ":" << r.column();
    std::cout << ": " << r.reason() << "\n";
  }
  if (s.rejected() > s.rejections_size()) {
    std::cout << "  ... and " << s.rejected() - s.rejections_size() << " more\n";
  }
  if (!s.time_zone().empty()) {
    std::cout << s.local_times() << " times without an offset read as " << s.time_zone() << "\n";
  }
}

int Ingest(v1::ComplianceService::Stub& stub, const std::string& key, const std::vector<std::string>& args) {
  if (args.size() < 3) {
    std::cerr << "usage: cuofeng ingest readings|gate|ledger FILE...\n";
    return 2;
  }
  static const std::map<std::string, MonitoringKind> kKinds = {
      {"readings", MonitoringKind::kReadings}, {"gate", MonitoringKind::kGate}, {"ledger", MonitoringKind::kLedger}};
  auto kind = kKinds.find(args[1]);
  if (kind == kKinds.end()) {
    std::cerr << "cuofeng ingest: \"" << args[1] << "\" is not readings, gate or ledger\n";
    return 2;
  }
  const std::vector<std::string> files(args.begin() + 2, args.end());
  const bool tty = isatty(2) && !absl::GetFlag(FLAGS_quiet);
  const absl::Time start = absl::Now();
  int last_percent = -1;
  auto progress = [&](int64_t done, int64_t total) {
    const int percent = total > 0 ? static_cast<int>(100 * done / total) : 100;
    if (percent == last_percent) return;
    last_percent = percent;
    if (tty) {
      const int bar = percent / 4;
      std::cerr << "\r[" << std::string(bar, '#') << std::string(25 - bar, '.') << "] " << percent << "% "
                << absl::StrFormat("%.1f MB", done / 1e6) << std::flush;
    } else if (percent % 25 == 0) {
      std::cerr << "sent " << percent << "% (" << absl::StrFormat("%.1f MB", done / 1e6) << ")\n";
    }
  };
  auto summary = StreamMonitoringFiles(stub, key, kind->second, files, progress, 20000,
                                       absl::GetFlag(FLAGS_time_zone));
  if (tty) std::cerr << "\n";
  if (!summary.ok()) return Fail(summary.status());
  PrintSummary(*summary);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const int64_t rows = summary->accepted() + summary->duplicate() + summary->rejected();
  if (!absl::GetFlag(FLAGS_quiet)) {
    std::cerr << absl::StrFormat("%d rows in %.1f s (%.0f rows/s)\n", rows, seconds, rows / std::max(seconds, 1e-9));
  }
  // Exit 4: the stream went through, but some rows were not stored.
  return summary->rejected() > 0 ? 4 : 0;
}

void PrintFinding(const v1::Finding& f, bool full) {
  std::cout << f.name() << "\t" << v1::FindingType_Name(f.type()) << "\t" << v1::FindingStatus_Name(f.status())
            << "\t" << When(f.window_start()) << " .. " << When(f.window_end()) << "\t" << f.summary() << "\n";
  if (!full) return;
  std::cout << "  enterprise: " << f.enterprise() << "\n  scope: " << f.scope() << "\n  rule: " << f.rule() << "\n";
  if (!f.obligation().empty()) std::cout << "  obligation: " << f.obligation() << "\n";
  if (!f.unit().empty()) {
    std::cout << absl::StrFormat("  measured %.2f %s against %.2f %s", f.measured(), f.unit(), f.threshold(), f.unit());
    if (f.baseline_kw() > 0) std::cout << absl::StrFormat(" (baseline %.1f kW, %s)", f.baseline_kw(), f.season());
    std::cout << "\n";
  }
  const v1::Evidence& e = f.evidence();
  std::cout << "  evidence: " << e.source() << " " << When(e.from()) << " .. " << When(e.to()) << ", " << e.rows()
            << " rows, sha256 " << e.sha256() << (e.detail().empty() ? "" : "; ") << e.detail() << "\n";
  std::cout << "  run: " << f.verification_run() << "\n";
  if (f.status() != v1::OPEN) {
    std::cout << "  review: " << v1::FindingStatus_Name(f.status()) << " by " << f.reviewed_by() << " at "
              << When(f.review_time()) << ": " << f.review_comment() << "\n";
  }
  if (!f.explanation().empty()) {
    std::cout << "  explanation (异常申报, " << When(f.explanation_time()) << "): " << f.explanation() << "\n";
  }
}

int Verify(v1::ComplianceService::Stub& stub, const std::string& key, const std::vector<std::string>& args) {
  if (args.size() < 2 || args[1] != "run") {
    std::cerr << "usage: cuofeng verify run --district=districts/ID --from=T --to=T\n";
    return 2;
  }
  v1::RunVerificationRequest req;
  req.set_district(absl::GetFlag(FLAGS_district));
  auto from = TimeFlag("from", absl::GetFlag(FLAGS_from));
  if (!from.ok()) return Fail(from.status());
  auto to = TimeFlag("to", absl::GetFlag(FLAGS_to));
  if (!to.ok()) return Fail(to.status());
  *req.mutable_from() = *from;
  *req.mutable_to() = *to;
  req.set_request_id(absl::GetFlag(FLAGS_request_id));
  grpc::ClientContext ctx;
  AddKey(&ctx, key);
  v1::VerificationRun run;
  grpc::Status s = stub.RunVerification(&ctx, req, &run);
  if (!s.ok()) return Fail(FromGrpcStatus(s));
  std::cout << "核查 verification run " << run.name() << " over " << When(run.from()) << " .. " << When(run.to())
            << " (" << run.rule_set() << ")\n";
  std::cout << "  " << run.obligation_windows() << " obligation windows with a stop or limit: " << run.windows_checked()
            << " checked by meter, " << run.windows_without_meter() << " with no meter of their own\n";
  std::cout << "  " << run.meters() << " meters, " << run.readings() << " readings, " << run.gate_events()
            << " gate passages, " << run.ledger_rows() << " ledger rows\n";
  std::cout << "  findings: " << run.findings_new() << " new, " << run.findings_unchanged()
            << " already recorded; in " << run.elapsed_ms() << " ms\n";
  for (const v1::FindingCount& c : run.findings()) {
    std::cout << "    " << v1::FindingType_Name(c.type()) << "\t" << c.count() << "\n";
  }
  // Issue 15: what was superseded, how far the data reaches, what could not be verified.
  if (run.has_data_end())
    std::cout << "  windows judged whole up to the data's end, " << When(run.data_end()) << "\n";
  if (run.findings_superseded() > 0) {
    std::cout << "  " << run.findings_superseded()
              << " earlier findings superseded (later data disproves them)\n";
  }
  std::map<std::string, std::vector<const v1::UnverifiedWindow*>> unverified;
  for (const v1::UnverifiedWindow& u : run.unverified()) unverified[u.enterprise()].push_back(&u);
  if (!unverified.empty())
    std::cout << "  " << run.unverified_size() << " binding windows not verified, by enterprise:\n";
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

int Findings(v1::ComplianceService::Stub& stub, const std::string& key, const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (sub == "list") {
    v1::ListFindingsRequest req;
    req.set_parent(absl::GetFlag(FLAGS_parent).empty() ? absl::GetFlag(FLAGS_district) : absl::GetFlag(FLAGS_parent));
    v1::FindingType type = v1::FINDING_TYPE_UNSPECIFIED;
    if (!absl::GetFlag(FLAGS_type).empty() && !v1::FindingType_Parse(absl::GetFlag(FLAGS_type), &type)) {
      return Fail(absl::InvalidArgumentError(absl::StrCat("--type=", absl::GetFlag(FLAGS_type), " is not a finding type")));
    }
    v1::FindingStatus status = v1::FINDING_STATUS_UNSPECIFIED;
    if (!absl::GetFlag(FLAGS_status).empty() && !v1::FindingStatus_Parse(absl::GetFlag(FLAGS_status), &status)) {
      return Fail(absl::InvalidArgumentError(absl::StrCat("--status=", absl::GetFlag(FLAGS_status), " is not OPEN, CONFIRMED or DISMISSED")));
    }
    req.set_type(type);
    req.set_status(status);
    int left = absl::GetFlag(FLAGS_limit);
    do {
      req.set_page_size(std::min(left, 1000));
      grpc::ClientContext ctx;
      AddKey(&ctx, key);
      v1::ListFindingsResponse resp;
      grpc::Status s = stub.ListFindings(&ctx, req, &resp);
      if (!s.ok()) return Fail(FromGrpcStatus(s));
      for (const v1::Finding& f : resp.findings()) PrintFinding(f, false);
      left -= resp.findings_size();
      req.set_page_token(resp.next_page_token());
    } while (left > 0 && !req.page_token().empty());
    return 0;
  }
  if ((sub == "get" || sub == "review" || sub == "explain") && args.size() == 3) {
    grpc::ClientContext ctx;
    AddKey(&ctx, key);
    v1::Finding f;
    grpc::Status s;
    if (sub == "get") {
      v1::GetFindingRequest req;
      req.set_name(args[2]);
      s = stub.GetFinding(&ctx, req, &f);
    } else if (sub == "review") {
      v1::ReviewFindingRequest req;
      req.set_name(args[2]);
      v1::ReviewDecision d = v1::REVIEW_DECISION_UNSPECIFIED;
      (void)v1::ReviewDecision_Parse(absl::GetFlag(FLAGS_decision), &d);
      req.set_decision(d);
      req.set_comment(absl::GetFlag(FLAGS_comment));
      req.set_request_id(absl::GetFlag(FLAGS_request_id));
      s = stub.ReviewFinding(&ctx, req, &f);
    } else {
      v1::ExplainFindingRequest req;
      req.set_name(args[2]);
      req.set_explanation(absl::GetFlag(FLAGS_text));
      req.set_request_id(absl::GetFlag(FLAGS_request_id));
      s = stub.ExplainFinding(&ctx, req, &f);
    }
    if (!s.ok()) return Fail(FromGrpcStatus(s));
    PrintFinding(f, true);
    return 0;
  }
  std::cerr << "usage: cuofeng findings list --parent=NAME [--type=T] [--status=S] | get NAME |\n"
               "       review NAME --decision=CONFIRM|DISMISS --comment=... | explain NAME --text=...\n";
  return 2;
}

int Baselines(v1::ComplianceService::Stub& stub, const std::string& key, const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  grpc::ClientContext ctx;
  AddKey(&ctx, key);
  if (sub == "list") {
    v1::ListBaselinesRequest req;
    req.set_parent(absl::GetFlag(FLAGS_parent).empty() ? absl::GetFlag(FLAGS_district) : absl::GetFlag(FLAGS_parent));
    v1::ListBaselinesResponse resp;
    grpc::Status s = stub.ListBaselines(&ctx, req, &resp);
    if (!s.ok()) return Fail(FromGrpcStatus(s));
    int shown = 0;
    for (const v1::Baseline& b : resp.baselines()) {
      if (shown++ >= absl::GetFlag(FLAGS_limit)) break;
      std::cout << b.name() << "\t" << absl::StrFormat("%.1f kW", b.load_kw())
                << (b.overridden() ? absl::StrFormat(" (set by %s: %s; computed %.1f kW)", b.overridden_by(),
                                                     b.override_reason(), b.computed_load_kw())
                                   : "")
                << "\t" << b.method() << "\n";
    }
    if (resp.baselines_size() > shown) std::cout << "... " << resp.baselines_size() << " in all\n";
    return 0;
  }
  if (sub == "override" && args.size() == 3) {
    v1::OverrideBaselineRequest req;
    req.set_name(args[2]);
    req.set_load_kw(absl::GetFlag(FLAGS_load_kw));
    req.set_reason(absl::GetFlag(FLAGS_reason));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    v1::Baseline b;
    grpc::Status s = stub.OverrideBaseline(&ctx, req, &b);
    if (!s.ok()) return Fail(FromGrpcStatus(s));
    std::cout << b.name() << "\t" << absl::StrFormat("%.1f kW", b.load_kw()) << " (computed "
              << absl::StrFormat("%.1f kW", b.computed_load_kw()) << ")\treason: " << b.override_reason() << "\n";
    return 0;
  }
  std::cerr << "usage: cuofeng baselines list --parent=NAME | override NAME --load_kw=KW --reason=...\n";
  return 2;
}

int Evidence(v1::ComplianceService::Stub& stub, const std::string& key, const std::vector<std::string>& args) {
  if (args.size() != 2 || absl::GetFlag(FLAGS_out).empty()) {
    std::cerr << "usage: cuofeng evidence FINDING --out=FILE.svg|FILE.png\n";
    return 2;
  }
  grpc::ClientContext ctx;
  AddKey(&ctx, key);
  v1::GetEvidenceRequest req;
  req.set_name(args[1]);
  v1::EvidenceSeries e;
  grpc::Status s = stub.GetEvidence(&ctx, req, &e);
  if (!s.ok()) return Fail(FromGrpcStatus(s));
  const v1::Finding& f = e.finding();
  PrintFinding(f, true);
  if (e.meter().empty()) {
    std::cout << "(a gate finding: its evidence is the record above; there is no load curve to draw)\n";
    return 0;
  }
  if (!e.baseline_method().empty()) std::cout << "  baseline: " << e.baseline_method() << "\n";
  const LoadChart chart = EvidenceChart(e);
  if (absl::Status w = WriteLoadChart(chart, absl::GetFlag(FLAGS_out)); !w.ok()) return Fail(w);
  std::cout << "chart written to " << absl::GetFlag(FLAGS_out) << " (" << chart.load.size() << " points, "
            << chart.gaps.size() << " gaps)\n";
  return 0;
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
    if (!absl::GetFlag(FLAGS_time).empty()) {
      auto t = TimeFlag("time", absl::GetFlag(FLAGS_time));
      if (!t.ok()) return Fail(t.status());
      *e->mutable_time() = *t;
    }
    v1::MeterEvent::Kind kind = v1::MeterEvent::KIND_UNSPECIFIED;
    (void)v1::MeterEvent::Kind_Parse(absl::GetFlag(FLAGS_kind), &kind);
    e->set_kind(kind);
    e->set_new_register(absl::GetFlag(FLAGS_new_register));
    e->set_reason(absl::GetFlag(FLAGS_reason));
    e->set_serial_number(absl::GetFlag(FLAGS_serial_number));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    v1::MeterEvent out;
    grpc::Status s = stub.RecordMeterEvent(&ctx, req, &out);
    if (!s.ok()) return Fail(FromGrpcStatus(s));
    std::cout << out.name() << "\t" << v1::MeterEvent::Kind_Name(out.kind()) << " at "
              << When(out.time()) << ": register from "
              << absl::StrFormat("%.15g", out.new_register()) << " kWh (" << out.reason() << "; by "
              << out.recorded_by() << ")\n";
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
  std::cerr << "usage: cuofeng meters event METER --time=T --kind=REGISTER_RESET|METER_REPLACED "
               "--new_register=KWH --reason=... [--serial_number=S] | events METER\n";
  return 2;
}

}  // namespace

int ComplianceCommand(const std::vector<std::string>& args, const std::string& server, const std::string& key) {
  auto stub = v1::ComplianceService::NewStub(Connect(server));
  if (args[0] == "ingest") return Ingest(*stub, key, args);
  if (args[0] == "verify") return Verify(*stub, key, args);
  if (args[0] == "findings") return Findings(*stub, key, args);
  if (args[0] == "baselines") return Baselines(*stub, key, args);
  if (args[0] == "meters") return Meters(*stub, key, args);
  return Evidence(*stub, key, args);
}

}  // namespace cuofeng
