#include "lib/documents/case_documents.h"

#include <ctime>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/charts/load_chart.h"
#include "lib/documents/xlsx_bytes.h"
#include "lib/model/labels.h"
#include "lib/pdf/pdf_writer.h"

namespace cuofeng {
namespace {

std::string Fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string ActionText(v1::Action a, double percent) {
  v1::Measure m;
  m.set_action(a);
  m.set_percent(percent);
  return MeasureText(m);
}

}  // namespace

std::string ChinaTimeText(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  const time_t t = static_cast<time_t>(ts.seconds()) + 8 * 3600;
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
  return buf;
}

absl::StatusOr<std::string> NoticePdf(const NoticeDocument& doc, int* pages) {
  const ListDocument& list = doc.list;
  PdfWriter pdf({false, false,
                 absl::StrCat(list.context.city, list.context.district_name, " 告知书 ",
                              doc.enterprise.name(), " 清单 ", list.list.name())});
  pdf.Title("错峰生产及重污染天气应急减排措施告知书");
  pdf.Paragraph(absl::StrCat(doc.enterprise.display_name(), "（统一社会信用代码：",
                             doc.enterprise.uscc(), "）："),
                11);
  pdf.Paragraph(
      absl::StrCat(
          "根据", ListTitle(list), "（", list.list.name(), "，", StateText(list.list.state()),
          list.filing.has_acknowledge_time()
              ? absl::StrCat("，", ChinaTimeText(list.filing.acknowledge_time()), "经市级备案确认")
              : "",
          "），贵单位在", list.context.season.start(), "至", list.context.season.end(),
          "采暖季及重污染天气预警期间须落实下列措施。预警发布后按预警级别执行对应措施；"
          "采暖季措施与预警措施不同时，执行较严者。"),
      10);
  for (const std::string& line : ListFacts(list)) pdf.Paragraph(line, 8);
  pdf.Heading("一、应落实的措施");
  PdfTable t;
  t.header = {"生产线/工序/设备", "采暖季",   "黄色预警",     "橙色预警",
              "红色预警",         "运输管控", "安全生产措施", "关键指标"};
  t.widths = {1.6, 1.2, 1.2, 1.2, 1.2, 1.8, 1.8, 1.6};
  t.font_size = 7;
  for (const v1::ListEntry& e : list.entries) {
    std::vector<std::string> where;
    if (!e.line_name().empty()) where.push_back(e.line_name());
    if (!e.process_name().empty()) where.push_back(e.process_name());
    if (e.resource().find("/equipment/") != std::string::npos) where.push_back(e.resource_name());
    t.rows.push_back({where.empty() ? "全厂" : absl::StrJoin(where, " / "), MeasureText(e.season()),
                      MeasureText(e.yellow()), MeasureText(e.orange()), MeasureText(e.red()),
                      TransportText(e), e.safety_measure(), KeyIndicator(e)});
  }
  pdf.Table(std::move(t));
  pdf.Heading(absl::StrCat("二、", doc.at_text, " 时正在执行的措施"));
  if (doc.obligations.obligations().empty()) {
    pdf.Paragraph("此时没有约束贵单位的措施（清单未生效或不在错峰生产期、预警期内）。", 10);
  } else {
    PdfTable now;
    now.header = {"对象", "措施", "起", "止", "预警级别", "依据"};
    now.widths = {1.6, 1.4, 1, 1, 0.8, 3};
    now.font_size = 7;
    for (const v1::Obligation& o : doc.obligations.obligations()) {
      now.rows.push_back({o.resource_name().empty() ? o.resource() : o.resource_name(),
                          ActionText(o.action(), o.percent()), ChinaTimeText(o.window_start()),
                          o.has_window_end() ? ChinaTimeText(o.window_end()) : "另行通知",
                          o.level() == v1::ALERT_LEVEL_UNSPECIFIED
                              ? "—"
                              : ChineseLabel(v1::AlertLevel_Name(o.level())),
                          o.reason()});
    }
    pdf.Table(std::move(now));
  }
  pdf.Heading("三、依据");
  std::vector<std::string> basis;
  for (const v1::ListEntry& e : list.entries) {
    const std::string b = Basis(e);
    if (!b.empty() && std::find(basis.begin(), basis.end(), b) == basis.end()) basis.push_back(b);
  }
  for (const std::string& b : basis) pdf.Paragraph(b, 8);
  pdf.Heading("四、要求");
  pdf.Paragraph(
      "请将一厂一策在厂区显著位置公示；预警期间按对应级别落实措施，分表计电、门禁及车辆电子台账数据"
      "按规定保存并接受核查。对措施有异议的，可在收到本告知书后向区工业和信息化主管部门、生态环境主"
      "管部门反映。",
      10);
  pdf.Space(16);
  pdf.Paragraph(absl::StrCat(list.context.city, list.context.district_name,
                             "工业和信息化主管部门、生态环境主管部门（盖章）"),
                11);
  pdf.Paragraph(absl::StrCat("日期：", doc.at_text.substr(0, 10)), 11);
  pdf.Space(10);
  pdf.Paragraph("企业签收：＿＿＿＿＿＿＿＿    签收日期：＿＿＿＿年＿＿月＿＿日", 11);
  return pdf.Render(pages);
}

std::vector<std::pair<std::string, std::string>> CaseFileRows(const CaseFileDocument& doc) {
  const v1::Finding& f = doc.evidence.finding();
  std::vector<std::pair<std::string, std::string>> rows = {
      {"发现编号", f.name()},
      {"类型", ChineseLabel(v1::FindingType_Name(f.type()))},
      {"状态", ChineseLabel(v1::FindingStatus_Name(f.status()))},
      {"企业", absl::StrCat(f.enterprise_name(), "（", f.enterprise(), "）")},
      {"对象", f.scope()},
      {"时段",
       absl::StrCat(ChinaTimeText(f.window_start()), " 至 ", ChinaTimeText(f.window_end()))},
      {"摘要", f.summary()},
      {"规则及条款", f.rule()},
      {"所核查的义务", f.obligation()},
      {"预警文号", f.alert_document().empty() ? "—" : f.alert_document()},
      {"义务时段",
       absl::StrCat(
           ChinaTimeText(f.obligation_window_start()), " 至 ",
           ChinaTimeText(f.obligation_window_end()),
           f.grace_minutes() > 0 ? absl::StrCat("（起始后", f.grace_minutes(), "分钟不判）") : "")},
      {"实测值 / 阈值",
       absl::StrCat(Fixed(f.measured(), 2), " / ", Fixed(f.threshold(), 2), " ", f.unit())},
  };
  if (f.baseline_kw() > 0) {
    rows.push_back({"基线", absl::StrCat(Fixed(f.baseline_kw(), 1), " kW（", f.season(), "，第",
                                         doc.evidence.baseline_version(), "版）：",
                                         doc.evidence.baseline_method())});
  }
  if (!f.covered_by().empty()) rows.push_back({"计量", f.covered_by()});
  rows.push_back(
      {"证据", absl::StrCat(f.evidence().source(), "；", ChinaTimeText(f.evidence().from()), " 至 ",
                            ChinaTimeText(f.evidence().to()), "；", f.evidence().rows(), " 条记录",
                            f.evidence().detail().empty() ? "" : "；", f.evidence().detail())});
  rows.push_back({"证据哈希（SHA-256）", f.evidence().sha256()});
  if (!f.photo().empty()) rows.push_back({"照片", f.photo()});
  if (!f.emission_stage().empty()) rows.push_back({"排放阶段", f.emission_stage()});
  rows.push_back({"核查运行", f.verification_run()});
  rows.push_back(
      {"企业说明（异常申报）",
       f.explanation().empty()
           ? "无"
           : absl::StrCat(f.explanation(), "（", ChinaTimeText(f.explanation_time()), "）")});
  rows.push_back({"核查意见", f.reviewed_by().empty()
                                  ? "尚未核查"
                                  : absl::StrCat(ChineseLabel(v1::FindingStatus_Name(f.status())),
                                                 "：", f.review_comment(), "（", f.reviewed_by(),
                                                 "，", ChinaTimeText(f.review_time()), "）")});
  rows.push_back({"发现时间", ChinaTimeText(f.create_time())});
  return rows;
}

absl::StatusOr<std::string> CaseFilePdf(const CaseFileDocument& doc, int* pages) {
  const v1::Finding& f = doc.evidence.finding();
  PdfWriter pdf({false, false,
                 absl::StrCat(doc.context.city, doc.context.district_name, " 案卷 ", f.name())});
  pdf.Title("错峰生产及应急减排措施落实情况核查案卷");
  pdf.Paragraph(
      absl::StrCat(f.enterprise_name(), " · ", ChineseLabel(v1::FindingType_Name(f.type())),
                   " · 制作于 ", doc.rendered_at),
      10);
  pdf.KeyValues(CaseFileRows(doc));
  if (!doc.evidence.load().empty()) {
    // Issue 21: a monitoring point's minutes or a ledger's days have their own heading.
    const std::string& scope = f.scope();
    pdf.Heading(absl::StrContains(scope, "/monitoringPoints/")
                    ? (f.type() == v1::CEMS_TRANSMISSION_LOW ? "烟气在线监测数据传输有效率（逐日）"
                                                             : "烟气在线监测数据曲线")
                : absl::StrContains(scope, "/productionLedgers/") ? "生产台账日产量（物料衡算）"
                                                                  : "用电负荷曲线");
    const LoadChart chart = EvidenceChart(doc.evidence);
    PdfDrawing d;
    d.width = LoadChartWidth();
    d.height = LoadChartHeight(chart);
    d.draw = [chart](cairo_t* cr) { DrawLoadChart(cr, chart); };
    pdf.Drawing(std::move(d));
  }
  pdf.Space(12);
  pdf.Paragraph(
      "核查人员（签字）：＿＿＿＿＿＿＿＿    复核人（签字）：＿＿＿＿＿＿＿＿    "
      "日期：＿＿＿＿年＿＿月＿＿日",
      10);
  return pdf.Render(pages);
}

absl::StatusOr<std::string> CaseFileXlsx(const CaseFileDocument& doc) {
  return XlsxBytes([&](lxw_workbook* wb) -> absl::Status {
    lxw_worksheet* ws = workbook_add_worksheet(wb, "案卷");
    lxw_format* title = workbook_add_format(wb);
    format_set_bold(title);
    format_set_font_size(title, 14);
    lxw_format* key = workbook_add_format(wb);
    format_set_bold(key);
    format_set_border(key, LXW_BORDER_THIN);
    format_set_align(key, LXW_ALIGN_VERTICAL_TOP);
    lxw_format* text = workbook_add_format(wb);
    format_set_text_wrap(text);
    format_set_border(text, LXW_BORDER_THIN);
    format_set_align(text, LXW_ALIGN_VERTICAL_TOP);
    worksheet_set_column(ws, 0, 0, 22, nullptr);
    worksheet_set_column(ws, 1, 1, 90, nullptr);
    worksheet_write_string(ws, 0, 0, "错峰生产及应急减排措施落实情况核查案卷", title);
    int row = 2;
    for (const auto& [k, v] : CaseFileRows(doc)) {
      worksheet_write_string(ws, row, 0, k.c_str(), key);
      worksheet_write_string(ws, row, 1, v.c_str(), text);
      worksheet_set_row(ws, row, 15.0 * WrappedLines(v, 90) + 2, nullptr);
      ++row;
    }
    PrintSetup(ws, false, -1, absl::StrCat("案卷 ", doc.evidence.finding().name()), true);
    worksheet_set_portrait(ws);
    // The load series, so the chart can be redrawn or checked.
    lxw_worksheet* series = workbook_add_worksheet(wb, "负荷数据");
    worksheet_write_string(series, 0, 0, "时间（北京时间）", key);
    worksheet_write_string(series, 0, 1, "负荷（kW）", key);
    worksheet_set_column(series, 0, 0, 20, nullptr);
    row = 1;
    for (const v1::LoadPoint& p : doc.evidence.load()) {
      worksheet_write_string(series, row, 0, ChinaTimeText(p.time()).c_str(), nullptr);
      worksheet_write_number(series, row, 1, p.kw(), nullptr);
      ++row;
    }
    worksheet_freeze_panes(series, 1, 0);
    return absl::OkStatus();
  });
}

}  // namespace cuofeng
