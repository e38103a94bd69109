#include "tools/cli/monitoring_files.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/csv/csv.h"
#include "lib/model/time_syntax.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "lib/status/status_macros.h"
#include "lib/text/text.h"
#include "lib/xlsx/xlsx_reader.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

struct Column {
  const char* name;
  const char* zh;
  bool required;
};

const std::vector<Column>& ColumnsOf(MonitoringKind kind) {
  static const std::vector<Column> readings = {{"meter", "电表", true},
                                               {"time", "时间", true},
                                               {"kind", "类型", true},
                                               {"value", "读数", true}};
  static const std::vector<Column> gate = {{"camera", "摄像头", true},
                                           {"time", "时间", true},
                                           {"plate", "车牌号", true},
                                           {"direction", "方向", true},
                                           {"vehicle_class", "车辆类型", false},
                                           {"photo", "照片", false},
                                           {"cargo", "货物", false},
                                           {"tonnage", "吨位", false}};
  static const std::vector<Column> ledger = {{"enterprise", "企业", true},
                                             {"plate", "车牌号", true},
                                             {"time", "时间", true},
                                             {"direction", "方向", true},
                                             {"vin", "车辆识别代号", false},
                                             {"engine_number", "发动机号", false},
                                             {"emission_stage", "排放阶段", false},
                                             {"registration_date", "注册日期", false},
                                             {"cargo", "货物", false},
                                             {"tonnage", "吨位", false},
                                             {"fleet", "车队", false}};
  static const std::vector<Column> production = {{"ledger", "生产台账", true},
                                                 {"day", "日期", true},
                                                 {"output", "产量", true},
                                                 {"output_unit", "产量单位", false},
                                                 {"fuel", "燃料消耗", false},
                                                 {"fuel_unit", "燃料单位", false},
                                                 {"raw_material", "原料消耗", false},
                                                 {"raw_material_unit", "原料单位", false}};
  return kind == MonitoringKind::kReadings ? readings
         : kind == MonitoringKind::kGate   ? gate
         : kind == MonitoringKind::kLedger ? ledger
                                           : production;
}

bool Digits(const std::string& s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool ParseDouble(absl::string_view s, double* out) {
  const absl::string_view t = absl::StripAsciiWhitespace(s);
  if (t.empty()) return false;
  auto res = std::from_chars(t.data(), t.data() + t.size(), *out);
  return res.ec == std::errc() && res.ptr == t.data() + t.size();
}

template <typename Enum>
bool ParseEnum(const std::string& text, bool (*parse)(const std::string&, Enum*),
               const std::map<std::string, Enum>& zh, Enum* out) {
  const std::string t(absl::StripAsciiWhitespace(text));
  auto it = zh.find(t);
  if (it != zh.end()) {
    *out = it->second;
    return true;
  }
  return parse(absl::AsciiStrToUpper(t), out);
}

// Splits one CSV line into views of `line` (or of `quoted`, where the full
// parser unquoted the cells).
std::vector<absl::string_view> Cells(const std::string& line, std::vector<std::string>* quoted) {
  if (line.find('"') != std::string::npos) {
    auto rows = ParseCsv(line);
    if (rows.ok() && !rows->empty()) {
      quoted->assign((*rows)[0].cells.begin(), (*rows)[0].cells.end());
      return std::vector<absl::string_view>(quoted->begin(), quoted->end());
    }
  }
  return absl::StrSplit(line, ',');
}

// Fills one message of `kind` from a row; a problem goes into parse_error.
class RowReader {
 public:
  RowReader(MonitoringKind kind, std::map<std::string, int> index)
      : kind_(kind), index_(std::move(index)) {}

  std::string Cell(const std::vector<absl::string_view>& cells, const char* name) const {
    return std::string(View(cells, name));
  }

  // View is Cell without the copy.
  absl::string_view View(const std::vector<absl::string_view>& cells, const char* name) const {
    auto it = index_.find(name);
    if (it == index_.end() || it->second >= static_cast<int>(cells.size())) return "";
    return absl::StripAsciiWhitespace(cells[it->second]);
  }

  static bool HasOffset(const std::string& t) {
    return t.size() > 16 && (t.back() == 'Z' || t[t.size() - 6] == '+' || t[t.size() - 6] == '-');
  }

  // Time sets the row's time, or its local_time when the text has no offset
  // (the server reads it in the batch's time zone, and it replaces `time`:
  // the row then carries no Timestamp to build, send and parse).
  template <typename Row>
  void Time(const std::vector<absl::string_view>& cells, Row* row, std::string* error) const {
    std::string* text = row->mutable_local_time();
    const absl::string_view cell = View(cells, "time");
    text->assign(cell.data(), cell.size());
    int64_t us;
    if (!ParseMonitoringTime(*text, &us)) {
      if (error->empty())
        *error = absl::StrCat("time: ", Quote(*text),
                              " 不是时间（应为 RFC 3339，或北京时间 YYYY-MM-DD HH:MM[:SS]）");
      text->clear();
      return;
    }
    if (HasOffset(*text)) {
      text->clear();
      google::protobuf::Timestamp* ts = row->mutable_time();
      ts->set_seconds(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
      ts->set_nanos(static_cast<int32_t>((us - ts->seconds() * 1000000) * 1000));
    }
  }

  template <typename Enum>
  Enum EnumCell(const std::vector<absl::string_view>& cells, const char* name,
                bool (*parse)(const std::string&, Enum*), const std::map<std::string, Enum>& zh,
                std::string* error) const {
    const std::string text = Cell(cells, name);
    Enum v{};
    if (text.empty()) return v;
    if (!ParseEnum(text, parse, zh, &v) && error->empty()) {
      *error = absl::StrCat(name, ": ", Quote(text), " 不是可选的取值");
    }
    return v;
  }

  double Number(const std::vector<absl::string_view>& cells, const char* name,
                std::string* error) const {
    const std::string text = Cell(cells, name);
    double v = 0;
    if (text.empty()) return 0;
    if (!ParseDouble(text, &v) && error->empty())
      *error = absl::StrCat(name, ": ", Quote(text), " 不是数值");
    return v;
  }

  void Fill(const std::vector<absl::string_view>& cells, int64_t line,
            google::protobuf::Message* msg) const {
    static const std::map<std::string, v1::GateDirection> kDirections = {{"入", v1::ENTRY},
                                                                         {"进", v1::ENTRY},
                                                                         {"进厂", v1::ENTRY},
                                                                         {"出", v1::EXIT},
                                                                         {"出厂", v1::EXIT}};
    std::string error;
    if (kind_ == MonitoringKind::kReadings) {
      auto* r = static_cast<v1::Reading*>(msg);
      r->set_line(line);
      const absl::string_view meter = View(cells, "meter");
      r->mutable_meter()->assign(meter.data(), meter.size());
      Time(cells, r, &error);
      static const std::map<std::string, v1::ReadingKind> kKinds = {
          {"电量", v1::INTERVAL_KWH}, {"表码", v1::CUMULATIVE_KWH}, {"功率", v1::KW}};
      r->set_kind(EnumCell(cells, "kind", &v1::ReadingKind_Parse, kKinds, &error));
      const absl::string_view value = View(cells, "value");
      double v = 0;
      if (!ParseDouble(value, &v) && error.empty())
        error = absl::StrCat("value: ", Quote(value), " 不是数值");
      r->set_value(v);
      r->set_parse_error(error);
    } else if (kind_ == MonitoringKind::kGate) {
      auto* e = static_cast<v1::GateEvent*>(msg);
      e->set_line(line);
      e->set_camera(Cell(cells, "camera"));
      Time(cells, e, &error);
      e->set_plate(Cell(cells, "plate"));
      e->set_direction(EnumCell(cells, "direction", &v1::GateDirection_Parse, kDirections, &error));
      static const std::map<std::string, v1::VehicleClass> kClasses = {
          {"重型载货车", v1::HEAVY_GOODS},
          {"中型载货车", v1::MEDIUM_GOODS},
          {"轻型载货车", v1::LIGHT_GOODS},
          {"客车", v1::PASSENGER}};
      e->set_vehicle_class(
          EnumCell(cells, "vehicle_class", &v1::VehicleClass_Parse, kClasses, &error));
      e->set_photo(Cell(cells, "photo"));
      e->set_cargo(Cell(cells, "cargo"));
      e->set_tonnage(Number(cells, "tonnage", &error));
      e->set_parse_error(error);
    } else if (kind_ == MonitoringKind::kProduction) {
      auto* d = static_cast<v1::ProductionDay*>(msg);
      d->set_line(line);
      d->set_ledger(Cell(cells, "ledger"));
      d->set_day(Cell(cells, "day"));
      const std::string output = Cell(cells, "output");
      double v = 0;
      if (!ParseDouble(output, &v) && error.empty())
        error = absl::StrCat("output: ", Quote(output), " 不是数字（产量）");
      d->set_output(v);
      d->set_output_unit(Cell(cells, "output_unit"));
      d->set_fuel(Number(cells, "fuel", &error));
      d->set_fuel_unit(Cell(cells, "fuel_unit"));
      d->set_raw_material(Number(cells, "raw_material", &error));
      d->set_raw_material_unit(Cell(cells, "raw_material_unit"));
      d->set_parse_error(error);
    } else {
      auto* r = static_cast<v1::LedgerRow*>(msg);
      r->set_line(line);
      r->set_enterprise(Cell(cells, "enterprise"));
      r->set_plate(Cell(cells, "plate"));
      Time(cells, r, &error);
      r->set_direction(EnumCell(cells, "direction", &v1::GateDirection_Parse, kDirections, &error));
      r->set_vin(Cell(cells, "vin"));
      r->set_engine_number(Cell(cells, "engine_number"));
      static const std::map<std::string, v1::EmissionStage> kStages = {
          {"国0", v1::CHINA_0},   {"国I", v1::CHINA_1},  {"国II", v1::CHINA_2},
          {"国III", v1::CHINA_3}, {"国IV", v1::CHINA_4}, {"国V", v1::CHINA_5},
          {"国VI", v1::CHINA_6},  {"电动", v1::ELECTRIC}};
      r->set_emission_stage(
          EnumCell(cells, "emission_stage", &v1::EmissionStage_Parse, kStages, &error));
      r->set_registration_date(Cell(cells, "registration_date"));
      r->set_cargo(Cell(cells, "cargo"));
      r->set_tonnage(Number(cells, "tonnage", &error));
      r->set_fleet(Cell(cells, "fleet"));
      r->set_parse_error(error);
    }
  }

 private:
  MonitoringKind kind_;
  std::map<std::string, int> index_;
};

}  // namespace

bool ParseMonitoringTime(const std::string& raw, int64_t* unix_us) {
  // The wall-clock part is ParseLocalTime's; an RFC 3339 suffix ("Z",
  // "+08:00") names its zone, and China time is meant when there is none.
  static const absl::TimeZone kChina = absl::FixedTimeZone(8 * 3600);
  const absl::string_view stripped = absl::StripAsciiWhitespace(raw);
  // The usual row: China time as written, nothing to strip or cut.
  if (stripped.size() == raw.size() && raw.size() <= 26 && !raw.empty() && raw.back() != 'Z' &&
      (raw.size() <= 16 + 6 || (raw[raw.size() - 6] != '+' && raw[raw.size() - 6] != '-'))) {
    return ParseLocalTime(raw, kChina, unix_us);
  }
  std::string s(stripped);
  absl::TimeZone zone = kChina;
  if (!s.empty() && s.back() == 'Z') {
    zone = absl::UTCTimeZone();
    s.pop_back();
  } else if (s.size() > 16 + 6 && (s[s.size() - 6] == '+' || s[s.size() - 6] == '-') &&
             s[s.size() - 3] == ':') {
    int oh, om;
    if (!Digits(s, s.size() - 5, 2, &oh) || !Digits(s, s.size() - 2, 2, &om)) return false;
    zone = absl::FixedTimeZone((s[s.size() - 6] == '-' ? -1 : 1) * (oh * 3600 + om * 60));
    s.resize(s.size() - 6);
  }
  return ParseLocalTime(s, zone, unix_us);
}

namespace {

// CellAt is the 0-based cell of `line` that byte `offset` falls in.
int CellAt(absl::string_view line, size_t offset) {
  int cell = 0;
  bool quoted = false;
  for (size_t i = 0; i < offset && i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    if (line[i] == ',' && !quoted) ++cell;
  }
  return cell;
}

// Workbook is the first sheet of the workbook at `path` as CSV text (its
// rows at the line numbers Excel shows, padded to the header's width).
absl::StatusOr<std::string> Workbook(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": 无法读取"));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto sheets = ReadXlsx(bytes);
  if (!sheets.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", sheets.status().message()));
  std::string out;
  if (sheets->empty() || sheets->front().rows.empty()) return out;
  const std::vector<XlsxRow>& rows = sheets->front().rows;
  const size_t width = rows.front().cells.size();
  int line = rows.front().line - 1;
  for (const XlsxRow& r : rows) {
    // The header is line 1; the rows after it keep their distance to it.
    for (int blank = line + 1; blank < r.line && !out.empty(); ++blank) out += '\n';
    line = r.line;
    std::vector<std::string> cells = r.cells;
    if (cells.size() < width) cells.resize(width);
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out += ',';
      const std::string& v = cells[c];
      if (v.find_first_of(",\"\n\r") == std::string::npos) {
        out += v;
      } else {
        out += '"';
        for (char ch : v) {
          if (ch == '"') out += '"';
          out += ch == '\n' || ch == '\r' ? ' ' : ch;
        }
        out += '"';
      }
    }
    out += '\n';
  }
  return out;
}

bool IsWorkbook(const std::string& path) { return absl::EndsWithIgnoreCase(path, ".xlsx"); }

// Open reads a CSV file, or a workbook's first sheet as CSV text.
absl::StatusOr<std::unique_ptr<std::istream>> Open(const std::string& path) {
  if (IsWorkbook(path)) {
    ASSIGN_OR_RETURN(std::string text, Workbook(path));
    return std::unique_ptr<std::istream>(new std::istringstream(std::move(text)));
  }
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) return absl::NotFoundError(absl::StrCat(path, ": 无法读取"));
  return std::unique_ptr<std::istream>(std::move(in));
}

// The batch's time zone, for the kinds whose rows carry times.
template <typename Request>
auto SetTimeZone(Request* r, const std::string& zone, int) -> decltype(r->set_time_zone(zone)) {
  return r->set_time_zone(zone);
}
template <typename Request>
void SetTimeZone(Request*, const std::string&, long) {}

// RejectRow fills a row message with only its line and why it cannot be read.
void RejectRow(int64_t line, const std::string& error, google::protobuf::Message* msg) {
  const auto* d = msg->GetDescriptor();
  msg->GetReflection()->SetInt64(msg, d->FindFieldByName("line"), line);
  msg->GetReflection()->SetString(msg, d->FindFieldByName("parse_error"), error);
}

}  // namespace

absl::StatusOr<v1::IngestSummary> StreamMonitoringFiles(v1::ComplianceService::Stub& stub,
                                                        const std::string& key, MonitoringKind kind,
                                                        const std::vector<std::string>& files,
                                                        const Progress& progress, int batch_rows,
                                                        const std::string& time_zone) {
  // Headers first: a file we cannot read at all stops everything before sending.
  int64_t total = 0;
  std::vector<std::map<std::string, int>> indexes;
  std::vector<size_t> widths;  // cells in each file's header
  for (const std::string& path : files) {
    ASSIGN_OR_RETURN(std::unique_ptr<std::istream> opened, Open(path));
    std::istream& in = *opened;
    std::string header;
    if (!std::getline(in, header)) return absl::NotFoundError(absl::StrCat(path, ": 无法读取"));
    if (!header.empty() && header.back() == '\r') header.pop_back();
    if (header.size() > kMaxCsvLineBytes) {
      return InvalidArgumentWithViolations(
          {{absl::StrCat(path, ":1"),
            absl::StrCat("表头行长 ", header.size(), " 字节，这不是 CSV 文件")}});
    }
    LineDecoder decoder;
    auto decoded = decoder.Decode(header);
    if (!decoded.ok()) {
      return InvalidArgumentWithViolations(
          {{absl::StrCat(path, ":1"),
            absl::StrCat(decoded.status().message(), "（表头无法读取）")}});
    }
    header = *std::move(decoded);
    std::map<std::string, int> index;
    std::vector<std::string> quoted;
    std::vector<absl::string_view> cells = Cells(header, &quoted);
    std::vector<FieldViolation> v;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string h(absl::StripAsciiWhitespace(cells[c]));
      bool known = false;
      for (const Column& col : ColumnsOf(kind)) {
        if (h == col.name || h == col.zh) {
          index[col.name] = static_cast<int>(c);
          known = true;
        }
      }
      if (!known)
        v.push_back({absl::StrCat(path, ":1:", c + 1), absl::StrCat("未知的列 ", Quote(h))});
    }
    for (const Column& col : ColumnsOf(kind)) {
      if (col.required && index.count(col.name) == 0) {
        v.push_back(
            {absl::StrCat(path, ":1"), absl::StrCat("缺少列 ", col.name, "（", col.zh, "）")});
      }
    }
    if (!v.empty()) return InvalidArgumentWithViolations(std::move(v));
    indexes.push_back(std::move(index));
    widths.push_back(cells.size());
    in.seekg(0, std::ios::end);
    total += in.tellg();
  }
  grpc::ClientContext ctx;
  AddKey(&ctx, key);
  v1::IngestSummary summary;
  bool open = true;
  // A batch is sent at batch_rows rows or this many bytes of text, whichever comes first.
  // Each batch is a transaction of its own on the server: at 1 MiB (about 9,000 readings) the
  // commits held the ingest to 0.53-0.54 of psql's \copy; at 4 MiB the 20,000-row limit binds
  // (144 batches for 2.88M readings) and it reached 0.67-0.68 (tools/bench-ingest-days --ratio,
  // quiet machine, 30 November 2026). The server accepts messages up to 64 MiB.
  constexpr size_t kBatchBytes = 4 << 20;
  auto send = [&](auto writer, auto add, auto empty) {
    int64_t done = 0;
    for (size_t f = 0; f < files.size() && open; ++f) {
      auto opened = Open(files[f]);
      if (!opened.ok()) break;
      std::istream& in = **opened;
      const RowReader reader(kind, indexes[f]);
      std::map<int, std::string> name_of;
      for (const auto& [name, at] : indexes[f]) name_of[at] = name;
      LineDecoder decoder;
      auto req = empty;
      req.set_source(files[f]);
      SetTimeZone(&req, time_zone, 0);
      req.set_marked(true);
      std::string line;
      std::vector<std::string> quoted;
      int64_t n = 0;
      int rows = 0;
      size_t bytes = 0;
      while (open && std::getline(in, line)) {
        ++n;
        done += static_cast<int64_t>(line.size()) + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (n == 1) {
          (void)decoder.Decode(line);  // the header (read above) sets the encoding
          continue;
        }
        if (line.empty()) continue;
        if (line.size() > kMaxCsvLineBytes) {
          // Counted as rejected, never sent: a row no column could hold.
          RejectRow(n,
                    absl::StrCat("line: 此行长 ", line.size(), " 字节，一行最多 ", kMaxCsvLineBytes,
                                 " 字节"),
                    add(&req));
          bytes += 100;
        } else if (auto decoded = decoder.Decode(line); !decoded.ok()) {
          auto name = name_of.find(CellAt(line, decoder.bad_offset()));
          RejectRow(n,
                    absl::StrCat(name == name_of.end() ? "encoding" : name->second, ": ",
                                 decoded.status().message()),
                    add(&req));
          bytes += 200;
        } else {
          const std::vector<absl::string_view> cells = Cells(*decoded, &quoted);
          if (cells.size() != widths[f]) {
            RejectRow(
                n, absl::StrCat("cells: 此行有 ", cells.size(), " 格，表头有 ", widths[f], " 格"),
                add(&req));
          } else {
            reader.Fill(cells, n, add(&req));
          }
          bytes += decoded->size() + 32;
        }
        if (++rows >= batch_rows || bytes >= kBatchBytes) {
          open = writer->Write(req);
          req.Clear();
          req.set_source(files[f]);
          SetTimeZone(&req, time_zone, 0);
          req.set_marked(true);
          rows = 0;
          bytes = 0;
          if (progress) progress(done, total);
        }
      }
      if (open && rows > 0) open = writer->Write(req);
      if (progress) progress(done, total);
    }
    // The stream's last message: the server refuses a marked stream without it.
    if (open) {
      auto end = empty;
      end.set_marked(true);
      end.set_last(true);
      open = writer->Write(end);
    }
    writer->WritesDone();
    return writer->Finish();
  };
  grpc::Status s;
  switch (kind) {
    case MonitoringKind::kReadings:
      s = send(
          stub.IngestReadings(&ctx, &summary),
          [](v1::IngestReadingsRequest* r) -> google::protobuf::Message* {
            return r->add_readings();
          },
          v1::IngestReadingsRequest());
      break;
    case MonitoringKind::kGate:
      s = send(
          stub.IngestGateEvents(&ctx, &summary),
          [](v1::IngestGateEventsRequest* r) -> google::protobuf::Message* {
            return r->add_events();
          },
          v1::IngestGateEventsRequest());
      break;
    case MonitoringKind::kLedger:
      s = send(
          stub.IngestLedgerRows(&ctx, &summary),
          [](v1::IngestLedgerRowsRequest* r) -> google::protobuf::Message* {
            return r->add_rows();
          },
          v1::IngestLedgerRowsRequest());
      break;
    case MonitoringKind::kProduction:
      s = send(
          stub.IngestProductionDays(&ctx, &summary),
          [](v1::IngestProductionDaysRequest* r) -> google::protobuf::Message* {
            return r->add_days();
          },
          v1::IngestProductionDaysRequest());
      break;
  }
  if (!s.ok()) return FromGrpcStatus(s);
  // Name the column of each rejected field, as the file has it.
  for (v1::RejectedRow& r : *summary.mutable_rejections()) {
    for (size_t f = 0; f < files.size(); ++f) {
      if (files[f] != r.source()) continue;
      auto column = indexes[f].find(r.field());
      if (column != indexes[f].end()) r.set_column(column->second + 1);
    }
  }
  return summary;
}

}  // namespace cuofeng
