// MetricsEndpoint serves the registry's exposition text at GET /metrics over
// plain HTTP/1.1 on a thread of its own, for a Prometheus server to scrape.
// A few dozen lines of our own instead of an HTTP library: one read-only
// path, scraped every few seconds by one client, needs no routing, no
// keep-alive and no TLS (put it on a loopback or private address), and no
// new dependency for every build. Connections are served one at a time,
// each bounded by 2 s socket timeouts, and answered with Connection: close.
#ifndef CUOFENG_LIB_METRICS_HTTP_ENDPOINT_H_
#define CUOFENG_LIB_METRICS_HTTP_ENDPOINT_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "lib/metrics/metrics.h"

namespace cuofeng {
namespace metrics {

class MetricsEndpoint {
 public:
  // Start listens on `address` (host:port, [v6]:port; port 0 picks a free
  // one) and serves `registry` until the endpoint is destroyed.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& address,
                                                                Registry* registry);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // port is the port actually bound.
  int port() const { return port_; }

 private:
  MetricsEndpoint(int listen_fd, int wake_read, int wake_write, int port, Registry* registry);
  void Run();
  void Serve(int fd);

  const int listen_fd_;
  const int wake_read_;
  const int wake_write_;
  const int port_;
  Registry* const registry_;
  std::thread thread_;
};

// ParseHostPort splits "host:port", "[v6]:port" or ":port" (every address).
absl::Status ParseHostPort(const std::string& address, std::string* host, std::string* port);

}  // namespace metrics
}  // namespace cuofeng

#endif  // CUOFENG_LIB_METRICS_HTTP_ENDPOINT_H_
