// The city's overview (T78): per district, whether its list for the season
// is filed, waiting for acknowledgement, late or missing, which version,
// entries by kind and whether the cuts reach the targets; and, on a day an
// alert binds, the daily summary (日报) per district: the obligations in
// force, how much of them verification could check, and findings by type.
// Plain data in, bytes out: services/documents gathers it with the caller's
// key.
#ifndef CUOFENG_LIB_DOCUMENTS_CITY_OVERVIEW_H_
#define CUOFENG_LIB_DOCUMENTS_CITY_OVERVIEW_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cuofeng/v1/planning.pb.h"

namespace cuofeng {

// FilingStanding is where a district's list for the season stands.
enum class FilingStanding {
  kFiled,        // 已备案: acknowledged by the city
  kSubmitted,    // 已报送待确认: submitted, not yet acknowledged
  kDraftOnly,    // 未报送（有草稿）: generated, never submitted, deadline not passed
  kMissing,      // 未报送: nothing yet, deadline not passed
  kMissingLate,  // 逾期未报送: nothing submitted and the deadline has passed
};
std::string FilingStandingText(FilingStanding s);

// StandingOf decides the standing from the district's filings for the
// season (any order), whether it has a draft, the season's filing deadline
// (YYYY-MM-DD, "" none) and the day of the overview (YYYY-MM-DD, China).
FilingStanding StandingOf(const std::vector<v1::Filing>& filings, bool has_draft,
                          const std::string& deadline, const std::string& day);

// TargetsText sums up a list's proof: "达标" when every level and pollutant
// meets its target, else what falls short ("橙色预警 NOx 差 1.2 吨；…").
std::string TargetsText(const v1::ListVersion& list, bool* met);

struct DistrictOverview {
  std::string district;      // districts/120225
  std::string display_name;  // 蓟州区
  FilingStanding standing = FilingStanding::kMissing;
  bool late = false;     // the filing in force came after the deadline
  v1::ListVersion list;  // the list in force or waiting (empty: none)
  v1::Filing filing;     // its filing (empty: none)
  int amendments = 0;    // filed amendments this season
  // The daily summary; alert_level empty when no alert binds the district.
  std::string alert_level;     // 橙色预警
  std::string alert_document;  // 津重污染指〔2018〕12号
  int enterprises_bound = 0;   // enterprises with a stop or limit in force that day
  int stop_windows = 0, limit_windows = 0, other_windows = 0;
  bool verified = false;                        // a verification run covers the day
  std::string run;                              // the latest such run
  int unverified_windows = 0;                   // windows of that day the run could not check
  std::map<std::string, int> findings_by_type;  // 类型 (Chinese) -> count that day
  int findings_open = 0;
};

struct CityOverviewDocument {
  std::string city;             // 天津市
  std::string season;           // 2018-2019
  std::string filing_deadline;  // YYYY-MM-DD
  std::string day;              // the summary's day, YYYY-MM-DD (China)
  std::string at_text;          // the instant, China time
  std::string rendered_at;
  std::vector<DistrictOverview> districts;
};

// OverviewHeader / OverviewRow: the districts table, as both formats show it.
const std::vector<std::string>& OverviewHeader();
std::vector<std::string> OverviewRow(const DistrictOverview& d);
// DailyHeader / DailyRow: the daily summary, one row per district an alert binds.
const std::vector<std::string>& DailyHeader();
std::vector<std::string> DailyRow(const DistrictOverview& d);

absl::StatusOr<std::string> CityOverviewXlsx(const CityOverviewDocument& doc);
absl::StatusOr<std::string> CityOverviewPdf(const CityOverviewDocument& doc, int* pages);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DOCUMENTS_CITY_OVERVIEW_H_
