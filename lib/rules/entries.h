// From one enterprise's decision to its list entries: the enterprise's own
// entry and one per piece of equipment (SP6, T78: down to line, process and
// equipment, with the safety measures), one per distinct effective date;
// exemptions and livelihood caps applied; data gaps said where they are
// (DATA_COMPLETENESS); "stop x% counted by line" resolved to whole lines.
#ifndef CUOFENG_LIB_RULES_ENTRIES_H_
#define CUOFENG_LIB_RULES_ENTRIES_H_

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"
#include "lib/rules/decision.h"

namespace cuofeng {

// EntryContext is what the builder reads besides the plant.
struct EntryContext {
  const v1::Season* season = nullptr;
  const v1::RuleSpec* data_spec = nullptr;   // DATA_COMPLETENESS; nullptr: no data reasons
  const v1::RuleSpec* lines_spec = nullptr;  // STOP_COUNTED_BY_LINE; nullptr: not resolved
  const std::unordered_map<std::string, const v1::Process*>* processes = nullptr;
  const std::unordered_map<std::string, const v1::ProductionLine*>* lines = nullptr;
};

// PlantRecord is a listed enterprise as its entries share it: the fields
// every entry copies.
struct PlantRecord {
  const v1::Enterprise* enterprise = nullptr;
  double cap_percent = -1;       // the livelihood cap (PlantDecision::cap_percent)
  std::string industry;          // e.g. 铸造 (C3391)
  std::string plant_safety;      // the enterprise entry's 一厂一策 line
  bool exempt_at_start = false;  // the exemption holds at the season start
};

// Safety says which safety text an entry carries.
enum class Safety : uint8_t { kNone, kPlant, kEquipment };

// EntryRecord is one list entry in the engine's compact form: what it shares
// with its plant (the enterprise's fields, the rules' reasons and facts) is
// pointed to, not copied; reasons are kept serialized, once per plant.
// EntryStore::Materialize makes the ListEntry, EntryWriter its bytes.
struct EntryRecord {
  const PlantRecord* plant = nullptr;
  const v1::Equipment* equipment = nullptr;  // an equipment's entry
  const std::string* resource = nullptr;     // equipment, enterprise or line name
  const std::string* effective_from = nullptr;
  Levels levels;
  v1::EntryKind kind = v1::ENTRY_KIND_UNSPECIFIED;
  bool escalated = false;
  bool line = false;  // a production line's entry ("stop x% counted by line")
  Safety safety = Safety::kNone;
  std::vector<const std::string*> reasons;  // each a serialized v1::Reason
  std::vector<const std::string*> refused;
};

// EntryStore owns a list's entries in compact form and what they point to
// (besides the registry snapshot, which must outlive it).
class EntryStore {
 public:
  // Keep keeps `reason` serialized.
  const std::string* Keep(const v1::Reason& reason) {
    strings_.push_back(reason.SerializeAsString());
    return &strings_.back();
  }
  const std::string* KeepString(std::string s) {
    strings_.push_back(std::move(s));
    return &strings_.back();
  }
  // Intern keeps one copy of each of the few distinct dates.
  const std::string* Intern(const std::string& s) { return &*interned_.insert(s).first; }
  PlantRecord* AddPlant() { return &plants_.emplace_back(); }

  // Materialize writes `record` into `entry` (cleared first).
  void Materialize(const EntryRecord& record, v1::ListEntry* entry) const;

  // A deque: a province's million entries grow without a second copy.
  std::deque<EntryRecord> entries;
  // The processes and lines by name (display names), as EntryContext reads them.
  std::unordered_map<std::string, const v1::Process*> processes;
  std::unordered_map<std::string, const v1::ProductionLine*> lines;

 private:
  std::deque<std::string> strings_;
  std::set<std::string> interned_;
  std::deque<PlantRecord> plants_;
};

// EntryWriter writes entries in compact form as the bytes of their ListEntry's
// deterministic serialization, without making the message.
class EntryWriter {
 public:
  explicit EntryWriter(const EntryStore& store) : store_(store) {}

  // Write returns the bytes of `record` as a ListEntry named `name` (none when
  // empty); valid until the next call.
  const std::string& Write(const EntryRecord& record, const std::string& name = "");

 private:
  const EntryStore& store_;
  std::string out_, measure_;
};

// MissingPollutants lists the expected pollutants (ExpectedPollutants) whose
// annual emissions the equipment does not record.
std::vector<v1::Pollutant> MissingPollutants(const v1::Equipment& q);

// AppendPlantEntries appends the entries of one listed enterprise to `store`
// (`record` is the plant's in the store; the decision may go afterwards).
void AppendPlantEntries(const PlantFacts& plant, const PlantDecision& decision,
                        const PlantRecord& record, const EntryContext& context, EntryStore* store);

// FillPlantRecord sets the fields the entries copy from `record`'s enterprise.
void FillPlantRecord(PlantRecord* record);

// SafetyText is what keeps a stop or a limit safe for this kind of
// equipment (SP6, T78).
const char* SafetyText(const v1::Equipment& q);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_ENTRIES_H_
