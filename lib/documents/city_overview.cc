#include "lib/documents/city_overview.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/documents/case_documents.h"
#include "lib/documents/xlsx_bytes.h"
#include "lib/model/labels.h"
#include "lib/pdf/pdf_writer.h"

namespace cuofeng {
namespace {

std::string Tonnes(double t) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.1f", t);
  return buf;
}

std::string Percent(int part, int whole) {
  if (whole <= 0) return "—";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f%%", 100.0 * part / whole);
  return buf;
}

std::string Short(const std::string& name) { return name.substr(name.rfind('/') + 1); }

}  // namespace

std::string FilingStandingText(FilingStanding s) {
  switch (s) {
    case FilingStanding::kFiled:
      return "已备案";
    case FilingStanding::kSubmitted:
      return "已报送待确认";
    case FilingStanding::kDraftOnly:
      return "未报送（已生成草稿）";
    case FilingStanding::kMissing:
      return "未报送";
    case FilingStanding::kMissingLate:
      return "逾期未报送";
  }
  return "未报送";
}

FilingStanding StandingOf(const std::vector<v1::Filing>& filings, bool has_draft,
                          const std::string& deadline, const std::string& day) {
  bool filed = false, submitted = false;
  for (const v1::Filing& f : filings) {
    filed = filed || f.state() == v1::FILED || f.state() == v1::SUPERSEDED;
    submitted = submitted || f.state() == v1::SUBMITTED;
  }
  if (filed) return FilingStanding::kFiled;
  if (submitted) return FilingStanding::kSubmitted;
  // ISO dates compare as text; the deadline day itself is still in time.
  if (!deadline.empty() && day > deadline) return FilingStanding::kMissingLate;
  return has_draft ? FilingStanding::kDraftOnly : FilingStanding::kMissing;
}

std::string TargetsText(const v1::ListVersion& list, bool* met) {
  *met = true;
  std::vector<std::string> short_of;
  for (const v1::LevelProof& level : list.proof()) {
    for (const v1::PollutantCut& cut : level.cuts()) {
      if (cut.met()) continue;
      *met = false;
      short_of.push_back(absl::StrCat(ChineseLabel(v1::AlertLevel_Name(level.level())), "预警",
                                      ChineseLabel(v1::Pollutant_Name(cut.pollutant())), "差",
                                      Tonnes(cut.shortfall_tonnes()), "吨"));
    }
  }
  if (list.proof().empty()) {
    *met = false;
    return "—";
  }
  return *met ? "达标" : absl::StrCat("未达标：", absl::StrJoin(short_of, "；"));
}

const std::vector<std::string>& OverviewHeader() {
  static const auto* h = new std::vector<std::string>{
      "区",       "备案情况", "清单版本", "报送时间",   "确认时间", "逾期报送", "修订次数",
      "清单条目", "限制类",   "豁免类",   "民生保障类", "数据缺失", "减排目标", "清单内容哈希"};
  return *h;
}

std::vector<std::string> OverviewRow(const DistrictOverview& d) {
  const bool has_list = !d.list.name().empty();
  bool met = false;
  const std::string targets = has_list ? TargetsText(d.list, &met) : "—";
  return {d.display_name.empty() ? d.district : d.display_name,
          FilingStandingText(d.standing),
          has_list ? Short(d.list.name()) : "—",
          has_list ? ChinaTimeText(d.filing.submit_time()) : "—",
          has_list && d.filing.has_acknowledge_time() ? ChinaTimeText(d.filing.acknowledge_time())
                                                      : "—",
          d.late || d.standing == FilingStanding::kMissingLate ? "是" : "否",
          absl::StrCat(d.amendments),
          has_list ? absl::StrCat(d.list.entry_count()) : "—",
          has_list ? absl::StrCat(d.list.restricted()) : "—",
          has_list ? absl::StrCat(d.list.exempt()) : "—",
          has_list ? absl::StrCat(d.list.guaranteed()) : "—",
          has_list ? absl::StrCat(d.list.data_missing()) : "—",
          targets,
          has_list ? d.list.content_sha256() : ""};
}

const std::vector<std::string>& DailyHeader() {
  static const auto* h = new std::vector<std::string>{
      "区",       "预警级别", "预警文号", "受约束企业", "停产时段", "限产时段",
      "其他时段", "核查运行", "未能核查", "可核查比例", "当日发现", "待处理"};
  return *h;
}

std::vector<std::string> DailyRow(const DistrictOverview& d) {
  const int windows = d.stop_windows + d.limit_windows + d.other_windows;
  std::vector<std::string> findings;
  for (const auto& [type, n] : d.findings_by_type) findings.push_back(absl::StrCat(type, " ", n));
  return {d.display_name.empty() ? d.district : d.display_name,
          d.alert_level,
          d.alert_document.empty() ? "—" : d.alert_document,
          absl::StrCat(d.enterprises_bound),
          absl::StrCat(d.stop_windows),
          absl::StrCat(d.limit_windows),
          absl::StrCat(d.other_windows),
          d.verified ? Short(d.run) : "尚未核查",
          d.verified ? absl::StrCat(d.unverified_windows) : "—",
          d.verified ? Percent(windows - d.unverified_windows, windows) : "—",
          findings.empty() ? (d.verified ? "无" : "—") : absl::StrJoin(findings, "；"),
          absl::StrCat(d.findings_open)};
}

namespace {

std::string Title(const CityOverviewDocument& doc) {
  return absl::StrCat(doc.city, doc.season, "年采暖季错峰生产清单备案情况");
}

std::string Facts(const CityOverviewDocument& doc) {
  int filed = 0, waiting = 0, missing = 0, late = 0, short_of = 0;
  for (const DistrictOverview& d : doc.districts) {
    filed += d.standing == FilingStanding::kFiled;
    waiting += d.standing == FilingStanding::kSubmitted;
    missing += d.standing != FilingStanding::kFiled && d.standing != FilingStanding::kSubmitted;
    late += d.late || d.standing == FilingStanding::kMissingLate;
    bool met = false;
    if (!d.list.name().empty()) {
      TargetsText(d.list, &met);
      short_of += !met;
    }
  }
  return absl::StrCat("截至 ", doc.at_text, "：共 ", doc.districts.size(), " 个区，已备案 ", filed,
                      "，待确认 ", waiting, "，未报送 ", missing, "，逾期 ", late,
                      "，减排目标未达标 ", short_of, "。备案截止日期：",
                      doc.filing_deadline.empty() ? "—" : doc.filing_deadline, "。制作于 ",
                      doc.rendered_at, "。");
}

bool AnyAlert(const CityOverviewDocument& doc) {
  for (const DistrictOverview& d : doc.districts) {
    if (!d.alert_level.empty()) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::string> CityOverviewXlsx(const CityOverviewDocument& doc) {
  return XlsxBytes([&](lxw_workbook* wb) -> absl::Status {
    lxw_format* title = workbook_add_format(wb);
    format_set_bold(title);
    format_set_font_size(title, 14);
    lxw_format* head = workbook_add_format(wb);
    format_set_bold(head);
    format_set_border(head, LXW_BORDER_THIN);
    format_set_text_wrap(head);
    format_set_bg_color(head, 0xDDEBF7);
    lxw_format* cell = workbook_add_format(wb);
    format_set_border(cell, LXW_BORDER_THIN);
    format_set_text_wrap(cell);
    format_set_align(cell, LXW_ALIGN_VERTICAL_TOP);
    auto sheet = [&](const char* name, const std::string& heading, const std::string& facts,
                     const std::vector<std::string>& header,
                     const std::vector<std::vector<std::string>>& rows) {
      lxw_worksheet* ws = workbook_add_worksheet(wb, name);
      worksheet_write_string(ws, 0, 0, heading.c_str(), title);
      worksheet_write_string(ws, 1, 0, facts.c_str(), nullptr);
      std::vector<double> widths(header.size(), 8);
      for (size_t c = 0; c < header.size(); ++c) {
        widths[c] = std::max(widths[c], DisplayWidth(header[c]) + 2);
        for (const auto& r : rows) widths[c] = std::max(widths[c], DisplayWidth(r[c]) + 2);
        widths[c] = std::min(widths[c], 40.0);
        worksheet_set_column(ws, c, c, widths[c], nullptr);
        worksheet_write_string(ws, 3, c, header[c].c_str(), head);
      }
      int row = 4;
      for (const auto& r : rows) {
        int lines = 1;
        for (size_t c = 0; c < r.size(); ++c) {
          worksheet_write_string(ws, row, c, r[c].c_str(), cell);
          lines = std::max(lines, WrappedLines(r[c], widths[c]));
        }
        worksheet_set_row(ws, row, 15.0 * lines + 2, nullptr);
        ++row;
      }
      worksheet_freeze_panes(ws, 4, 1);
      if (!rows.empty()) worksheet_autofilter(ws, 3, 0, row - 1, header.size() - 1);
      PrintSetup(ws, false, 3, heading, false);
    };
    std::vector<std::vector<std::string>> rows;
    for (const DistrictOverview& d : doc.districts) rows.push_back(OverviewRow(d));
    sheet("备案情况", Title(doc), Facts(doc), OverviewHeader(), rows);
    rows.clear();
    for (const DistrictOverview& d : doc.districts) {
      if (!d.alert_level.empty()) rows.push_back(DailyRow(d));
    }
    sheet("预警日报", absl::StrCat(doc.city, "重污染天气预警期间应急减排日报（", doc.day, "）"),
          rows.empty() ? absl::StrCat(doc.day, " 没有预警约束任何区。")
                       : absl::StrCat("统计日：", doc.day,
                                      "（北京时间）。可核查比例 = 当日措施时段中核查运行能够"
                                      "核查的比例；未能核查的时段见核查运行的覆盖清单。"),
          DailyHeader(), rows);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> CityOverviewPdf(const CityOverviewDocument& doc, int* pages) {
  PdfWriter pdf({false, true, absl::StrCat(doc.city, " ", doc.season, " 备案情况 ", doc.day)});
  pdf.Title(Title(doc));
  pdf.Paragraph(Facts(doc), 10);
  PdfTable t;
  t.header = OverviewHeader();
  t.header.pop_back();  // the hash: in the workbook, too long for paper
  t.widths = {1, 1.3, 1.6, 1.3, 1.3, 0.7, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 2.6};
  t.font_size = 7;
  for (const DistrictOverview& d : doc.districts) {
    std::vector<std::string> r = OverviewRow(d);
    r.pop_back();
    t.rows.push_back(std::move(r));
  }
  pdf.Table(std::move(t));
  pdf.Heading(absl::StrCat("重污染天气预警期间应急减排日报（", doc.day, "）"));
  if (!AnyAlert(doc)) {
    pdf.Paragraph(absl::StrCat(doc.day, " 没有预警约束任何区。"), 10);
  } else {
    PdfTable daily;
    daily.header = DailyHeader();
    daily.widths = {1, 0.9, 1.8, 0.8, 0.7, 0.7, 0.7, 1.6, 0.7, 0.8, 2.6, 0.6};
    daily.font_size = 7;
    for (const DistrictOverview& d : doc.districts) {
      if (!d.alert_level.empty()) daily.rows.push_back(DailyRow(d));
    }
    pdf.Table(std::move(daily));
    pdf.Paragraph(
        "可核查比例 = 当日措施时段中核查运行能够核查的比例；未能核查的时段（无计量、计量未上报、"
        "无基线、时钟疑似偏差等）见该核查运行的覆盖清单。",
        8);
  }
  pdf.Space(12);
  pdf.Paragraph(absl::StrCat(doc.city, "工业和信息化主管部门、生态环境主管部门    日期：",
                             doc.at_text.substr(0, 10)),
                10);
  return pdf.Render(pages);
}

}  // namespace cuofeng
