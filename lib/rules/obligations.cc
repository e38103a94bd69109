#include "lib/rules/obligations.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "lib/model/labels.h"
#include "lib/rules/measures.h"

namespace cuofeng {
namespace {

const absl::TimeZone& China() {
  static const absl::TimeZone* tz = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  return *tz;
}

absl::Time DayStart(const std::string& day) {
  absl::CivilDay d;
  if (!absl::ParseCivilTime(day, &d)) return absl::InfinitePast();
  return absl::FromCivil(d, China());
}

absl::Time DayAfter(const std::string& day) {
  absl::CivilDay d;
  if (!absl::ParseCivilTime(day, &d)) return absl::InfiniteFuture();
  return absl::FromCivil(d + 1, China());
}

// The list binding at t: filed and not superseded by then, for a season
// that contains t's day; the latest filed if several.
const FiledList* ListAt(const std::vector<FiledList>& lists, absl::Time t) {
  const std::string day = absl::FormatTime("%Y-%m-%d", t, China());
  const FiledList* found = nullptr;
  for (const FiledList& l : lists) {
    if (l.in_force_from <= t && t < l.in_force_until && l.season_start <= day &&
        day <= l.season_end && (found == nullptr || l.in_force_from > found->in_force_from)) {
      found = &l;
    }
  }
  return found;
}

bool Covers(const AlertRevision& a, const std::string& district) {
  return a.districts.empty() ||
         std::find(a.districts.begin(), a.districts.end(), district) != a.districts.end();
}

const v1::Measure& LevelMeasure(const v1::ListEntry& e, v1::AlertLevel level) {
  return level == v1::YELLOW ? e.yellow() : level == v1::ORANGE ? e.orange() : e.red();
}

// Every instant at which something about `enterprise` may change.
std::vector<absl::Time> ChangePoints(const std::vector<FiledList>& lists,
                                     const std::vector<AlertRevision>& alerts,
                                     const std::string& district, const std::string& enterprise) {
  std::set<absl::Time> points;
  for (const FiledList& l : lists) {
    points.insert(l.in_force_from);
    points.insert(l.in_force_until);
    points.insert(DayStart(l.season_start));
    points.insert(DayAfter(l.season_end));
    for (const v1::Period& p : l.staggered) {
      points.insert(DayStart(p.start()));
      points.insert(DayAfter(p.end()));
    }
    auto it = l.entries.find(enterprise);
    if (it == l.entries.end()) continue;
    for (const v1::ListEntry& e : it->second) points.insert(DayStart(e.effective_from()));
  }
  for (const AlertRevision& a : alerts) {
    if (!Covers(a, district)) continue;
    points.insert(a.start);
    points.insert(a.effective);
    points.insert(a.end);
  }
  points.erase(absl::InfinitePast());
  points.erase(absl::InfiniteFuture());
  return {points.begin(), points.end()};
}

bool SameObligation(const v1::Obligation& a, const v1::Obligation& b) {
  return a.resource() == b.resource() && a.action() == b.action() && a.percent() == b.percent() &&
         a.transport() == b.transport() && a.stop_non_road() == b.stop_non_road() &&
         a.list() == b.list() && a.entry() == b.entry() && a.alert() == b.alert() &&
         a.alert_revision() == b.alert_revision();
}

void SetTime(google::protobuf::Timestamp* ts, absl::Time t) {
  const int64_t nanos = absl::ToUnixNanos(t);
  ts->set_seconds(nanos / 1000000000);
  ts->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

}  // namespace

std::string ChinaDay(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, China()); }

const AlertRevision* AlertAt(const std::vector<AlertRevision>& alerts, const std::string& district,
                             absl::Time t) {
  // The latest revision of each alert that has taken effect by t.
  std::map<std::string, const AlertRevision*> latest;
  for (const AlertRevision& a : alerts) {
    if (a.effective > t || !Covers(a, district)) continue;
    const AlertRevision*& slot = latest[a.name];
    if (slot == nullptr || a.revision > slot->revision) slot = &a;
  }
  const AlertRevision* best = nullptr;
  for (const auto& [name, a] : latest) {
    if (a->lifted || t < a->start || t >= a->end) continue;
    if (best == nullptr || a->level > best->level ||
        (a->level == best->level && a->name < best->name)) {
      best = a;
    }
  }
  return best;
}

v1::ObligationSet ObligationsAt(const std::vector<FiledList>& lists,
                                const std::vector<AlertRevision>& alerts,
                                const std::string& district, const std::string& enterprise,
                                absl::Time t) {
  v1::ObligationSet out;
  out.set_enterprise(enterprise);
  SetTime(out.mutable_at(), t);
  const FiledList* list = ListAt(lists, t);
  if (list == nullptr) return out;  // no filed list: nothing binds
  out.set_list(list->name);
  const AlertRevision* alert = AlertAt(alerts, district, t);
  if (alert != nullptr) out.set_level(alert->level);
  const std::string day = ChinaDay(t);
  bool staggered = false;
  for (const v1::Period& p : list->staggered)
    staggered = staggered || (p.start() <= day && day <= p.end());
  auto it = list->entries.find(enterprise);
  if (it == list->entries.end()) return out;
  // The window: between the change points around t.
  std::vector<absl::Time> points = ChangePoints(lists, alerts, district, enterprise);
  absl::Time start = absl::InfinitePast(), end = absl::InfiniteFuture();
  for (absl::Time p : points) {
    if (p <= t) start = p;
    if (p > t) {
      end = p;
      break;
    }
  }
  // For each resource, the latest entry in effect by this day.
  std::map<std::string, const v1::ListEntry*> current;
  for (const v1::ListEntry& e : it->second) {
    if (e.effective_from() > day) continue;
    const v1::ListEntry*& slot = current[e.resource()];
    if (slot == nullptr || e.effective_from() > slot->effective_from()) slot = &e;
  }
  for (const auto& [resource, e] : current) {
    // Outside the staggered period only what binds all season holds (T77
    // 停产整治, T17, T19); the staggered measures rest.
    v1::Measure season =
        staggered || BindsOutsideStaggeredPeriod(e->season()) ? e->season() : Run();
    v1::Measure m = alert != nullptr ? Stricter(season, LevelMeasure(*e, alert->level)) : season;
    v1::Obligation* o = out.add_obligations();
    o->set_resource(resource);
    o->set_resource_name(e->resource_name());
    o->set_enterprise(enterprise);
    o->set_action(m.action());
    o->set_percent(m.percent());
    o->set_transport(m.transport() == v1::TRANSPORT_RULE_UNSPECIFIED ? v1::NO_TRANSPORT_RULE
                                                                     : m.transport());
    o->set_stop_non_road(m.stop_non_road());
    o->set_list(list->name);
    o->set_entry(e->name());
    o->set_in_staggered_period(staggered);
    if (alert != nullptr) {
      o->set_alert(alert->name);
      o->set_alert_revision(alert->revision);
      o->set_level(alert->level);
    }
    if (m.action() == v1::LIMIT || m.action() == v1::CAP) {
      o->set_baseline("基线：环评批复产能、排污许可产能与上年实际产量日均值中的最小值");
    }
    if (start != absl::InfinitePast()) SetTime(o->mutable_window_start(), start);
    if (end != absl::InfiniteFuture()) SetTime(o->mutable_window_end(), end);
    std::string why = absl::StrCat(Describe(m), "。依据：");
    for (const auto& r : e->reasons())
      absl::StrAppend(&why, r.rule_id(), "（", r.seed_clause(), "） ");
    if (staggered) absl::StrAppend(&why, "；错峰时段内");
    if (alert != nullptr) {
      // The alert itself (name, 文号) travels in the obligation's fields.
      absl::StrAppend(&why, "；", ChineseLabel(v1::AlertLevel_Name(alert->level)), "预警（第",
                      alert->revision, "版）");
    }
    o->set_reason(why);
  }
  return out;
}

std::vector<v1::Obligation> ObligationWindows(const std::vector<FiledList>& lists,
                                              const std::vector<AlertRevision>& alerts,
                                              const std::string& district, absl::Time from,
                                              absl::Time to) {
  std::set<std::string> enterprises;
  for (const FiledList& l : lists) {
    if (l.in_force_until <= from || l.in_force_from >= to) continue;
    for (const auto& [e, entries] : l.entries) enterprises.insert(e);
  }
  std::vector<v1::Obligation> out;
  for (const std::string& enterprise : enterprises) {
    std::vector<absl::Time> cuts = {from};
    for (absl::Time p : ChangePoints(lists, alerts, district, enterprise)) {
      if (p > from && p < to) cuts.push_back(p);
    }
    cuts.push_back(to);
    std::map<std::string, v1::Obligation> open;  // by resource: the window being extended
    auto close = [&](const std::string& resource) {
      auto it = open.find(resource);
      if (it == open.end()) return;
      out.push_back(std::move(it->second));
      open.erase(it);
    };
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      v1::ObligationSet set = ObligationsAt(lists, alerts, district, enterprise, cuts[i]);
      std::set<std::string> seen;
      for (v1::Obligation& o : *set.mutable_obligations()) {
        // Verification looks at what restricts: skip plain running.
        if ((o.action() == v1::RUN || o.action() == v1::VOLUNTARY) &&
            o.transport() == v1::NO_TRANSPORT_RULE && !o.stop_non_road()) {
          continue;
        }
        seen.insert(o.resource());
        SetTime(o.mutable_window_start(), cuts[i]);
        SetTime(o.mutable_window_end(), cuts[i + 1]);
        auto it = open.find(o.resource());
        if (it != open.end() && SameObligation(it->second, o)) {
          *it->second.mutable_window_end() = o.window_end();
          continue;
        }
        close(o.resource());
        open.emplace(o.resource(), std::move(o));
      }
      std::vector<std::string> ended;
      for (const auto& [resource, o] : open) {
        if (!seen.count(resource)) ended.push_back(resource);
      }
      for (const auto& r : ended) close(r);
    }
    std::vector<std::string> rest;
    for (const auto& [resource, o] : open) rest.push_back(resource);
    for (const auto& r : rest) close(r);
  }
  std::sort(out.begin(), out.end(), [](const v1::Obligation& a, const v1::Obligation& b) {
    return std::make_tuple(a.enterprise(), a.resource(), a.window_start().seconds()) <
           std::make_tuple(b.enterprise(), b.resource(), b.window_start().seconds());
  });
  return out;
}

}  // namespace cuofeng
