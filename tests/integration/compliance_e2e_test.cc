// Compliance end to end, replaying part of the 2018-2019 season: the server
// runs on a replay clock (--clock) set before the season while the list is
// filed and an orange alert issued, then is restarted later to take the
// season's meter readings, gate passages and ledger rows, and to verify.
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/auth/policy.h"
#include "lib/db/pool.h"
#include "lib/model/clock.h"
#include "lib/model/identifiers.h"
#include "lib/rpc/status.h"
#include "tests/support/finding_watcher.h"
#include "tests/support/jizhou_season.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/monitoring_files.h"

namespace cuofeng {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using namespace ::cuofeng::testing;

constexpr char kDistrict[] = "districts/120119";
const absl::TimeZone kChina = ChinaZone();

std::string Csv(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, kChina); }

bool Overlaps(const v1::Finding& f, absl::Time start, absl::Time end) {
  return FromTimestamp(f.window_start()) < end && start < FromTimestamp(f.window_end());
}

class ComplianceE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn_ = new std::string(FreshDatabase("compliance"));
    admin_ = new std::string(BootstrapAdmin(*dsn_));
    std::string error;
    // 1. Before the season: the bureau files its list, the city issues an orange alert.
    server_ = ServerProcess::Start(*dsn_, &error, {"--clock=2018-10-25T09:00:00+08:00"}).release();
    ASSERT_NE(server_, nullptr) << error;
    bureau_ = new std::string;
    ASSERT_NO_FATAL_FAILURE(CreateJizhou(server_->address(), *admin_, 90, 270, bureau_));
    ASSERT_EQ(Cli(*admin_, {"district", "create", "120101", "--name=和平区"}).exit_code, 0);
    city_ = new std::string(CreateKey(server_->address(), *admin_, "city", ""));
    ASSERT_NO_FATAL_FAILURE(CreateSeason2018(server_->address(), *bureau_));
    ASSERT_NO_FATAL_FAILURE(FileListAndOrangeAlert(server_->address(), *bureau_, *city_));
    auto channel = Connect(server_->address());
    auto planning = v1::PlanningService::NewStub(channel);
    v1::GenerateListRequest gen;
    // 和平区 files a list under the 2020-style grade rules: a grade-B cement
    // clinker plant may not use China IV-or-older heavy trucks at yellow.
    const std::string heping_bureau =
        CreateKey(server_->address(), *admin_, "bureau", "districts/120101");
    const std::string dir = TempDir();
    std::string first17 = "91120101MA0000001";
    {
      std::ofstream e(dir + "/enterprises.csv");
      e << "id,display_name,uscc,industry_code,industry_category,permit_status,performance_grade,"
           "bulk_transport\n"
        << "c1,和平区水泥熟料厂," << first17 << UsccCheckCharacter(first17)
        << ",C3011,BUILDING_MATERIALS,PERMIT_VALID,GRADE_B,true\n";
      std::ofstream c(dir + "/cameras.csv");
      c << "enterprise_id,id,display_name,direction,installed_date\nc1,gate1,1号门,BOTH,2018-09-"
           "01\n";
      std::ofstream v(dir + "/vehicles.csv");
      v << "id,plate,emission_stage,vehicle_class,fuel,enterprise_id\n"
        << "h4,津C40001,CHINA_4,HEAVY_GOODS,DIESEL,c1\nh5,津C50001,CHINA_5,HEAVY_GOODS,DIESEL,c1\n";
    }
    CommandResult heping =
        Cli(heping_bureau, {"import", "registry", dir, "--district=districts/120101"});
    ASSERT_EQ(heping.exit_code, 0) << heping.output;
    ASSERT_EQ(LoadRuleSet(server_->address(), heping_bureau, "national-2020-sample").exit_code, 0);
    ASSERT_EQ(Cli(heping_bureau,
                  {"season", "create", "--district=districts/120101", "--id=2018-2019",
                   "--start=2018-11-15", "--end=2019-03-15", "--filing_deadline=2018-10-31"})
                  .exit_code,
              0);
    gen.set_parent("districts/120101");
    gen.set_season("districts/120101/seasons/2018-2019");
    gen.set_rule_set("ruleSets/national-2020-sample");
    v1::ListVersion graded;
    grpc::Status generated = planning->GenerateList(KeyContext(heping_bureau).get(), gen, &graded);
    ASSERT_TRUE(generated.ok()) << generated.error_message();
    ASSERT_EQ(Cli(heping_bureau, {"filing", "submit", graded.name()}).exit_code, 0);
    ASSERT_EQ(Cli(*city_, {"filing", "acknowledge", graded.name()}).exit_code, 0);
    CommandResult yellow =
        Cli(*city_,
            {"alert", "issue", "--level=YELLOW", "--districts=districts/120119,districts/120101",
             "--start_time=2018-12-06T00:00:00+08:00", "--end_time=2018-12-07T00:00:00+08:00",
             "--document=津重污染指〔2018〕9号"});
    ASSERT_EQ(yellow.exit_code, 0) << yellow.output;
    // 2. After the alerts: the data arrives and is verified.
    ASSERT_EQ(server_->Stop(), 0);
    delete server_;
    server_ = ServerProcess::Start(*dsn_, &error, {"--clock=2018-12-10T12:00:00+08:00"}).release();
    ASSERT_NE(server_, nullptr) << error;
    channel = Connect(server_->address());
    compliance_ = v1::ComplianceService::NewStub(channel).release();
    registry_ = v1::RegistryService::NewStub(channel).release();
    obligations_ = v1::ObligationService::NewStub(channel).release();
    service_ = new std::string(CreateKey(server_->address(), *admin_, "service", ""));
    verifier_ = new std::string(CreateKey(server_->address(), *admin_, "verifier", kDistrict));
    other_verifier_ =
        new std::string(CreateKey(server_->address(), *admin_, "verifier", "districts/120101"));
    Discover();
  }
  static void TearDownTestSuite() { delete server_; }

  static CommandResult Cli(const std::string& key, std::vector<std::string> args) {
    return ::cuofeng::testing::Cli(server_->address(), key, std::move(args));
  }

  // Finds meters in the roles the tests need from what the registry holds
  // and what binds.
  static void Discover() {
    v1::ListObligationWindowsRequest req;
    req.set_district(kDistrict);
    *req.mutable_from() = ToTimestamp(China("2018-11-15 00:00"));
    *req.mutable_to() = ToTimestamp(China("2018-12-10 00:00"));
    windows_ = new v1::ListObligationWindowsResponse;
    ASSERT_TRUE(
        obligations_->ListObligationWindows(KeyContext(*verifier_).get(), req, windows_).ok());
    ASSERT_GT(windows_->obligations_size(), 0);
    meters_ = new std::vector<v1::Meter>;
    v1::ReadDistrictSnapshotRequest sreq;
    sreq.set_district(kDistrict);
    auto ctx = KeyContext(*bureau_);
    auto reader = registry_->ReadDistrictSnapshot(ctx.get(), sreq);
    v1::DistrictSnapshotChunk chunk;
    while (reader->Read(&chunk))
      meters_->insert(meters_->end(), chunk.meters().begin(), chunk.meters().end());
    ASSERT_TRUE(reader->Finish().ok());
    const absl::Time orange = China("2018-12-02 00:00"), season = China("2018-11-20 00:00");
    std::set<std::string> used_enterprises;
    std::map<std::string, int> seen;  // for the failure message
    for (const auto& o : windows_->obligations()) {
      seen[absl::StrCat(
          v1::Action_Name(o.action()), "/", v1::AlertLevel_Name(o.level()), "/",
          o.resource().find("/equipment/") != std::string::npos ? "equipment" : "other")]++;
      if (o.action() == v1::LIMIT && o.level() == v1::ALERT_LEVEL_UNSPECIFIED) {
        seen[absl::StrCat(o.resource(), " ", absl::FormatTime(FromTimestamp(o.window_start())), " ",
                          absl::FormatTime(FromTimestamp(o.window_end())))]++;
      }
    }
    std::string summary;
    for (const auto& [k, n] : seen) absl::StrAppend(&summary, k, "=", n, " ");
    for (const v1::Meter& m : *meters_) {
      if (m.role() != v1::PRODUCTION || m.equipment().empty()) continue;
      const std::string enterprise = m.name().substr(0, m.name().find("/meters/"));
      const v1::Action at_orange = ActionAt(m, orange), in_season = ActionAt(m, season);
      if (used_enterprises.count(enterprise)) continue;
      if (limit_.empty() && in_season == v1::LIMIT) {  // the rarest first
        limit_ = m.name();
        used_enterprises.insert(enterprise);
      } else if (stop_.empty() && at_orange == v1::STOP && in_season != v1::STOP) {
        stop_ = m.name();
        used_enterprises.insert(enterprise);
      } else if (gap_.empty() && at_orange != v1::RUN && in_season != v1::STOP) {
        gap_ = m.name();
        used_enterprises.insert(enterprise);
      }
    }
    for (const v1::Meter& t : *meters_) {
      if (t.role() != v1::TREATMENT) continue;
      const std::string enterprise = t.name().substr(0, t.name().find("/meters/"));
      if (used_enterprises.count(enterprise)) continue;
      for (const v1::Meter& p : *meters_) {
        if (p.role() == v1::PRODUCTION && p.equipment() == t.equipment() &&
            Compliant(p, China("2018-11-25 11:00")) > 20) {
          treatment_ = t.name();
          treatment_production_ = p.name();
        }
      }
      if (!treatment_.empty()) {
        used_enterprises.insert(enterprise);
        break;
      }
    }
    for (const v1::Meter& m : *meters_) {
      const std::string enterprise = m.name().substr(0, m.name().find("/meters/"));
      if (m.role() == v1::PRODUCTION && !used_enterprises.count(enterprise)) {
        register_ = m.name();
        break;
      }
    }
    ASSERT_FALSE(stop_.empty()) << summary;
    ASSERT_FALSE(gap_.empty()) << summary;
    ASSERT_FALSE(limit_.empty()) << summary;
    ASSERT_FALSE(treatment_.empty());
    ASSERT_FALSE(register_.empty());
  }

  static const v1::Meter& MeterNamed(const std::string& name) {
    for (const v1::Meter& m : *meters_) {
      if (m.name() == name) return m;
    }
    static v1::Meter none;
    return none;
  }

  // The strictest measurable action binding the meter's equipment at `t`.
  static v1::Action ActionAt(const v1::Meter& m, absl::Time t, double* percent = nullptr) {
    v1::Action best = v1::RUN;
    for (const v1::Obligation& o : windows_->obligations()) {
      if (!IsWithin(m.equipment(), o.resource())) continue;
      if (t < FromTimestamp(o.window_start()) ||
          (o.has_window_end() && t >= FromTimestamp(o.window_end())))
        continue;
      const bool stop = o.action() == v1::STOP || o.action() == v1::RECTIFY;
      if (stop) {
        best = v1::STOP;
      } else if (best != v1::STOP && (o.action() == v1::LIMIT || o.action() == v1::STOP_LINES ||
                                      o.action() == v1::CAP)) {
        best = v1::LIMIT;
        const double allowed = o.action() == v1::CAP ? o.percent() : 100 - o.percent();
        if (percent != nullptr) *percent = std::min(*percent, allowed);
      }
    }
    return best;
  }

  // What a compliant plant draws at `t`: 100 kW before the season, then what binds.
  static double Compliant(const v1::Meter& m, absl::Time t) {
    if (t <= China("2018-11-15 00:00")) return 100;
    double allowed = 100;
    const v1::Action a = ActionAt(m, t - absl::Minutes(15), &allowed);
    if (a == v1::STOP) return 5;
    if (a == v1::LIMIT) return allowed * 0.9;
    return 95;
  }

  // Writes INTERVAL_KWH readings every 15 minutes in (from, to]; `kw` may
  // return NaN to leave a reading out.
  static void Write(std::ofstream& out, const std::string& meter, absl::Time from, absl::Time to,
                    const std::function<double(absl::Time)>& kw) {
    for (absl::Time t = from + absl::Minutes(15); t <= to; t += absl::Minutes(15)) {
      const double v = kw(t);
      if (std::isnan(v)) continue;
      out << meter << "," << Csv(t) << ",INTERVAL_KWH," << absl::StrFormat("%.3f", v / 4) << "\n";
    }
  }

  static std::vector<v1::Finding> Findings(const std::string& key, const std::string& parent,
                                           v1::FindingType type = v1::FINDING_TYPE_UNSPECIFIED,
                                           grpc::Status* status = nullptr) {
    std::vector<v1::Finding> out;
    v1::ListFindingsRequest req;
    req.set_parent(parent);
    req.set_type(type);
    req.set_page_size(1000);
    do {
      v1::ListFindingsResponse resp;
      grpc::Status s = compliance_->ListFindings(KeyContext(key).get(), req, &resp);
      if (status != nullptr) *status = s;
      if (!s.ok()) return out;
      out.insert(out.end(), resp.findings().begin(), resp.findings().end());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return out;
  }

  static std::vector<v1::Finding> About(const std::vector<v1::Finding>& all,
                                        const std::string& scope, v1::FindingType type) {
    std::vector<v1::Finding> out;
    for (const auto& f : all) {
      if (f.scope() == scope && f.type() == type) out.push_back(f);
    }
    return out;
  }

  static v1::VerificationRun Verify(const std::string& key, grpc::Status* status = nullptr) {
    v1::RunVerificationRequest req;
    req.set_district(kDistrict);
    *req.mutable_from() = ToTimestamp(China("2018-11-15 00:00"));
    *req.mutable_to() = ToTimestamp(China("2018-12-10 00:00"));
    v1::VerificationRun run;
    grpc::Status s = compliance_->RunVerification(KeyContext(key).get(), req, &run);
    if (status != nullptr) *status = s;
    return run;
  }

  static std::string* dsn_;
  static std::string *admin_, *bureau_, *city_, *service_, *verifier_, *other_verifier_;
  static ServerProcess* server_;
  static v1::ComplianceService::Stub* compliance_;
  static v1::RegistryService::Stub* registry_;
  static v1::ObligationService::Stub* obligations_;
  static v1::ListObligationWindowsResponse* windows_;
  static std::vector<v1::Meter>* meters_;
  // stop_: kept running through the orange stop; gap_: 85 % of its orange
  // readings; limit_: broke its season limit for three days; treatment_:
  // switched off for two hours while its production ran; register_: a
  // cumulative register that was reset.
  static std::string stop_, gap_, limit_, treatment_, treatment_production_, register_;
  static v1::VerificationRun first_run_;
};

std::string* ComplianceE2eTest::dsn_;
std::string *ComplianceE2eTest::admin_, *ComplianceE2eTest::bureau_, *ComplianceE2eTest::city_,
    *ComplianceE2eTest::service_, *ComplianceE2eTest::verifier_,
    *ComplianceE2eTest::other_verifier_;
ServerProcess* ComplianceE2eTest::server_;
v1::ComplianceService::Stub* ComplianceE2eTest::compliance_;
v1::RegistryService::Stub* ComplianceE2eTest::registry_;
v1::ObligationService::Stub* ComplianceE2eTest::obligations_;
v1::ListObligationWindowsResponse* ComplianceE2eTest::windows_;
std::vector<v1::Meter>* ComplianceE2eTest::meters_;
std::string ComplianceE2eTest::stop_, ComplianceE2eTest::gap_, ComplianceE2eTest::limit_,
    ComplianceE2eTest::treatment_, ComplianceE2eTest::treatment_production_,
    ComplianceE2eTest::register_;
v1::VerificationRun ComplianceE2eTest::first_run_;

TEST_F(ComplianceE2eTest, IngestKeepsGoodRowsAndNamesEachBadOne) {
  const std::string dir = TempDir();
  const absl::Time from = China("2018-10-16 00:00"), to = China("2018-12-10 00:00");
  const absl::Time orange = China("2018-12-01 00:00"), orange_end = China("2018-12-04 00:00");
  {
    std::ofstream out(dir + "/readings.csv");
    out << "\xEF\xBB\xBF电表,时间,类型,读数\n";
    Write(out, stop_, from, to, [&](absl::Time t) {
      return t > orange && t <= orange_end ? 90.0 : Compliant(MeterNamed(stop_), t);
    });
    // 43 of the 288 orange intervals missing: 85.1 % complete.
    Write(out, gap_, from, to, [&](absl::Time t) {
      const int64_t i = (t - orange) / absl::Minutes(15);
      return i > 100 && i <= 143 ? NAN : Compliant(MeterNamed(gap_), t);
    });
    const absl::Time broken = China("2018-11-20 00:00"), broken_end = China("2018-11-23 00:00");
    Write(out, limit_, from, to, [&](absl::Time t) {
      return t > broken && t <= broken_end ? 100.0 : Compliant(MeterNamed(limit_), t);
    });
    Write(out, treatment_production_, from, to,
          [&](absl::Time t) { return Compliant(MeterNamed(treatment_production_), t); });
    const absl::Time off = China("2018-11-25 10:00"), off_end = China("2018-11-25 12:00");
    Write(out, treatment_, from, to, [&](absl::Time t) {
      if (t > off && t <= off_end) return 1.0;
      return Compliant(MeterNamed(treatment_production_), t) > 20 ? 30.0 : 2.0;
    });
  }
  {
    // A register reset at the 6th reading; and rows of every bad kind.
    std::ofstream out(dir + "/bad.csv");
    out << "meter,time,kind,value\n";
    const absl::Time day = China("2018-12-08 00:00");
    for (int i = 1; i <= 8; ++i) {
      out << register_ << "," << Csv(day + absl::Minutes(15 * i)) << ",CUMULATIVE_KWH,"
          << (i < 6 ? 5000 + 20 * i : 3 + i) << "\n";
    }
    out << "districts/120119/enterprises/e10000/meters/nope," << Csv(day) << ",KW,10\n";  // line 10
    out << register_ << "," << Csv(day) << ",KW,-5\n";                                    // line 11
    out << register_ << "," << Csv(day) << ",KW,NaN\n";                                   // line 12
    out << register_ << ",2018-12-31 00:00:00,KW,10\n";                                   // line 13
    out << register_ << ",yesterday,KW,10\n";                                             // line 14
    out << register_ << "," << Csv(day) << ",KW,ten\n";                                   // line 15
    out << register_ << "," << Csv(day + absl::Hours(5)) << ",KW,42\n";  // line 16, good
  }
  CommandResult first =
      Cli(*service_, {"ingest", "readings", dir + "/readings.csv", dir + "/bad.csv"});
  EXPECT_EQ(first.exit_code, 4) << first.output;  // some rows rejected
  const int64_t good = 5 * 55 * 96 - 43;
  EXPECT_THAT(first.output,
              HasSubstr(absl::StrCat("接收 ", good + 5 + 1, " 行，重复 0 行，拒收 9 行")));
  const std::string bad = dir + "/bad.csv";
  EXPECT_THAT(first.output,
              AllOf(HasSubstr(bad + ":7:4: value: 累计表码倒走："), HasSubstr("读数为 9 kWh")));
  EXPECT_THAT(first.output, HasSubstr(bad + ":8:4: value: 累计表码倒走"));
  EXPECT_THAT(first.output, HasSubstr(bad + ":9:4: value: 累计表码倒走"));
  EXPECT_THAT(first.output, AllOf(HasSubstr(bad + ":10:1: meter: "),
                                  HasSubstr("未登记：登记信息中没有这个电表")));
  EXPECT_THAT(first.output, HasSubstr(bad + ":11:4: value: -5 为负数"));
  EXPECT_THAT(first.output, HasSubstr(bad + ":12:4: value: 不是数值"));
  EXPECT_THAT(first.output, HasSubstr(bad + ":13:2: time: 2018-12-31 00:00:00+08:00 是将来的时间"));
  EXPECT_THAT(first.output, HasSubstr(bad + ":14:2: time: \"yesterday\" 不是时间"));
  EXPECT_THAT(first.output, HasSubstr(bad + ":15:4: value: \"ten\" 不是数值"));
  // The same files again change nothing.
  CommandResult again =
      Cli(*service_, {"ingest", "readings", dir + "/readings.csv", dir + "/bad.csv"});
  EXPECT_THAT(again.output,
              HasSubstr(absl::StrCat("接收 0 行，重复 ", good + 5 + 1, " 行，拒收 9 行")));
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM compliance.reading"), std::to_string(good + 6));
  // Readings live in monthly partitions.
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM compliance.reading_201811"),
            std::to_string(5 * 30 * 96 - 0));
  // A reading stored with another value is refused, not overwritten.
  {
    std::ofstream out(dir + "/changed.csv");
    out << "meter,time,kind,value\n"
        << stop_ << "," << Csv(orange + absl::Hours(1)) << ",INTERVAL_KWH,1\n";
  }
  CommandResult changed = Cli(*service_, {"ingest", "readings", dir + "/changed.csv"});
  EXPECT_THAT(changed.output,
              HasSubstr("changed.csv:2:4: value: 已存有不同的读数（INTERVAL_KWH 22.5）"));
  // Scopes: an enterprise sends only its own meters; a verifier sends nothing.
  const std::string enterprise = stop_.substr(0, stop_.find("/meters/"));
  const std::string own = CreateKey(server_->address(), *admin_, "enterprise", enterprise);
  {
    std::ofstream out(dir + "/mixed.csv");
    out << "meter,time,kind,value\n"
        << stop_ << "," << Csv(to + absl::Hours(1)) << ",KW,5\n"
        << limit_ << "," << Csv(to + absl::Hours(1)) << ",KW,5\n";
  }
  CommandResult mixed = Cli(own, {"ingest", "readings", dir + "/mixed.csv"});
  EXPECT_THAT(mixed.output, HasSubstr("接收 1 行，重复 0 行，拒收 1 行"));
  EXPECT_THAT(mixed.output, HasSubstr("mixed.csv:3:1: meter: 无权操作：企业账号（范围 " +
                                      enterprise + "）不能报送监测数据"));
  CommandResult refused = Cli(*verifier_, {"ingest", "readings", dir + "/mixed.csv"});
  EXPECT_EQ(refused.exit_code, 6);  // refused (cuofeng help: exit codes)
  EXPECT_THAT(refused.output, HasSubstr("PERMISSION_DENIED"));
}

TEST_F(ComplianceE2eTest, VerificationFindsWhatWasPlanted) {
  grpc::Status status;
  first_run_ = Verify(*verifier_, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(first_run_.findings_new(), 0);
  EXPECT_GT(first_run_.windows_checked(), 0);
  EXPECT_EQ(first_run_.rule_set(), "ruleSets/jizhou-2018@1");
  const auto all = Findings(*verifier_, kDistrict);
  const absl::Time orange = China("2018-12-01 00:00"), orange_end = China("2018-12-04 00:00");
  // A stopped line that kept running.
  auto stop = About(all, stop_, v1::STOP_NOT_KEPT);
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(FromTimestamp(stop[0].window_start()),
            orange + absl::Hours(1));  // after the grace hour
  EXPECT_EQ(FromTimestamp(stop[0].window_end()), orange_end);
  EXPECT_NEAR(stop[0].measured(), 90, 1e-6);
  EXPECT_NEAR(stop[0].baseline_kw(), 100, 1e-6);
  EXPECT_NEAR(stop[0].threshold(), 25, 1e-6);
  EXPECT_EQ(stop[0].evidence().rows(), 71 * 4);
  EXPECT_THAT(stop[0].obligation(), HasSubstr("alerts/"));
  // A limit broken for three days, and kept the rest of the season.
  auto limit = About(all, limit_, v1::LIMIT_EXCEEDED);
  ASSERT_EQ(limit.size(), 1u);
  EXPECT_EQ(FromTimestamp(limit[0].window_start()), China("2018-11-20 00:00"));
  EXPECT_EQ(FromTimestamp(limit[0].window_end()), China("2018-11-23 00:00"));
  EXPECT_TRUE(About(all, treatment_production_, v1::LIMIT_EXCEEDED).empty());
  // Treatment off for two hours while production ran.
  auto off = About(all, treatment_, v1::TREATMENT_OFF);
  ASSERT_EQ(off.size(), 1u);
  EXPECT_EQ(FromTimestamp(off[0].window_start()), China("2018-11-25 10:00"));
  EXPECT_EQ(FromTimestamp(off[0].window_end()), China("2018-11-25 12:00"));
  EXPECT_EQ(off[0].obligation(), treatment_production_);
  // The 85 %-complete window: a data gap, and not a kept stop.
  auto gap = About(all, gap_, v1::DATA_GAP);
  ASSERT_EQ(gap.size(), 1u);
  EXPECT_NEAR(gap[0].measured(), 100.0 * 245 / 288, 1e-6);
  EXPECT_TRUE(Overlaps(gap[0], orange, orange_end));
  EXPECT_TRUE(About(all, gap_, v1::STOP_NOT_KEPT).empty());
  // The compliant meters found nothing.
  for (const std::string& m : {treatment_production_}) {
    for (const auto& f : all) EXPECT_NE(f.scope(), m) << f.summary();
  }
  // Baselines are stored with how they were computed.
  v1::ListBaselinesRequest breq;
  breq.set_parent(stop_.substr(0, stop_.find("/meters/")));
  v1::ListBaselinesResponse baselines;
  ASSERT_TRUE(compliance_->ListBaselines(KeyContext(*verifier_).get(), breq, &baselines).ok());
  bool seen = false;
  for (const auto& b : baselines.baselines()) {
    if (b.meter() != stop_) continue;
    seen = true;
    EXPECT_NEAR(b.load_kw(), 100, 1e-6);
    EXPECT_EQ(b.production_days(), 30);
    EXPECT_EQ(b.reference_start(), "2018-10-16");
    EXPECT_THAT(b.method(), HasSubstr("30 个生产日"));
  }
  EXPECT_TRUE(seen);
}

TEST_F(ComplianceE2eTest, ReRunningGivesTheSameFindingsNotDuplicates) {
  ASSERT_GT(first_run_.findings_new(), 0);
  const size_t before = Findings(*verifier_, kDistrict).size();
  grpc::Status status;
  v1::VerificationRun again = Verify(*bureau_, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.findings_new(), 0);
  EXPECT_EQ(again.findings_unchanged(), first_run_.findings_new());
  EXPECT_EQ(Findings(*verifier_, kDistrict).size(), before);
}

TEST_F(ComplianceE2eTest, ScopesReviewAndExplanation) {
  const auto all = Findings(*verifier_, kDistrict, v1::STOP_NOT_KEPT);
  auto stop = About(all, stop_, v1::STOP_NOT_KEPT);
  ASSERT_EQ(stop.size(), 1u);
  const std::string enterprise = stop_.substr(0, stop_.find("/meters/"));
  const std::string own = CreateKey(server_->address(), *admin_, "enterprise", enterprise);
  // An enterprise sees only its findings.
  auto mine = Findings(own, kDistrict);
  ASSERT_FALSE(mine.empty());
  for (const auto& f : mine) EXPECT_EQ(f.enterprise(), enterprise);
  auto limit =
      About(Findings(*verifier_, kDistrict, v1::LIMIT_EXCEEDED), limit_, v1::LIMIT_EXCEEDED);
  ASSERT_EQ(limit.size(), 1u);
  v1::GetFindingRequest get;
  get.set_name(limit[0].name());
  v1::Finding f;
  EXPECT_EQ(compliance_->GetFinding(KeyContext(own).get(), get, &f).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A verifier of another district sees nothing here and cannot run it.
  grpc::Status status;
  Findings(*other_verifier_, kDistrict, v1::FINDING_TYPE_UNSPECIFIED, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  Verify(*other_verifier_, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  Verify(own, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // The enterprise explains (异常申报); only a verifier confirms or dismisses.
  CommandResult explained =
      Cli(own, {"findings", "explain", stop[0].name(), "--text=停电检修，设备未能及时停机"});
  EXPECT_EQ(explained.exit_code, 0) << explained.output;
  EXPECT_THAT(explained.output, HasSubstr("停电检修"));
  CommandResult by_enterprise =
      Cli(own, {"findings", "review", stop[0].name(), "--decision=DISMISS", "--comment=no"});
  EXPECT_THAT(by_enterprise.output, HasSubstr("PERMISSION_DENIED"));
  CommandResult by_bureau =
      Cli(*bureau_, {"findings", "review", stop[0].name(), "--decision=DISMISS", "--comment=no"});
  EXPECT_THAT(by_bureau.output, HasSubstr("PERMISSION_DENIED"));
  CommandResult no_comment =
      Cli(*verifier_, {"findings", "review", stop[0].name(), "--decision=CONFIRM"});
  EXPECT_THAT(no_comment.output, HasSubstr("comment: 必填"));
  CommandResult confirmed =
      Cli(*verifier_, {"findings", "review", stop[0].name(), "--decision=CONFIRM",
                       "--comment=现场核实：橙色预警期间生产线未停"});
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.output;
  EXPECT_THAT(confirmed.output, HasSubstr("CONFIRMED"));
  CommandResult twice =
      Cli(*verifier_, {"findings", "review", stop[0].name(), "--decision=DISMISS", "--comment=x"});
  EXPECT_THAT(twice.output, HasSubstr("已是已确认 CONFIRMED"));
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM compliance.finding_event WHERE finding = '" +
                                 stop[0].name() + "'"),
            "2");
  // A re-run keeps the review.
  Verify(*verifier_, &status);
  ASSERT_TRUE(status.ok());
  get.set_name(stop[0].name());
  ASSERT_TRUE(compliance_->GetFinding(KeyContext(own).get(), get, &f).ok());
  EXPECT_EQ(f.status(), v1::CONFIRMED);
  EXPECT_THAT(f.explanation(), HasSubstr("停电检修"));
}

TEST_F(ComplianceE2eTest, EvidenceChartsAndBaselineOverride) {
  auto stop = About(Findings(*verifier_, kDistrict, v1::STOP_NOT_KEPT), stop_, v1::STOP_NOT_KEPT);
  ASSERT_EQ(stop.size(), 1u);
  const std::string dir = TempDir();
  CommandResult svg = Cli(*verifier_, {"evidence", stop[0].name(), "--out=" + dir + "/stop.svg"});
  ASSERT_EQ(svg.exit_code, 0) << svg.output;
  const std::string chart = ReadFile(dir + "/stop.svg");
  EXPECT_THAT(chart, HasSubstr("<svg"));
  // Issue 15: text stays text; the plant, the finding id, the alert's 文号,
  // the obligation window and its grace apart from the finding's window.
  EXPECT_THAT(chart, HasSubstr("<text"));
  EXPECT_THAT(chart, HasSubstr(stop[0].name().substr(stop[0].name().rfind('/') + 1)));
  EXPECT_THAT(chart, HasSubstr("津重污染指〔2018〕7号"));
  EXPECT_THAT(chart, HasSubstr("缓冲期"));
  EXPECT_THAT(chart, HasSubstr("措施时段"));
  EXPECT_THAT(chart, HasSubstr("基准负荷（第 1 版）"));
  EXPECT_FALSE(stop[0].enterprise_name().empty());
  EXPECT_THAT(chart, HasSubstr(stop[0].enterprise_name()));
  EXPECT_THAT(svg.output, HasSubstr("30 个生产日共 2880 个时段的平均负荷"));
  EXPECT_GT(chart.size(), 5000u);
  auto gap = About(Findings(*verifier_, kDistrict, v1::DATA_GAP), gap_, v1::DATA_GAP);
  ASSERT_EQ(gap.size(), 1u);
  v1::GetEvidenceRequest ereq;
  ereq.set_name(gap[0].name());
  v1::EvidenceSeries series;
  ASSERT_TRUE(compliance_->GetEvidence(KeyContext(*verifier_).get(), ereq, &series).ok());
  ASSERT_EQ(series.gaps_size(), 1);
  EXPECT_EQ(FromTimestamp(series.gaps(0).start()), China("2018-12-02 01:00"));
  EXPECT_EQ(FromTimestamp(series.gaps(0).end()), China("2018-12-02 11:45"));
  CommandResult png = Cli(*verifier_, {"evidence", gap[0].name(), "--out=" + dir + "/gap.png"});
  ASSERT_EQ(png.exit_code, 0) << png.output;
  EXPECT_EQ(ReadFile(dir + "/gap.png").substr(1, 3), "PNG");
  auto off =
      About(Findings(*verifier_, kDistrict, v1::TREATMENT_OFF), treatment_, v1::TREATMENT_OFF);
  ASSERT_EQ(off.size(), 1u);
  ereq.set_name(off[0].name());
  ASSERT_TRUE(compliance_->GetEvidence(KeyContext(*verifier_).get(), ereq, &series).ok());
  EXPECT_EQ(series.production_meter(), treatment_production_);
  EXPECT_GT(series.production_load_size(), 0);
  // The bureau overrides a baseline, with its reason; a verifier may not.
  const std::string baseline = stop_ + "/baselines/2018-2019";
  CommandResult refused =
      Cli(*verifier_, {"baselines", "override", baseline, "--load_kw=80", "--reason=x"});
  EXPECT_THAT(refused.output, HasSubstr("PERMISSION_DENIED"));
  CommandResult no_reason = Cli(*bureau_, {"baselines", "override", baseline, "--load_kw=80"});
  EXPECT_THAT(no_reason.output, HasSubstr("reason: 必填"));
  CommandResult overridden = Cli(*bureau_, {"baselines", "override", baseline, "--load_kw=80",
                                            "--reason=10月份试生产，负荷偏高"});
  ASSERT_EQ(overridden.exit_code, 0) << overridden.output;
  EXPECT_THAT(overridden.output, HasSubstr("80.0 kW（计算值 100.0 kW）"));
  CommandResult listed =
      Cli(*verifier_, {"baselines", "list", "--parent=" + stop_.substr(0, stop_.find("/meters/"))});
  EXPECT_THAT(listed.output, HasSubstr("10月份试生产"));
}

TEST_F(ComplianceE2eTest, HeavyTrucksLedgersAndCameras) {
  // A bulk-transport enterprise whose orange measures ban heavy trucks (T79).
  std::string enterprise, camera;
  for (const v1::Obligation& o : windows_->obligations()) {
    if (o.transport() == v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY && o.level() == v1::ORANGE) {
      enterprise = o.enterprise();
      break;
    }
  }
  std::string debug;
  for (const v1::Obligation& o : windows_->obligations()) {
    if (o.resource() == o.enterprise())
      absl::StrAppend(&debug, o.resource(), " ", v1::Action_Name(o.action()), " ",
                      v1::TransportRule_Name(o.transport()), " ", v1::AlertLevel_Name(o.level()),
                      "\n");
  }
  ASSERT_FALSE(enterprise.empty()) << debug;
  v1::ListCamerasRequest creq;
  creq.set_parent(enterprise);
  v1::ListCamerasResponse cameras;
  ASSERT_TRUE(registry_->ListCameras(KeyContext(*bureau_).get(), creq, &cameras).ok());
  ASSERT_GT(cameras.cameras_size(), 0);
  camera = cameras.cameras(0).name();
  // Its trucks: a China IV, a China V on the livelihood whitelist, a China V not on it.
  auto truck = [&](const std::string& id, const std::string& plate, v1::EmissionStage stage) {
    v1::CreateVehicleRequest req;
    req.set_parent(kDistrict);
    req.set_vehicle_id(id);
    req.mutable_vehicle()->set_plate(plate);
    req.mutable_vehicle()->set_emission_stage(stage);
    req.mutable_vehicle()->set_fuel(v1::DIESEL);
    req.mutable_vehicle()->set_vehicle_class(v1::HEAVY_GOODS);
    req.mutable_vehicle()->set_enterprise(enterprise);
    v1::Vehicle v;
    grpc::Status s = registry_->CreateVehicle(KeyContext(*bureau_).get(), req, &v);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return v.name();
  };
  truck("t-iv", "津R4T001", v1::CHINA_4);
  const std::string listed = truck("t-v-listed", "津R5T002", v1::CHINA_5);
  truck("t-v-unlisted", "津R5T003", v1::CHINA_5);
  v1::CreateWhitelistEntryRequest wreq;
  wreq.set_parent(enterprise);
  wreq.set_whitelist_entry_id("w1");
  wreq.mutable_whitelist_entry()->set_vehicle(listed);
  wreq.mutable_whitelist_entry()->set_purpose(v1::LIVELIHOOD);
  wreq.mutable_whitelist_entry()->set_valid_from("2018-11-15");
  wreq.mutable_whitelist_entry()->set_valid_until("2019-03-15");
  wreq.mutable_whitelist_entry()->set_document("蓟州区民生保障车辆备案〔2018〕3号");
  v1::WhitelistEntry entry;
  grpc::Status created = registry_->CreateWhitelistEntry(KeyContext(*bureau_).get(), wreq, &entry);
  ASSERT_TRUE(created.ok()) << created.error_message();
  // A whitelist entry that ends before it starts is refused, naming the field.
  wreq.set_whitelist_entry_id("w2");
  wreq.mutable_whitelist_entry()->set_valid_until("2018-13-01");
  EXPECT_EQ(registry_->CreateWhitelistEntry(KeyContext(*bureau_).get(), wreq, &entry).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  const std::string dir = TempDir();
  {
    std::ofstream gate(dir + "/gate.csv");
    gate << "摄像头,时间,车牌号,方向,车辆类型,照片,货物,吨位\n";
    // A staff car every morning keeps the camera alive, except on 8 December.
    for (absl::Time day = China("2018-11-15 08:00"); day < China("2018-12-10 00:00");
         day += absl::Hours(24)) {
      if (Csv(day).substr(0, 10) == "2018-12-08") continue;
      gate << camera << "," << Csv(day) << ",津A00001,ENTRY,PASSENGER,p/staff.jpg,,\n";
    }
    gate << camera << ",2018-12-02 10:00,津R4T001,ENTRY,HEAVY_GOODS,p/1.jpg,煤,30\n";  // banned
    gate << camera
         << ",2018-12-02 11:00,津R5T002,ENTRY,HEAVY_GOODS,p/2.jpg,煤,30\n";  // whitelisted
    gate << camera
         << ",2018-12-02 12:00,津R5T003,ENTRY,HEAVY_GOODS,p/3.jpg,煤,30\n";  // not whitelisted
    gate
        << camera
        << ",2018-12-06 10:00,津R4T001,ENTRY,HEAVY_GOODS,p/4.jpg,煤,30\n";  // under yellow: allowed
    gate << camera
         << ",2018-11-20 10:00,津R4T001,ENTRY,HEAVY_GOODS,p/5.jpg,煤,30\n";  // no ledger row
    gate << camera
         << ",2018-11-22 09:00,津X99999,ENTRY,HEAVY_GOODS,p/6.jpg,,\n";  // not in the registry
    gate << camera
         << ",2018-11-22 09:30,津R4T001,BOTH,HEAVY_GOODS,p/7.jpg,,\n";  // line: bad direction
    gate << enterprise
         << "/cameras/nope,2018-11-22 09:30,津R4T001,ENTRY,HEAVY_GOODS,,,\n";  // unknown camera
    std::ofstream ledger(dir + "/ledger.csv");
    ledger << "enterprise,plate,time,direction,vin,engine_number,emission_stage,registration_date,"
              "cargo,tonnage,fleet\n";
    for (const char* row : {"津R4T001,2018-12-02 10:03,ENTRY", "津R5T002,2018-12-02 11:02,ENTRY",
                            "津R5T003,2018-12-02 12:05,ENTRY", "津R4T001,2018-12-06 10:01,ENTRY",
                            "津R4T001,2018-11-21 15:00,EXIT"}) {  // the last: no passage
      ledger << enterprise << "," << row
             << ",LZZ1BLNB000000001,WP10,CHINA_4,2015-03-15,煤,30,蓟州运输车队\n";
    }
    ledger << enterprise << ",津R4T001,2018-11-21 15:30,EXIT,SHORT,,,,,,\n";  // bad VIN
  }
  CommandResult gate = Cli(*service_, {"ingest", "gate", dir + "/gate.csv"});
  EXPECT_EQ(gate.exit_code, 4) << gate.output;
  EXPECT_THAT(gate.output,
              HasSubstr("gate.csv:32:4: direction: 必填，可选：ENTRY（进）、EXIT（出）"));
  EXPECT_THAT(gate.output, AllOf(HasSubstr("gate.csv:33:1: camera: "),
                                 HasSubstr("未登记：登记信息中没有这个摄像头")));
  EXPECT_THAT(gate.output, HasSubstr("接收 30 行，重复 0 行，拒收 2 行"));
  CommandResult ledger = Cli(*service_, {"ingest", "ledger", dir + "/ledger.csv"});
  EXPECT_THAT(ledger.output, HasSubstr("接收 5 行，重复 0 行，拒收 1 行"));
  EXPECT_THAT(ledger.output, HasSubstr("ledger.csv:7:5: vin: \"SHORT\" 须为 17 位车辆识别代号"));
  CommandResult again = Cli(*service_, {"ingest", "gate", dir + "/gate.csv"});
  EXPECT_THAT(again.output, HasSubstr("接收 0 行，重复 30 行，拒收 2 行"));

  grpc::Status status;
  Verify(*verifier_, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto all = Findings(*verifier_, enterprise);
  auto banned = About(all, camera, v1::BANNED_TRUCK);
  ASSERT_EQ(banned.size(), 2u);
  EXPECT_EQ(FromTimestamp(banned[0].window_start()), China("2018-12-02 10:00"));
  EXPECT_THAT(banned[0].summary(), HasSubstr("国IV"));
  EXPECT_EQ(FromTimestamp(banned[1].window_start()), China("2018-12-02 12:00"));
  EXPECT_THAT(banned[1].summary(), HasSubstr("白名单"));
  auto missing = About(all, camera, v1::LEDGER_ROW_MISSING);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(FromTimestamp(missing[0].window_start()), China("2018-11-20 10:00"));
  auto no_passage = About(all, enterprise, v1::PASSAGE_MISSING);
  ASSERT_EQ(no_passage.size(), 1u);
  EXPECT_EQ(FromTimestamp(no_passage[0].window_start()), China("2018-11-21 15:00"));
  auto unknown = About(all, camera, v1::UNKNOWN_PLATE);
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_THAT(unknown[0].summary(), HasSubstr("津X99999"));
  auto silent = About(all, camera, v1::CAMERA_SILENT);
  // The runs before the passages arrived found the camera silent all along;
  // the run after them judged the same period again and superseded that
  // finding, naming itself (issue 15: later data is never left unsaid).
  ASSERT_EQ(silent.size(), 2u);
  EXPECT_EQ(FromTimestamp(silent[0].window_start()), China("2018-11-15 00:00"));
  EXPECT_EQ(silent[0].status(), v1::FINDING_SUPERSEDED);
  EXPECT_THAT(silent[0].superseded_by_run(), HasSubstr("/verificationRuns/"));
  EXPECT_EQ(silent[1].status(), v1::OPEN);
  EXPECT_EQ(FromTimestamp(silent[1].window_start()), China("2018-12-07 08:00"));
  EXPECT_EQ(FromTimestamp(silent[1].window_end()), China("2018-12-09 08:00"));
  CommandResult dismissed =
      Cli(*verifier_, {"findings", "review", silent[0].name(), "--decision=DISMISS",
                       "--comment=过车记录补传后核实，摄像头正常"});
  EXPECT_THAT(dismissed.output, HasSubstr("已是FINDING_SUPERSEDED"));
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM compliance.finding_event WHERE finding = '" +
                                 silent[0].name() + "' AND kind = 'SUPERSEDE'"),
            "1");
  // Gate findings carry the photo and the stage by name (国IV, not 4).
  EXPECT_EQ(banned[0].photo(), "p/1.jpg");
  EXPECT_EQ(banned[0].emission_stage(), "国IV");
  CommandResult shown = Cli(*verifier_, {"findings", "get", banned[0].name()});
  EXPECT_THAT(shown.output, ::testing::Not(HasSubstr("emission stage against")));
  // Scopes: the enterprise sees its gate findings; another enterprise does not.
  const std::string own = CreateKey(server_->address(), *admin_, "enterprise", enterprise);
  EXPECT_EQ(About(Findings(own, kDistrict), camera, v1::BANNED_TRUCK).size(), 2u);
  const std::string stranger =
      CreateKey(server_->address(), *admin_, "enterprise", stop_.substr(0, stop_.find("/meters/")));
  EXPECT_TRUE(About(Findings(stranger, kDistrict), camera, v1::BANNED_TRUCK).empty());
  // Retention (T80): nothing inside its period may be deleted or changed, even
  // by the database owner; what is past it may go. (The database's own clock
  // is real time, so 2018's passages are past their 90 days.)
  SqlScalar(*dsn_,
            "INSERT INTO compliance.gate_event (camera_id, time, plate, direction, vehicle_class) "
            "SELECT id, now(), '津TEST01', 1, 1 FROM compliance.camera WHERE name = '" +
                camera + "'");
  for (const std::string sql :
       {"DELETE FROM compliance.gate_event WHERE plate = '津TEST01'",
        "UPDATE compliance.gate_event SET plate = 'X' WHERE plate = '津A00001'"}) {
    try {
      SqlScalar(*dsn_, sql);
      ADD_FAILURE() << sql << " went through";
    } catch (const std::exception& e) {
      EXPECT_THAT(std::string(e.what()),
                  ::testing::AnyOf(HasSubstr("retention"), HasSubstr("records")));
    }
  }
  SqlScalar(*dsn_,
            "DELETE FROM compliance.gate_event WHERE plate = '津A00001' AND time < '2018-11-16'");
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM compliance.gate_event WHERE plate = '津A00001'"),
            "23");
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT video_days || ' ' || ledger_until FROM compliance.retention"),
            "90 2019-04-30");
}

TEST_F(ComplianceE2eTest, ARegisterResetIsAcceptedOnceItsEventIsRecorded) {
  // A meter of its own: the last production meter of an enterprise no other test writes.
  std::string meter;
  for (auto it = meters_->rbegin(); it != meters_->rend(); ++it) {
    const std::string e = it->name().substr(0, it->name().find("/meters/"));
    bool used = false;
    for (const std::string* m : {&stop_, &gap_, &limit_, &treatment_, &register_}) {
      used = used || absl::StartsWith(*m, e + "/");
    }
    if (it->role() == v1::PRODUCTION && !used) {
      meter = it->name();
      break;
    }
  }
  ASSERT_FALSE(meter.empty());
  const std::string dir = TempDir();
  {
    std::ofstream out(dir + "/reset.csv");
    out << "meter,time,kind,value\n";
    const absl::Time day = China("2018-12-07 00:00");
    for (int i = 1; i <= 8; ++i) {
      out << meter << "," << Csv(day + absl::Minutes(15 * i)) << ",CUMULATIVE_KWH,"
          << (i < 6 ? absl::StrFormat("%.1f", 1405700 + 2.5 * i) : absl::StrCat(3 + i)) << "\n";
    }
  }
  CommandResult before = Cli(*service_, {"ingest", "readings", dir + "/reset.csv"});
  EXPECT_EQ(before.exit_code, 4) << before.output;
  EXPECT_THAT(before.output, HasSubstr("接收 5 行，重复 0 行，拒收 3 行"));
  // The register keeps its precision in the message.
  EXPECT_THAT(before.output, AllOf(HasSubstr("2018-12-07 01:30:00+08:00 读数为 9 kWh"),
                                   HasSubstr(" 为 1405712.5 kWh")));
  EXPECT_THAT(before.output, HasSubstr("cuofeng meters event"));
  // The enterprise may not excuse its own register; the bureau may.
  const std::string own =
      CreateKey(server_->address(), *admin_, "enterprise", meter.substr(0, meter.find("/meters/")));
  const std::vector<std::string> event = {"meters",
                                          "event",
                                          meter,
                                          "--time=2018-12-07 01:20",
                                          "--kind=REGISTER_RESET",
                                          "--new_register=0",
                                          "--reason=表码清零（固件升级）"};
  CommandResult refused = Cli(own, event);
  EXPECT_THAT(refused.output, HasSubstr("PERMISSION_DENIED"));
  CommandResult recorded = Cli(*bureau_, event);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.output;
  EXPECT_THAT(recorded.output, HasSubstr("REGISTER_RESET"));
  CommandResult twice = Cli(*bureau_, event);
  EXPECT_THAT(twice.output, HasSubstr("ALREADY_EXISTS"));
  CommandResult no_reason = Cli(*bureau_, {"meters", "event", meter, "--time=2018-12-07 02:20",
                                           "--kind=REGISTER_RESET", "--new_register=0"});
  EXPECT_THAT(no_reason.output, HasSubstr("event.reason"));
  // Now the same file goes in: the three readings after the reset are accepted.
  CommandResult after = Cli(*service_, {"ingest", "readings", dir + "/reset.csv"});
  EXPECT_EQ(after.exit_code, 0) << after.output;
  EXPECT_THAT(after.output, HasSubstr("接收 3 行，重复 5 行，拒收 0 行"));
  // Audited, and listed.
  EXPECT_EQ(SqlScalar(*dsn_,
                      "SELECT count(*) FROM core.audit_log WHERE method = 'RecordMeterEvent' AND "
                      "outcome = 'OK'"),
            "1");
  EXPECT_NE(SqlScalar(*dsn_,
                      "SELECT count(*) FROM core.audit_log WHERE method = 'RecordMeterEvent' "
                      "AND outcome = 'PERMISSION_DENIED'"),
            "0");
  CommandResult listed = Cli(*verifier_, {"meters", "events", meter});
  EXPECT_THAT(listed.output, HasSubstr("表码清零"));
}

TEST_F(ComplianceE2eTest, EachBatchOfAStreamSeesTheBatchesStoredBeforeIt) {
  // The server checks batch k+1 while it stores batch k; what depends on
  // the rows stored (duplicates, conflicts, a register running backwards)
  // must still see every batch before it. Two rows a batch, on a meter of
  // its own: the first production meter of an enterprise no other test writes.
  std::string meter, reset_meter;
  for (auto it = meters_->rbegin(); it != meters_->rend() && reset_meter.empty(); ++it) {
    const std::string e = it->name().substr(0, it->name().find("/meters/"));
    bool used = false;
    for (const std::string* m : {&stop_, &gap_, &limit_, &treatment_, &register_}) {
      used = used || absl::StartsWith(*m, e + "/");
    }
    if (it->role() == v1::PRODUCTION && !used) reset_meter = it->name();
  }
  for (const v1::Meter& m : *meters_) {
    const std::string e = m.name().substr(0, m.name().find("/meters/"));
    bool used = absl::StartsWith(reset_meter, e + "/");
    for (const std::string* o : {&stop_, &gap_, &limit_, &treatment_, &register_}) {
      used = used || absl::StartsWith(*o, e + "/");
    }
    if (m.role() == v1::PRODUCTION && !used) {
      meter = m.name();
      break;
    }
  }
  ASSERT_FALSE(meter.empty()) << "no meter of an enterprise that no other test writes";
  const std::string dir = TempDir();
  {
    std::ofstream out(dir + "/batches.csv");
    out << "meter,time,kind,value\n"
        << meter << ",2018-12-08 10:15,KW,5\n"                 // line 2: accepted
        << meter << ",2018-12-08 10:30,KW,6\n"                 // 3: accepted
        << meter << ",2018-12-08 10:15,KW,5\n"                 // 4: duplicate of line 2
        << meter << ",2018-12-08 10:30,KW,7\n"                 // 5: conflicts with line 3
        << meter << ",2018-12-08 10:45,KW,8\n"                 // 6: accepted
        << meter << ",2018-12-08 10:45,KW,8\n"                 // 7: duplicate of line 6
        << meter << ",2018-12-08 11:00,CUMULATIVE_KWH,100\n"   // 8: accepted
        << meter << ",2018-12-08 11:15,CUMULATIVE_KWH,101\n"   // 9: accepted
        << meter << ",2018-12-08 11:30,CUMULATIVE_KWH,50\n"    // 10: runs backwards from line 9
        << meter << ",2018-12-08 11:45,CUMULATIVE_KWH,102\n";  // 11: accepted
  }
  auto summary = StreamMonitoringFiles(*compliance_, *service_, MonitoringKind::kReadings,
                                       {dir + "/batches.csv"}, nullptr, /*batch_rows=*/2);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->accepted(), 6);
  EXPECT_EQ(summary->duplicate(), 2);
  EXPECT_EQ(summary->rejected(), 2);
  ASSERT_EQ(summary->rejections_size(), 2);
  EXPECT_EQ(summary->rejections(0).line(), 5);
  EXPECT_THAT(summary->rejections(0).reason(), HasSubstr("已存有不同的读数"));
  EXPECT_EQ(summary->rejections(1).line(), 10);
  EXPECT_EQ(summary->rejections(1).field(), "value");
  EXPECT_EQ(SqlScalar(*dsn_,
                      "SELECT count(*) || ' ' || sum(r.value) FROM compliance.reading r JOIN "
                      "compliance.meter m ON m.id = r.meter_id WHERE m.name = '" +
                          meter +
                          "' AND r.time >= '2018-12-08 00:00+08' AND r.time < '2018-12-09 "
                          "00:00+08'"),
            "6 322");
}

TEST_F(ComplianceE2eTest, OffsetLessTimesAreReadInTheBatchZoneAndTheSummarySaysSo) {
  std::string meter;
  for (const v1::Meter& m : *meters_) {
    if (m.role() == v1::TREATMENT && m.name() != treatment_) meter = m.name();
  }
  ASSERT_FALSE(meter.empty());
  const std::string dir = TempDir();
  {
    std::ofstream china(dir + "/china.csv"), utc(dir + "/utc.csv");
    china << "meter,time,kind,value\n" << meter << ",2018-12-09 10:15,KW,7\n";
    utc << "meter,time,kind,value\n"
        << meter << ",2018-12-09 02:30,KW,8\n"
        << meter << ",2018-12-09T10:45:00+08:00,KW,9\n";  // an explicit offset is kept
  }
  CommandResult c = Cli(*service_, {"ingest", "readings", dir + "/china.csv"});
  EXPECT_THAT(c.output, HasSubstr("1 个未注明时区的时间按 Asia/Shanghai（北京时间，默认） 读取"));
  CommandResult u = Cli(*service_, {"ingest", "readings", "--time_zone=UTC", dir + "/utc.csv"});
  EXPECT_THAT(u.output, HasSubstr("接收 2 行，重复 0 行，拒收 0 行"));
  EXPECT_THAT(u.output, HasSubstr("1 个未注明时区的时间按 UTC 读取"));
  EXPECT_EQ(
      SqlScalar(
          *dsn_,
          "SELECT string_agg(to_char(r.time AT TIME ZONE 'Asia/Shanghai', 'HH24:MI') || '=' || "
          "r.value, ',' ORDER BY r.time) FROM compliance.reading r JOIN compliance.meter m "
          "ON m.id = r.meter_id WHERE m.name = '" +
              meter +
              "' AND r.time >= '2018-12-09 10:00+08' "
              "AND r.time < '2018-12-09 11:00+08'"),
      "10:15=7,10:30=8,10:45=9");
  CommandResult bad =
      Cli(*service_, {"ingest", "readings", "--time_zone=Mars/Olympus", dir + "/utc.csv"});
  EXPECT_THAT(bad.output, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(bad.output, HasSubstr("time_zone"));
}

TEST_F(ComplianceE2eTest, GradeRulesOfThe2020StyleRuleSetAtTheGate) {
  const std::string camera = "districts/120101/enterprises/c1/cameras/gate1";
  const std::string dir = TempDir();
  {
    std::ofstream gate(dir + "/gate.csv");
    gate << "camera,time,plate,direction,vehicle_class\n"
         << camera << ",2018-12-06 10:00,津C40001,ENTRY,HEAVY_GOODS\n"  // China IV at yellow:
                                                                        // banned for grade B
         << camera
         << ",2018-12-06 11:00,津C50001,ENTRY,HEAVY_GOODS\n"  // China V at yellow: allowed
         << camera << ",2018-11-20 10:00,津C40001,ENTRY,HEAVY_GOODS\n";  // no alert: allowed
  }
  CommandResult gate = Cli(*service_, {"ingest", "gate", dir + "/gate.csv"});
  ASSERT_THAT(gate.output, HasSubstr("接收 3 行，重复 0 行，拒收 0 行"));
  v1::RunVerificationRequest req;
  req.set_district("districts/120101");
  *req.mutable_from() = ToTimestamp(China("2018-11-15 00:00"));
  *req.mutable_to() = ToTimestamp(China("2018-12-10 00:00"));
  v1::VerificationRun run;
  grpc::Status s = compliance_->RunVerification(KeyContext(*other_verifier_).get(), req, &run);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(run.rule_set(), "ruleSets/national-2020-sample@1");
  auto banned = About(Findings(*other_verifier_, "districts/120101"), camera, v1::BANNED_TRUCK);
  ASSERT_EQ(banned.size(), 1u);
  EXPECT_EQ(FromTimestamp(banned[0].window_start()), China("2018-12-06 10:00"));
  EXPECT_THAT(banned[0].rule(), HasSubstr("国四及以下重型载货车禁止进出"));
  EXPECT_THAT(banned[0].rule(), HasSubstr("黄色预警"));
}

// Issue 12: verification runs call other services (in the same process)
// and must never hold a pooled connection while they wait, so that a burst
// of runs far above the pool size, with reads among them, never wedges the
// server. Its own database, so that its runs touch no other test's state.
class VerificationUnderLoadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn_ = new std::string(FreshDatabase("compliance_load"));
    admin_ = new std::string(BootstrapAdmin(*dsn_));
    std::string error;
    auto server = ServerProcess::Start(*dsn_, &error, {"--clock=2018-10-25T09:00:00+08:00"});
    ASSERT_NE(server, nullptr) << error;
    const std::string& address = server->address();
    bureau_ = new std::string;
    ASSERT_NO_FATAL_FAILURE(CreateJizhou(address, *admin_, 30, 90, bureau_));
    const std::string city = CreateKey(address, *admin_, "city", "");
    ASSERT_NO_FATAL_FAILURE(CreateSeason2018(address, *bureau_));
    ASSERT_NO_FATAL_FAILURE(FileListAndOrangeAlert(address, *bureau_, city));
    verifier_ = new std::string(CreateKey(address, *admin_, "verifier", kDistrict));
    service_ = new std::string(CreateKey(address, *admin_, "service", ""));
    // Readings of the first production meters, so that runs have work to do.
    auto registry = v1::RegistryService::NewStub(Connect(address));
    v1::ReadDistrictSnapshotRequest sreq;
    sreq.set_district(kDistrict);
    auto ctx = KeyContext(*bureau_);
    auto reader = registry->ReadDistrictSnapshot(ctx.get(), sreq);
    v1::DistrictSnapshotChunk chunk;
    std::vector<std::string> meters;
    while (reader->Read(&chunk)) {
      for (const v1::Meter& m : chunk.meters()) meters.push_back(m.name());
    }
    ASSERT_TRUE(reader->Finish().ok());
    ASSERT_GE(meters.size(), 8u);
    ASSERT_EQ(server->Stop(), 0);
    server.reset();
    auto later = ServerProcess::Start(*dsn_, &error, {"--clock=2018-12-10T12:00:00+08:00"});
    ASSERT_NE(later, nullptr) << error;
    const std::string dir = TempDir();
    {
      std::ofstream out(dir + "/readings.csv");
      out << "meter,time,kind,value\n";
      for (size_t i = 0; i < 8; ++i) {
        for (absl::Time t = China("2018-10-16 00:15"); t <= China("2018-12-10 00:00");
             t += absl::Minutes(15)) {
          out << meters[i] << "," << Csv(t) << ",INTERVAL_KWH," << (i % 2 ? 25 : 20) << "\n";
        }
      }
    }
    CommandResult ingested = ::cuofeng::testing::Cli(later->address(), *service_,
                                                     {"ingest", "readings", dir + "/readings.csv"});
    ASSERT_EQ(ingested.exit_code, 0) << ingested.output;
    ASSERT_EQ(later->Stop(), 0);
  }

  struct Outcome {
    grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
    std::string message;
    int findings_new = 0;
  };

  // Burst starts `runs` verification runs and `reads` finding and obligation
  // reads at once against `address`, each with a deadline of `deadline`.
  static std::vector<Outcome> Burst(const std::string& address, int runs, int reads,
                                    std::chrono::seconds deadline) {
    std::vector<Outcome> out(runs + reads);
    std::vector<std::thread> threads;
    for (int i = 0; i < runs + reads; ++i) {
      threads.emplace_back([&, i] {
        auto channel = Connect(address);
        auto ctx = KeyContext(*verifier_);
        ctx->set_deadline(std::chrono::system_clock::now() + deadline);
        grpc::Status s;
        if (i < runs) {
          v1::RunVerificationRequest req;
          req.set_district(kDistrict);
          // Overlapping periods: the same findings are found by several runs at once.
          *req.mutable_from() = ToTimestamp(China("2018-11-15 00:00") + absl::Hours(24) * (i % 3));
          *req.mutable_to() = ToTimestamp(China("2018-12-10 00:00"));
          v1::VerificationRun run;
          s = v1::ComplianceService::NewStub(channel)->RunVerification(ctx.get(), req, &run);
          out[i].findings_new = run.findings_new();
        } else if (i % 2) {
          v1::ListFindingsRequest req;
          req.set_parent(kDistrict);
          v1::ListFindingsResponse resp;
          s = v1::ComplianceService::NewStub(channel)->ListFindings(ctx.get(), req, &resp);
        } else {
          v1::ListObligationWindowsRequest req;
          req.set_district(kDistrict);
          *req.mutable_from() = ToTimestamp(China("2018-11-15 00:00"));
          *req.mutable_to() = ToTimestamp(China("2018-12-10 00:00"));
          v1::ListObligationWindowsResponse resp;
          s = v1::ObligationService::NewStub(channel)->ListObligationWindows(ctx.get(), req, &resp);
        }
        out[i].code = s.error_code();
        out[i].message = s.error_message();
      });
    }
    for (auto& t : threads) t.join();
    return out;
  }

  // Every call answered with a result or a clear error: never INTERNAL or UNKNOWN.
  static int CheckAnswers(const std::vector<Outcome>& outcomes) {
    int ok = 0;
    for (const Outcome& o : outcomes) {
      if (o.code == grpc::StatusCode::OK) {
        ++ok;
        continue;
      }
      EXPECT_THAT(o.code, ::testing::AnyOf(
                              grpc::StatusCode::DEADLINE_EXCEEDED, grpc::StatusCode::UNAVAILABLE,
                              grpc::StatusCode::RESOURCE_EXHAUSTED, grpc::StatusCode::ABORTED))
          << o.message;
      EXPECT_FALSE(o.message.empty());
    }
    return ok;
  }

  // The server still answers a plain read, and no connection is left in a transaction.
  static void ExpectServerAnswers(const std::string& address) {
    auto ctx = KeyContext(*verifier_);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::ListFindingsRequest req;
    req.set_parent(kDistrict);
    v1::ListFindingsResponse resp;
    grpc::Status s =
        v1::ComplianceService::NewStub(Connect(address))->ListFindings(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    // Runs cut short may still be finishing on the server: wait for them (bounded).
    std::string held;
    for (int i = 0; i < 300; ++i) {
      held = SqlScalar(*dsn_,
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND state LIKE 'idle in transaction%'");
      if (held == "0") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_EQ(held, "0");
  }

  static std::string *dsn_, *admin_, *bureau_, *verifier_, *service_;
};

std::string *VerificationUnderLoadTest::dsn_, *VerificationUnderLoadTest::admin_,
    *VerificationUnderLoadTest::bureau_, *VerificationUnderLoadTest::verifier_,
    *VerificationUnderLoadTest::service_;

TEST_F(VerificationUnderLoadTest, ManyRunsOnASmallPoolAllAnswerAndStoreEachFindingOnce) {
  std::string error;
  auto server =
      ServerProcess::Start(*dsn_, &error, {"--clock=2018-12-10T12:00:00+08:00", "--pool_size=2"});
  ASSERT_NE(server, nullptr) << error;
  const auto outcomes = Burst(server->address(), 12, 8, std::chrono::seconds(120));
  const int ok = CheckAnswers(outcomes);
  EXPECT_GE(ok, 1);
  ExpectServerAnswers(server->address());
  // Concurrent runs that found the same thing stored it once (ON CONFLICT):
  // the new findings the runs report add up to the findings stored.
  int reported_new = 0;
  for (const Outcome& o : outcomes) reported_new += o.findings_new;
  EXPECT_EQ(std::to_string(reported_new),
            SqlScalar(*dsn_, "SELECT count(*) FROM compliance.finding"));
  EXPECT_GT(reported_new, 0);
}

TEST_F(VerificationUnderLoadTest, ARunOnAPoolOfOneAnswersAndSoDoReadsBesideIt) {
  std::string error;
  auto server =
      ServerProcess::Start(*dsn_, &error, {"--clock=2018-12-10T12:00:00+08:00", "--pool_size=1"});
  ASSERT_NE(server, nullptr) << error;
  const auto alone = Burst(server->address(), 1, 0, std::chrono::seconds(120));
  EXPECT_EQ(alone[0].code, grpc::StatusCode::OK) << alone[0].message;
  EXPECT_GE(CheckAnswers(Burst(server->address(), 4, 4, std::chrono::seconds(120))), 1);
  ExpectServerAnswers(server->address());
}

TEST_F(VerificationUnderLoadTest, RunsCutShortByTheirDeadlineLeaveNothingHeld) {
  std::string error;
  auto server =
      ServerProcess::Start(*dsn_, &error, {"--clock=2018-12-10T12:00:00+08:00", "--pool_size=2"});
  ASSERT_NE(server, nullptr) << error;
  // Deadlines of one second for 12 runs on two connections: some answer in
  // time, the others say DEADLINE_EXCEEDED; none may leave anything held.
  CheckAnswers(Burst(server->address(), 12, 4, std::chrono::seconds(1)));
  ExpectServerAnswers(server->address());
}

TEST_F(VerificationUnderLoadTest, TriggerRefusalsAreFailedPreconditionsWithTheirReason) {
  pqxx::connection conn(*dsn_);
  pqxx::work tx(conn);
  tx.exec0(
      "INSERT INTO compliance.verification_run (name, district_id, body, run_by) "
      "VALUES ('districts/120119/verificationRuns/999999', '120119', '', 'test')");
  try {
    tx.exec0(
        "UPDATE compliance.verification_run SET run_by = 'x' "
        "WHERE name = 'districts/120119/verificationRuns/999999'");
    ADD_FAILURE() << "the update went through";
  } catch (const std::exception& e) {
    const absl::Status s = TranslateDbError(e);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("append-only: UPDATE refused"));
  }
}

// Issue 15: the same simulated season verified in daily runs and in one run
// gives the same findings, and the simulation's planted kinds (flaky meter,
// silent treatment meter, register reset with its event, a meter writing
// UTC) are all found with no false alarm.
class SeasonRunsTest : public ::testing::Test {
 protected:
  static std::set<std::string> Open(const std::string& key) {
    std::set<std::string> out;
    v1::ListFindingsRequest req;
    req.set_parent(kDistrict);
    req.set_page_size(1000);
    auto stub = v1::ComplianceService::NewStub(Connect(server_->address()));
    do {
      v1::ListFindingsResponse resp;
      grpc::Status s = stub->ListFindings(KeyContext(key).get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const v1::Finding& f : resp.findings()) {
        if (f.status() == v1::OPEN) {
          out.insert(absl::StrCat(v1::FindingType_Name(f.type()), " ", f.scope(), " ",
                                  absl::FormatTime(FromTimestamp(f.window_start())), " ",
                                  absl::FormatTime(FromTimestamp(f.window_end()))));
        }
      }
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return out;
  }
  static v1::VerificationRun Run(const std::string& key, absl::Time from, absl::Time to) {
    v1::RunVerificationRequest req;
    req.set_district(kDistrict);
    *req.mutable_from() = ToTimestamp(from);
    *req.mutable_to() = ToTimestamp(to);
    v1::VerificationRun run;
    grpc::Status s = v1::ComplianceService::NewStub(Connect(server_->address()))
                         ->RunVerification(KeyContext(key).get(), req, &run);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return run;
  }
  static ServerProcess* server_;
};
ServerProcess* SeasonRunsTest::server_;

TEST_F(SeasonRunsTest, DailyRunsFindWhatOneRunFindsAndThePlantedKindsAreFound) {
  const std::string dsn = FreshDatabase("compliance_season");
  const std::string admin = BootstrapAdmin(dsn);
  JizhouKeys keys;
  ASSERT_NO_FATAL_FAILURE(FileJizhouSeason(dsn, admin, &keys));
  std::string error;
  auto later = ServerProcess::Start(dsn, &error, {"--clock=2018-12-10T12:00:00+08:00"});
  ASSERT_NE(later, nullptr) << error;
  server_ = later.get();
  const std::string platform = CreateKey(later->address(), admin, "service", "");
  const std::string verifier = CreateKey(later->address(), admin, "verifier", kDistrict);
  const std::string dir = TempDir();
  CommandResult simulated = SimulateSeason(later->address(), keys.bureau, dir);
  ASSERT_EQ(simulated.exit_code, 0) << simulated.output;
  EXPECT_THAT(simulated.output, HasSubstr("register reset"));
  for (const char* kind : {"readings", "gate", "ledger", "production"}) {
    const std::string file =
        dir + "/" + (std::string(kind) == "readings" ? "readings" : kind) + ".csv";
    CommandResult in = ::cuofeng::testing::Cli(later->address(), platform, {"ingest", kind, file});
    // Every row goes in: the reset's readings too, since its event is recorded.
    EXPECT_EQ(in.exit_code, 0) << in.output.substr(0, 2000);
    EXPECT_THAT(in.output, HasSubstr("拒收 0 行"));
  }
  // Daily runs first, then one run over the union.
  int daily_new = 0;
  for (absl::Time d = China("2018-11-15 00:00"); d < China("2018-12-10 00:00");
       d += absl::Hours(24)) {
    daily_new += Run(verifier, d, d + absl::Hours(24)).findings_new();
  }
  const std::set<std::string> after_daily = Open(verifier);
  ASSERT_FALSE(after_daily.empty());
  const v1::VerificationRun one =
      Run(verifier, China("2018-11-15 00:00"), China("2018-12-10 00:00"));
  EXPECT_EQ(one.findings_new(), 0);
  EXPECT_EQ(one.findings_superseded(), 0);
  EXPECT_EQ(static_cast<size_t>(one.findings_unchanged()), after_daily.size());
  EXPECT_EQ(Open(verifier), after_daily);
  EXPECT_EQ(SqlScalar(dsn, "SELECT count(*) FROM compliance.finding WHERE status = 4"), "0");
  EXPECT_EQ(static_cast<size_t>(daily_new), after_daily.size());
  // The runs say what they could not verify, and why.
  EXPECT_GT(one.unverified_size(), 0);
  // Scored against the planted truth: all found, no false alarm.
  CommandResult score = RunCommand({BinDir() + "/cuofeng-gen", "score",
                                    "--truth=" + dir + "/truth.csv", "--district=districts/120119",
                                    "--server=" + later->address(), "--key=" + verifier});
  EXPECT_EQ(score.exit_code, 0) << score.output;
  EXPECT_THAT(score.output, HasSubstr("0 missed, 0 false alarms"));
  for (const char* kind :
       {"TREATMENT_SILENT", "SUSPECTED_CLOCK_OFFSET", "STOP_NOT_KEPT", "DATA_GAP"}) {
    EXPECT_THAT(score.output, HasSubstr(absl::StrCat("found   ", kind))) << score.output;
  }
  server_ = nullptr;
}

// Issue 15 (covering meters) and issue 20 (live verification), on a district
// of their own: a server with --live_verification takes the alert's readings
// hour by hour; findings appear as the readings that prove them land, on
// WatchFindings too, and a batch run over the same data adds nothing.
class LiveAndCoveringTest : public ::testing::Test {
 protected:
  // The share of the baseline the obligations binding `target` (or what it
  // lies in) allow at `t`; 0 also when stops bind every one of `parts`.
  static double Allowed(const std::string& target, const std::vector<std::string>& parts,
                        absl::Time t) {
    auto binds = [&](const v1::Obligation& o) {
      return (o.action() == v1::STOP || o.action() == v1::RECTIFY || o.action() == v1::LIMIT ||
              o.action() == v1::STOP_LINES || o.action() == v1::CAP) &&
             FromTimestamp(o.window_start()) <= t &&
             (!o.has_window_end() || t < FromTimestamp(o.window_end()));
    };
    auto share = [](const v1::Obligation& o) {
      if (o.action() == v1::STOP || o.action() == v1::RECTIFY) return 0.0;
      return o.action() == v1::CAP ? o.percent() / 100 : 1 - o.percent() / 100;
    };
    double allowed = 1;
    for (const v1::Obligation& o : windows_.obligations()) {
      if (binds(o) && IsWithin(target, o.resource())) allowed = std::min(allowed, share(o));
    }
    if (parts.empty()) return allowed;
    for (const std::string& part : parts) {
      bool stopped = false;
      for (const v1::Obligation& o : windows_.obligations()) {
        stopped = stopped || (binds(o) && IsWithin(part, o.resource()) && share(o) == 0);
      }
      if (!stopped) return allowed;
    }
    return 0;
  }
  static double Compliant(const std::string& target, const std::vector<std::string>& parts,
                          absl::Time t) {
    if (t <= China("2018-11-15 00:00")) return 100;
    const double allowed = Allowed(target, parts, t - absl::Minutes(15));
    return allowed == 0 ? 5 : allowed < 1 ? allowed * 90 : 95;
  }
  static void WriteMeter(std::ofstream& out, const std::string& meter, absl::Time from,
                         absl::Time to, const std::function<double(absl::Time)>& kw) {
    for (absl::Time t = from + absl::Minutes(15); t <= to; t += absl::Minutes(15)) {
      out << meter << "," << Csv(t) << ",INTERVAL_KWH," << absl::StrFormat("%.3f", kw(t) / 4)
          << "\n";
    }
  }
  static std::vector<v1::Finding> Findings(const std::string& key) {
    std::vector<v1::Finding> out;
    v1::ListFindingsRequest req;
    req.set_parent(kDistrict);
    req.set_status(v1::OPEN);
    req.set_page_size(1000);
    auto stub = v1::ComplianceService::NewStub(Connect(server_->address()));
    do {
      v1::ListFindingsResponse resp;
      grpc::Status s = stub->ListFindings(KeyContext(key).get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      out.insert(out.end(), resp.findings().begin(), resp.findings().end());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return out;
  }
  // Polls (bounded: 180 s, for a loaded machine) until an OPEN finding of `type` on `scope` whose
  // window ends at `end` (any end when InfinitePast) exists.
  static std::optional<v1::Finding> AwaitFinding(const std::string& key, const std::string& scope,
                                                 v1::FindingType type, absl::Time end) {
    for (int i = 0; i < 900; ++i) {
      for (const v1::Finding& f : Findings(key)) {
        if (f.scope() == scope && f.type() == type &&
            (end == absl::InfinitePast() || FromTimestamp(f.window_end()) == end)) {
          return f;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return std::nullopt;
  }
  static std::set<std::string> About(const std::vector<v1::Finding>& all,
                                     const std::set<std::string>& scopes) {
    std::set<std::string> out;
    for (const v1::Finding& f : all) {
      if (scopes.count(f.scope())) {
        out.insert(absl::StrCat(v1::FindingType_Name(f.type()), " ", f.scope(), " ",
                                absl::FormatTime(FromTimestamp(f.window_start())), " ",
                                absl::FormatTime(FromTimestamp(f.window_end()))));
      }
    }
    return out;
  }

  static ServerProcess* server_;
  static v1::ListObligationWindowsResponse windows_;
};
ServerProcess* LiveAndCoveringTest::server_;
v1::ListObligationWindowsResponse LiveAndCoveringTest::windows_;

TEST_F(LiveAndCoveringTest, FindingsArriveAsTheReadingsLandAndTheBatchRunAddsNothing) {
  const std::string dsn = FreshDatabase("compliance_live");
  const std::string admin = BootstrapAdmin(dsn);
  JizhouKeys keys;
  ASSERT_NO_FATAL_FAILURE(FileJizhouSeason(dsn, admin, &keys));
  const std::string& bureau = keys.bureau;
  auto cli = [](const std::string& address, const std::string& key, std::vector<std::string> args) {
    return ::cuofeng::testing::Cli(address, key, std::move(args));
  };
  std::string error;
  auto later = ServerProcess::Start(
      dsn, &error, {"--clock=2018-12-10T12:00:00+08:00", "--live_verification", "--live_sweep=1s"});
  ASSERT_NE(later, nullptr) << error;
  server_ = later.get();
  const std::string& b = later->address();
  const std::string platform = CreateKey(b, admin, "service", "");
  const std::string verifier = CreateKey(b, admin, "verifier", kDistrict);
  const std::string other_verifier = CreateKey(b, admin, "verifier", "districts/120101");

  // What binds, and the registry.
  {
    v1::ListObligationWindowsRequest req;
    req.set_district(kDistrict);
    *req.mutable_from() = ToTimestamp(China("2018-11-15 00:00"));
    *req.mutable_to() = ToTimestamp(China("2018-12-10 00:00"));
    ASSERT_TRUE(v1::ObligationService::NewStub(Connect(b))
                    ->ListObligationWindows(KeyContext(verifier).get(), req, &windows_)
                    .ok());
  }
  std::vector<v1::Meter> meters;
  std::vector<std::string> equipment;
  {
    v1::ReadDistrictSnapshotRequest sreq;
    sreq.set_district(kDistrict);
    auto ctx = KeyContext(bureau);
    auto reader = v1::RegistryService::NewStub(Connect(b))->ReadDistrictSnapshot(ctx.get(), sreq);
    v1::DistrictSnapshotChunk chunk;
    while (reader->Read(&chunk)) {
      meters.insert(meters.end(), chunk.meters().begin(), chunk.meters().end());
      for (const v1::Equipment& q : chunk.equipment()) equipment.push_back(q.name());
    }
    ASSERT_TRUE(reader->Finish().ok());
  }
  const absl::Time orange = China("2018-12-01 00:00"), season = China("2018-11-20 00:00");
  // stop: runs through the orange stop; compliant: keeps it; gap: falls
  // silent in the alert; two enterprises whose line 1 stops whole at orange
  // and has equipment without a meter get a line meter: one runs on.
  std::string stop, compliant, gap;
  std::vector<std::string> whole_lines;  // lines/l1 of enterprises that qualify
  std::vector<std::string> replaced;     // their main equipment's meters
  std::set<std::string> used;
  for (const v1::Meter& m : meters) {
    if (m.role() != v1::PRODUCTION || m.equipment().empty()) continue;
    const std::string e = EnterpriseOf(m.name());
    const std::string line = m.equipment().substr(0, m.equipment().find("/processes/"));
    std::vector<std::string> parts;
    bool meterless = false;
    for (const std::string& q : equipment) {
      if (!IsWithin(q, line)) continue;
      parts.push_back(q);
      bool metered = false;
      for (const v1::Meter& n : meters) metered = metered || n.equipment() == q;
      for (const v1::Obligation& o : windows_.obligations()) {
        meterless = meterless || (!metered && o.resource() == q && !o.alert().empty() &&
                                  (o.action() == v1::STOP || o.action() == v1::RECTIFY));
      }
    }
    const double at_orange = Allowed(m.equipment(), {}, orange + absl::Hours(1));
    const double in_season = Allowed(m.equipment(), {}, season);
    if (used.count(e)) continue;
    // The main equipment stops at orange while the line as a whole (its
    // enterprise) does not. Its meter is replaced by a line meter below, so
    // the main equipment has none of its own: the line meter can judge its
    // stop only by its share of the line's rated power, which the test gives.
    (void)meterless;
    if (whole_lines.size() < 2 && at_orange == 0 &&
        Allowed(line, {}, orange + absl::Hours(1)) > 0) {
      whole_lines.push_back(line);
      replaced.push_back(m.name());
    } else if (stop.empty() && at_orange == 0 && in_season > 0) {
      stop = m.name();
    } else if (compliant.empty() && at_orange == 0 && in_season > 0) {
      compliant = m.name();
    } else if (gap.empty() && at_orange < 1 && in_season > 0) {
      gap = m.name();
    } else {
      continue;
    }
    used.insert(e);
  }
  ASSERT_FALSE(stop.empty());
  ASSERT_FALSE(compliant.empty());
  ASSERT_FALSE(gap.empty());
  std::string orange_binds;  // for the failure message: what binds at orange, by kind
  {
    std::map<std::string, int> kinds;
    for (const v1::Obligation& o : windows_.obligations()) {
      if (FromTimestamp(o.window_start()) > orange + absl::Hours(1) ||
          (o.has_window_end() && FromTimestamp(o.window_end()) <= orange + absl::Hours(1)))
        continue;
      const std::string kind = o.resource() == o.enterprise() ? "enterprise"
                               : absl::StrContains(o.resource(), "/equipment/")
                                   ? (absl::EndsWith(o.resource(), "/q1") ? "main" : "other-eq")
                                   : "line";
      kinds[absl::StrCat(kind, ":", v1::Action_Name(o.action()),
                         o.alert().empty() ? "" : "+alert")]++;
    }
    for (const auto& [k, n] : kinds) absl::StrAppend(&orange_binds, k, "=", n, " ");
  }
  ASSERT_EQ(whole_lines.size(), 2u) << orange_binds;
  std::vector<std::string> line_meters;
  std::map<std::string, std::vector<std::string>> parts_of;
  std::map<std::string, double> rated;
  for (const std::string& old : replaced) {
    v1::DeleteMeterRequest del;
    del.set_name(old);
    v1::DeleteResponse deleted;
    grpc::Status s = v1::RegistryService::NewStub(Connect(b))
                         ->DeleteMeter(KeyContext(bureau).get(), del, &deleted);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  for (const std::string& line : whole_lines) {
    v1::CreateMeterRequest req;
    req.set_parent(EnterpriseOf(line));
    req.set_meter_id("line1");
    req.mutable_meter()->set_display_name("1号线总电表");
    req.mutable_meter()->set_role(v1::PRODUCTION);
    req.mutable_meter()->set_line(line);
    req.mutable_meter()->set_interval_minutes(15);
    v1::Meter made;
    grpc::Status s =
        v1::RegistryService::NewStub(Connect(b))->CreateMeter(KeyContext(bureau).get(), req, &made);
    ASSERT_TRUE(s.ok()) << s.error_message();
    line_meters.push_back(made.name());
    for (const std::string& q : equipment) {
      if (!IsWithin(q, line)) continue;
      parts_of[made.name()].push_back(q);
      // Rated power: the main equipment 300 kW, the others 100 kW each.
      v1::UpdateEquipmentRequest u;
      u.mutable_equipment()->set_name(q);
      u.mutable_equipment()->set_rated_capacity(absl::EndsWith(q, "/q1") ? 300 : 100);
      u.mutable_equipment()->set_capacity_unit("kW");
      u.mutable_update_mask()->add_paths("rated_capacity");
      u.mutable_update_mask()->add_paths("capacity_unit");
      v1::Equipment updated;
      s = v1::RegistryService::NewStub(Connect(b))
              ->UpdateEquipment(KeyContext(bureau).get(), u, &updated);
      ASSERT_TRUE(s.ok()) << s.error_message();
      rated[q] = updated.rated_capacity();
    }
  }
  const std::string running_line = line_meters[0], stopped_line = line_meters[1];
  auto target_of = [&](const std::string& meter) {
    for (const v1::Meter& m : meters) {
      if (m.name() == meter) return m.equipment();
    }
    return std::string();
  };
  auto kw = [&](const std::string& meter, absl::Time t) {
    const bool in_orange = t > orange && t <= China("2018-12-04 00:00");
    if (meter == stop && in_orange) return 90.0;
    if (meter == running_line && in_orange) return 90.0;
    if (parts_of.count(meter)) {
      // The line's own obligations, and the rated share of its pieces that must go.
      if (t <= China("2018-11-15 00:00")) return 100.0;
      const absl::Time at = t - absl::Minutes(15);
      double total = 0, drop = 0;
      for (const std::string& q : parts_of[meter]) total += rated[q];
      for (const std::string& q : parts_of[meter])
        drop += rated[q] / total * (1 - Allowed(q, {}, at));
      const double allowed =
          std::min(Allowed(whole_lines[meter == running_line ? 0 : 1], {}, at), 1 - drop);
      return allowed <= 1e-9 ? 5.0 : allowed < 1 ? allowed * 90 : 95.0;
    }
    return Compliant(target_of(meter), {}, t);
  };
  const std::string dir = TempDir();
  auto ingest = [&](const std::string& name, const std::vector<std::string>& which, absl::Time from,
                    absl::Time to) {
    {
      std::ofstream out(dir + "/" + name);
      out << "meter,time,kind,value\n";
      for (const std::string& m : which) {
        WriteMeter(out, m, from, to, [&](absl::Time t) { return kw(m, t); });
      }
    }
    return cli(b, platform, {"ingest", "readings", dir + "/" + name});
  };
  // Watching from before the alert's readings arrive.
  FindingWatcher watcher(b, verifier, kDistrict, absl::Minutes(5));
  // Another district's verifier may not watch this one.
  {
    v1::WatchFindingsRequest wreq;
    wreq.set_parent(kDistrict);
    auto ctx = KeyContext(other_verifier);
    auto denied = v1::ComplianceService::NewStub(Connect(b))->WatchFindings(ctx.get(), wreq);
    v1::Finding f;
    EXPECT_FALSE(denied->Read(&f));
    EXPECT_EQ(denied->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }

  // The reference days and the season so far, in one call.
  const std::vector<std::string> all = {stop, compliant, gap, running_line, stopped_line};
  CommandResult first = ingest("before.csv", all, China("2018-10-16 00:00"), orange);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  // The alert's first six hours, an hour at a time; the gap meter sends nothing.
  const std::vector<std::string> reporting = {stop, compliant, running_line, stopped_line};
  for (int h = 0; h < 6; ++h) {
    CommandResult in = ingest(absl::StrCat("h", h, ".csv"), reporting, orange + absl::Hours(h),
                              orange + absl::Hours(h + 1));
    ASSERT_EQ(in.exit_code, 0) << in.output;
    if (h == 1) {
      // 01:00-02:00 above the threshold after the grace hour proves the
      // breach: the finding follows the call that brought that reading.
      auto found = AwaitFinding(verifier, stop, v1::STOP_NOT_KEPT, absl::InfinitePast());
      ASSERT_TRUE(found.has_value()) << "no live STOP_NOT_KEPT on " << stop;
      EXPECT_EQ(FromTimestamp(found->window_start()), orange + absl::Hours(1));
      EXPECT_THAT(found->verification_run(), HasSubstr("/verificationRuns/"));
    }
  }
  const absl::Time end = orange + absl::Hours(6);
  // The breach as far as the data reaches; the line meter judged for the
  // meterless equipment it covers; the silent meter's gap (the sweep).
  auto stop_found = AwaitFinding(verifier, stop, v1::STOP_NOT_KEPT, end);
  ASSERT_TRUE(stop_found.has_value());
  auto line_found = AwaitFinding(verifier, running_line, v1::LIMIT_EXCEEDED, end);
  ASSERT_TRUE(line_found.has_value()) << "no LIMIT_EXCEEDED on the covering meter " << running_line;
  EXPECT_THAT(line_found->covered_by(), HasSubstr("1号线总电表"));
  EXPECT_THAT(line_found->covered_by(), HasSubstr("额定功率"));
  EXPECT_THAT(line_found->summary(), HasSubstr(whole_lines[0]));
  auto gap_found = AwaitFinding(verifier, gap, v1::DATA_GAP, end);
  ASSERT_TRUE(gap_found.has_value()) << "no DATA_GAP on the silent " << gap;
  // No false alarm on the compliant meters (the stopped line included).
  const std::vector<v1::Finding> live = Findings(verifier);
  for (const v1::Finding& f : live) {
    if (f.scope() == compliant || f.scope() == stopped_line) {
      EXPECT_TRUE(f.type() != v1::STOP_NOT_KEPT && f.type() != v1::LIMIT_EXCEEDED &&
                  f.type() != v1::DATA_GAP)
          << f.summary();
    }
  }
  // The watcher saw the stop not kept (bounded wait: it arrives within the poll above).
  EXPECT_TRUE(watcher.Await([&](const std::vector<v1::Finding>& watched) {
    for (const v1::Finding& f : watched) {
      if (f.scope() == stop && f.type() == v1::STOP_NOT_KEPT) return true;
    }
    return false;
  }));
  watcher.Stop();
  // A batch run over the same data: the same findings on these meters, nothing new there.
  const std::set<std::string> scopes(all.begin(), all.end());
  const std::set<std::string> before = About(live, scopes);
  v1::RunVerificationRequest rreq;
  rreq.set_district(kDistrict);
  *rreq.mutable_from() = ToTimestamp(China("2018-11-15 00:00"));
  *rreq.mutable_to() = ToTimestamp(end);
  v1::VerificationRun run;
  grpc::Status s = v1::ComplianceService::NewStub(Connect(b))
                       ->RunVerification(KeyContext(verifier).get(), rreq, &run);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(run.live());
  EXPECT_GT(run.windows_covered(), 0);
  const std::vector<v1::Finding> batch = Findings(verifier);
  EXPECT_EQ(About(batch, scopes), before);
  // Running through the orange alert's first hours where the data ends is a
  // limit broken, not a late clock (the clock check looks no further than the
  // data, in live and batch runs alike).
  for (const v1::Finding& f : batch) {
    EXPECT_FALSE(f.scope() == running_line && f.type() == v1::SUSPECTED_CLOCK_OFFSET)
        << f.summary();
  }
  server_ = nullptr;
}

}  // namespace
}  // namespace cuofeng
