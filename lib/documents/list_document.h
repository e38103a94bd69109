// The filed list as a bureau sends it to the city and prints it, in Chinese:
// an XLSX workbook (the list with 区/镇乡, per-entry emissions and cut, the
// cut against the targets 减排核算, the per-entry cut 减排明细 whose totals
// are the 减排核算's, one 一厂一策 sheet per plant named by the plant), the
// list as CSV, and the same content as PDF. Plain data in, bytes out: the
// server (services/documents) gathers the data with the caller's key.
#ifndef CUOFENG_LIB_DOCUMENTS_LIST_DOCUMENT_H_
#define CUOFENG_LIB_DOCUMENTS_LIST_DOCUMENT_H_

#include <array>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"

namespace cuofeng {

// DocumentContext is what the documents show besides the list itself.
struct DocumentContext {
  std::string city;           // 天津市
  std::string district_name;  // 蓟州区
  v1::Season season;
  // Enterprise resource name -> its township's name (镇乡), as registered.
  std::map<std::string, std::string> township;
  // Equipment resource name -> the equipment (its annual emissions).
  std::map<std::string, v1::Equipment> equipment;
  // Whether the registry read for the figures is the snapshot the list was
  // generated from (same SHA-256): then the per-entry cuts add up to the
  // proof exactly; otherwise the documents say the figures are current ones.
  bool registry_matches_list = false;
  std::string rendered_at;  // China time, "2018-10-25 09:00"
};

// ListDocument is everything a list document shows.
struct ListDocument {
  v1::ListVersion list;
  std::vector<v1::ListEntry> entries;
  v1::Filing filing;  // empty for a draft
  DocumentContext context;
};

// The pollutants in the order of the proof and of the columns.
constexpr std::array<v1::Pollutant, 4> kDocumentPollutants = {v1::PM, v1::SO2, v1::NOX, v1::VOCS};

// EntryFigures are an entry's annual emissions and its cut at each alert
// level (the stricter of the season and the alert measure, as the proof
// counts it), per pollutant. Only equipment entries in force at the season
// start are counted by the proof; others have counted == false.
struct EntryFigures {
  bool counted = false;
  std::array<long long, 4> annual_kg = {-1, -1, -1, -1};  // -1: not recorded
  // [level 0..2 = yellow, orange, red][pollutant]: kilograms x thousandths.
  std::array<std::array<long long, 4>, 3> cut_grams = {};
};
EntryFigures FiguresOf(const ListDocument& doc, const v1::ListEntry& entry);

// MeasureText is a measure in Chinese only (no English gloss, no transport
// rule: that has its own column).
std::string MeasureText(const v1::Measure& m);
// TransportText is the entry's transport rules per alert level (运输管控).
std::string TransportText(const v1::ListEntry& e);
// Basis is the entry's reasons in the seed's words: 规则（条款）：理由.
std::string Basis(const v1::ListEntry& e);
// KeyIndicator says what proves the entry's measure was carried out.
std::string KeyIndicator(const v1::ListEntry& entry);
// StateText is the list's state in Chinese (已备案).
std::string StateText(v1::ListState state);
// ListTitle: 天津市蓟州区2018—2019年采暖季错峰生产及重污染天气应急减排清单.
std::string ListTitle(const ListDocument& doc);
// ListFacts are the lines under the title: season and staggered period,
// version, state, submission and acknowledgement dates, hashes.
std::vector<std::string> ListFacts(const ListDocument& doc);

// ListHeader is the column header of the list sheet and the CSV.
const std::vector<std::string>& ListHeader();

// ListRow is one entry as the list's cells, in ListHeader's order (numbers
// as text: tonnes with 3 decimals, cuts with 6 so they add up exactly).
std::vector<std::string> ListRow(const ListDocument& doc, const v1::ListEntry& entry, int seq);

// ListCsv is the list sheet as UTF-8 CSV with a BOM; every row also says the
// district, the list version and its content hash (区县, 清单版本, 清单内容哈希).
std::string ListCsv(const ListDocument& doc);

// ListXlsx is the workbook's bytes.
absl::StatusOr<std::string> ListXlsx(const ListDocument& doc);

// PlantPlanXlsx is one plant's 一厂一策 as a one-page workbook.
absl::StatusOr<std::string> PlantPlanXlsx(const ListDocument& doc, const std::string& enterprise);

// ListPdf is the list (A3 landscape), its 减排核算 and signature block.
absl::StatusOr<std::string> ListPdf(const ListDocument& doc, int* pages);

// PlantPlanPdf is one plant's 一厂一策 (A4 landscape, for 公示).
absl::StatusOr<std::string> PlantPlanPdf(const ListDocument& doc, const std::string& enterprise,
                                         int* pages);

// PlantSheetName is the sheet name of a plant: its name, cut to Excel's 31
// characters (or `max_chars`) and cleaned of []:*?/\ (the caller makes
// names unique).
std::string PlantSheetName(const std::string& display_name, int max_chars = 31);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DOCUMENTS_LIST_DOCUMENT_H_
