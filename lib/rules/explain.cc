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

}  // namespace

std::string ExplainEntry(const v1::ListEntry& e, const v1::ListVersion& list) {
  std::string out = absl::StrCat(e.resource_name().empty() ? e.resource() : e.resource_name(), "  ",
                                 e.resource(), "\n");
  absl::StrAppend(&out, "企业 enterprise: ", e.enterprise_name(), " (", e.uscc(), ")\n");
  absl::StrAppend(&out, "类别 kind: ", KindText(e.kind()),
                  e.escalated() ? "，已按一厂一策加严 (escalated)" : "", "\n");
  absl::StrAppend(&out, "自 ", e.effective_from(), " 起执行 (from)\n");
  absl::StrAppend(&out, "  错峰生产 season: ", Describe(e.season()), "\n");
  absl::StrAppend(&out, "  黄色预警 yellow: ", Describe(e.yellow()), "\n");
  absl::StrAppend(&out, "  橙色预警 orange: ", Describe(e.orange()), "\n");
  absl::StrAppend(&out, "  红色预警 red:    ", Describe(e.red()), "\n");
  if (!e.safety_measure().empty())
    absl::StrAppend(&out, "安全生产措施 safety: ", e.safety_measure(), "\n");
  absl::StrAppend(&out, "依据 because:\n");
  int n = 0;
  for (const v1::Reason& r : e.reasons()) {
    absl::StrAppend(&out, "  ", ++n, ". [", r.rule_id(),
                    r.seed_clause().empty() ? "" : ", " + r.seed_clause(), "] ", r.text(), "\n");
    for (const v1::Fact& f : r.facts()) {
      absl::StrAppend(&out, "       ", f.resource(), " ", f.field(), " = ", f.value(), "\n");
    }
  }
  absl::StrAppend(&out, "规则集 rule set: ", list.rule_set(), " revision ",
                  list.rule_set_revision(), " sha256 ", list.rule_set_sha256(), "\n");
  absl::StrAppend(&out, "清单 list: ", list.name(), " (", v1::ListState_Name(list.state()), ")\n");
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
