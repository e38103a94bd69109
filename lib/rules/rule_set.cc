#include "lib/rules/rule_set.h"

#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "lib/hash/sha256.h"
#include "lib/model/identifiers.h"
#include "lib/status/errors.h"

namespace cuofeng {
namespace {

using google::protobuf::TextFormat;

class Collector : public google::protobuf::io::ErrorCollector {
 public:
  explicit Collector(std::vector<FieldViolation>* out) : out_(out) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    out_->push_back(
        {"text", absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message)});
  }

 private:
  std::vector<FieldViolation>* out_;
};

// Checks one parsed document, citing where each field was written.
// The first known line: a field's own, else its parent's.
int Or(int line, int fallback) { return line > 0 ? line : fallback; }

class Checker {
 public:
  Checker(const v1::RuleSet& rs, const TextFormat::ParseInfoTree* tree) : rs_(rs), tree_(tree) {}

  std::vector<FieldViolation> Run();

 private:
  // Line of `field` (index -1 for a singular field) under `tree`, 1-based.
  int Line(const TextFormat::ParseInfoTree* tree, const google::protobuf::Message& m,
           const char* field, int index = -1) {
    if (tree == nullptr) return 0;
    const auto* f = m.GetDescriptor()->FindFieldByName(field);
    return f == nullptr ? 0 : tree->GetLocation(f, index).line + 1;
  }
  const TextFormat::ParseInfoTree* Nested(const TextFormat::ParseInfoTree* tree,
                                          const google::protobuf::Message& m, const char* field,
                                          int index = -1) {
    if (tree == nullptr) return nullptr;
    return tree->GetTreeForNested(m.GetDescriptor()->FindFieldByName(field), index);
  }
  void Add(const std::string& path, int line, const std::string& what) {
    out_.push_back({path, line > 0 ? absl::StrCat("line ", line, ": ", what) : what});
  }
  void CheckMeasure(const v1::Measure& m, const std::string& path,
                    const TextFormat::ParseInfoTree* tree, int line);
  void CheckCodePrefix(const std::string& prefix, const std::string& path, int line);
  void CheckRules();
  void CheckDate(const std::string& date, const std::string& path, int line) {
    if (date.empty()) return;
    absl::Status ok = ValidateDate(date);
    if (!ok.ok()) Add(path, line, std::string(ok.message()));
  }

  const v1::RuleSet& rs_;
  const TextFormat::ParseInfoTree* tree_;
  std::vector<FieldViolation> out_;
};

void Checker::CheckMeasure(const v1::Measure& m, const std::string& path,
                           const TextFormat::ParseInfoTree* tree, int line) {
  if (m.action() == v1::ACTION_UNSPECIFIED) {
    Add(path + ".action", Or(Line(tree, m, "action"), line),
        "required: RUN, VOLUNTARY, LIMIT, STOP_LINES, CAP, STOP or RECTIFY");
  }
  int pline = Or(Line(tree, m, "percent"), line);
  if (m.percent() < 0 || m.percent() > 100) {
    Add(path + ".percent", pline, absl::StrCat("percent ", m.percent(), " is outside 0-100"));
  } else if ((m.action() == v1::LIMIT || m.action() == v1::STOP_LINES || m.action() == v1::CAP) &&
             m.percent() <= 0) {
    Add(path + ".percent", pline,
        absl::StrCat(v1::Action_Name(m.action()), " needs a percent above 0"));
  }
}

// Industry codes are stored canonical (section letter and digits, C3031),
// so a prefix must be written the same way to match anything.
void Checker::CheckCodePrefix(const std::string& prefix, const std::string& path, int line) {
  absl::Status ok = ValidateIndustryCode(prefix);
  if (!ok.ok()) {
    Add(path, line, std::string(ok.message()));
    return;
  }
  auto canonical = CanonicalIndustryCode(prefix);
  if (!canonical.ok()) {
    Add(path, line, std::string(canonical.status().message()));
  } else if (*canonical != prefix) {
    Add(path, line,
        absl::StrCat("write the code with its section letter, as the registry stores it: \"",
                     *canonical, "\""));
  }
}

void Checker::CheckRules() {
  if (rs_.rules_size() == 0) {
    Add("rules", 0, "required: the rules in the seed's order (id, kind, seed_clause)");
  }
  std::map<int, int> kinds;
  for (int i = 0; i < rs_.rules_size(); ++i) {
    const v1::RuleSpec& r = rs_.rules(i);
    const std::string path = absl::StrCat("rules[", i, "]");
    const auto* rt = Nested(tree_, rs_, "rules", i);
    const int line = Line(tree_, rs_, "rules", i);
    if (r.id().empty()) Add(path + ".id", line, "required: the rule id entries cite (e.g. SP4)");
    if (r.kind() == v1::RULE_KIND_UNSPECIFIED) {
      Add(path + ".kind", line, "required: which evaluator the rule runs");
    } else if (!kinds.emplace(r.kind(), i).second) {
      Add(path + ".kind", Or(Line(rt, r, "kind"), line),
          absl::StrCat(v1::RuleKind_Name(r.kind()), " is already rules[", kinds[r.kind()], "]"));
    }
    for (int p = 0; p < r.industry_code_prefixes_size(); ++p) {
      CheckCodePrefix(r.industry_code_prefixes(p),
                      absl::StrCat(path, ".industry_code_prefixes[", p, "]"),
                      Or(Line(rt, r, "industry_code_prefixes", p), line));
    }
    if (r.kind() == v1::BENCHMARK_CLEAN_ENERGY && rs_.thresholds().clean_energy_fuels_size() == 0) {
      Add("thresholds.clean_energy_fuels", line,
          absl::StrCat(path,
                       " (BENCHMARK_CLEAN_ENERGY) needs the clean fuels, e.g. "
                       "[NATURAL_GAS, ELECTRICITY]"));
    }
  }
  bool stop_lines = false;
  for (const v1::MeasureTable& mt : rs_.measure_tables()) {
    for (const v1::Measure* m : {&mt.season(), &mt.yellow(), &mt.orange(), &mt.red()}) {
      stop_lines = stop_lines || m->action() == v1::STOP_LINES;
    }
  }
  if (stop_lines && kinds.count(v1::STOP_COUNTED_BY_LINE) == 0) {
    Add("rules", Line(tree_, rs_, "rules", 0),
        "a measure table uses STOP_LINES: add a rule of kind STOP_COUNTED_BY_LINE");
  }
}

std::vector<FieldViolation> Checker::Run() {
  for (int i = 0; i < rs_.focus_industries_size(); ++i) {
    if (rs_.focus_industries(i) == v1::INDUSTRY_CATEGORY_UNSPECIFIED) {
      Add(absl::StrCat("focus_industries[", i, "]"), Line(tree_, rs_, "focus_industries", i),
          "unspecified industry");
    }
  }
  const v1::Thresholds& t = rs_.thresholds();
  const auto* tt = Nested(tree_, rs_, "thresholds");
  const int tline = Line(tree_, rs_, "thresholds");
  if (!rs_.has_thresholds()) Add("thresholds", 0, "required");
  auto positive = [&](double v, const char* field) {
    if (!(v > 0))
      Add(absl::StrCat("thresholds.", field), Or(Line(tt, t, field), tline), "required, above 0");
  };
  positive(t.benchmark_pm_mg_m3(), "benchmark_pm_mg_m3");
  positive(t.benchmark_so2_mg_m3(), "benchmark_so2_mg_m3");
  positive(t.high_stack_m(), "high_stack_m");
  if (!(t.cems_min_transmission_percent() > 0 && t.cems_min_transmission_percent() <= 100)) {
    Add("thresholds.cems_min_transmission_percent",
        Or(Line(tt, t, "cems_min_transmission_percent"), tline),
        "required, a percentage in (0, 100]");
  }
  CheckDate(t.kiln_list_cutoff_date(), "thresholds.kiln_list_cutoff_date",
            Line(tt, t, "kiln_list_cutoff_date"));
  CheckDate(t.voc_treatment_deadline(), "thresholds.voc_treatment_deadline",
            Line(tt, t, "voc_treatment_deadline"));
  CheckDate(t.biomass_ban_date(), "thresholds.biomass_ban_date", Line(tt, t, "biomass_ban_date"));
  CheckDate(t.small_coal_boiler_deadline(), "thresholds.small_coal_boiler_deadline",
            Line(tt, t, "small_coal_boiler_deadline"));
  for (int i = 0; i < t.biomass_ban_townships_size(); ++i) {
    if (t.biomass_ban_townships(i).empty()) {
      Add(absl::StrCat("thresholds.biomass_ban_townships[", i, "]"),
          Or(Line(tt, t, "biomass_ban_townships", i), tline),
          "empty: name the township as registered (渔阳镇) or by its id");
    }
  }

  const auto* rm = Nested(tree_, rs_, "rule_measures");
  const int rmline = Line(tree_, rs_, "rule_measures");
  if (!rs_.has_rule_measures())
    Add("rule_measures", 0, "required: rectify, restricted_class, unlisted_kiln");
  for (const char* f : {"rectify", "restricted_class", "unlisted_kiln"}) {
    const auto* fd = rs_.rule_measures().GetDescriptor()->FindFieldByName(f);
    const auto& m = static_cast<const v1::Measure&>(
        rs_.rule_measures().GetReflection()->GetMessage(rs_.rule_measures(), fd));
    CheckMeasure(m, absl::StrCat("rule_measures.", f), Nested(rm, rs_.rule_measures(), f),
                 Or(Line(rm, rs_.rule_measures(), f), rmline));
  }

  std::set<std::string> ids;
  std::map<std::tuple<int, std::string, int, bool>, int> seen;
  for (int i = 0; i < rs_.measure_tables_size(); ++i) {
    const v1::MeasureTable& mt = rs_.measure_tables(i);
    const std::string path = absl::StrCat("measure_tables[", i, "]");
    const auto* mtt = Nested(tree_, rs_, "measure_tables", i);
    const int line = Line(tree_, rs_, "measure_tables", i);
    if (mt.id().empty()) Add(path + ".id", line, "required");
    if (!ids.insert(mt.id()).second)
      Add(path + ".id", Or(Line(mtt, mt, "id"), line),
          absl::StrCat("id \"", mt.id(), "\" used twice"));
    if (mt.industry() == v1::INDUSTRY_CATEGORY_UNSPECIFIED && !mt.fallback()) {
      Add(path + ".industry", line, "required (or fallback: true for every other industry)");
    }
    if (mt.grade() == v1::PERFORMANCE_GRADE_UNSPECIFIED) {
      Add(path + ".grade", line,
          "required: GRADE_A, GRADE_LEADING, GRADE_B, GRADE_C, GRADE_D, GRADE_LIVELIHOOD or "
          "UNGRADED");
    }
    for (int p = 0; p < mt.industry_code_prefixes_size(); ++p) {
      CheckCodePrefix(mt.industry_code_prefixes(p),
                      absl::StrCat(path, ".industry_code_prefixes[", p, "]"),
                      Or(Line(mtt, mt, "industry_code_prefixes", p), line));
    }
    auto key = std::make_tuple(static_cast<int>(mt.industry()),
                               absl::StrJoin(mt.industry_code_prefixes(), ","),
                               static_cast<int>(mt.grade()), mt.fallback());
    auto [it, fresh] = seen.emplace(key, i);
    if (!fresh) {
      Add(path, line,
          absl::StrCat("overlaps measure_tables[", it->second,
                       "] (same industry, codes and grade)"));
    }
    for (const char* level : {"season", "yellow", "orange", "red"}) {
      const auto* fd = mt.GetDescriptor()->FindFieldByName(level);
      if (!mt.GetReflection()->HasField(mt, fd)) {
        Add(absl::StrCat(path, ".", level), line, "required: the measure at this level");
        continue;
      }
      CheckMeasure(static_cast<const v1::Measure&>(mt.GetReflection()->GetMessage(mt, fd)),
                   absl::StrCat(path, ".", level), Nested(mtt, mt, level),
                   Or(Line(mtt, mt, level), line));
    }
  }

  std::map<std::pair<int, int>, int> targets;
  for (int i = 0; i < rs_.targets_size(); ++i) {
    const v1::ReductionTarget& tg = rs_.targets(i);
    const std::string path = absl::StrCat("targets[", i, "]");
    const int line = Line(tree_, rs_, "targets", i);
    if (tg.level() == v1::ALERT_LEVEL_UNSPECIFIED)
      Add(path + ".level", line, "required: YELLOW, ORANGE or RED");
    if (tg.pollutant() == v1::POLLUTANT_UNSPECIFIED)
      Add(path + ".pollutant", line, "required: PM, SO2, NOX or VOCS");
    if (tg.percent() <= 0 || tg.percent() > 100) {
      Add(path + ".percent", line, absl::StrCat("percent ", tg.percent(), " is outside (0, 100]"));
    }
    if (!targets.emplace(std::make_pair(tg.level(), tg.pollutant()), i).second) {
      Add(path, line, "a second target for the same level and pollutant");
    }
  }
  for (v1::AlertLevel level : {v1::YELLOW, v1::ORANGE, v1::RED}) {
    for (v1::Pollutant p : {v1::PM, v1::SO2, v1::NOX, v1::VOCS}) {
      if (targets.count({level, p}) == 0) {
        Add("targets", Line(tree_, rs_, "targets", 0),
            absl::StrCat(v1::AlertLevel_Name(level), " has no target for ", v1::Pollutant_Name(p)));
      }
    }
  }
  for (int i = 0; i < rs_.escalation_order_size(); ++i) {
    if (rs_.escalation_order(i) == v1::ESCALATION_STEP_UNSPECIFIED) {
      Add(absl::StrCat("escalation_order[", i, "]"), Line(tree_, rs_, "escalation_order", i),
          "unspecified step");
    }
  }
  CheckRules();
  const v1::SeasonDefaults& s = rs_.season();
  const auto* st = Nested(tree_, rs_, "season");
  const int sline = Line(tree_, rs_, "season");
  CheckDate(s.start(), "season.start", Or(Line(st, s, "start"), sline));
  CheckDate(s.end(), "season.end", Or(Line(st, s, "end"), sline));
  CheckDate(s.filing_deadline(), "season.filing_deadline",
            Or(Line(st, s, "filing_deadline"), sline));
  if (!s.start().empty() && !s.end().empty() && s.end() <= s.start()) {
    Add("season.end", Or(Line(st, s, "end"), sline),
        absl::StrCat("the season ends (", s.end(), ") before it starts (", s.start(), ")"));
  }
  if (!s.filing_deadline().empty() && !s.end().empty() && s.filing_deadline() > s.end()) {
    Add("season.filing_deadline", Or(Line(st, s, "filing_deadline"), sline),
        "the filing deadline falls after the season ends");
  }
  return std::move(out_);
}

}  // namespace

absl::StatusOr<v1::RuleSet> ParseRuleSet(const std::string& text) {
  v1::RuleSet rs;
  std::vector<FieldViolation> violations;
  Collector collector(&violations);
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  TextFormat::ParseInfoTree tree;
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(text, &rs)) {
    if (violations.empty())
      violations.push_back({"text", "not a rule set in protobuf text format"});
    return InvalidArgumentWithViolations(std::move(violations));
  }
  violations = Checker(rs, &tree).Run();
  if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
  rs.clear_name();
  rs.clear_revision();
  rs.clear_sha256();
  rs.clear_create_time();
  return rs;
}

std::string RuleSetSha256(const v1::RuleSet& rule_set) {
  v1::RuleSet canonical = rule_set;
  canonical.clear_name();
  canonical.clear_revision();
  canonical.clear_sha256();
  canonical.clear_create_time();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    canonical.SerializeToCodedStream(&out);
  }
  return Sha256Hex(bytes);
}

}  // namespace cuofeng
