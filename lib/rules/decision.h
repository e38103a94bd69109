// What the rules engine knows about one enterprise (its facts) and what one
// rule decides about it (an outcome): the vocabulary shared by the rule
// evaluators, the entry builder and the escalation. Pure.
#ifndef CUOFENG_LIB_RULES_DECISION_H_
#define CUOFENG_LIB_RULES_DECISION_H_

#include <array>
#include <map>
#include <string>
#include <vector>

#include "cuofeng/v1/compliance.pb.h"
#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"

namespace cuofeng {

// Levels holds a measure for each of the four levels, in this order:
// the heating season, then the yellow, orange and red alerts.
struct Levels {
  std::array<v1::Measure, 4> at;

  // All is `m` at every level; Alerts is RUN in the season and `m` under alerts.
  static Levels All(const v1::Measure& m);
  static Levels Alerts(const v1::Measure& m);
  static Levels Of(const v1::MeasureTable& table);
  // Stricter combines level by level (see measures.h Stricter).
  Levels Stricter(const Levels& other) const;
};

// The measure slot of `entry` at level `i` (0 season, 1-3 yellow-red).
const v1::Measure& MeasureAt(const v1::ListEntry& entry, int i);
v1::Measure* MutableMeasureAt(v1::ListEntry* entry, int i);

// Contribution is one rule's measures for a resource from a date.
struct Contribution {
  std::string from;  // YYYY-MM-DD; "" = the season start
  Levels levels;
  v1::Reason reason;
  // A production limit from an industry table: a benchmark exemption (§26
  // 可不予限产) lifts its action but keeps its transport and non-road rules.
  bool liftable = false;
  // A stop the seed imposes whatever the plant's performance (SP2, SP3, SP8):
  // while it holds, no exemption applies.
  bool voids_exemption = false;
};

// PlantFacts is what the registry says about one enterprise.
struct PlantFacts {
  const v1::Enterprise* enterprise = nullptr;
  const v1::Township* township = nullptr;       // nullptr: not in the registry
  std::vector<const v1::Equipment*> equipment;  // in name order
  std::vector<const v1::RetrofitTask*> tasks;   // in name order
  // The plant's processes and lines, in the snapshot's order (for looking
  // up an equipment's; see RegistryNames).
  std::vector<const v1::Process*> processes;
  std::vector<const v1::ProductionLine*> lines;
};

// RuleContext is what every evaluator may read besides the plant.
struct RuleContext {
  const v1::RuleSet* rules = nullptr;
  const v1::Season* season = nullptr;
  // The day the list is generated (YYYY-MM-DD): a fact dated later has not
  // happened as of the list.
  std::string as_of;
  // Measured CEMS transmission of the monitoring points (the snapshot's
  // cems_transmission); nullptr or empty: none.
  const std::vector<v1::CemsTransmission>* cems_transmission = nullptr;
};

// MissingFact is a registry fact a rule needed and did not find (or found
// dated after the list), which the bureau must complete.
struct MissingFact {
  std::string resource;
  std::string field;
  std::string what;  // Chinese, e.g. "炉窑发现日期"
};

// Exemption says how an exemption lifts the table's production limits.
enum class Exemption { kNone, kBenchmark, kVoluntary };

// RuleOutcome is what one rule decides about one enterprise.
struct RuleOutcome {
  // Measures for the whole enterprise (its entry and every equipment entry).
  std::vector<Contribution> enterprise;
  // Measures for single pieces of equipment, by equipment name.
  std::map<std::string, std::vector<Contribution>> equipment;
  // The rule was considered and not applied, with the fact that failed or
  // was missing: on the enterprise entry, or on an equipment's entry.
  std::vector<v1::Reason> refused;
  std::map<std::string, std::vector<v1::Reason>> equipment_refused;
  // Facts the bureau must complete.
  std::vector<MissingFact> missing;
  // The rule puts the enterprise on the list even without a restriction.
  bool lists = false;
  Exemption exemption = Exemption::kNone;
  v1::Reason exemption_reason;  // when exemption != kNone
  // SP5: livelihood guarantee with its load cap (percent of baseline).
  bool guaranteed = false;
  double cap_percent = -1;
};

// PlantDecision is every rule's outcome for one enterprise, merged in the
// rule set's order.
struct PlantDecision {
  std::vector<Contribution> enterprise;
  std::map<std::string, std::vector<Contribution>> equipment;
  std::vector<v1::Reason> refused;
  std::map<std::string, std::vector<v1::Reason>> equipment_refused;
  std::vector<MissingFact> missing;
  bool listed = false;
  Exemption exemption = Exemption::kNone;
  v1::Reason exemption_reason;
  bool guaranteed = false;
  double cap_percent = -1;  // -1: no livelihood cap

  // Merge adds one rule's outcome. The first exemption holds; a plant is
  // listed when a rule says so or any measure restricts it.
  void Merge(RuleOutcome outcome);
};

// Restricts says whether a measure cuts output or limits transport.
bool Restricts(const v1::Measure& m);
bool Restricts(const Levels& levels);

// Fact and reason constructors. An empty value reads "(missing)".
v1::Fact MakeFact(const std::string& resource, const std::string& field, const std::string& value);
v1::Reason MakeReason(const v1::RuleSpec& spec, const std::string& text,
                      std::vector<v1::Fact> facts = {});

// Equipment kinds as the seed speaks of them.
bool IsMeltingEquipment(const v1::Equipment& q);  // 铸造熔炼设备 (§26)
bool IsKiln(const v1::Equipment& q);              // 工业炉窑 incl. cupolas (T54, T57)
bool IsFuelled(const v1::Equipment& q);           // burns a fuel or uses a heat source
bool IsEmissionSource(const v1::Equipment& q);    // counted by the emission inventory

// The pollutants a source of this kind emits, which its annual figures must
// cover: combustion PM, SO2, NOx; electric melting PM; coating, printing and
// reactors VOCs; plus any pollutant whose concentration is recorded.
std::vector<v1::Pollutant> ExpectedPollutants(const v1::Equipment& q);

// AnnualKg is the equipment's annual emission of `p` in whole kilograms, or
// -1 when not recorded. Cut arithmetic is done on these integers.
long long AnnualKg(const v1::Equipment& q, v1::Pollutant p);

// Chinese name of a pollutant: 颗粒物, 二氧化硫, 氮氧化物, 挥发性有机物.
std::string PollutantName(v1::Pollutant p);
// Chinese name of an alert level: 黄色预警 ...
std::string LevelName(v1::AlertLevel level);

// Resource-name helpers: the enterprise above a name (first four
// segments), and the parent (drop "/collection/id").
std::string EnterpriseOf(const std::string& name);
std::string ParentOf(const std::string& name);

// NextDay is the day after YYYY-MM-DD (the input if it is not a date).
std::string NextDay(const std::string& date);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_DECISION_H_
