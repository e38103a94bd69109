#include "lib/metrics/metrics.h"

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace cuofeng {
namespace metrics {
namespace {

void AtomicAdd(std::atomic<double>* target, double by) {
  double old = target->load(std::memory_order_relaxed);
  while (!target->compare_exchange_weak(old, old + by, std::memory_order_relaxed)) {
  }
}

// Label values escape backslash, double quote and line feed; HELP text
// escapes backslash and line feed.
std::string EscapeLabel(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Labels renders {a="x",b="y"} plus an optional extra pair (le for buckets);
// empty when there are none.
std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   absl::string_view extra_name = "", absl::string_view extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "{" : ",", names[i], "=\"", EscapeLabel(values[i]), "\"");
  }
  if (!extra_name.empty()) {
    absl::StrAppend(&out, out.empty() ? "{" : ",", extra_name, "=\"", EscapeLabel(extra_value),
                    "\"");
  }
  if (!out.empty()) out += "}";
  return out;
}

void Header(std::string* out, const std::string& name, const std::string& help,
            absl::string_view type) {
  absl::StrAppend(out, "# HELP ", name, " ", EscapeHelp(help), "\n# TYPE ", name, " ", type, "\n");
}

template <typename T>
void RenderSimple(std::string* out, const Family<T>& family, absl::string_view type) {
  Header(out, family.name(), family.help(), type);
  family.ForEach([&](const std::vector<std::string>& labels, const T& child) {
    absl::StrAppend(out, family.name(), Labels(family.label_names(), labels), " ",
                    FormatValue(child.Value()), "\n");
  });
}

void RenderHistogram(std::string* out, const Family<Histogram>& family) {
  Header(out, family.name(), family.help(), "histogram");
  family.ForEach([&](const std::vector<std::string>& labels, const Histogram& child) {
    Histogram::Snapshot s = child.Read();
    for (size_t i = 0; i <= s.bounds.size(); ++i) {
      std::string le = i < s.bounds.size() ? FormatValue(s.bounds[i]) : "+Inf";
      absl::StrAppend(out, family.name(), "_bucket", Labels(family.label_names(), labels, "le", le),
                      " ", s.cumulative[i], "\n");
    }
    std::string l = Labels(family.label_names(), labels);
    absl::StrAppend(out, family.name(), "_sum", l, " ", FormatValue(s.sum), "\n");
    absl::StrAppend(out, family.name(), "_count", l, " ", s.count, "\n");
  });
}

// ProcStat holds the fields of /proc/self/stat after the command name.
std::vector<std::string> ProcStat() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return {};
  return absl::StrSplit(text.substr(close + 2), ' ', absl::SkipEmpty());
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

std::string ProcessText() {
  std::string out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::vector<std::string> stat = ProcStat();
  // Fields counted from 3 (state) in proc(5): utime 14, stime 15,
  // starttime 22, vsize 23, rss 24.
  auto field = [&](int n) -> double {
    size_t i = static_cast<size_t>(n - 3);
    return i < stat.size() ? std::strtod(stat[i].c_str(), nullptr) : 0;
  };
  Header(&out, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge");
  absl::StrAppend(&out, "process_resident_memory_bytes ",
                  FormatValue(static_cast<double>(ProcessResidentBytes())), "\n");
  Header(&out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge");
  absl::StrAppend(&out, "process_virtual_memory_bytes ", FormatValue(field(23)), "\n");
  Header(&out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
         "counter");
  absl::StrAppend(&out, "process_cpu_seconds_total ", FormatValue((field(14) + field(15)) / ticks),
                  "\n");
  Header(&out, "process_start_time_seconds",
         "Start time of the process since unix epoch in seconds.", "gauge");
  absl::StrAppend(&out, "process_start_time_seconds ",
                  FormatValue(std::floor(BootTimeSeconds() + field(22) / ticks)), "\n");
  return out;
}

}  // namespace

void Counter::Increment(double by) {
  if (by > 0) AtomicAdd(&value_, by);
}

void Gauge::Add(double by) { AtomicAdd(&value_, by); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(&sum_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  // The count is the +Inf bucket, so the two always agree within a scrape.
  s.count = running;
  return s;
}

const std::vector<double>& DurationBuckets() {
  static const auto* bounds = new std::vector<double>{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return *bounds;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // The shortest of 15-17 digits that reads back as the same double.
  std::string text;
  for (int digits = 15; digits <= 17; ++digits) {
    text = absl::StrFormat("%.*g", digits, value);
    if (std::strtod(text.c_str(), nullptr) == value) break;
  }
  return text;
}

int64_t ProcessResidentBytes() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

Registry& Registry::Default() {
  static Registry* registry = new Registry;
  return *registry;
}

Registry::Entry& Registry::Find(const std::string& name, Type type) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) it->second.type = type;
  return it->second;
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  Entry& e = Find(name, Type::kCounter);
  if (e.counter == nullptr) {
    e.counter = std::make_unique<Family<Counter>>(name, help, std::move(label_names));
  }
  return *e.counter;
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  Entry& e = Find(name, Type::kGauge);
  if (e.gauge == nullptr) {
    e.gauge = std::make_unique<Family<Gauge>>(name, help, std::move(label_names));
  }
  return *e.gauge;
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  Entry& e = Find(name, Type::kHistogram);
  if (e.histogram == nullptr) {
    e.histogram =
        std::make_unique<Family<Histogram>>(name, help, std::move(label_names), std::move(bounds));
  }
  return *e.histogram;
}

void Registry::AddCollector(std::function<std::string()> collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Render() const {
  std::string out;
  std::vector<std::function<std::string()>> collectors;
  {
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& [name, e] : families_) {
      if (e.counter != nullptr) RenderSimple(&out, *e.counter, "counter");
      if (e.gauge != nullptr) RenderSimple(&out, *e.gauge, "gauge");
      if (e.histogram != nullptr) RenderHistogram(&out, *e.histogram);
    }
    collectors = collectors_;
  }
  for (const auto& c : collectors) out += c();
  return out;
}

// --- cuofeng's metrics ----------------------------------------------------

namespace {

Family<Counter>& RpcCallsFamily() {
  static auto& f = Registry::Default().AddCounter(
      "cuofeng_rpc_calls_total", "gRPC calls finished, by full method and status code.",
      {"method", "code"});
  return f;
}

Family<Histogram>& RpcDurationFamily() {
  static auto& f = Registry::Default().AddHistogram(
      "cuofeng_rpc_duration_seconds",
      "Time from a gRPC call's arrival to its status, by full method and status code.",
      {"method", "code"});
  return f;
}

Family<Counter>& IngestRowsFamily() {
  static auto& f = Registry::Default().AddCounter(
      "cuofeng_ingest_rows_total",
      "Monitoring rows received, by kind (readings, gate, ledger) and outcome (accepted, "
      "duplicate, rejected).",
      {"kind", "outcome"});
  return f;
}

Family<Counter>& VerificationRunsFamily() {
  static auto& f = Registry::Default().AddCounter(
      "cuofeng_verification_runs_total", "Verification runs, by final status code.", {"status"});
  return f;
}

}  // namespace

Counter& RpcCalls(absl::string_view method, absl::string_view code) {
  return RpcCallsFamily().With({std::string(method), std::string(code)});
}

Histogram& RpcDuration(absl::string_view method, absl::string_view code) {
  return RpcDurationFamily().With({std::string(method), std::string(code)});
}

Gauge& DbPoolSize() {
  static Gauge& g = Registry::Default()
                        .AddGauge("cuofeng_db_pool_size", "Database connections the pool may open.")
                        .With({});
  return g;
}

Gauge& DbPoolInUse() {
  static Gauge& g = Registry::Default()
                        .AddGauge("cuofeng_db_pool_in_use", "Pooled database connections lent out.")
                        .With({});
  return g;
}

Counter& DbPoolWaits() {
  static Counter& c =
      Registry::Default()
          .AddCounter("cuofeng_db_pool_waits_total",
                      "Acquisitions of a pooled connection that had to wait for one.")
          .With({});
  return c;
}

Histogram& DbPoolWaitSeconds() {
  static Histogram& h =
      Registry::Default()
          .AddHistogram("cuofeng_db_pool_wait_seconds",
                        "How long acquisitions that waited for a pooled connection waited.", {})
          .With({});
  return h;
}

Counter& DbPoolTimeouts() {
  static Counter& c =
      Registry::Default()
          .AddCounter("cuofeng_db_pool_timeouts_total",
                      "Acquisitions of a pooled connection that gave up at their deadline.")
          .With({});
  return c;
}

Counter& IngestRows(absl::string_view kind, absl::string_view outcome) {
  return IngestRowsFamily().With({std::string(kind), std::string(outcome)});
}

Counter& VerificationRuns(absl::string_view status) {
  return VerificationRunsFamily().With({std::string(status)});
}

Counter& AuditWriteFailures() {
  static Counter& c = Registry::Default()
                          .AddCounter("cuofeng_audit_write_failures_total",
                                      "Audit rows that could not be written (each is also logged).")
                          .With({});
  return c;
}

void RegisterProcessMetrics(absl::string_view version, absl::string_view commit) {
  static std::once_flag once;
  std::call_once(once, [&] {
    Registry& r = Registry::Default();
    r.AddGauge("cuofeng_build_info", "The running build: project version and git commit.",
               {"version", "commit"})
        .With({std::string(version), std::string(commit)})
        .Set(1);
    RpcCallsFamily();
    RpcDurationFamily();
    IngestRowsFamily();
    VerificationRunsFamily();
    DbPoolSize();
    DbPoolInUse();
    DbPoolWaits();
    DbPoolWaitSeconds();
    DbPoolTimeouts();
    AuditWriteFailures();
    r.AddCollector(ProcessText);
  });
}

}  // namespace metrics
}  // namespace cuofeng
