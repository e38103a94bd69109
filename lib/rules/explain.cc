#include "lib/rules/explain.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "lib/rules/measures.h"

namespace cuofeng {
namespace {

const char* KindText(v1::EntryKind k) {
  switch (k) {
    case v1::RESTRICTED:
      return "管控 (restricted)";
    case v1::EXEMPT:
      return "豁免 (exempt)";
    case v1::GUARANTEED:
      return "民生保障 (livelihood guarantee)";
    case v1::DATA_MISSING:
      return "数据缺失 (data missing)";
    default:
      return "—";
  }
}

std::string Key(const v1::ListEntry& e) {
  return absl::StrCat(e.resource(), "@", e.effective_from());
}

bool SameMeasures(const v1::ListEntry& a, const v1::ListEntry& b) {
  return a.kind() == b.kind() && SameMeasure(a.season(), b.season()) &&
         SameMeasure(a.yellow(), b.yellow()) && SameMeasure(a.orange(), b.orange()) &&
         SameMeasure(a.red(), b.red());
}

bool SameReasons(const v1::ListEntry& a, const v1::ListEntry& b) {
  if (a.reasons_size() != b.reasons_size()) return false;
  for (int i = 0; i < a.reasons_size(); ++i) {
    if (a.reasons(i).SerializeAsString() != b.reasons(i).SerializeAsString()) return false;
  }
  return true;
}

std::string MeasureChanges(const v1::ListEntry& a, const v1::ListEntry& b) {
  std::string out;
  const std::pair<const char*, std::pair<const v1::Measure*, const v1::Measure*>> levels[] = {
      {"错峰 season", {&a.season(), &b.season()}},
      {"黄色 yellow", {&a.yellow(), &b.yellow()}},
      {"橙色 orange", {&a.orange(), &b.orange()}},
      {"红色 red", {&a.red(), &b.red()}}};
  for (const auto& [name, pair] : levels) {
    if (!SameMeasure(*pair.first, *pair.second)) {
      absl::StrAppend(&out, out.empty() ? "" : "; ", name, ": ", Describe(*pair.first), " → ",
                      Describe(*pair.second));
    }
  }
  if (a.kind() != b.kind()) {
    absl::StrAppend(&out, out.empty() ? "" : "; ", KindText(a.kind()), " → ", KindText(b.kind()));
  }
  return out;
}

// The Chinese name of a registry field a reason cites.
std::string FieldText(const std::string& field) {
  static const auto* names = new std::map<std::string, std::string>{
      {"industry_category", "行业类别"},
      {"industry_code", "行业代码"},
      {"performance_grade", "绩效分级"},
      {"stably_meets_standards", "是否稳定达标排放"},
      {"permit_status", "排污许可证状态"},
      {"permit_compliant", "是否符合排污许可要求"},
      {"restricted_class", "是否属限制类"},
      {"deadline", "治理期限"},
      {"completed_date", "完成日期"},
      {"equipment", "涉及设备"},
      {"pm_concentration", "颗粒物排放浓度(毫克/立方米)"},
      {"so2_concentration", "二氧化硫排放浓度(毫克/立方米)"},
      {"pm_concentration/so2_concentration", "颗粒物、二氧化硫排放浓度"},
      {"cems_installed", "是否安装在线监测"},
      {"cems_transmission_rate", "数据传输有效率(%)"},
      {"cems_transmission_measured", "实测数据传输有效率(%)"},
      {"stack_height_m", "排气筒高度(米)"},
      {"fuel", "燃料或热源"},
      {"on_kiln_list", "是否列入炉窑管理清单"},
      {"kiln_found_date", "炉窑发现日期"},
      {"dust_control", "除尘工艺"},
      {"desulfurization", "脱硫工艺"},
      {"township", "所在镇乡"},
      {"rated_capacity", "额定蒸发量(蒸吨/小时)"},
      {"bulk_transport", "是否大宗物料运输企业"},
      {"supplies_heating", "是否承担供暖"},
      {"coprocesses_municipal_waste", "是否协同处置城市垃圾"},
      {"coprocesses_hazardous_waste", "是否协同处置危险废物"},
      {"livelihood_cap_percent", "民生保障负荷(%)"},
      {"pm_annual", "颗粒物年排放量(吨)"},
      {"so2_annual", "二氧化硫年排放量(吨)"},
      {"nox_annual", "氮氧化物年排放量(吨)"},
      {"voc_annual", "挥发性有机物年排放量(吨)"},
      {"quick_safe_stop", "能否快速安全停产"},
      {"overcapacity", "是否属产能过剩行业"},
      {"alert_levels", "适用预警级别"},
      {"stops", "是否停产"},
  };
  auto it = names->find(field);
  return it == names->end() ? field : it->second;
}

const char* StateText(v1::ListState state) {
  switch (state) {
    case v1::DRAFT:
      return "草稿";
    case v1::SUBMITTED:
      return "已报送";
    case v1::FILED:
      return "已备案";
    case v1::SUPERSEDED:
      return "已被修订取代";
    default:
      return "—";
  }
}

// Chinese ordinal for a numbered list: 一、二、… (digits beyond ten).
std::string Ordinal(int n) {
  static const char* kDigits[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};
  return n >= 1 && n <= 10 ? kDigits[n - 1] : absl::StrCat(n);
}

void AppendReasons(const std::string& heading,
                   const google::protobuf::RepeatedPtrField<v1::Reason>& reasons,
                   std::string* out) {
  if (reasons.empty()) return;
  absl::StrAppend(out, heading, "\n");
  int n = 0;
  for (const v1::Reason& r : reasons) {
    absl::StrAppend(out, "  ", Ordinal(++n), "、[", r.rule_id(),
                    r.seed_clause().empty() ? "" : ", " + r.seed_clause(), "] ", r.text(), "\n");
    for (const v1::Fact& f : r.facts()) {
      const std::string owner = f.resource().substr(f.resource().rfind('/') + 1);
      absl::StrAppend(out, "      登记信息：", owner, " ", FieldText(f.field()), " = ",
                      f.value() == "(missing)" ? "未登记" : f.value(), "\n");
    }
  }
}

}  // namespace

std::string ExplainEntry(const v1::ListEntry& e, const v1::ListVersion& list) {
  const std::string resource_name = e.resource_name().empty() ? e.resource() : e.resource_name();
  std::string out = absl::StrCat("关于", e.enterprise_name(), "（统一社会信用代码 ", e.uscc(), "）",
                                 e.resource() == e.enterprise() ? "全厂" : resource_name,
                                 "错峰生产及重污染天气应急减排措施的说明\n\n");
  absl::StrAppend(&out, "对象：", resource_name);
  if (!e.line_name().empty() || !e.process_name().empty()) {
    absl::StrAppend(&out, "（", e.line_name(), e.process_name().empty() ? "" : " / ",
                    e.process_name(), "）");
  }
  absl::StrAppend(&out, "，", e.resource(), "\n");
  absl::StrAppend(&out, "行业：", e.industry(), "\n");
  absl::StrAppend(&out, "类别：", KindText(e.kind()),
                  e.escalated() ? "，按一厂一策加严 (escalated)" : "", "\n");
  absl::StrAppend(&out, "执行日期：自", e.effective_from(), "起\n");
  absl::StrAppend(&out, "措施：\n");
  absl::StrAppend(&out, "  采暖季错峰生产：", Describe(e.season()), "\n");
  absl::StrAppend(&out, "  黄色预警：", Describe(e.yellow()), "\n");
  absl::StrAppend(&out, "  橙色预警：", Describe(e.orange()), "\n");
  absl::StrAppend(&out, "  红色预警：", Describe(e.red()), "\n");
  if (!e.safety_measure().empty()) {
    absl::StrAppend(&out, "安全生产措施：", e.safety_measure(), "\n");
  }
  AppendReasons("依据（规则编号及《方案》条款）：", e.reasons(), &out);
  AppendReasons("经审查未予适用的规则及原因：", e.refused(), &out);
  absl::StrAppend(&out, "\n规则集：", list.rule_set(), " 第", list.rule_set_revision(), "版",
                  list.rule_set_sha256().empty() ? "" : "，SHA-256 " + list.rule_set_sha256(),
                  "\n");
  absl::StrAppend(&out, "清单：", list.name(), "（", StateText(list.state()), "）\n");
  return out;
}

std::vector<v1::EntryChange> DiffEntries(const std::vector<v1::ListEntry>& base,
                                         const std::vector<v1::ListEntry>& other) {
  std::map<std::string, const v1::ListEntry*> a, b;
  for (const auto& e : base) a[Key(e)] = &e;
  for (const auto& e : other) b[Key(e)] = &e;
  std::vector<v1::EntryChange> out;
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    v1::EntryChange c;
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      c.set_change(v1::EntryChange::REMOVED);
      c.set_resource(ia->second->resource());
      *c.mutable_before() = *ia->second;
      c.set_summary(absl::StrCat("removed: ", ia->second->resource(), " from ",
                                 ia->second->effective_from()));
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      c.set_change(v1::EntryChange::ADDED);
      c.set_resource(ib->second->resource());
      *c.mutable_after() = *ib->second;
      c.set_summary(absl::StrCat("added: ", ib->second->resource(), " from ",
                                 ib->second->effective_from(), ", ",
                                 Describe(ib->second->season())));
      ++ib;
    } else {
      const v1::ListEntry& x = *ia->second;
      const v1::ListEntry& y = *ib->second;
      ++ia;
      ++ib;
      if (!SameMeasures(x, y)) {
        c.set_change(v1::EntryChange::MEASURE_CHANGED);
        c.set_summary(
            absl::StrCat(x.resource(), " (from ", x.effective_from(), "): ", MeasureChanges(x, y)));
      } else if (!SameReasons(x, y)) {
        c.set_change(v1::EntryChange::REASON_CHANGED);
        c.set_summary(absl::StrCat(x.resource(), " (from ", x.effective_from(),
                                   "): same measures, reasons changed"));
      } else {
        continue;
      }
      c.set_resource(x.resource());
      *c.mutable_before() = x;
      *c.mutable_after() = y;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace cuofeng
