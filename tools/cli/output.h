// What the CLI prints for gets and lists, in the format --output chose:
// table (for people: headers, Chinese labels for enum values, China time,
// plant names beside resource names), json (protobuf's JSON mapping of the
// response, so a script can parse it back into the proto) or csv (codes,
// RFC 3339, one header row). Lists say when more pages exist.
#ifndef CUOFENG_TOOLS_CLI_OUTPUT_H_
#define CUOFENG_TOOLS_CLI_OUTPUT_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace cuofeng {

enum class OutputFormat { kTable, kJson, kCsv };

// Format is the --output of this run.
OutputFormat Format();

// JsonOf is `m` in protobuf's JSON mapping (field names as in the .proto).
std::string JsonOf(const google::protobuf::Message& m);

// Column is one column of a table: its header and how to read a row's
// cell (`human`: for the table; else for CSV).
struct Column {
  std::string header;
  std::function<std::string(const google::protobuf::Message&, bool human)> cell;
};

// Field is a column reading the field at `path` ("a.b"): enum values by
// Chinese label (codes in CSV), times in China time (RFC 3339 in CSV),
// booleans as 是/否 (true/false in CSV), repeated values joined by commas.
Column Field(const std::string& header, const std::string& path);

// Lookup is a column whose cell is looked up from a field's value (for
// plant names: the enterprise's resource name → its display name).
Column Lookup(const std::string& header, const std::string& path,
              std::function<std::string(const std::string&)> lookup);

// PrintRows prints `rows` under `columns` as a table or CSV (Format()).
void PrintRows(const std::vector<const google::protobuf::Message*>& rows,
               const std::vector<Column>& columns);

// PrintResource prints one resource: JSON or CSV (every top-level scalar
// field) as chosen, else the `human` view.
void PrintResource(const google::protobuf::Message& m, const std::function<void()>& human);

// PageCall fetches one page into `response` (a List…Response).
using PageCall = std::function<absl::Status(const std::string& page_token, int page_size,
                                            google::protobuf::Message* response)>;

// PrintList fetches the first page (every page with --all, starting at
// --page_token) and prints it; the items are the response's first repeated
// message field. On stderr it says how many were shown and how to get more.
// Returns the exit code.
int PrintList(const google::protobuf::Message& prototype, const PageCall& call,
              const std::vector<Column>& columns, const std::string& noun,
              int default_page_size = 50);

// PrintItems prints the items of an unpaged response (every item at once).
int PrintItems(const google::protobuf::Message& response, const std::vector<Column>& columns,
               const std::string& noun);

// HeaderText is the Chinese header of a table column named by its field
// ("window_start" → "时段开始"); the field name where none is known. CSV keeps
// the field names.
std::string HeaderText(const std::string& field);

// NounText is a list's noun with its measure word ("enterprises" → "家企业");
// `noun` itself where none is known (callers may pass Chinese directly).
std::string NounText(const std::string& noun);

// Thousands writes 1515 as "1,515".
std::string Thousands(int64_t n);

// DisplayWidth is the width of UTF-8 `s` in a terminal (CJK characters 2).
int DisplayWidth(const std::string& s);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_CLI_OUTPUT_H_
