#include "tools/cli/client_lib.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/csv/csv.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "lib/text/text.h"
#include "lib/xlsx/registry_sheets.h"

namespace cuofeng {
namespace {

// Template files in import order.
const char* const kTemplateFiles[] = {"townships",         "enterprises",       "lines",
                                      "processes",         "equipment",         "meters",
                                      "cameras",           "vehicles",          "retrofit_tasks",
                                      "emission_totals",   "whitelist_entries", "monitoring_points",
                                      "production_ledgers"};
constexpr int kRowsPerChunk = 2000;

}  // namespace

int ExitCodeFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return kExitUsage;
    case absl::StatusCode::kDataLoss:
      return kExitIntegrity;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kExitRefused;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return kExitConflict;
    case absl::StatusCode::kAlreadyExists:
      return kExitAlreadyExists;
    case absl::StatusCode::kResourceExhausted:
      return kExitExhausted;
    default:
      return kExitError;
  }
}

namespace {
bool key_missing = false;
}  // namespace

void SetKeyMissing(bool missing) { key_missing = missing; }

int Fail(const absl::Status& status) {
  std::cerr << "错误（" << StatusCodeName(status.code()) << "）：";
  if (status.code() == absl::StatusCode::kUnauthenticated && key_missing) {
    std::cerr << "缺少 API 密钥：请用 --key=KEY 或设置 CUOFENG_KEY（密钥由管理员用 "
                 "`cuofeng admin create-key` 创建）\n";
    return ExitCodeFor(status.code());
  }
  std::vector<FieldViolation> violations = FieldViolations(status);
  if (violations.empty()) {
    std::cerr << status.message() << "\n";
  } else {
    std::cerr << violations.size() << " 处问题，未写入任何内容：\n";
    for (const auto& v : violations) std::cerr << "  " << v.field << ": " << v.description << "\n";
  }
  if (status.code() == absl::StatusCode::kUnavailable) {
    std::cerr << "  （服务器 cuofeng-server 是否在运行？用 --server 或 CUOFENG_SERVER 指定地址）\n";
  }
  return ExitCodeFor(status.code());
}

std::shared_ptr<grpc::Channel> Connect(const std::string& server) { return Connect(server, ""); }

std::shared_ptr<grpc::Channel> Connect(const std::string& server, const std::string& tls_ca_pem) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // An import's error list (up to 100 cells) travels in the status details
  // trailer, which can exceed gRPC's default 8 KiB metadata limit.
  args.SetInt(GRPC_ARG_MAX_METADATA_SIZE, 1 << 20);
  args.SetInt("grpc.absolute_max_metadata_size", 1 << 20);
  if (tls_ca_pem.empty()) {
    return grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = tls_ca_pem;
  return grpc::CreateCustomChannel(server, grpc::SslCredentials(tls), args);
}

void AddKey(grpc::ClientContext* ctx, const std::string& key) {
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", key));
}

namespace {

// The template files found in a folder, in template order (kTemplateFiles).
struct TemplateFile {
  std::string stem;  // townships, enterprises, ...
  std::filesystem::path path;
};

absl::StatusOr<std::vector<TemplateFile>> FindTemplateFiles(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) {
    return absl::NotFoundError(absl::StrCat(dir, " 不是文件夹"));
  }
  std::vector<FieldViolation> violations;
  // Every file must name a kind: its template name (enterprises.csv) or its
  // sheet's Chinese name (企业.csv), in any case. A misnamed file (设备清单.csv,
  // Lines.csv) would otherwise be left out without a word.
  std::map<std::string, fs::path> found;
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) entries.push_back(entry.path());
  }
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    const std::string name = p.filename().string();
    if (name.empty() || name[0] == '.') continue;  // hidden files (.DS_Store, editors' locks)
    const std::string stem =
        absl::EndsWithIgnoreCase(name, ".csv") ? RegistryStemOfSheet(name) : std::string();
    if (stem.empty()) {
      violations.push_back(
          {name, absl::StrCat("不是登记表：文件夹中每类一个 CSV，名为 ",
                              "townships.csv、enterprises.csv……或 镇乡.csv、企业.csv……"
                              "（`cuofeng template registry` 可生成）；请把其他文件移走")});
      continue;
    }
    auto [it, fresh] = found.emplace(stem, p);
    if (!fresh) {
      violations.push_back({name, absl::StrCat(stem, ".csv 有第二个文件（第一个是 ",
                                               it->second.filename().string(), "）")});
    }
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
  std::vector<TemplateFile> out;
  for (const char* stem : kTemplateFiles) {
    auto at = found.find(stem);
    if (at != found.end()) out.push_back({stem, at->second});
  }
  if (out.empty()) {
    return absl::NotFoundError(
        absl::StrCat(dir, " 中没有登记表（townships.csv、enterprises.csv 等）"));
  }
  return out;
}

std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) {
    bytes.resize(size);
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    bytes.resize(static_cast<size_t>(in.gcount()));
  }
  // Whatever is left (a file that grew while read, or no size known).
  std::stringstream rest;
  if (in && in.peek() != std::char_traits<char>::eof()) {
    rest << in.rdbuf();
    bytes += rest.str();
  }
  return bytes;
}

// One template file read and parsed: its chunks, or its problems.
struct ParsedFile {
  std::vector<v1::CsvFile> chunks;
  std::vector<FieldViolation> violations;
  int64_t rows = 0;
};

ParsedFile ParseTemplateFile(const std::string& stem, const std::string& file_name,
                             const std::string& bytes) {
  ParsedFile r;
  auto text = DecodeToUtf8(bytes);
  if (!text.ok()) {
    r.violations.push_back({file_name, std::string(text.status().message())});
    return r;
  }
  auto rows = ParseCsv(*text);
  if (!rows.ok()) {
    r.violations.push_back({file_name, std::string(rows.status().message())});
    return r;
  }
  if (rows->empty()) return r;
  v1::CsvFile file;
  file.set_file_name(file_name);
  file.set_kind(stem);
  for (auto& h : (*rows)[0].cells) file.add_header(std::move(h));
  // Chunks of at most kRowsPerChunk rows and about 1 MiB.
  size_t chunk_bytes = 0;
  for (size_t i = 1; i < rows->size(); ++i) {
    size_t row_bytes = 0;
    for (const std::string& c : (*rows)[i].cells) row_bytes += c.size() + 1;
    if (row_bytes > kMaxCsvLineBytes) {
      r.violations.push_back(
          {absl::StrCat(file_name, ":", (*rows)[i].line),
           absl::StrCat("此行长 ", row_bytes, " 字节，最多 ", kMaxCsvLineBytes, " 字节")});
      continue;
    }
    if (file.rows_size() == kRowsPerChunk || chunk_bytes + row_bytes > (1u << 20)) {
      r.chunks.push_back(std::move(file));
      file = v1::CsvFile();
      file.set_file_name(file_name);
      file.set_kind(stem);
      chunk_bytes = 0;
    }
    chunk_bytes += row_bytes;
    auto* row = file.add_rows();
    row->set_line((*rows)[i].line);
    row->mutable_cells()->Reserve(static_cast<int>((*rows)[i].cells.size()));
    for (auto& c : (*rows)[i].cells) row->add_cells(std::move(c));
    ++r.rows;
  }
  r.chunks.push_back(std::move(file));
  return r;
}

}  // namespace

// It reads the bytes as they are: in UTF-8 and in GB18030 alike a byte below 0x30 (quote, comma,
// CR, LF) is always that character, never part of a multi-byte one.
int64_t CountCsvDataRecords(absl::string_view bytes) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  int64_t records = 0;
  bool in_quotes = false;
  bool after_quote = false;
  bool cell_empty = true;
  bool row_has_content = false;
  size_t cells = 0;  // ended in this record
  auto end_row = [&] {
    const bool blank = cells == 0 && cell_empty && !row_has_content;
    if (!blank) ++records;
    cells = 0;
    cell_empty = true;
    after_quote = false;
    row_has_content = false;
  };
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < bytes.size() && bytes[i + 1] == '"') {
          cell_empty = false;
          ++i;
        } else {
          in_quotes = false;
          after_quote = true;
        }
      } else {
        cell_empty = false;
      }
      continue;
    }
    if (c == ',') {
      ++cells;
      cell_empty = true;
      after_quote = false;
      row_has_content = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
      end_row();
    } else if (c == '"' && cell_empty && !after_quote) {
      in_quotes = true;
      row_has_content = true;
    } else {
      cell_empty = false;
    }
  }
  if (!cell_empty || cells > 0 || after_quote) end_row();
  return records > 0 ? records - 1 : 0;
}

absl::StatusOr<std::vector<v1::CsvFile>> ReadTemplateDir(const std::string& dir) {
  auto found = FindTemplateFiles(dir);
  if (!found.ok()) return found.status();
  // Each file is read and parsed on a thread of its own (they are
  // independent); the chunks and problems are then taken in template order,
  // as if read one after another.
  std::vector<std::future<ParsedFile>> reads;
  for (const TemplateFile& f : *found) {
    reads.push_back(std::async(std::launch::async, [&f] {
      return ParseTemplateFile(f.stem, f.path.filename().string(), ReadBytes(f.path));
    }));
  }
  std::vector<v1::CsvFile> out;
  std::vector<FieldViolation> violations;
  for (auto& pending : reads) {
    ParsedFile r = pending.get();
    for (auto& v : r.violations) violations.push_back(std::move(v));
    for (auto& chunk : r.chunks) out.push_back(std::move(chunk));
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
  return out;
}

namespace {

// KindsInTemplateOrder names the kinds of `files` ("townships,enterprises,…")
// when each file's chunks come one after another, one file per kind, in
// template order: the server then checks each file as soon as it is in,
// while the next ones arrive. Empty otherwise (the server reads everything
// first).
std::string KindsInTemplateOrder(const std::vector<v1::CsvFile>& files) {
  std::string kinds;
  std::set<std::string> names;
  const std::string* name = nullptr;
  const std::string* kind = nullptr;
  int at = -1;  // kTemplateFiles index of the last file's kind
  for (const v1::CsvFile& f : files) {
    if (name != nullptr && f.file_name() == *name) {
      if (f.kind() != *kind) return "";
      continue;
    }
    if (!names.insert(f.file_name()).second) return "";
    const auto* in = std::find(std::begin(kTemplateFiles), std::end(kTemplateFiles), f.kind());
    const int next = static_cast<int>(in - std::begin(kTemplateFiles));
    if (in == std::end(kTemplateFiles) || next <= at) return "";
    at = next;
    name = &f.file_name();
    kind = &f.kind();
    absl::StrAppend(&kinds, kinds.empty() ? "" : ",", f.kind());
  }
  return kinds;
}

// The first message of an import stream: where, whether only to check, the
// request id and how many rows follow.
v1::ImportRegistryRequest ImportHeader(const std::string& district, bool validate_only,
                                       const std::string& request_id, int64_t rows) {
  v1::ImportRegistryRequest header;
  header.mutable_header()->set_district(district);
  header.mutable_header()->set_validate_only(validate_only);
  header.mutable_header()->set_request_id(request_id);
  header.mutable_header()->set_rows(rows);
  return header;
}

// WriteFile sends one chunk of an import. The chunk is lent to the request,
// not copied: Write serializes it before it returns, and the request gives it
// back unchanged. False once the stream is closed.
bool WriteFile(grpc::ClientWriter<v1::ImportRegistryRequest>* writer, const v1::CsvFile& f) {
  v1::ImportRegistryRequest part;
  part.unsafe_arena_set_allocated_file(const_cast<v1::CsvFile*>(&f));
  const bool open = writer->Write(part);
  (void)part.unsafe_arena_release_file();
  return open;
}

}  // namespace

absl::StatusOr<v1::ImportRegistryResponse> ImportFiles(
    v1::RegistryService::Stub& stub, const std::string& key, const std::string& district,
    const std::vector<v1::CsvFile>& files, bool validate_only, const std::string& request_id,
    const std::function<void(int64_t, int64_t)>& progress) {
  int64_t total = 0;
  for (const auto& f : files) total += f.rows_size();
  grpc::ClientContext ctx;
  AddKey(&ctx, key);
  if (std::string kinds = KindsInTemplateOrder(files); !kinds.empty()) {
    ctx.AddMetadata("cuofeng-import-kinds", kinds);
  }
  v1::ImportRegistryResponse response;
  auto writer = stub.ImportRegistry(&ctx, &response);
  bool open = writer->Write(ImportHeader(district, validate_only, request_id, total));
  int64_t sent = 0;
  for (const auto& f : files) {
    if (!open) break;
    open = WriteFile(writer.get(), f);
    sent += f.rows_size();
    if (progress) progress(sent, total);
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::ImportRegistryResponse> ImportTemplateDir(
    v1::RegistryService::Stub& stub, const std::string& key, const std::string& district,
    const std::string& dir, bool validate_only, const std::string& request_id,
    const std::function<void(int64_t, int64_t)>& progress) {
  auto found = FindTemplateFiles(dir);
  if (!found.ok()) return found.status();
  // The header announces the rows, so they are counted first (each file
  // read and counted on a thread of its own, a quick pass over the bytes);
  // each thread then parses its file, and the files are sent in template
  // order, each as soon as it and the ones before it are parsed, while the
  // server checks and writes the ones already in.
  const size_t n = found->size();
  std::vector<std::string> bytes(n);
  std::vector<std::promise<int64_t>> counted(n);
  std::vector<std::future<int64_t>> counts;
  for (auto& c : counted) counts.push_back(c.get_future());
  std::vector<std::future<ParsedFile>> reads;
  for (size_t i = 0; i < n; ++i) {
    reads.push_back(std::async(std::launch::async, [&found, &bytes, &counted, i] {
      bytes[i] = ReadBytes((*found)[i].path);
      counted[i].set_value(CountCsvDataRecords(bytes[i]));
      ParsedFile r =
          ParseTemplateFile((*found)[i].stem, (*found)[i].path.filename().string(), bytes[i]);
      std::string().swap(bytes[i]);
      return r;
    }));
  }
  std::vector<int64_t> expected(n);
  int64_t total = 0;
  std::string kinds;
  for (size_t i = 0; i < n; ++i) {
    expected[i] = counts[i].get();
    total += expected[i];
    absl::StrAppend(&kinds, i == 0 ? "" : ",", (*found)[i].stem);
  }
  // A file found wrong is never sent, nor any after it, so the server never
  // gets every announced row of an import with a wrong file, as long as the
  // last file holds rows. When it holds none, every file is parsed first,
  // as ReadTemplateDir does, and then sent.
  if (expected.back() == 0) {
    std::vector<v1::CsvFile> files;
    std::vector<FieldViolation> violations;
    for (auto& pending : reads) {
      ParsedFile r = pending.get();
      for (auto& v : r.violations) violations.push_back(std::move(v));
      for (auto& chunk : r.chunks) files.push_back(std::move(chunk));
    }
    if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
    return ImportFiles(stub, key, district, files, validate_only, request_id, progress);
  }
  grpc::ClientContext ctx;
  AddKey(&ctx, key);
  ctx.AddMetadata("cuofeng-import-kinds", kinds);
  v1::ImportRegistryResponse response;
  auto writer = stub.ImportRegistry(&ctx, &response);
  bool open = writer->Write(ImportHeader(district, validate_only, request_id, total));
  int64_t sent = 0;
  std::vector<FieldViolation> violations;
  bool miscounted = false;
  for (size_t i = 0; i < n; ++i) {
    ParsedFile r = reads[i].get();
    for (auto& v : r.violations) violations.push_back(std::move(v));
    if (!violations.empty() || miscounted) continue;  // nothing more is sent
    if (r.rows != expected[i]) {
      miscounted = true;
      continue;
    }
    for (const v1::CsvFile& f : r.chunks) {
      if (!open) break;
      open = WriteFile(writer.get(), f);
      sent += f.rows_size();
      if (progress) progress(sent, total);
    }
  }
  if (!violations.empty() || miscounted) {
    // Rows announced were not sent: the server writes nothing.
    ctx.TryCancel();
    (void)writer->Finish();
    if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
    // The quick count disagreed with the parse (it should not): import the
    // way that needs no count ahead.
    auto files = ReadTemplateDir(dir);
    if (!files.ok()) return files.status();
    return ImportFiles(stub, key, district, *files, validate_only, request_id, progress);
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<int64_t> ExportToDir(v1::RegistryService::Stub& stub, const std::string& key,
                                    const std::string& district, const std::string& dir,
                                    bool codes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("无法创建 ", dir, "：", ec.message()));
  grpc::ClientContext ctx;
  AddKey(&ctx, key);
  v1::ExportRegistryRequest req;
  req.set_district(district);
  req.set_chinese(!codes);
  auto reader = stub.ExportRegistry(&ctx, req);
  v1::ExportRegistryResponse chunk;
  std::map<std::string, std::ofstream> outs;
  int64_t rows = 0;
  while (reader->Read(&chunk)) {
    const v1::CsvFile& f = chunk.file();
    auto it = outs.find(f.file_name());
    if (it == outs.end()) {
      it = outs.emplace(f.file_name(),
                        std::ofstream(fs::path(dir) / f.file_name(), std::ios::binary))
               .first;
      // UTF-8 with a BOM, so that Excel opens the Chinese as Chinese.
      if (!codes) it->second << "\xEF\xBB\xBF";
      it->second << FormatCsvRow({f.header().begin(), f.header().end()});
    }
    for (const auto& row : f.rows()) {
      it->second << FormatCsvRow({row.cells().begin(), row.cells().end()});
      ++rows;
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  for (auto& [name, out] : outs) {
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("无法写入 ", dir, " 中的 ", name));
  }
  return rows;
}

}  // namespace cuofeng
