// The rule evaluators: one per kind of rule (RuleKind), each the reading of
// one clause of the seed. An evaluator takes one enterprise's facts and
// returns its measures, the reasons for them, the rules it considered and
// refused with the fact at fault, and the facts that were missing. The
// rule set gives each evaluator its id, its clause and its place in the
// order; the engine composes them in that order. Pure.
#ifndef CUOFENG_LIB_RULES_EVALUATORS_H_
#define CUOFENG_LIB_RULES_EVALUATORS_H_

#include <memory>

#include "cuofeng/v1/planning.pb.h"
#include "lib/rules/decision.h"

namespace cuofeng {

// RuleEvaluator decides one rule for one enterprise at a time.
class RuleEvaluator {
 public:
  RuleEvaluator(const v1::RuleSpec& spec, const RuleContext& context)
      : spec_(spec), context_(context) {}
  virtual ~RuleEvaluator() = default;

  // Evaluate returns what this rule decides about `plant`.
  virtual RuleOutcome Evaluate(const PlantFacts& plant) const = 0;

 protected:
  const v1::RuleSpec& spec() const { return spec_; }
  const RuleContext& context() const { return context_; }
  const v1::Thresholds& thresholds() const { return context_.rules->thresholds(); }
  const v1::RuleMeasures& rule_measures() const { return context_.rules->rule_measures(); }
  const std::string& season_start() const { return context_.season->start(); }
  const std::string& season_end() const { return context_.season->end(); }
  // Reason cites this rule's id and clause.
  v1::Reason Reason(const std::string& text, std::vector<v1::Fact> facts = {}) const {
    return MakeReason(spec_, text, std::move(facts));
  }
  // Covers says whether the spec's industries and code prefixes (if any)
  // include the enterprise.
  bool Covers(const v1::Enterprise& e) const;
  // From is the date a measure starting on `date` takes effect in the
  // season: "" (the season start) when it starts on or before it.
  std::string From(const std::string& date) const;

 private:
  const v1::RuleSpec& spec_;
  const RuleContext& context_;
};

// MakeEvaluator returns the evaluator of `spec.kind()`, or nullptr for the
// kinds that act on the whole list rather than on one enterprise
// (STOP_COUNTED_BY_LINE, ESCALATION, DATA_COMPLETENESS). `spec` and
// `context` must outlive it.
std::unique_ptr<RuleEvaluator> MakeEvaluator(const v1::RuleSpec& spec, const RuleContext& context);

// FindMeasureTable returns the industry table of `e`: the longest matching
// code prefix of its industry, then the exact grade, then the fallback.
const v1::MeasureTable* FindMeasureTable(const v1::RuleSet& rules, const v1::Enterprise& e);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_EVALUATORS_H_
