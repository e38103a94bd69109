// Monitoring data (readings, gate passages, ledger rows) as far as it can be
// decoded without a server. The CLI's row reader (RowReader and Cells in
// tools/cli/monitoring_files.cc) and the server's per-row checks (inside
// Ingestor::Readings/GateEvents/LedgerRows) are not callable on their own, so
// this fuzzes the nearest pure pieces; the first byte picks one:
//  0-2: the stream message the server decodes (IngestReadingsRequest,
//       IngestGateEventsRequest, IngestLedgerRowsRequest in wire form): a message
//       that parses serializes and parses back to the same bytes;
//  4:   a cell as the CLI puts it into a Reading (file bytes as they are):
//       what the CLI sends must be what the server can decode;
//  3, 5+: ParseMonitoringTime: a time it reads, written back as RFC 3339 UTC,
//       reads as the same instant.
#include <cstddef>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.pb.h"
#include "lib/csv/csv.h"
#include "tests/fuzz/fuzz_check.h"
#include "tools/cli/monitoring_files.h"

namespace {

template <typename Request>
void WireRoundTrip(const uint8_t* data, size_t size) {
  Request req;
  if (!req.ParseFromArray(data, static_cast<int>(size))) return;
  std::string once;
  FUZZ_CHECK(req.SerializeToString(&once), "a parsed message does not serialize");
  Request again;
  FUZZ_CHECK(again.ParseFromString(once), "a serialized message does not parse");
  std::string twice;
  again.SerializeToString(&twice);
  FUZZ_CHECK(once == twice, "serialize(parse(serialize(m))) differs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cuofeng;
  if (size < 1) return 0;
  switch (data[0]) {
    case 0:
      WireRoundTrip<v1::IngestReadingsRequest>(data + 1, size - 1);
      return 0;
    case 1:
      WireRoundTrip<v1::IngestGateEventsRequest>(data + 1, size - 1);
      return 0;
    case 2:
      WireRoundTrip<v1::IngestLedgerRowsRequest>(data + 1, size - 1);
      return 0;
    case 4: {
      const std::string cell(reinterpret_cast<const char*>(data + 1), size - 1);
      // regressions/monitoring/gb18030_cell (issue 13 item 1): row text
      // travels as bytes, so a cell that is not UTF-8 still decodes and the
      // server refuses that row by name.
      v1::IngestReadingsRequest sent;
      sent.add_readings()->set_meter(cell);
      v1::IngestReadingsRequest received;
      FUZZ_CHECK(received.ParseFromString(sent.SerializeAsString()),
                 absl::StrCat("the server cannot decode a row the CLI sends: meter \"",
                              absl::CHexEscape(cell), "\""));
      return 0;
    }
    default:
      break;
  }
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  int64_t us = 0;
  if (!ParseMonitoringTime(text, &us)) return 0;
  const absl::Time t = absl::FromUnixMicros(us);
  const std::string rfc = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
  int64_t back = 0;
  // Years outside 0000-9999 have no four-digit form; they cannot come back.
  if (rfc.size() != 27) return 0;
  FUZZ_CHECK(ParseMonitoringTime(rfc, &back),
             absl::StrCat("\"", absl::CHexEscape(text), "\" read, but its RFC 3339 form \"", rfc,
                          "\" is refused"));
  FUZZ_CHECK(back == us, absl::StrCat("\"", absl::CHexEscape(text), "\" -> ", us, " -> \"", rfc,
                                      "\" -> ", back));
  return 0;
}
