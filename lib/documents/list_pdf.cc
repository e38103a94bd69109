// The list and the 一厂一策 as PDF (lib/pdf: cairo + pango).
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/documents/list_document.h"
#include "lib/pdf/pdf_writer.h"

namespace cuofeng {
namespace {

const char* kPollutantNames[] = {"颗粒物", "二氧化硫", "氮氧化物", "挥发性有机物"};
const char* kLevelNames[] = {"黄色预警", "橙色预警", "红色预警"};

std::string Fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string Footer(const ListDocument& doc) {
  return absl::StrCat(doc.context.city, doc.context.district_name, " ", doc.list.name(), " ",
                      StateText(doc.list.state()), " 内容哈希 ", doc.list.content_sha256());
}

void ProofTable(const ListDocument& doc, PdfWriter* pdf) {
  PdfTable t;
  t.header = {"预警级别",  "污染物",   "排放清单（吨）", "减排量（吨）", "减排比例（%）",
              "目标（%）", "是否达标", "差额（吨）",     "制约因素"};
  t.widths = {1, 1.2, 1.2, 1.2, 1, 1, 1, 1, 5};
  for (const auto& level : doc.list.proof()) {
    for (const auto& cut : level.cuts()) {
      size_t p = 0;
      while (p < 4 && kDocumentPollutants[p] != cut.pollutant()) ++p;
      t.rows.push_back({kLevelNames[std::max(0, level.level() - 1) % 3],
                        p < 4 ? kPollutantNames[p] : "", Fixed(cut.inventory_tonnes(), 3),
                        Fixed(cut.cut_tonnes(), 3), Fixed(cut.cut_percent(), 1),
                        Fixed(cut.target_percent(), 1), cut.met() ? "达标" : "未达标",
                        Fixed(cut.shortfall_tonnes(), 3), absl::StrJoin(cut.blocked_by(), "；")});
    }
  }
  pdf->Table(std::move(t));
}

void PlantPage(const ListDocument& doc, const std::vector<const v1::ListEntry*>& entries,
               double font_size, PdfWriter* pdf) {
  const v1::ListEntry& first = *entries.front();
  pdf->Title(absl::StrCat(first.enterprise_name(), " 一厂一策"));
  pdf->Paragraph("错峰生产及重污染天气应急减排措施", 11);
  auto town = doc.context.township.find(first.enterprise());
  pdf->KeyValues(
      {{"企业名称", first.enterprise_name()},
       {"统一社会信用代码", first.uscc()},
       {"所属行业", first.industry()},
       {"所在区/镇乡", absl::StrCat(doc.context.district_name,
                                    town != doc.context.township.end() ? "/" + town->second : "")},
       {"责任人 / 联系电话",
        absl::StrCat(first.responsible_person(), " / ", first.contact_phone())},
       {"清单", absl::StrCat(ListTitle(doc), "（", doc.list.name(), "，",
                             StateText(doc.list.state()), "）")}});
  PdfTable t;
  t.header = {"序号",     "生产线/工序/设备", "错峰措施（采暖季）", "黄色预警", "橙色预警",
              "红色预警", "运输管控",         "安全生产措施",       "关键指标", "依据"};
  t.widths = {0.4, 1.6, 1.3, 1.3, 1.3, 1.3, 1.6, 1.8, 1.6, 4};
  t.font_size = font_size;
  int n = 0;
  for (const v1::ListEntry* e : entries) {
    const bool equipment = e->resource().find("/equipment/") != std::string::npos;
    const bool line = !equipment && e->resource().find("/lines/") != std::string::npos;
    std::vector<std::string> where;
    if (equipment || line) where.push_back(e->line_name());
    if (equipment) where.push_back(e->process_name());
    if (equipment) where.push_back(e->resource_name());
    t.rows.push_back({absl::StrCat(++n), where.empty() ? "全厂" : absl::StrJoin(where, " / "),
                      MeasureText(e->season()), MeasureText(e->yellow()), MeasureText(e->orange()),
                      MeasureText(e->red()), TransportText(*e), e->safety_measure(),
                      KeyIndicator(*e), Basis(*e)});
  }
  pdf->Table(std::move(t));
  pdf->Paragraph("本方案须在厂区显著位置公示，接受社会监督；预警期间按对应级别措施执行。", 9);
  pdf->Space(8);
  pdf->Paragraph(
      "企业负责人（签字）：＿＿＿＿＿＿＿＿        企业（盖章）        "
      "日期：＿＿＿＿年＿＿月＿＿日",
      10);
}

std::map<std::string, std::vector<const v1::ListEntry*>> ByEnterprise(const ListDocument& doc) {
  std::map<std::string, std::vector<const v1::ListEntry*>> out;
  for (const auto& e : doc.entries) out[e.enterprise()].push_back(&e);
  return out;
}

}  // namespace

absl::StatusOr<std::string> ListPdf(const ListDocument& doc, int* pages) {
  PdfWriter pdf({/*a3=*/true, /*landscape=*/true, Footer(doc)});
  pdf.Title(ListTitle(doc));
  for (const std::string& line : ListFacts(doc)) pdf.Paragraph(line, 9);
  pdf.Space(4);
  PdfTable t;
  t.header = {"序号",
              "区/镇乡",
              "企业名称\n统一社会信用代码",
              "所属行业",
              "生产线/工序/设备",
              "类别",
              "错峰措施（采暖季）",
              "黄色预警",
              "橙色预警",
              "红色预警",
              "运输管控",
              "安全生产措施",
              "起始日期",
              "红色预警减排量（吨）\n颗粒物/SO₂/NOx/VOCs",
              "依据"};
  t.widths = {0.5, 1.2, 2.2, 1.2, 2, 0.7, 1.4, 1.4, 1.4, 1.4, 2, 2, 1, 1.6, 2.4};
  t.font_size = 7;
  const std::vector<std::string> header = ListHeader();
  int seq = 0;
  for (const auto& e : doc.entries) {
    const std::vector<std::string> c = ListRow(doc, e, ++seq);
    std::vector<std::string> where;
    for (int i : {5, 6, 7}) {
      if (!c[i].empty()) where.push_back(c[i]);
    }
    const EntryFigures fig = FiguresOf(doc, e);
    std::string cut;
    if (fig.counted) {
      std::vector<std::string> parts;
      for (int p = 0; p < 4; ++p) parts.push_back(Fixed(fig.cut_grams[2][p] / 1e6, 3));
      cut = absl::StrJoin(parts, " / ");
    }
    std::vector<std::string> rules;
    for (const auto& r : e.reasons()) {
      rules.push_back(r.seed_clause().empty()
                          ? r.rule_id()
                          : absl::StrCat(r.rule_id(), "（", r.seed_clause(), "）"));
    }
    t.rows.push_back({c[0], c[1], absl::StrCat(c[2], "\n", c[3]), c[4], absl::StrJoin(where, " / "),
                      c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15], cut,
                      absl::StrJoin(rules, "；")});
  }
  pdf.Table(std::move(t));
  pdf.Heading("减排量核算（T74：黄色、橙色、红色预警期间的减排比例）");
  ProofTable(doc, &pdf);
  pdf.Space(10);
  pdf.Paragraph(absl::StrCat("填报单位（盖章）：", doc.context.city, doc.context.district_name,
                             "工业和信息化主管部门、生态环境主管部门"),
                11);
  pdf.Paragraph(
      "单位负责人（签字）：＿＿＿＿＿＿＿＿    填报人：＿＿＿＿＿＿＿＿    "
      "填报日期：＿＿＿＿年＿＿月＿＿日",
      11);
  pdf.Paragraph(
      absl::StrCat(doc.context.city,
                   "备案确认（盖章）：＿＿＿＿＿＿＿＿    确认日期：＿＿＿＿年＿＿月＿＿日"),
      11);
  return pdf.Render(pages);
}

absl::StatusOr<std::string> PlantPlanPdf(const ListDocument& doc, const std::string& enterprise,
                                         int* pages) {
  auto by = ByEnterprise(doc);
  auto it = by.find(enterprise);
  if (it == by.end()) {
    return absl::NotFoundError(absl::StrCat(doc.list.name(), " has no entry for ", enterprise));
  }
  // One page for 公示: the table's type shrinks until it fits.
  absl::StatusOr<std::string> out;
  for (double size : {7.0, 6.0, 5.0, 4.5, 4.0}) {
    PdfWriter pdf({/*a3=*/false, /*landscape=*/true, Footer(doc)});
    PlantPage(doc, it->second, size, &pdf);
    out = pdf.Render(pages);
    if (!out.ok() || pages == nullptr || *pages <= 1) break;
  }
  return out;
}

}  // namespace cuofeng
