#include "lib/rules/entries.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/model/labels.h"
#include "lib/rules/measures.h"

namespace cuofeng {
namespace {

constexpr v1::AlertLevel kAlertOfLevel[] = {v1::ALERT_LEVEL_UNSPECIFIED, v1::YELLOW, v1::ORANGE,
                                            v1::RED};

// The display name of `name` in `index`, or its id when it has none.
template <typename T>
std::string DisplayName(const std::unordered_map<std::string, const T*>* index,
                        const std::string& name) {
  if (index != nullptr) {
    auto it = index->find(name);
    if (it != index->end() && !it->second->display_name().empty()) {
      return it->second->display_name();
    }
  }
  return name.substr(name.rfind('/') + 1);
}

std::string AnnualField(v1::Pollutant p) {
  switch (p) {
    case v1::PM:
      return "pm_annual";
    case v1::SO2:
      return "so2_annual";
    case v1::NOX:
      return "nox_annual";
    default:
      return "voc_annual";
  }
}

// An exemption lifts a table's production limit (§26 可不予限产) and keeps
// what is not a production limit: transport rules and the non-road stop.
v1::Measure Lifted(const v1::Measure& m, Exemption exemption) {
  v1::Measure out = m;
  out.set_action(exemption == Exemption::kVoluntary ? v1::VOLUNTARY : v1::RUN);
  out.set_percent(0);
  out.clear_note();
  return out;
}

// The measures, reasons and refusals of one entry at one date.
struct Resolved {
  Levels levels = Levels::All(Run());
  std::vector<const std::string*> reasons;
  std::vector<const std::string*> refused;
  bool exempt = false;
};

class PlantEntries {
 public:
  PlantEntries(const PlantFacts& plant, const PlantDecision& decision, const PlantRecord& record,
               const EntryContext& context, EntryStore* store)
      : plant_(plant), record_(record), decision_(decision), context_(context), store_(*store) {}

  void AppendTo(std::deque<EntryRecord>* entries) const;

 private:
  std::vector<std::string> Dates() const;
  Resolved Resolve(const std::vector<const Contribution*>& contributions,
                   const std::string& date) const;
  void SetMeasures(Resolved resolved, const std::string& date, EntryRecord* entry) const;
  EntryRecord EnterpriseEntry(const std::string& date) const;
  EntryRecord EquipmentEntry(const v1::Equipment& q, const std::string& date) const;
  std::vector<MissingFact> EquipmentMissing(const v1::Equipment& q) const;
  std::vector<MissingFact> PlantMissing() const;
  v1::Reason DataReason(const std::vector<MissingFact>& missing, bool enterprise) const;

  const PlantFacts& plant_;
  const PlantRecord& record_;
  const PlantDecision& decision_;
  const EntryContext& context_;
  EntryStore& store_;
  // The decision's reasons serialized, each once for all the plant's entries.
  mutable std::unordered_map<const v1::Reason*, const std::string*> shared_;

  const std::string* Shared(const v1::Reason& r) const {
    auto [it, added] = shared_.try_emplace(&r, nullptr);
    if (added) it->second = store_.Keep(r);
    return it->second;
  }
};

std::vector<std::string> PlantEntries::Dates() const {
  std::vector<std::string> dates = {""};
  for (const auto& c : decision_.enterprise) dates.push_back(c.from);
  for (const auto& [name, contributions] : decision_.equipment) {
    for (const auto& c : contributions) dates.push_back(c.from);
  }
  std::sort(dates.begin(), dates.end());
  dates.erase(std::unique(dates.begin(), dates.end()), dates.end());
  return dates;
}

Resolved PlantEntries::Resolve(const std::vector<const Contribution*>& contributions,
                               const std::string& date) const {
  Resolved out;
  const Contribution* voiding = nullptr;
  for (const Contribution* c : contributions) {
    if (c->from <= date && c->voids_exemption && voiding == nullptr) voiding = c;
  }
  out.exempt = decision_.exemption != Exemption::kNone && voiding == nullptr;
  for (const Contribution* c : contributions) {
    if (c->from > date) continue;
    Levels levels = c->levels;
    if (out.exempt && c->liftable) {
      for (v1::Measure& m : levels.at) m = Lifted(m, decision_.exemption);
    }
    out.levels = out.levels.Stricter(levels);
    out.reasons.push_back(Shared(c->reason));
  }
  if (out.exempt) {
    if (decision_.exemption == Exemption::kVoluntary) {
      v1::Measure voluntary = Run();
      voluntary.set_action(v1::VOLUNTARY);
      out.levels = out.levels.Stricter(Levels::All(voluntary));
    }
    out.reasons.push_back(Shared(decision_.exemption_reason));
  } else if (decision_.exemption != Exemption::kNone) {
    v1::Reason refused = decision_.exemption_reason;
    refused.set_text(absl::StrCat("不适用豁免：", voiding->reason.text(),
                                  "，停产整治期间不享受豁免。原豁免依据：",
                                  decision_.exemption_reason.text()));
    out.refused.push_back(store_.Keep(refused));
  }
  if (decision_.guaranteed && decision_.cap_percent >= 0) {
    for (v1::Measure& m : out.levels.at) ClampToCap(decision_.cap_percent, &m);
  }
  return out;
}

void PlantEntries::SetMeasures(Resolved resolved, const std::string& date,
                               EntryRecord* entry) const {
  entry->plant = &record_;
  entry->levels = std::move(resolved.levels);
  entry->effective_from = store_.Intern(date.empty() ? context_.season->start() : date);
  entry->reasons = std::move(resolved.reasons);
  entry->refused = std::move(resolved.refused);
}

std::vector<MissingFact> PlantEntries::EquipmentMissing(const v1::Equipment& q) const {
  std::vector<MissingFact> out;
  for (const MissingFact& m : decision_.missing) {
    if (m.resource == q.name()) out.push_back(m);
  }
  for (v1::Pollutant p : MissingPollutants(q)) {
    out.push_back({q.name(), AnnualField(p), absl::StrCat(PollutantName(p), "年排放量")});
  }
  return out;
}

std::vector<MissingFact> PlantEntries::PlantMissing() const {
  std::vector<MissingFact> out;
  for (const MissingFact& m : decision_.missing) {
    if (EnterpriseOf(m.resource) == plant_.enterprise->name() &&
        m.resource.find("/equipment/") == std::string::npos) {
      out.push_back(m);
    }
  }
  for (const v1::Equipment* q : plant_.equipment) {
    for (MissingFact& m : EquipmentMissing(*q)) out.push_back(std::move(m));
  }
  return out;
}

v1::Reason PlantEntries::DataReason(const std::vector<MissingFact>& missing,
                                    bool enterprise) const {
  std::vector<std::string> items;
  std::vector<v1::Fact> facts;
  bool pollutant_gap = false;
  for (const MissingFact& m : missing) {
    const std::string owner = m.resource == plant_.enterprise->name()
                                  ? std::string("企业")
                                  : m.resource.substr(m.resource.rfind('/') + 1);
    items.push_back(enterprise ? absl::StrCat(owner, "：", m.what) : m.what);
    facts.push_back(MakeFact(m.resource, m.field, ""));
    pollutant_gap = pollutant_gap || m.field.find("_annual") != std::string::npos;
  }
  return MakeReason(*context_.data_spec,
                    absl::StrCat("缺少以下登记数据，请区工信委、环保局补齐后重新生成清单：",
                                 absl::StrJoin(items, "；"),
                                 pollutant_gap ? "。缺少年排放量的污染物不计入减排量核算" : ""),
                    std::move(facts));
}

EntryRecord PlantEntries::EnterpriseEntry(const std::string& date) const {
  const v1::Enterprise& e = *plant_.enterprise;
  std::vector<const Contribution*> contributions;
  for (const Contribution& c : decision_.enterprise) contributions.push_back(&c);
  Resolved resolved = Resolve(contributions, date);
  EntryRecord entry;
  entry.resource = &e.name();
  const bool exempt = resolved.exempt;
  SetMeasures(std::move(resolved), date, &entry);
  const std::vector<MissingFact> missing = PlantMissing();
  entry.kind = decision_.guaranteed ? v1::GUARANTEED
               : exempt             ? v1::EXEMPT
               : !missing.empty()   ? v1::DATA_MISSING
                                    : v1::RESTRICTED;
  if (date.empty()) {
    for (const v1::Reason& r : decision_.refused) entry.refused.push_back(Shared(r));
    if (!missing.empty() && context_.data_spec != nullptr) {
      entry.reasons.push_back(store_.Keep(DataReason(missing, /*enterprise=*/true)));
    }
  }
  entry.safety = Safety::kPlant;
  return entry;
}

EntryRecord PlantEntries::EquipmentEntry(const v1::Equipment& q, const std::string& date) const {
  std::vector<const Contribution*> contributions;
  for (const Contribution& c : decision_.enterprise) contributions.push_back(&c);
  bool own_restricts = false;
  auto own = decision_.equipment.find(q.name());
  if (own != decision_.equipment.end()) {
    for (const Contribution& c : own->second) {
      contributions.push_back(&c);
      own_restricts = own_restricts || (c.from <= date && CutFraction(c.levels.at[0]) > 0);
    }
  }
  Resolved resolved = Resolve(contributions, date);
  EntryRecord entry;
  entry.equipment = &q;
  entry.resource = &q.name();
  const bool exempt = resolved.exempt;
  SetMeasures(std::move(resolved), date, &entry);
  const std::vector<MissingFact> missing = EquipmentMissing(q);
  // A rule on this equipment (a high stack, a crude technology) restricts
  // it even in an exempt plant.
  entry.kind = decision_.guaranteed       ? v1::GUARANTEED
               : exempt && !own_restricts ? v1::EXEMPT
               : !missing.empty()         ? v1::DATA_MISSING
                                          : v1::RESTRICTED;
  if (date.empty()) {
    auto refused = decision_.equipment_refused.find(q.name());
    if (refused != decision_.equipment_refused.end()) {
      for (const v1::Reason& r : refused->second) entry.refused.push_back(Shared(r));
    }
  }
  if (!missing.empty() && context_.data_spec != nullptr) {
    entry.reasons.push_back(store_.Keep(DataReason(missing, /*enterprise=*/false)));
  }
  bool restricts = false;
  for (const v1::Measure& m : entry.levels.at) restricts = restricts || CutFraction(m) > 0;
  entry.safety = restricts ? Safety::kEquipment : Safety::kNone;
  return entry;
}

// "Stop x% counted by production line": whole lines stop, the largest
// emitters first, until the share is reached; a single-line plant lowers its
// load by x% instead (2020 guide practice).
class StopLines {
 public:
  StopLines(const PlantFacts& plant, const EntryContext& context, EntryStore* store,
            std::deque<EntryRecord>* entries, size_t first)
      : plant_(plant), context_(context), store_(*store), entries_(*entries), first_(first) {}

  void Resolve();

 private:
  void ResolveLevel(const std::vector<size_t>& indexes, int level, const std::string& date);
  EntryRecord LineEntry(const PlantRecord* plant, const std::string& line, int level,
                        const std::string& text) const;

  const PlantFacts& plant_;
  const EntryContext& context_;
  EntryStore& store_;
  std::deque<EntryRecord>& entries_;
  const size_t first_;
};

void StopLines::Resolve() {
  std::map<std::string, std::vector<size_t>> by_date;
  for (size_t i = first_; i < entries_.size(); ++i) {
    by_date[*entries_[i].effective_from].push_back(i);
  }
  for (const auto& [date, indexes] : by_date) {
    for (int level = 0; level < 4; ++level) ResolveLevel(indexes, level, date);
  }
}

void StopLines::ResolveLevel(const std::vector<size_t>& indexes, int level,
                             const std::string& date) {
  double percent = -1;
  for (size_t i : indexes) {
    const v1::Measure& m = entries_[i].levels.at[level];
    if (m.action() == v1::STOP_LINES) percent = m.percent();
  }
  if (percent < 0) return;
  std::map<std::string, const v1::Equipment*> equipment;
  for (const v1::Equipment* q : plant_.equipment) equipment[q->name()] = q;
  std::map<std::string, long long> line_kg;
  for (size_t i : indexes) {
    long long& sum = line_kg[ParentOf(ParentOf(*entries_[i].resource))];
    auto it = equipment.find(*entries_[i].resource);
    if (it == equipment.end()) continue;
    for (v1::Pollutant p : {v1::PM, v1::SO2, v1::NOX, v1::VOCS}) {
      sum += std::max(0LL, AnnualKg(*it->second, p));
    }
  }
  std::vector<std::pair<long long, std::string>> ranked;
  for (const auto& [line, kg] : line_kg) ranked.emplace_back(-kg, line);
  std::sort(ranked.begin(), ranked.end());
  const size_t n = ranked.size();
  const size_t k = static_cast<size_t>(std::ceil(percent * n / 100.0 - 1e-9));
  std::map<std::string, bool> stops;
  for (size_t r = 0; r < n; ++r) stops[ranked[r].second] = r < k;
  const std::string level_name = LevelName(kAlertOfLevel[level]);
  const std::string share = absl::StrCat(percent);
  for (size_t i : indexes) {
    v1::Measure* m = &entries_[i].levels.at[level];
    if (m->action() != v1::STOP_LINES) continue;
    const std::string line = ParentOf(ParentOf(*entries_[i].resource));
    if (n <= 1) {
      m->set_action(v1::LIMIT);
      entries_[i].reasons.push_back(store_.Keep(MakeReason(
          *context_.lines_spec,
          absl::StrCat(level_name, "：按生产线计停产", share,
                       "%，本企业只有一条生产线，改为降低负荷", share, "%，以用电量核查"))));
      continue;
    }
    m->set_action(stops[line] ? v1::STOP : v1::RUN);
    m->set_percent(0);
    entries_[i].reasons.push_back(store_.Keep(
        MakeReason(*context_.lines_spec,
                   absl::StrCat(level_name, "：按生产线计停产", share, "%，共", n, "条生产线停", k,
                                "条（按排放量从大到小）；本线", stops[line] ? "停产" : "保持生产"),
                   {MakeFact(line, "stops", stops[line] ? "是" : "否")})));
  }
  if (n <= 1) return;
  const PlantRecord* like = entries_[indexes.front()].plant;
  const std::string* from = store_.Intern(date);
  for (size_t r = 0; r < k; ++r) {
    entries_.push_back(LineEntry(
        like, ranked[r].second, level,
        absl::StrCat(level_name, "：按生产线计停产", share, "%，本线排放量第", r + 1, "位，停产")));
    entries_.back().effective_from = from;
  }
}

EntryRecord StopLines::LineEntry(const PlantRecord* plant, const std::string& line, int level,
                                 const std::string& text) const {
  EntryRecord entry;
  entry.plant = plant;
  entry.line = true;
  entry.resource = store_.KeepString(line);
  entry.kind = v1::RESTRICTED;
  entry.levels = Levels::All(Run());
  entry.levels.at[level].set_action(v1::STOP);
  entry.reasons.push_back(store_.Keep(MakeReason(*context_.lines_spec, text)));
  return entry;
}

void PlantEntries::AppendTo(std::deque<EntryRecord>* entries) const {
  const std::vector<std::string> dates = Dates();
  for (const std::string& date : dates) {
    bool changes = date.empty();
    for (const Contribution& c : decision_.enterprise) changes = changes || c.from == date;
    if (changes) entries->push_back(EnterpriseEntry(date));
  }
  const size_t first_equipment_entry = entries->size();
  for (const v1::Equipment* q : plant_.equipment) {
    auto own = decision_.equipment.find(q->name());
    for (const std::string& date : dates) {
      bool changes = date.empty();
      for (const Contribution& c : decision_.enterprise) changes = changes || c.from == date;
      if (own != decision_.equipment.end()) {
        for (const Contribution& c : own->second) changes = changes || c.from == date;
      }
      if (changes) entries->push_back(EquipmentEntry(*q, date));
    }
  }
  if (context_.lines_spec != nullptr) {
    StopLines(plant_, context_, &store_, entries, first_equipment_entry).Resolve();
  }
}

}  // namespace

// What keeps a stop or a limit safe for this kind of equipment (SP6, T78).
const char* SafetyText(const v1::Equipment& q) {
  switch (q.type()) {
    case v1::KILN:
    case v1::CUPOLA:
    case v1::INDUCTION_FURNACE:
      return "按操作规程降温停炉，防止炉体急冷损坏和煤气、熔融物泄漏；治污设施保持运行至停炉完成";
    case v1::BOILER:
      return "逐步降负荷停炉，保证管网防冻和安全泄压";
    case v1::REACTOR:
    case v1::STORAGE_TANK:
      return "物料退净后停车，保持氮封、温度和压力监控";
    default:
      return "按安全规程停机，切断动力电源，保留消防和治污设施";
  }
}

std::vector<v1::Pollutant> MissingPollutants(const v1::Equipment& q) {
  std::vector<v1::Pollutant> out;
  for (v1::Pollutant p : ExpectedPollutants(q)) {
    if (AnnualKg(q, p) < 0) out.push_back(p);
  }
  return out;
}

void AppendPlantEntries(const PlantFacts& plant, const PlantDecision& decision,
                        const PlantRecord& record, const EntryContext& context, EntryStore* store) {
  PlantEntries(plant, decision, record, context, store).AppendTo(&store->entries);
}

void EntryStore::Materialize(const EntryRecord& r, v1::ListEntry* entry) const {
  entry->Clear();
  const v1::Enterprise& e = *r.plant->enterprise;
  entry->set_resource(*r.resource);
  if (r.equipment != nullptr) {
    const v1::Equipment& q = *r.equipment;
    entry->set_resource_name(q.display_name());
    entry->set_process_name(DisplayName(&processes, ParentOf(q.name())));
    entry->set_line_name(DisplayName(&lines, ParentOf(ParentOf(q.name()))));
  } else if (r.line) {
    entry->set_resource_name(DisplayName(&lines, *r.resource));
    entry->set_line_name(entry->resource_name());
  } else {
    entry->set_resource_name(e.display_name());
  }
  entry->set_enterprise(e.name());
  entry->set_enterprise_name(e.display_name());
  entry->set_uscc(e.uscc());
  entry->set_industry(r.plant->industry);
  entry->set_responsible_person(e.responsible_person());
  entry->set_contact_phone(e.contact_phone());
  entry->set_kind(r.kind);
  for (int i = 0; i < 4; ++i) *MutableMeasureAt(entry, i) = r.levels.at[i];
  entry->set_effective_from(*r.effective_from);
  switch (r.safety) {
    case Safety::kPlant:
      entry->set_safety_measure(r.plant->plant_safety);
      break;
    case Safety::kEquipment:
      entry->set_safety_measure(SafetyText(*r.equipment));
      break;
    case Safety::kNone:
      break;
  }
  entry->set_escalated(r.escalated);
  for (const std::string* reason : r.reasons) entry->add_reasons()->ParseFromString(*reason);
  for (const std::string* reason : r.refused) entry->add_refused()->ParseFromString(*reason);
}

namespace {

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// A length-delimited field (strings, messages): omitted when empty unless
// `always` (a set message field).
void AppendField(int field, absl::string_view bytes, std::string* out, bool always = false) {
  if (bytes.empty() && !always) return;
  AppendVarint(static_cast<uint64_t>(field) << 3 | 2, out);
  AppendVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

}  // namespace

// Fields in number order, as protobuf's serializer writes them.
const std::string& EntryWriter::Write(const EntryRecord& r, const std::string& name) {
  const v1::Enterprise& e = *r.plant->enterprise;
  std::string resource_name, line_name, process_name;
  if (r.equipment != nullptr) {
    resource_name = r.equipment->display_name();
    process_name = DisplayName(&store_.processes, ParentOf(r.equipment->name()));
    line_name = DisplayName(&store_.lines, ParentOf(ParentOf(r.equipment->name())));
  } else if (r.line) {
    resource_name = DisplayName(&store_.lines, *r.resource);
    line_name = resource_name;
  } else {
    resource_name = e.display_name();
  }
  out_.clear();
  AppendField(1, name, &out_);
  AppendField(2, *r.resource, &out_);
  AppendField(3, e.name(), &out_);
  if (r.kind != 0) {
    AppendVarint(4 << 3, &out_);
    AppendVarint(static_cast<uint64_t>(static_cast<int64_t>(r.kind)), &out_);
  }
  for (int i = 0; i < 4; ++i) {
    measure_.clear();
    r.levels.at[i].AppendToString(&measure_);
    AppendField(5 + i, measure_, &out_, /*always=*/true);
  }
  AppendField(9, *r.effective_from, &out_);
  switch (r.safety) {
    case Safety::kPlant:
      AppendField(10, r.plant->plant_safety, &out_);
      break;
    case Safety::kEquipment:
      AppendField(10, SafetyText(*r.equipment), &out_);
      break;
    case Safety::kNone:
      break;
  }
  for (const std::string* reason : r.reasons) AppendField(11, *reason, &out_, /*always=*/true);
  AppendField(12, e.display_name(), &out_);
  AppendField(13, e.uscc(), &out_);
  AppendField(14, resource_name, &out_);
  if (r.escalated) {
    AppendVarint(15 << 3, &out_);
    AppendVarint(1, &out_);
  }
  AppendField(16, r.plant->industry, &out_);
  AppendField(17, line_name, &out_);
  AppendField(18, process_name, &out_);
  AppendField(19, e.responsible_person(), &out_);
  AppendField(20, e.contact_phone(), &out_);
  for (const std::string* reason : r.refused) AppendField(21, *reason, &out_, /*always=*/true);
  return out_;
}

void FillPlantRecord(PlantRecord* record) {
  const v1::Enterprise& e = *record->enterprise;
  record->industry = absl::StrCat(ChineseLabel(v1::IndustryCategory_Name(e.industry_category())),
                                  " (", e.industry_code(), ")");
  record->plant_safety = absl::StrCat(
      "一厂一策：责任人 ", e.responsible_person().empty() ? "(未登记)" : e.responsible_person(),
      "，联系电话 ", e.contact_phone().empty() ? "(未登记)" : e.contact_phone());
}

}  // namespace cuofeng
