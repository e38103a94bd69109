// Production ledger days in (生产台账, issue 21): Ingestor::ProductionDays.
// Each row names a registry production ledger (its definition gives the
// units); rows are stored once per (ledger, day) in production.ledger_day.
// Every row is counted: accepted, duplicate (the same values already stored
// or earlier in the stream) or rejected with its field and a reason in
// Chinese naming it.
#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "lib/auth/policy.h"
#include "lib/db/sql_text.h"
#include "lib/model/clock.h"
#include "lib/model/identifiers.h"
#include "lib/status/errors.h"
#include "lib/status/status_macros.h"
#include "lib/text/text.h"
#include "lib/verification/verification.h"
#include "services/compliance/ingest.h"

namespace cuofeng {
namespace {

// What a ledger's definition says, as the registry keeps it.
struct LedgerDefinition {
  std::string district_id, enterprise, output_unit, fuel, fuel_unit, raw_material,
      raw_material_unit;
};

// The text rules of every text field of a row ("" when all are fine).
std::string RowTextProblem(const v1::ProductionDay& row, std::string* field) {
  using google::protobuf::FieldDescriptor;
  const auto* d = row.GetDescriptor();
  const auto* r = row.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_STRING || f->is_repeated()) continue;
    std::string scratch;
    const std::string& value = r->GetStringReference(row, f, &scratch);
    std::string problem = TextProblem(value, RuleForField(f->name()));
    if (!problem.empty()) {
      *field = f->name() == "parse_error" ? "" : f->name();
      return absl::StrCat(f->name(), ": ", problem);
    }
  }
  return "";
}

std::string Trimmed(const std::string& s) { return std::string(absl::StripAsciiWhitespace(s)); }

// The stored values of a day, for telling a duplicate from a conflict.
using DayValues = std::tuple<double, double, double>;

std::string ValuesText(const DayValues& v, const LedgerDefinition& def) {
  std::string out = absl::StrCat("产量 ", FormatNumber(std::get<0>(v)), " ", def.output_unit);
  if (!def.fuel.empty() || std::get<1>(v) > 0) {
    absl::StrAppend(&out, "，燃料 ", FormatNumber(std::get<1>(v)), " ", def.fuel_unit);
  }
  if (!def.raw_material.empty() || std::get<2>(v) > 0) {
    absl::StrAppend(&out, "，原料 ", FormatNumber(std::get<2>(v)), " ", def.raw_material_unit);
  }
  return out;
}

}  // namespace

absl::Status Ingestor::ProductionDays(const v1::IngestProductionDaysRequest& batch,
                                      const Principal& caller, const RemoteCall& call,
                                      IngestTally* tally) {
  {
    std::vector<FieldViolation> v;
    CheckText("source", batch.source(), TextRule{}, &v);
    if (!v.empty()) return InvalidArgumentWithViolations(std::move(v));
  }
  const std::string& src = batch.source();
  struct Rejection {
    int64_t line;
    std::string field, reason;
  };
  std::vector<Rejection> rejected;
  // The definitions this batch names, read once.
  std::map<std::string, LedgerDefinition> definitions;
  {
    std::vector<std::string> names;
    for (const v1::ProductionDay& d : batch.days()) {
      if (!d.ledger().empty() && d.parse_error().empty() && definitions.count(d.ledger()) == 0 &&
          TextProblem(d.ledger(), TextRule{}).empty()) {
        definitions[d.ledger()];
        names.push_back(d.ledger());
      }
    }
    definitions.clear();
    // Through RegistryService, as the caller (the registry's tables are
    // the registry's): a ledger it has not, or the caller may not read, is
    // left out and its rows are rejected below, naming it.
    for (const std::string& name : names) {
      absl::StatusOr<v1::ProductionLedger> l = directory_->ProductionLedger(name, call);
      if (absl::IsNotFound(l.status())) continue;
      RETURN_IF_ERROR(l.status());
      LedgerDefinition& def = definitions[name];
      const std::vector<std::string> parts = absl::StrSplit(name, '/');
      def.district_id = parts.size() > 1 ? parts[1] : "";
      def.enterprise = name.substr(0, name.find("/productionLedgers/"));
      def.output_unit = l->output_unit();
      def.fuel = l->fuel();
      def.fuel_unit = l->fuel_unit();
      def.raw_material = l->raw_material();
      def.raw_material_unit = l->raw_material_unit();
    }
  }
  const absl::TimeZone china = absl::FixedTimeZone(8 * 3600);
  const std::string today = absl::FormatTime("%Y-%m-%d", Now(), china);
  struct Row {
    int index;
    const LedgerDefinition* def;
    std::string day;
    DayValues values;
  };
  std::vector<Row> rows;
  for (int i = 0; i < batch.days_size(); ++i) {
    const v1::ProductionDay& d = batch.days(i);
    auto reject = [&](const std::string& field, const std::string& reason) {
      rejected.push_back(
          {d.line(), field, absl::StrCat(field.empty() ? "" : field + ": ", reason)});
    };
    if (std::string field, problem = RowTextProblem(d, &field); !problem.empty()) {
      rejected.push_back({d.line(), field, problem});
      continue;
    }
    if (!d.parse_error().empty()) {
      const size_t colon = d.parse_error().find(':');
      rejected.push_back({d.line(),
                          colon == std::string::npos ? "" : d.parse_error().substr(0, colon),
                          d.parse_error()});
      continue;
    }
    if (d.ledger().empty()) {
      reject("ledger", "必填：生产台账（districts/{d}/enterprises/{e}/productionLedgers/{l}）");
      continue;
    }
    const std::vector<std::string> parts = absl::StrSplit(d.ledger(), '/');
    if (parts.size() != 6 || parts[0] != "districts" || parts[2] != "enterprises" ||
        parts[4] != "productionLedgers") {
      reject("ledger", absl::StrCat(Quote(d.ledger()),
                                    " 不是生产台账名称（districts/{d}/enterprises/{e}/"
                                    "productionLedgers/{l}）"));
      continue;
    }
    if (absl::Status a = Authorize(caller, "IngestProductionDays", d.ledger()).status(); !a.ok()) {
      reject("ledger", std::string(a.message()));
      continue;
    }
    auto def = definitions.find(d.ledger());
    if (def == definitions.end()) {
      reject("ledger", absl::StrCat("登记信息中没有生产台账 ", d.ledger()));
      continue;
    }
    const std::string day = Trimmed(d.day());
    if (day.empty()) {
      reject("day", "必填：日期（YYYY-MM-DD）");
      continue;
    }
    if (!ValidateDate(day).ok()) {
      reject("day", absl::StrCat(Quote(day), " 不是日期（YYYY-MM-DD）"));
      continue;
    }
    if (day > today) {
      reject("day", absl::StrCat(day, " 在服务器当前日期 ", today, " 之后"));
      continue;
    }
    if (day < "2000-01-01") {
      reject("day", absl::StrCat(day, " 早于 2000 年"));
      continue;
    }
    const LedgerDefinition& ld = def->second;
    struct Quantity {
      const char* field;
      const char* label;
      double value;
      const std::string& unit;
      const char* unit_field;
      const std::string& defined_unit;
      const std::string& defined;  // what the definition names ("" : nothing)
      const char* noun;
    };
    static const std::string kProduct = "产品";
    const Quantity quantities[] = {
        {"output", "产量", d.output(), d.output_unit(), "output_unit", ld.output_unit, kProduct,
         "产品"},
        {"fuel", "燃料消耗", d.fuel(), d.fuel_unit(), "fuel_unit", ld.fuel_unit, ld.fuel, "燃料"},
        {"raw_material", "原料消耗", d.raw_material(), d.raw_material_unit(), "raw_material_unit",
         ld.raw_material_unit, ld.raw_material, "原料"}};
    bool bad = false;
    for (const Quantity& q : quantities) {
      if (!std::isfinite(q.value) || q.value < 0) {
        reject(q.field, absl::StrCat(q.label, " ", q.value, " 须为不小于 0 的数"));
        bad = true;
        break;
      }
      if (q.value > 0 && q.defined.empty()) {
        reject(q.field, absl::StrCat(q.label, " ", FormatNumber(q.value), "：台账 ", d.ledger(),
                                     " 的定义未登记", q.noun));
        bad = true;
        break;
      }
      const std::string unit = Trimmed(q.unit);
      if (!unit.empty() && unit != q.defined_unit) {
        reject(q.unit_field, absl::StrCat("单位 ", Quote(unit), " 与台账定义的",
                                          q.field == std::string("output") ? "产量" : q.noun,
                                          "单位 ", Quote(q.defined_unit), " 不符"));
        bad = true;
        break;
      }
    }
    if (bad) continue;
    rows.push_back({i, &ld, day, DayValues{d.output(), d.fuel(), d.raw_material()}});
  }

  // Duplicates and conflicts: against what is stored and earlier rows.
  int64_t duplicates = 0, accepted = 0;
  std::map<std::pair<std::string, std::string>, std::pair<DayValues, int64_t>> seen;
  if (!rows.empty()) {
    std::vector<std::string> names, days;
    for (const Row& r : rows) {
      names.push_back(batch.days(r.index).ledger());
      days.push_back(r.day);
    }
    std::map<std::pair<std::string, std::string>, DayValues> stored;
    RETURN_IF_ERROR(InTransaction(
        *pool_,
        [&](pqxx::work& tx) {
          for (const auto& r : tx.exec_params(
                   "SELECT d.ledger, d.day::text, d.output, d.fuel, d.raw_material "
                   "FROM unnest($1::text[], $2::date[]) AS q(ledger, day) "
                   "JOIN production.ledger_day d ON d.ledger = q.ledger AND d.day = q.day",
                   TextArray(names), TextArray(days))) {
            stored[{r[0].as<std::string>(), r[1].as<std::string>()}] =
                DayValues{r[2].as<double>(), r[3].as<double>(), r[4].as<double>()};
          }
          return absl::OkStatus();
        },
        Isolation::kReadOnly));
    std::vector<const Row*> fresh;
    for (const Row& r : rows) {
      const v1::ProductionDay& d = batch.days(r.index);
      const auto key = std::make_pair(d.ledger(), r.day);
      auto s = stored.find(key);
      if (s != stored.end()) {
        if (s->second == r.values) {
          ++duplicates;
        } else {
          rejected.push_back(
              {d.line(), "output",
               absl::StrCat("output: ", d.ledger(), " 在 ", r.day, " 已存有不同的台账数据（",
                            ValuesText(s->second, *r.def), "）")});
        }
        continue;
      }
      auto e = seen.find(key);
      if (e != seen.end()) {
        if (e->second.first == r.values) {
          ++duplicates;
        } else {
          rejected.push_back(
              {d.line(), "output",
               absl::StrCat("output: 与第 ", e->second.second, " 行（",
                            ValuesText(e->second.first, *r.def), "）的同一台账同一日期数据不同")});
        }
        continue;
      }
      seen[key] = {r.values, d.line()};
      fresh.push_back(&r);
    }
    if (!fresh.empty()) {
      // The columns of the rows to store, as arrays.
      std::vector<std::string> ledgers, districts, enterprises, days, outputs, fuels, materials;
      std::vector<int64_t> lines;
      for (const Row* r : fresh) {
        ledgers.push_back(batch.days(r->index).ledger());
        districts.push_back(r->def->district_id);
        enterprises.push_back(r->def->enterprise);
        days.push_back(r->day);
        outputs.push_back(FormatNumber(std::get<0>(r->values)));
        fuels.push_back(FormatNumber(std::get<1>(r->values)));
        materials.push_back(FormatNumber(std::get<2>(r->values)));
        lines.push_back(batch.days(r->index).line());
      }
      int64_t inserted = 0;
      RETURN_IF_ERROR(InTransaction(*pool_, [&](pqxx::work& tx) {
        inserted =
            tx.exec_params0(
                  "INSERT INTO production.ledger_day (ledger, district_id, enterprise, day, "
                  "output, fuel, raw_material, source, source_line) "
                  "SELECT l, dist, ent, dy, o, f, rm, $9, sl FROM unnest($1::text[], $2::text[], "
                  "$3::text[], $4::date[], $5::float8[], $6::float8[], $7::float8[], $8::int8[]) "
                  "AS q(l, dist, ent, dy, o, f, rm, sl) ON CONFLICT (ledger, day) DO NOTHING",
                  TextArray(ledgers), TextArray(districts), TextArray(enterprises), TextArray(days),
                  TextArray(outputs), TextArray(fuels), TextArray(materials), IntArray(lines), src)
                .affected_rows();
        return absl::OkStatus();
      }));
      // A concurrent sender stored the rest first: they are duplicates.
      accepted = inserted;
      duplicates += static_cast<int64_t>(fresh.size()) - inserted;
    }
  }
  std::sort(rejected.begin(), rejected.end(),
            [](const Rejection& a, const Rejection& b) { return a.line < b.line; });
  for (const Rejection& r : rejected) tally->Reject(src, r.line, r.field, r.reason);
  tally->Accept(accepted);
  tally->Duplicate(duplicates);
  return absl::OkStatus();
}

}  // namespace cuofeng
