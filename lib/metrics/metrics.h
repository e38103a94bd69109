// Process-wide metrics in the Prometheus text exposition format (0.0.4):
// counters, gauges and histograms, each a family with fixed label names.
// Updating a metric is lock-free (atomics); finding a labelled child takes a
// reader lock, so hot paths keep the reference (`Counter& c = ...; c.Increment();`).
// References stay valid for the life of the process.
//
// cuofeng's own metrics have accessors at the bottom of this file, so every
// name and label set is spelled in one place.
#ifndef CUOFENG_LIB_METRICS_METRICS_H_
#define CUOFENG_LIB_METRICS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace cuofeng {
namespace metrics {

// Counter only goes up (Prometheus type counter; names end in _total).
class Counter {
 public:
  void Increment(double by = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Gauge goes up and down (connections in use, queue length).
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double by);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Histogram counts observations into buckets with the given upper bounds
// (ascending; +Inf is implicit) and keeps their sum.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// DurationBuckets are the default bounds for latencies in seconds, 0.5 ms to 60 s.
const std::vector<double>& DurationBuckets();

enum class Type { kCounter, kGauge, kHistogram };

// Family is one metric name with its label names; With() returns the child
// for one set of label values (created on first use, in label-name order).
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // With returns the child for `values`, which must be as many as the label
  // names (missing ones are empty, extra ones ignored).
  T& With(std::vector<std::string> values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // ForEach calls `fn` with each child's label values and the child, sorted.
  void ForEach(const std::function<void(const std::vector<std::string>&, const T&)>& fn) const;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_ ABSL_GUARDED_BY(mu_);
};

// Registry holds families by name and renders them. Registering a name again
// with the same type returns the existing family.
class Registry {
 public:
  // Default is the process's registry, the one /metrics serves.
  static Registry& Default();

  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds = DurationBuckets());

  // AddCollector adds text computed at each scrape (already in the
  // exposition format, HELP and TYPE lines included).
  void AddCollector(std::function<std::string()> collector);

  // Render is the whole exposition text, families sorted by name.
  std::string Render() const;

 private:
  struct Entry {
    Type type;
    std::unique_ptr<Family<Counter>> counter;
    std::unique_ptr<Family<Gauge>> gauge;
    std::unique_ptr<Family<Histogram>> histogram;
  };
  Entry& Find(const std::string& name, Type type) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, Entry> families_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<std::string()>> collectors_ ABSL_GUARDED_BY(mu_);
};

// FormatValue writes a sample value as Prometheus reads it: integers
// without a fraction, others in the fewest digits that read back exactly,
// NaN and ±Inf by name.
std::string FormatValue(double value);

// ProcessResidentBytes is this process's resident set size (/proc/self/statm).
int64_t ProcessResidentBytes();

// --- cuofeng's metrics ----------------------------------------------------

// RpcCalls counts finished gRPC calls: cuofeng_rpc_calls_total{method,code}
// (method as /package.Service/Method, code as "OK", "NOT_FOUND", ...).
Counter& RpcCalls(absl::string_view method, absl::string_view code);
// RpcDuration observes a call's time in seconds, from its arrival to its
// status: cuofeng_rpc_duration_seconds{method,code}.
Histogram& RpcDuration(absl::string_view method, absl::string_view code);

// DbPoolSize is the pool's configured size: cuofeng_db_pool_size.
Gauge& DbPoolSize();
// DbPoolInUse is how many pooled connections are lent out: cuofeng_db_pool_in_use.
Gauge& DbPoolInUse();
// DbPoolWaits counts acquisitions that had to wait: cuofeng_db_pool_waits_total.
Counter& DbPoolWaits();
// DbPoolWaitSeconds observes how long those waits took: cuofeng_db_pool_wait_seconds.
Histogram& DbPoolWaitSeconds();
// DbPoolTimeouts counts acquisitions that gave up: cuofeng_db_pool_timeouts_total.
Counter& DbPoolTimeouts();

// IngestRows counts monitoring rows by kind (readings, gate, ledger) and
// outcome (accepted, duplicate, rejected): cuofeng_ingest_rows_total{kind,outcome}.
Counter& IngestRows(absl::string_view kind, absl::string_view outcome);

// VerificationRuns counts verification runs by their final status code
// (OK, INVALID_ARGUMENT, ...): cuofeng_verification_runs_total{status}.
Counter& VerificationRuns(absl::string_view status);

// AuditWriteFailures counts audit rows that could not be written:
// cuofeng_audit_write_failures_total.
Counter& AuditWriteFailures();

// RegisterProcessMetrics adds, once, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_cpu_seconds_total,
// process_start_time_seconds, cuofeng_build_info{version,commit} and every
// cuofeng metric above (at zero), so a scrape shows them before first use.
void RegisterProcessMetrics(absl::string_view version, absl::string_view commit);

// --- template members -----------------------------------------------------

template <typename T>
T& Family<T>::With(std::vector<std::string> values) {
  values.resize(label_names_.size());
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = children_.find(values);
    if (it != children_.end()) return *it->second;
  }
  absl::MutexLock lock(&mu_);
  auto& slot = children_[values];
  if (slot == nullptr) {
    if constexpr (std::is_same_v<T, Histogram>) {
      slot = std::make_unique<T>(bounds_);
    } else {
      slot = std::make_unique<T>();
    }
  }
  return *slot;
}

template <typename T>
void Family<T>::ForEach(
    const std::function<void(const std::vector<std::string>&, const T&)>& fn) const {
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [labels, child] : children_) fn(labels, *child);
}

}  // namespace metrics
}  // namespace cuofeng

#endif  // CUOFENG_LIB_METRICS_METRICS_H_
