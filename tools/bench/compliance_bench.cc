// cuofeng-bench-compliance: the two speed limits of the compliance path, each
// measured against the database's own limit on the same rows in the same run.
//   1. Ingest: readings.csv through the real path (CSV → cuofeng CLI → gRPC →
//      server checks → COPY), against psql's \copy of the same rows into an
//      identical table (same monthly partitions, same primary key).
//   2. Verification: RunVerification over the season (every obligation
//      window, every meter, every gate), against a plain aggregate scan of the
//      same readings (count and mean per meter over the same range).
//   3. Live verification (--live_server, run between 1 and 2): the readings held out of (1), the
//      alert's first day, streamed one 15-minute slot per IngestReadings call
//      (every meter's reading of the slot), back to back: the first half to
//      the server without live checking, the second half to one with
//      --live_verification on the same database. Prints the ingest rate of
//      each half and, for every finding WatchFindings brings, the delay from
//      the return of the call that carried the reading proving it (the
//      reading at the finding's window end) to the finding's arrival.
// Driven by tools/bench-compliance, which prepares the district.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "lib/model/clock.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/monitoring_files.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "cuofeng-server address");
ABSL_FLAG(std::string, key, "", "a key that may ingest and verify (admin)");
ABSL_FLAG(std::string, database, "", "DSN of the server's database");
ABSL_FLAG(std::string, cli, "build/bin/cuofeng", "the cuofeng CLI");
ABSL_FLAG(std::string, readings, "", "readings.csv written by cuofeng-gen season");
ABSL_FLAG(std::string, district, "districts/120119", "the district");
ABSL_FLAG(std::string, from, "2018-11-15 00:00", "verification from (China time)");
ABSL_FLAG(std::string, to, "2019-03-15 00:00", "verification to (China time)");
ABSL_FLAG(int, server_pid, 0, "pid of cuofeng-server, for its peak memory");
ABSL_FLAG(std::string, live_server, "",
          "a cuofeng-server with --live_verification on the same database");
ABSL_FLAG(std::string, live_readings, "", "readings held out of the ingest, streamed slot by slot");
ABSL_FLAG(std::string, full_scan_server, "",
          "a server on the same database with CUOFENG_VERIFY_FULL_SCAN=1 (reads every reading, "
          "as before the day aggregates): timed too, and its findings compared");

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double PeakMiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

int Run(const std::string& cmd) { return std::system(cmd.c_str()); }

std::string Psql(const std::string& dsn, const std::string& sql) {
  return absl::StrCat("psql -X -q -v ON_ERROR_STOP=1 \"", dsn, "\" -c \"", sql, "\" >/dev/null");
}

// 3. Live verification: see the top of the file.
int Live() {
  // The held-out rows by slot (the file is in time order per meter; slots sorted here).
  std::map<int64_t, std::vector<cuofeng::v1::Reading>> slots;
  {
    std::ifstream in(absl::GetFlag(FLAGS_live_readings));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      const size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
      if (c3 == std::string::npos) continue;
      cuofeng::v1::Reading r;
      r.set_meter(line.substr(0, c1));
      r.set_local_time(line.substr(c1 + 1, c2 - c1 - 1));
      r.set_kind(cuofeng::v1::INTERVAL_KWH);
      r.set_value(std::stod(line.substr(c3 + 1)));
      int64_t us;
      if (!cuofeng::ParseMonitoringTime(r.local_time(), &us)) continue;
      slots[us].push_back(std::move(r));
    }
  }
  if (slots.size() < 4) {
    std::cerr << "live: too few slots in " << absl::GetFlag(FLAGS_live_readings) << "\n";
    return 1;
  }
  const std::string key = absl::GetFlag(FLAGS_key);
  auto plain =
      cuofeng::v1::ComplianceService::NewStub(cuofeng::Connect(absl::GetFlag(FLAGS_server)));
  auto live =
      cuofeng::v1::ComplianceService::NewStub(cuofeng::Connect(absl::GetFlag(FLAGS_live_server)));
  // Findings as the live server records them.
  std::mutex mu;
  std::vector<std::pair<cuofeng::v1::Finding, Clock::time_point>> arrived;
  grpc::ClientContext watch_ctx;
  cuofeng::AddKey(&watch_ctx, key);
  cuofeng::v1::WatchFindingsRequest wreq;
  wreq.set_parent(absl::GetFlag(FLAGS_district));
  auto watch = live->WatchFindings(&watch_ctx, wreq);
  std::thread watcher([&] {
    cuofeng::v1::Finding f;
    while (watch->Read(&f)) {
      std::lock_guard<std::mutex> lock(mu);
      arrived.push_back({f, Clock::now()});
    }
  });
  std::map<int64_t, Clock::time_point> returned;  // slot -> when its call returned
  auto send = [&](cuofeng::v1::ComplianceService::Stub* stub, int64_t slot,
                  const std::vector<cuofeng::v1::Reading>& rows) {
    grpc::ClientContext ctx;
    cuofeng::AddKey(&ctx, key);
    cuofeng::v1::IngestSummary summary;
    auto writer = stub->IngestReadings(&ctx, &summary);
    cuofeng::v1::IngestReadingsRequest req;
    req.set_source("live-bench");
    for (const cuofeng::v1::Reading& r : rows) *req.add_readings() = r;
    writer->Write(req);
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    if (!s.ok()) std::cerr << "ingest: " << s.error_message() << "\n";
    returned[slot] = Clock::now();
    return static_cast<int64_t>(summary.accepted());
  };
  const size_t half = slots.size() / 2;
  size_t i = 0;
  int64_t rows_off = 0, rows_on = 0;
  double secs_off = 0, secs_on = 0;
  for (const auto& [slot, rows] : slots) {
    const bool on = i++ >= half;
    auto t0 = Clock::now();
    const int64_t n = send(on ? live.get() : plain.get(), slot, rows);
    (on ? rows_on : rows_off) += n;
    (on ? secs_on : secs_off) += Seconds(t0);
  }
  // Let the last live runs land (bounded): until nothing new arrives for 5 s.
  size_t seen = 0;
  for (int quiet = 0, waited = 0; quiet < 10 && waited < 120; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::lock_guard<std::mutex> lock(mu);
    quiet = arrived.size() == seen ? quiet + 1 : 0;
    seen = arrived.size();
  }
  watch_ctx.TryCancel();
  watcher.join();
  (void)watch->Finish();
  std::vector<double> delays;
  std::map<std::string, int> kinds;
  for (const auto& [f, at] : arrived) {
    const int64_t end = absl::ToUnixMicros(cuofeng::FromTimestamp(f.window_end()));
    auto r = returned.find(end);
    if (r == returned.end() || !f.verification_run().size()) continue;
    delays.push_back(std::chrono::duration<double, std::milli>(at - r->second).count());
    kinds[cuofeng::v1::FindingType_Name(f.type())]++;
  }
  std::sort(delays.begin(), delays.end());
  auto pct = [&](double p) {
    return delays.empty()
               ? 0.0
               : delays[std::min(delays.size() - 1, static_cast<size_t>(p * delays.size()))];
  };
  std::printf(
      "live ingest, %zu slots of %zu readings, one call per slot, back to back: live off %.0f "
      "rows/s, "
      "live on %.0f rows/s; ratio %.2f (on / off)\n",
      slots.size(), slots.begin()->second.size(), rows_off / secs_off, rows_on / secs_on,
      (rows_on / secs_on) / (rows_off / secs_off));
  std::string by_kind;
  for (const auto& [k, n] : kinds)
    absl::StrAppend(&by_kind, by_kind.empty() ? "" : ", ", k, " ", n);
  std::printf(
      "live findings: %zu arrived on WatchFindings, %zu with their proving reading in the live "
      "half (%s); "
      "delay from the proving reading's ingest call returning to the finding: p50 %.0f ms, p99 "
      "%.0f ms, "
      "max %.0f ms (goal: within 60 s)\n",
      arrived.size(), delays.size(), by_kind.c_str(), pct(0.5), pct(0.99),
      delays.empty() ? 0.0 : delays.back());
  return 0;
}

}  // namespace

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string line;
  std::getline(in, line);
  return line + "\n";
}

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string dsn = absl::GetFlag(FLAGS_database);
  const std::string readings = absl::GetFlag(FLAGS_readings);
  pqxx::connection conn(dsn);

  std::printf("load average at the start: %s", LoadAverage().c_str());
  // 1. Ingest through the real path.
  auto t0 = Clock::now();
  const int rc =
      Run(absl::StrCat(absl::GetFlag(FLAGS_cli), " --quiet --server=", absl::GetFlag(FLAGS_server),
                       " --key=", absl::GetFlag(FLAGS_key), " ingest readings ", readings, " > ",
                       readings, ".summary 2>&1"));
  const double ours = Seconds(t0);
  const int64_t rows = pqxx::nontransaction(conn)
                           .exec("SELECT count(*) FROM compliance.reading")[0][0]
                           .as<int64_t>();
  if (rc != 0) {
    std::cerr << "ingest failed (exit " << rc << "), see " << readings << ".summary\n";
    return 1;
  }
  // The same rows, with the compliance ids the server gave the meters, for psql.
  std::map<std::string, int> ids;
  for (const auto& r : pqxx::nontransaction(conn).exec("SELECT name, id FROM compliance.meter")) {
    ids[r[0].as<std::string>()] = r[1].as<int>();
  }
  const std::string plain = readings + ".ids.csv";
  {
    std::ifstream in(readings);
    std::ofstream out(plain);
    std::string line;
    std::getline(in, line);
    out << "meter_id,time,kind,value\n";
    while (std::getline(in, line)) {
      const size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
      out << ids[line.substr(0, c1)] << "," << line.substr(c1 + 1, c2 - c1 - 1) << "+08,1,"
          << line.substr(c3 + 1) << "\n";
    }
  }
  {
    pqxx::work tx(conn);
    tx.exec0("DROP SCHEMA IF EXISTS bench_copy CASCADE");
    tx.exec0("CREATE SCHEMA bench_copy");
    // INCLUDING ALL brings the primary key (meter_id, time) along.
    tx.exec0(
        "CREATE TABLE bench_copy.reading (LIKE compliance.reading INCLUDING ALL) PARTITION BY "
        "RANGE (time)");
    for (const auto& r : tx.exec("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM "
                                 "pg_inherits i JOIN pg_class c ON c.oid = "
                                 "i.inhrelid WHERE i.inhparent = 'compliance.reading'::regclass")) {
      tx.exec0(absl::StrCat("CREATE TABLE bench_copy.", r[0].as<std::string>(),
                            " PARTITION OF bench_copy.reading ", r[1].as<std::string>()));
    }
    tx.commit();
  }
  t0 = Clock::now();
  if (Run(Psql(dsn, absl::StrCat("\\\\copy bench_copy.reading (meter_id, time, kind, value) FROM '",
                                 plain, "' CSV HEADER"))) != 0) {
    std::cerr << "psql \\copy failed\n";
    return 1;
  }
  const double theirs = Seconds(t0);
  std::printf(
      "ingest %lld readings: ours %.1f s = %.0f rows/s; psql \\copy of the same rows into an "
      "identical "
      "table %.1f s = %.0f rows/s; ratio %.2f (target >= 0.6)\n",
      static_cast<long long>(rows), ours, rows / ours, theirs, rows / theirs, theirs / ours);
  (void)Run(Psql(dsn, "DROP SCHEMA bench_copy CASCADE"));
  (void)Run(Psql(dsn, "VACUUM ANALYZE compliance.reading"));
  // 3. Live verification, before the season's verification (which then
  // judges the whole season, the streamed day included).
  if (!absl::GetFlag(FLAGS_live_server).empty() && Live() != 0) return 1;

  // 2. Verification against a plain aggregate scan of the same readings.
  auto stub =
      cuofeng::v1::ComplianceService::NewStub(cuofeng::Connect(absl::GetFlag(FLAGS_server)));
  int64_t from_us, to_us;
  cuofeng::ParseMonitoringTime(absl::GetFlag(FLAGS_from), &from_us);
  cuofeng::ParseMonitoringTime(absl::GetFlag(FLAGS_to), &to_us);
  auto verify = [&](cuofeng::v1::VerificationRun* run,
                    cuofeng::v1::ComplianceService::Stub* on = nullptr) {
    if (on == nullptr) on = stub.get();
    cuofeng::v1::RunVerificationRequest req;
    req.set_district(absl::GetFlag(FLAGS_district));
    *req.mutable_from() = cuofeng::ToTimestamp(absl::FromUnixMicros(from_us));
    *req.mutable_to() = cuofeng::ToTimestamp(absl::FromUnixMicros(to_us));
    grpc::ClientContext ctx;
    cuofeng::AddKey(&ctx, absl::GetFlag(FLAGS_key));
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
    auto start = Clock::now();
    grpc::Status s = on->RunVerification(&ctx, req, run);
    if (!s.ok()) {
      std::cerr << "RunVerification: " << s.error_message() << "\n";
      std::exit(1);
    }
    return Seconds(start);
  };
  cuofeng::v1::VerificationRun first, second;
  const double cold = verify(&first);
  const double warm = verify(&second);
  // Verification reads the readings of (from - 24 h, to] (a day earlier:
  // registers need the reading before); the scan reads the same rows.
  const int64_t scan_from_us = from_us - 86400LL * 1000000;
  const std::string range = absl::StrCat("time > to_timestamp(", scan_from_us,
                                         " / 1e6) AND time <= to_timestamp(", to_us, " / 1e6)");
  int64_t scanned = 0;
  double scan = 0;
  for (int i = 0; i < 2; ++i) {  // the second, like our second run, with warm caches
    pqxx::nontransaction tx(conn);
    t0 = Clock::now();
    pqxx::result r =
        tx.exec(absl::StrCat("SELECT meter_id, count(*), avg(value) FROM compliance.reading WHERE ",
                             range, " GROUP BY meter_id"));
    scan = Seconds(t0);
    scanned = 0;
    for (const auto& row : r) scanned += row[1].as<int64_t>();
  }
  // The floor for reading every reading out of the database: psql's own
  // binary COPY of the same rows, two streams in parallel like ours.
  const std::string half = absl::StrCat((scan_from_us + to_us) / 2);
  auto export_cmd = [&](const std::string& lo, const std::string& hi) {
    return absl::StrCat(
        "psql -X -q \"", dsn,
        "\" -c \"\\copy (SELECT meter_id, time, kind, value FROM compliance.reading ",
        "WHERE time > to_timestamp(", lo, " / 1e6) AND time <= to_timestamp(", hi,
        " / 1e6)) TO '/dev/null' (FORMAT binary)\" > /dev/null");
  };
  t0 = Clock::now();
  (void)Run(absl::StrCat("(", export_cmd(absl::StrCat(scan_from_us), half), " & ",
                         export_cmd(half, absl::StrCat(to_us)), " & wait)"));
  const double floor = Seconds(t0);
  std::printf(
      "verification of %d meters, %lld readings, %d obligation windows, %d gate passages: first "
      "run %.2f s "
      "(computes baselines), second %.2f s (%d findings, all already recorded)\n",
      second.meters(), static_cast<long long>(second.readings()), second.obligation_windows(),
      second.gate_events(), cold, warm, second.findings_unchanged());
  std::printf(
      "plain aggregate scan (count, mean per meter) of the same %lld readings: %.2f s; ratio %.2f "
      "(scan time / verification time, target >= 0.5)\n",
      static_cast<long long>(scanned), scan, scan / warm);
  if (scanned != second.readings()) {
    std::printf("  (the scan and verification counted different rows: %lld against %lld)\n",
                static_cast<long long>(scanned), static_cast<long long>(second.readings()));
  }
  std::printf(
      "psql's own binary COPY of the same readings out of the database, two streams: %.2f s; ratio "
      "%.2f "
      "(export time / verification time: what reading every row costs)\n",
      floor, floor / warm);
  if (!absl::GetFlag(FLAGS_full_scan_server).empty()) {
    // Before the day aggregates: every reading read, on a server of its own.
    auto full = cuofeng::v1::ComplianceService::NewStub(
        cuofeng::Connect(absl::GetFlag(FLAGS_full_scan_server)));
    cuofeng::v1::VerificationRun a, b;
    (void)verify(&a, full.get());
    const double t = verify(&b, full.get());
    auto by_type = [](const cuofeng::v1::VerificationRun& r) {
      std::map<int, int> out;
      for (const auto& c : r.findings()) out[c.type()] = c.count();
      return out;
    };
    // Its first run stores what it finds beside the screened run's findings.
    const bool same = by_type(a) == by_type(second) && a.findings_new() == 0 &&
                      a.findings_superseded() == 0 && a.readings() == second.readings();
    std::printf(
        "verification reading every row (CUOFENG_VERIFY_FULL_SCAN=1, the way before the day "
        "aggregates): %.2f s; ratio %.2f against the scan; findings %s (%d new, %d superseded "
        "against the screened run's)\n",
        t, scan / t, same ? "the same" : "DIFFERENT", a.findings_new(), a.findings_superseded());
  }
  std::printf("load average: %s", LoadAverage().c_str());
  if (absl::GetFlag(FLAGS_server_pid) > 0) {
    std::printf("server peak memory %.0f MiB\n", PeakMiB(absl::GetFlag(FLAGS_server_pid)));
  }
  return 0;
}
