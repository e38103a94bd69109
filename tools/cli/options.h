// The values of every flag the cuofeng CLI takes, filled by the parser
// (tools/cli/commands.cc) before a command runs. One struct, so that the
// help, the completion script and the README table come from the same
// definitions as the parsing.
#ifndef CUOFENG_TOOLS_CLI_OPTIONS_H_
#define CUOFENG_TOOLS_CLI_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cuofeng {

struct Options {
  // Global: where and who.
  std::string server;  // --server, else $CUOFENG_SERVER, else 127.0.0.1:50051
  std::string key;     // --key, else $CUOFENG_KEY
  std::string tls_ca;  // --tls_ca, else $CUOFENG_TLS_CA: PEM root certificate file
  bool quiet = false;
  // Output of gets and lists.
  std::string output = "table";  // table, json or csv
  int page_size = 0;             // 0: the command's default
  std::string page_token;
  bool all = false;
  // Command flags (enum flags hold the value's canonical name, e.g. ORANGE).
  std::string database, district, role, scope, name, city, parent, filter, request_id, id;
  std::string season, rule_set, start, end, filing_deadline, enterprise, month, note, reason;
  std::string state, xlsx, csv, level, districts, start_time, end_time, at, from, to, document;
  std::string out, decision, comment, text, type, status;
  bool validate_only = false;
  bool staggered = true;
  bool include_history = false;
  bool markdown = false;
  int count = 0;
  double load_kw = 0;
  // meters event and ingest (issue 15)
  std::string time_zone, time, kind, serial_number;
  double new_register = -1;
  // notifications (issue 18)
  std::string email, webhook_url, webhook_secret_file, channels;
  bool unread = false;
  // export registry: English headers and enum codes instead of the clerk's Chinese
  bool codes = false;
  // accounts and key lifetimes (issue 18)
  std::string password_file, grace, ttl, expires;
  // The command words and its positional arguments: {"registry", "get", NAME}.
  std::vector<std::string> args;
};

// Opts is the one Options of this process.
Options& Opts();

// ServerAddress, ApiKey and TlsRootCertificates resolve the global flags
// against the environment. TlsRootCertificates reads the PEM file ("" when
// no --tls_ca is set; "-", which no TLS handshake accepts, when it cannot be
// read: CheckTlsRootCertificates says so first).
std::string ServerAddress();
std::string ApiKey();
std::string TlsRootCertificates();

// CheckTlsRootCertificates is INVALID_ARGUMENT naming the file when
// --tls_ca (or CUOFENG_TLS_CA) is set but cannot be read or is empty.
absl::Status CheckTlsRootCertificates();

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_CLI_OPTIONS_H_
