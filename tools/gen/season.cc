#include "tools/gen/season.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/auth/policy.h"
#include "lib/model/clock.h"
#include "lib/model/identifiers.h"
#include "lib/rules/measures.h"

namespace cuofeng {
namespace {

const absl::TimeZone& China() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

constexpr absl::Duration kInterval = absl::Minutes(15);

std::string Local(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, China()); }
// How a meter that writes UTC without saying so writes the same instant.
std::string Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, absl::UTCTimeZone());
}

absl::Time Midnight(absl::Time t) {
  const absl::CivilDay day = absl::ToCivilDay(t, China());
  return absl::FromCivil(day, China());
}

absl::Time WindowStart(const v1::Obligation& o) { return FromTimestamp(o.window_start()); }
absl::Time WindowEnd(const v1::Obligation& o) {
  return o.has_window_end() ? FromTimestamp(o.window_end()) : absl::InfiniteFuture();
}

// The share of its normal load the strictest obligation lets a meter draw in
// the interval starting at `t` (1: unrestricted).
double AllowedShare(const std::vector<const v1::Obligation*>& binding, absl::Time t) {
  double share = 1;
  for (const v1::Obligation* o : binding) {
    if (t < WindowStart(*o) || t >= WindowEnd(*o)) continue;
    switch (o->action()) {
      case v1::STOP:
      case v1::RECTIFY:
        share = 0;
        break;
      case v1::LIMIT:
      case v1::STOP_LINES:
        share = std::min(share, 1 - o->percent() / 100);
        break;
      case v1::CAP:
        share = std::min(share, o->percent() / 100);
        break;
      default:
        break;
    }
  }
  return share;
}

struct Plant {
  const v1::Meter* production = nullptr;
  const v1::Meter* treatment = nullptr;
  std::vector<const v1::Obligation*> binding;
  double base = 100, treatment_base = 30;
};

}  // namespace

absl::StatusOr<SeasonCounts> SimulateSeason(const SeasonSpec& spec, const SeasonInputs& in,
                                            const std::string& dir) {
  SeasonCounts counts;
  // Plants: a production meter, its treatment meter, what binds it.
  std::vector<Plant> plants;
  std::map<std::string, const v1::Meter*> treatment_by_equipment;
  for (const v1::Meter& m : in.meters) {
    if (m.role() == v1::TREATMENT && !m.equipment().empty())
      treatment_by_equipment[m.equipment()] = &m;
  }
  for (const v1::Meter& m : in.meters) {
    if (m.role() != v1::PRODUCTION) continue;
    Plant p;
    p.production = &m;
    const std::string target = !m.equipment().empty() ? m.equipment()
                               : !m.line().empty()    ? m.line()
                                                      : EnterpriseOf(m.name());
    auto t = treatment_by_equipment.find(m.equipment());
    if (!m.equipment().empty() && t != treatment_by_equipment.end()) p.treatment = t->second;
    for (const v1::Obligation& o : in.obligations) {
      if (IsWithin(target, o.resource())) p.binding.push_back(&o);
    }
    p.base = (m.has_rated_kw() && m.rated_kw() > 0 ? m.rated_kw() : 200) * 0.7;
    if (p.treatment != nullptr && p.treatment->has_rated_kw())
      p.treatment_base = p.treatment->rated_kw() * 0.7;
    plants.push_back(std::move(p));
  }
  std::sort(plants.begin(), plants.end(), [](const Plant& a, const Plant& b) {
    return a.production->name() < b.production->name();
  });

  // The first alert window.
  absl::Time alert_start = absl::InfiniteFuture(), alert_end;
  for (const v1::Obligation& o : in.obligations) {
    if (o.level() != v1::ALERT_LEVEL_UNSPECIFIED && WindowStart(o) < alert_start) {
      alert_start = WindowStart(o);
      alert_end = WindowEnd(o);
    }
  }
  if (alert_start == absl::InfiniteFuture()) {
    return absl::FailedPreconditionError(
        "no alert window in the range: issue an alert before simulating the season");
  }
  alert_end = std::min(alert_end, spec.to);
  const absl::Time season_day =
      Midnight(spec.season_start) +
      (spec.season_start == Midnight(spec.season_start) ? absl::ZeroDuration() : absl::Hours(24));
  auto day = [&](int n) { return season_day + absl::Hours(24) * n; };

  // Where to plant the meter violations: distinct plants, chosen in name order.
  std::set<const Plant*> used;
  auto pick = [&](const std::function<bool(const Plant&)>& ok) -> const Plant* {
    for (const Plant& p : plants) {
      if (!used.count(&p) && ok(p)) {
        used.insert(&p);
        return &p;
      }
    }
    return nullptr;
  };
  auto share_throughout = [](const Plant& p, absl::Time a, absl::Time b, double lo, double hi) {
    for (absl::Time t = a; t < b; t += kInterval) {
      const double s = AllowedShare(p.binding, t);
      if (s < lo || s > hi) return false;
    }
    return true;
  };
  const absl::Time before_alert = alert_start - kInterval;
  const Plant* stop_plant = pick([&](const Plant& p) {
    return share_throughout(p, alert_start, alert_end, 0, 0) &&
           AllowedShare(p.binding, before_alert) > 0;
  });
  // The longest stretch of the alert in which a plant must stop.
  auto stop_span = [&](const Plant& p) {
    std::pair<absl::Time, absl::Time> best{alert_start, alert_start};
    absl::Time run_start = absl::InfiniteFuture();
    for (absl::Time t = alert_start; t <= alert_end; t += kInterval) {
      const bool stopped = t < alert_end && AllowedShare(p.binding, t) == 0;
      if (stopped && run_start == absl::InfiniteFuture()) run_start = t;
      if (!stopped && run_start != absl::InfiniteFuture()) {
        if (t - run_start > best.second - best.first) best = {run_start, t};
        run_start = absl::InfiniteFuture();
      }
    }
    return best;
  };
  // Before the data gap, which would take one of the few plants stopping for the alert.
  const Plant* utc_plant = pick([&](const Plant& p) {
    auto [a, b] = stop_span(p);
    return b - a >= absl::Hours(12) && AllowedShare(p.binding, a - kInterval) > 0.3 &&
           AllowedShare(p.binding, b) > 0.3;
  });
  const Plant* gap_plant = pick([&](const Plant& p) {
    return share_throughout(p, alert_start, alert_end, 0, 0.99) &&
           AllowedShare(p.binding, before_alert) != AllowedShare(p.binding, alert_start);
  });
  const absl::Time limit_from = day(5), limit_to = day(8);
  const Plant* limit_plant = pick([&](const Plant& p) {
    return limit_to <= alert_start && share_throughout(p, limit_from, limit_to, 0.05, 0.9);
  });
  const absl::Time off_from = day(10) + absl::Hours(10), off_to = day(10) + absl::Hours(12);
  const Plant* off_plant = pick([&](const Plant& p) {
    return p.treatment != nullptr && (off_to <= alert_start || off_from >= alert_end) &&
           share_throughout(p, off_from - absl::Hours(1), off_to + absl::Hours(1), 0.5, 1);
  });
  // Issue 15's kinds: a flaky meter running through the stop, a silent
  // treatment meter, a register reset with its event (compliant: must find
  // nothing), a compliant plant whose meter writes UTC without an offset.
  // A flaky meter running through a stop outside the alert (a season stop
  // or rectification): eight hours at full load, every other reading dropped.
  const absl::Time flaky_from = day(8) + absl::Hours(8), flaky_to = day(8) + absl::Hours(16);
  const Plant* flaky_plant = pick([&](const Plant& p) {
    return (flaky_to <= alert_start || flaky_from >= alert_end) &&
           share_throughout(p, flaky_from - absl::Hours(2), flaky_to + absl::Hours(2), 0, 0);
  });
  const auto flaky_span = std::make_pair(flaky_from, flaky_to);
  const absl::Time silent_from = day(11) + absl::Hours(10), silent_to = day(11) + absl::Hours(13);
  const Plant* silent_plant = pick([&](const Plant& p) {
    return p.treatment != nullptr && (silent_to <= alert_start || silent_from >= alert_end) &&
           share_throughout(p, silent_from - absl::Hours(1), silent_to + absl::Hours(1), 0.5, 1);
  });
  const Plant* reset_plant = pick([&](const Plant& p) { return !p.binding.empty(); });
  const absl::Time reset_at = day(6) + absl::Hours(12);
  if (flaky_plant == nullptr || silent_plant == nullptr || utc_plant == nullptr ||
      reset_plant == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the district has no meter to plant ",
                     flaky_plant == nullptr    ? "a flaky meter running through a stop on day 8"
                     : silent_plant == nullptr ? "a silent treatment meter on day 11"
                     : utc_plant == nullptr ? "a compliant plant writing UTC under the alert's stop"
                                            : "a register reset",
                     " on; simulate a larger district or a longer range"));
  }
  if (stop_plant == nullptr || gap_plant == nullptr || limit_plant == nullptr ||
      off_plant == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the district has no meter to plant ",
                     stop_plant == nullptr    ? "a stop not kept under the alert"
                     : gap_plant == nullptr   ? "a data gap under the alert"
                     : limit_plant == nullptr ? "a broken limit in the season's first week"
                                              : "a treatment stop on day 10",
                     " on; simulate a larger district or a longer range"));
  }
  // The data gap: a quarter of the alert window's readings, from 12 hours in.
  const int64_t alert_slots = (alert_end - alert_start) / kInterval;
  const absl::Time gap_from = alert_start + absl::Hours(12);
  const absl::Time gap_to = gap_from + kInterval * (alert_slots / 4);
  counts.planted.push_back({v1::STOP_NOT_KEPT, stop_plant->production->name(), alert_start,
                            alert_end, "kept running at its normal load through the alert's stop"});
  counts.planted.push_back({v1::DATA_GAP, gap_plant->production->name(), alert_start, alert_end,
                            absl::StrCat("sent no readings from ", Local(gap_from), " to ",
                                         Local(gap_to), " (75% of the alert window)")});
  counts.planted.push_back({v1::LIMIT_EXCEEDED, limit_plant->production->name(), limit_from,
                            limit_to, "ran at its normal load for three days under a limit"});
  counts.planted.push_back({v1::TREATMENT_OFF, off_plant->treatment->name(), off_from, off_to,
                            "treatment switched off for two hours while production ran"});
  counts.planted.push_back(
      {v1::STOP_NOT_KEPT, flaky_plant->production->name(), flaky_span.first, flaky_span.second,
       "ran eight hours through its stop while its meter dropped every other reading"});
  counts.planted.push_back({v1::TREATMENT_SILENT, silent_plant->treatment->name(), silent_from,
                            silent_to,
                            "treatment meter sent nothing for three hours while production ran"});
  counts.planted.push_back(
      {v1::SUSPECTED_CLOCK_OFFSET, utc_plant->production->name(), alert_start, alert_end,
       "a compliant plant whose meter writes UTC without an offset (must not be accused)"});
  counts.events.push_back({reset_plant->production->name(), reset_at, 0,
                           "表码清零: register reset to 0 after the meter's firmware update"});

  // Meter readings, 15-minute INTERVAL_KWH.
  {
    std::ofstream out(dir + "/readings.csv");
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", dir, "/readings.csv"));
    out << "meter,time,kind,value\n";
    std::string buf;
    // Every slot's time, written once (the same for every meter).
    std::vector<std::string> slot_text;
    std::vector<int> slot_hour;
    for (absl::Time t = spec.from + kInterval; t <= spec.to; t += kInterval) {
      slot_text.push_back(Local(t));
      slot_hour.push_back(absl::ToCivilHour(t - kInterval, China()).hour());
    }
    auto write_row = [&](const std::string& meter, const std::string& time, const char* kind,
                         double value) {
      absl::StrAppend(&buf, meter, ",", time, ",", kind, ",");
      char v[32];
      const int n = std::snprintf(v, sizeof(v), "%.3f\n", value);
      buf.append(v, n);
      ++counts.readings;
      if (buf.size() > (1 << 20)) {
        out << buf;
        buf.clear();
      }
    };
    auto write_slot = [&](const std::string& meter, size_t i, double kw) {
      write_row(meter, slot_text[i], "INTERVAL_KWH", kw / 4);
    };
    for (const Plant& p : plants) {
      std::mt19937_64 rng(spec.seed ^ std::hash<std::string>()(p.production->name()));
      std::uniform_real_distribution<double> noise(0.97, 1.03);
      double reg = 1405712.5;  // the reset plant's register (表码), kWh
      for (size_t i = 0; i < slot_text.size(); ++i) {
        const absl::Time start = spec.from + kInterval * static_cast<int64_t>(i);
        const double dayfactor = slot_hour[i] >= 8 && slot_hour[i] < 20 ? 1.0 : 0.9;
        double share = start < spec.season_start ? 1 : AllowedShare(p.binding, start);
        double kw;
        const bool in_alert = start >= alert_start && start < alert_end;
        const bool in_flaky = start >= flaky_span.first && start < flaky_span.second;
        if (&p == stop_plant && in_alert) share = 1;
        if (&p == flaky_plant && in_flaky) share = 1;
        if (&p == limit_plant && start >= limit_from && start < limit_to) share = 1;
        if (share <= 0) {
          kw = 0.05 * p.base;  // standby
        } else if (share < 1) {
          kw = share * 0.9 * p.base * dayfactor;  // 90 % of what the limit allows
        } else {
          kw = p.base * dayfactor;
        }
        kw *= noise(rng);
        bool missing = &p == gap_plant && start >= gap_from && start < gap_to;
        missing = missing || (&p == flaky_plant && in_flaky && i % 2 == 0);
        if (&p == reset_plant) {
          // A cumulative register, reset to 0 at reset_at (recorded as a meter event).
          reg += kw / 4;
          write_row(p.production->name(), slot_text[i], "CUMULATIVE_KWH", reg);
          if (start + kInterval == reset_at) reg = 0;
        } else if (&p == utc_plant) {
          // The whole plant's platform writes UTC: its treatment meter too.
          write_row(p.production->name(), Utc(start + kInterval), "INTERVAL_KWH", kw / 4);
        } else if (!missing) {
          write_slot(p.production->name(), i, kw);
        }
        if (p.treatment != nullptr) {
          // Treatment runs whenever production does (it is "on" well before production is).
          double tkw = kw > 0.1 * p.base ? p.treatment_base * 0.9 : 0.05 * p.treatment_base;
          if (&p == off_plant && start >= off_from && start < off_to) tkw = 0.02 * p.treatment_base;
          const bool silent = &p == silent_plant && start >= silent_from && start < silent_to;
          if (&p == utc_plant) {
            write_row(p.treatment->name(), Utc(start + kInterval), "INTERVAL_KWH",
                      tkw * noise(rng) / 4);
          } else if (!silent) {
            write_slot(p.treatment->name(), i, tkw * noise(rng));
          }
        }
      }
    }
    out << buf;
  }

  // Gates: a staff car every morning; each truck of the enterprise in and out
  // every day when the transport rule in force lets it; a ledger row for
  // every diesel truck passage.
  std::map<std::string, std::vector<const v1::Vehicle*>> trucks;  // by enterprise
  for (const v1::Vehicle& v : in.vehicles) {
    if (!v.enterprise().empty() && v.vehicle_class() == v1::HEAVY_GOODS)
      trucks[v.enterprise()].push_back(&v);
  }
  std::map<std::string, std::vector<const v1::WhitelistEntry*>> whitelist;  // by vehicle
  for (const v1::WhitelistEntry& w : in.whitelist) whitelist[w.vehicle()].push_back(&w);
  std::vector<const v1::Camera*> cameras;
  for (const v1::Camera& c : in.cameras) {
    if (trucks.count(EnterpriseOf(c.name()))) cameras.push_back(&c);
  }
  std::sort(cameras.begin(), cameras.end(),
            [](const v1::Camera* a, const v1::Camera* b) { return a->name() < b->name(); });
  auto rule_at = [&](const std::string& enterprise, absl::Time t) {
    v1::TransportRule rule = v1::NO_TRANSPORT_RULE;
    for (const v1::Obligation& o : in.obligations) {
      if (o.enterprise() == enterprise && t >= WindowStart(o) && t < WindowEnd(o) &&
          TransportRank(o.transport()) > TransportRank(rule)) {
        rule = o.transport();
      }
    }
    return rule;
  };
  auto allowed = [&](const v1::Vehicle& v, const std::string& enterprise, absl::Time t) {
    const std::string today = absl::FormatTime("%Y-%m-%d", t, China());
    switch (rule_at(enterprise, t)) {
      case v1::NO_ROAD_TRANSPORT:
        return false;
      case v1::NO_CHINA4_OR_OLDER_HEAVY_TRUCKS:
        return v.emission_stage() > v1::CHINA_4;
      case v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY: {
        if (v.emission_stage() < v1::CHINA_5) return false;
        for (const v1::WhitelistEntry* w : whitelist[v.name()]) {
          if (EnterpriseOf(w->name()) == enterprise && w->valid_from() <= today &&
              today <= w->valid_until())
            return true;
        }
        return false;
      }
      default:
        return true;
    }
  };
  // Gate plantings: a banned truck under the alert, a passage without its
  // ledger row, an unknown plate, a camera silent for two days.
  const v1::Camera *banned_camera = nullptr, *ledger_camera = nullptr, *unknown_camera = nullptr,
                   *silent_camera = nullptr;
  const v1::Vehicle* banned_truck = nullptr;
  const absl::Time banned_at = Midnight(alert_start) + absl::Hours(24 + 10) + absl::Minutes(5);
  for (const v1::Camera* c : cameras) {
    const std::string e = EnterpriseOf(c->name());
    if (banned_camera == nullptr && banned_at < alert_end &&
        rule_at(e, banned_at) == v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY) {
      for (const v1::Vehicle* v : trucks[e]) {
        if (v->emission_stage() <= v1::CHINA_4 && v->fuel() == v1::DIESEL) {
          banned_camera = c;
          banned_truck = v;
          break;
        }
      }
      if (banned_camera != nullptr) continue;
    }
    if (ledger_camera == nullptr) {
      for (const v1::Vehicle* v : trucks[e]) {
        if (v->fuel() == v1::DIESEL) ledger_camera = c;
      }
      if (ledger_camera != nullptr) continue;
    }
    if (unknown_camera == nullptr) {
      unknown_camera = c;
    } else if (silent_camera == nullptr) {
      silent_camera = c;
    }
  }
  if (banned_camera == nullptr || ledger_camera == nullptr || unknown_camera == nullptr ||
      silent_camera == nullptr) {
    return absl::FailedPreconditionError(
        "the district has too few bulk-transport enterprises with cameras and China IV trucks "
        "under an orange or "
        "red ban to plant the gate violations; simulate a larger district");
  }
  const absl::Time ledger_day = day(3), unknown_at = day(4) + absl::Hours(9) + absl::Minutes(30);
  const absl::Time camera_silent_from = day(12), camera_silent_to = day(14);
  {
    std::ofstream gate(dir + "/gate.csv"), ledger(dir + "/ledger.csv");
    if (!gate || !ledger) return absl::InternalError(absl::StrCat("cannot write into ", dir));
    gate << "camera,time,plate,direction,vehicle_class,photo,cargo,tonnage\n";
    ledger << "enterprise,plate,time,direction,vin,engine_number,emission_stage,registration_date,"
              "cargo,tonnage,fleet\n";
    int photo = 0;
    auto pass = [&](const v1::Camera& c, absl::Time t, const std::string& plate,
                    v1::GateDirection d, v1::VehicleClass cls, const v1::Vehicle* v,
                    bool with_ledger) {
      gate << c.name() << "," << Local(t) << "," << plate << "," << v1::GateDirection_Name(d) << ","
           << v1::VehicleClass_Name(cls) << ",photos/" << ++photo << ".jpg," << (v ? "原料" : "")
           << "," << (v ? "30" : "") << "\n";
      ++counts.gate_events;
      if (v != nullptr && with_ledger && v->fuel() == v1::DIESEL) {
        ledger << EnterpriseOf(c.name()) << "," << plate << "," << Local(t + absl::Minutes(2))
               << "," << v1::GateDirection_Name(d) << "," << v->vin() << "," << v->engine_number()
               << "," << v1::EmissionStage_Name(v->emission_stage()) << ","
               << v->registration_date() << ",原料,30," << v->fleet() << "\n";
        ++counts.ledger_rows;
      }
    };
    bool ledger_planted = false;
    for (size_t ci = 0; ci < cameras.size(); ++ci) {
      const v1::Camera& c = *cameras[ci];
      const std::string e = EnterpriseOf(c.name());
      for (absl::Time d = season_day; d < spec.to; d += absl::Hours(24)) {
        if (&c == silent_camera && d >= camera_silent_from && d < camera_silent_to) continue;
        pass(c, d + absl::Hours(7) + absl::Minutes(30), absl::StrFormat("津A%05d", 10000 + ci),
             v1::ENTRY, v1::PASSENGER, nullptr, false);
        const auto& fleet = trucks[e];
        for (size_t k = 0; k < fleet.size(); ++k) {
          const v1::Vehicle& v = *fleet[k];
          const absl::Time in_at = d + absl::Hours(9) + absl::Minutes(50 * static_cast<int>(k));
          const absl::Time out_at = in_at + absl::Hours(2);
          if (in_at >= spec.to || !allowed(v, e, in_at) || !allowed(v, e, out_at)) continue;
          bool with_ledger = true;
          if (&c == ledger_camera && d == ledger_day && !ledger_planted && v.fuel() == v1::DIESEL) {
            with_ledger = false;
            ledger_planted = true;
            counts.planted.push_back({v1::LEDGER_ROW_MISSING, c.name(), in_at, in_at,
                                      absl::StrCat(v.plate(), " entered with no ledger row")});
          }
          pass(c, in_at, v.plate(), v1::ENTRY, v1::HEAVY_GOODS, &v, with_ledger);
          pass(c, out_at, v.plate(), v1::EXIT, v1::HEAVY_GOODS, &v, true);
        }
        if (&c == banned_camera && d == Midnight(banned_at)) {
          pass(c, banned_at, banned_truck->plate(), v1::ENTRY, v1::HEAVY_GOODS, banned_truck, true);
          counts.planted.push_back(
              {v1::BANNED_TRUCK, c.name(), banned_at, banned_at,
               absl::StrCat(banned_truck->plate(), " (",
                            v1::EmissionStage_Name(banned_truck->emission_stage()),
                            ") entered under the alert's T79 ban")});
        }
        if (&c == unknown_camera && d == Midnight(unknown_at)) {
          pass(c, unknown_at, "津X99999", v1::ENTRY, v1::HEAVY_GOODS, nullptr, false);
          counts.planted.push_back({v1::UNKNOWN_PLATE, c.name(), unknown_at, unknown_at,
                                    "a heavy truck with a plate not in the registry"});
        }
      }
    }
    if (!ledger_planted)
      return absl::FailedPreconditionError("no diesel truck passage to leave out of the ledger");
    counts.planted.push_back({v1::CAMERA_SILENT, silent_camera->name(), camera_silent_from,
                              camera_silent_to, "recorded nothing for two days"});
  }
  {
    std::ofstream events(dir + "/meter_events.csv");
    events << "meter,time,kind,new_register,reason\n";
    for (const SeasonMeterEvent& e : counts.events) {
      events << e.meter << "," << Local(e.time) << ",REGISTER_RESET," << e.new_register << ","
             << e.reason << "\n";
    }
  }
  {
    std::ofstream truth(dir + "/truth.csv");
    truth << "type,scope,start,end,what\n";
    for (const PlantedViolation& p : counts.planted) {
      truth << v1::FindingType_Name(p.type) << "," << p.scope << "," << Local(p.start) << ","
            << Local(p.end) << "," << p.what << "\n";
    }
  }
  return counts;
}

absl::StatusOr<std::vector<PlantedViolation>> ReadTruth(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::vector<PlantedViolation> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (++n == 1 || line.empty()) continue;
    std::vector<std::string> cells = absl::StrSplit(line, absl::MaxSplits(',', 4));
    PlantedViolation p;
    std::string err;
    if (cells.size() < 4 || !v1::FindingType_Parse(cells[0], &p.type) ||
        !absl::ParseTime("%Y-%m-%d %H:%M:%S", cells[2], China(), &p.start, &err) ||
        !absl::ParseTime("%Y-%m-%d %H:%M:%S", cells[3], China(), &p.end, &err)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": not a truth row"));
    }
    p.scope = cells[1];
    if (cells.size() > 4) p.what = cells[4];
    out.push_back(std::move(p));
  }
  return out;
}

Score ScoreFindings(const std::vector<PlantedViolation>& truth,
                    const std::vector<v1::Finding>& findings) {
  Score score;
  std::vector<bool> explained(findings.size(), false);
  for (const PlantedViolation& p : truth) {
    bool found = false;
    for (size_t i = 0; i < findings.size(); ++i) {
      const v1::Finding& f = findings[i];
      if (f.type() != p.type || f.scope() != p.scope) continue;
      if (FromTimestamp(f.window_start()) <= p.end && p.start <= FromTimestamp(f.window_end())) {
        found = true;
        explained[i] = true;
      }
    }
    (found ? score.found : score.missed).push_back(p);
  }
  for (size_t i = 0; i < findings.size(); ++i) {
    if (!explained[i]) score.false_alarms.push_back(findings[i]);
  }
  return score;
}

}  // namespace cuofeng
