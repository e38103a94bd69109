#include "lib/rules/entries.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/model/labels.h"
#include "lib/rules/measures.h"

namespace cuofeng {
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

constexpr v1::AlertLevel kAlertOfLevel[] = {v1::ALERT_LEVEL_UNSPECIFIED, v1::YELLOW, v1::ORANGE,
                                            v1::RED};

// The parent of a resource name (drop "/collection/id"), as ParentOf says,
// as a view of `name`.
absl::string_view ParentView(absl::string_view name) {
  size_t slash = name.rfind('/');
  slash = slash == absl::string_view::npos ? 0 : name.rfind('/', slash - 1);
  return slash == absl::string_view::npos ? absl::string_view() : name.substr(0, slash);
}

// The display name of a registered process or line, or the id at the end of
// its name when it has none (or is not registered).
template <typename T>
absl::string_view DisplayName(const T* registered, absl::string_view name) {
  if (registered != nullptr && !registered->display_name().empty()) {
    return registered->display_name();
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
  const StoredLevels* levels = nullptr;
  std::vector<Kept> reasons;
  std::vector<Kept> refused;
  bool exempt = false;
};

class PlantEntries {
 public:
  PlantEntries(const PlantFacts& plant, const PlantDecision& decision, const PlantRecord& record,
               const EntryContext& context, EntryStore* store)
      : plant_(plant), record_(record), decision_(decision), context_(context), store_(*store) {}

  // Append makes the plant's entries and adds them to the store in resource
  // order, then effective date.
  void Append();

 private:
  using Own = std::map<std::string, std::vector<Contribution>>::const_iterator;

  std::vector<std::string> Dates() const;
  Resolved Resolve(const std::vector<const Contribution*>& contributions,
                   const std::string& date) const;
  // The resolution of the enterprise's own contributions at dates_[d]: the
  // same for the enterprise's entry and every equipment without rules of
  // its own, so made once.
  const Resolved& EnterpriseResolved(size_t d);
  // NewDraft starts an entry in the store's scratch and returns its index.
  size_t NewDraft();
  EntryDraft& Draft(size_t i) { return store_.drafts[i]; }
  void SetMeasures(const Resolved& resolved, const std::string& date, EntryDraft* entry) const;
  void EnterpriseEntry(size_t d);
  void EquipmentEntry(size_t q, Own own, size_t d);
  std::vector<MissingFact> EquipmentMissing(const v1::Equipment& q) const;
  std::vector<MissingFact> PlantMissing() const;
  v1::Reason DataReason(const std::vector<MissingFact>& missing, bool enterprise) const;
  void StopLines(size_t first);
  void StopLinesAt(const std::vector<size_t>& indexes, int level, const std::string& date);
  size_t LineEntry(const PlantRecord* plant, const std::string& line, int level,
                   const std::string& text);
  void Commit();

  const PlantFacts& plant_;
  const PlantRecord& record_;
  const PlantDecision& decision_;
  const EntryContext& context_;
  EntryStore& store_;
  std::vector<std::string> dates_;
  std::vector<std::unique_ptr<Resolved>> enterprise_resolved_;  // by date index
  // Per equipment (plant_.equipment's order): what it is missing, and the
  // data reason that says so, kept once for all its entries.
  std::vector<std::vector<MissingFact>> missing_;
  std::vector<Kept> data_reason_;
  // Per equipment: its process and line in the registry (or nullptr).
  std::vector<const v1::Process*> process_;
  std::vector<const v1::ProductionLine*> line_;
  // The decision's reasons serialized, each once for all the plant's entries.
  mutable std::unordered_map<const v1::Reason*, Kept> shared_;

  Kept Shared(const v1::Reason& r) const {
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
  Levels levels = Levels::All(Run());
  const Contribution* voiding = nullptr;
  for (const Contribution* c : contributions) {
    if (c->from <= date && c->voids_exemption && voiding == nullptr) voiding = c;
  }
  out.exempt = decision_.exemption != Exemption::kNone && voiding == nullptr;
  for (const Contribution* c : contributions) {
    if (c->from > date) continue;
    if (out.exempt && c->liftable) {
      Levels lifted = c->levels;
      for (v1::Measure& m : lifted.at) m = Lifted(m, decision_.exemption);
      levels = levels.Stricter(lifted);
    } else {
      levels = levels.Stricter(c->levels);
    }
    out.reasons.push_back(Shared(c->reason));
  }
  if (out.exempt) {
    if (decision_.exemption == Exemption::kVoluntary) {
      v1::Measure voluntary = Run();
      voluntary.set_action(v1::VOLUNTARY);
      levels = levels.Stricter(Levels::All(voluntary));
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
    for (v1::Measure& m : levels.at) ClampToCap(decision_.cap_percent, &m);
  }
  out.levels = store_.InternLevels(levels);
  return out;
}

const Resolved& PlantEntries::EnterpriseResolved(size_t d) {
  if (enterprise_resolved_[d] == nullptr) {
    std::vector<const Contribution*> contributions;
    for (const Contribution& c : decision_.enterprise) contributions.push_back(&c);
    enterprise_resolved_[d] = std::make_unique<Resolved>(Resolve(contributions, dates_[d]));
  }
  return *enterprise_resolved_[d];
}

size_t PlantEntries::NewDraft() {
  if (store_.drafts_used == store_.drafts.size()) store_.drafts.emplace_back();
  EntryDraft& d = store_.drafts[store_.drafts_used];
  d.record = EntryRecord();
  d.reasons.clear();
  d.refused.clear();
  return store_.drafts_used++;
}

void PlantEntries::SetMeasures(const Resolved& resolved, const std::string& date,
                               EntryDraft* entry) const {
  entry->record.plant = &record_;
  entry->record.levels = resolved.levels;
  entry->record.effective_from = store_.Intern(date.empty() ? context_.season->start() : date);
  entry->reasons.assign(resolved.reasons.begin(), resolved.reasons.end());
  entry->refused.assign(resolved.refused.begin(), resolved.refused.end());
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
  for (const std::vector<MissingFact>& missing : missing_) {
    for (const MissingFact& m : missing) out.push_back(m);
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

void PlantEntries::EnterpriseEntry(size_t d) {
  const std::string& date = dates_[d];
  const v1::Enterprise& e = *plant_.enterprise;
  const Resolved& resolved = EnterpriseResolved(d);
  EntryDraft& entry = Draft(NewDraft());
  entry.record.resource = &e.name();
  SetMeasures(resolved, date, &entry);
  const std::vector<MissingFact> missing = PlantMissing();
  entry.record.kind = decision_.guaranteed ? v1::GUARANTEED
                      : resolved.exempt    ? v1::EXEMPT
                      : !missing.empty()   ? v1::DATA_MISSING
                                           : v1::RESTRICTED;
  if (date.empty()) {
    for (const v1::Reason& r : decision_.refused) entry.refused.push_back(Shared(r));
    if (!missing.empty() && context_.data_spec != nullptr) {
      entry.reasons.push_back(store_.Keep(DataReason(missing, /*enterprise=*/true)));
    }
  }
  entry.record.safety = Safety::kPlant;
}

void PlantEntries::EquipmentEntry(size_t index, Own own, size_t d) {
  const v1::Equipment& q = *plant_.equipment[index];
  const std::string& date = dates_[d];
  bool own_restricts = false;
  Resolved own_resolved;
  const Resolved* resolved;
  if (own != decision_.equipment.end()) {
    std::vector<const Contribution*> contributions;
    for (const Contribution& c : decision_.enterprise) contributions.push_back(&c);
    for (const Contribution& c : own->second) {
      contributions.push_back(&c);
      own_restricts = own_restricts || (c.from <= date && CutFraction(c.levels.at[0]) > 0);
    }
    own_resolved = Resolve(contributions, date);
    resolved = &own_resolved;
  } else {
    resolved = &EnterpriseResolved(d);
  }
  EntryDraft& entry = Draft(NewDraft());
  entry.record.equipment = &q;
  entry.record.resource = &q.name();
  entry.record.process = process_[index];
  entry.record.line_of = line_[index];
  SetMeasures(*resolved, date, &entry);
  const std::vector<MissingFact>& missing = missing_[index];
  // A rule on this equipment (a high stack, a crude technology) restricts
  // it even in an exempt plant.
  entry.record.kind = decision_.guaranteed                 ? v1::GUARANTEED
                      : resolved->exempt && !own_restricts ? v1::EXEMPT
                      : !missing.empty()                   ? v1::DATA_MISSING
                                                           : v1::RESTRICTED;
  if (date.empty()) {
    auto refused = decision_.equipment_refused.find(q.name());
    if (refused != decision_.equipment_refused.end()) {
      for (const v1::Reason& r : refused->second) entry.refused.push_back(Shared(r));
    }
  }
  if (!missing.empty() && context_.data_spec != nullptr) {
    if (data_reason_[index] == nullptr) {
      data_reason_[index] = store_.Keep(DataReason(missing, /*enterprise=*/false));
    }
    entry.reasons.push_back(data_reason_[index]);
  }
  entry.record.safety = resolved->levels->cuts ? Safety::kEquipment : Safety::kNone;
}

// "Stop x% counted by production line": whole lines stop, the largest
// emitters first, until the share is reached; a single-line plant lowers its
// load by x% instead (2020 guide practice). On the plant's entries from `first`.
void PlantEntries::StopLines(size_t first) {
  bool any = false;
  for (size_t i = first; i < store_.drafts_used && !any; ++i) {
    any = Draft(i).record.levels->stop_lines;
  }
  if (!any) return;
  std::map<std::string, std::vector<size_t>> by_date;
  const size_t end = store_.drafts_used;
  for (size_t i = first; i < end; ++i) {
    by_date[*Draft(i).record.effective_from].push_back(i);
  }
  for (const auto& [date, indexes] : by_date) {
    for (int level = 0; level < 4; ++level) StopLinesAt(indexes, level, date);
  }
}

void PlantEntries::StopLinesAt(const std::vector<size_t>& indexes, int level,
                               const std::string& date) {
  double percent = -1;
  for (size_t i : indexes) {
    const v1::Measure& m = Draft(i).record.levels->levels.at[level];
    if (m.action() == v1::STOP_LINES) percent = m.percent();
  }
  if (percent < 0) return;
  std::map<std::string, const v1::Equipment*> equipment;
  for (const v1::Equipment* q : plant_.equipment) equipment[q->name()] = q;
  std::map<std::string, long long> line_kg;
  for (size_t i : indexes) {
    const std::string& resource = *Draft(i).record.resource;
    long long& sum = line_kg[ParentOf(ParentOf(resource))];
    auto it = equipment.find(resource);
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
    EntryDraft& entry = Draft(i);
    if (entry.record.levels->levels.at[level].action() != v1::STOP_LINES) continue;
    Levels levels = entry.record.levels->levels;
    v1::Measure* m = &levels.at[level];
    const std::string line = ParentOf(ParentOf(*entry.record.resource));
    if (n <= 1) {
      m->set_action(v1::LIMIT);
      entry.record.levels = store_.InternLevels(levels);
      entry.reasons.push_back(store_.Keep(MakeReason(
          *context_.lines_spec,
          absl::StrCat(level_name, "：按生产线计停产", share,
                       "%，本企业只有一条生产线，改为降低负荷", share, "%，以用电量核查"))));
      continue;
    }
    m->set_action(stops[line] ? v1::STOP : v1::RUN);
    m->set_percent(0);
    entry.record.levels = store_.InternLevels(levels);
    entry.reasons.push_back(store_.Keep(
        MakeReason(*context_.lines_spec,
                   absl::StrCat(level_name, "：按生产线计停产", share, "%，共", n, "条生产线停", k,
                                "条（按排放量从大到小）；本线", stops[line] ? "停产" : "保持生产"),
                   {MakeFact(line, "stops", stops[line] ? "是" : "否")})));
  }
  if (n <= 1) return;
  const PlantRecord* like = Draft(indexes.front()).record.plant;
  const std::string* from = store_.Intern(date);
  for (size_t r = 0; r < k; ++r) {
    const size_t i = LineEntry(
        like, ranked[r].second, level,
        absl::StrCat(level_name, "：按生产线计停产", share, "%，本线排放量第", r + 1, "位，停产"));
    Draft(i).record.effective_from = from;
  }
}

size_t PlantEntries::LineEntry(const PlantRecord* plant, const std::string& line, int level,
                               const std::string& text) {
  const size_t i = NewDraft();
  EntryDraft& entry = Draft(i);
  entry.record.plant = plant;
  entry.record.line = true;
  entry.record.resource = store_.KeepString(line);
  entry.record.line_of = context_.names->Line(plant_, line);
  entry.record.kind = v1::RESTRICTED;
  Levels levels = Levels::All(Run());
  levels.at[level].set_action(v1::STOP);
  entry.record.levels = store_.InternLevels(levels);
  entry.reasons.push_back(store_.Keep(MakeReason(*context_.lines_spec, text)));
  return i;
}

// Commit adds the drafts to the store in resource order, then effective
// date, stably (the order SortEntries gives the whole list).
void PlantEntries::Commit() {
  std::vector<uint32_t> order(store_.drafts_used);
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const EntryRecord& x = Draft(a).record;
    const EntryRecord& y = Draft(b).record;
    return std::tie(*x.resource, *x.effective_from) < std::tie(*y.resource, *y.effective_from);
  });
  for (uint32_t i : order) store_.Add(Draft(i));
  store_.drafts_used = 0;
}

void PlantEntries::Append() {
  store_.drafts_used = 0;
  dates_ = Dates();
  enterprise_resolved_.resize(dates_.size());
  missing_.reserve(plant_.equipment.size());
  for (const v1::Equipment* q : plant_.equipment) missing_.push_back(EquipmentMissing(*q));
  data_reason_.assign(plant_.equipment.size(), nullptr);
  process_.reserve(plant_.equipment.size());
  line_.reserve(plant_.equipment.size());
  for (const v1::Equipment* q : plant_.equipment) {
    const absl::string_view process = ParentView(q->name());
    process_.push_back(context_.names->Process(plant_, process));
    line_.push_back(context_.names->Line(plant_, ParentView(process)));
  }
  // Whether the enterprise's own contributions change at each date.
  std::vector<bool> changes(dates_.size());
  for (size_t d = 0; d < dates_.size(); ++d) {
    changes[d] = dates_[d].empty();
    for (const Contribution& c : decision_.enterprise) {
      changes[d] = changes[d] || c.from == dates_[d];
    }
    if (changes[d]) EnterpriseEntry(d);
  }
  const size_t first_equipment_entry = store_.drafts_used;
  for (size_t q = 0; q < plant_.equipment.size(); ++q) {
    const Own own = decision_.equipment.find(plant_.equipment[q]->name());
    for (size_t d = 0; d < dates_.size(); ++d) {
      bool change = changes[d];
      if (own != decision_.equipment.end()) {
        for (const Contribution& c : own->second) change = change || c.from == dates_[d];
      }
      if (change) EquipmentEntry(q, own, d);
    }
  }
  if (context_.lines_spec != nullptr) StopLines(first_equipment_entry);
  Commit();
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

void RegistryNames::Index() const {
  std::call_once(indexed_, [this] {
    processes_.reserve(all_processes_->size());
    lines_.reserve(all_lines_->size());
    for (const v1::Process& p : *all_processes_) processes_[p.name()] = &p;
    for (const v1::ProductionLine& l : *all_lines_) lines_[l.name()] = &l;
  });
}

// Every process of a name has the same enterprise part, so they are all in
// one plant's list, and the last of them there is the last registered.
const v1::Process* RegistryNames::Process(const PlantFacts& plant, absl::string_view name) const {
  for (auto it = plant.processes.rbegin(); it != plant.processes.rend(); ++it) {
    if ((*it)->name() == name) return *it;
  }
  Index();
  auto it = processes_.find(name);
  return it == processes_.end() ? nullptr : it->second;
}

const v1::ProductionLine* RegistryNames::Line(const PlantFacts& plant,
                                              absl::string_view name) const {
  for (auto it = plant.lines.rbegin(); it != plant.lines.rend(); ++it) {
    if ((*it)->name() == name) return *it;
  }
  Index();
  auto it = lines_.find(name);
  return it == lines_.end() ? nullptr : it->second;
}

void AppendPlantEntries(const PlantFacts& plant, const PlantDecision& decision,
                        const PlantRecord& record, const EntryContext& context, EntryStore* store) {
  PlantEntries(plant, decision, record, context, store).Append();
}

const StoredLevels* EntryStore::InternLevels(const Levels& levels) {
  std::string fields, measure;
  for (int i = 0; i < 4; ++i) {
    measure.clear();
    levels.at[i].AppendToString(&measure);
    AppendField(5 + i, measure, &fields, /*always=*/true);
  }
  auto [it, added] = levels_index_.try_emplace(std::move(fields), nullptr);
  if (added) {
    StoredLevels& stored = levels_.emplace_back();
    stored.levels = levels;
    stored.fields = it->first;
    for (int i = 0; i < 4; ++i) {
      const v1::Measure& m = levels.at[i];
      stored.cut_permille[i] = CutPermille(m);
      stored.cuts = stored.cuts || CutFraction(m) > 0;
      stored.stop_lines = stored.stop_lines || m.action() == v1::STOP_LINES;
    }
    it->second = &stored;
  }
  return it->second;
}

Kept EntryStore::Keep(const v1::Reason& reason) {
  const size_t size = reason.ByteSizeLong();
  const size_t need = sizeof(uint32_t) + size;
  if (need > bytes_left_) {
    bytes_left_ = std::max(kBytesBlock, need);
    bytes_.emplace_back(new char[bytes_left_]);
    bytes_next_ = bytes_.back().get();
  }
  char* kept = bytes_next_;
  const uint32_t size32 = static_cast<uint32_t>(size);
  std::memcpy(kept, &size32, sizeof(size32));
  reason.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(kept + sizeof(size32)));
  bytes_next_ += need;
  bytes_left_ -= need;
  return kept;
}

Kept* EntryStore::Reserve(size_t n) {
  if (n > pool_left_) {
    pool_left_ = std::max(kChunk, n);
    chunks_.emplace_back(new Kept[pool_left_]);  // not zeroed: pages touched as filled
    pool_next_ = chunks_.back().get();
  }
  Kept* out = pool_next_;
  pool_next_ += n;
  pool_left_ -= n;
  return out;
}

void EntryStore::Add(const EntryDraft& draft) {
  EntryRecord& r = entries.emplace_back(draft.record);
  r.reasons_n = static_cast<uint16_t>(draft.reasons.size());
  r.refused_n = static_cast<uint16_t>(draft.refused.size());
  Kept* slot = Reserve(r.reasons_n + r.refused_n);
  r.reasons = slot;
  slot = std::copy(draft.reasons.begin(), draft.reasons.end(), slot);
  std::copy(draft.refused.begin(), draft.refused.end(), slot);
}

void EntryStore::Absorb(std::unique_ptr<EntryStore> part) {
  entries.Adopt(&part->entries);
  part->drafts.clear();
  part->drafts.shrink_to_fit();
  parts_.push_back(std::move(part));
}

void EntryStore::AddReason(EntryRecord* r, Kept reason) {
  // The entry's range moves to a new place in the pool (escalation adds a
  // reason to some entries, after every entry is made).
  const Kept* old = r->reasons;
  Kept* slot = Reserve(r->reasons_n + r->refused_n + 1);
  r->reasons = slot;
  slot = std::copy(old, old + r->reasons_n, slot);
  *slot++ = reason;
  std::copy(old + r->reasons_n, old + r->reasons_n + r->refused_n, slot);
  ++r->reasons_n;
}

void EntryStore::Materialize(const EntryRecord& r, v1::ListEntry* entry) const {
  entry->Clear();
  const v1::Enterprise& e = *r.plant->enterprise;
  entry->set_resource(*r.resource);
  if (r.equipment != nullptr) {
    const v1::Equipment& q = *r.equipment;
    entry->set_resource_name(q.display_name());
    const absl::string_view process = DisplayName(r.process, ParentView(q.name()));
    const absl::string_view line = DisplayName(r.line_of, ParentView(ParentView(q.name())));
    entry->set_process_name(process.data(), process.size());
    entry->set_line_name(line.data(), line.size());
  } else if (r.line) {
    const absl::string_view line = DisplayName(r.line_of, *r.resource);
    entry->set_resource_name(line.data(), line.size());
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
  for (int i = 0; i < 4; ++i) *MutableMeasureAt(entry, i) = r.levels->levels.at[i];
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
  for (Kept reason : Reasons(r)) {
    const absl::string_view bytes = KeptBytes(reason);
    entry->add_reasons()->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  }
  for (Kept reason : Refused(r)) {
    const absl::string_view bytes = KeptBytes(reason);
    entry->add_refused()->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  }
}

// Fields in number order, as protobuf's serializer writes them.
const std::string& EntryWriter::Write(const EntryRecord& r, absl::string_view name) {
  const v1::Enterprise& e = *r.plant->enterprise;
  absl::string_view resource_name, line_name, process_name;
  if (r.equipment != nullptr) {
    resource_name = r.equipment->display_name();
    process_name = DisplayName(r.process, ParentView(r.equipment->name()));
    line_name = DisplayName(r.line_of, ParentView(ParentView(r.equipment->name())));
  } else if (r.line) {
    resource_name = DisplayName(r.line_of, *r.resource);
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
  out_.append(r.levels->fields);
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
  for (Kept reason : store_.Reasons(r)) {
    AppendField(11, KeptBytes(reason), &out_, /*always=*/true);
  }
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
  for (Kept reason : store_.Refused(r)) {
    AppendField(21, KeptBytes(reason), &out_, /*always=*/true);
  }
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
