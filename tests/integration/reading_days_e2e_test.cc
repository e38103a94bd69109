// Issue 20, item 2: verification screens a season by per (meter, China day)
// aggregates (compliance.reading_day, kept by the ingest) and reads raw
// readings only where a check can fail. Here a simulated district's first
// 25 days of the season (with the generator's planted violations) are
// verified twice from the same data: on a server that screens, and on a
// copy of the database by a server that reads every reading
// (CUOFENG_VERIFY_FULL_SCAN=1, as before the aggregates). The findings must
// be the same, field for field; the aggregates must agree with the rows.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <pqxx/pqxx>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/model/clock.h"
#include "tests/support/jizhou_season.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using namespace ::cuofeng::testing;

constexpr char kDistrict[] = "districts/120119";

v1::VerificationRun Verify(const std::string& address, const std::string& key) {
  v1::RunVerificationRequest req;
  req.set_district(kDistrict);
  *req.mutable_from() = ToTimestamp(China("2018-11-15 00:00"));
  *req.mutable_to() = ToTimestamp(China("2018-12-10 00:00"));
  v1::VerificationRun run;
  grpc::Status s = v1::ComplianceService::NewStub(Connect(address))
                       ->RunVerification(KeyContext(key).get(), req, &run);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return run;
}

// Every finding of the district, without what differs between two databases
// by construction (its name, number and creation time), sorted.
std::vector<std::string> Findings(const std::string& address, const std::string& key) {
  std::vector<std::string> out;
  v1::ListFindingsRequest req;
  req.set_parent(kDistrict);
  req.set_page_size(1000);
  auto stub = v1::ComplianceService::NewStub(Connect(address));
  do {
    v1::ListFindingsResponse resp;
    grpc::Status s = stub->ListFindings(KeyContext(key).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) break;
    for (v1::Finding f : resp.findings()) {
      f.clear_name();
      f.clear_create_time();
      f.clear_verification_run();
      out.push_back(f.DebugString());
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  std::sort(out.begin(), out.end());
  return out;
}

// The aggregates as recomputed from the rows, less those stored (and the
// other way round): 0 when they agree.
constexpr char kDisagreeing[] =
    "SELECT count(*) FROM ((SELECT meter_id, day, count(*)::int AS n, "
    "count(*) FILTER (WHERE kind = 2)::int AS n_register, "
    "min(value) FILTER (WHERE kind = 3) AS min_kw, max(value) FILTER (WHERE kind = 3) AS max_kw, "
    "min(value) FILTER (WHERE kind = 1) AS min_kwh, max(value) FILTER (WHERE kind = 1) AS max_kwh, "
    "min(us) AS first_us, max(us) AS last_us FROM (SELECT meter_id, kind, value, "
    "(extract(epoch FROM time) * 1000000)::int8 AS us, "
    "((time AT TIME ZONE 'UTC') + interval '8 hours')::date AS day FROM compliance.reading) r "
    "GROUP BY meter_id, day) "
    "EXCEPT SELECT meter_id, day, n, n_register, min_kw, max_kw, min_kwh, max_kwh, first_us, "
    "last_us FROM compliance.reading_day) x";
// ... and the other way round.
constexpr char kStale[] =
    "SELECT count(*) FROM compliance.reading_day d WHERE d.n <> (SELECT count(*) FROM "
    "compliance.reading r WHERE r.meter_id = d.meter_id AND "
    "((r.time AT TIME ZONE 'UTC') + interval '8 hours')::date = d.day)";

TEST(ReadingDaysTest, ScreenedVerificationFindsExactlyWhatReadingEveryRowFinds) {
  const std::string dsn = FreshDatabase("reading_days");
  const std::string admin = BootstrapAdmin(dsn);
  JizhouKeys keys;
  ASSERT_NO_FATAL_FAILURE(FileJizhouSeason(dsn, admin, &keys));
  std::string error;
  auto later = ServerProcess::Start(dsn, &error, {"--clock=2018-12-10T12:00:00+08:00"});
  ASSERT_NE(later, nullptr) << error;
  const std::string platform = CreateKey(later->address(), admin, "service", "");
  const std::string verifier = CreateKey(later->address(), admin, "verifier", kDistrict);
  const std::string dir = TempDir();
  CommandResult simulated = SimulateSeason(later->address(), keys.bureau, dir);
  ASSERT_EQ(simulated.exit_code, 0) << simulated.output;
  for (const char* kind : {"readings", "gate", "ledger"}) {
    CommandResult in =
        Cli(later->address(), platform, {"ingest", kind, absl::StrCat(dir, "/", kind, ".csv")});
    ASSERT_EQ(in.exit_code, 0) << in.output.substr(0, 2000);
  }
  // The ingest kept the aggregates of every (meter, day) it stored.
  EXPECT_EQ(SqlScalar(dsn, kDisagreeing), "0");
  EXPECT_EQ(SqlScalar(dsn, kStale), "0");
  EXPECT_NE(SqlScalar(dsn, "SELECT count(*) FROM compliance.reading_day"), "0");
  ASSERT_EQ(later->Stop(), 0);
  later.reset();

  // A copy of the database, for the server that reads every row.
  const std::string copy_name = absl::StrCat(SqlScalar(dsn, "SELECT current_database()"), "_full");
  {
    pqxx::connection conn(std::getenv("CUOFENG_TEST_DSN"));
    pqxx::nontransaction tx(conn);
    tx.exec0(absl::StrCat("DROP DATABASE IF EXISTS ", copy_name));
    tx.exec0(absl::StrCat("CREATE DATABASE ", copy_name, " TEMPLATE ",
                          SqlScalar(dsn, "SELECT current_database()")));
  }
  const std::string copy = absl::StrCat(std::getenv("CUOFENG_TEST_DSN"), " dbname=", copy_name);

  auto screened = ServerProcess::Start(dsn, &error, {"--clock=2018-12-10T12:00:00+08:00"});
  ASSERT_NE(screened, nullptr) << error;
  setenv("CUOFENG_VERIFY_FULL_SCAN", "1", 1);
  auto full = ServerProcess::Start(copy, &error, {"--clock=2018-12-10T12:00:00+08:00"});
  unsetenv("CUOFENG_VERIFY_FULL_SCAN");
  ASSERT_NE(full, nullptr) << error;

  const v1::VerificationRun ours = Verify(screened->address(), verifier);
  const v1::VerificationRun theirs = Verify(full->address(), verifier);
  EXPECT_EQ(ours.readings(), theirs.readings());
  EXPECT_GT(ours.readings(), 0);
  EXPECT_EQ(ours.findings_new(), theirs.findings_new());
  EXPECT_EQ(ours.unverified_size(), theirs.unverified_size());
  const std::vector<std::string> found = Findings(screened->address(), verifier);
  EXPECT_FALSE(found.empty());
  const std::vector<std::string> all_read = Findings(full->address(), verifier);
  std::vector<std::string> only_ours, only_theirs;
  std::set_difference(found.begin(), found.end(), all_read.begin(), all_read.end(),
                      std::back_inserter(only_ours));
  std::set_difference(all_read.begin(), all_read.end(), found.begin(), found.end(),
                      std::back_inserter(only_theirs));
  EXPECT_EQ(found.size(), all_read.size());
  EXPECT_TRUE(only_ours.empty()) << "found only when screened: " << only_ours.size()
                                 << ", the first:\n"
                                 << (only_ours.empty() ? "" : only_ours[0]);
  EXPECT_TRUE(only_theirs.empty())
      << "found only reading every row: " << only_theirs.size() << ", the first:\n"
      << (only_theirs.empty() ? "" : only_theirs[0]);
  // Of the kinds the generator plants, meter findings among them.
  std::string all;
  for (const std::string& f : found) all += f;
  for (const char* kind :
       {"STOP_NOT_KEPT", "TREATMENT_SILENT", "SUSPECTED_CLOCK_OFFSET", "DATA_GAP"}) {
    EXPECT_THAT(all, HasSubstr(kind));
  }
  // The screened server read only part of the readings raw.
  std::smatch m;
  const std::string log = screened->Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(([0-9]+) readings \(([0-9]+) read raw\))")))
      << log;
  int64_t total = 0, raw = 0;
  ASSERT_TRUE(absl::SimpleAtoi(m[1].str(), &total));
  ASSERT_TRUE(absl::SimpleAtoi(m[2].str(), &raw));
  EXPECT_EQ(total, ours.readings());
  std::cout << found.size() << " findings; " << raw << " of " << total
            << " readings read raw by the screened run\n";
  std::smatch line;
  if (std::regex_search(log, line, std::regex("verification of [^\n]*"))) {
    std::cout << line[0].str() << "\n";
  }
  EXPECT_LT(raw, total / 2) << log;
  EXPECT_THAT(full->Log(), HasSubstr("(full scan)"));
  ASSERT_EQ(screened->Stop(), 0);
  ASSERT_EQ(full->Stop(), 0);

  // A reading deleted by hand recomputes its day.
  EXPECT_EQ(SqlScalar(copy,
                      "WITH gone AS (DELETE FROM compliance.reading WHERE (meter_id, time) = "
                      "(SELECT meter_id, time FROM compliance.reading ORDER BY meter_id, time "
                      "OFFSET 500 LIMIT 1) RETURNING 1) SELECT count(*) FROM gone"),
            "1");
  EXPECT_EQ(SqlScalar(copy, kDisagreeing), "0");
  EXPECT_EQ(SqlScalar(copy, kStale), "0");
  pqxx::connection conn(std::getenv("CUOFENG_TEST_DSN"));
  pqxx::nontransaction(conn).exec0(absl::StrCat("DROP DATABASE IF EXISTS ", copy_name));
}

}  // namespace
}  // namespace cuofeng
