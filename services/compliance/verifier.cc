#include "services/compliance/verifier.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/auth/policy.h"
#include "lib/model/clock.h"
#include "lib/model/identifiers.h"
#include "lib/rpc/status.h"
#include "services/compliance/ingest.h"

namespace cuofeng {
namespace {

const absl::TimeZone& China() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

absl::Time DayStart(const std::string& day) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", day, China(), &t, &err)) return absl::InfinitePast();
  return t;
}

// Call is the context of a nested call: the caller's key and deadline.
std::unique_ptr<grpc::ClientContext> Call(const std::string& authorization, absl::Time deadline) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!authorization.empty()) ctx->AddMetadata("authorization", authorization);
  if (deadline != absl::InfiniteFuture()) ctx->set_deadline(absl::ToChronoTime(deadline));
  return ctx;
}

struct MeterInfo {
  const v1::Meter* meter;
  std::string enterprise, target;
  int id = 0;  // 0: never sent a reading
};

// A period in which a filed list binds, within the run's range.
struct Period {
  const v1::FiledListInfo* list;
  absl::Time start, end;
};

}  // namespace

absl::StatusOr<std::vector<v1::DistrictSnapshotChunk>> Verifier::Snapshot(
    const std::string& district, const std::string& authorization, absl::Time deadline) {
  auto ctx = Call(authorization, deadline);
  v1::ReadDistrictSnapshotRequest req;
  req.set_district(district);
  auto reader = registry_->ReadDistrictSnapshot(ctx.get(), req);
  std::vector<v1::DistrictSnapshotChunk> chunks;
  v1::DistrictSnapshotChunk chunk;
  while (reader->Read(&chunk)) chunks.push_back(std::move(chunk));
  grpc::Status s = reader->Finish();
  if (!s.ok()) return FromGrpcStatus(s);
  return chunks;
}

absl::StatusOr<VerificationOutcome> Verifier::Run(const std::string& district, absl::Time from,
                                                  absl::Time to, const std::string& authorization,
                                                  absl::Time deadline) {
  const absl::Time started = absl::Now();
  VerificationOutcome out;
  out.district_id = district.substr(district.find('/') + 1);
  v1::VerificationRun& run = out.run;
  *run.mutable_from() = ToTimestamp(from);
  *run.mutable_to() = ToTimestamp(to);

  // What binds, and the thresholds of each filed list's rule set.
  v1::ListObligationWindowsRequest wreq;
  wreq.set_district(district);
  *wreq.mutable_from() = ToTimestamp(from);
  *wreq.mutable_to() = ToTimestamp(to);
  v1::ListObligationWindowsResponse windows;
  {
    auto ctx = Call(authorization, deadline);
    grpc::Status s = obligations_->ListObligationWindows(ctx.get(), wreq, &windows);
    if (!s.ok()) return FromGrpcStatus(s);
  }
  std::map<std::string, VerificationParams> params;  // by list
  std::map<std::string, const v1::FiledListInfo*> lists;
  std::vector<Period> periods;
  std::set<std::string> rule_sets;
  for (const v1::FiledListInfo& l : windows.lists()) {
    v1::GetRuleSetRequest rreq;
    rreq.set_name(l.rule_set());
    v1::RuleSet rules;
    auto ctx = Call(authorization, deadline);
    grpc::Status s = planning_->GetRuleSet(ctx.get(), rreq, &rules);
    if (!s.ok()) return FromGrpcStatus(s);
    params[l.list()] = ResolveParams(rules.verification());
    lists[l.list()] = &l;
    rule_sets.insert(l.rule_set());
    Period p{&l, std::max({from, FromTimestamp(l.in_force_from()), DayStart(l.season_start())}),
             std::min({to, l.has_in_force_until() ? FromTimestamp(l.in_force_until()) : absl::InfiniteFuture(),
                       DayStart(l.season_end()) + absl::Hours(24)})};
    if (p.start < p.end) periods.push_back(p);
    out.retention = params[l.list()];
    out.has_retention = true;
  }
  for (const std::string& r : rule_sets) absl::StrAppend(run.mutable_rule_set(), run.rule_set().empty() ? "" : ", ", r);

  // The registry as it is now.
  // Phase timings, for the server log.
  std::string phases;
  absl::Time mark = absl::Now();
  auto phase = [&](const char* name) {
    const absl::Time now = absl::Now();
    absl::StrAppend(&phases, phases.empty() ? "" : ", ", name, " ", absl::ToInt64Milliseconds(now - mark), " ms");
    mark = now;
  };
  phase("obligations and rule sets");
  auto chunks = Snapshot(district, authorization, deadline);
  if (!chunks.ok()) return chunks.status();
  std::vector<MeterInfo> meters;
  std::map<std::string, std::vector<size_t>> meters_by_enterprise;
  std::vector<const v1::Camera*> cameras;
  std::map<std::string, VehicleFacts> vehicles;  // by normalised plate
  std::map<std::string, std::string> plate_of;   // vehicle name -> plate
  for (const auto& c : *chunks) {
    for (const v1::Meter& m : c.meters()) {
      MeterInfo info{&m, EnterpriseOf(m.name()), "", 0};
      info.target = !m.equipment().empty() ? m.equipment() : !m.line().empty() ? m.line() : info.enterprise;
      meters_by_enterprise[info.enterprise].push_back(meters.size());
      meters.push_back(std::move(info));
    }
    for (const v1::Camera& cam : c.cameras()) cameras.push_back(&cam);
    for (const v1::Vehicle& v : c.vehicles()) {
      VehicleFacts& f = vehicles[NormalizePlate(v.plate())];
      f.name = v.name();
      f.stage = v.emission_stage();
      f.fuel = v.fuel();
      f.vehicle_class = v.vehicle_class();
      plate_of[v.name()] = NormalizePlate(v.plate());
    }
  }
  for (const auto& c : *chunks) {
    for (const v1::WhitelistEntry& w : c.whitelist_entries()) {
      auto p = plate_of.find(w.vehicle());
      if (p == plate_of.end()) continue;
      vehicles[p->second].whitelist.push_back({EnterpriseOf(w.name()), w.purpose(), w.valid_from(), w.valid_until()});
    }
  }
  auto ids = repo_->MeterIds(out.district_id, deadline);
  if (!ids.ok()) return ids.status();
  std::vector<int> all_ids;
  std::map<int, const MeterInfo*> by_id;
  for (MeterInfo& m : meters) {
    auto it = ids->find(m.meter->name());
    if (it != ids->end()) {
      m.id = it->second;
      all_ids.push_back(m.id);
      by_id[m.id] = &m;
    }
  }
  run.set_meters(static_cast<int32_t>(meters.size()));

  phase("registry");
  // Baselines per season: stored, or computed now from the reference window.
  std::map<std::string, std::map<int, double>> baseline_kw;  // season -> meter id -> kW
  std::map<std::string, std::map<int, std::string>> baseline_missing;
  for (const auto& [name, l] : lists) {
    const std::string& season = l->season();
    if (baseline_kw.count(season)) continue;
    auto stored = repo_->Baselines(season, deadline);
    if (!stored.ok()) return stored.status();
    auto& kw = baseline_kw[season];
    std::vector<int> missing;
    for (int id : all_ids) {
      auto s = stored->find(id);
      if (s == stored->end()) {
        missing.push_back(id);
      } else if (s->second.override_kw || s->second.computed_kw) {
        kw[id] = s->second.override_kw ? *s->second.override_kw : *s->second.computed_kw;
      } else {
        baseline_missing[season][id] = s->second.method;
      }
    }
    if (!missing.empty()) {
      const VerificationParams& p = params[name];
      auto [ref_start, ref_end] = ReferenceWindow(l->season_start(), p);
      auto raw = repo_->ScanReadings(missing, ref_start - absl::Hours(24), ref_end, 2, deadline);
      if (!raw.ok()) return raw.status();
      for (int id : missing) {
        const MeterInfo* m = by_id[id];
        std::vector<LoadSample> load = ToLoad((*raw)[id], m->meter->interval_minutes() > 0 ? m->meter->interval_minutes() : 15);
        Baseline b = ComputeBaseline(load, l->season_start(), p);
        if (b.found) {
          kw[id] = b.kw;
        } else {
          baseline_missing[season][id] = b.method;
        }
        out.baselines.push_back({id, season, std::move(b)});
      }
    }
  }

  // The readings of the range (a day earlier too: registers need the reading before).
  phase("baselines");
  auto raw = repo_->ScanReadings(all_ids, from - absl::Hours(24), to, 2, deadline);
  phase("reading scan");
  if (!raw.ok()) return raw.status();
  std::map<int, std::vector<LoadSample>> load;
  int64_t readings = 0;
  for (auto& [id, r] : *raw) {
    readings += static_cast<int64_t>(r.size());
    const int interval = by_id[id]->meter->interval_minutes() > 0 ? by_id[id]->meter->interval_minutes() : 15;
    load[id] = ToLoad(r, interval);
    r.clear();
    r.shrink_to_fit();
  }
  run.set_readings(readings);
  static const std::vector<LoadSample> kNoLoad;
  auto meter_load = [&](const MeterInfo& m, const std::string& season) {
    MeterLoad ml;
    ml.name = m.meter->name();
    ml.enterprise = m.enterprise;
    ml.target = m.target;
    ml.interval_minutes = m.meter->interval_minutes() > 0 ? m.meter->interval_minutes() : 15;
    auto it = load.find(m.id);
    ml.load = it == load.end() ? &kNoLoad : &it->second;
    auto b = baseline_kw[season].find(m.id);
    ml.baseline_kw = b == baseline_kw[season].end() ? 0 : b->second;
    return ml;
  };
  std::set<std::pair<std::string, std::string>> no_baseline_reported;  // (meter, season)
  auto report_no_baseline = [&](const MeterInfo& m, const v1::FiledListInfo& l) {
    if (!no_baseline_reported.insert({m.meter->name(), l.season()}).second) return;
    auto [ref_start, ref_end] = ReferenceWindow(l.season_start(), params[l.list()]);
    v1::Finding f;
    f.set_type(v1::NO_BASELINE);
    f.set_enterprise(m.enterprise);
    f.set_scope(m.meter->name());
    *f.mutable_window_start() = ToTimestamp(ref_start);
    *f.mutable_window_end() = ToTimestamp(ref_end);
    f.set_rule(absl::StrCat("VF1 baseline (T75): the mean load on production days of the ",
                            params[l.list()].baseline_reference_days,
                            " days before the season (baseline_reference_days)"));
    f.set_season(l.season());
    f.set_status(v1::OPEN);
    auto miss = baseline_missing[l.season()].find(m.id);
    f.set_summary(absl::StrCat(m.meter->name(), " has no baseline for ", l.season(), ": ",
                               miss != baseline_missing[l.season()].end() ? miss->second
                                                                          : std::string("it never sent a reading"),
                               "; its stops and limits cannot be judged until the bureau sets one"));
    f.mutable_evidence()->set_source(m.meter->name());
    *f.mutable_evidence()->mutable_from() = ToTimestamp(ref_start);
    *f.mutable_evidence()->mutable_to() = ToTimestamp(ref_end);
    out.findings.push_back(std::move(f));
  };

  // Stops, limits and completeness: which meters measure each obligation,
  // then per meter the strictest obligation at each moment.
  std::map<const MeterInfo*, std::vector<const v1::Obligation*>> binding;
  for (const v1::Obligation& o : windows.obligations()) {
    if (!Measurable(o.action()) || lists.count(o.list()) == 0) continue;
    run.set_obligation_windows(run.obligation_windows() + 1);
    std::vector<const MeterInfo*> measuring, totals;
    for (size_t i : meters_by_enterprise[o.enterprise()]) {
      const MeterInfo& m = meters[i];
      if (m.meter->role() == v1::TOTAL) totals.push_back(&m);
      if (m.meter->role() == v1::PRODUCTION && IsWithin(m.target, o.resource())) measuring.push_back(&m);
    }
    if (o.resource() == o.enterprise() && !totals.empty()) measuring = totals;
    if (measuring.empty()) {
      run.set_windows_without_meter(run.windows_without_meter() + 1);
      continue;
    }
    run.set_windows_checked(run.windows_checked() + 1);
    for (const MeterInfo* m : measuring) binding[m].push_back(&o);
  }
  for (const auto& [m, obligations] : binding) {
    for (const v1::Obligation& w : EffectiveWindows(obligations, from, to)) {
      const v1::FiledListInfo* l = lists[w.list()];
      MeterLoad ml = meter_load(*m, l->season());
      if (ml.baseline_kw <= 0) {
        report_no_baseline(*m, *l);
        continue;
      }
      for (v1::Finding& f : CheckWindow(w, ml, from, to, params[w.list()])) {
        f.set_season(l->season());
        f.set_baseline_kw(ml.baseline_kw);
        out.findings.push_back(std::move(f));
      }
    }
  }

  // Treatment runs whenever production runs.
  for (const MeterInfo& t : meters) {
    if (t.meter->role() != v1::TREATMENT) continue;
    const MeterInfo* production = nullptr;
    for (size_t i : meters_by_enterprise[t.enterprise]) {
      const MeterInfo& m = meters[i];
      if (m.meter->role() != v1::PRODUCTION) continue;
      if (IsWithin(t.target, m.target) || IsWithin(m.target, t.target)) {
        if (production == nullptr || m.target.size() > production->target.size()) production = &m;
      }
    }
    if (production == nullptr) {
      for (size_t i : meters_by_enterprise[t.enterprise]) {
        if (meters[i].meter->role() == v1::TOTAL) production = &meters[i];
      }
    }
    if (production == nullptr) continue;
    for (const Period& period : periods) {
      MeterLoad pl = meter_load(*production, period.list->season());
      MeterLoad tl = meter_load(t, period.list->season());
      if (pl.baseline_kw <= 0) report_no_baseline(*production, *period.list);
      if (tl.baseline_kw <= 0) report_no_baseline(t, *period.list);
      for (v1::Finding& f : CheckCoRunning(pl, tl, period.start, period.end, params[period.list->list()])) {
        f.set_season(period.list->season());
        f.set_baseline_kw(tl.baseline_kw);
        out.findings.push_back(std::move(f));
      }
    }
  }

  phase("meter checks");
  // Gates (T79, T80): passages, ledger rows, silent cameras.
  std::map<std::string, std::vector<const v1::Obligation*>> transport;  // by enterprise
  for (const v1::Obligation& o : windows.obligations()) {
    if (o.transport() != v1::TRANSPORT_RULE_UNSPECIFIED && o.transport() != v1::NO_TRANSPORT_RULE) {
      transport[o.enterprise()].push_back(&o);
    }
  }
  auto in_period = [&](absl::Time t) -> const Period* {
    for (const Period& p : periods) {
      if (p.start <= t && t < p.end) return &p;
    }
    return nullptr;
  };
  std::vector<Passage> passages;
  std::vector<LedgerEntry> ledger;
  std::map<std::string, std::vector<int64_t>> camera_times;
  auto gate = repo_->GateEvents(out.district_id, from, to, deadline);
  if (!gate.ok()) return gate.status();
  for (Passage& p : *gate) {
    p.enterprise = EnterpriseOf(p.camera);
    camera_times[p.camera].push_back(p.t_us);
    if (in_period(absl::FromUnixMicros(p.t_us)) != nullptr) passages.push_back(std::move(p));
  }
  auto rows = repo_->LedgerRows(out.district_id, from, to, deadline);
  if (!rows.ok()) return rows.status();
  for (LedgerEntry& l : *rows) {
    if (in_period(absl::FromUnixMicros(l.t_us)) != nullptr) ledger.push_back(std::move(l));
  }
  run.set_gate_events(static_cast<int32_t>(passages.size()));
  run.set_ledger_rows(static_cast<int32_t>(ledger.size()));
  std::vector<const VehicleFacts*> passage_vehicles;
  for (const Passage& p : passages) {
    auto v = vehicles.find(p.plate);
    const VehicleFacts* facts = v == vehicles.end() ? nullptr : &v->second;
    passage_vehicles.push_back(facts);
    const v1::Obligation* strictest = nullptr;
    for (const v1::Obligation* o : transport[p.enterprise]) {
      const int64_t ws = absl::ToUnixMicros(FromTimestamp(o->window_start()));
      const int64_t we = o->has_window_end() ? absl::ToUnixMicros(FromTimestamp(o->window_end())) : INT64_MAX;
      if (p.t_us < ws || p.t_us >= we) continue;
      if (strictest == nullptr || StricterTransport(o->transport(), strictest->transport()) != strictest->transport()) {
        strictest = o;
      }
    }
    const Period* period = in_period(absl::FromUnixMicros(p.t_us));
    for (v1::Finding& f : CheckPassage(p, facts, strictest, params[period->list->list()])) {
      out.findings.push_back(std::move(f));
    }
  }
  const VerificationParams& gate_params = periods.empty() ? VerificationParams() : params[periods.back().list->list()];
  for (v1::Finding& f : CheckLedger(passages, ledger, passage_vehicles, absl::Minutes(gate_params.ledger_match_minutes))) {
    out.findings.push_back(std::move(f));
  }
  for (const v1::Camera* cam : cameras) {
    const absl::Time installed = cam->installed_date().empty() ? absl::InfinitePast() : DayStart(cam->installed_date());
    for (const Period& period : periods) {
      const absl::Time start = std::max(period.start, installed);
      if (start >= period.end) continue;
      for (v1::Finding& f : CheckCameraSilence(cam->name(), EnterpriseOf(cam->name()), camera_times[cam->name()],
                                               start, period.end, params[period.list->list()])) {
        out.findings.push_back(std::move(f));
      }
    }
  }

  phase("gate checks");
  std::cerr << "verification of " << district << ": " << run.readings() << " readings; " << phases << "\n";
  std::map<v1::FindingType, int> counts;
  for (const v1::Finding& f : out.findings) counts[f.type()]++;
  for (const auto& [type, n] : counts) {
    v1::FindingCount* c = run.add_findings();
    c->set_type(type);
    c->set_count(n);
  }
  run.set_elapsed_ms(absl::ToInt64Milliseconds(absl::Now() - started));
  return out;
}

}  // namespace cuofeng
