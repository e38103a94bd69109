#include "lib/rules/alert_impact.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace cuofeng {
namespace {

// What a facility must do, as the preview compares it (not why).
bool SameMeasure(const v1::Obligation* a, const v1::Obligation* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return a->action() == b->action() && a->percent() == b->percent() &&
         a->transport() == b->transport() && a->stop_non_road() == b->stop_non_road();
}

// The same measure from the same source (level and alert): one span.
bool SameBinding(const v1::Obligation* a, const v1::Obligation* b) {
  return SameMeasure(a, b) &&
         (a == nullptr || (a->level() == b->level() && a->alert() == b->alert()));
}

using Key = std::pair<std::string, std::string>;  // enterprise, resource

std::map<Key, std::vector<v1::Obligation>> ByResource(std::vector<v1::Obligation> windows) {
  std::map<Key, std::vector<v1::Obligation>> out;
  for (v1::Obligation& o : windows) {
    Key key{o.enterprise(), o.resource()};
    out[key].push_back(std::move(o));
  }
  return out;
}

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void Set(google::protobuf::Timestamp* ts, absl::Time t) {
  const int64_t nanos = absl::ToUnixNanos(t);
  ts->set_seconds(nanos / 1000000000);
  ts->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

// The window of `windows` holding `t`, or nullptr.
const v1::Obligation* At(const std::vector<v1::Obligation>* windows, absl::Time t) {
  if (windows == nullptr) return nullptr;
  for (const v1::Obligation& o : *windows) {
    if (TimeOf(o.window_start()) <= t && t < TimeOf(o.window_end())) return &o;
  }
  return nullptr;
}

// The obligation as the impact shows it: its measure and its source, the
// span being the impact's own.
void Put(const v1::Obligation* o, v1::Obligation* out) {
  *out = *o;
  out->clear_window_start();
  out->clear_window_end();
}

// The instant after the last season day any of `lists` binds.
absl::Time ListsEnd(const std::vector<FiledList>& lists, absl::Time from) {
  static const absl::TimeZone china = absl::FixedTimeZone(8 * 3600);
  absl::Time end = from;
  for (const FiledList& l : lists) {
    absl::CivilDay d;
    if (!absl::ParseCivilTime(l.season_end, &d)) continue;
    end = std::max(end, std::min(l.in_force_until, absl::FromCivil(d + 1, china)));
  }
  return end;
}

}  // namespace

std::vector<v1::AlertImpact> AlertImpacts(const std::vector<FiledList>& lists,
                                          const std::vector<AlertRevision>& before,
                                          const std::vector<AlertRevision>& after,
                                          const std::string& district_id, absl::Time from,
                                          absl::Time to) {
  std::vector<v1::AlertImpact> out;
  // Until further notice: as far as a filed list binds.
  to = std::min(to, ListsEnd(lists, from));
  if (from >= to) return out;
  const auto was = ByResource(ObligationWindows(lists, before, district_id, from, to));
  const auto will = ByResource(ObligationWindows(lists, after, district_id, from, to));
  std::map<std::string, std::string> enterprise_names;
  for (const FiledList& l : lists) {
    for (const auto& [enterprise, entries] : l.entries) {
      if (!entries.empty()) enterprise_names[enterprise] = entries.front().enterprise_name();
    }
  }
  std::set<Key> keys;
  for (const auto& [k, w] : was) keys.insert(k);
  for (const auto& [k, w] : will) keys.insert(k);
  for (const Key& key : keys) {
    auto b = was.find(key);
    auto a = will.find(key);
    const std::vector<v1::Obligation>* bw = b == was.end() ? nullptr : &b->second;
    const std::vector<v1::Obligation>* aw = a == will.end() ? nullptr : &a->second;
    std::set<absl::Time> points = {from, to};
    for (const auto* ws : {bw, aw}) {
      if (ws == nullptr) continue;
      for (const v1::Obligation& o : *ws) {
        points.insert(std::max(from, TimeOf(o.window_start())));
        points.insert(std::min(to, TimeOf(o.window_end())));
      }
    }
    const std::vector<absl::Time> cuts(points.begin(), points.end());
    v1::AlertImpact* last = nullptr;
    const v1::Obligation *last_before = nullptr, *last_after = nullptr;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      const v1::Obligation* x = At(bw, cuts[i]);
      const v1::Obligation* y = At(aw, cuts[i]);
      if (SameMeasure(x, y)) {
        last = nullptr;
        continue;
      }
      if (last != nullptr && SameBinding(x, last_before) && SameBinding(y, last_after)) {
        Set(last->mutable_end_time(), cuts[i + 1]);
        continue;
      }
      v1::AlertImpact impact;
      impact.set_district(absl::StrCat("districts/", district_id));
      impact.set_enterprise(key.first);
      auto name = enterprise_names.find(key.first);
      if (name != enterprise_names.end()) impact.set_enterprise_name(name->second);
      impact.set_resource(key.second);
      const v1::Obligation* any = x != nullptr ? x : y;
      impact.set_resource_name(any->resource_name());
      Set(impact.mutable_start_time(), cuts[i]);
      Set(impact.mutable_end_time(), cuts[i + 1]);
      if (x != nullptr) Put(x, impact.mutable_before());
      if (y != nullptr) Put(y, impact.mutable_after());
      out.push_back(std::move(impact));
      last = &out.back();
      last_before = x;
      last_after = y;
    }
  }
  return out;
}

}  // namespace cuofeng
