#include "services/notify/notice.h"

#include <cstring>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "lib/model/labels.h"
#include "lib/rules/measures.h"

namespace cuofeng {
namespace {

const absl::TimeZone& China() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void ToProto(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t nanos = absl::ToUnixNanos(t);
  ts->set_seconds(nanos / 1000000000);
  ts->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

// What an obligation asks, in Chinese; no obligation: nothing restricts it.
std::string Asks(const v1::Obligation* o) {
  if (o == nullptr) return "无错峰要求";
  v1::Measure m;
  m.set_action(o->action());
  m.set_percent(o->percent());
  m.set_transport(o->transport());
  m.set_stop_non_road(o->stop_non_road());
  // Describe adds the English in brackets for the documentation: drop it.
  std::string text = Describe(m), out;
  for (size_t i = 0; i < text.size();) {
    const size_t open = text.find(" (", i);
    if (open == std::string::npos) {
      out.append(text, i, std::string::npos);
      break;
    }
    out.append(text, i, open - i);
    const size_t close = text.find(')', open);
    i = close == std::string::npos ? text.size() : close + 1;
  }
  return out;
}

std::map<std::string, const v1::Obligation*> ByResource(const v1::ObligationSet& set) {
  std::map<std::string, const v1::Obligation*> out;
  for (const v1::Obligation& o : set.obligations()) out[o.resource()] = &o;
  return out;
}

std::string LevelLabel(const std::string& level) { return ChineseLabel(level); }

// The lists and alerts as they stood with and without the change.
struct Worlds {
  std::vector<FiledList> lists_before, lists_after;
  std::vector<AlertRevision> alerts_before, alerts_after;
  std::vector<absl::Time> moments;
  bool found = false;
};

Worlds AlertWorlds(const RecordedChange& c, const std::vector<FiledList>& lists,
                   const std::vector<AlertRevision>& alerts) {
  Worlds w;
  w.lists_before = w.lists_after = lists;
  const AlertRevision* made = nullptr;
  const AlertRevision* previous = nullptr;
  for (const AlertRevision& a : alerts) {
    if (a.name == c.subject && a.revision > c.revision) continue;  // later changes
    w.alerts_after.push_back(a);
    if (a.name == c.subject && a.revision == c.revision) {
      made = &a;
      continue;
    }
    w.alerts_before.push_back(a);
    if (a.name == c.subject && (previous == nullptr || a.revision > previous->revision)) {
      previous = &a;
    }
  }
  if (made == nullptr) return w;
  w.found = true;
  std::set<absl::Time> moments = {made->effective, made->start};
  if (made->end != absl::InfiniteFuture()) moments.insert(made->end);
  if (previous != nullptr) {
    moments.insert(previous->start);
    if (previous->end != absl::InfiniteFuture()) moments.insert(previous->end);
  }
  for (absl::Time t : moments) {
    if (t >= made->effective) w.moments.push_back(t);
  }
  return w;
}

absl::Time SeasonStart(const FiledList& l) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d", l.season_start, China(), &t, &error)) return l.in_force_from;
  return t;
}

Worlds ListWorlds(const RecordedChange& c, const std::vector<FiledList>& lists,
                  const std::vector<AlertRevision>& alerts) {
  Worlds w;
  w.alerts_before = w.alerts_after = alerts;
  const FiledList* filed = nullptr;
  for (const FiledList& l : lists) {
    if (l.name == c.subject) filed = &l;
  }
  if (filed == nullptr) return w;
  w.found = true;
  const absl::Time from = filed->in_force_from;
  for (FiledList l : lists) {
    if (l.in_force_from > from) continue;  // filed later
    if (l.name == filed->name) {
      l.in_force_until = absl::InfiniteFuture();
      w.lists_after.push_back(l);
      continue;
    }
    if (l.in_force_until == from) {
      // Superseded by this one; before it, it was still in force.
      w.lists_after.push_back(l);
      l.in_force_until = absl::InfiniteFuture();
      w.lists_before.push_back(std::move(l));
      continue;
    }
    w.lists_after.push_back(l);
    w.lists_before.push_back(std::move(l));
  }
  w.moments.push_back(std::max(from, SeasonStart(*filed)));
  return w;
}

// The last segment of a resource name (a list's version, an alert's id):
// what a person can quote back, without the API path.
std::string Id(absl::string_view name) {
  const size_t slash = name.rfind('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

std::string CauseText(const RecordedChange& c, const std::vector<FiledList>& lists,
                      const std::vector<AlertRevision>& alerts) {
  if (c.kind == "LIST_FILED") {
    std::string text;
    if (c.replaces.empty()) {
      text = absl::StrCat("错峰生产清单（版本 ", Id(c.subject), "）已经市级部门备案，开始生效。");
    } else {
      text = absl::StrCat("错峰生产清单变更（版本 ", Id(c.subject), " 替代 ", Id(c.replaces),
                          "）已经市级部门批准，开始生效。");
      if (!c.reason.empty()) absl::StrAppend(&text, "变更原因：", c.reason, "。");
    }
    return text;
  }
  const AlertRevision* made = nullptr;
  for (const AlertRevision& a : alerts) {
    if (a.name == c.subject && a.revision == c.revision) made = &a;
  }
  // The alert as people quote it: its document number (文号), else its id.
  const std::string doc = absl::StrCat(
      "（", c.document_number.empty() ? absl::StrCat("编号 ", Id(c.subject)) : c.document_number,
      "）");
  const std::string level = LevelLabel(c.level);
  std::string text;
  if (c.kind == "ALERT_ISSUED") {
    text = absl::StrCat("重污染天气", level, "预警", doc, "发布");
    if (made != nullptr) {
      absl::StrAppend(&text, "，自 ", ChinaTime(made->start), " 起",
                      made->end == absl::InfiniteFuture()
                          ? "至解除为止"
                          : absl::StrCat("至 ", ChinaTime(made->end), " 止"));
    }
    absl::StrAppend(&text, "。");
  } else if (c.kind == "ALERT_LIFTED") {
    text = absl::StrCat("重污染天气预警", doc, "于 ", ChinaTime(c.effective), " 解除。");
  } else {
    text = absl::StrCat("重污染天气预警", doc, "调整为", level, "预警（第", c.revision, "版）");
    if (made != nullptr) {
      absl::StrAppend(&text, "，自 ", ChinaTime(made->effective), " 起生效",
                      made->end == absl::InfiniteFuture()
                          ? "，至解除为止"
                          : absl::StrCat("，至 ", ChinaTime(made->end), " 止"));
    }
    absl::StrAppend(&text, "。");
  }
  if (!c.note.empty()) absl::StrAppend(&text, "说明：", c.note, "。");
  return text;
}

std::string Title(const RecordedChange& c) {
  const std::string doc =
      c.document_number.empty() ? "" : absl::StrCat("（", c.document_number, "）");
  if (c.kind == "LIST_FILED") {
    return c.replaces.empty() ? "【错峰生产清单生效】贵企业的错峰生产措施"
                              : "【错峰生产清单变更】贵企业的错峰生产措施有变化";
  }
  if (c.kind == "ALERT_ISSUED") {
    return absl::StrCat("【重污染天气", LevelLabel(c.level), "预警】", doc,
                        "贵企业的错峰生产措施有变化");
  }
  if (c.kind == "ALERT_LIFTED") {
    return absl::StrCat("【重污染天气预警解除】", doc, "贵企业的错峰生产措施有变化");
  }
  return absl::StrCat("【重污染天气预警调整为", LevelLabel(c.level), "】", doc,
                      "贵企业的错峰生产措施有变化");
}

}  // namespace

std::string ChinaTime(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M", t, China()); }

std::vector<v1::Notification> ComposeNotices(const RecordedChange& change,
                                             const std::string& district_id,
                                             const std::vector<FiledList>& lists,
                                             const std::vector<AlertRevision>& alerts) {
  const Worlds w = change.kind == "LIST_FILED" ? ListWorlds(change, lists, alerts)
                                               : AlertWorlds(change, lists, alerts);
  std::vector<v1::Notification> out;
  if (!w.found) return out;
  // Every enterprise with an entry in a list of either world, with its name.
  std::map<std::string, std::string> enterprises;
  for (const auto* world : {&w.lists_before, &w.lists_after}) {
    for (const FiledList& l : *world) {
      for (const auto& [e, entries] : l.entries) {
        std::string& name = enterprises[e];
        if (name.empty() && !entries.empty()) name = entries.front().enterprise_name();
      }
    }
  }
  const std::string cause = CauseText(change, lists, alerts);
  for (const auto& [enterprise, enterprise_name] : enterprises) {
    v1::Notification n;
    for (absl::Time t : w.moments) {
      const v1::ObligationSet before =
          ObligationsAt(w.lists_before, w.alerts_before, district_id, enterprise, t);
      const v1::ObligationSet after =
          ObligationsAt(w.lists_after, w.alerts_after, district_id, enterprise, t);
      const auto b = ByResource(before), a = ByResource(after);
      std::set<std::string> resources;
      for (const auto& [r, o] : b) resources.insert(r);
      for (const auto& [r, o] : a) resources.insert(r);
      for (const std::string& r : resources) {
        const v1::Obligation* ob = b.count(r) ? b.at(r) : nullptr;
        const v1::Obligation* oa = a.count(r) ? a.at(r) : nullptr;
        const std::string was = Asks(ob), is = Asks(oa);
        if (was == is) continue;
        const v1::Obligation* o = oa != nullptr ? oa : ob;
        v1::ObligationChange* ch = n.add_changes();
        ch->set_resource(r);
        ch->set_resource_name(o->resource_name());
        ch->set_before(was);
        ch->set_after(is);
        ToProto(t, ch->mutable_from());
        if (oa != nullptr && oa->has_window_end()) *ch->mutable_until() = oa->window_end();
        // The obligation's reason repeats the measure first: keep the why.
        const std::string& reason = o->reason();
        const size_t why = reason.find("。依据：");
        ch->set_reason(why == std::string::npos ? reason : reason.substr(why + strlen("。依据：")));
        ch->set_list(o->list());
        ch->set_entry(o->entry());
        ch->set_alert(o->alert());
        ch->set_alert_revision(o->alert_revision());
      }
    }
    if (n.changes_size() == 0) continue;
    n.set_enterprise(enterprise);
    n.set_enterprise_name(enterprise_name);
    n.set_cause(change.kind == "LIST_FILED" ? change.subject
                                            : absl::StrCat(change.subject, "@", change.revision));
    n.set_cause_kind(change.kind);
    n.set_document_number(change.document_number);
    n.set_title(Title(change));
    std::string body =
        absl::StrCat(enterprise_name.empty() ? enterprise : enterprise_name, "：\n\n", cause,
                     "\n\n贵企业以下生产线和设备的措施随之变化：\n");
    int i = 0;
    for (const v1::ObligationChange& ch : n.changes()) {
      absl::StrAppend(
          // People read names; the API names travel in `changes` (and the
          // webhook's JSON) for machines to match on.
          &body, ++i, ". ", ch.resource_name().empty() ? ch.resource() : ch.resource_name(),
          "：自 ", ChinaTime(FromProto(ch.from())), " 起",
          ch.has_until() ? absl::StrCat("至 ", ChinaTime(FromProto(ch.until())), " 止") : "",
          "，由“", ch.before(), "”改为“", ch.after(), "”。\n   依据：", ch.reason(), "\n");
    }
    absl::StrAppend(
        &body, "\n请按上述措施组织生产，并登录系统确认已读。本通知由错峰生产管理系统自动发送。\n");
    n.set_body(body);
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace cuofeng
