// CEMS data in the verification (issue 21), end to end: a district's list
// is filed and an orange alert issued; five data loggers then send HJ 212
// minute packets over TCP to a real cuofeng-server, one plant's electricity
// meter readings go in through the CLI, and the verifier's run finds each
// planted CEMS finding, links the CEMS and electricity findings of the same
// stop not kept, and finds nothing about a compliant plant whose CEMS had a
// short honest outage.
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/auth/policy.h"
#include "lib/model/clock.h"
#include "tests/support/hj212_device.h"
#include "tests/support/jizhou_season.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

using namespace ::cuofeng::testing;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kDistrict[] = "districts/120119";
const absl::TimeZone kChina = ChinaZone();

class CemsVerifyTest : public CemsSeasonTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartSeason("cemsverify")); }

  // Whether anything measurable binds the enterprise at `t`.
  bool AnythingAt(const std::string& enterprise, absl::Time t) const {
    for (const v1::Obligation& o : windows_.obligations()) {
      if (o.enterprise() != enterprise || o.action() == v1::RUN || o.action() == v1::VOLUNTARY)
        continue;
      if (t >= FromTimestamp(o.window_start()) &&
          (!o.has_window_end() || t < FromTimestamp(o.window_end())))
        return true;
    }
    return false;
  }
};

std::vector<v1::Finding> About(const std::vector<v1::Finding>& all, const std::string& scope,
                               v1::FindingType type = v1::FINDING_TYPE_UNSPECIFIED) {
  std::vector<v1::Finding> out;
  for (const auto& f : all) {
    if (f.scope() == scope && (type == v1::FINDING_TYPE_UNSPECIFIED || f.type() == type))
      out.push_back(f);
  }
  return out;
}

TEST_F(CemsVerifyTest, PlantedCemsFindingsAreFoundAndAnHonestOutageIsNot) {
  const absl::Time orange = China("2018-12-02 00:00"), before = China("2018-11-30 12:00");
  const absl::Time later = China("2018-12-04 11:00");
  // Plants on separate enterprises: three that stop whole at orange, two
  // that run before, during and after it (for the limit and the fabrication).
  std::vector<const v1::Meter*> stops, runs;
  std::set<std::string> used;
  for (const v1::Meter& m : meters_) {
    if (m.role() != v1::PRODUCTION || m.equipment().empty()) continue;
    const std::string e = m.name().substr(0, m.name().find("/meters/"));
    if (used.count(e)) continue;
    // The first (the stop not kept) runs before the alert: its normal flow.
    if (stops.size() < 3 && StopAt(m.equipment(), orange) &&
        (!stops.empty() || !StopAt(m.equipment(), before))) {
      stops.push_back(&m);
      used.insert(e);
    } else if (runs.size() < 2 && !StopAt(m.equipment(), before) &&
               !StopAt(m.equipment(), orange) && !StopAt(m.equipment(), later)) {
      runs.push_back(&m);
      used.insert(e);
    }
  }
  ASSERT_THAT(stops, SizeIs(3));
  ASSERT_THAT(runs, SizeIs(2));
  const std::string not_kept = RegisterPoint(*stops[0], 0, std::nullopt);
  const std::string honest = RegisterPoint(*stops[1], 1, std::nullopt);
  const std::string faulty = RegisterPoint(*stops[2], 2, std::nullopt);
  const std::string over = RegisterPoint(*runs[0], 3, 10.0);
  const std::string fabricated = RegisterPoint(*runs[1], 4, std::nullopt);

  const absl::Time from = China("2018-11-30 00:00"), to = China("2018-12-05 00:00");
  int64_t sent = 0;
  // 0: ran through the orange stop (flow as normal).
  {
    auto run = Honest("", 1);  // a target nothing stops
    sent += Send(0, from, to, run);
  }
  // 1: stopped as bound; its CEMS was down 90 minutes on 2 December.
  {
    auto h = Honest(stops[1]->equipment(), 2);
    sent += Send(1, from, to, [&](absl::Time t) {
      if (t >= China("2018-12-02 10:00") && t < China("2018-12-02 11:30")) return MinuteValues{};
      return h(t);
    });
  }
  // 2: stopped as bound, but its CEMS reported a fault (D) for 36 hours of the alert.
  {
    auto h = Honest(stops[2]->equipment(), 3);
    sent += Send(2, from, to, [&](absl::Time t) {
      MinuteValues v = h(t);
      if (t >= China("2018-12-02 00:00") && t < China("2018-12-03 12:00")) v.flag = 'D';
      return v;
    });
  }
  // 3: 颗粒物 at 25 mg/m³ (limit 10) for three hours on 4 December.
  {
    auto h = Honest(runs[0]->equipment(), 4);
    sent += Send(3, from, to, [&](absl::Time t) {
      MinuteValues v = h(t);
      if (t >= China("2018-12-04 10:00") && t < China("2018-12-04 13:00")) v.pm = 25 + v.pm - 5;
      return v;
    });
  }
  // 4: 颗粒物 exactly 7.30 for five hours on 30 November.
  {
    auto h = Honest(runs[1]->equipment(), 5);
    sent += Send(4, from, to, [&](absl::Time t) {
      MinuteValues v = h(t);
      if (t >= China("2018-11-30 10:00") && t < China("2018-11-30 15:00")) v.pm = 7.3;
      return v;
    });
  }
  // Every packet stored.
  ASSERT_EQ(StoredPackets(sent), sent);

  // The plant that ran through the stop: its production meter too (15-minute
  // readings, 100 kW from the reference window on).
  {
    const std::string dir = TempDir();
    std::ofstream out(dir + "/readings.csv");
    out << "\xEF\xBB\xBF电表,时间,类型,读数\n";
    for (absl::Time t = China("2018-10-16 00:15"); t <= to; t += absl::Minutes(15)) {
      out << stops[0]->name() << "," << absl::FormatTime("%Y-%m-%d %H:%M:%S", t, kChina)
          << ",INTERVAL_KWH,25\n";
    }
    out.close();
    auto ingest = Cli(server_->address(), service_, {"ingest", "readings", dir + "/readings.csv"});
    ASSERT_EQ(ingest.exit_code, 0) << ingest.output;
    std::filesystem::remove_all(dir);
  }

  auto compliance = v1::ComplianceService::NewStub(channel_);
  v1::RunVerificationRequest run_req;
  run_req.set_district(kDistrict);
  *run_req.mutable_from() = ToTimestamp(from);
  *run_req.mutable_to() = ToTimestamp(to);
  v1::VerificationRun run;
  grpc::Status st = compliance->RunVerification(KeyContext(verifier_).get(), run_req, &run);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(run.monitoring_points(), 5);
  EXPECT_EQ(run.cems_minutes(), sent);

  const std::vector<v1::Finding> all = Findings();
  std::string listing;
  for (const auto& f : all)
    absl::StrAppend(&listing, v1::FindingType_Name(f.type()), " ", f.scope(), ": ", f.summary(),
                    "\n");
  // The stop not kept, seen by both sources and linked.
  auto flow = About(all, not_kept, v1::CEMS_FLOW_IN_STOP);
  ASSERT_THAT(flow, Not(IsEmpty())) << listing;
  for (const auto& f : flow) EXPECT_EQ(f.supporting_sources(), 2) << f.DebugString();
  auto stop = About(all, stops[0]->name(), v1::STOP_NOT_KEPT);
  ASSERT_THAT(stop, Not(IsEmpty())) << listing;
  for (const auto& f : stop) EXPECT_EQ(f.supporting_sources(), 2) << f.DebugString();
  // The honest plant with its short outage: nothing at all.
  EXPECT_THAT(About(all, honest), IsEmpty()) << listing;
  // The faulty CEMS under the alert: T83, and T81 for its days.
  EXPECT_THAT(About(all, faulty, v1::CEMS_SILENT_IN_WINDOW), Not(IsEmpty())) << listing;
  EXPECT_THAT(About(all, faulty, v1::CEMS_TRANSMISSION_LOW), Not(IsEmpty())) << listing;
  EXPECT_THAT(About(all, faulty, v1::CEMS_FLOW_IN_STOP), IsEmpty()) << listing;
  // Over the limit; fabricated.
  auto limit = About(all, over, v1::CEMS_OVER_LIMIT);
  ASSERT_THAT(limit, SizeIs(1)) << listing;
  EXPECT_EQ(FromTimestamp(limit[0].window_start()), China("2018-12-04 10:00"));
  EXPECT_EQ(FromTimestamp(limit[0].window_end()), China("2018-12-04 13:00"));
  EXPECT_THAT(About(all, fabricated, v1::CEMS_SUSPECT_DATA), SizeIs(1)) << listing;
  EXPECT_THAT(About(all, over, v1::CEMS_SUSPECT_DATA), IsEmpty()) << listing;
  // Every finding names its sources; two agreeing sources filter to the linked pair.
  for (const auto& f : all) EXPECT_GE(f.supporting_sources(), 1) << f.DebugString();
  // (A season limit the plant also broke may be agreed on too.)
  std::set<v1::FindingType> agreed;
  for (const auto& f : Findings("supporting_sources >= 2")) {
    agreed.insert(f.type());
    EXPECT_EQ(f.enterprise(), flow[0].enterprise()) << f.DebugString();
  }
  EXPECT_TRUE(agreed.count(v1::STOP_NOT_KEPT) && agreed.count(v1::CEMS_FLOW_IN_STOP)) << listing;

  // Running it again finds the same, not duplicates.
  ASSERT_TRUE(compliance->RunVerification(KeyContext(verifier_).get(), run_req, &run).ok());
  EXPECT_EQ(Findings().size(), all.size());
}

}  // namespace
}  // namespace cuofeng
