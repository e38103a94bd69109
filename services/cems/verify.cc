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

}  // namespace

absl::StatusOr<CemsRunOutput> RunCemsChecks(CemsReader& reader, const CemsRunInput& in,
                                            std::vector<v1::Finding>* electricity) {
  CemsRunOutput out;
  auto points = reader.Points(in.district_id, in.deadline);
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
        f.set_summary(absl::StrCat(f.summary(), "; normal flow: ", normal_method[l->season()]));
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
  return out;
}

}  // namespace cuofeng
