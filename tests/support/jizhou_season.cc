#include "tests/support/jizhou_season.h"

#include <memory>

#include "cuofeng/v1/planning.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace testing {
namespace {

constexpr char kJizhou[] = "districts/120119";

}  // namespace

absl::TimeZone ChinaZone() { return absl::FixedTimeZone(8 * 3600); }

absl::Time China(const std::string& text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M", text, ChinaZone(), &t, &err))
      << text << ": " << err;
  return t;
}

void CreateJizhou(const std::string& address, const std::string& admin, int enterprises,
                  int equipment, std::string* bureau) {
  CommandResult created = Cli(address, admin, {"district", "create", "120119", "--name=蓟州区"});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  *bureau = CreateKey(address, admin, "bureau", kJizhou);
  CommandResult imported = ImportSampleDistrict(address, *bureau, kJizhou, enterprises, equipment);
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
}

void CreateSeason2018(const std::string& address, const std::string& bureau) {
  CommandResult loaded = LoadRuleSet(address, bureau, "jizhou-2018");
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  CommandResult season =
      Cli(address, bureau,
          {"season", "create", "--district=districts/120119", "--id=2018-2019",
           "--start=2018-11-15", "--end=2019-03-15", "--filing_deadline=2018-10-31"});
  ASSERT_EQ(season.exit_code, 0) << season.output;
}

void FileListAndOrangeAlert(const std::string& address, const std::string& bureau,
                            const std::string& city) {
  auto planning = v1::PlanningService::NewStub(Connect(address));
  v1::GenerateListRequest gen;
  gen.set_parent(kJizhou);
  gen.set_season("districts/120119/seasons/2018-2019");
  gen.set_rule_set("ruleSets/jizhou-2018");
  v1::ListVersion list;
  grpc::Status generated = planning->GenerateList(KeyContext(bureau).get(), gen, &list);
  ASSERT_TRUE(generated.ok()) << generated.error_message();
  CommandResult submitted = Cli(address, bureau, {"filing", "submit", list.name()});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  CommandResult acknowledged = Cli(address, city, {"filing", "acknowledge", list.name()});
  ASSERT_EQ(acknowledged.exit_code, 0) << acknowledged.output;
  CommandResult alert =
      Cli(address, city,
          {"alert", "issue", "--level=ORANGE", "--districts=districts/120119",
           "--start_time=2018-12-01T00:00:00+08:00", "--end_time=2018-12-04T00:00:00+08:00",
           "--document=津重污染指〔2018〕7号"});
  ASSERT_EQ(alert.exit_code, 0) << alert.output;
}

void FileJizhouSeason(const std::string& dsn, const std::string& admin, JizhouKeys* keys) {
  std::string error;
  std::unique_ptr<ServerProcess> early =
      ServerProcess::Start(dsn, &error, {"--clock=2018-10-25T09:00:00+08:00"});
  ASSERT_NE(early, nullptr) << error;
  const std::string& address = early->address();
  ASSERT_NO_FATAL_FAILURE(CreateJizhou(address, admin, 90, 270, &keys->bureau));
  keys->city = CreateKey(address, admin, "city", "");
  ASSERT_NO_FATAL_FAILURE(CreateSeason2018(address, keys->bureau));
  ASSERT_NO_FATAL_FAILURE(FileListAndOrangeAlert(address, keys->bureau, keys->city));
  ASSERT_EQ(early->Stop(), 0) << early->Log();
}

CommandResult SimulateSeason(const std::string& address, const std::string& bureau,
                             const std::string& dir) {
  return RunCommand({BinDir() + "/cuofeng-gen", "season", "--out=" + dir,
                     "--district=districts/120119", "--server=" + address, "--key=" + bureau,
                     "--from=2018-10-16 00:00", "--season_start=2018-11-15 00:00",
                     "--to=2018-12-10 00:00"});
}

}  // namespace testing
}  // namespace cuofeng
