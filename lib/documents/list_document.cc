#include "lib/documents/list_document.h"

#include <xlsxwriter.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/csv/csv.h"
#include "lib/rules/measures.h"

namespace cuofeng {
namespace {

const char* LevelName(int i) {
  static const char* kNames[] = {"黄色", "橙色", "红色"};
  return kNames[i];
}

// The measure without its transport rule (that has its own column).
std::string MeasureText(v1::Measure m) {
  m.set_transport(v1::NO_TRANSPORT_RULE);
  return Describe(m);
}

std::string TransportText(const v1::ListEntry& e) {
  std::vector<std::string> parts;
  const v1::Measure* levels[] = {&e.yellow(), &e.orange(), &e.red()};
  for (int i = 0; i < 3; ++i) {
    std::string t = DescribeTransport(levels[i]->transport());
    if (!t.empty()) parts.push_back(absl::StrCat(LevelName(i), "预警：", t));
  }
  return absl::StrJoin(parts, "；");
}

std::string Basis(const v1::ListEntry& e) {
  std::vector<std::string> parts;
  for (const auto& r : e.reasons()) {
    parts.push_back(absl::StrCat(
        r.rule_id(), r.seed_clause().empty() ? "" : absl::StrCat("（", r.seed_clause(), "）")));
  }
  return absl::StrJoin(parts, "；");
}

const char* KindText(v1::EntryKind k) {
  switch (k) {
    case v1::RESTRICTED:
      return "管控";
    case v1::EXEMPT:
      return "豁免";
    case v1::GUARANTEED:
      return "民生保障";
    case v1::DATA_MISSING:
      return "数据缺失";
    default:
      return "";
  }
}

bool IsEquipment(const v1::ListEntry& e) {
  return e.resource().find("/equipment/") != std::string::npos;
}
bool IsLine(const v1::ListEntry& e) {
  return !IsEquipment(e) && e.resource().find("/lines/") != std::string::npos;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string DocumentHeader(const ListDocument& doc) {
  return absl::StrCat(
      "清单版本 ", doc.list.name(), "；状态 ", v1::ListState_Name(doc.list.state()), "；内容哈希 ",
      doc.list.content_sha256(),
      doc.filing.sha256().empty() ? "" : absl::StrCat("；备案链哈希 ", doc.filing.sha256()),
      "；规则集 ", doc.list.rule_set(), "@", doc.list.rule_set_revision());
}

}  // namespace

const std::vector<std::string>& ListHeader() {
  static const std::vector<std::string> header = {
      "序号",         "企业名称", "统一社会信用代码", "所属行业", "生产线",   "工序",
      "设备",         "错峰措施", "黄色预警",         "橙色预警", "红色预警", "运输管控",
      "安全生产措施", "依据",     "起始日期",         "类别"};
  return header;
}

std::vector<std::string> ListRow(const v1::ListEntry& e, int seq) {
  return {absl::StrCat(seq),
          e.enterprise_name(),
          e.uscc(),
          e.industry(),
          IsEquipment(e) || IsLine(e) ? e.line_name() : "",
          IsEquipment(e) ? e.process_name() : "",
          IsEquipment(e) ? e.resource_name() : "",
          MeasureText(e.season()),
          MeasureText(e.yellow()),
          MeasureText(e.orange()),
          MeasureText(e.red()),
          TransportText(e),
          e.safety_measure(),
          Basis(e),
          e.effective_from(),
          KindText(e.kind())};
}

std::string KeyIndicator(const v1::ListEntry& e) {
  v1::Measure strictest = e.season();
  for (const v1::Measure* m : {&e.yellow(), &e.orange(), &e.red()})
    strictest = Stricter(strictest, *m);
  std::string out;
  switch (strictest.action()) {
    case v1::STOP:
    case v1::RECTIFY:
    case v1::STOP_LINES:
      out = "生产用电量降至正常负荷的25%以下（分表计电核查）";
      break;
    case v1::LIMIT:
      out = absl::StrCat("生产用电量不高于正常负荷的", Fixed(100 - strictest.percent(), 0),
                         "%（分表计电核查）");
      break;
    case v1::CAP:
      out = absl::StrCat("负荷不高于", Fixed(strictest.percent(), 0), "%（供热量、用电量核查）");
      break;
    default:
      out = "—";
  }
  if (TransportRank(strictest.transport()) > 0) absl::StrAppend(&out, "；门禁车辆电子台账");
  return out;
}

std::string ListCsv(const ListDocument& doc) {
  std::string out = "\xEF\xBB\xBF";
  out += FormatCsvRow(ListHeader());
  int seq = 0;
  for (const auto& e : doc.entries) out += FormatCsvRow(ListRow(e, ++seq));
  return out;
}

absl::Status WriteListXlsx(const ListDocument& doc, const std::string& path) {
  lxw_workbook* wb = workbook_new(path.c_str());
  if (wb == nullptr) return absl::InternalError(absl::StrCat("cannot create ", path));
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  lxw_format* wrap = workbook_add_format(wb);
  format_set_text_wrap(wrap);
  const std::string district = doc.list.name().substr(0, doc.list.name().find("/lists/"));
  const std::string title = absl::StrCat(district, " 错峰生产及重污染天气应急减排清单");
  const std::string header = DocumentHeader(doc);

  // 1. The list.
  lxw_worksheet* list = workbook_add_worksheet(wb, "错峰生产清单");
  worksheet_write_string(list, 0, 0, title.c_str(), bold);
  worksheet_write_string(list, 1, 0, header.c_str(), nullptr);
  for (size_t c = 0; c < ListHeader().size(); ++c) {
    worksheet_write_string(list, 3, static_cast<lxw_col_t>(c), ListHeader()[c].c_str(), bold);
  }
  worksheet_set_column(list, 1, 1, 30, nullptr);
  worksheet_set_column(list, 2, 2, 22, nullptr);
  worksheet_set_column(list, 7, 13, 24, wrap);
  int row = 4, seq = 0;
  for (const auto& e : doc.entries) {
    std::vector<std::string> cells = ListRow(e, ++seq);
    worksheet_write_number(list, row, 0, seq, nullptr);
    for (size_t c = 1; c < cells.size(); ++c) {
      worksheet_write_string(list, row, static_cast<lxw_col_t>(c), cells[c].c_str(), nullptr);
    }
    ++row;
  }

  // 2. The cut per pollutant and alert level against the target (T74).
  lxw_worksheet* proof = workbook_add_worksheet(wb, "减排核算");
  worksheet_write_string(proof, 0, 0, absl::StrCat(title, " 减排量核算").c_str(), bold);
  worksheet_write_string(proof, 1, 0, header.c_str(), nullptr);
  const char* proof_header[] = {"预警级别", "污染物",   "排放清单(吨)", "减排量(吨)", "减排比例(%)",
                                "目标(%)",  "是否达标", "差额(吨)",     "制约因素"};
  for (int c = 0; c < 9; ++c) worksheet_write_string(proof, 3, c, proof_header[c], bold);
  row = 4;
  static const std::map<v1::Pollutant, const char*> kPollutant = {
      {v1::PM, "颗粒物"}, {v1::SO2, "二氧化硫"}, {v1::NOX, "氮氧化物"}, {v1::VOCS, "挥发性有机物"}};
  for (const auto& level : doc.list.proof()) {
    for (const auto& cut : level.cuts()) {
      worksheet_write_string(proof, row, 0, LevelName(level.level() - 1), nullptr);
      worksheet_write_string(proof, row, 1, kPollutant.at(cut.pollutant()), nullptr);
      worksheet_write_number(proof, row, 2, cut.inventory_tonnes(), nullptr);
      worksheet_write_number(proof, row, 3, cut.cut_tonnes(), nullptr);
      worksheet_write_number(proof, row, 4, cut.cut_percent(), nullptr);
      worksheet_write_number(proof, row, 5, cut.target_percent(), nullptr);
      worksheet_write_string(proof, row, 6, cut.met() ? "达标" : "未达标", nullptr);
      worksheet_write_number(proof, row, 7, cut.shortfall_tonnes(), nullptr);
      worksheet_write_string(proof, row, 8, absl::StrJoin(cut.blocked_by(), "；").c_str(), nullptr);
      ++row;
    }
  }

  // 3. One 一厂一策 sheet per enterprise.
  std::map<std::string, std::vector<const v1::ListEntry*>> by_enterprise;
  for (const auto& e : doc.entries) by_enterprise[e.enterprise()].push_back(&e);
  std::set<std::string> sheet_names;
  const char* plan_header[] = {"序号",     "生产线",   "工序",     "设备",   "错峰措施", "黄色预警",
                               "橙色预警", "红色预警", "关键指标", "责任人", "联系电话"};
  for (const auto& [enterprise, entries] : by_enterprise) {
    std::string id = enterprise.substr(enterprise.rfind('/') + 1).substr(0, 24);
    std::string name = absl::StrCat("一厂一策-", id);
    for (int n = 2; !sheet_names.insert(name).second; ++n)
      name = absl::StrCat("一厂一策-", id.substr(0, 20), "-", n);
    lxw_worksheet* plan = workbook_add_worksheet(wb, name.c_str());
    const v1::ListEntry& first = *entries.front();
    worksheet_write_string(plan, 0, 0, absl::StrCat(first.enterprise_name(), " 一厂一策").c_str(),
                           bold);
    worksheet_write_string(plan, 1, 0,
                           absl::StrCat("统一社会信用代码 ", first.uscc(), "；所属行业 ",
                                        first.industry(), "；", header)
                               .c_str(),
                           nullptr);
    for (int c = 0; c < 11; ++c) worksheet_write_string(plan, 3, c, plan_header[c], bold);
    row = 4;
    int n = 0;
    for (const v1::ListEntry* e : entries) {
      const std::string cells[] = {absl::StrCat(++n),
                                   IsEquipment(*e) || IsLine(*e) ? e->line_name() : "全厂",
                                   IsEquipment(*e) ? e->process_name() : "",
                                   IsEquipment(*e) ? e->resource_name() : "",
                                   MeasureText(e->season()),
                                   MeasureText(e->yellow()),
                                   MeasureText(e->orange()),
                                   MeasureText(e->red()),
                                   KeyIndicator(*e),
                                   e->responsible_person(),
                                   e->contact_phone()};
      for (int c = 0; c < 11; ++c) worksheet_write_string(plan, row, c, cells[c].c_str(), nullptr);
      ++row;
    }
  }
  lxw_error err = workbook_close(wb);
  if (err != LXW_NO_ERROR) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", lxw_strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace cuofeng
