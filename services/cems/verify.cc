#include "services/cems/verify.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/auth/policy.h"
#include "lib/model/clock.h"
#include "lib/verification/verification.h"

namespace cuofeng {
namespace {

absl::Time DayStart(const std::string& day) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", day, absl::FixedTimeZone(8 * 3600), &t, &err))
    return absl::InfinitePast();
  return t;
}

std::string ObligationKey(const v1::Obligation& o) {
  return absl::StrCat(o.entry(), "+", o.alert(), "@", o.alert_revision(), "@",
                      o.window_start().seconds());
}

bool Related(const std::string& a, const std::string& b) {
  return IsWithin(a, b) || IsWithin(b, a);
}

std::string ChinaDay(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d", t, absl::FixedTimeZone(8 * 3600));
}

// Material balance (物料衡算, T75): every production ledger in scope against
// the stops and limits that bind all of its line, and its word on the
// electricity and CEMS findings about the same line.
absl::Status RunMaterialBalance(CemsReader& reader, const CemsRunInput& in,
                                const std::map<std::string, std::string>& point_targets,
                                size_t electricity_count, std::vector<v1::Finding>* electricity,
                                CemsRunOutput* out) {
  if (in.lists.empty()) return absl::OkStatus();
  const std::vector<CemsReader::LedgerRow> ledgers = CemsReader::Ledgers(*in.snapshot);
  if (ledgers.empty()) return absl::OkStatus();
  // Ledger days from the earliest reference window to the end of the hull.
  absl::Time read_from = in.hull_from;
  for (const auto& [name, l] : in.lists) {
    VerificationParams vp;
    vp.baseline_reference_days = in.params.at(name).baseline_reference_days;
    read_from = std::min(read_from, ReferenceWindow(l->season_start(), vp).first);
  }
  const absl::Time read_to = std::min(in.hull_to, Now() + absl::Hours(48));
  if (read_to <= read_from) return absl::OkStatus();
  auto days_by_ledger = reader.LedgerDays(in.district_id, ChinaDay(read_from),
                                          ChinaDay(read_to + absl::Hours(24)), in.deadline);
  if (!days_by_ledger.ok()) return days_by_ledger.status();
  auto touches_run = [&](int64_t a, int64_t b) {
    return absl::FromUnixMicros(a) < in.to && absl::FromUnixMicros(b) > in.from;
  };
  static const std::vector<ProductionDay> kNone;
  for (const CemsReader::LedgerRow& row : ledgers) {
    if (!in.in_scope(row.line.enterprise)) continue;
    auto found_days = days_by_ledger->find(row.line.name);
    const std::vector<ProductionDay>& days =
        found_days == days_by_ledger->end() ? kNone : found_days->second;
    // What binds all of the line.
    std::vector<const v1::Obligation*> full;
    for (const v1::Obligation& o : in.windows->obligations()) {
      if (Measurable(o.action()) && in.lists.count(o.list()) &&
          o.enterprise() == row.line.enterprise && IsWithin(row.target, o.resource())) {
        full.push_back(&o);
      }
    }
    ++out->ledgers;
    out->ledger_days += static_cast<int64_t>(days.size());
    // The normal daily output per season: declared, else the mean of the
    // producing days of the reference window.
    std::map<std::string, ProductionLine> lines;  // by list
    auto line_for = [&](const std::string& list) -> const ProductionLine& {
      auto it = lines.find(list);
      if (it != lines.end()) return it->second;
      ProductionLine line = row.line;
      const CemsParams& params = in.params.at(list);
      if (row.declared) {
        line.normal_output = row.declared_output;
        line.normal_source = "企业申报";
      } else {
        VerificationParams vp;
        vp.baseline_reference_days = params.baseline_reference_days;
        auto [ref_from, ref_to] = ReferenceWindow(in.lists.at(list)->season_start(), vp);
        const std::string a = ChinaDay(ref_from), b = ChinaDay(ref_to);
        double sum = 0;
        int n = 0;
        for (const ProductionDay& d : days) {
          if (d.day >= a && d.day < b && d.output > 0) {
            sum += d.output;
            ++n;
          }
        }
        if (n >= params.material_min_reference_days && n > 0) {
          line.normal_output = sum / n;
          line.normal_source = absl::StrCat("基准期 ", a, " 至 ", b, " 前 ", n, " 个生产日的均值");
        } else {
          line.normal_output = 0;
          line.normal_source = absl::StrCat("基准期生产日 ", n, " 天，不足 ",
                                            params.material_min_reference_days, " 天：只判停产日");
        }
      }
      return lines[list] = std::move(line);
    };
    std::vector<size_t> mine;  // this ledger's findings in out->findings
    for (const EffectiveWindow& w : EffectiveWindows(full, in.hull_from, in.hull_to)) {
      if (!touches_run(w.start_us, w.end_us)) continue;
      const std::string& list = w.obligation.list();
      const std::string domain =
          absl::StrCat(row.line.name, "|material|", ObligationKey(w.obligation), "|", w.start_us);
      out->judged.insert(domain);
      const v1::FiledListInfo* l = in.lists.at(list);
      for (auto& f : CheckMaterialBalance(line_for(list), days, {w},
                                          in.params.at(list).material_tolerance_percent)) {
        f.set_season(l->season());
        mine.push_back(out->findings.size());
        out->findings.push_back(std::move(f));
        out->domains.push_back(domain);
      }
    }
    // Corroboration: the ledger's word on the stop and limit findings of the
    // other sources about the same line, and theirs on its own findings.
    auto related = [&](const v1::Finding& f, bool cems) {
      if (f.enterprise() != row.line.enterprise) return false;
      if (cems) {
        auto t = point_targets.find(f.scope());
        return t != point_targets.end() && Related(t->second, row.target);
      }
      return Related(in.target_of(f.scope()), row.target);
    };
    auto consider = [&](v1::Finding& e, bool cems) {
      if (!(e.type() == v1::STOP_NOT_KEPT || e.type() == v1::LIMIT_EXCEEDED ||
            e.type() == v1::CEMS_FLOW_IN_STOP) ||
          !related(e, cems)) {
        return;
      }
      bool linked = false;
      for (size_t i : mine) {
        v1::Finding& balance = out->findings[i];
        if (!LinkMaterialBalance(&balance, e)) continue;
        linked = true;
        v1::Corroboration* c = e.add_corroboration();
        c->set_source("material_balance");
        c->set_resource(balance.scope());
        c->set_supports(true);
        c->set_detail(balance.summary());
        CountSupportingSources(&e);
      }
      if (linked) return;
      std::string list = in.lists.begin()->first;
      for (const auto& [name, l] : in.lists) {
        if (l->season() == e.season()) list = name;
      }
      const double allowed = e.baseline_kw() > 0 ? e.threshold() / e.baseline_kw() : 0;
      CorroborateWithLedger(&e, line_for(list), days, allowed,
                            in.params.at(list).material_tolerance_percent);
    };
    for (size_t i = 0; i < electricity_count; ++i) consider((*electricity)[i], false);
    const size_t own_from = mine.empty() ? out->findings.size() : mine.front();
    for (size_t i = 0; i < own_from; ++i) consider(out->findings[i], true);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CemsRunOutput> RunCemsChecks(CemsReader& reader, const CemsRunInput& in,
                                            std::vector<v1::Finding>* electricity) {
  CemsRunOutput out;
  auto points = reader.Points(*in.snapshot, in.deadline);
  if (!points.ok()) return points.status();
  std::vector<std::string> mns;
  for (const auto& p : *points) mns.push_back(p.mn);
  auto data_end = reader.DataEnd(mns, in.deadline);
  if (!data_end.ok()) return data_end.status();
  // Judged up to where the district's CEMS data ends (never past now): a
  // feed that has not arrived yet is not a device gone silent.
  const absl::Time until = std::min(*data_end, Now());
  auto touches_run = [&](absl::Time a, absl::Time b) { return a < in.to && b > in.from; };
  auto add = [&](v1::Finding f, const std::string& domain, const v1::FiledListInfo* list) {
    if (list != nullptr) f.set_season(list->season());
    out.findings.push_back(std::move(f));
    out.domains.push_back(domain);
  };
  const size_t electricity_count = electricity->size();
  for (const CemsReader::PointRow& row : *points) {
    const CemsPoint& point = row.point;
    if (!in.in_scope(point.enterprise)) continue;
    // What binds what the point serves: all of it (`full`), or part of it.
    std::vector<const v1::Obligation*> any, full;
    for (const v1::Obligation& o : in.windows->obligations()) {
      if (!Measurable(o.action()) || in.lists.count(o.list()) == 0 ||
          o.enterprise() != point.enterprise)
        continue;
      if (IsWithin(point.target, o.resource())) {
        full.push_back(&o);
        any.push_back(&o);
      } else if (IsWithin(o.resource(), point.target)) {
        any.push_back(&o);
      }
    }
    std::vector<const CemsRunInput::Period*> periods;
    absl::Time read_from = in.hull_from;
    for (const CemsRunInput::Period& p : in.periods) {
      if (!touches_run(p.start, p.end)) continue;
      periods.push_back(&p);
      VerificationParams vp;
      vp.baseline_reference_days = in.params.at(p.list->list()).baseline_reference_days;
      read_from = std::min(read_from, ReferenceWindow(p.list->season_start(), vp).first);
    }
    if (periods.empty() && any.empty()) continue;
    ++out.points;
    auto read = reader.Minutes({row.mn}, read_from, in.hull_to, in.deadline);
    if (!read.ok()) return read.status();
    const std::vector<CemsMinute>& minutes = (*read)[row.mn];
    out.minutes += static_cast<int64_t>(minutes.size());

    // The season's checks over each period a list binds: transmission (T81),
    // concentrations (T30), signs of fabrication.
    for (const CemsRunInput::Period* p : periods) {
      const CemsParams& params = in.params.at(p->list->list());
      const absl::Time end = std::min(p->end, until);
      const std::string domain =
          absl::StrCat(point.name, "|cems|", p->list->list(), "|", absl::ToUnixMicros(p->start));
      out.judged.insert(domain);
      if (p->start >= end) continue;
      // Transmission is expected from the point's registration or first
      // data, whichever is earlier.
      const absl::Time expected_from = std::max(p->start, row.expected_from);
      if (expected_from < end) {
        for (auto& f : CheckTransmission(point, minutes, expected_from, end, params))
          add(std::move(f), domain, p->list);
      }
      for (auto& f : CheckOverLimit(point, minutes, p->start, end, params))
        add(std::move(f), domain, p->list);
      for (auto& f : CheckFabrication(point, minutes, p->start, end, params))
        add(std::move(f), domain, p->list);
    }

    // T83: the CEMS keeps transmitting while a stop or limit binds.
    for (const EffectiveWindow& w : EffectiveWindows(any, in.hull_from, in.hull_to)) {
      if (!touches_run(absl::FromUnixMicros(w.start_us), absl::FromUnixMicros(w.end_us))) continue;
      const std::string domain =
          absl::StrCat(point.name, "|cems-window|", ObligationKey(w.obligation), "|", w.start_us);
      out.judged.insert(domain);
      // Expected from the point's registration or first data, as above.
      EffectiveWindow expected = w;
      expected.start_us = std::max(w.start_us, absl::ToUnixMicros(row.expected_from));
      if (expected.start_us >= expected.end_us) continue;
      for (auto& f :
           CheckCemsInWindow(point, minutes, expected, until, in.params.at(w.obligation.list())))
        add(std::move(f), domain, in.lists.at(w.obligation.list()));
    }

    // A stop of all the point serves: the flue-gas flow must fall.
    const std::vector<EffectiveWindow> stops_binding =
        EffectiveWindows(full, in.hull_from, in.hull_to);
    std::vector<std::pair<int64_t, int64_t>> stops;
    for (const EffectiveWindow& w : stops_binding) {
      if (w.obligation.action() == v1::STOP || w.obligation.action() == v1::RECTIFY)
        stops.push_back({w.start_us, w.end_us});
    }
    std::map<std::string, double> normal;  // by season
    std::map<std::string, std::string> normal_method;
    auto normal_flow = [&](const v1::FiledListInfo* l) {
      auto it = normal.find(l->season());
      if (it != normal.end()) return it->second;
      VerificationParams vp;
      vp.baseline_reference_days = in.params.at(l->list()).baseline_reference_days;
      auto [ref_from, ref_to] = ReferenceWindow(l->season_start(), vp);
      const absl::Time season_start = DayStart(l->season_start());
      const double n = NormalFlow(minutes, ref_from, ref_to, std::max(season_start, in.hull_from),
                                  std::min(in.hull_to, until), stops, &normal_method[l->season()]);
      normal[l->season()] = n;
      return n;
    };
    for (const EffectiveWindow& w : stops_binding) {
      if (!(w.obligation.action() == v1::STOP || w.obligation.action() == v1::RECTIFY)) continue;
      if (!touches_run(absl::FromUnixMicros(w.start_us), absl::FromUnixMicros(w.end_us))) continue;
      const v1::FiledListInfo* l = in.lists.at(w.obligation.list());
      const std::string domain =
          absl::StrCat(point.name, "|cems-stop|", ObligationKey(w.obligation), "|", w.start_us);
      out.judged.insert(domain);
      const double n = normal_flow(l);
      for (auto& f : CheckFlowInStop(point, minutes, w, n, until, in.params.at(l->list()))) {
        f.set_summary(absl::StrCat(f.summary(), "；正常流量：", normal_method[l->season()]));
        add(std::move(f), domain, l);
      }
    }

    // Corroboration: the CEMS's word on the electricity findings about what
    // the point serves, and the stop findings of both sources linked.
    if (in.lists.empty()) continue;
    const v1::FiledListInfo* any_list = in.lists.begin()->second;
    for (size_t i = 0; i < electricity_count; ++i) {
      v1::Finding& e = (*electricity)[i];
      if (e.enterprise() != point.enterprise ||
          !(e.type() == v1::STOP_NOT_KEPT || e.type() == v1::LIMIT_EXCEEDED))
        continue;
      if (!Related(in.target_of(e.scope()), point.target)) continue;
      bool linked = false;
      for (v1::Finding& f : out.findings) {
        if (f.scope() == point.name) linked = LinkFlowAndStop(&f, &e) || linked;
      }
      if (linked) continue;
      const v1::FiledListInfo* l = any_list;
      for (const auto& [name, list] : in.lists) {
        if (list->season() == e.season()) l = list;
      }
      const double allowed = e.baseline_kw() > 0 ? e.threshold() / e.baseline_kw() : 0;
      Corroborate(&e, point, minutes, normal_flow(l), allowed, in.params.at(l->list()));
    }
  }
  std::map<std::string, std::string> point_targets;
  for (const CemsReader::PointRow& row : *points) point_targets[row.point.name] = row.point.target;
  if (absl::Status st =
          RunMaterialBalance(reader, in, point_targets, electricity_count, electricity, &out);
      !st.ok()) {
    return st;
  }
  return out;
}

}  // namespace cuofeng
