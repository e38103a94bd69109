#include "lib/rules/measures.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace cuofeng {
namespace {

// Ties in cut fraction go to the harder action.
int ActionRank(v1::Action a) {
  switch (a) {
    case v1::RECTIFY:
      return 7;
    case v1::STOP:
      return 6;
    case v1::STOP_LINES:
      return 5;
    case v1::LIMIT:
      return 4;
    case v1::CAP:
      return 3;
    case v1::VOLUNTARY:
      return 2;
    case v1::RUN:
      return 1;
    default:
      return 0;
  }
}

std::string Percent(double p) {
  return std::fabs(p - std::round(p)) < 1e-9 ? absl::StrCat(static_cast<int>(std::round(p)))
                                             : absl::StrCat(p);
}

}  // namespace

v1::Measure Run() {
  v1::Measure m;
  m.set_action(v1::RUN);
  m.set_transport(v1::NO_TRANSPORT_RULE);
  return m;
}

double CutFraction(const v1::Measure& m) {
  switch (m.action()) {
    case v1::STOP:
    case v1::RECTIFY:
      return 1.0;
    case v1::LIMIT:
    case v1::STOP_LINES:
      return m.percent() / 100.0;
    case v1::CAP:
      return 1.0 - m.percent() / 100.0;
    default:
      return 0.0;
  }
}

int CutPermille(const v1::Measure& m) {
  const int share = static_cast<int>(std::lround(m.percent() * 10));
  switch (m.action()) {
    case v1::STOP:
    case v1::RECTIFY:
      return 1000;
    case v1::LIMIT:
    case v1::STOP_LINES:
      return share;
    case v1::CAP:
      return 1000 - share;
    default:
      return 0;
  }
}

bool BindsOutsideStaggeredPeriod(const v1::Measure& m) {
  return m.action() == v1::RECTIFY || m.binds_outside_staggered_period();
}

int TransportRank(v1::TransportRule rule) {
  switch (rule) {
    case v1::NO_ROAD_TRANSPORT:
      return 3;
    case v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY:
      return 2;
    case v1::NO_CHINA4_OR_OLDER_HEAVY_TRUCKS:
      return 1;
    default:
      return 0;
  }
}

v1::Measure Stricter(const v1::Measure& a, const v1::Measure& b) {
  const double ca = CutFraction(a), cb = CutFraction(b);
  bool take_b = cb > ca + 1e-12 ||
                (std::fabs(cb - ca) <= 1e-12 && ActionRank(b.action()) > ActionRank(a.action()));
  v1::Measure out = take_b ? b : a;
  const v1::Measure& other = take_b ? a : b;
  if (TransportRank(other.transport()) > TransportRank(out.transport())) {
    out.set_transport(other.transport());
  }
  if (out.transport() == v1::TRANSPORT_RULE_UNSPECIFIED) out.set_transport(v1::NO_TRANSPORT_RULE);
  out.set_stop_non_road(a.stop_non_road() || b.stop_non_road());
  // A measure that binds outside the staggered period keeps doing so when
  // the other one, as strict, does not.
  if (other.binds_outside_staggered_period() && CutFraction(other) >= CutFraction(out) - 1e-12) {
    out.set_binds_outside_staggered_period(true);
  }
  if (out.note().empty()) out.set_note(other.note());
  return out;
}

bool ClampToCap(double cap_percent, v1::Measure* m) {
  if (CutFraction(*m) <= 1.0 - cap_percent / 100.0 + 1e-12) return false;
  m->set_action(v1::CAP);
  m->set_percent(cap_percent);
  return true;
}

std::string DescribeTransport(v1::TransportRule rule) {
  switch (rule) {
    case v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY:
      return "重型载货车禁止进出，国五及以上保障类车辆除外";
    case v1::NO_CHINA4_OR_OLDER_HEAVY_TRUCKS:
      return "国四及以下重型载货车禁止进出";
    case v1::NO_ROAD_TRANSPORT:
      return "停止公路运输";
    default:
      return "";
  }
}

std::string Describe(const v1::Measure& m) {
  std::string s;
  switch (m.action()) {
    case v1::RUN:
      s = "正常生产";
      break;
    case v1::VOLUNTARY:
      s = "自主减排";
      break;
    case v1::LIMIT:
      s = absl::StrCat("限产", Percent(m.percent()), "%");
      break;
    case v1::STOP_LINES:
      s = absl::StrCat("按生产线停产", Percent(m.percent()), "%");
      break;
    case v1::CAP:
      s = absl::StrCat("以热定产，负荷不高于", Percent(m.percent()), "%");
      break;
    case v1::STOP:
      s = "停产";
      break;
    case v1::RECTIFY:
      s = "停产整治";
      break;
    default:
      s = "—";
      break;
  }
  std::string transport = DescribeTransport(m.transport());
  if (!transport.empty()) absl::StrAppend(&s, "；", transport);
  if (m.stop_non_road()) absl::StrAppend(&s, "；非道路移动机械停用");
  if (m.binds_outside_staggered_period()) absl::StrAppend(&s, "；不随错峰月份调整");
  return s;
}

bool SameMeasure(const v1::Measure& a, const v1::Measure& b) {
  return a.action() == b.action() && std::fabs(a.percent() - b.percent()) < 1e-9 &&
         TransportRank(a.transport()) == TransportRank(b.transport()) &&
         a.stop_non_road() == b.stop_non_road() &&
         a.binds_outside_staggered_period() == b.binds_outside_staggered_period();
}

}  // namespace cuofeng
