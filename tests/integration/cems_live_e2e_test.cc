// CEMS minutes and production ledger days in live verification (issue 21),
// end to end: a server with --live_verification and --hj212_listen; a
// plant's meter readings go in first (its stop not kept is found live, on
// electricity alone), then two data loggers send HJ 212 minute packets over
// TCP (no ingest call: the live sweep sees them arrive) and a ledger day of
// output on a stop day is ingested. The CEMS flow and the faulty CEMS's
// findings and the material-balance finding appear without a batch run, the
// earlier electricity finding's corroboration is refreshed (two sources now
// agree, and the filter says so), GetEvidence draws the CEMS and ledger
// series, and a batch run over the same data adds nothing about them.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/auth/policy.h"
#include "lib/model/clock.h"
#include "lib/model/identifiers.h"
#include "tests/support/finding_watcher.h"
#include "tests/support/hj212_device.h"
#include "tests/support/jizhou_season.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

using namespace ::cuofeng::testing;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kDistrict[] = "districts/120119";
const absl::TimeZone kChina = ChinaZone();

class CemsLiveTest : public CemsSeasonTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartSeason("cemslive", {"--live_verification", "--live_sweep=1s"}));
  }

  // Polls (bounded: 180 s, for a loaded machine) until an OPEN finding of
  // `type` on `scope` matching `filter` exists.
  std::optional<v1::Finding> Await(const std::string& scope, v1::FindingType type,
                                   const std::string& filter = "") {
    for (int i = 0; i < 900; ++i) {
      for (const v1::Finding& f : Findings(filter, v1::OPEN)) {
        if (f.scope() == scope && f.type() == type) return f;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return std::nullopt;
  }

  // The OPEN findings about `scopes`, as text; polled until two looks a
  // sweep apart agree (bounded), so that a live run under way has stored.
  std::set<std::string> Settled(const std::set<std::string>& scopes) {
    auto look = [&] {
      std::set<std::string> out;
      for (const v1::Finding& f : Findings("", v1::OPEN)) {
        if (!scopes.count(f.scope())) continue;
        out.insert(absl::StrCat(v1::FindingType_Name(f.type()), " ", f.scope(), " ",
                                absl::FormatTime(FromTimestamp(f.window_start())), " ",
                                absl::FormatTime(FromTimestamp(f.window_end()))));
      }
      return out;
    };
    std::set<std::string> last = look();
    for (int i = 0; i < 60; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
      std::set<std::string> now = look();
      if (now == last) return now;
      last = std::move(now);
    }
    return last;
  }
};

TEST_F(CemsLiveTest, CemsAndLedgerFindingsArriveLiveAndRefreshTheElectricityFinding) {
  const absl::Time orange = China("2018-12-02 00:00"), before = China("2018-11-30 12:00");
  // Two plants on separate enterprises that stop whole at orange: the first
  // runs before it (its normal flow) and through it; its line stops whole
  // too (the ledger's line). The second keeps its stop but its CEMS fails.
  const v1::Meter* runs_on = nullptr;
  const v1::Meter* faulty_plant = nullptr;
  std::string line;
  for (const v1::Meter& m : meters_) {
    if (m.role() != v1::PRODUCTION || m.equipment().empty()) continue;
    if (!StopAt(m.equipment(), orange)) continue;
    const std::string l = m.equipment().substr(0, m.equipment().find("/processes/"));
    if (runs_on == nullptr && !StopAt(m.equipment(), before) && StopAt(l, orange)) {
      runs_on = &m;
      line = l;
    } else if (faulty_plant == nullptr && runs_on != nullptr &&
               EnterpriseOf(m.name()) != EnterpriseOf(runs_on->name())) {
      faulty_plant = &m;
    }
  }
  ASSERT_NE(runs_on, nullptr);
  ASSERT_NE(faulty_plant, nullptr);
  const std::string flow_point = RegisterPoint(*runs_on, 0);
  const std::string faulty = RegisterPoint(*faulty_plant, 2);
  const absl::Time from = China("2018-11-30 00:00"), to = China("2018-12-05 00:00");

  // 1. The meter readings (100 kW from the reference window on): the stop
  // not kept is found live, on electricity alone.
  {
    std::ofstream out(dir_ + "/readings.csv");
    out << "\xEF\xBB\xBF电表,时间,类型,读数\n";
    for (absl::Time t = China("2018-10-16 00:15"); t <= to; t += absl::Minutes(15)) {
      out << runs_on->name() << "," << absl::FormatTime("%Y-%m-%d %H:%M:%S", t, kChina)
          << ",INTERVAL_KWH,25\n";
    }
    out.close();
    auto ingest = Cli(server_->address(), service_, {"ingest", "readings", dir_ + "/readings.csv"});
    ASSERT_EQ(ingest.exit_code, 0) << ingest.output;
  }
  auto stop = Await(runs_on->name(), v1::STOP_NOT_KEPT);
  ASSERT_TRUE(stop.has_value());
  EXPECT_EQ(stop->supporting_sources(), 1) << stop->DebugString();
  const std::string stop_name = stop->name();

  // Watching from before the CEMS minutes arrive.
  FindingWatcher watcher(server_->address(), verifier_, kDistrict, absl::Minutes(10));

  // 2. The data loggers send over TCP: nothing calls an ingest RPC.
  int64_t sent = Send(0, from, to, Honest("", 1));  // runs through the stop
  {
    auto h = Honest(faulty_plant->equipment(), 3);
    sent += Send(2, from, to, [&](absl::Time t) {
      MinuteValues v = h(t);
      if (t >= China("2018-12-02 00:00") && t < China("2018-12-03 12:00")) v.flag = 'D';
      return v;
    });
  }
  // Every packet stored.
  ASSERT_EQ(StoredPackets(sent), sent);
  auto flow = Await(flow_point, v1::CEMS_FLOW_IN_STOP);
  ASSERT_TRUE(flow.has_value());
  ASSERT_TRUE(Await(faulty, v1::CEMS_SILENT_IN_WINDOW).has_value());
  // The earlier electricity finding now has the CEMS's word: two sources agree.
  auto agreed = Await(runs_on->name(), v1::STOP_NOT_KEPT, "supporting_sources >= 2");
  ASSERT_TRUE(agreed.has_value());
  EXPECT_EQ(agreed->name(), stop_name);  // the same finding, refreshed
  bool cems_word = false;
  for (const v1::Corroboration& c : agreed->corroboration())
    cems_word = cems_word || (c.source() == "cems" && c.resource() == flow_point && c.supports());
  EXPECT_TRUE(cems_word) << agreed->DebugString();
  // The watcher saw the CEMS's finding, and the electricity finding sent
  // again with the CEMS's word (bounded wait: both arrive with the poll above).
  bool seen = false, resent = false;
  watcher.Await([&](const std::vector<v1::Finding>& watched) {
    for (const v1::Finding& f : watched) {
      seen = seen || (f.scope() == flow_point && f.type() == v1::CEMS_FLOW_IN_STOP);
      resent = resent || (f.name() == stop_name && f.supporting_sources() >= 2);
    }
    return seen && resent;
  });
  EXPECT_TRUE(seen);
  EXPECT_TRUE(resent);
  // The refresh is in the finding's history, naming the run and the sources.
  const std::string history = SqlScalar(
      dsn_, "SELECT string_agg(text, ' | ') FROM compliance.finding_event WHERE finding = '" +
                stop_name + "' AND kind = 'CORROBORATE'");
  EXPECT_THAT(history, HasSubstr("烟气在线监测 " + flow_point + " 支持"));
  EXPECT_THAT(history, HasSubstr("2 类数据一致"));

  // 3. A ledger on the line that stops whole: output on a stop day, ingested.
  std::string ledger;
  {
    auto registry = v1::RegistryService::NewStub(channel_);
    v1::CreateProductionLedgerRequest req;
    req.set_parent(EnterpriseOf(runs_on->name()));
    req.set_production_ledger_id("live-1");
    v1::ProductionLedger* l = req.mutable_production_ledger();
    l->set_display_name("熟料线生产台账");
    l->set_line(line);
    l->set_product("熟料");
    l->set_output_unit("吨");
    l->set_normal_daily_output(600);
    v1::ProductionLedger created;
    grpc::Status st = registry->CreateProductionLedger(KeyContext(bureau_).get(), req, &created);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ledger = created.name();
    std::ofstream out(dir_ + "/production.csv");
    out << "生产台账,日期,产量,产量单位,燃料消耗,燃料单位,原料消耗,原料单位\n"
        << ledger << ",2018-12-01,0,吨,,,,\n"
        << ledger << ",2018-12-02,580.5,吨,,,,\n";
    out.close();
    auto ingest =
        Cli(server_->address(), service_, {"ingest", "production", dir_ + "/production.csv"});
    ASSERT_EQ(ingest.exit_code, 0) << ingest.output;
  }
  const bool whole_day_stop =
      StopAt(line, China("2018-12-02 00:00")) && StopAt(line, China("2018-12-02 23:59"));
  ASSERT_TRUE(whole_day_stop);
  auto balance = Await(ledger, v1::MATERIAL_BALANCE);
  ASSERT_TRUE(balance.has_value());
  EXPECT_THAT(balance->summary(), HasSubstr("580.5"));

  // 4. The evidence of each: the CEMS's minutes, the ledger's days.
  auto compliance = v1::ComplianceService::NewStub(channel_);
  {
    v1::GetEvidenceRequest req;
    req.set_name(flow->name());
    v1::EvidenceSeries e;
    grpc::Status st = compliance->GetEvidence(KeyContext(verifier_).get(), req, &e);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(e.meter(), flow_point);
    EXPECT_EQ(e.unit(), "m³/h");
    EXPECT_GT(e.load_size(), 1000);
    EXPECT_GT(e.threshold_kw(), 0);
    EXPECT_GT(e.baseline_kw(), e.threshold_kw());
    req.set_name(Await(faulty, v1::CEMS_SILENT_IN_WINDOW)->name());
    v1::EvidenceSeries silent;
    ASSERT_TRUE(compliance->GetEvidence(KeyContext(verifier_).get(), req, &silent).ok());
    bool fault = false;
    for (const v1::FlaggedRange& r : silent.flagged()) fault = fault || r.flag() == "D";
    EXPECT_TRUE(fault) << silent.flagged_size();
    req.set_name(balance->name());
    v1::EvidenceSeries days;
    ASSERT_TRUE(compliance->GetEvidence(KeyContext(verifier_).get(), req, &days).ok());
    EXPECT_EQ(days.unit(), "吨");
    EXPECT_EQ(days.bar_seconds(), 86400);
    EXPECT_THAT(days.load(), SizeIs(2));
    EXPECT_EQ(days.baseline_kw(), 600);
  }

  // The CLI draws them (SVG text stays text) and the case file carries the chart.
  {
    auto svg = Cli(server_->address(), verifier_,
                   {"evidence", Await(faulty, v1::CEMS_SILENT_IN_WINDOW)->name(),
                    "--out=" + dir_ + "/silent.svg"});
    ASSERT_EQ(svg.exit_code, 0) << svg.output;
    std::ifstream in(dir_ + "/silent.svg");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_THAT(text, HasSubstr(">标记 D 故障</text>"));
    EXPECT_THAT(text, HasSubstr("废气流量分钟值"));
    EXPECT_THAT(text, HasSubstr("津重污染指〔2018〕7号"));
    EXPECT_THAT(text, HasSubstr("问题编号"));
    auto png = Cli(server_->address(), verifier_,
                   {"evidence", flow->name(), "--out=" + dir_ + "/flow.png"});
    ASSERT_EQ(png.exit_code, 0) << png.output;
    EXPECT_GT(std::filesystem::file_size(dir_ + "/flow.png"), 10000u);
    if (const char* keep = std::getenv("CEMS_LIVE_CHART")) {
      std::filesystem::copy_file(dir_ + "/flow.png", keep,
                                 std::filesystem::copy_options::overwrite_existing);
    }
    auto pdf = Cli(server_->address(), verifier_,
                   {"documents", "case-file", balance->name(), "--out=" + dir_ + "/case.pdf"});
    ASSERT_EQ(pdf.exit_code, 0) << pdf.output;
    EXPECT_GT(std::filesystem::file_size(dir_ + "/case.pdf"), 10000u);
  }

  // 5. A batch run over the same data adds nothing about them.
  const std::set<std::string> scopes = {runs_on->name(), flow_point, faulty, ledger};
  const std::set<std::string> live = Settled(scopes);
  v1::RunVerificationRequest run_req;
  run_req.set_district(kDistrict);
  *run_req.mutable_from() = ToTimestamp(from);
  *run_req.mutable_to() = ToTimestamp(to);
  v1::VerificationRun run;
  grpc::Status st = compliance->RunVerification(KeyContext(verifier_).get(), run_req, &run);
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::set<std::string> batch;
  for (const v1::Finding& f : Findings("", v1::OPEN)) {
    if (!scopes.count(f.scope())) continue;
    batch.insert(absl::StrCat(v1::FindingType_Name(f.type()), " ", f.scope(), " ",
                              absl::FormatTime(FromTimestamp(f.window_start())), " ",
                              absl::FormatTime(FromTimestamp(f.window_end()))));
  }
  EXPECT_EQ(batch, live);
}

// Issue: live CEMS checks from the first packet. No ingest call reaches the
// district: the sweep judges the CEMS minutes with the receiver's service
// key, so a faulty CEMS during a stop is found without a batch run.
TEST_F(CemsLiveTest, CemsFindingsArriveLiveFromTheFirstPacketWithoutAnyIngestCall) {
  const absl::Time orange = China("2018-12-02 00:00");
  const v1::Meter* plant = nullptr;
  for (const v1::Meter& m : meters_) {
    if (m.role() == v1::PRODUCTION && !m.equipment().empty() && StopAt(m.equipment(), orange)) {
      plant = &m;
      break;
    }
  }
  ASSERT_NE(plant, nullptr);
  const std::string point = RegisterPoint(*plant, 7);
  auto h = Honest(plant->equipment(), 5);
  const int64_t sent =
      Send(7, China("2018-11-30 00:00"), China("2018-12-05 00:00"), [&](absl::Time t) {
        MinuteValues v = h(t);
        if (t >= orange && t < China("2018-12-03 12:00")) v.flag = 'D';
        return v;
      });
  ASSERT_EQ(StoredPackets(sent), sent);
  auto silent = Await(point, v1::CEMS_SILENT_IN_WINDOW);
  ASSERT_TRUE(silent.has_value());
  // Only live runs ran (nothing asked for a batch run, nothing was ingested),
  // with the receiver's key.
  EXPECT_EQ(
      SqlScalar(dsn_, "SELECT count(*) FROM compliance.verification_run WHERE live IS NOT TRUE"),
      "0");
  auto admin = v1::AdminService::NewStub(channel_);
  v1::GetCallerRequest who;
  v1::ApiKey key;
  ASSERT_TRUE(admin->GetCaller(KeyContext(hj212_key_).get(), who, &key).ok());
  EXPECT_NE(SqlScalar(dsn_, "SELECT count(*) FROM compliance.verification_run WHERE run_by = '" +
                                key.name() + " (live)'"),
            "0");
}

}  // namespace
}  // namespace cuofeng
