#include "tools/gen/production_ledgers.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/auth/policy.h"
#include "lib/model/clock.h"
#include "lib/model/identifiers.h"
#include "lib/rpc/status.h"
#include "lib/status/status_macros.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

const absl::TimeZone& China() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

bool IsStop(v1::Action a) { return a == v1::STOP || a == v1::RECTIFY; }

// The share of its normal output an obligation allows (1: unrestricted).
double ShareOf(const v1::Obligation& o) {
  switch (o.action()) {
    case v1::STOP:
    case v1::RECTIFY:
      return 0;
    case v1::LIMIT:
    case v1::STOP_LINES:
      return 1 - o.percent() / 100;
    case v1::CAP:
      return o.percent() / 100;
    default:
      return 1;
  }
}

bool Binds(const v1::Obligation& o, absl::Time t) {
  return t >= FromTimestamp(o.window_start()) &&
         (!o.has_window_end() || t < FromTimestamp(o.window_end()));
}

// Deterministic noise in [0, 1) from a text.
double Unit(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return static_cast<double>(h % 1000003) / 1000003.0;
}

double Round1(double v) { return std::round(v * 10) / 10; }

// A line with production meters and what binds all of it.
struct Line {
  std::string name, enterprise;
  std::vector<const v1::Obligation*> binding;
  double normal = 0;  // the true normal daily output (t)
  // Per simulated day: the mean share allowed, and whether one obligation
  // binds the whole day at one share (a stop: share 0).
  std::vector<double> mean;
  std::vector<const v1::Obligation*> whole;
};

std::string LineOf(const v1::Meter& m) {
  if (!m.line().empty()) return m.line();
  if (m.equipment().empty()) return "";
  std::vector<std::string> p = absl::StrSplit(m.equipment(), '/');
  if (p.size() < 6 || p[4] != "lines") return "";
  return absl::StrJoin(p.begin(), p.begin() + 6, "/");
}

}  // namespace

absl::StatusOr<LedgerSimulation> SimulateProductionLedgers(
    const SeasonSpec& spec, const SeasonInputs& in,
    const std::vector<PlantedViolation>& planted_so_far, const std::string& district,
    const std::shared_ptr<grpc::Channel>& channel, const std::string& key, const std::string& dir) {
  LedgerSimulation sim;
  const absl::Time day0 = absl::FromCivil(absl::ToCivilDay(spec.from, China()), China());
  int n_days = 0;
  while (day0 + absl::Hours(24) * (n_days + 1) <= spec.to) ++n_days;
  auto day = [&](int i) { return day0 + absl::Hours(24) * i; };
  auto day_text = [&](int i) { return absl::FormatTime("%Y-%m-%d", day(i), China()); };
  int first_season_day = 0;
  while (first_season_day < n_days && day(first_season_day) < spec.season_start) ++first_season_day;

  // The lines of production meters, in name order, with what binds them whole.
  std::map<std::string, Line> lines;
  for (const v1::Meter& m : in.meters) {
    if (m.role() != v1::PRODUCTION) continue;
    const std::string line = LineOf(m);
    if (line.empty() || lines.count(line)) continue;
    Line& l = lines[line];
    l.name = line;
    l.enterprise = EnterpriseOf(line);
    for (const v1::Obligation& o : in.obligations) {
      if (o.enterprise() == l.enterprise && IsWithin(line, o.resource())) l.binding.push_back(&o);
    }
    l.normal = Round1(100 + 900 * Unit(line));
    for (int i = 0; i < n_days; ++i) {
      double sum = 0, lo = 1, hi = 0;
      int samples = 0;
      for (absl::Time t = day(i); t < day(i + 1); t += absl::Minutes(15)) {
        double share = 1;
        for (const v1::Obligation* o : l.binding) {
          if (Binds(*o, t)) share = std::min(share, ShareOf(*o));
        }
        sum += share;
        lo = std::min(lo, share);
        hi = std::max(hi, share);
        ++samples;
      }
      l.mean.push_back(sum / samples);
      const v1::Obligation* whole = nullptr;
      if (lo == hi && lo < 0.95) {
        // One obligation at that share binds all of the day.
        for (const v1::Obligation* o : l.binding) {
          if (ShareOf(*o) == lo && Binds(*o, day(i)) &&
              (!o->has_window_end() || FromTimestamp(o->window_end()) >= day(i + 1))) {
            whole = o;
          }
        }
      }
      l.whole.push_back(whole);
    }
  }
  // Runs of whole days of a kind (stop under an alert, or a limit).
  auto runs = [&](const Line& l, bool stop, int min_length) {
    std::vector<int> starts;
    for (int i = first_season_day; i + min_length <= n_days; ++i) {
      bool ok = true;
      for (int k = 0; k < min_length && ok; ++k) {
        const v1::Obligation* o = l.whole[i + k];
        ok = o != nullptr && o == l.whole[i] &&
             (stop ? IsStop(o->action()) && !o->alert().empty()
                   : !IsStop(o->action()) && ShareOf(*o) > 0 && ShareOf(*o) <= 0.9);
      }
      if (ok) starts.push_back(i);
    }
    return starts;
  };

  // Enterprises with planted findings of other kinds are left alone, except
  // the plant that ran through the alert's stop.
  std::set<std::string> used;
  std::string stop_enterprise;
  for (const PlantedViolation& p : planted_so_far) {
    if (!p.scope.empty()) used.insert(EnterpriseOf(p.scope));
    if (p.type == v1::STOP_NOT_KEPT && stop_enterprise.empty() &&
        p.what.find("alert") != std::string::npos) {
      stop_enterprise = EnterpriseOf(p.scope);
    }
  }
  struct Chosen {
    const Line* line;
    std::string id;
    bool declared;
    int planted_day = -1, planted_days = 0;
    enum { kNone, kOutputInStop, kFuelInStop, kOverLimit } kind = kNone;
  };
  std::vector<Chosen> chosen;
  auto take = [&](const std::string& enterprise_only, bool stop, int length) -> const Line* {
    for (const auto& [name, l] : lines) {
      if (enterprise_only.empty() ? used.count(l.enterprise) > 0
                                  : l.enterprise != enterprise_only) {
        continue;
      }
      if (runs(l, stop, length).empty()) continue;
      used.insert(l.enterprise);
      return &l;
    }
    return nullptr;
  };
  // 1. Output on the alert's stop days: the plant that ran through it, if
  // the stop binds all of its line; else another plant stopped for it.
  const Line* output_line = stop_enterprise.empty() ? nullptr : take(stop_enterprise, true, 2);
  if (output_line == nullptr) output_line = take("", true, 2);
  const Line* fuel_line = take("", true, 1);
  const Line* limit_line = take("", false, 2);
  const Line* honest_line = take("", true, 1);
  const char* missing = output_line == nullptr  ? "a line stopped whole for two days of the alert"
                        : fuel_line == nullptr  ? "a second line stopped whole for the alert"
                        : limit_line == nullptr ? "a line limited whole (at most 90 %) for two days"
                        : honest_line == nullptr ? "a third line stopped whole for the alert"
                                                 : nullptr;
  if (missing != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the district has no place for a production ledger: ", missing,
        " (with a production meter, on an enterprise of its own); simulate a larger district"));
  }
  {
    Chosen c{output_line, "production-1", true};
    c.kind = Chosen::kOutputInStop;
    c.planted_day = runs(*output_line, true, 2).front();
    c.planted_days = 2;
    chosen.push_back(c);
    Chosen f{fuel_line, "production-2", true};
    f.kind = Chosen::kFuelInStop;
    f.planted_day = runs(*fuel_line, true, 1).back();
    f.planted_days = 1;
    chosen.push_back(f);
    Chosen m{limit_line, "production-3", true};
    m.kind = Chosen::kOverLimit;
    m.planted_day = runs(*limit_line, false, 2).front();
    m.planted_days = 2;
    chosen.push_back(m);
    chosen.push_back(Chosen{honest_line, "production-4", false});
  }

  // Register the ledgers (the bureau's key), then write their days.
  auto registry = v1::RegistryService::NewStub(channel);
  std::ofstream out(dir + "/production.csv");
  if (!out) return absl::InternalError(absl::StrCat("cannot write into ", dir));
  out << "生产台账,日期,产量,产量单位,燃料消耗,燃料单位,原料消耗,原料单位\n";
  for (const Chosen& c : chosen) {
    const Line& l = *c.line;
    const std::string name = absl::StrCat(l.enterprise, "/productionLedgers/", c.id);
    v1::CreateProductionLedgerRequest req;
    req.set_parent(l.enterprise);
    req.set_production_ledger_id(c.id);
    v1::ProductionLedger* p = req.mutable_production_ledger();
    p->set_display_name(absl::StrCat(l.name.substr(l.name.rfind('/') + 1), " 生产台账"));
    p->set_line(l.name);
    p->set_product("产品");
    p->set_output_unit("吨");
    // Declared as the plant reports it: its usual day, a little under the rated one.
    if (c.declared) p->set_normal_daily_output(Round1(l.normal * 0.95));
    p->set_fuel("燃煤");
    p->set_fuel_unit("吨");
    p->set_raw_material("原料");
    p->set_raw_material_unit("吨");
    grpc::ClientContext ctx;
    AddKey(&ctx, key);
    v1::ProductionLedger created;
    grpc::Status s = registry->CreateProductionLedger(&ctx, req, &created);
    if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS) return FromGrpcStatus(s);
    ++sim.ledgers;
    (void)district;
    for (int i = 0; i < n_days; ++i) {
      const std::string d = day_text(i);
      // Honest: the allowed share of normal, a little under it.
      double output = Round1(l.normal * l.mean[i] * (0.92 + 0.06 * Unit(name + d)));
      double fuel = Round1(output * 0.12), raw = Round1(output * 1.45);
      const bool planted =
          c.planted_day >= 0 && i >= c.planted_day && i < c.planted_day + c.planted_days;
      if (planted) {
        if (c.kind == Chosen::kFuelInStop) {
          output = 0;
          fuel = Round1(l.normal * 0.03);  // the kiln kept hot
          raw = 0;
        } else {
          output = Round1(l.normal * 0.96);  // as if nothing bound it
          fuel = Round1(output * 0.12);
          raw = Round1(output * 1.45);
        }
      }
      out << name << "," << d << ","
          << absl::StrFormat("%.1f,吨,%.1f,吨,%.1f,吨\n", output, fuel, raw);
      ++sim.days;
    }
    if (c.kind != Chosen::kNone) {
      const char* what = c.kind == Chosen::kOutputInStop
                             ? "production ledger: output on two whole days of the alert's stop"
                         : c.kind == Chosen::kFuelInStop
                             ? "production ledger: no output but coal burnt on a day of the "
                               "alert's stop"
                             : "production ledger: normal output on two whole days of a limit";
      sim.planted.push_back({v1::MATERIAL_BALANCE, name, day(c.planted_day),
                             day(c.planted_day + c.planted_days), what});
    }
  }
  return sim;
}

}  // namespace cuofeng
