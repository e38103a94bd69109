#include "lib/rules/engine.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "lib/hash/sha256.h"
#include "lib/rules/decision.h"
#include "lib/rules/digest.h"
#include "lib/rules/entries.h"
#include "lib/rules/escalation.h"
#include "lib/rules/evaluators.h"

namespace cuofeng {
namespace {

// The rule of `kind` in the rule set, or nullptr.
const v1::RuleSpec* SpecOf(const v1::RuleSet& rules, v1::RuleKind kind) {
  for (const v1::RuleSpec& spec : rules.rules()) {
    if (spec.kind() == kind) return &spec;
  }
  return nullptr;
}

// Whether a second thread may share the work (the output is the same).
bool TwoThreads() { return std::thread::hardware_concurrency() >= 2; }

// RegistryIndex finds townships by resource name.
struct RegistryIndex {
  explicit RegistryIndex(const RegistrySnapshot& s) {
    for (const auto& t : s.townships) townships[t.name()] = &t;
  }
  NameIndex<v1::Township> townships;
};

// The enterprise above a name (first four segments), as EnterpriseOf says,
// as a view of `name`.
absl::string_view EnterpriseView(absl::string_view name) {
  size_t pos = 0;
  for (int i = 0; i < 4 && pos != absl::string_view::npos; ++i) pos = name.find('/', pos + 1);
  return pos == absl::string_view::npos ? name : name.substr(0, pos);
}

// The parent of a name (drop "/collection/id"), as ParentOf says, as a view.
absl::string_view ParentView(absl::string_view name) {
  size_t slash = name.rfind('/');
  slash = slash == absl::string_view::npos ? 0 : name.rfind('/', slash - 1);
  return slash == absl::string_view::npos ? absl::string_view() : name.substr(0, slash);
}

// The items in name order (a registry read in name order is not sorted again).
template <typename T>
std::vector<const T*> ByName(const std::vector<T>& items) {
  std::vector<const T*> out;
  out.reserve(items.size());
  for (const T& item : items) out.push_back(&item);
  auto less = [](const T* a, const T* b) { return a->name() < b->name(); };
  // Strictly increasing already: any sort would leave it as it is.
  bool sorted = true;
  for (size_t i = 1; i < out.size() && sorted; ++i) sorted = less(out[i - 1], out[i]);
  if (!sorted) std::sort(out.begin(), out.end(), less);
  return out;
}

// PlantsByName finds the plant of a resource by the enterprise in its name.
// A registry lists a plant's resources together, so the last plant found is
// tried first.
class PlantsByName {
 public:
  explicit PlantsByName(std::vector<PlantFacts>* plants) {
    index_.reserve(plants->size());
    for (PlantFacts& plant : *plants) index_[plant.enterprise->name()] = &plant;
  }
  PlantFacts* Find(absl::string_view resource) const {
    const absl::string_view enterprise = EnterpriseView(resource);
    if (last_ != nullptr && enterprise == last_name_) return last_;
    auto it = index_.find(enterprise);
    if (it == index_.end()) return nullptr;
    last_name_ = it->first;
    return last_ = it->second;
  }

 private:
  absl::flat_hash_map<absl::string_view, PlantFacts*> index_;
  mutable PlantFacts* last_ = nullptr;
  mutable absl::string_view last_name_;
};

// Groups `items` by their enterprise in `by_name`, each plant's in name order,
// into `field` of the plant. Sorting each plant's few items is the same as
// sorting all and grouping them, unless two share a name (which sort may
// order either way): then the whole is sorted as before. False if not grouped.
template <typename T>
bool GroupByPlant(const std::vector<T>& items, const PlantsByName& by_name,
                  std::vector<const T*> PlantFacts::*field, std::vector<PlantFacts>* plants) {
  for (const T& item : items) {
    if (PlantFacts* plant = by_name.Find(item.name())) (plant->*field).push_back(&item);
  }
  auto less = [](const T* a, const T* b) { return a->name() < b->name(); };
  for (PlantFacts& plant : *plants) {
    std::vector<const T*>& mine = plant.*field;
    std::sort(mine.begin(), mine.end(), less);
    for (size_t i = 1; i < mine.size(); ++i) {
      if (!less(mine[i - 1], mine[i])) return false;
    }
  }
  return true;
}

// GatherPlants groups the snapshot by enterprise, everything in name order.
std::vector<PlantFacts> GatherPlants(const RegistrySnapshot& s, const RegistryIndex& index) {
  std::vector<PlantFacts> plants;
  plants.reserve(s.enterprises.size());
  for (const v1::Enterprise* e : ByName(s.enterprises)) {
    PlantFacts plant;
    plant.enterprise = e;
    auto township = index.townships.find(e->township());
    if (township != index.townships.end()) plant.township = township->second;
    plants.push_back(std::move(plant));
  }
  const PlantsByName by_name(&plants);
  auto group_equipment = [&s, &plants](const PlantsByName& by_name) {
    if (!GroupByPlant(s.equipment, by_name, &PlantFacts::equipment, &plants)) {
      for (PlantFacts& plant : plants) plant.equipment.clear();
      for (const v1::Equipment* q : ByName(s.equipment)) {
        if (PlantFacts* plant = by_name.Find(q->name())) plant->equipment.push_back(q);
      }
    }
  };
  // The equipment (most of a registry) is grouped on a second thread while
  // this one groups the rest: each fills its own field of the plants.
  std::thread equipment_thread;
  if (TwoThreads() && s.equipment.size() >= 65536) {
    equipment_thread = std::thread(group_equipment, by_name);  // its own copy of the index
  } else {
    group_equipment(by_name);
  }
  // Processes and lines in the snapshot's order (RegistryNames looks them up).
  for (const v1::Process& p : s.processes) {
    if (PlantFacts* plant = by_name.Find(p.name())) plant->processes.push_back(&p);
  }
  for (const v1::ProductionLine& l : s.lines) {
    if (PlantFacts* plant = by_name.Find(l.name())) plant->lines.push_back(&l);
  }
  if (!GroupByPlant(s.retrofit_tasks, by_name, &PlantFacts::tasks, &plants)) {
    for (PlantFacts& plant : plants) plant.tasks.clear();
    for (const v1::RetrofitTask* t : ByName(s.retrofit_tasks)) {
      if (PlantFacts* plant = by_name.Find(t->name())) plant->tasks.push_back(t);
    }
  }
  if (equipment_thread.joinable()) equipment_thread.join();
  return plants;
}

// Decide runs every evaluator on the plant in the rule set's order.
PlantDecision Decide(const PlantFacts& plant,
                     const std::vector<std::unique_ptr<RuleEvaluator>>& evaluators) {
  PlantDecision decision;
  for (const auto& evaluator : evaluators) decision.Merge(evaluator->Evaluate(plant));
  return decision;
}

// Whether the plant's exemption holds at the season start.
bool ExemptAtStart(const PlantDecision& decision) {
  if (decision.exemption == Exemption::kNone) return false;
  return std::none_of(decision.enterprise.begin(), decision.enterprise.end(),
                      [](const Contribution& c) { return c.from.empty() && c.voids_exemption; });
}

// AppendUnits appends the equipment entries in force at the season start,
// for the proof, of `entries` from `begin` on.
void AppendUnits(const v1::RuleSet& rules, const v1::Season& season, EntryRecords* records,
                 size_t begin, std::vector<EscalationUnit>* units) {
  EntryRecords& entries = *records;
  // A plant's entries are next to each other: what is looked up for one
  // serves the next.
  const v1::Enterprise* enterprise = nullptr;
  int group = 0, industry_rank = 0;
  for (size_t i = begin; i < entries.size(); ++i) {
    const EntryRecord& r = entries[i];
    if (r.equipment == nullptr || *r.effective_from != season.start()) continue;
    EscalationUnit& u = units->emplace_back();
    u.record = &entries[i];
    u.equipment = r.equipment;
    u.enterprise = r.plant->enterprise;
    u.exempt = r.plant->exempt_at_start;
    u.cap_percent = r.plant->cap_percent;
    if (u.enterprise != enterprise) {
      enterprise = u.enterprise;
      group = EscalationGroup(rules, *enterprise);
      industry_rank = IndustryRank(rules, *enterprise);
    }
    u.group = group;
    u.industry_rank = industry_rank;
    u.process = ParentView(r.equipment->name());
    u.quick_safe_stop = r.process != nullptr && r.process->quick_safe_stop();
    for (v1::Pollutant p : {v1::PM, v1::SO2, v1::NOX, v1::VOCS}) {
      u.kg[p - v1::PM] = AnnualKg(*r.equipment, p);
    }
  }
}

bool EntryLess(const EntryRecord& a, const EntryRecord& b) {
  return std::tie(*a.resource, *a.effective_from) < std::tie(*b.resource, *b.effective_from);
}

// SortEntries puts the entries in resource order, then effective date, stably:
// the order is sorted as indexes and applied in place, cycle by cycle, so the
// records are never held twice. Each plant's entries come sorted and the
// plants in name order, so this is mostly a check. True if it moved any.
bool SortEntries(EntryRecords* entries) {
  EntryRecords& e = *entries;
  bool sorted = true;
  const EntryRecord* previous = nullptr;
  for (auto it = e.begin(); it != e.end() && sorted; ++it) {
    sorted = previous == nullptr || !EntryLess(*it, *previous);
    previous = &*it;
  }
  if (sorted) return false;
  std::vector<uint32_t> order(e.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return EntryLess(e[a], e[b]); });
  // Position j takes the record that was at order[j].
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i] == i) continue;
    EntryRecord held = std::move(e[i]);
    size_t j = i;
    while (true) {
      const size_t k = order[j];
      order[j] = static_cast<uint32_t>(j);
      if (k == i) {
        e[j] = std::move(held);
        break;
      }
      e[j] = std::move(e[k]);
      j = k;
    }
  }
  return true;
}

void CountKinds(const EntryStore& store, GeneratedList* list) {
  for (const EntryRecord& e : store.entries) {
    switch (e.kind) {
      case v1::RESTRICTED:
        ++list->restricted;
        break;
      case v1::EXEMPT:
        ++list->exempt;
        break;
      case v1::GUARANTEED:
        ++list->guaranteed;
        break;
      case v1::DATA_MISSING:
        ++list->data_missing;
        break;
      default:
        break;
    }
  }
}

// Pipe hands items from one thread to another in order, holding at most
// `capacity` at once.
template <typename T>
class Pipe {
 public:
  explicit Pipe(size_t capacity) : capacity_(capacity) {}

  void Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(std::move(item));
    not_empty_.notify_one();
  }
  // Close says no more will come.
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  // Pop waits for the next item; false when closed and empty.
  bool Pop(T* item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return false;
    *item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return true;
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> items_;
  bool closed_ = false;
};

// Plants per piece when two threads decide them: small enough that neither
// thread waits long for the other at the end, large enough that a piece's
// store is a few allocations. A list of 10,000 equipment (1,000 plants) is
// already made in pieces, so rules_digest_test's pinned digest checks them.
size_t PiecePlants(size_t plants) { return std::clamp<size_t>(plants / 32, 16, 2048); }

// ContentSha256 is EntriesSha256 of the store's entries, written one at a
// time. With two cores one thread writes the bytes (in blocks) while the
// other hashes them.
std::string ContentSha256(const EntryStore& store) {
  Sha256Stream sha;
  EntryWriter writer(store);
  auto append = [&writer](const EntryRecord& r, std::string* out) {
    const std::string& bytes = writer.Write(r);
    uint8_t length[10];
    const uint8_t* end =
        google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(bytes.size(), length);
    out->append(reinterpret_cast<const char*>(length), end - length);
    out->append(bytes);
  };
  constexpr size_t kBlock = 1 << 20;
  constexpr size_t kBlocks = 4;
  if (!TwoThreads() || store.entries.size() < 4096) {
    std::string block;
    for (const EntryRecord& r : store.entries) {
      append(r, &block);
      if (block.size() >= kBlock) {
        sha.Update(block);
        block.clear();
      }
    }
    sha.Update(block);
    return sha.HexDigest();
  }
  // Blocks go round: written here, hashed there, handed back empty.
  Pipe<std::string> full(kBlocks), empty(kBlocks);
  for (size_t i = 1; i < kBlocks; ++i) empty.Push(std::string());
  std::thread hasher([&] {
    std::string block;
    while (full.Pop(&block)) {
      sha.Update(block);
      block.clear();
      empty.Push(std::move(block));
    }
  });
  std::string block;
  for (const EntryRecord& r : store.entries) {
    append(r, &block);
    if (block.size() >= kBlock) {
      full.Push(std::move(block));
      empty.Pop(&block);
    }
  }
  full.Push(std::move(block));
  full.Close();
  hasher.join();
  return sha.HexDigest();
}

}  // namespace

std::vector<v1::Period> StaggeredPeriods(const v1::Season& season) {
  absl::CivilDay start, end;
  if (!absl::ParseCivilTime(season.start(), &start) || !absl::ParseCivilTime(season.end(), &end))
    return {};
  // Day by day is plenty: a season is a few months.
  std::map<absl::CivilDay, bool> on;
  for (absl::CivilDay d = start; d <= end; ++d) on[d] = true;
  for (const v1::MonthAdjustment& a : season.adjustments()) {
    absl::CivilMonth month;
    if (!absl::ParseCivilTime(a.month(), &month)) continue;
    for (absl::CivilDay d = absl::CivilDay(month); absl::CivilMonth(d) == month; ++d)
      on[d] = a.staggered();
  }
  std::vector<v1::Period> out;
  for (auto it = on.begin(); it != on.end(); ++it) {
    if (!it->second) continue;
    if (!out.empty() && absl::CivilDay(std::prev(it)->first) + 1 == it->first &&
        std::prev(it)->second) {
      out.back().set_end(absl::FormatCivilTime(it->first));
      continue;
    }
    v1::Period p;
    p.set_start(absl::FormatCivilTime(it->first));
    p.set_end(absl::FormatCivilTime(it->first));
    out.push_back(p);
  }
  return out;
}

GeneratedList GenerateList(const v1::RuleSet& rules, const v1::Season& season,
                           const RegistrySnapshot& snapshot, const std::string& as_of,
                           EntryForm form) {
  auto store = std::make_shared<EntryStore>();
  // The equipment entries in force at the season start, for the proof, made
  // with the entries while they are at hand.
  EscalationUnits units(1);
  {
    RegistryIndex index(snapshot);
    const RegistryNames names(&snapshot.processes, &snapshot.lines);
    const RuleContext context{&rules, &season, as_of, &snapshot.cems_transmission};
    const EntryContext entry_context{&season, SpecOf(rules, v1::DATA_COMPLETENESS),
                                     SpecOf(rules, v1::STOP_COUNTED_BY_LINE), &names};
    std::vector<std::unique_ptr<RuleEvaluator>> evaluators;
    for (const v1::RuleSpec& spec : rules.rules()) {
      if (auto evaluator = MakeEvaluator(spec, context)) evaluators.push_back(std::move(evaluator));
    }
    const std::vector<PlantFacts> plants = GatherPlants(snapshot, index);
    // The plants from `begin` to `end` into `into`, with their units.
    auto decide = [&](size_t begin, size_t end, EntryStore* into,
                      std::vector<EscalationUnit>* units_into) {
      for (size_t i = begin; i < end; ++i) {
        const PlantFacts& plant = plants[i];
        const PlantDecision decision = Decide(plant, evaluators);
        if (!decision.listed) continue;
        PlantRecord* record = into->AddPlant();
        record->enterprise = plant.enterprise;
        record->exempt_at_start = ExemptAtStart(decision);
        record->cap_percent = decision.cap_percent;
        FillPlantRecord(record);
        const size_t first = into->entries.size();
        AppendPlantEntries(plant, decision, *record, entry_context, into);
        AppendUnits(rules, season, &into->entries, first, units_into);
      }
    };
    const size_t piece = PiecePlants(plants.size());
    if (!TwoThreads() || plants.size() < 4 * piece) {
      decide(0, plants.size(), store.get(), &units[0]);
    } else {
      // Two threads take pieces of the plants in turn, each into a store of
      // its own (the evaluators and the registry are only read); the pieces
      // are then appended in order, so the list is the same as one thread's.
      const size_t n = (plants.size() + piece - 1) / piece;
      std::vector<std::unique_ptr<EntryStore>> pieces(n);
      units.resize(n);
      std::atomic<size_t> next{0};
      auto work = [&] {
        for (size_t p = next++; p < n; p = next++) {
          pieces[p] = std::make_unique<EntryStore>();
          decide(p * piece, std::min(plants.size(), (p + 1) * piece), pieces[p].get(), &units[p]);
        }
      };
      std::thread helper(work);
      work();
      helper.join();
      // The pieces' entries are taken as they are, not copied, and so are
      // the units that point to them.
      for (auto& piece : pieces) store->Absorb(std::move(piece));
    }
  }
  if (SortEntries(&store->entries)) {  // the units point to where the entries were
    units.assign(1, {});
    AppendUnits(rules, season, &store->entries, 0, &units[0]);
  }
  GeneratedList out;
  out.proof = ProveTargets(rules, snapshot.emission_totals, units, SpecOf(rules, v1::ESCALATION),
                           store.get());
  CountKinds(*store, &out);
  out.entry_count = store->entries.size();
  out.staggered_periods = StaggeredPeriods(season);
  // The content hash, as EntriesSha256 computes it, one entry at a time.
  out.content_sha256 = ContentSha256(*store);
  if (form == EntryForm::kMessages) {
    out.entries.reserve(store->entries.size());
    for (const EntryRecord& r : store->entries) store->Materialize(r, &out.entries.emplace_back());
  }
  if (form == EntryForm::kCompact) out.store = std::move(store);
  return out;
}

void ForEachEntry(const GeneratedList& list, const std::function<void(v1::ListEntry*)>& f) {
  v1::ListEntry scratch;
  if (list.store != nullptr) {
    for (const EntryRecord& r : list.store->entries) {
      list.store->Materialize(r, &scratch);
      f(&scratch);
    }
    return;
  }
  for (const v1::ListEntry& e : list.entries) {
    scratch = e;
    f(&scratch);
  }
}

std::string EntriesSha256(const std::vector<v1::ListEntry>& entries) {
  // In pieces: a province's entries serialized would not fit beside them.
  Sha256Stream sha;
  v1::ListEntry copy;
  for (const v1::ListEntry& e : entries) {
    if (e.name().empty()) {  // as the engine makes them: no copy needed
      sha.AddMessage(e);
      continue;
    }
    copy = e;
    copy.clear_name();
    sha.AddMessage(copy);
  }
  return sha.HexDigest();
}

}  // namespace cuofeng
