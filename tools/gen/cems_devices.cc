#include "tools/gen/cems_devices.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/auth/policy.h"
#include "lib/hj212/packet.h"
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

// The share of its normal output the strictest obligation allows at `t`
// (1: unrestricted, 0: stopped).
double Share(const std::vector<const v1::Obligation*>& binding, absl::Time t) {
  double share = 1;
  for (const v1::Obligation* o : binding) {
    if (t < FromTimestamp(o->window_start()) ||
        (o->has_window_end() && t >= FromTimestamp(o->window_end())))
      continue;
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

struct Values {
  double pm = 0, so2 = 0, nox = 0, flow = 0, o2 = 0;
  char flag = 0;  // 0: the device sends nothing that minute
};

struct Device {
  std::string id, mn, password, point, target, enterprise;
  const v1::Meter* meter = nullptr;
  std::vector<const v1::Obligation*> binding;
  std::optional<double> pm_limit;
  double normal_flow = 50000;
  // What the device sends at minute t: honest unless planted otherwise.
  std::function<Values(absl::Time, const Values& honest)> plant;
};

// The minute packet, asking for an answer (Flag=5).
std::string Packet(const Device& d, absl::Time t, const Values& v) {
  const std::string time = absl::FormatTime("%Y%m%d%H%M%S", t, China());
  return hj212::Frame(
      absl::StrFormat("QN=%s000;ST=31;CN=2051;PW=%s;MN=%s;Flag=5;CP=&&DataTime=%s;"
                      "a34013-Avg=%.2f,a34013-Flag=%c;a21026-Avg=%.2f,a21026-Flag=%c;"
                      "a21002-Avg=%.2f,a21002-Flag=%c;a00000-Avg=%.0f,a00000-Flag=%c;"
                      "a19001-Avg=%.2f,a19001-Flag=%c&&",
                      time, d.password, d.mn, time, v.pm, v.flag, v.so2, v.flag, v.nox, v.flag,
                      v.flow, v.flag, v.o2, v.flag));
}

absl::StatusOr<int> Dial(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--hj212=\"", address, "\": give host:port of the HJ 212 endpoint"));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", address));
  }
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    freeaddrinfo(res);
    if (fd >= 0) close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to the HJ 212 endpoint ", address));
  }
  freeaddrinfo(res);
  return fd;
}

// Sends `packets` (with their QNs) over one connection while reading the
// answers; returns once every QN is answered, or fails after `patience`
// without a new answer.
absl::Status SendAndAwait(const std::string& address, const std::vector<std::string>& packets,
                          const std::set<std::string>& qns, absl::Duration patience) {
  ASSIGN_OR_RETURN(int fd, Dial(address));
  timeval tv{0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::atomic<bool> send_failed{false};
  std::thread writer([&] {
    std::string chunk;
    for (size_t i = 0; i < packets.size(); ++i) {
      chunk += packets[i];
      if (chunk.size() < (64 << 10) && i + 1 < packets.size()) continue;
      size_t done = 0;
      while (done < chunk.size()) {
        const ssize_t n = send(fd, chunk.data() + done, chunk.size() - done, MSG_NOSIGNAL);
        if (n <= 0) {
          send_failed = true;
          return;
        }
        done += static_cast<size_t>(n);
      }
      chunk.clear();
    }
  });
  hj212::FrameReader reader;
  std::set<std::string> answered;
  absl::Time last = absl::Now();
  char buf[16384];
  while (answered.size() < qns.size() && !send_failed && absl::Now() - last < patience) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) continue;  // the receive timeout
    reader.Feed(absl::string_view(buf, static_cast<size_t>(n)));
    while (auto item = reader.Next()) {
      if (!item->ok) continue;
      auto p = hj212::ParseDataSegment(item->data);
      if (p.ok() && p->cn == hj212::kDataAnswer && qns.count(p->qn)) {
        answered.insert(p->qn);
        last = absl::Now();
      }
    }
  }
  shutdown(fd, SHUT_RDWR);
  writer.join();
  close(fd);
  if (answered.size() < qns.size()) {
    return absl::DeadlineExceededError(absl::StrCat(
        qns.size() - answered.size(), " of ", qns.size(), " packets got no answer from ", address,
        send_failed ? " (the connection broke)" : ""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CemsSimulation> SimulateCemsDevices(
    const SeasonSpec& spec, const SeasonInputs& in,
    const std::vector<PlantedViolation>& planted_so_far, const std::string& district,
    const std::shared_ptr<grpc::Channel>& channel, const std::string& key,
    const std::string& hj212_address) {
  CemsSimulation sim;
  const absl::Time from = spec.season_start;
  const absl::Time to = std::min(spec.to, from + absl::Hours(24 * 21));
  const absl::Time day0 =
      absl::FromCivil(absl::ToCivilDay(from, China()), China()) +
      (absl::ToCivilSecond(from, China()) == absl::CivilSecond(absl::ToCivilDay(from, China()))
           ? absl::ZeroDuration()
           : absl::Hours(24));
  auto day = [&](int n) { return day0 + absl::Hours(24) * n; };

  // The alert's stop not kept, planted on a meter; the enterprises already used.
  std::string stop_meter;
  absl::Time alert_start, alert_end;
  // Enterprises whose meters carry a planted stop or limit finding are left
  // alone (their CEMS would corroborate or contradict it), and one device
  // per enterprise.
  std::set<std::string> used;
  for (const PlantedViolation& p : planted_so_far) {
    if (p.type == v1::STOP_NOT_KEPT || p.type == v1::LIMIT_EXCEEDED)
      used.insert(EnterpriseOf(p.scope));
    if (p.type == v1::STOP_NOT_KEPT && stop_meter.empty() &&
        p.what.find("alert") != std::string::npos) {
      stop_meter = p.scope;
      alert_start = p.start;
      alert_end = p.end;
    }
  }
  if (stop_meter.empty()) {
    return absl::FailedPreconditionError("no stop not kept under an alert to plant CEMS data on");
  }
  auto make = [&](const v1::Meter& m, const std::string& id) {
    Device d;
    d.meter = &m;
    d.id = id;
    d.enterprise = EnterpriseOf(m.name());
    d.target = !m.equipment().empty() ? m.equipment() : !m.line().empty() ? m.line() : d.enterprise;
    for (const v1::Obligation& o : in.obligations) {
      if (IsWithin(d.target, o.resource())) d.binding.push_back(&o);
    }
    return d;
  };
  auto share_throughout = [](const Device& d, absl::Time a, absl::Time b, double lo, double hi) {
    for (absl::Time t = a; t < b; t += absl::Minutes(15)) {
      const double s = Share(d.binding, t);
      if (s < lo || s > hi) return false;
    }
    return true;
  };
  std::vector<Device> devices;
  for (const v1::Meter& m : in.meters) {
    if (m.name() == stop_meter) devices.push_back(make(m, "cems-flow"));
  }
  if (devices.empty())
    return absl::NotFoundError(absl::StrCat(stop_meter, " is not in the registry"));
  used.insert(devices[0].enterprise);
  // Plants of their own enterprise, in name order, chosen by what binds them.
  auto pick = [&](const std::string& id, const std::function<bool(const Device&)>& ok) -> bool {
    std::vector<const v1::Meter*> sorted;
    for (const v1::Meter& m : in.meters) {
      if (m.role() == v1::PRODUCTION && !m.equipment().empty()) sorted.push_back(&m);
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const v1::Meter* a, const v1::Meter* b) { return a->name() < b->name(); });
    for (const v1::Meter* m : sorted) {
      if (used.count(EnterpriseOf(m->name()))) continue;
      Device d = make(*m, id);
      if (!ok(d)) continue;
      used.insert(d.enterprise);
      devices.push_back(std::move(d));
      return true;
    }
    return false;
  };
  auto stops_for_alert = [&](const Device& d) {
    return share_throughout(d, alert_start, alert_end, 0, 0);
  };
  const absl::Time over_from = day(3) + absl::Hours(10), over_to = day(3) + absl::Hours(13);
  const absl::Time flat_from = day(4) + absl::Hours(9), flat_to = day(4) + absl::Hours(14);
  const char* missing =
      !pick("cems-honest", stops_for_alert)  ? "a second plant stopping for the alert"
      : !pick("cems-fault", stops_for_alert) ? "a third plant stopping for the alert"
      : !pick("cems-over",
              [&](const Device& d) {
                return over_to <= alert_start && share_throughout(d, over_from, over_to, 0.5, 1);
              })
          ? "a plant running on day 3 of the season"
      : !pick("cems-flat",
              [&](const Device& d) {
                return day(7) <= alert_start && share_throughout(d, flat_from, flat_to, 0.5, 1) &&
                       share_throughout(d, day(5), day(7), 0.5, 1);
              })
          ? "a plant running on days 4 to 6 of the season"
          : nullptr;
  if (missing != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the district has no place for a CEMS device: ", missing,
                     " (with an equipment meter, on an enterprise of its own); simulate a larger "
                     "district"));
  }
  Device& flow = devices[0];
  Device& honest = devices[1];
  Device& fault = devices[2];
  Device& over = devices[3];
  Device& flat = devices[4];
  over.pm_limit = 10;
  const absl::Time outage_from = alert_start + absl::Hours(34);
  const absl::Time outage_to = outage_from + absl::Minutes(90);
  const absl::Time fault_from = alert_start + absl::Hours(6);
  const absl::Time fault_to = fault_from + absl::Hours(30);
  flow.plant = [&](absl::Time t, const Values& v) {
    if (t < alert_start || t >= alert_end) return v;
    Values r = v;  // ran through the stop: as if nothing bound it
    r.flag = 'N';
    r.flow = flow.normal_flow * (0.97 + 0.06 * (v.o2 - std::floor(v.o2)));
    r.pm = 5 + (v.o2 - std::floor(v.o2));
    return r;
  };
  honest.plant = [&](absl::Time t, const Values& v) {
    return t >= outage_from && t < outage_to ? Values{} : v;
  };
  fault.plant = [&](absl::Time t, const Values& v) {
    Values r = v;
    if (t >= fault_from && t < fault_to) r.flag = 'D';
    return r;
  };
  over.plant = [&](absl::Time t, const Values& v) {
    Values r = v;
    if (t >= over_from && t < over_to) r.pm += 20;
    return r;
  };
  std::map<int64_t, Values> day5;  // minute of day -> values, for the copy
  flat.plant = [&](absl::Time t, const Values& v) {
    Values r = v;
    if (t >= flat_from && t < flat_to) r.pm = 7.3;
    const int64_t minute = (t - day0) / absl::Minutes(1) % (24 * 60);
    if (t >= day(5) && t < day(6)) day5[minute] = r;
    if (t >= day(6) && t < day(7)) r = day5[minute];
    return r;
  };
  sim.planted = {
      {v1::CEMS_FLOW_IN_STOP, "", alert_start, alert_end,
       "CEMS: the plant that kept running through the alert's stop shows its flue-gas flow too"},
      {v1::CEMS_SILENT_IN_WINDOW, "", fault_from, fault_to,
       "CEMS reported a fault (D) for 30 hours while the alert's stop bound it"},
      {v1::CEMS_TRANSMISSION_LOW, "", fault_from, fault_to,
       "the days of that fault fall under 90 % transmission efficiency"},
      {v1::CEMS_OVER_LIMIT, "", over_from, over_to,
       "颗粒物 20 mg/m³ over its limit for three hours"},
      {v1::CEMS_SUSPECT_DATA, "", flat_from, flat_to,
       "颗粒物 constant at 7.30 mg/m³ for five hours"},
      {v1::CEMS_SUSPECT_DATA, "", day(6), day(7), "a day copied from the day before"},
  };

  // Register the points (kept if they exist: a re-run sends to the same ones).
  auto registry = v1::RegistryService::NewStub(channel);
  for (size_t i = 0; i < devices.size(); ++i) {
    Device& d = devices[i];
    d.mn = absl::StrFormat("9912011900%04d", static_cast<int>(i) + 1);
    d.password = absl::StrCat("demo-", d.id);
    d.point = absl::StrCat(d.enterprise, "/monitoringPoints/", d.id);
    v1::CreateMonitoringPointRequest req;
    req.set_parent(d.enterprise);
    req.set_monitoring_point_id(d.id);
    v1::MonitoringPoint* p = req.mutable_monitoring_point();
    p->set_display_name(absl::StrCat(i + 1, "#排放口"));
    p->set_mn(d.mn);
    p->set_equipment(d.meter->equipment());
    p->set_line(d.meter->equipment().empty() ? d.meter->line() : "");
    p->set_stack_height_m(60);
    if (d.pm_limit) p->set_pm_limit(*d.pm_limit);
    p->set_access_password(d.password);
    grpc::ClientContext ctx;
    AddKey(&ctx, key);
    v1::MonitoringPoint out;
    grpc::Status s = registry->CreateMonitoringPoint(&ctx, req, &out);
    if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS) return FromGrpcStatus(s);
  }
  sim.planted[0].scope = flow.point;
  sim.planted[1].scope = sim.planted[2].scope = fault.point;
  sim.planted[3].scope = over.point;
  sim.planted[4].scope = sim.planted[5].scope = flat.point;
  sim.points = static_cast<int>(devices.size());

  // Each device's minutes, then all devices at once.
  std::vector<std::vector<std::string>> packets(devices.size());
  std::vector<std::set<std::string>> qns(devices.size());
  for (size_t i = 0; i < devices.size(); ++i) {
    Device& d = devices[i];
    std::mt19937_64 rng(spec.seed ^ std::hash<std::string>()(d.point));
    std::uniform_real_distribution<double> u(-1, 1);
    for (absl::Time t = from; t < to; t += absl::Minutes(1)) {
      const double share = Share(d.binding, t);
      Values v;
      if (share <= 0) {
        v = {0.5 + 0.2 * u(rng), 2 + u(rng), 4 + u(rng), 0.03 * d.normal_flow * (1 + 0.1 * u(rng)),
             20 + 0.3 * u(rng),  'F'};
      } else {
        const double load = std::min(1.0, share < 1 ? share * 0.9 : 1.0);
        v = {5 + u(rng),        20 + 3 * u(rng),
             40 + 5 * u(rng),   d.normal_flow * load * (1 + 0.03 * u(rng)),
             10 + 0.5 * u(rng), 'N'};
      }
      v = d.plant(t, v);
      if (v.flag == 0) continue;
      packets[i].push_back(Packet(d, t, v));
      qns[i].insert(absl::StrCat(absl::FormatTime("%Y%m%d%H%M%S", t, China()), "000"));
    }
    sim.packets += static_cast<int64_t>(packets[i].size());
  }
  const absl::Time started = absl::Now();
  std::vector<absl::Status> results(devices.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < devices.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = SendAndAwait(hj212_address, packets[i], qns[i], absl::Seconds(60));
    });
  }
  for (auto& t : threads) t.join();
  sim.seconds = absl::ToDoubleSeconds(absl::Now() - started);
  for (size_t i = 0; i < devices.size(); ++i) {
    if (!results[i].ok()) {
      return absl::Status(results[i].code(),
                          absl::StrCat(devices[i].point, ": ", results[i].message()));
    }
  }
  (void)district;  // the points are named under their enterprises
  return sim;
}

}  // namespace cuofeng
