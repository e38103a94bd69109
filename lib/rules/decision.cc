#include "lib/rules/decision.h"

#include <algorithm>
#include <cmath>

#include "absl/time/civil_time.h"
#include "lib/rules/measures.h"

namespace cuofeng {

Levels Levels::All(const v1::Measure& m) { return Levels{{m, m, m, m}}; }

Levels Levels::Alerts(const v1::Measure& m) { return Levels{{Run(), m, m, m}}; }

Levels Levels::Of(const v1::MeasureTable& table) {
  return Levels{{table.season(), table.yellow(), table.orange(), table.red()}};
}

Levels Levels::Stricter(const Levels& other) const {
  Levels out;
  for (size_t i = 0; i < at.size(); ++i) out.at[i] = cuofeng::Stricter(at[i], other.at[i]);
  return out;
}

bool Restricts(const v1::Measure& m) {
  return CutFraction(m) > 0 || TransportRank(m.transport()) > 0;
}

bool Restricts(const Levels& levels) {
  return std::any_of(levels.at.begin(), levels.at.end(),
                     [](const v1::Measure& m) { return Restricts(m); });
}

void PlantDecision::Merge(RuleOutcome outcome) {
  listed = listed || outcome.lists;
  for (Contribution& c : outcome.enterprise) {
    listed = listed || Restricts(c.levels);
    enterprise.push_back(std::move(c));
  }
  for (auto& [name, contributions] : outcome.equipment) {
    for (Contribution& c : contributions) {
      listed = listed || Restricts(c.levels);
      equipment[name].push_back(std::move(c));
    }
  }
  for (v1::Reason& r : outcome.refused) refused.push_back(std::move(r));
  for (auto& [name, reasons] : outcome.equipment_refused) {
    for (v1::Reason& r : reasons) equipment_refused[name].push_back(std::move(r));
  }
  for (MissingFact& m : outcome.missing) missing.push_back(std::move(m));
  if (exemption == Exemption::kNone && outcome.exemption != Exemption::kNone) {
    exemption = outcome.exemption;
    exemption_reason = std::move(outcome.exemption_reason);
  }
  if (outcome.guaranteed) {
    guaranteed = true;
    cap_percent = outcome.cap_percent;
  }
}

const v1::Measure& MeasureAt(const v1::ListEntry& entry, int i) {
  switch (i) {
    case 0:
      return entry.season();
    case 1:
      return entry.yellow();
    case 2:
      return entry.orange();
    default:
      return entry.red();
  }
}

v1::Measure* MutableMeasureAt(v1::ListEntry* entry, int i) {
  switch (i) {
    case 0:
      return entry->mutable_season();
    case 1:
      return entry->mutable_yellow();
    case 2:
      return entry->mutable_orange();
    default:
      return entry->mutable_red();
  }
}

v1::Fact MakeFact(const std::string& resource, const std::string& field, const std::string& value) {
  v1::Fact f;
  f.set_resource(resource);
  f.set_field(field);
  f.set_value(value.empty() ? "(missing)" : value);
  return f;
}

v1::Reason MakeReason(const v1::RuleSpec& spec, const std::string& text,
                      std::vector<v1::Fact> facts) {
  v1::Reason r;
  r.set_rule_id(spec.id());
  r.set_seed_clause(spec.seed_clause());
  r.set_text(text);
  for (auto& f : facts) *r.add_facts() = std::move(f);
  return r;
}

bool IsMeltingEquipment(const v1::Equipment& q) {
  return q.type() == v1::CUPOLA || q.type() == v1::INDUCTION_FURNACE ||
         q.kiln_type() == v1::SMELTING_FURNACE || q.kiln_type() == v1::MELTING_FURNACE;
}

bool IsKiln(const v1::Equipment& q) { return q.type() == v1::KILN || q.type() == v1::CUPOLA; }

bool IsFuelled(const v1::Equipment& q) {
  return q.type() == v1::KILN || q.type() == v1::BOILER || q.type() == v1::DRYER ||
         q.type() == v1::CUPOLA;
}

bool IsEmissionSource(const v1::Equipment& q) {
  switch (q.type()) {
    case v1::KILN:
    case v1::CUPOLA:
    case v1::INDUCTION_FURNACE:
    case v1::COATING_LINE:
    case v1::REACTOR:
    case v1::PRINTING_PRESS:
      return true;
    case v1::BOILER:
    case v1::DRYER:
      return q.fuel() != v1::ELECTRICITY && q.fuel() != v1::NO_FUEL;
    default:
      return false;
  }
}

std::vector<v1::Pollutant> ExpectedPollutants(const v1::Equipment& q) {
  std::vector<v1::Pollutant> out;
  if (!IsEmissionSource(q)) return out;
  switch (q.type()) {
    case v1::INDUCTION_FURNACE:
      out = {v1::PM};
      break;
    case v1::COATING_LINE:
    case v1::REACTOR:
    case v1::PRINTING_PRESS:
      out = {v1::VOCS};
      break;
    default:
      out = {v1::PM, v1::SO2, v1::NOX};
      break;
  }
  auto add = [&](bool recorded, v1::Pollutant p) {
    if (recorded && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  add(q.has_pm_concentration(), v1::PM);
  add(q.has_so2_concentration(), v1::SO2);
  add(q.has_nox_concentration(), v1::NOX);
  add(q.has_voc_concentration(), v1::VOCS);
  std::sort(out.begin(), out.end());
  return out;
}

long long AnnualKg(const v1::Equipment& q, v1::Pollutant p) {
  auto kg = [](double tonnes) { return std::llround(tonnes * 1000.0); };
  switch (p) {
    case v1::PM:
      return q.has_pm_annual() ? kg(q.pm_annual()) : -1;
    case v1::SO2:
      return q.has_so2_annual() ? kg(q.so2_annual()) : -1;
    case v1::NOX:
      return q.has_nox_annual() ? kg(q.nox_annual()) : -1;
    case v1::VOCS:
      return q.has_voc_annual() ? kg(q.voc_annual()) : -1;
    default:
      return -1;
  }
}

std::string PollutantName(v1::Pollutant p) {
  switch (p) {
    case v1::PM:
      return "颗粒物";
    case v1::SO2:
      return "二氧化硫";
    case v1::NOX:
      return "氮氧化物";
    case v1::VOCS:
      return "挥发性有机物";
    default:
      return "—";
  }
}

std::string LevelName(v1::AlertLevel level) {
  switch (level) {
    case v1::YELLOW:
      return "黄色预警";
    case v1::ORANGE:
      return "橙色预警";
    case v1::RED:
      return "红色预警";
    default:
      return "采暖季";
  }
}

std::string EnterpriseOf(const std::string& name) {
  size_t pos = 0;
  for (int i = 0; i < 4 && pos != std::string::npos; ++i) pos = name.find('/', pos + 1);
  return pos == std::string::npos ? name : name.substr(0, pos);
}

std::string ParentOf(const std::string& name) {
  size_t slash = name.rfind('/');
  slash = slash == std::string::npos ? 0 : name.rfind('/', slash - 1);
  return slash == std::string::npos ? "" : name.substr(0, slash);
}

std::string NextDay(const std::string& date) {
  absl::CivilDay d;
  if (!absl::ParseCivilTime(date, &d)) return date;
  return absl::FormatCivilTime(d + 1);
}

}  // namespace cuofeng
