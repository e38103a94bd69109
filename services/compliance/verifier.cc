#include "services/compliance/verifier.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/auth/policy.h"
#include "lib/model/clock.h"
#include "lib/model/identifiers.h"
#include "lib/rpc/status.h"
#include "lib/status/status_macros.h"
#include "lib/verification/cems_checks.h"
#include "services/cems/verify.h"
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
  std::string label;
};

// A period in which a filed list binds: whole, up to where the data ends.
struct Period {
  const v1::FiledListInfo* list;
  absl::Time start, end;
};

absl::Time Clamp(absl::Time t, absl::Time lo, absl::Time hi) {
  return std::min(std::max(t, lo), hi);
}

// DistrictOf is districts/{d} of a resource name under it ("" otherwise).
std::string DistrictOf(const std::string& name) {
  if (!absl::StartsWith(name, "districts/")) return "";
  const size_t slash = name.find('/', 10);
  return slash == std::string::npos ? name : name.substr(0, slash);
}

// China days, counted from 1970-01-01 (UTC+8), of a Unix µs instant; and
// the instant a China day starts.
constexpr int64_t kDayUs = 86400LL * 1000000, kChinaOffsetUs = 8LL * 3600 * 1000000;
int64_t ChinaDay(int64_t us) {
  const int64_t local = us + kChinaOffsetUs;
  return local / kDayUs - (local % kDayUs < 0 ? 1 : 0);
}
int64_t ChinaDayStart(int64_t day) { return day * kDayUs - kChinaOffsetUs; }

// FullScan: CUOFENG_VERIFY_FULL_SCAN=1 reads every reading of the hull, as
// before the day aggregates (issue 20): to compare the two (a test does).
bool FullScan() {
  const char* v = std::getenv("CUOFENG_VERIFY_FULL_SCAN");
  return v != nullptr && std::string(v) == "1";
}

// ObligationKey names an obligation by where it comes from and when it began.
std::string ObligationKey(const v1::Obligation& o) {
  return absl::StrCat(o.entry(), "+", o.alert(), "@", o.alert_revision(), "@",
                      o.window_start().seconds());
}

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
                                                  absl::Time deadline, const RunOptions& options) {
  const absl::Time started = absl::Now();
  VerificationOutcome out;
  out.district_id = district.substr(district.find('/') + 1);
  v1::VerificationRun& run = out.run;
  run.set_live(options.live);
  std::set<std::string> scope;  // enterprises judged (empty: all)
  for (const std::string& m : options.meters) scope.insert(EnterpriseOf(m));
  auto in_scope = [&](const std::string& enterprise) {
    return options.meters.empty() || scope.count(enterprise) > 0;
  };
  *run.mutable_from() = ToTimestamp(from);
  *run.mutable_to() = ToTimestamp(to);
  std::string phases;
  absl::Time mark = absl::Now();
  auto phase = [&](const char* name) {
    const absl::Time now = absl::Now();
    absl::StrAppend(&phases, phases.empty() ? "" : ", ", name, " ",
                    absl::ToInt64Milliseconds(now - mark), " ms");
    mark = now;
  };
  // Issue 19: the caller is told each step as it starts and each meter judged.
  int meters_done = 0, meters_total = 0;
  auto step = [&](const char* name) {
    if (options.progress) options.progress(name, meters_done, meters_total);
  };
  step("OBLIGATIONS");

  // Issue 15: windows are judged whole, up to where the district's data
  // ends, whatever the run's range: the range only chooses which windows.
  ASSIGN_OR_RETURN(absl::Time data_end, repo_->DataEnd(out.district_id, deadline));
  data_end = std::min(data_end, Now());
  if (data_end != absl::InfinitePast()) *run.mutable_data_end() = ToTimestamp(data_end);
  auto list_windows = [&](absl::Time a,
                          absl::Time b) -> absl::StatusOr<v1::ListObligationWindowsResponse> {
    v1::ListObligationWindowsRequest wreq;
    wreq.set_district(district);
    *wreq.mutable_from() = ToTimestamp(a);
    *wreq.mutable_to() = ToTimestamp(b);
    v1::ListObligationWindowsResponse resp;
    auto ctx = Call(authorization, deadline);
    grpc::Status s = obligations_->ListObligationWindows(ctx.get(), wreq, &resp);
    if (!s.ok()) return FromGrpcStatus(s);
    return resp;
  };
  ASSIGN_OR_RETURN(v1::ListObligationWindowsResponse windows, list_windows(from, to));
  // The hull: from where the lists binding the range begin to bind, to the data's end.
  absl::Time hull_from = from;
  const absl::Time hull_to = std::max(to, std::min(data_end, Now()));
  for (const v1::FiledListInfo& l : windows.lists()) {
    hull_from =
        std::min(hull_from, std::max(FromTimestamp(l.in_force_from()), DayStart(l.season_start())));
  }
  if (hull_from < from || hull_to > to) {
    ASSIGN_OR_RETURN(windows, list_windows(hull_from, hull_to));
  }
  const absl::Time judged_until = data_end == absl::InfinitePast() ? from : data_end;
  auto touches_run = [&](absl::Time a, absl::Time b) { return a < to && b > from; };
  auto finish = [&]() -> absl::StatusOr<VerificationOutcome> {
    std::map<v1::FindingType, int> counts;
    for (v1::Finding& f : out.findings) {
      CountSupportingSources(&f);  // issue 21: its own source and those agreeing
      counts[f.type()]++;
    }
    for (const auto& [type, n] : counts) {
      v1::FindingCount* c = run.add_findings();
      c->set_type(type);
      c->set_count(n);
    }
    run.set_elapsed_ms(absl::ToInt64Milliseconds(absl::Now() - started));
    return std::move(out);
  };
  if (options.live) {
    // Live checking runs while an alert or a staggered period binds where
    // the readings landed; the gates are left to the batch run.
    out.gate_from = out.gate_to = from;
    bool binds = false;
    for (const v1::Obligation& o : windows.obligations()) {
      const absl::Time ws = FromTimestamp(o.window_start());
      const absl::Time we = o.has_window_end() ? FromTimestamp(o.window_end()) : hull_to;
      binds = binds || ((!o.alert().empty() || o.in_staggered_period()) && Measurable(o.action()) &&
                        in_scope(o.enterprise()) && touches_run(ws, we));
    }
    if (!binds) {
      out.skipped = true;
      return finish();
    }
  }

  std::map<std::string, VerificationParams> params;  // by list
  std::map<std::string, CemsParams> cems_params;     // by list (issue 21)
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
    cems_params[l.list()] = ResolveCemsParams(rules.verification(), rules.thresholds());
    lists[l.list()] = &l;
    rule_sets.insert(l.rule_set());
    Period p{&l,
             std::max({hull_from, FromTimestamp(l.in_force_from()), DayStart(l.season_start())}),
             std::min({hull_to,
                       l.has_in_force_until() ? FromTimestamp(l.in_force_until())
                                              : absl::InfiniteFuture(),
                       DayStart(l.season_end()) + absl::Hours(24)})};
    if (p.start < p.end) periods.push_back(p);
    out.retention = params[l.list()];
    out.has_retention = true;
  }
  for (const std::string& r : rule_sets)
    absl::StrAppend(run.mutable_rule_set(), run.rule_set().empty() ? "" : ", ", r);
  // The alerts' document numbers (文号), for the findings and the charts.
  std::map<std::string, std::string> alert_documents;
  for (const v1::Obligation& o : windows.obligations()) {
    if (o.alert().empty() || alert_documents.count(o.alert())) continue;
    v1::GetAlertRequest areq;
    areq.set_name(o.alert());
    v1::Alert alert;
    auto ctx = Call(authorization, deadline);
    grpc::Status s = alerts_->GetAlert(ctx.get(), areq, &alert);
    alert_documents[o.alert()] = s.ok() ? alert.document_number() : "";
  }
  phase("obligations and rule sets");
  step("REGISTRY");

  // The registry as it is now.
  ASSIGN_OR_RETURN(std::vector<v1::DistrictSnapshotChunk> chunks,
                   Snapshot(district, authorization, deadline));
  std::map<std::string, std::string> enterprise_names;
  std::vector<MeterInfo> meters;
  std::map<std::string, std::vector<size_t>> meters_by_enterprise;
  std::vector<const v1::Camera*> cameras;
  std::map<std::string, const v1::Equipment*> equipment;
  std::map<std::string, VehicleFacts> vehicles;  // by normalised plate
  std::map<std::string, std::string> plate_of;   // vehicle name -> plate
  for (const auto& c : chunks) {
    for (const v1::Enterprise& e : c.enterprises()) enterprise_names[e.name()] = e.display_name();
  }
  for (const auto& c : chunks) {
    for (const v1::Meter& m : c.meters()) {
      MeterInfo info{&m, EnterpriseOf(m.name()), "", 0, ""};
      info.target = !m.equipment().empty() ? m.equipment()
                    : !m.line().empty()    ? m.line()
                                           : info.enterprise;
      // People read the plant's and the meter's names; the finding's scope
      // keeps the meter's resource name for machines.
      info.label = absl::StrCat(enterprise_names[info.enterprise], " ",
                                m.display_name().empty() ? m.name() : m.display_name());
      meters_by_enterprise[info.enterprise].push_back(meters.size());
      meters.push_back(std::move(info));
    }
    for (const v1::Camera& cam : c.cameras()) cameras.push_back(&cam);
    for (const v1::Equipment& eq : c.equipment()) equipment[eq.name()] = &eq;
    for (const v1::Vehicle& v : c.vehicles()) {
      VehicleFacts& f = vehicles[NormalizePlate(v.plate())];
      f.name = v.name();
      f.stage = v.emission_stage();
      f.fuel = v.fuel();
      f.vehicle_class = v.vehicle_class();
      plate_of[v.name()] = NormalizePlate(v.plate());
    }
  }
  for (const auto& c : chunks) {
    for (const v1::WhitelistEntry& w : c.whitelist_entries()) {
      auto p = plate_of.find(w.vehicle());
      if (p == plate_of.end()) continue;
      vehicles[p->second].whitelist.push_back(
          {EnterpriseOf(w.name()), w.purpose(), w.valid_from(), w.valid_until()});
    }
  }
  ASSIGN_OR_RETURN(auto ids, repo_->MeterIds(out.district_id, deadline));
  std::vector<int> all_ids;
  std::map<int, const MeterInfo*> by_id;
  int32_t meters_in_scope = 0;
  for (MeterInfo& m : meters) {
    if (!in_scope(m.enterprise)) continue;
    ++meters_in_scope;
    auto it = ids.find(m.meter->name());
    if (it != ids.end()) {
      m.id = it->second;
      all_ids.push_back(m.id);
      by_id[m.id] = &m;
    }
  }
  run.set_meters(meters_in_scope);
  auto interval_of = [](const MeterInfo& m) {
    return m.meter->interval_minutes() > 0 ? m.meter->interval_minutes() : 15;
  };
  auto stamp = [&](v1::Finding* f) {
    f->set_enterprise_name(enterprise_names[f->enterprise()]);
    // The obligation names the alert as "entry + alerts/N@rev".
    for (const auto& [alert, document] : alert_documents) {
      if (!document.empty() && absl::StrContains(f->obligation(), absl::StrCat(alert, "@"))) {
        f->set_alert_document(document);
      }
    }
  };
  auto add = [&](v1::Finding f, const std::string& domain) {
    stamp(&f);
    out.findings.push_back(std::move(f));
    out.domains.push_back(domain);
  };
  phase("registry");
  step("BASELINES");

  // Baselines per season: stored, or computed now from the reference window
  // when there is none yet or the one stored was computed from incomplete
  // data and more has arrived (a new version); an override always holds.
  ASSIGN_OR_RETURN(auto events, repo_->RegisterEvents(all_ids, deadline));
  struct InForce {
    double kw = 0;
    int version = 0;
  };
  std::map<std::string, std::map<int, InForce>> baseline_kw;  // season -> meter id
  std::map<std::string, std::map<int, std::string>> baseline_missing;
  for (const auto& [name, l] : lists) {
    const std::string& season = l->season();
    if (baseline_kw.count(season)) continue;
    ASSIGN_OR_RETURN(auto stored, repo_->Baselines(season, deadline));
    auto& kw = baseline_kw[season];
    std::vector<int> recompute;
    for (int id : all_ids) {
      auto s = stored.find(id);
      if (s != stored.end() && s->second.override_kw) {
        kw[id] = {*s->second.override_kw, s->second.version};
      } else if (s != stored.end() && s->second.computed_kw && s->second.complete) {
        kw[id] = {*s->second.computed_kw, s->second.version};
      } else {
        recompute.push_back(id);
      }
    }
    if (recompute.empty()) continue;
    const VerificationParams& p = params[name];
    auto [ref_start, ref_end] = ReferenceWindow(l->season_start(), p);
    ASSIGN_OR_RETURN(auto raw, repo_->ScanReadings(recompute, ref_start - absl::Hours(24), ref_end,
                                                   2, deadline));
    for (int id : recompute) {
      const MeterInfo* m = by_id[id];
      Baseline b = ComputeBaseline(ToLoad(raw[id], interval_of(*m), events[id]), l->season_start(),
                                   p, interval_of(*m));
      auto s = stored.find(id);
      const bool fresh = s == stored.end();
      if (fresh || BaselineNeedsRecomputing(s->second.computed_kw.has_value(), s->second.complete,
                                            s->second.samples, b.samples)) {
        const int version = fresh ? 1 : s->second.version + 1;
        if (b.found) {
          kw[id] = {b.kw, version};
        } else {
          baseline_missing[season][id] = b.method;
        }
        out.baselines.push_back({id, season, std::move(b), version});
      } else if (s->second.computed_kw) {
        kw[id] = {*s->second.computed_kw, s->second.version};
      } else {
        baseline_missing[season][id] = s->second.method;
      }
    }
  }
  phase("baselines");
  step("READINGS");

  // The readings of the hull (a day earlier too: registers need the reading
  // before): (scan_from, scan_to]. Issue 20: first their per (meter, China
  // day) aggregates; the raw readings are read further down, by key, only
  // on the days where a check can fail (all of them under a full scan).
  const int64_t scan_from = absl::ToUnixMicros(hull_from - absl::Hours(24)),
                scan_to = absl::ToUnixMicros(hull_to);
  const bool full_scan = FullScan();
  int64_t raw_read = 0;  // readings read raw when screened
  std::map<int, std::vector<LoadSample>> load;
  std::map<int, std::map<int64_t, ComplianceRepository::ReadingDay>> days;
  int64_t readings = 0;
  if (full_scan) {
    ASSIGN_OR_RETURN(
        auto raw, repo_->ScanReadings(all_ids, hull_from - absl::Hours(24), hull_to, 2, deadline));
    for (auto& [id, r] : raw) {
      readings += static_cast<int64_t>(r.size());
      load[id] = ToLoad(r, interval_of(*by_id[id]), events[id]);
      r.clear();
      r.shrink_to_fit();
    }
    phase("reading scan");
  } else if (scan_to > scan_from) {
    const int64_t d0 = ChinaDay(scan_from), dn = ChinaDay(scan_to);
    ASSIGN_OR_RETURN(days, repo_->ReadingDays(all_ids, d0, dn, deadline));
    if (d0 == dn) {
      ASSIGN_OR_RETURN(readings, repo_->CountReadings(all_ids, scan_from + 1, scan_to, deadline));
    } else {
      // Whole days d0..dn-1, less day d0's readings up to scan_from, plus
      // day dn's up to scan_to (both a single instant when the hull's ends
      // are midnights).
      for (const auto& [id, by_day] : days) {
        for (auto it = by_day.lower_bound(d0); it != by_day.end() && it->first < dn; ++it)
          readings += it->second.n;
      }
      ASSIGN_OR_RETURN(int64_t before,
                       repo_->CountReadings(all_ids, ChinaDayStart(d0), scan_from, deadline));
      ASSIGN_OR_RETURN(int64_t last,
                       repo_->CountReadings(all_ids, ChinaDayStart(dn), scan_to, deadline));
      readings += last - before;
    }
    phase("reading days");
  }
  run.set_readings(readings);
  static const std::vector<LoadSample> kNoLoad;
  auto meter_load = [&](const MeterInfo& m, const std::string& season) {
    MeterLoad ml;
    ml.name = m.meter->name();
    ml.enterprise = m.enterprise;
    ml.target = m.target;
    ml.label = m.label;
    ml.interval_minutes = interval_of(m);
    auto it = load.find(m.id);
    ml.load = it == load.end() ? &kNoLoad : &it->second;
    auto b = baseline_kw[season].find(m.id);
    if (b != baseline_kw[season].end()) {
      ml.baseline_kw = b->second.kw;
      ml.baseline_version = b->second.version;
    }
    return ml;
  };
  std::set<std::pair<std::string, std::string>> no_baseline_reported;  // (meter, season)
  auto report_no_baseline = [&](const MeterInfo& m, const v1::FiledListInfo& l) {
    const std::string domain = absl::StrCat(m.meter->name(), "|baseline|", l.season());
    out.judged.insert(domain);
    if (!no_baseline_reported.insert({m.meter->name(), l.season()}).second) return;
    auto [ref_start, ref_end] = ReferenceWindow(l.season_start(), params[l.list()]);
    v1::Finding f;
    f.set_type(v1::NO_BASELINE);
    f.set_enterprise(m.enterprise);
    f.set_scope(m.meter->name());
    *f.mutable_window_start() = ToTimestamp(ref_start);
    *f.mutable_window_end() = ToTimestamp(ref_end);
    f.set_rule(absl::StrCat("VF1 基准负荷（T75）：采暖季前 ",
                            params[l.list()].baseline_reference_days,
                            " 天（baseline_reference_days）生产日的平均负荷"));
    f.set_season(l.season());
    f.set_status(v1::OPEN);
    auto miss = baseline_missing[l.season()].find(m.id);
    f.set_summary(absl::StrCat(
        m.label, " 没有 ", l.season(), " 的基准负荷：",
        miss != baseline_missing[l.season()].end() ? miss->second
                                                   : std::string("该电表从未报送读数"),
        "；参考期读数到达（届时自动重新计算）或区级人工设定之前，其停产、限产无法核查"));
    f.mutable_evidence()->set_source(m.meter->name());
    *f.mutable_evidence()->mutable_from() = ToTimestamp(ref_start);
    *f.mutable_evidence()->mutable_to() = ToTimestamp(ref_end);
    add(std::move(f), domain);
  };
  auto unverified = [&](const v1::Obligation& o, absl::Time a, absl::Time b,
                        v1::UnverifiedWindow::Reason reason, const std::string& meter,
                        const std::string& detail) {
    v1::UnverifiedWindow* u = run.add_unverified();
    u->set_enterprise(o.enterprise());
    u->set_resource(o.resource());
    u->set_obligation(o.alert().empty()
                          ? o.entry()
                          : absl::StrCat(o.entry(), " + ", o.alert(), "@", o.alert_revision()));
    *u->mutable_window_start() = ToTimestamp(a);
    *u->mutable_window_end() = ToTimestamp(b);
    u->set_reason(reason);
    u->set_meter(meter);
    u->set_detail(detail);
  };

  // Stops, limits and completeness: which meters measure each obligation,
  // then per meter the strictest obligation at each moment, each piece
  // judged whole.
  std::map<const MeterInfo*, std::vector<const v1::Obligation*>> binding;
  std::map<const MeterInfo*, std::vector<const v1::Obligation*>> meterless;  // by covering meter
  for (const v1::Obligation& o : windows.obligations()) {
    if (!Measurable(o.action()) || lists.count(o.list()) == 0 || !in_scope(o.enterprise()))
      continue;
    const absl::Time ws = FromTimestamp(o.window_start());
    const absl::Time we = o.has_window_end() ? FromTimestamp(o.window_end()) : hull_to;
    const bool counted = touches_run(ws, we);
    if (counted) run.set_obligation_windows(run.obligation_windows() + 1);
    std::vector<const MeterInfo*> measuring, totals;
    for (size_t i : meters_by_enterprise[o.enterprise()]) {
      const MeterInfo& m = meters[i];
      if (m.meter->role() == v1::TOTAL) totals.push_back(&m);
      if (m.meter->role() == v1::PRODUCTION && IsWithin(m.target, o.resource()))
        measuring.push_back(&m);
    }
    if (o.resource() == o.enterprise() && !totals.empty()) measuring = totals;
    if (measuring.empty()) {
      // A meter measuring it among other equipment (the narrowest line
      // meter, else the enterprise's main meter) may judge it: see below.
      const MeterInfo* cover = nullptr;
      for (size_t i : meters_by_enterprise[o.enterprise()]) {
        const MeterInfo& m = meters[i];
        if ((m.meter->role() == v1::PRODUCTION || m.meter->role() == v1::TOTAL) &&
            IsWithin(o.resource(), m.target) &&
            (cover == nullptr || m.target.size() > cover->target.size())) {
          cover = &m;
        }
      }
      if (cover != nullptr) {
        meterless[cover].push_back(&o);
        continue;
      }
      if (counted) {
        run.set_windows_without_meter(run.windows_without_meter() + 1);
        unverified(o, Clamp(ws, from, to), Clamp(we, from, to), v1::UnverifiedWindow::NO_METER, "",
                   "没有计量该设备或其所在生产线、企业的电表");
      }
      continue;
    }
    bool never = true;
    for (const MeterInfo* m : measuring) never = never && m->id == 0;
    if (never) {
      if (counted) {
        unverified(o, Clamp(ws, from, to), Clamp(we, from, to),
                   v1::UnverifiedWindow::METER_NEVER_REPORTED, measuring[0]->meter->name(),
                   "其电表从未报送读数");
      }
    }
    if (counted) run.set_windows_checked(run.windows_checked() + 1);
    for (const MeterInfo* m : measuring) binding[m].push_back(&o);
  }
  // Covering meters (issue 15): obligations of equipment with no meter of
  // their own, judged on the meter covering it where that is sound (see
  // CoveringWindows), listed as unverified where it is not.
  std::deque<v1::Obligation> made;  // the obligations made for covering meters
  for (const auto& [cover, list] : meterless) {
    std::vector<CoveredPart> parts;
    for (const auto& [name, eq] : equipment) {
      if (!IsWithin(name, cover->target)) continue;
      const std::string unit = absl::AsciiStrToLower(eq->capacity_unit());
      double kw = 0;
      if (eq->has_rated_capacity() && eq->rated_capacity() > 0) {
        if (unit == "kw") kw = eq->rated_capacity();
        if (unit == "mw") kw = eq->rated_capacity() * 1000;
      }
      parts.push_back({name, kw});
    }
    std::vector<const v1::Obligation*> at_enterprise;
    for (const v1::Obligation& o : windows.obligations()) {
      if (Measurable(o.action()) && lists.count(o.list()) && o.enterprise() == cover->enterprise)
        at_enterprise.push_back(&o);
    }
    Covering covering = CoveringWindows(cover->label, cover->target, parts, at_enterprise, list,
                                        hull_from, hull_to);
    std::set<const v1::Obligation*> judged_here;
    for (CoveringWindow& w : covering.windows) {
      made.push_back(std::move(w.window.obligation));
      binding[cover].push_back(&made.back());
      if (touches_run(absl::FromUnixMicros(w.window.start_us),
                      absl::FromUnixMicros(w.window.end_us)))
        judged_here.insert(w.covered.begin(), w.covered.end());
    }
    for (const UncoveredPiece& u : covering.uncovered) {
      const absl::Time a = absl::FromUnixMicros(u.start_us), b = absl::FromUnixMicros(u.end_us);
      if (!touches_run(a, b)) continue;
      unverified(*u.obligation, Clamp(a, from, to), Clamp(b, from, to),
                 v1::UnverifiedWindow::COVERING_METER_UNSOUND, cover->meter->name(), u.detail);
    }
    for (const v1::Obligation* o : list) {
      const absl::Time ws = FromTimestamp(o->window_start());
      const absl::Time we = o->has_window_end() ? FromTimestamp(o->window_end()) : hull_to;
      if (!touches_run(ws, we)) continue;
      if (judged_here.count(o)) {
        run.set_windows_covered(run.windows_covered() + 1);
      } else {
        run.set_windows_without_meter(run.windows_without_meter() + 1);
      }
    }
  }
  std::map<const MeterInfo*, std::vector<EffectiveWindow>> effective;
  for (const auto& [m, obligations] : binding)
    effective[m] = EffectiveWindows(obligations, hull_from, hull_to);
  // A treatment meter's production meter: the narrowest production meter
  // measuring what it treats (or what contains it), else a total meter.
  auto production_of = [&](const MeterInfo& t) -> const MeterInfo* {
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
    return production;
  };

  // Where a check can fail (issue 20). From the day aggregates: an effective
  // window whose days stay at or under its threshold with enough readings
  // is proved to yield nothing, and is not judged on raw readings; a
  // treatment meter's day where production stays off, or the treatment
  // meter reports every interval on (that day and either side), cannot be
  // in breach. Raw readings are read for every other window, for the
  // clock-offset spans (a day either side of stops, or of limit edges), and
  // for the co-running days that could be in breach with a day either side
  // (the treatment meter's two). Each check gets complete readings
  // wherever it looks, so it finds what a full scan finds.
  std::set<std::pair<const MeterInfo*, size_t>> clean_windows;  // (meter, index in effective)
  // Windows with enough readings, judged on their doubtful days only.
  std::set<std::pair<const MeterInfo*, size_t>> complete_windows;
  struct CoRunDays {
    std::set<int64_t> production, treatment;
  };
  std::map<std::pair<const MeterInfo*, size_t>, CoRunDays> corun;  // (treatment meter, period)
  if (!full_scan) {
    const int64_t judged_us = absl::ToUnixMicros(judged_until);
    constexpr double kInf = std::numeric_limits<double>::infinity();
    std::map<int, std::set<int64_t>> need;  // meter id -> China days to read
    std::set<int> whole;                    // meters read whole (registers)
    // Meter-days to read, by why (the first reason that needed each).
    int64_t days_for[3] = {0, 0, 0};  // clock spans, windows, co-running
    auto need_day = [&](int id, int64_t d, int why) {
      if (id != 0 && need[id].insert(d).second) ++days_for[why];
    };
    auto need_span = [&](int id, int64_t a, int64_t b, int why) {
      if (id == 0 || b < a) return;
      for (int64_t d = ChinaDay(a) - 1; d <= ChinaDay(b) + 1; ++d) need_day(id, d, why);
    };
    auto day_of = [&](int id, int64_t d) -> const ComplianceRepository::ReadingDay* {
      auto m = days.find(id);
      if (m == days.end()) return nullptr;
      auto it = m->second.find(d);
      return it == m->second.end() ? nullptr : &it->second;
    };
    // Bounds of a day's load samples (+-infinity: not known, registers).
    auto max_load = [&](const ComplianceRepository::ReadingDay& d, int interval) {
      if (d.n_register > 0) return kInf;
      const double per_hour = 60.0 / std::max(1, interval);
      double v = -kInf;
      if (d.has_kw) v = std::max(v, d.max_kw);
      if (d.has_kwh) v = std::max(v, d.max_kwh * per_hour);
      return v;
    };
    auto sum_load = [&](const ComplianceRepository::ReadingDay& d, int interval) {
      if (d.n_register > 0) return kInf;
      const double per_hour = 60.0 / std::max(1, interval);
      return (d.has_kw ? d.sum_kw : 0) + (d.has_kwh ? d.sum_kwh * per_hour : 0);
    };
    auto min_load = [&](const ComplianceRepository::ReadingDay& d, int interval) {
      if (d.n_register > 0) return -kInf;
      const double per_hour = 60.0 / std::max(1, interval);
      double v = kInf;
      if (d.has_kw) v = std::min(v, d.min_kw);
      if (d.has_kwh) v = std::min(v, d.min_kwh * per_hour);
      return v;
    };
    for (const auto& [id, by_day] : days) {
      for (const auto& [d, agg] : by_day) {
        if (agg.n_register > 0) whole.insert(id);
      }
    }
    for (const auto& [m, all] : effective) {
      if (all.empty() || m->id == 0) continue;
      // The clock-offset spans (DetectClockOffset).
      const int64_t day = absl::ToInt64Microseconds(absl::Hours(24));
      bool stops = false;
      for (const EffectiveWindow& w : all) {
        if (AllowedShare(w.obligation) > 0 || w.end_us >= judged_us) continue;
        stops = true;
        need_span(m->id, w.start_us - day, w.end_us + day, 0);
      }
      if (!stops) {
        for (const EffectiveWindow& w : all) {
          if (w.end_us >= judged_us) continue;
          need_span(m->id, w.start_us - day, w.start_us + day, 0);
          need_span(m->id, w.end_us - day, w.end_us + day, 0);
        }
      }
      // The windows (CheckWindow).
      for (size_t i = 0; i < all.size(); ++i) {
        const EffectiveWindow& w = all[i];
        if (!touches_run(absl::FromUnixMicros(w.start_us), absl::FromUnixMicros(w.end_us)))
          continue;
        const v1::FiledListInfo* l = lists[w.obligation.list()];
        const MeterLoad ml = meter_load(*m, l->season());
        if (ml.baseline_kw <= 0) continue;
        const VerificationParams& p = params[w.obligation.list()];
        const int64_t ws = w.start_us, we = std::min(w.end_us, judged_us);
        const int64_t interval = absl::ToInt64Microseconds(absl::Minutes(ml.interval_minutes));
        if (we - ws < interval) {
          clean_windows.insert({m, i});  // CheckWindow judges nothing
          continue;
        }
        const bool stop = w.obligation.action() == v1::STOP || w.obligation.action() == v1::RECTIFY;
        const double fraction =
            stop ? p.stop_threshold_percent / 100
                 : AllowedShare(w.obligation) * (1 + p.limit_tolerance_percent / 100);
        const double threshold_kw = fraction * ml.baseline_kw;
        // Completeness: the readings of the whole days within (ws, we] are
        // surely there; enough of them and the window has no DATA_GAP.
        int64_t at_least = 0;
        for (int64_t d = ChinaDay(ws); d <= ChinaDay(we); ++d) {
          const ComplianceRepository::ReadingDay* agg = day_of(m->id, d);
          if (agg != nullptr && ChinaDayStart(d) > ws && ChinaDayStart(d + 1) <= we)
            at_least += agg->n - agg->n_register;  // a register gives at most one
        }
        const int64_t expected = (we - ws) / interval;
        const bool complete =
            100.0 * static_cast<double>(at_least) / expected + 1e-9 >= p.min_completeness_percent;
        if (!complete) {
          need_span(m->id, ws, we, 1);  // judged whole, on every reading
          continue;
        }
        // The days that could be in breach: a stop's days with a reading
        // above the threshold; a limit's judged days (CheckWindow's: from
        // the grace period's end, split at China midnights, each (s, e])
        // whose mean could exceed it.
        std::set<int64_t> doubtful;
        const int64_t judge_from =
            std::max(ws, absl::ToUnixMicros(FromTimestamp(w.obligation.window_start())) +
                             absl::ToInt64Microseconds(absl::Minutes(p.grace_minutes)));
        if (judge_from < we) {
          for (int64_t d = ChinaDay(judge_from); d <= ChinaDay(we); ++d) {
            const ComplianceRepository::ReadingDay* agg = day_of(m->id, d);
            if (stop) {
              if (agg != nullptr && max_load(*agg, ml.interval_minutes) > threshold_kw)
                doubtful.insert(d);
              continue;
            }
            const int64_t s = std::max(judge_from, ChinaDayStart(d)),
                          e = std::min(we, ChinaDayStart(d + 1));
            if (s >= e || (e - s) / interval < 1) continue;
            const ComplianceRepository::ReadingDay* next = day_of(m->id, d + 1);
            double bound;
            if (s == ChinaDayStart(d) && e == ChinaDayStart(d + 1)) {
              // (s, e]: the day's readings less one at s, plus one at e.
              const bool at_s = agg != nullptr && agg->first_us == s;
              const bool at_e = next != nullptr && next->first_us == e;
              double sum = agg == nullptr ? 0 : sum_load(*agg, ml.interval_minutes);
              int64_t n = agg == nullptr ? 0 : agg->n;
              if (at_s) sum -= min_load(*agg, ml.interval_minutes), --n;
              if (at_e) sum += max_load(*next, ml.interval_minutes), ++n;
              bound = n > 0 ? sum / static_cast<double>(n) : -kInf;
            } else {
              bound = std::max(agg == nullptr ? -kInf : max_load(*agg, ml.interval_minutes),
                               next == nullptr ? -kInf : max_load(*next, ml.interval_minutes));
            }
            // A margin for the order of the summing.
            if (!(bound + 1e-9 * std::abs(bound) <= threshold_kw)) doubtful.insert(d);
          }
        }
        if (doubtful.empty()) {
          clean_windows.insert({m, i});
        } else {
          // Judged on the doubtful days with a day either side; complete,
          // so the DATA_GAP it would see on these alone is not one.
          complete_windows.insert({m, i});
          for (int64_t d : doubtful) need_span(m->id, ChinaDayStart(d), ChinaDayStart(d), 1);
        }
      }
    }
    // Treatment and production (CheckCoRunning).
    for (const MeterInfo& t : meters) {
      if (t.meter->role() != v1::TREATMENT || !in_scope(t.enterprise)) continue;
      const MeterInfo* production = production_of(t);
      if (production == nullptr || production->id == 0) continue;
      for (size_t k = 0; k < periods.size(); ++k) {
        const Period& period = periods[k];
        if (!touches_run(period.start, period.end)) continue;
        const MeterLoad pl = meter_load(*production, period.list->season());
        const MeterLoad tl = meter_load(t, period.list->season());
        if (pl.baseline_kw <= 0 || tl.baseline_kw <= 0) continue;
        const VerificationParams& p = params[period.list->list()];
        const double p_on = pl.baseline_kw * p.production_on_percent / 100;
        const double t_on = tl.baseline_kw * p.treatment_on_percent / 100;
        const int64_t t_interval = absl::ToInt64Microseconds(absl::Minutes(tl.interval_minutes));
        // Every interval of the day reported, on the grid, above t_on.
        auto treatment_on = [&](int64_t d) {
          const ComplianceRepository::ReadingDay* agg = day_of(t.id, d);
          if (agg == nullptr || agg->n_register > 0 || 1440 % tl.interval_minutes != 0)
            return false;
          return agg->n == 1440 / tl.interval_minutes && agg->first_us == ChinaDayStart(d) &&
                 agg->last_us == ChinaDayStart(d + 1) - t_interval && agg->max_gap_us >= 0 &&
                 agg->max_gap_us <= t_interval && min_load(*agg, tl.interval_minutes) > t_on;
        };
        const int64_t a = absl::ToUnixMicros(period.start),
                      b = absl::ToUnixMicros(std::min(period.end, judged_until));
        if (b <= a) continue;
        CoRunDays& c = corun[{&t, k}];
        for (int64_t d = ChinaDay(a); d <= ChinaDay(b); ++d) {
          const ComplianceRepository::ReadingDay* pd = day_of(production->id, d);
          if (pd == nullptr || max_load(*pd, pl.interval_minutes) <= p_on) continue;
          if (treatment_on(d - 1) && treatment_on(d) && treatment_on(d + 1)) continue;
          for (int64_t e = d - 1; e <= d + 1; ++e) c.production.insert(e);
        }
        for (int64_t d : c.production) {
          for (int64_t e = d - 1; e <= d + 1; ++e) c.treatment.insert(e);
        }
        for (int64_t d : c.production) need_day(production->id, d, 2);
        for (int64_t d : c.treatment) need_day(t.id, d, 2);
      }
    }
    // Read them: runs of days, within (scan_from, scan_to].
    std::vector<ComplianceRepository::MeterRange> ranges;
    for (int id : whole) ranges.push_back({id, scan_from + 1, scan_to + 1});
    for (const auto& [id, set] : need) {
      if (whole.count(id)) continue;
      for (auto it = set.begin(); it != set.end();) {
        int64_t first = *it, last = *it;
        for (++it; it != set.end() && *it == last + 1; ++it) last = *it;
        const int64_t lo = std::max(ChinaDayStart(first), scan_from + 1);
        const int64_t hi = std::min(ChinaDayStart(last + 1), scan_to + 1);
        if (lo < hi) ranges.push_back({id, lo, hi});
      }
    }
    phase("screening");
    ASSIGN_OR_RETURN(auto raw, repo_->ScanRanges(std::move(ranges), 2, deadline));
    int64_t read = 0;
    for (auto& [id, r] : raw) {
      read += static_cast<int64_t>(r.size());
      load[id] = ToLoad(r, interval_of(*by_id[id]), events[id]);
      r.clear();
      r.shrink_to_fit();
    }
    raw_read = read;
    absl::StrAppend(&phases, phases.empty() ? "" : ", ", "meter-days read for clock spans ",
                    days_for[0], ", windows ", days_for[1], ", co-running ", days_for[2],
                    ", whole meters ", whole.size());
    phase("reading scan");
  }

  meters_total = static_cast<int>(binding.size());
  for (const MeterInfo& t : meters) {
    if (t.meter->role() == v1::TREATMENT && in_scope(t.enterprise)) ++meters_total;
  }
  step("METERS");
  int clock_offsets = 0;
  for (const auto& [m, obligations] : binding) {
    ++meters_done;
    step("METERS");
    const std::vector<EffectiveWindow>& all = effective[m];
    if (all.empty()) continue;
    // A clock whole hours off: never a violation; its stops and limits are not judged.
    int offset = 0;
    std::pair<double, double> agreement;
    {
      const v1::FiledListInfo* l = lists[all.front().obligation.list()];
      MeterLoad ml = meter_load(*m, l->season());
      const std::string domain = absl::StrCat(m->meter->name(), "|clock|", l->season());
      offset = DetectClockOffset(ml, all, hull_from, judged_until, params[l->list()], &agreement);
      if (std::any_of(all.begin(), all.end(), [&](const EffectiveWindow& w) {
            return touches_run(absl::FromUnixMicros(w.start_us), absl::FromUnixMicros(w.end_us));
          })) {
        out.judged.insert(domain);
      }
      if (offset != 0) {
        ++clock_offsets;
        const VerificationParams& p = params[l->list()];
        v1::Finding f;
        f.set_type(v1::SUSPECTED_CLOCK_OFFSET);
        f.set_enterprise(m->enterprise);
        f.set_scope(m->meter->name());
        f.set_season(l->season());
        *f.mutable_window_start() = ToTimestamp(absl::FromUnixMicros(all.front().start_us));
        *f.mutable_window_end() =
            ToTimestamp(std::min(absl::FromUnixMicros(all.back().end_us), judged_until));
        f.set_rule(absl::StrFormat(
            "VF3 时间（T81）：电表负荷应与停限产时段同步；整小时平移（最多 %d "
            "小时，clock_offset_max_hours）后吻合度提高至少 %.0f%%"
            "（clock_offset_min_gain_percent）且总体达到 %.0f%%"
            "（clock_offset_min_agreement_percent）的，视为疑似时钟偏差，不作为违规",
            p.clock_offset_max_hours, p.clock_offset_min_gain_percent,
            p.clock_offset_min_agreement_percent));
        f.set_measured(offset);
        f.set_threshold(0);
        f.set_unit("h");
        f.set_summary(absl::StrFormat(
            "%s：按报送时间，负荷与停限产要求吻合的时段占 %.1f%%，推后 %+d 小时读则为 %.1f%%；"
            "其时间疑似按%s填写且未注明时区。重新按正确时区报送数据（cuofeng ingest readings "
            "--time_zone=...）之前，不核查其停产、限产",
            m->label, agreement.first, offset, agreement.second,
            offset == 8 ? " UTC " : "其他时区"));
        f.mutable_evidence()->set_source(m->meter->name());
        *f.mutable_evidence()->mutable_from() = f.window_start();
        *f.mutable_evidence()->mutable_to() = f.window_end();
        add(std::move(f), domain);
      }
    }
    for (size_t index = 0; index < all.size(); ++index) {
      const EffectiveWindow& w = all[index];
      const absl::Time ws = absl::FromUnixMicros(w.start_us), we = absl::FromUnixMicros(w.end_us);
      if (!touches_run(ws, we)) continue;
      const v1::FiledListInfo* l = lists[w.obligation.list()];
      MeterLoad ml = meter_load(*m, l->season());
      out.judged.insert(absl::StrCat(m->meter->name(), "|baseline|", l->season()));
      if (ml.baseline_kw <= 0) {
        if (m->id != 0) {
          unverified(w.obligation, Clamp(ws, from, to), Clamp(we, from, to),
                     v1::UnverifiedWindow::NO_BASELINE, m->meter->name(),
                     "其电表没有本采暖季的基准负荷");
        }
        report_no_baseline(*m, *l);
        continue;
      }
      if (offset != 0) {
        unverified(w.obligation, Clamp(ws, from, to), Clamp(we, from, to),
                   v1::UnverifiedWindow::CLOCK_OFFSET, m->meter->name(),
                   absl::StrFormat("其读数时间疑似偏差 %+d 小时", offset));
      }
      const std::string domain =
          absl::StrCat(m->meter->name(), "|window|", ObligationKey(w.obligation), "|", w.start_us);
      out.judged.insert(domain);
      if (clean_windows.count({m, index})) continue;  // proved to yield nothing
      const bool covering = absl::StartsWith(w.obligation.baseline(), kCoveringMeterBaseline);
      const bool complete = complete_windows.count({m, index}) > 0;
      for (v1::Finding& f : CheckWindow(w, ml, judged_until, params[w.obligation.list()])) {
        if (offset != 0 && f.type() != v1::DATA_GAP) continue;
        if (complete && f.type() == v1::DATA_GAP) continue;  // its readings are there
        f.set_season(l->season());
        f.set_baseline_kw(ml.baseline_kw);
        if (covering) {
          f.set_covered_by(w.obligation.reason());
          f.set_summary(absl::StrCat(f.summary(), "；", w.obligation.reason()));
        }
        add(std::move(f), domain);
      }
    }
  }

  // Treatment runs (and reports) whenever production runs, for the whole
  // time a list binds.
  for (const MeterInfo& t : meters) {
    if (t.meter->role() != v1::TREATMENT || !in_scope(t.enterprise)) continue;
    ++meters_done;
    step("METERS");
    const MeterInfo* production = production_of(t);
    if (production == nullptr) continue;
    for (size_t k = 0; k < periods.size(); ++k) {
      const Period& period = periods[k];
      if (!touches_run(period.start, period.end)) continue;
      MeterLoad pl = meter_load(*production, period.list->season());
      MeterLoad tl = meter_load(t, period.list->season());
      // Screened: each meter's load on the days read for this pair only
      // (the rest cannot be in breach).
      std::vector<LoadSample> p_days, t_days;
      if (!full_scan) {
        auto c = corun.find({&t, k});
        const CoRunDays none;
        const CoRunDays& keep = c == corun.end() ? none : c->second;
        auto only = [&](const std::vector<LoadSample>* from, const std::set<int64_t>& on,
                        std::vector<LoadSample>* to) {
          for (const LoadSample& s : *from) {
            if (on.count(ChinaDay(s.t_us))) to->push_back(s);
          }
        };
        only(pl.load, keep.production, &p_days);
        only(tl.load, keep.treatment, &t_days);
        pl.load = &p_days;
        tl.load = &t_days;
      }
      out.judged.insert(
          absl::StrCat(production->meter->name(), "|baseline|", period.list->season()));
      out.judged.insert(absl::StrCat(t.meter->name(), "|baseline|", period.list->season()));
      if (pl.baseline_kw <= 0) report_no_baseline(*production, *period.list);
      if (tl.baseline_kw <= 0) report_no_baseline(t, *period.list);
      const std::string domain = absl::StrCat(t.meter->name(), "|treatment|", period.list->list(),
                                              "|", absl::ToUnixMicros(period.start));
      out.judged.insert(domain);
      for (v1::Finding& f : CheckCoRunning(pl, tl, period.start, std::min(period.end, judged_until),
                                           params[period.list->list()])) {
        f.set_season(period.list->season());
        f.set_baseline_kw(tl.baseline_kw);
        add(std::move(f), domain);
      }
    }
  }
  phase("meter checks");
  // Live runs judge CEMS minutes and ledger days when those arrived (issue 21).
  if (options.live && !options.cems) return finish();
  step("CEMS");

  // Stack monitoring (CEMS over HJ 212, issue 21): services/cems/verify.h.
  {
    CemsReader cems(repo_->pool());
    CemsRunInput in;
    in.district_id = out.district_id;
    in.from = from;
    in.to = to;
    in.hull_from = hull_from;
    in.hull_to = hull_to;
    in.windows = &windows;
    in.snapshot = &chunks;
    in.lists = lists;
    in.params = cems_params;
    for (const Period& p : periods) in.periods.push_back({p.list, p.start, p.end});
    in.in_scope = in_scope;
    std::map<std::string, std::string> meter_target;
    for (const MeterInfo& m : meters) meter_target[m.meter->name()] = m.target;
    in.target_of = [&](const std::string& meter) { return meter_target[meter]; };
    in.deadline = deadline;
    ASSIGN_OR_RETURN(CemsRunOutput cems_out, RunCemsChecks(cems, in, &out.findings));
    for (size_t i = 0; i < cems_out.findings.size(); ++i)
      add(std::move(cems_out.findings[i]), cems_out.domains[i]);
    out.judged.insert(cems_out.judged.begin(), cems_out.judged.end());
    run.set_monitoring_points(cems_out.points);
    run.set_cems_minutes(cems_out.minutes);
    run.set_production_ledgers(cems_out.ledgers);
    run.set_ledger_days(cems_out.ledger_days);
  }
  phase("CEMS checks");
  if (options.live) return finish();  // the gates are left to batch runs
  step("GATES");

  // Gates (T79, T80): passages, ledger rows, silent cameras. Passages and
  // ledger rows are judged by their own time within the run's range (with
  // the ledger tolerance of context either side); a camera's silence over
  // the whole period a list binds.
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
  int max_tolerance = 0;
  for (const auto& [l, p] : params) max_tolerance = std::max(max_tolerance, p.ledger_match_minutes);
  const absl::Duration tolerance = absl::Minutes(max_tolerance > 0 ? max_tolerance : 30);
  out.gate_from = from;
  out.gate_to = to;
  const absl::Time gate_read_from = std::min(hull_from, from - tolerance);
  const absl::Time gate_read_to = std::max(hull_to, to + tolerance);
  std::vector<Passage> passages;
  std::vector<LedgerEntry> ledger;
  std::map<std::string, std::vector<int64_t>> camera_times;
  ASSIGN_OR_RETURN(auto gate,
                   repo_->GateEvents(out.district_id, gate_read_from, gate_read_to, deadline));
  for (Passage& p : gate) {
    p.enterprise = EnterpriseOf(p.camera);
    camera_times[p.camera].push_back(p.t_us);
    const absl::Time t = absl::FromUnixMicros(p.t_us);
    if (t >= from - tolerance && t < to + tolerance && in_period(t) != nullptr)
      passages.push_back(std::move(p));
  }
  ASSIGN_OR_RETURN(auto rows,
                   repo_->LedgerRows(out.district_id, from - tolerance, to + tolerance, deadline));
  for (LedgerEntry& l : rows) {
    if (in_period(absl::FromUnixMicros(l.t_us)) != nullptr) ledger.push_back(std::move(l));
  }
  auto in_run = [&](int64_t us) {
    return absl::FromUnixMicros(us) >= from && absl::FromUnixMicros(us) < to;
  };
  std::vector<const VehicleFacts*> passage_vehicles;
  int32_t gate_events = 0, ledger_rows = 0;
  for (const LedgerEntry& l : ledger) ledger_rows += in_run(l.t_us) ? 1 : 0;
  for (const Passage& p : passages) {
    auto v = vehicles.find(p.plate);
    const VehicleFacts* facts = v == vehicles.end() ? nullptr : &v->second;
    passage_vehicles.push_back(facts);
    if (!in_run(p.t_us)) continue;
    ++gate_events;
    const v1::Obligation* strictest = nullptr;
    for (const v1::Obligation* o : transport[p.enterprise]) {
      const int64_t ws = absl::ToUnixMicros(FromTimestamp(o->window_start()));
      const int64_t we =
          o->has_window_end() ? absl::ToUnixMicros(FromTimestamp(o->window_end())) : INT64_MAX;
      if (p.t_us < ws || p.t_us >= we) continue;
      if (strictest == nullptr ||
          StricterTransport(o->transport(), strictest->transport()) != strictest->transport()) {
        strictest = o;
      }
    }
    const Period* period = in_period(absl::FromUnixMicros(p.t_us));
    for (v1::Finding& f : CheckPassage(p, facts, strictest, params[period->list->list()]))
      add(std::move(f), "gate");
  }
  run.set_gate_events(gate_events);
  run.set_ledger_rows(ledger_rows);
  const VerificationParams& gate_params =
      periods.empty() ? VerificationParams() : params[periods.back().list->list()];
  for (v1::Finding& f : CheckLedger(passages, ledger, passage_vehicles,
                                    absl::Minutes(gate_params.ledger_match_minutes))) {
    if (in_run(absl::ToUnixMicros(FromTimestamp(f.window_start())))) add(std::move(f), "gate");
  }
  for (const v1::Camera* cam : cameras) {
    const absl::Time installed =
        cam->installed_date().empty() ? absl::InfinitePast() : DayStart(cam->installed_date());
    for (const Period& period : periods) {
      if (!touches_run(period.start, period.end)) continue;
      const absl::Time start = std::max(period.start, installed);
      const absl::Time end = std::min(period.end, judged_until);
      if (start >= end) continue;
      const std::string domain = absl::StrCat(cam->name(), "|camera|", period.list->list(), "|",
                                              absl::ToUnixMicros(period.start));
      out.judged.insert(domain);
      for (v1::Finding& f :
           CheckCameraSilence(cam->name(), EnterpriseOf(cam->name()), camera_times[cam->name()],
                              start, end, params[period.list->list()])) {
        add(std::move(f), domain);
      }
    }
  }

  phase("gate checks");
  std::cerr << "verification of " << district << ": " << run.readings() << " readings"
            << (full_scan ? std::string(" (full scan)")
                          : absl::StrCat(" (", raw_read, " read raw)"))
            << "; " << phases << "\n";
  return finish();
}

LiveVerifier::LiveVerifier(Verifier* verifier, ComplianceRepository* repo, Store store,
                           absl::Duration sweep, std::string service_authorization,
                           std::string service_key_name)
    : verifier_(verifier),
      repo_(repo),
      store_(std::move(store)),
      sweep_(sweep),
      service_authorization_(std::move(service_authorization)),
      service_key_name_(std::move(service_key_name)) {
  thread_ = std::thread([this] { Loop(); });
}

LiveVerifier::~LiveVerifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LiveVerifier::Arrived(const std::set<std::string>& meters, absl::Time from, absl::Time to,
                           const std::string& authorization, const std::string& key_name) {
  if (meters.empty() || from > to) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& m : meters) {
      const std::string district = DistrictOf(m);
      if (district.empty()) continue;
      Pending& p = pending_[district];
      p.meters.insert(m);
      p.cems = p.cems || absl::StrContains(m, "/monitoringPoints/") ||
               absl::StrContains(m, "/productionLedgers/");
      p.from = std::min(p.from, from);
      p.to = std::max(p.to, to);
      p.authorization = authorization;
      p.key_name = key_name;
      Pending& s = seen_[district];
      s.authorization = authorization;
      s.key_name = key_name;
    }
  }
  cv_.notify_all();
}

absl::StatusOr<std::map<std::string, LiveVerifier::CemsDevice>> LiveVerifier::CemsDevices() {
  std::map<std::string, CemsDevice> out;
  RETURN_IF_ERROR(InTransaction(
      *repo_->pool(),
      [&](pqxx::work& tx) {
        tx.exec0("SET LOCAL statement_timeout = 30000");
        // Two probes of the packet table's key per device the receiver has
        // counted (cems.daily_count is small: a row per device and day).
        for (const auto& r :
             tx.exec("SELECT d.mn, last.point, "
                     "(extract(epoch from (SELECT min(k.data_time) FROM cems.packet k "
                     "WHERE k.mn = d.mn AND k.cn = 2051)) * 1000000)::int8, "
                     "(extract(epoch from last.data_time) * 1000000)::int8 "
                     "FROM (SELECT DISTINCT mn FROM cems.daily_count WHERE mn <> '') d "
                     "CROSS JOIN LATERAL (SELECT p.point, p.data_time FROM cems.packet p "
                     "WHERE p.mn = d.mn AND p.cn = 2051 ORDER BY p.data_time DESC LIMIT 1) last")) {
          out[r[0].as<std::string>()] = {r[1].as<std::string>(),
                                         absl::FromUnixMicros(r[2].as<int64_t>()),
                                         absl::FromUnixMicros(r[3].as<int64_t>())};
        }
        return absl::OkStatus();
      },
      Isolation::kReadOnly));
  return out;
}

void LiveVerifier::Loop() {
  absl::Time next_sweep = absl::Now() + sweep_;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_until(lock, absl::ToChronoTime(std::min(next_sweep, absl::Now() + absl::Seconds(1))),
                   [&] { return stop_ || !pending_.empty(); });
    if (stop_) break;
    std::map<std::string, Pending> work;
    work.swap(pending_);
    const bool sweep = sweep_ > absl::ZeroDuration() && absl::Now() >= next_sweep;
    std::map<std::string, Pending> seen = seen_;
    lock.unlock();
    for (const auto& [district, p] : work) RunOne(district, p);
    if (sweep) {
      // Issue 21: CEMS minutes reach the database through the HJ 212
      // receiver, not through an ingest call: the sweep looks at where each
      // device's minutes end now; what arrived since the last sweep (from a
      // device's last minute then, or its first) is judged.
      std::map<std::string, std::pair<absl::Time, absl::Time>> arrived;  // by district
      if (!seen.empty() || !service_authorization_.empty()) {
        auto devices = CemsDevices();
        if (!devices.ok()) {
          std::cerr << "live verification: reading where the CEMS data ends failed: "
                    << devices.status() << "\n";
        } else {
          std::lock_guard<std::mutex> relock(mu_);
          for (const auto& [mn, d] : *devices) {
            const std::string district = DistrictOf(d.point);
            if (seen.count(district) == 0) {
              if (service_authorization_.empty() || district.empty()) {
                continue;  // no key to judge it with yet
              }
              // The receiver's service key: judged from the first packet.
              Pending& s = seen_[district];
              s.authorization = service_authorization_;
              s.key_name = service_key_name_;
              seen[district] = s;
            }
            auto last = cems_swept_.find(mn);
            if (last != cems_swept_.end() && last->second == d.last) continue;
            const absl::Time from = last == cems_swept_.end() ? d.first : last->second;
            cems_swept_[mn] = d.last;
            auto [it, fresh] =
                arrived.emplace(district, std::make_pair(from, d.last + absl::Minutes(1)));
            if (!fresh) {
              it->second.first = std::min(it->second.first, from);
              it->second.second = std::max(it->second.second, d.last + absl::Minutes(1));
            }
          }
        }
      }
      for (auto& [district, p] : seen) {
        // At the district's data end, every meter: a silent one's windows too.
        auto end = repo_->DataEnd(district.substr(district.find('/') + 1),
                                  absl::Now() + absl::Seconds(30));
        bool meters_new = false;
        if (end.ok() && *end != absl::InfinitePast()) {
          std::lock_guard<std::mutex> relock(mu_);
          auto s = swept_.find(district);
          meters_new = s == swept_.end() || s->second != *end;
          swept_[district] = *end;
        }
        auto cems = arrived.find(district);
        if (!meters_new && cems == arrived.end()) continue;
        p.from = absl::InfiniteFuture();
        p.to = absl::InfinitePast();
        if (meters_new) {
          p.from = *end - std::max(sweep_, absl::Hours(1));
          p.to = *end;
        }
        // Every monitoring point too when CEMS data arrived: a point gone
        // silent in a binding window gets its finding without a minute of its own.
        p.cems = cems != arrived.end();
        if (p.cems) {
          p.from = std::min(p.from, cems->second.first);
          p.to = std::max(p.to, cems->second.second);
        }
        RunOne(district, p);
      }
      next_sweep = absl::Now() + sweep_;
    }
    lock.lock();
  }
}

void LiveVerifier::RunOne(const std::string& district, const Pending& p) {
  RunOptions options;
  options.meters = p.meters;
  options.live = true;
  options.cems = p.cems;
  auto outcome = verifier_->Run(district, p.from, p.to + absl::Microseconds(1), p.authorization,
                                absl::Now() + absl::Minutes(2), options);
  if (!outcome.ok()) {
    std::cerr << "live verification of " << district << " failed: " << outcome.status() << "\n";
    return;
  }
  if (outcome->skipped) return;
  absl::Status stored = store_(*outcome, absl::StrCat(p.key_name, " (live)"));
  if (!stored.ok()) {
    std::cerr << "live verification of " << district << ": storing failed: " << stored << "\n";
  }
}

}  // namespace cuofeng
