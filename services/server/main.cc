// cuofeng-server: one binary that runs any subset of the service groups.
//   cuofeng-server --database="host=... dbname=..." --listen=127.0.0.1:50051 --services=all
// Applies pending migrations at start and refuses to start if an applied
// migration was edited. Stops cleanly on SIGTERM or SIGINT. Logs go to
// stderr (lib/log), one line per call; --metrics_listen serves Prometheus.
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/db/embedded_files.h"
#include "lib/db/migrations.h"
#include "lib/db/pool.h"
#include "lib/db/probe.h"
#include "lib/db/replica.h"
#include "lib/hj212/receiver.h"
#include "lib/log/log.h"
#include "lib/metrics/http_endpoint.h"
#include "lib/metrics/metrics.h"
#include "lib/model/clock.h"
#include "lib/paging/page_token.h"
#include "lib/process/malloc_tuning.h"
#include "lib/rpc/health.h"
#include "lib/rpc/server.h"
#include "lib/text/text_guard.h"
#include "lib/version/version.h"
#include "services/cems/store.h"
#include "services/compliance/compliance_service.h"
#include "services/core/accounts.h"
#include "services/core/admin_service.h"
#include "services/core/audit.h"
#include "services/core/server_secret.h"
#include "services/documents/document_service.h"
#include "services/notify/channels.h"
#include "services/notify/notification_service.h"
#include "services/notify/worker.h"
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
ABSL_FLAG(std::string, compliance, "",
          "address of ComplianceService, whose measured CEMS transmission list generation judges "
          "(default: this server when it runs compliance; else declared rates only)");
ABSL_FLAG(std::string, database_replica, "",
          "libpq DSN of a PostgreSQL streaming replica of --database: list, export and other "
          "read-only paths read it (a caller's own writes are read from the primary until the "
          "replica has replayed them); unset: everything reads the primary");
ABSL_FLAG(int, pool_size, 8, "database connections (and as many again for the replica)");
ABSL_FLAG(absl::Duration, pool_wait, absl::Seconds(5),
          "longest wait for a free database connection before a call fails with "
          "RESOURCE_EXHAUSTED (a call's own deadline can make it shorter)");
ABSL_FLAG(bool, live_verification, false,
          "check meter readings as they land while an alert or a staggered period binds");
ABSL_FLAG(absl::Duration, live_sweep, absl::Minutes(1),
          "with --live_verification: how often every meter is looked at for silence");
ABSL_FLAG(std::string, clock, "",
          "replay: start the server's clock at this RFC 3339 instant (e.g. "
          "2018-11-01T08:00:00+08:00) and let it run from there; unset in production");
ABSL_FLAG(std::string, log_format, "text",
          "log lines on stderr: text (time LEVEL message key=value ...) or json (one object "
          "per line)");
ABSL_FLAG(std::string, metrics_listen, "",
          "address:port to serve Prometheus metrics on (GET /metrics, plain HTTP), e.g. "
          "127.0.0.1:9464; empty: no metrics endpoint");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM file of the server's TLS certificate (chain); with --tls_key, gRPC is served "
          "over TLS only");
ABSL_FLAG(std::string, tls_key, "", "PEM file of the private key of --tls_cert");
ABSL_FLAG(std::string, hj212_listen, "",
          "address:port to receive CEMS data loggers' HJ 212-2017 packets on (TCP), e.g. "
          "0.0.0.0:9212; empty: no HJ 212 receiver");
ABSL_FLAG(std::string, hj212_key_file, "",
          "file holding an API key of role service (cfk_...): the HJ 212 receiver reads the "
          "monitoring points (MN, access password) through RegistryService with it, and live "
          "verification's sweep judges CEMS data with it in districts no ingest call has reached; "
          "required with --hj212_listen");
ABSL_FLAG(std::string, smtp_server, "",
          "host:port of the SMTP relay that notification e-mail goes through (plain SMTP, no "
          "AUTH: a relay on a trusted network); empty: e-mail deliveries fail and are retried");
ABSL_FLAG(std::string, mail_from, "cuofeng@localhost", "sender address of notification e-mail");
ABSL_FLAG(bool, notify_deliver, true,
          "send notifications from this process (false: it writes the outbox only and leaves "
          "sending to the other processes)");
ABSL_FLAG(absl::Duration, notify_poll, absl::Seconds(1), "how often the outbox is looked at");
ABSL_FLAG(absl::Duration, notify_retry_base, absl::Seconds(30),
          "wait before a failed delivery's first retry; doubled for each further one");
ABSL_FLAG(int, notify_max_attempts, 8,
          "attempts per delivery before it is dead-lettered (DELIVERY_DEAD)");
ABSL_FLAG(std::string, webhook_ca_file, "",
          "PEM file of a CA that https webhooks' certificates may chain to, beside the system's "
          "trust store (e.g. a bureau's own CA)");
ABSL_FLAG(absl::Duration, notify_send_timeout, absl::Seconds(10),
          "deadline of one e-mail or webhook send, from connect to the last reply");

namespace {

// SetUpOperations sets up what operators see before anything else runs: the log format
// and the metrics endpoint (returned, so it lives as long as main).
bool SetUpOperations(std::unique_ptr<cuofeng::metrics::MetricsEndpoint>* endpoint) {
  cuofeng::logging::Format format;
  const std::string log_format = absl::GetFlag(FLAGS_log_format);
  if (!cuofeng::logging::ParseFormat(log_format, &format)) {
    cuofeng::logging::Error(
        absl::StrCat("cuofeng-server: --log_format=", log_format, " is neither text nor json"));
    return false;
  }
  cuofeng::logging::SetFormat(format);
  cuofeng::RouteGrpcLogsToLogger();
  cuofeng::metrics::RegisterProcessMetrics(cuofeng::ProjectVersion(), cuofeng::ProjectCommit());
  cuofeng::logging::Info("cuofeng-server starting", {{"version", cuofeng::ProjectVersion()},
                                                     {"commit", cuofeng::ProjectCommit()},
                                                     {"pid", static_cast<int64_t>(getpid())}});
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (metrics_listen.empty()) return true;
  auto started = cuofeng::metrics::MetricsEndpoint::Start(metrics_listen,
                                                          &cuofeng::metrics::Registry::Default());
  if (!started.ok()) {
    cuofeng::logging::Error(absl::StrCat("cuofeng-server: ", started.status().message()));
    return false;
  }
  *endpoint = std::move(*started);
  cuofeng::logging::Info("metrics endpoint serving /metrics",
                         {{"metrics_listen", metrics_listen}, {"port", (*endpoint)->port()}});
  return true;
}

// ServerOptionsFromFlags reads --listen and the TLS flags. With TLS, this
// process's calls to itself go over a plaintext abstract unix socket of its
// own (reachable from this machine only), since they would not pass the
// certificate's name check on a wildcard address.
cuofeng::ServerOptions ServerOptionsFromFlags() {
  cuofeng::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    options.internal_listen = absl::StrCat("unix-abstract:cuofeng-server-", getpid());
  }
  return options;
}

// SelfAddress is where this process's own services answer it.
std::string SelfAddress(const cuofeng::ServerOptions& options) {
  return options.internal_listen.empty() ? options.listen : options.internal_listen;
}

// ServiceKey reads --hj212_key_file and checks with the key store that it
// holds a live key of role service. Returns false (having logged why) when
// it does not; `authorization` is then left empty.
bool ServiceKey(cuofeng::KeyStore& keys, std::string* authorization, std::string* key_name) {
  const std::string path = absl::GetFlag(FLAGS_hj212_key_file);
  if (path.empty()) return true;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    cuofeng::logging::Error(absl::StrCat("cuofeng-server: --hj212_key_file=", path,
                                         " cannot be read (it should hold an API key of role "
                                         "service, made with `cuofeng admin create-key "
                                         "--role=service`)"));
    return false;
  }
  const std::string secret(absl::StripAsciiWhitespace(text.str()));
  if (secret.empty()) {
    cuofeng::logging::Error(absl::StrCat("cuofeng-server: --hj212_key_file=", path,
                                         " is empty (it should hold an API key of role service)"));
    return false;
  }
  auto principal = keys.Authenticate(secret);
  if (!principal.ok()) {
    cuofeng::logging::Error(absl::StrCat("cuofeng-server: --hj212_key_file=", path,
                                         ": the key is refused: ", principal.status().message()));
    return false;
  }
  if (principal->role != cuofeng::Role::kService) {
    cuofeng::logging::Error(absl::StrCat("cuofeng-server: --hj212_key_file=", path, ": the key (",
                                         principal->key_name, ") has role ",
                                         cuofeng::RoleName(principal->role),
                                         "; the HJ 212 receiver needs a key of role service"));
    return false;
  }
  *authorization = absl::StrCat("Bearer ", secret);
  *key_name = principal->key_name;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  cuofeng::TuneMalloc(argv);  // may start the server again, with the heap settings
  absl::SetProgramUsageMessage(
      "cuofeng-server --database=DSN [--listen=ADDR] [--services=all|registry]");
  // --version (Abseil's own flag) prints this and exits, before anything else.
  absl::FlagsUsageConfig usage;
  usage.version_string = [] {
    return absl::StrCat("cuofeng-server ", cuofeng::ProjectVersion(), " (commit ",
                        cuofeng::ProjectCommit(), ")\n");
  };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  cuofeng::BlockTerminationSignals();
  std::unique_ptr<cuofeng::metrics::MetricsEndpoint> metrics_endpoint;
  if (!SetUpOperations(&metrics_endpoint)) return 2;
  cuofeng::ServerOptions options = ServerOptionsFromFlags();
  if (auto credentials = cuofeng::ListeningCredentials(options); !credentials.ok()) {
    cuofeng::logging::Error(absl::StrCat("cuofeng-server: ", credentials.status().message()));
    return 2;
  }
  const std::string dsn = absl::GetFlag(FLAGS_database);
  if (dsn.empty()) {
    cuofeng::logging::Error(
        "cuofeng-server: --database is required (a libpq DSN, e.g. \"host=/tmp port=5432 "
        "dbname=cuofeng\")");
    return 2;
  }
  if (const std::string clock = absl::GetFlag(FLAGS_clock); !clock.empty()) {
    absl::Time start;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, clock, &start, &error)) {
      cuofeng::logging::Error(
          absl::StrCat("cuofeng-server: --clock=", clock, " is not an RFC 3339 instant: ", error));
      return 2;
    }
    cuofeng::StartClockAt(start);
    cuofeng::logging::Info(absl::StrCat(
        "clock started at ", absl::FormatTime(absl::RFC3339_sec, start, absl::UTCTimeZone())));
  }
  std::set<std::string> groups;
  for (auto g : absl::StrSplit(absl::GetFlag(FLAGS_services), ',', absl::SkipEmpty())) {
    groups.insert(std::string(g));
  }
  const std::set<std::string> known = {"all", "registry", "planning", "compliance"};
  for (const auto& g : groups) {
    if (known.count(g) == 0) {
      cuofeng::logging::Error(
          absl::StrCat("cuofeng-server: unknown service group \"", g,
                       "\" in --services; this build has: ", absl::StrJoin(known, ", ")));
      return 2;
    }
  }
  cuofeng::ConnectionPool::Options pool_options;
  pool_options.size = absl::GetFlag(FLAGS_pool_size);
  pool_options.max_wait = absl::GetFlag(FLAGS_pool_wait);
  auto pool =
      cuofeng::ConnectionPool::Create(dsn + " application_name=cuofeng-primary", pool_options);
  if (!pool.ok()) {
    cuofeng::logging::Error(absl::StrCat("cuofeng-server: ", pool.status().message()));
    return 1;
  }
  auto applied = cuofeng::ApplyMigrations(**pool, cuofeng::SqlMigrations());
  if (!applied.ok()) {
    cuofeng::logging::Error(
        absl::StrCat("cuofeng-server: refusing to start: ", applied.status().message()));
    return 1;
  }
  for (const auto& path : *applied) {
    cuofeng::logging::Info(absl::StrCat("applied migration ", path));
  }
  auto token_key = cuofeng::ServerSecret(**pool, "page_token_key");
  if (!token_key.ok()) {
    cuofeng::logging::Error(absl::StrCat("cuofeng-server: ", token_key.status().message()));
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
      cuofeng::logging::Error(
          absl::StrCat("cuofeng-server: --database_replica: ", created.status().message()));
      return 1;
    }
    replica_pool = std::move(*created);
  }
  cuofeng::ReadRouter read_router(pool->get(), replica_pool.get());
  // The primary pool's figures, read when Prometheus scrapes.
  cuofeng::metrics::Registry::Default().AddCollector([primary = pool->get()] {
    static absl::Mutex mu;
    static int64_t waits = 0, timeouts = 0;
    const cuofeng::ConnectionPool::Stats stats = primary->stats();
    absl::MutexLock lock(&mu);
    cuofeng::metrics::DbPoolSize().Set(stats.size);
    cuofeng::metrics::DbPoolInUse().Set(stats.in_use);
    cuofeng::metrics::DbPoolWaits().Increment(static_cast<double>(stats.waits - waits));
    cuofeng::metrics::DbPoolTimeouts().Increment(static_cast<double>(stats.timeouts - timeouts));
    waits = stats.waits;
    timeouts = stats.timeouts;
    return std::string();
  });

  cuofeng::KeyStore keys(pool->get());
  cuofeng::CallGuard guard(pool->get(), &keys);
  // The HJ 212 receiver reads the registry through its API with a service
  // key of its own; the live sweep uses the same key.
  const bool hj212 = !absl::GetFlag(FLAGS_hj212_listen).empty();
  if (hj212 && absl::GetFlag(FLAGS_hj212_key_file).empty()) {
    cuofeng::logging::Error(
        "cuofeng-server: --hj212_listen needs --hj212_key_file=PATH, a file holding an API key "
        "of role service (`cuofeng admin create-key --role=service`): the receiver reads the "
        "monitoring points through RegistryService with it");
    return 2;
  }
  std::string service_authorization, service_key_name;
  if (!ServiceKey(keys, &service_authorization, &service_key_name)) return 2;
  guard.set_read_router(&read_router);
  cuofeng::AdminServiceImpl admin(&guard);
  cuofeng::AccountServiceImpl accounts(&guard, pool->get());
  cuofeng::RegistryServiceImpl registry(&guard);
  std::vector<cuofeng::NamedService> services = {
      {cuofeng::v1::AdminService::service_full_name(), &admin},
      {cuofeng::v1::AccountService::service_full_name(), &accounts}};
  const bool all = groups.count("all") > 0;
  const bool has_registry = all || groups.count("registry");
  if (has_registry) {
    services.push_back({cuofeng::v1::RegistryService::service_full_name(), &registry});
  }
  // Planning reads the registry over gRPC: this server's own address when
  // the registry runs here, else --registry.
  std::string registry_address = absl::GetFlag(FLAGS_registry);
  if (registry_address.empty() && has_registry) registry_address = SelfAddress(options);
  std::unique_ptr<cuofeng::PlanningServiceImpl> planning;
  // Follows filings and alerts made through any process on this database.
  cuofeng::ObligationCache obligations_cache(pool->get(), dsn);
  cuofeng::FilingServiceImpl filing(&guard, &obligations_cache);
  cuofeng::ObligationServiceImpl obligations(&guard, &obligations_cache);
  std::unique_ptr<cuofeng::AlertServiceImpl> alerts;
  if (all || groups.count("planning")) {
    if (registry_address.empty()) {
      cuofeng::logging::Error(
          "cuofeng-server: the planning service needs --registry=ADDRESS when the registry "
          "service runs elsewhere");
      return 2;
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(256 << 20);
    auto registry_channel =
        grpc::CreateCustomChannel(registry_address, grpc::InsecureChannelCredentials(), args);
    std::string compliance_address = absl::GetFlag(FLAGS_compliance);
    if (compliance_address.empty() && (all || groups.count("compliance"))) {
      compliance_address = SelfAddress(options);
    }
    planning = std::make_unique<cuofeng::PlanningServiceImpl>(
        &guard, registry_channel,
        compliance_address.empty()
            ? nullptr
            : grpc::CreateCustomChannel(compliance_address, grpc::InsecureChannelCredentials(),
                                        args));
    alerts =
        std::make_unique<cuofeng::AlertServiceImpl>(&guard, &obligations_cache, registry_channel);
    services.push_back({cuofeng::v1::PlanningService::service_full_name(), planning.get()});
    services.push_back({cuofeng::v1::FilingService::service_full_name(), &filing});
    services.push_back({cuofeng::v1::AlertService::service_full_name(), alerts.get()});
    services.push_back({cuofeng::v1::ObligationService::service_full_name(), &obligations});
  }
  // Notifications: with the planning services, whose changes they report.
  std::unique_ptr<cuofeng::NotificationServiceImpl> notifications;
  std::unique_ptr<cuofeng::NotificationWorker> notification_worker;
  if (all || groups.count("planning")) {
    auto notify_key = cuofeng::ServerSecret(**pool, "notify_webhook_secret_key");
    if (!notify_key.ok()) {
      cuofeng::logging::Error(absl::StrCat("cuofeng-server: ", notify_key.status().message()));
      return 1;
    }
    notifications = std::make_unique<cuofeng::NotificationServiceImpl>(
        &guard, grpc::CreateChannel(registry_address, grpc::InsecureChannelCredentials()),
        *notify_key);
    services.push_back(
        {cuofeng::v1::NotificationService::service_full_name(), notifications.get()});
    cuofeng::NotifyOptions notify;
    notify.smtp_server = absl::GetFlag(FLAGS_smtp_server);
    cuofeng::SetWebhookCaFile(absl::GetFlag(FLAGS_webhook_ca_file));
    notify.mail_from = absl::GetFlag(FLAGS_mail_from);
    notify.deliver = absl::GetFlag(FLAGS_notify_deliver);
    notify.poll = absl::GetFlag(FLAGS_notify_poll);
    notify.retry_base = absl::GetFlag(FLAGS_notify_retry_base);
    notify.max_attempts = absl::GetFlag(FLAGS_notify_max_attempts);
    notify.send_timeout = absl::GetFlag(FLAGS_notify_send_timeout);
    notification_worker = std::make_unique<cuofeng::NotificationWorker>(
        pool->get(), &obligations_cache, *notify_key, notify);
    notification_worker->Start();
  }
  // Compliance reads the registry and the obligations over gRPC as well.
  std::unique_ptr<cuofeng::ComplianceServiceImpl> compliance;
  if (all || groups.count("compliance")) {
    std::string planning_address = absl::GetFlag(FLAGS_planning);
    if (planning_address.empty() && (all || groups.count("planning"))) {
      planning_address = SelfAddress(options);
    }
    if (registry_address.empty() || planning_address.empty()) {
      cuofeng::logging::Error(
          "cuofeng-server: the compliance service needs --registry=ADDRESS and "
          "--planning=ADDRESS when those services run elsewhere");
      return 2;
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(256 << 20);
    compliance = std::make_unique<cuofeng::ComplianceServiceImpl>(
        &guard,
        grpc::CreateCustomChannel(registry_address, grpc::InsecureChannelCredentials(), args),
        grpc::CreateCustomChannel(planning_address, grpc::InsecureChannelCredentials(), args),
        cuofeng::LiveOptions{absl::GetFlag(FLAGS_live_verification),
                             absl::GetFlag(FLAGS_live_sweep), service_authorization,
                             service_key_name});
    services.push_back({cuofeng::v1::ComplianceService::service_full_name(), compliance.get()});
  }
  // Documents gather what they show from the other services of this process.
  std::unique_ptr<cuofeng::DocumentServiceImpl> documents;
  if (all) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(256 << 20);
    documents = std::make_unique<cuofeng::DocumentServiceImpl>(
        &guard,
        grpc::CreateCustomChannel(SelfAddress(options), grpc::InsecureChannelCredentials(), args));
    services.push_back({cuofeng::v1::DocumentService::service_full_name(), documents.get()});
  }
  // Health follows the database: NOT_SERVING while it cannot be reached.
  std::vector<std::string> service_names = {"grpc.health.v1.Health"};
  for (const auto& s : services) service_names.push_back(s.name);
  cuofeng::HealthService health(service_names);
  cuofeng::DatabaseProbe probe(dsn, absl::Seconds(1),
                               [&health](bool reachable) { health.SetServing(reachable); });
  cuofeng::RefusalAuditor refusals(pool->get(), &keys);
  // CEMS data loggers (HJ 212) connect here; stopped before the pool goes.
  // The receiver knows devices through RegistryService: this server's own
  // when the registry runs here, else --registry.
  if (hj212 && registry_address.empty()) {
    cuofeng::logging::Error(
        "cuofeng-server: --hj212_listen needs --registry=ADDRESS when the registry service runs "
        "elsewhere (the receiver reads the monitoring points through it)");
    return 2;
  }
  cuofeng::CemsStore cems_store(
      pool->get(),
      hj212 ? grpc::CreateChannel(registry_address, grpc::InsecureChannelCredentials()) : nullptr,
      service_authorization);
  std::unique_ptr<cuofeng::hj212::Receiver> hj212_receiver;
  if (hj212) {
    cuofeng::hj212::Receiver::Options hj212_options;
    hj212_options.listen = absl::GetFlag(FLAGS_hj212_listen);
    auto started = cuofeng::hj212::Receiver::Start(
        hj212_options,
        [&cems_store](std::vector<cuofeng::hj212::Received>& batch) { cems_store.Handle(batch); });
    if (!started.ok()) {
      cuofeng::logging::Error(absl::StrCat("cuofeng-server: ", started.status().message()));
      return 2;
    }
    hj212_receiver = std::move(*started);
    cems_store.set_sender([r = hj212_receiver.get()](uint64_t connection, std::string bytes) {
      r->Send(connection, std::move(bytes));
    });
    cuofeng::logging::Info(
        absl::StrCat("cuofeng-server receiving HJ 212 on ", hj212_options.listen),
        {{"port", static_cast<int64_t>(hj212_receiver->port())}});
  }
  options.health = &health;
  options.interceptors.push_back(refusals.InterceptorFactory());
  options.interceptors.push_back(cuofeng::NewTextGuardFactory());
  absl::Status status = cuofeng::ServeUntilSignal(options, services);
  if (!status.ok()) {
    cuofeng::logging::Error(absl::StrCat("cuofeng-server: ", status.message()));
    return 1;
  }
  return 0;
}
