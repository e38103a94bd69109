// The list workbook and the one-plant 一厂一策 workbook (libxlsxwriter).
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/documents/list_document.h"
#include "lib/documents/xlsx_bytes.h"

namespace cuofeng {
namespace {

const char* kPollutantNames[] = {"颗粒物", "二氧化硫", "氮氧化物", "挥发性有机物"};
const char* kLevelNames[] = {"黄色预警", "橙色预警", "红色预警"};

struct Formats {
  explicit Formats(lxw_workbook* wb) {
    title = workbook_add_format(wb);
    format_set_bold(title);
    format_set_font_size(title, 16);
    format_set_align(title, LXW_ALIGN_CENTER);
    format_set_align(title, LXW_ALIGN_VERTICAL_CENTER);
    facts = workbook_add_format(wb);
    format_set_text_wrap(facts);
    format_set_align(facts, LXW_ALIGN_VERTICAL_TOP);
    header = workbook_add_format(wb);
    format_set_bold(header);
    format_set_text_wrap(header);
    format_set_border(header, LXW_BORDER_THIN);
    format_set_bg_color(header, 0xDDEBF7);
    format_set_align(header, LXW_ALIGN_CENTER);
    format_set_align(header, LXW_ALIGN_VERTICAL_CENTER);
    text = workbook_add_format(wb);
    format_set_text_wrap(text);
    format_set_border(text, LXW_BORDER_THIN);
    format_set_align(text, LXW_ALIGN_VERTICAL_TOP);
    integer = workbook_add_format(wb);
    format_set_num_format(integer, "0");
    format_set_border(integer, LXW_BORDER_THIN);
    format_set_align(integer, LXW_ALIGN_VERTICAL_TOP);
    tonnes = workbook_add_format(wb);
    format_set_num_format(tonnes, "0.000");
    format_set_border(tonnes, LXW_BORDER_THIN);
    format_set_align(tonnes, LXW_ALIGN_VERTICAL_TOP);
    percent = workbook_add_format(wb);
    format_set_num_format(percent, "0.0");
    format_set_border(percent, LXW_BORDER_THIN);
    total = workbook_add_format(wb);
    format_set_bold(total);
    format_set_num_format(total, "0.000");
    format_set_border(total, LXW_BORDER_THIN);
    sign = workbook_add_format(wb);
    format_set_font_size(sign, 12);
  }
  lxw_format *title, *facts, *header, *text, *integer, *tonnes, *percent, *total, *sign;
};

// Title (merged over `cols`), the fact lines, then the header at `header_row`.
int WriteHead(lxw_worksheet* ws, const Formats& f, const std::string& title,
              const std::vector<std::string>& facts, const std::vector<std::string>& header,
              const std::vector<double>& widths) {
  const int cols = static_cast<int>(header.size());
  worksheet_merge_range(ws, 0, 0, 0, cols - 1, title.c_str(), f.title);
  worksheet_set_row(ws, 0, 30, nullptr);
  int row = 1;
  double total_width = 0;
  for (double w : widths) total_width += w;
  for (const std::string& line : facts) {
    worksheet_merge_range(ws, row, 0, row, cols - 1, line.c_str(), f.facts);
    worksheet_set_row(ws, row, 15.0 * WrappedLines(line, total_width), nullptr);
    ++row;
  }
  int lines = 1;
  for (int c = 0; c < cols; ++c) {
    worksheet_set_column(ws, c, c, widths[c], nullptr);
    worksheet_write_string(ws, row, c, header[c].c_str(), f.header);
    lines = std::max(lines, WrappedLines(header[c], widths[c]));
  }
  worksheet_set_row(ws, row, 15.0 * lines + 4, nullptr);
  return row;
}

// A row of text cells, numbers where `numeric` says so; its height fits the
// wrapped text.
void WriteRow(lxw_worksheet* ws, const Formats& f, int row, const std::vector<std::string>& cells,
              const std::vector<double>& widths, const std::vector<char>& kinds) {
  int lines = 1;
  for (size_t c = 0; c < cells.size(); ++c) {
    const char kind = c < kinds.size() ? kinds[c] : 't';
    if (cells[c].empty()) {
      worksheet_write_blank(ws, row, c, f.text);
    } else if (kind == 'i' || kind == 'n') {
      worksheet_write_number(ws, row, c, std::stod(cells[c]), kind == 'i' ? f.integer : f.tonnes);
    } else {
      worksheet_write_string(ws, row, c, cells[c].c_str(), f.text);
      lines = std::max(lines, WrappedLines(cells[c], widths[c]));
    }
  }
  worksheet_set_row(ws, row, std::min(409.0, 15.0 * lines + 2), nullptr);
}

void Signature(lxw_worksheet* ws, const Formats& f, int row,
               const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    worksheet_write_string(ws, row, 1, line.c_str(), f.sign);
    worksheet_set_row(ws, row, 24, nullptr);
    ++row;
  }
}

std::string Footer(const ListDocument& doc) {
  return absl::StrCat(doc.context.district_name, " 清单", doc.list.name(), " 哈希",
                      doc.list.content_sha256().substr(0, 16));
}

const std::vector<std::string>& PlanHeader() {
  static const std::vector<std::string> h = {
      "序号",     "生产线",   "工序",     "设备",         "错峰措施（采暖季）", "黄色预警",
      "橙色预警", "红色预警", "运输管控", "安全生产措施", "关键指标",           "依据"};
  return h;
}

// One plant's 一厂一策 on `ws`, laid out to print on one page.
void WritePlantPlan(lxw_worksheet* ws, const Formats& f, const ListDocument& doc,
                    const std::vector<const v1::ListEntry*>& entries) {
  const v1::ListEntry& first = *entries.front();
  static const std::vector<double> widths = {5, 14, 12, 16, 16, 16, 16, 16, 24, 22, 22, 40};
  auto town = doc.context.township.find(first.enterprise());
  const std::vector<std::string> facts = {
      absl::StrCat("企业名称：", first.enterprise_name(), "；统一社会信用代码：", first.uscc(),
                   "；所属行业：", first.industry(), "；所在区/镇乡：", doc.context.district_name,
                   town != doc.context.township.end() ? absl::StrCat("/", town->second) : ""),
      absl::StrCat("责任人：", first.responsible_person(), "；联系电话：", first.contact_phone()),
      ListFacts(doc)[0], ListFacts(doc)[1]};
  const int header_row = WriteHead(
      ws, f, absl::StrCat(first.enterprise_name(), " 一厂一策（错峰生产及重污染天气应急减排措施）"),
      facts, PlanHeader(), widths);
  int row = header_row + 1, n = 0;
  for (const v1::ListEntry* e : entries) {
    const bool equipment = e->resource().find("/equipment/") != std::string::npos;
    const bool line = !equipment && e->resource().find("/lines/") != std::string::npos;
    WriteRow(ws, f, row++,
             {absl::StrCat(++n), equipment || line ? e->line_name() : "全厂",
              equipment ? e->process_name() : "", equipment ? e->resource_name() : "",
              MeasureText(e->season()), MeasureText(e->yellow()), MeasureText(e->orange()),
              MeasureText(e->red()), TransportText(*e), e->safety_measure(), KeyIndicator(*e),
              Basis(*e)},
             widths, {'i'});
  }
  ++row;
  worksheet_write_string(ws, row++, 1,
                         "本方案须在厂区显著位置公示，接受社会监督；预警期间按对应级别措施执行。",
                         f.sign);
  Signature(
      ws, f, row + 1,
      {"企业负责人（签字）：＿＿＿＿＿＿＿＿      企业（盖章）",
       absl::StrCat(
           doc.context.district_name,
           "工业和信息化主管部门（盖章）：＿＿＿＿＿＿＿＿      日期：＿＿＿＿年＿＿月＿＿日")});
  PrintSetup(ws, false, header_row, Footer(doc), true);
  worksheet_freeze_panes(ws, header_row + 1, 0);
}

std::map<std::string, std::vector<const v1::ListEntry*>> ByEnterprise(const ListDocument& doc) {
  std::map<std::string, std::vector<const v1::ListEntry*>> out;
  for (const auto& e : doc.entries) out[e.enterprise()].push_back(&e);
  return out;
}

}  // namespace

absl::StatusOr<std::string> ListXlsx(const ListDocument& doc) {
  return XlsxBytes([&](lxw_workbook* wb) -> absl::Status {
    Formats f(wb);
    const std::string title = ListTitle(doc);
    const std::vector<std::string> facts = ListFacts(doc);
    std::vector<std::string> fact_lines = facts;
    fact_lines.push_back(
        doc.context.registry_matches_list
            ? "注：排放量、减排量取自清单生成时的登记数据（登记快照哈希一致）；减排量为设备年排放量"
              "乘以"
              "采暖季与预警措施中较严者的减排比例，计入减排核算的设备条目合计即减排核算表的减排量。"
            : "注：清单生成后登记数据已有变更，排放量及减排量按当前登记数据计算，合计可能与减排核算"
              "表不同。");

    // 1. The list.
    lxw_worksheet* list = workbook_add_worksheet(wb, "错峰生产清单");
    static const std::vector<double> widths = {5,  14, 24, 20, 14, 14, 12, 16, 8,  16, 16, 16, 16,
                                               24, 22, 11, 10, 10, 10, 10, 10, 10, 10, 10, 40};
    std::vector<char> kinds(ListHeader().size(), 't');
    kinds[0] = 'i';
    for (int c = 16; c < 24; ++c) kinds[c] = 'n';
    const int header_row = WriteHead(list, f, title, fact_lines, ListHeader(), widths);
    int row = header_row + 1, seq = 0;
    long long kg_total[4] = {0, 0, 0, 0}, red_total[4] = {0, 0, 0, 0};
    for (const auto& e : doc.entries) {
      WriteRow(list, f, row++, ListRow(doc, e, ++seq), widths, kinds);
      const EntryFigures fig = FiguresOf(doc, e);
      for (int p = 0; p < 4; ++p) {
        if (fig.counted && fig.annual_kg[p] > 0) kg_total[p] += fig.annual_kg[p];
        if (fig.counted) red_total[p] += fig.cut_grams[2][p];
      }
    }
    const int last_entry_row = row - 1;
    worksheet_write_string(list, row, 2, "合计（计入减排核算的设备）", f.header);
    for (int p = 0; p < 4; ++p) {
      worksheet_write_number(list, row, 16 + p, kg_total[p] / 1000.0, f.total);
      worksheet_write_number(list, row, 20 + p, red_total[p] / 1e6, f.total);
    }
    row += 2;
    Signature(list, f, row,
              {absl::StrCat("填报单位（盖章）：", doc.context.city, doc.context.district_name,
                            "工业和信息化主管部门、生态环境主管部门"),
               "单位负责人（签字）：＿＿＿＿＿＿＿＿    填报人：＿＿＿＿＿＿＿＿    "
               "联系电话：＿＿＿＿＿＿＿＿",
               "填报日期：＿＿＿＿年＿＿月＿＿日",
               absl::StrCat(doc.context.city,
                            "备案确认（盖章）：＿＿＿＿＿＿＿＿    "
                            "确认日期：＿＿＿＿年＿＿月＿＿日")});
    worksheet_freeze_panes(list, header_row + 1, 3);
    worksheet_autofilter(list, header_row, 0, std::max(header_row, last_entry_row),
                         static_cast<lxw_col_t>(ListHeader().size() - 1));
    PrintSetup(list, true, header_row, Footer(doc));

    // 2. The cut per pollutant and alert level against the target (T74).
    lxw_worksheet* proof = workbook_add_worksheet(wb, "减排核算");
    static const std::vector<std::string> proof_header = {
        "预警级别",  "污染物",   "排放清单（吨）", "减排量（吨）", "减排比例（%）",
        "目标（%）", "是否达标", "差额（吨）",     "制约因素"};
    static const std::vector<double> proof_widths = {10, 14, 14, 14, 12, 10, 10, 12, 60};
    const int proof_header_row =
        WriteHead(proof, f, absl::StrCat(title, " 减排量核算"), facts, proof_header, proof_widths);
    row = proof_header_row + 1;
    for (const auto& level : doc.list.proof()) {
      for (const auto& cut : level.cuts()) {
        size_t p = 0;
        while (p < 4 && kDocumentPollutants[p] != cut.pollutant()) ++p;
        worksheet_write_string(proof, row, 0, kLevelNames[std::max(0, level.level() - 1) % 3],
                               f.text);
        worksheet_write_string(proof, row, 1, p < 4 ? kPollutantNames[p] : "", f.text);
        worksheet_write_number(proof, row, 2, cut.inventory_tonnes(), f.tonnes);
        worksheet_write_number(proof, row, 3, cut.cut_tonnes(), f.tonnes);
        worksheet_write_number(proof, row, 4, cut.cut_percent(), f.percent);
        worksheet_write_number(proof, row, 5, cut.target_percent(), f.percent);
        worksheet_write_string(proof, row, 6, cut.met() ? "达标" : "未达标", f.text);
        worksheet_write_number(proof, row, 7, cut.shortfall_tonnes(), f.tonnes);
        const std::string blocked = absl::StrJoin(cut.blocked_by(), "；");
        worksheet_write_string(proof, row, 8, blocked.c_str(), f.text);
        worksheet_set_row(proof, row, 15.0 * WrappedLines(blocked, 60) + 2, nullptr);
        ++row;
      }
    }
    worksheet_freeze_panes(proof, proof_header_row + 1, 0);
    PrintSetup(proof, false, proof_header_row, Footer(doc));

    // 3. The cut of each counted entry at each level: its totals are the proof's.
    lxw_worksheet* detail = workbook_add_worksheet(wb, "减排明细");
    std::vector<std::string> detail_header = {"清单序号", "企业名称", "设备"};
    for (int p = 0; p < 4; ++p) {
      detail_header.push_back(absl::StrCat(kPollutantNames[p], "年排放量（吨）"));
    }
    for (int l = 0; l < 3; ++l) {
      for (int p = 0; p < 4; ++p) {
        detail_header.push_back(absl::StrCat(kLevelNames[l], kPollutantNames[p], "减排量（吨）"));
      }
    }
    std::vector<double> detail_widths = {8, 24, 16};
    detail_widths.resize(detail_header.size(), 11);
    std::vector<std::string> detail_facts = {
        "计入减排核算的设备条目（采暖季开始之日生效）；减排量 = 年排放量 × "
        "采暖季与预警措施中较严者的减排比例；各列合计即减排核算表的减排量。"};
    if (!doc.context.registry_matches_list) detail_facts.push_back(fact_lines.back());
    detail_facts.insert(detail_facts.begin(), facts[1]);
    const int detail_header_row = WriteHead(detail, f, absl::StrCat(title, " 减排明细"),
                                            detail_facts, detail_header, detail_widths);
    row = detail_header_row + 1;
    seq = 0;
    long long sums[3][4] = {};
    for (const auto& e : doc.entries) {
      ++seq;
      const EntryFigures fig = FiguresOf(doc, e);
      if (!fig.counted) continue;
      worksheet_write_number(detail, row, 0, seq, f.integer);
      worksheet_write_string(detail, row, 1, e.enterprise_name().c_str(), f.text);
      worksheet_write_string(detail, row, 2, e.resource_name().c_str(), f.text);
      for (int p = 0; p < 4; ++p) {
        if (fig.annual_kg[p] >= 0) {
          worksheet_write_number(detail, row, 3 + p, fig.annual_kg[p] / 1000.0, f.tonnes);
        } else {
          worksheet_write_string(detail, row, 3 + p, "未填报", f.text);
        }
      }
      for (int l = 0; l < 3; ++l) {
        for (int p = 0; p < 4; ++p) {
          worksheet_write_number(detail, row, 7 + l * 4 + p, fig.cut_grams[l][p] / 1e6, f.tonnes);
          sums[l][p] += fig.cut_grams[l][p];
        }
      }
      ++row;
    }
    worksheet_write_string(detail, row, 1, "合计", f.header);
    for (int l = 0; l < 3; ++l) {
      for (int p = 0; p < 4; ++p) {
        // Rounded as the proof rounds: to whole kilograms.
        worksheet_write_number(detail, row, 7 + l * 4 + p,
                               static_cast<double>((sums[l][p] + 500) / 1000) / 1000.0, f.total);
      }
    }
    worksheet_freeze_panes(detail, detail_header_row + 1, 3);
    worksheet_autofilter(detail, detail_header_row, 0, std::max(detail_header_row, row - 1),
                         static_cast<lxw_col_t>(detail_header.size() - 1));
    PrintSetup(detail, true, detail_header_row, Footer(doc));

    // 4. One 一厂一策 sheet per plant, named by the plant.
    std::set<std::string> names = {"错峰生产清单", "减排核算", "减排明细"};
    for (const auto& [enterprise, entries] : ByEnterprise(doc)) {
      std::string base = PlantSheetName(entries.front()->enterprise_name());
      std::string name = base;
      for (int n = 2; !names.insert(name).second; ++n) {
        const std::string suffix = absl::StrCat("(", n, ")");
        name = absl::StrCat(PlantSheetName(base, 31 - static_cast<int>(suffix.size())), suffix);
      }
      WritePlantPlan(workbook_add_worksheet(wb, name.c_str()), f, doc, entries);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> PlantPlanXlsx(const ListDocument& doc, const std::string& enterprise) {
  auto by = ByEnterprise(doc);
  auto it = by.find(enterprise);
  if (it == by.end()) {
    return absl::NotFoundError(absl::StrCat(doc.list.name(), " has no entry for ", enterprise));
  }
  return XlsxBytes([&](lxw_workbook* wb) -> absl::Status {
    Formats f(wb);
    WritePlantPlan(
        workbook_add_worksheet(wb, PlantSheetName(it->second.front()->enterprise_name()).c_str()),
        f, doc, it->second);
    return absl::OkStatus();
  });
}

}  // namespace cuofeng
