// cuofeng-server: one binary that runs any subset of the service groups.
//   cuofeng-server --database="host=... dbname=..." --listen=127.0.0.1:50051 --services=all
// Applies pending migrations at start and refuses to start if an applied
// migration was edited. Stops cleanly on SIGTERM or SIGINT.
#include <iostream>
#include <set>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/db/embedded_files.h"
#include "lib/db/migrations.h"
#include "lib/db/pool.h"
#include "lib/db/probe.h"
#include "lib/db/replica.h"
#include "lib/paging/page_token.h"
#include "services/core/server_secret.h"
#include "lib/rpc/health.h"
#include "lib/model/clock.h"
#include "lib/rpc/server.h"
#include "services/compliance/compliance_service.h"
#include "services/core/admin_service.h"
#include "services/core/audit.h"
#include "services/planning/alert_service.h"
#include "services/planning/filing_service.h"
#include "services/planning/obligation_service.h"
#include "services/planning/planning_service.h"
#include "services/registry/registry_service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "address:port to serve gRPC on");
ABSL_FLAG(std::string, database, "", "libpq connection string (DSN) of the PostgreSQL database");
ABSL_FLAG(std::string, services, "all",
          "service groups to run: all, or a comma list of registry, planning, compliance");
ABSL_FLAG(std::string, registry, "",
          "address of RegistryService for the planning service (default: this server)");
ABSL_FLAG(std::string, planning, "",
          "address of the planning services for the compliance service (default: this server)");
ABSL_FLAG(std::string, database_replica, "",
          "libpq DSN of a PostgreSQL streaming replica of --database: list, export and other "
          "read-only paths read it (a caller's own writes are read from the primary until the "
          "replica has replayed them); unset: everything reads the primary");
ABSL_FLAG(int, pool_size, 8, "database connections (and as many again for the replica)");
ABSL_FLAG(absl::Duration, pool_wait, absl::Seconds(5),
          "longest wait for a free database connection before a call fails with "
          "RESOURCE_EXHAUSTED (a call's own deadline can make it shorter)");
ABSL_FLAG(std::string, clock, "",
          "replay: start the server's clock at this RFC 3339 instant (e.g. "
          "2018-11-01T08:00:00+08:00) and let it run from there; unset in production");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "cuofeng-server --database=DSN [--listen=ADDR] [--services=all|registry]");
  absl::ParseCommandLine(argc, argv);
  cuofeng::BlockTerminationSignals();
  const std::string dsn = absl::GetFlag(FLAGS_database);
  if (dsn.empty()) {
    std::cerr << "cuofeng-server: --database is required (a libpq DSN, e.g. "
                 "\"host=/tmp port=5432 dbname=cuofeng\")\n";
    return 2;
  }
  if (const std::string clock = absl::GetFlag(FLAGS_clock); !clock.empty()) {
    absl::Time start;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, clock, &start, &error)) {
      std::cerr << "cuofeng-server: --clock=" << clock << " is not an RFC 3339 instant: " << error
                << "\n";
      return 2;
    }
    cuofeng::StartClockAt(start);
    std::cout << "clock started at " << absl::FormatTime(absl::RFC3339_sec, start, absl::UTCTimeZone())
              << "\n";
  }
  std::set<std::string> groups;
  for (auto g : absl::StrSplit(absl::GetFlag(FLAGS_services), ',', absl::SkipEmpty())) {
    groups.insert(std::string(g));
  }
  const std::set<std::string> known = {"all", "registry", "planning", "compliance"};
  for (const auto& g : groups) {
    if (known.count(g) == 0) {
      std::cerr << "cuofeng-server: unknown service group \"" << g
                << "\" in --services; this build has: " << absl::StrJoin(known, ", ") << "\n";
      return 2;
    }
  }
  cuofeng::ConnectionPool::Options pool_options;
  pool_options.size = absl::GetFlag(FLAGS_pool_size);
  pool_options.max_wait = absl::GetFlag(FLAGS_pool_wait);
  auto pool = cuofeng::ConnectionPool::Create(dsn + " application_name=cuofeng-primary", pool_options);
  if (!pool.ok()) {
    std::cerr << "cuofeng-server: " << pool.status().message() << "\n";
    return 1;
  }
  auto applied = cuofeng::ApplyMigrations(**pool, cuofeng::SqlMigrations());
  if (!applied.ok()) {
    std::cerr << "cuofeng-server: refusing to start: " << applied.status().message() << "\n";
    return 1;
  }
  for (const auto& path : *applied) std::cout << "applied migration " << path << "\n";
  auto token_key = cuofeng::ServerSecret(**pool, "page_token_key");
  if (!token_key.ok()) {
    std::cerr << "cuofeng-server: " << token_key.status().message() << "\n";
    return 1;
  }
  cuofeng::SetPageTokenKey(*token_key);
  std::unique_ptr<cuofeng::ConnectionPool> replica_pool;
  if (const std::string replica = absl::GetFlag(FLAGS_database_replica); !replica.empty()) {
    cuofeng::ConnectionPool::Options replica_options = pool_options;
    replica_options.name = "replica";
    auto created = cuofeng::ConnectionPool::Create(replica + " application_name=cuofeng-replica",
                                                   replica_options);
    if (!created.ok()) {
      std::cerr << "cuofeng-server: --database_replica: " << created.status().message() << "\n";
      return 1;
    }
    replica_pool = std::move(*created);
  }
  cuofeng::ReadRouter read_router(pool->get(), replica_pool.get());

  cuofeng::KeyStore keys(pool->get());
  cuofeng::CallGuard guard(pool->get(), &keys);
  guard.set_read_router(&read_router);
  cuofeng::AdminServiceImpl admin(&guard);
  cuofeng::RegistryServiceImpl registry(&guard);
  std::vector<cuofeng::NamedService> services = {
      {cuofeng::v1::AdminService::service_full_name(), &admin}};
  const bool all = groups.count("all") > 0;
  const bool has_registry = all || groups.count("registry");
  if (has_registry) {
    services.push_back({cuofeng::v1::RegistryService::service_full_name(), &registry});
  }
  // Planning reads the registry over gRPC: this server's own address when
  // the registry runs here, else --registry.
  std::string registry_address = absl::GetFlag(FLAGS_registry);
  if (registry_address.empty() && has_registry) registry_address = absl::GetFlag(FLAGS_listen);
  std::unique_ptr<cuofeng::PlanningServiceImpl> planning;
  // Follows filings and alerts made through any process on this database.
  cuofeng::ObligationCache obligations_cache(pool->get(), dsn);
  cuofeng::FilingServiceImpl filing(&guard, &obligations_cache);
  cuofeng::ObligationServiceImpl obligations(&guard, &obligations_cache);
  std::unique_ptr<cuofeng::AlertServiceImpl> alerts;
  if (all || groups.count("planning")) {
    if (registry_address.empty()) {
      std::cerr
          << "cuofeng-server: the planning service needs --registry=ADDRESS when the registry "
             "service runs elsewhere\n";
      return 2;
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(256 << 20);
    auto registry_channel =
        grpc::CreateCustomChannel(registry_address, grpc::InsecureChannelCredentials(), args);
    planning = std::make_unique<cuofeng::PlanningServiceImpl>(&guard, registry_channel);
    alerts = std::make_unique<cuofeng::AlertServiceImpl>(&guard, &obligations_cache, registry_channel);
    services.push_back({cuofeng::v1::PlanningService::service_full_name(), planning.get()});
    services.push_back({cuofeng::v1::FilingService::service_full_name(), &filing});
    services.push_back({cuofeng::v1::AlertService::service_full_name(), alerts.get()});
    services.push_back({cuofeng::v1::ObligationService::service_full_name(), &obligations});
  }
  // Compliance reads the registry and the obligations over gRPC as well.
  std::unique_ptr<cuofeng::ComplianceServiceImpl> compliance;
  if (all || groups.count("compliance")) {
    std::string planning_address = absl::GetFlag(FLAGS_planning);
    if (planning_address.empty() && (all || groups.count("planning"))) {
      planning_address = absl::GetFlag(FLAGS_listen);
    }
    if (registry_address.empty() || planning_address.empty()) {
      std::cerr << "cuofeng-server: the compliance service needs --registry=ADDRESS and "
                   "--planning=ADDRESS when those services run elsewhere\n";
      return 2;
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(256 << 20);
    compliance = std::make_unique<cuofeng::ComplianceServiceImpl>(
        &guard, grpc::CreateCustomChannel(registry_address, grpc::InsecureChannelCredentials(), args),
        grpc::CreateCustomChannel(planning_address, grpc::InsecureChannelCredentials(), args));
    services.push_back({cuofeng::v1::ComplianceService::service_full_name(), compliance.get()});
  }
  // Health follows the database: NOT_SERVING while it cannot be reached.
  std::vector<std::string> service_names = {"grpc.health.v1.Health"};
  for (const auto& s : services) service_names.push_back(s.name);
  cuofeng::HealthService health(service_names);
  cuofeng::DatabaseProbe probe(dsn, absl::Seconds(1),
                               [&health](bool reachable) { health.SetServing(reachable); });
  cuofeng::RefusalAuditor refusals(pool->get(), &keys);
  cuofeng::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.health = &health;
  options.interceptors.push_back(refusals.InterceptorFactory());
  absl::Status status = cuofeng::ServeUntilSignal(options, services);
  if (!status.ok()) {
    std::cerr << "cuofeng-server: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
