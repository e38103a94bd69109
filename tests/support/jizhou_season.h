// The heating season most end-to-end tests replay: 蓟州区 (districts/120119)
// with a generated registry, its 2018-2019 season and list filed under
// jizhou-2018, and the city's orange alert of 1-3 December 2018. Each step is
// one function so that a test can stop between them; each fails the test
// (fatally) when a step fails, so call them under ASSERT_NO_FATAL_FAILURE.
// Times are China times (+08:00), as the seed writes them.
#ifndef CUOFENG_TESTS_SUPPORT_JIZHOU_SEASON_H_
#define CUOFENG_TESTS_SUPPORT_JIZHOU_SEASON_H_

#include <string>

#include "absl/time/time.h"
#include "tests/support/test_env.h"

namespace cuofeng {
namespace testing {

// ChinaZone is +08:00.
absl::TimeZone ChinaZone();

// China parses "YYYY-MM-DD HH:MM" as a China time; a text it cannot read
// fails the test (non-fatally) and gives the Unix epoch.
absl::Time China(const std::string& text);

// CreateJizhou has `admin` create district 120119 (蓟州区) on the server at
// `address` and a bureau key for it (returned in `bureau`), and the bureau
// import a generated registry of `enterprises` and `equipment`.
void CreateJizhou(const std::string& address, const std::string& admin, int enterprises,
                  int equipment, std::string* bureau);

// CreateSeason2018 has the bureau load the rule set jizhou-2018 and create
// the season 2018-2019 (15 November to 15 March, filing deadline 31 October).
void CreateSeason2018(const std::string& address, const std::string& bureau);

// FileListAndOrangeAlert has the bureau generate the season's list under
// jizhou-2018 and submit it, and the city (key `city`) acknowledge it (the
// list is in force from then) and issue the orange alert of 1-3 December 2018
// (津重污染指〔2018〕7号) on 蓟州区.
void FileListAndOrangeAlert(const std::string& address, const std::string& bureau,
                            const std::string& city);

// JizhouKeys are the keys FileJizhouSeason made.
struct JizhouKeys {
  std::string bureau;
  std::string city;
};

// FileJizhouSeason starts a server on database `dsn` (bootstrapped, with
// admin key `admin`) on a clock of 25 October 2018 09:00 and, on it, creates
// 蓟州区 with a registry of 90 enterprises and 270 pieces of equipment and a
// city key, creates the season and files its list with the orange alert
// (the three steps above), then stops the server: the test starts its own,
// later, on the same database.
void FileJizhouSeason(const std::string& dsn, const std::string& admin, JizhouKeys* keys);

// SimulateSeason runs `cuofeng-gen season` against the server at `address`
// with the bureau's key: 蓟州区's meter readings, gate passages, ledger rows
// and production days from 16 October 2018 (the baselines' reference days;
// the season from 15 November) to 10 December 2018, with the planted
// findings in truth.csv, all written into `dir`.
CommandResult SimulateSeason(const std::string& address, const std::string& bureau,
                             const std::string& dir);

}  // namespace testing
}  // namespace cuofeng

#endif  // CUOFENG_TESTS_SUPPORT_JIZHOU_SEASON_H_
