// DocumentServiceImpl::RenderCityOverview: gathers the city's overview with
// the caller's own key (districts, seasons, filings, lists, alerts,
// obligation windows, verification runs, findings) and renders it.
#include "lib/documents/city_overview.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lib/documents/case_documents.h"
#include "lib/model/clock.h"
#include "lib/model/labels.h"
#include "lib/rpc/forward.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "lib/status/status_macros.h"
#include "services/documents/document_service.h"

namespace cuofeng {
namespace {

constexpr absl::Duration kOverviewCap = absl::Minutes(2);

std::unique_ptr<grpc::ClientContext> Call(const grpc::ServerContext& ctx) {
  auto call = std::make_unique<grpc::ClientContext>();
  ForwardCaller(ctx, call.get(), kOverviewCap);
  return call;
}

const absl::TimeZone& China() {
  static const absl::TimeZone* tz = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  return *tz;
}

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds());
}

// Overlaps says whether [start, end) meets [from, to); an unset end is open.
bool Overlaps(const google::protobuf::Timestamp& start, const google::protobuf::Timestamp& end,
              bool has_end, absl::Time from, absl::Time to) {
  return TimeOf(start) < to && (!has_end || TimeOf(end) > from);
}

}  // namespace

grpc::Status DocumentServiceImpl::RenderCityOverview(grpc::ServerContext* ctx,
                                                     const v1::RenderCityOverviewRequest* req,
                                                     v1::Document* resp) {
  std::vector<FieldViolation> v;
  const std::string& season = req->season();
  if (season.empty() || season.size() > 32 || season.find('/') != std::string::npos) {
    v.push_back({"season", season.empty() ? "必填：采暖季标识，如 2018-2019"
                                          : "须为采暖季标识，如 2018-2019"});
  }
  if (req->format() != v1::XLSX && req->format() != v1::PDF &&
      req->format() != v1::DOCUMENT_FORMAT_UNSPECIFIED) {
    v.push_back({"format", "备案情况只能是 XLSX 或 PDF"});
  }
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  std::string narrow;
  auto principal = guard_->Check(ctx, "RenderCityOverview", "districts/-", &narrow);
  if (!principal.ok()) return ToGrpcStatus(principal.status());

  const absl::Time at = req->has_at() ? TimeOf(req->at()) : Now();
  const absl::CivilDay civil = absl::ToCivilDay(at, China());
  const absl::Time day_start = absl::FromCivil(civil, China());
  const absl::Time day_end = absl::FromCivil(civil + 1, China());
  CityOverviewDocument doc;
  doc.season = season;
  doc.day = absl::FormatCivilTime(civil);
  doc.at_text = ChinaTimeText(Ts(at));
  doc.rendered_at = ChinaTimeText(Ts(Now()));

  // The districts the caller may see (a bureau: its own).
  std::vector<v1::District> districts;
  {
    std::string token;
    do {
      v1::ListDistrictsRequest dreq;
      dreq.set_page_size(1000);
      dreq.set_page_token(token);
      v1::ListDistrictsResponse dresp;
      auto call = Call(*ctx);
      if (auto s = FromGrpcStatus(registry_->ListDistricts(call.get(), dreq, &dresp)); !s.ok()) {
        return ToGrpcStatus(s);
      }
      for (auto& d : *dresp.mutable_districts()) {
        if (narrow.empty() || d.name() == narrow) districts.push_back(std::move(d));
      }
      token = dresp.next_page_token();
    } while (!token.empty());
  }

  // Alerts, with their history: the level in force on the day.
  std::vector<v1::Alert> alerts;
  {
    v1::ListAlertsRequest areq;
    areq.set_include_history(true);
    v1::ListAlertsResponse aresp;
    auto call = Call(*ctx);
    if (auto s = FromGrpcStatus(alerts_->ListAlerts(call.get(), areq, &aresp)); !s.ok()) {
      return ToGrpcStatus(s);
    }
    alerts.assign(aresp.alerts().begin(), aresp.alerts().end());
  }

  // Each district's season (its filing deadline); a district without one is
  // held to the deadline the others share (the city's, T78).
  std::map<std::string, std::string> deadlines;
  std::string common;
  for (const v1::District& district : districts) {
    v1::GetSeasonRequest sreq;
    sreq.set_name(absl::StrCat(district.name(), "/seasons/", season));
    v1::Season s;
    auto call = Call(*ctx);
    const grpc::Status st = planning_->GetSeason(call.get(), sreq, &s);
    if (st.ok()) {
      deadlines[district.name()] = s.filing_deadline();
      if (common.empty() || (!s.filing_deadline().empty() && s.filing_deadline() < common)) {
        common = s.filing_deadline();
      }
    } else if (st.error_code() != grpc::StatusCode::NOT_FOUND) {
      return st;
    }
  }
  doc.filing_deadline = common;

  for (const v1::District& district : districts) {
    DistrictOverview d;
    d.district = district.name();
    d.display_name = district.display_name();
    if (doc.city.empty()) doc.city = district.city();
    auto own = deadlines.find(district.name());
    const std::string deadline = own != deadlines.end() ? own->second : common;
    // The filings of the season; the latest filed one (else the waiting one).
    std::vector<v1::Filing> filings;
    {
      std::string token;
      do {
        v1::ListFilingsRequest freq;
        freq.set_parent(district.name());
        freq.set_season(season);
        freq.set_page_size(1000);
        freq.set_page_token(token);
        v1::ListFilingsResponse fresp;
        auto call = Call(*ctx);
        if (auto s = FromGrpcStatus(filing_->ListFilings(call.get(), freq, &fresp)); !s.ok()) {
          return ToGrpcStatus(s);
        }
        for (auto& f : *fresp.mutable_filings()) filings.push_back(std::move(f));
        token = fresp.next_page_token();
      } while (!token.empty());
    }
    const v1::Filing* shown = nullptr;
    for (const v1::Filing& f : filings) {
      if (f.state() == v1::FILED) shown = &f;
      if (!f.amends().empty() && (f.state() == v1::FILED || f.state() == v1::SUPERSEDED)) {
        ++d.amendments;
      }
    }
    for (const v1::Filing& f : filings) {
      if (shown == nullptr && f.state() == v1::SUBMITTED) shown = &f;
    }
    // Drafts of the season (only when nothing was submitted).
    bool has_draft = false;
    if (shown == nullptr) {
      v1::ListListVersionsRequest lreq;
      lreq.set_parent(district.name());
      lreq.set_page_size(1000);
      v1::ListListVersionsResponse lresp;
      auto call = Call(*ctx);
      if (auto s = FromGrpcStatus(planning_->ListListVersions(call.get(), lreq, &lresp)); !s.ok()) {
        return ToGrpcStatus(s);
      }
      for (const auto& l : lresp.list_versions()) {
        const std::string& ls = l.season();
        has_draft = has_draft || ls == season ||
                    (ls.size() > season.size() &&
                     ls.compare(ls.size() - season.size() - 1, std::string::npos,
                                absl::StrCat("/", season)) == 0);
      }
    }
    d.standing = StandingOf(filings, has_draft, deadline, doc.day);
    if (shown != nullptr) {
      d.filing = *shown;
      d.late = shown->late();
      v1::GetListVersionRequest greq;
      greq.set_name(shown->list());
      auto call = Call(*ctx);
      if (auto s = FromGrpcStatus(planning_->GetListVersion(call.get(), greq, &d.list)); !s.ok()) {
        return ToGrpcStatus(s);
      }
    }

    // The daily summary: the highest level any alert binding the district
    // reaches on the day.
    int level = 0;
    for (const v1::Alert& a : alerts) {
      const bool covers =
          a.districts().empty() ||
          std::find(a.districts().begin(), a.districts().end(), d.district) != a.districts().end();
      if (!covers) continue;
      // A revision holds from its effective time to its end (or the next revision).
      const auto& start = a.has_effective_time() ? a.effective_time() : a.start_time();
      if (!Overlaps(start, a.end_time(), a.has_end_time(), day_start, day_end)) continue;
      if (a.lifted() && a.has_end_time() && TimeOf(a.end_time()) <= day_start) continue;
      if (static_cast<int>(a.level()) > level) {
        level = a.level();
        d.alert_level = absl::StrCat(ChineseLabel(v1::AlertLevel_Name(a.level())), "预警");
        d.alert_document = a.document_number();
      }
    }
    if (level == 0) {
      doc.districts.push_back(std::move(d));
      continue;
    }
    {
      v1::ListObligationWindowsRequest oreq;
      oreq.set_district(d.district);
      *oreq.mutable_from() = Ts(day_start);
      *oreq.mutable_to() = Ts(day_end);
      v1::ListObligationWindowsResponse oresp;
      auto call = Call(*ctx);
      if (auto s = FromGrpcStatus(obligations_->ListObligationWindows(call.get(), oreq, &oresp));
          !s.ok()) {
        return ToGrpcStatus(s);
      }
      std::set<std::string> bound;
      for (const v1::Obligation& o : oresp.obligations()) {
        if (!Overlaps(o.window_start(), o.window_end(), o.has_window_end(), day_start, day_end)) {
          continue;
        }
        switch (o.action()) {
          case v1::STOP:
          case v1::STOP_LINES:
          case v1::RECTIFY:
            ++d.stop_windows;
            bound.insert(o.enterprise());
            break;
          case v1::LIMIT:
          case v1::CAP:
            ++d.limit_windows;
            bound.insert(o.enterprise());
            break;
          default:
            ++d.other_windows;
            break;
        }
      }
      d.enterprises_bound = static_cast<int>(bound.size());
    }
    {
      v1::ListVerificationRunsRequest rreq;
      rreq.set_parent(d.district);
      rreq.set_page_size(1);
      *rreq.mutable_from() = Ts(day_start);
      *rreq.mutable_to() = Ts(day_end);
      v1::ListVerificationRunsResponse rresp;
      auto call = Call(*ctx);
      if (auto s = FromGrpcStatus(compliance_->ListVerificationRuns(call.get(), rreq, &rresp));
          !s.ok()) {
        return ToGrpcStatus(s);
      }
      if (!rresp.runs().empty()) {
        const v1::VerificationRun& run = rresp.runs(0);
        d.verified = true;
        d.run = run.name();
        for (const auto& u : run.unverified()) {
          d.unverified_windows +=
              Overlaps(u.window_start(), u.window_end(), u.has_window_end(), day_start, day_end);
        }
      }
    }
    {
      std::string token;
      do {
        v1::ListFindingsRequest freq;
        freq.set_parent(d.district);
        freq.set_page_size(1000);
        freq.set_page_token(token);
        v1::ListFindingsResponse fresp;
        auto call = Call(*ctx);
        if (auto s = FromGrpcStatus(compliance_->ListFindings(call.get(), freq, &fresp)); !s.ok()) {
          return ToGrpcStatus(s);
        }
        for (const v1::Finding& f : fresp.findings()) {
          if (f.status() == v1::FINDING_SUPERSEDED || f.status() == v1::DISMISSED) continue;
          if (!Overlaps(f.window_start(), f.window_end(), f.has_window_end(), day_start, day_end)) {
            continue;
          }
          ++d.findings_by_type[ChineseLabel(v1::FindingType_Name(f.type()))];
          d.findings_open += f.status() == v1::OPEN;
        }
        token = fresp.next_page_token();
      } while (!token.empty());
    }
    doc.districts.push_back(std::move(d));
  }
  if (doc.districts.empty()) {
    return ToGrpcStatus(absl::NotFoundError("尚未登记任何区县"));
  }
  if (doc.city.empty()) doc.city = "本市";
  const std::string stem = absl::StrCat(doc.city, "-", season, "-备案情况-", doc.day);
  if (req->format() == v1::PDF) {
    int pages = 0;
    auto pdf = CityOverviewPdf(doc, &pages);
    return FinishDocument(std::move(pdf), v1::PDF, stem, pages, resp);
  }
  return FinishDocument(CityOverviewXlsx(doc), v1::XLSX, stem, 2, resp);
}

}  // namespace cuofeng
