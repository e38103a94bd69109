// cuofeng-gen: the sample-district generator.
//   cuofeng-gen --out=DIR [--enterprises=300] [--equipment=1200] [--seed=2018] [--chinese_headers]
//       writes a district's registry as the CSV import template;
//   cuofeng-gen season --out=DIR --district=districts/ID --from=T --season_start=T --to=T
//       reads the imported registry and what binds from a server and writes
//       a simulated season of meter readings, gate passages and ledger rows
//       with planted violations, and their ground truth (truth.csv);
//   cuofeng-gen score --truth=FILE --district=districts/ID
//       compares the server's findings with the ground truth.
// --server and --key (or CUOFENG_SERVER and CUOFENG_KEY) for season and score.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/model/clock.h"
#include "lib/rpc/status.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/monitoring_files.h"
#include "tools/gen/cems_devices.h"
#include "tools/gen/generator.h"
#include "tools/gen/production_ledgers.h"
#include "tools/gen/season.h"

ABSL_FLAG(std::string, out, "", "folder to write into");
ABSL_FLAG(std::string, district, "120119", "6-digit district code (season, score: districts/ID)");
ABSL_FLAG(int64_t, enterprises, 300, "number of enterprises");
ABSL_FLAG(int64_t, equipment, 1200, "number of equipment rows");
ABSL_FLAG(uint64_t, seed, 2018, "random seed; the same seed writes the same files");
ABSL_FLAG(bool, chinese_headers, false, "write Chinese column headers with a UTF-8 BOM");
ABSL_FLAG(std::string, server, "", "server address (default $CUOFENG_SERVER)");
ABSL_FLAG(std::string, key, "", "API key (default $CUOFENG_KEY)");
ABSL_FLAG(std::string, from, "",
          "season: readings from (the baseline's reference window), e.g. 2018-10-16 00:00");
ABSL_FLAG(std::string, season_start, "",
          "season: the season's first instant, e.g. 2018-11-15 00:00");
ABSL_FLAG(std::string, to, "", "season: the end of the simulated data");
ABSL_FLAG(std::string, truth, "", "score: the truth.csv the season command wrote");
ABSL_FLAG(std::string, hj212, "",
          "season: also act as CEMS data loggers sending HJ 212 packets to this host:port "
          "(the server's --hj212_listen), with planted CEMS violations");

namespace cuofeng {
namespace {

std::string Env(const std::string& flag, const char* var) {
  if (!flag.empty()) return flag;
  const char* v = std::getenv(var);
  return v == nullptr ? "" : v;
}

absl::StatusOr<absl::Time> TimeFlag(const char* name, const std::string& value) {
  int64_t us;
  if (!ParseMonitoringTime(value, &us)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, "=\"", value, "\": give YYYY-MM-DD HH:MM (China time)"));
  }
  return absl::FromUnixMicros(us);
}

int Registry() {
  DistrictSpec spec;
  spec.district_id = absl::GetFlag(FLAGS_district);
  spec.enterprises = absl::GetFlag(FLAGS_enterprises);
  spec.equipment = absl::GetFlag(FLAGS_equipment);
  spec.seed = absl::GetFlag(FLAGS_seed);
  spec.chinese_headers = absl::GetFlag(FLAGS_chinese_headers);
  auto counts = GenerateDistrict(spec, absl::GetFlag(FLAGS_out));
  if (!counts.ok()) return Fail(counts.status());
  std::cout << "wrote " << counts->rows << " rows: " << counts->enterprises << " enterprises, "
            << counts->lines << " lines, " << counts->processes << " processes, "
            << counts->equipment << " equipment, " << counts->meters << " meters, "
            << counts->cameras << " cameras, " << counts->vehicles << " vehicles, "
            << counts->retrofit_tasks << " retrofit tasks, " << counts->whitelist_entries
            << " whitelist entries into " << absl::GetFlag(FLAGS_out) << "\n";
  return 0;
}

int Season(const std::string& server, const std::string& key) {
  auto from = TimeFlag("from", absl::GetFlag(FLAGS_from));
  auto start = TimeFlag("season_start", absl::GetFlag(FLAGS_season_start));
  auto to = TimeFlag("to", absl::GetFlag(FLAGS_to));
  for (const auto* t : {&from, &start, &to}) {
    if (!t->ok()) return Fail(t->status());
  }
  const std::string district = absl::GetFlag(FLAGS_district);
  auto channel = Connect(server);
  SeasonInputs in;
  {
    auto registry = v1::RegistryService::NewStub(channel);
    grpc::ClientContext ctx;
    AddKey(&ctx, key);
    v1::ReadDistrictSnapshotRequest req;
    req.set_district(district);
    auto reader = registry->ReadDistrictSnapshot(&ctx, req);
    v1::DistrictSnapshotChunk c;
    while (reader->Read(&c)) {
      in.meters.insert(in.meters.end(), c.meters().begin(), c.meters().end());
      in.cameras.insert(in.cameras.end(), c.cameras().begin(), c.cameras().end());
      in.vehicles.insert(in.vehicles.end(), c.vehicles().begin(), c.vehicles().end());
      in.whitelist.insert(in.whitelist.end(), c.whitelist_entries().begin(),
                          c.whitelist_entries().end());
    }
    grpc::Status s = reader->Finish();
    if (!s.ok()) return Fail(FromGrpcStatus(s));
  }
  {
    auto obligations = v1::ObligationService::NewStub(channel);
    grpc::ClientContext ctx;
    AddKey(&ctx, key);
    v1::ListObligationWindowsRequest req;
    req.set_district(district);
    *req.mutable_from() = ToTimestamp(*start);
    *req.mutable_to() = ToTimestamp(*to);
    v1::ListObligationWindowsResponse resp;
    grpc::Status s = obligations->ListObligationWindows(&ctx, req, &resp);
    if (!s.ok()) return Fail(FromGrpcStatus(s));
    in.obligations.assign(resp.obligations().begin(), resp.obligations().end());
  }
  SeasonSpec spec{*from, *start, *to, absl::GetFlag(FLAGS_seed)};
  std::filesystem::create_directories(absl::GetFlag(FLAGS_out));
  auto counts = SimulateSeason(spec, in, absl::GetFlag(FLAGS_out));
  if (!counts.ok()) return Fail(counts.status());
  // The platform reports the register reset; the bureau (this key) records it
  // before the readings are sent, as ingest then accepts the register from it.
  for (const SeasonMeterEvent& e : counts->events) {
    auto compliance = v1::ComplianceService::NewStub(channel);
    grpc::ClientContext ctx;
    AddKey(&ctx, key);
    v1::RecordMeterEventRequest req;
    req.mutable_event()->set_meter(e.meter);
    *req.mutable_event()->mutable_time() = ToTimestamp(e.time);
    req.mutable_event()->set_kind(v1::MeterEvent::REGISTER_RESET);
    req.mutable_event()->set_new_register(e.new_register);
    req.mutable_event()->set_reason(e.reason);
    v1::MeterEvent recorded;
    grpc::Status s = compliance->RecordMeterEvent(&ctx, req, &recorded);
    if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS)
      return Fail(FromGrpcStatus(s));
    std::cout << "recorded " << (s.ok() ? recorded.name() : e.meter + " (already)")
              << ": register reset at "
              << absl::FormatTime("%Y-%m-%d %H:%M", e.time, absl::FixedTimeZone(8 * 3600)) << "\n";
  }
  if (!absl::GetFlag(FLAGS_hj212).empty()) {
    // Issue 21: the CEMS devices, their planted violations added to truth.csv.
    auto cems = SimulateCemsDevices(spec, in, counts->planted, district, channel, key,
                                    absl::GetFlag(FLAGS_hj212));
    if (!cems.ok()) return Fail(cems.status());
    std::ofstream truth(absl::GetFlag(FLAGS_out) + "/truth.csv", std::ios::app);
    for (const PlantedViolation& p : cems->planted) {
      truth << v1::FindingType_Name(p.type) << "," << p.scope << ","
            << absl::FormatTime("%Y-%m-%d %H:%M:%S", p.start, absl::FixedTimeZone(8 * 3600)) << ","
            << absl::FormatTime("%Y-%m-%d %H:%M:%S", p.end, absl::FixedTimeZone(8 * 3600)) << ","
            << p.what << "\n";
      counts->planted.push_back(p);
    }
    std::cout << "CEMS: " << cems->points << " data loggers sent " << cems->packets
              << " HJ 212 minute packets to " << absl::GetFlag(FLAGS_hj212)
              << ", each answered once stored, in "
              << absl::StrFormat("%.1f s (%.0f packets/s)", cems->seconds,
                                 cems->packets / std::max(cems->seconds, 1e-3))
              << "; planted " << cems->planted.size() << " CEMS violations\n";
  }
  {
    // Issue 21: production ledgers (生产台账) for material balance, their
    // planted violations added to truth.csv.
    auto ledgers = SimulateProductionLedgers(spec, in, counts->planted, district, channel, key,
                                             absl::GetFlag(FLAGS_out));
    if (!ledgers.ok()) return Fail(ledgers.status());
    std::ofstream truth(absl::GetFlag(FLAGS_out) + "/truth.csv", std::ios::app);
    for (const PlantedViolation& p : ledgers->planted) {
      truth << v1::FindingType_Name(p.type) << "," << p.scope << ","
            << absl::FormatTime("%Y-%m-%d %H:%M:%S", p.start, absl::FixedTimeZone(8 * 3600)) << ","
            << absl::FormatTime("%Y-%m-%d %H:%M:%S", p.end, absl::FixedTimeZone(8 * 3600)) << ","
            << p.what << "\n";
      counts->planted.push_back(p);
    }
    std::cout << "production ledgers: " << ledgers->ledgers << " registered, " << ledgers->days
              << " ledger days in production.csv; planted " << ledgers->planted.size()
              << " material-balance violations\n";
  }
  std::cout << "simulated " << counts->readings << " meter readings, " << counts->gate_events
            << " gate passages, " << counts->ledger_rows << " ledger rows into "
            << absl::GetFlag(FLAGS_out) << "; planted " << counts->planted.size()
            << " violations (truth.csv)\n";
  return 0;
}

int ScoreCommand(const std::string& server, const std::string& key) {
  auto truth = ReadTruth(absl::GetFlag(FLAGS_truth));
  if (!truth.ok()) return Fail(truth.status());
  auto stub = v1::ComplianceService::NewStub(Connect(server));
  std::vector<v1::Finding> findings;
  v1::ListFindingsRequest req;
  req.set_parent(absl::GetFlag(FLAGS_district));
  req.set_page_size(1000);
  do {
    grpc::ClientContext ctx;
    AddKey(&ctx, key);
    v1::ListFindingsResponse resp;
    grpc::Status s = stub->ListFindings(&ctx, req, &resp);
    if (!s.ok()) return Fail(FromGrpcStatus(s));
    // Findings later data superseded are records, not findings of the data as it stands.
    for (const v1::Finding& f : resp.findings()) {
      if (f.status() != v1::FINDING_SUPERSEDED) findings.push_back(f);
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  std::map<std::string, int> by_type;
  for (const auto& f : findings) by_type[v1::FindingType_Name(f.type())]++;
  std::cout << "findings by type:\n";
  for (const auto& [type, n] : by_type) std::cout << "  " << type << "\t" << n << "\n";
  Score score = ScoreFindings(*truth, findings);
  std::cout << "against the planted ground truth (" << truth->size()
            << " violations): " << score.found.size() << " found, " << score.missed.size()
            << " missed, " << score.false_alarms.size() << " false alarms\n";
  for (const auto& p : score.found) {
    std::cout << "  found   " << v1::FindingType_Name(p.type) << "\t" << p.scope << "\t" << p.what
              << "\n";
  }
  for (const auto& p : score.missed) {
    std::cout << "  MISSED  " << v1::FindingType_Name(p.type) << "\t" << p.scope << "\t" << p.what
              << "\n";
  }
  for (size_t i = 0; i < score.false_alarms.size() && i < 20; ++i) {
    const auto& f = score.false_alarms[i];
    std::cout << "  FALSE ALARM " << f.name() << "\t" << v1::FindingType_Name(f.type()) << "\t"
              << f.summary() << "\n";
  }
  return score.missed.empty() && score.false_alarms.empty() ? 0 : 3;
}

}  // namespace
}  // namespace cuofeng

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "cuofeng-gen --out=DIR [--enterprises=N --equipment=M --seed=S --chinese_headers]\n"
      "cuofeng-gen season --out=DIR --district=districts/ID --from=T --season_start=T --to=T\n"
      "cuofeng-gen score --truth=FILE --district=districts/ID");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  const std::string command = positional.size() > 1 ? positional[1] : "";
  const std::string server = cuofeng::Env(absl::GetFlag(FLAGS_server), "CUOFENG_SERVER");
  const std::string key = cuofeng::Env(absl::GetFlag(FLAGS_key), "CUOFENG_KEY");
  if (command == "season" && !absl::GetFlag(FLAGS_out).empty()) return cuofeng::Season(server, key);
  if (command == "score" && !absl::GetFlag(FLAGS_truth).empty())
    return cuofeng::ScoreCommand(server, key);
  if (command.empty() && !absl::GetFlag(FLAGS_out).empty()) return cuofeng::Registry();
  std::cerr
      << "usage:\n"
         "  cuofeng-gen --out=DIR [--enterprises=N] [--equipment=M] [--seed=S] "
         "[--chinese_headers]\n"
         "  cuofeng-gen season --out=DIR --district=districts/ID --from=T --season_start=T --to=T\n"
         "  cuofeng-gen score --truth=FILE --district=districts/ID\n";
  return 2;
}
