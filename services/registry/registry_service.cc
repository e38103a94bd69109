#include "services/registry/registry_service.h"

#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "lib/model/identifiers.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "lib/text/text.h"
#include "services/registry/bulk.h"
#include "services/registry/csv_template.h"
#include "services/registry/repository.h"
#include "services/registry/validation.h"

namespace cuofeng {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;

std::string StringField(const Message& m, const char* name) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  return f == nullptr ? std::string() : m.GetReflection()->GetString(m, f);
}

bool BoolField(const Message& m, const char* name) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  return f != nullptr && m.GetReflection()->GetBool(m, f);
}

// The one message-typed field of a request that is the resource itself.
const FieldDescriptor* ResourceField(const Message& req, const ResourceKind& kind) {
  const auto* d = req.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->message_type() == kind.descriptor) return d->field(i);
  }
  return nullptr;
}

// Copies one field, including "absent", from `from` to `to`.
void CopyField(const FieldDescriptor* f, const Message& from, Message* to) {
  const auto* r = from.GetReflection();
  if (f->has_presence() && !r->HasField(from, f)) {
    to->GetReflection()->ClearField(to, f);
    return;
  }
  const auto* w = to->GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      w->SetString(to, f, r->GetString(from, f));
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      w->SetEnumValue(to, f, r->GetEnumValue(from, f));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      w->SetBool(to, f, r->GetBool(from, f));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      w->SetDouble(to, f, r->GetDouble(from, f));
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      w->SetInt32(to, f, r->GetInt32(from, f));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      w->SetInt64(to, f, r->GetInt64(from, f));
      break;
    default:
      break;
  }
}

std::vector<FieldViolation> Prefixed(const std::string& prefix, std::vector<FieldViolation> v) {
  for (auto& x : v) x.field = absl::StrCat(prefix, ".", x.field);
  return v;
}

// An enterprise's township may be written by its id or its registered name
// (渔阳镇); it is stored as the township's resource name. A value naming no
// township of the district is a violation of `prefix`.township.
std::vector<FieldViolation> ResolveEnterpriseTownship(pqxx::transaction_base& tx,
                                                      const ResourceKind& kind,
                                                      const ParsedName& name, Message* msg,
                                                      const std::string& prefix) {
  if (kind.descriptor != v1::Enterprise::descriptor()) return {};
  auto* e = static_cast<v1::Enterprise*>(msg);
  if (e->township().empty()) return {};
  ListQuery query;
  query.parent = absl::StrCat("districts/", name.district_id);
  query.limit = 100000;
  auto rows = RegistryRepository::List(tx, *KindByFile("townships"), query);
  if (!rows.ok()) return {};  // the existence check reports it
  std::vector<RegisteredTownship> townships;
  for (const MessagePtr& row : *rows) {
    const auto& t = static_cast<const v1::Township&>(*row);
    townships.push_back({t.name(), t.display_name()});
  }
  const std::string resolved = ResolveTownship(e->township(), townships);
  if (resolved.empty()) {
    return {{absl::StrCat(prefix, ".township"),
             absl::StrCat("\"", e->township(),
                          "\" is neither the id nor the registered name of a "
                          "township of district ",
                          name.district_id)}};
  }
  e->set_township(resolved);
  return {};
}

// Checks that the parent and every reference of `msg` exist.
std::vector<FieldViolation> CheckExistence(pqxx::transaction_base& tx, const ResourceKind& kind,
                                           const Message& msg, const std::string& prefix) {
  std::vector<FieldViolation> out;
  for (const auto& [field, target] : kind.references) {
    std::string value = StringField(msg, field.c_str());
    if (!value.empty() && !RegistryRepository::Exists(tx, *target, value)) {
      out.push_back({absl::StrCat(prefix, ".", field),
                     absl::StrCat(target->kind, " ", value, " does not exist")});
    }
  }
  return out;
}

absl::Status CheckEtag(const Message& current, const std::string& etag) {
  std::string now = StringField(current, "etag");
  if (etag.empty() || etag == now) return absl::OkStatus();
  return WithReason(
      absl::AbortedError(absl::StrCat(StringField(current, "name"), " 已被他人修改（etag ", etag,
                                      " 已过期，现为 ", now, "）；请重新读取后再修改")),
      "ETAG_MISMATCH");
}

// The parent as a name of the parent kind; "-" stands for any id.
absl::Status CheckParent(const ResourceKind& kind, const std::string& parent) {
  if (kind.parent == nullptr) return absl::OkStatus();
  std::vector<std::string> parts = absl::StrSplit(parent, '/');
  for (size_t i = 1; i < parts.size(); i += 2) {
    if (parts[i] == "-") parts[i] = i == 1 ? "000000" : "any";
  }
  auto parsed = ParseName(*kind.parent, absl::StrJoin(parts, "/"));
  return parsed.ok()
             ? absl::OkStatus()
             : InvalidArgumentWithViolations({{"parent", std::string(parsed.status().message())}});
}

// The filter of a List (AIP-160): any stored field of the kind, or its name.
absl::StatusOr<Filter> ParseListFilter(const ResourceKind& kind, const std::string& text) {
  std::vector<std::string> fields = {"name"};
  for (const auto* f : kind.columns) fields.push_back(f->name());
  return Filter::Parse(text, kind.descriptor, fields);
}

}  // namespace

grpc::Status RegistryServiceImpl::Create(grpc::ServerContext* ctx, const char* method,
                                         const Message& req, Message* out) {
  const ResourceKind& kind = *KindByDescriptor(out->GetDescriptor());
  const FieldDescriptor* resource_field = ResourceField(req, kind);
  const std::string field = resource_field->name();
  const std::string parent = StringField(req, "parent");
  const std::string id = StringField(req, absl::StrCat(field, "_id").c_str());
  const bool is_district = kind.parent == nullptr;
  Mutation m{method, is_district ? ChildName(kind, "", id) : parent, StringField(req, "request_id"),
             BoolField(req, "validate_only")};
  return guard_->Mutate(ctx, m, out, [&](const Principal&, pqxx::work& tx) -> absl::Status {
    std::vector<FieldViolation> violations;
    absl::Status parent_ok = CheckParent(kind, parent);
    if (!parent_ok.ok()) return parent_ok;
    absl::Status id_ok = is_district ? ValidateDistrictCode(id) : ValidateResourceId(id);
    if (!id_ok.ok()) {
      return InvalidArgumentWithViolations(
          {{absl::StrCat(field, "_id"), std::string(id_ok.message())}});
    }
    const std::string name = ChildName(kind, parent, id);
    auto parsed = ParseName(kind, name);
    if (!parsed.ok())
      return InvalidArgumentWithViolations({{"parent", std::string(parsed.status().message())}});
    out->CopyFrom(req.GetReflection()->GetMessage(req, resource_field));
    ApplyDefaults(kind, out);
    violations = ResolveEnterpriseTownship(tx, kind, *parsed, out, field);
    if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
    violations = Prefixed(field, ValidateResource(kind, *parsed, *out));
    if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
    if (!is_district && !RegistryRepository::Exists(tx, *kind.parent, parent)) {
      return absl::NotFoundError(absl::StrCat(kind.parent->kind, " ", parent, " does not exist"));
    }
    violations = CheckExistence(tx, kind, *out, field);
    if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
    if (RegistryRepository::Exists(tx, kind, name)) {
      return absl::AlreadyExistsError(absl::StrCat(kind.kind, " ", name, " already exists"));
    }
    absl::Status inserted = RegistryRepository::Insert(tx, kind, *parsed, *out);
    if (!inserted.ok()) return inserted;
    auto stored = RegistryRepository::Get(tx, kind, name);
    if (!stored.ok()) return stored.status();
    out->CopyFrom(**stored);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::Get(grpc::ServerContext* ctx, const std::string& name,
                                      Message* out) {
  const ResourceKind& kind = *KindByDescriptor(out->GetDescriptor());
  auto principal = guard_->Check(ctx, absl::StrCat("Get", out->GetDescriptor()->name()), name);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  auto parsed = ParseName(kind, name);
  if (!parsed.ok()) {
    return ToGrpcStatus(
        InvalidArgumentWithViolations({{"name", std::string(parsed.status().message())}}));
  }
  return ToGrpcStatus(InTransaction(guard_->pool(), [&](pqxx::work& tx) -> absl::Status {
    auto row = RegistryRepository::Get(tx, kind, name);
    if (!row.ok()) return row.status();
    out->CopyFrom(**row);
    return absl::OkStatus();
  }));
}

grpc::Status RegistryServiceImpl::List(grpc::ServerContext* ctx, const ResourceKind& kind,
                                       const Message& req, Message* resp) {
  auto principal = guard_->Authenticate(ctx);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  ListQuery q;
  q.parent = StringField(req, "parent");
  absl::Status status = CheckParent(kind, q.parent);
  if (!status.ok()) return ToGrpcStatus(status);
  // ListTownshipsRequest -> ListTownships: the access table's row for this List.
  const std::string method(absl::StripSuffix(req.GetDescriptor()->name(), "Request"));
  if (auto allowed = guard_->Allow(
          *principal, method, kind.parent == nullptr ? "districts" : q.parent, &q.scope_prefix);
      !allowed.ok()) {
    return ToGrpcStatus(allowed.status());
  }
  const auto* d = req.GetDescriptor();
  int page_size = req.GetReflection()->GetInt32(req, d->FindFieldByName("page_size"));
  if (status.ok() && page_size < 0) {
    status = InvalidArgumentWithViolations({{"page_size", "不能为负数"}});
  }
  q.limit = (page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize)) + 1;
  std::string token = StringField(req, "page_token");
  if (status.ok() && !token.empty() &&
      (token.size() > 2048 || !absl::WebSafeBase64Unescape(token, &q.after_name) ||
       q.after_name.empty() || !TextProblem(q.after_name, TextRule{}).empty())) {
    status = InvalidArgumentWithViolations({{"page_token", "不是本服务给出的分页标记"}});
  }
  if (status.ok()) {
    auto filter = ParseListFilter(kind, StringField(req, "filter"));
    if (filter.ok()) {
      q.filter = *std::move(filter);
    } else {
      status = filter.status();
    }
  }
  if (!status.ok()) return ToGrpcStatus(status);
  return ToGrpcStatus(
      InTransaction(guard_->read_pool(*principal), [&](pqxx::work& tx) -> absl::Status {
        auto rows = RegistryRepository::List(tx, kind, q);
        if (!rows.ok()) return rows.status();
        const auto* rd = resp->GetDescriptor();
        const FieldDescriptor* items = rd->field(0);
        const auto* w = resp->GetReflection();
        int limit = q.limit - 1;
        for (int i = 0; i < static_cast<int>(rows->size()) && i < limit; ++i) {
          w->AddMessage(resp, items)->CopyFrom(*(*rows)[i]);
        }
        if (static_cast<int>(rows->size()) > limit) {
          std::string last = StringField(*(*rows)[limit - 1], "name");
          w->SetString(resp, rd->FindFieldByName("next_page_token"),
                       absl::WebSafeBase64Escape(last));
        }
        return absl::OkStatus();
      }));
}

grpc::Status RegistryServiceImpl::Update(grpc::ServerContext* ctx, const char* method,
                                         const Message& req, Message* out) {
  const ResourceKind& kind = *KindByDescriptor(out->GetDescriptor());
  const FieldDescriptor* resource_field = ResourceField(req, kind);
  const std::string field = resource_field->name();
  const Message& given = req.GetReflection()->GetMessage(req, resource_field);
  const std::string name = StringField(given, "name");
  const auto& mask = static_cast<const google::protobuf::FieldMask&>(
      req.GetReflection()->GetMessage(req, req.GetDescriptor()->FindFieldByName("update_mask")));
  Mutation m{method, name, StringField(req, "request_id"), BoolField(req, "validate_only")};
  return guard_->Mutate(ctx, m, out, [&](const Principal&, pqxx::work& tx) -> absl::Status {
    auto parsed = ParseName(kind, name);
    if (!parsed.ok()) {
      return InvalidArgumentWithViolations(
          {{absl::StrCat(field, ".name"), std::string(parsed.status().message())}});
    }
    std::vector<const FieldDescriptor*> fields;
    std::vector<FieldViolation> violations;
    if (mask.paths().empty()) {
      fields = kind.columns;
    } else {
      for (int i = 0; i < mask.paths_size(); ++i) {
        const std::string& path = mask.paths(i);
        const FieldDescriptor* f = nullptr;
        for (const auto* c : kind.columns) {
          if (c->name() == path) f = c;
        }
        if (f == nullptr) {
          violations.push_back({absl::StrCat("update_mask.paths[", i, "]"),
                                absl::StrCat("\"", path, "\" is not a field of a ", kind.kind,
                                             " that can be changed")});
        }
        fields.push_back(f);
      }
    }
    if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
    auto current = RegistryRepository::Get(tx, kind, name, /*for_update=*/true);
    if (!current.ok()) return current.status();
    absl::Status etag_ok = CheckEtag(**current, StringField(given, "etag"));
    if (!etag_ok.ok()) return etag_ok;
    out->CopyFrom(**current);
    for (const auto* f : fields) CopyField(f, given, out);
    ApplyDefaults(kind, out);
    violations = ResolveEnterpriseTownship(tx, kind, *parsed, out, field);
    if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
    violations = Prefixed(field, ValidateResource(kind, *parsed, *out));
    if (violations.empty()) violations = CheckExistence(tx, kind, *out, field);
    if (!violations.empty()) return InvalidArgumentWithViolations(std::move(violations));
    absl::Status updated = RegistryRepository::Update(tx, kind, *out);
    if (!updated.ok()) return updated;
    auto stored = RegistryRepository::Get(tx, kind, name);
    if (!stored.ok()) return stored.status();
    out->CopyFrom(**stored);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::Delete(grpc::ServerContext* ctx, const char* method,
                                         const ResourceKind& kind, const Message& req,
                                         v1::DeleteResponse* out) {
  const std::string name = StringField(req, "name");
  Mutation m{method, name, StringField(req, "request_id"), false};
  return guard_->Mutate(ctx, m, out, [&](const Principal&, pqxx::work& tx) -> absl::Status {
    auto parsed = ParseName(kind, name);
    if (!parsed.ok())
      return InvalidArgumentWithViolations({{"name", std::string(parsed.status().message())}});
    auto current = RegistryRepository::Get(tx, kind, name, /*for_update=*/true);
    if (!current.ok()) return current.status();
    absl::Status etag_ok = CheckEtag(**current, StringField(req, "etag"));
    if (!etag_ok.ok()) return etag_ok;
    std::string dependents = RegistryRepository::Dependents(tx, kind, name);
    if (!dependents.empty()) {
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
                            "无法删除 ", name, "：仍被 ", dependents, " 引用；请先删除或移走它们")),
                        "RESOURCE_IN_USE");
    }
    return RegistryRepository::Delete(tx, kind, name);
  });
}

}  // namespace cuofeng

namespace cuofeng {

namespace {

// PartQueue reads an import's parts on a thread of its own, onto `arena`,
// and hands their files to the importer as they arrive, so that the checks
// and writes of the first files overlap the upload of the next ones.
class PartQueue {
 public:
  PartQueue(grpc::ServerReader<v1::ImportRegistryRequest>* reader, google::protobuf::Arena* arena)
      : reader_(reader), arena_(arena), thread_([this] { Loop(); }) {}
  ~PartQueue() {
    Drain();
    thread_.join();
  }

  // Next waits for the next file chunk; nullptr once the stream has ended
  // (or a part that is not a file ended it: see extra_header).
  const v1::CsvFile* Next() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !queue_.empty() || done_; });
    if (queue_.empty()) return nullptr;
    const v1::CsvFile* file = queue_.front();
    queue_.pop_front();
    return file;
  }

  // Drain reads the rest of the stream, dropping it, and waits for its end.
  void Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    discard_ = true;
    queue_.clear();
    cv_.wait(lock, [this] { return done_; });
  }

  // After Drain: the rows of every file part, whether a second header came,
  // and how long the stream took.
  int64_t rows() const { return rows_; }
  bool extra_header() const { return extra_header_; }
  absl::Duration took() const { return took_; }

 private:
  void Loop() {
    const absl::Time began = absl::Now();
    v1::ImportRegistryRequest scratch;  // for parts read only to be dropped
    while (true) {
      bool keep;
      {
        std::lock_guard<std::mutex> lock(mu_);
        keep = !discard_ && !extra_header_;
      }
      auto* part = keep ? google::protobuf::Arena::CreateMessage<v1::ImportRegistryRequest>(arena_)
                        : &scratch;
      if (!reader_->Read(part)) break;
      std::lock_guard<std::mutex> lock(mu_);
      if (!part->has_file()) {
        extra_header_ = true;
        queue_.clear();
      } else {
        rows_ += part->file().rows_size();
        if (keep && !discard_ && !extra_header_) queue_.push_back(&part->file());
      }
      cv_.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu_);
    took_ = absl::Now() - began;
    done_ = true;
    cv_.notify_all();
  }

  grpc::ServerReader<v1::ImportRegistryRequest>* const reader_;
  google::protobuf::Arena* const arena_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<const v1::CsvFile*> queue_;  // guarded by mu_
  bool discard_ = false;                  // guarded by mu_
  bool done_ = false;                     // guarded by mu_
  bool extra_header_ = false;             // guarded by mu_
  int64_t rows_ = 0;                      // guarded by mu_
  absl::Duration took_;                   // guarded by mu_
  std::thread thread_;                    // last: starts once the rest is ready
};

absl::Status ExtraHeaderError() {
  return InvalidArgumentWithViolations({{"header", "一次导入只有一个数据头，在第一条消息中"}});
}

absl::Status StreamRowsError(int64_t announced, int64_t rows) {
  return InvalidArgumentWithViolations(
      {{"header.rows", absl::StrCat("数据头声明 ", announced, " 行，数据流只有 ", rows,
                                    " 行（服务器无法读取的消息，或客户端中途停止）；"
                                    "未写入任何内容")}});
}

}  // namespace

grpc::Status RegistryServiceImpl::ImportRegistry(
    grpc::ServerContext* ctx, grpc::ServerReader<v1::ImportRegistryRequest>* reader,
    v1::ImportRegistryResponse* resp) {
  v1::ImportRegistryRequest first;
  if (!reader->Read(&first) || !first.has_header()) {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"header", "导入的第一条消息须为数据头（district、request_id）"}}));
  }
  const v1::ImportHeader header = first.header();
  // Refuse early, before reading a large upload the caller may not make.
  auto principal = guard_->Check(ctx, "ImportRegistry", header.district());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  // The parts are read onto an arena: millions of cells in large blocks,
  // freed at once, rather than one allocation per cell.
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = 64 << 10;
  arena_options.max_block_size = 4 << 20;
  google::protobuf::Arena arena(arena_options);
  Mutation m{"ImportRegistry", header.district(), header.request_id(), header.validate_only()};
  resp->set_validate_only(header.validate_only());
  // A client that sends each file whole and the files in template order says
  // so, naming their kinds ("cuofeng-import-kinds: townships,enterprises,…"):
  // then each kind is checked and written as soon as its file is in, while
  // the next files arrive. Otherwise the whole stream is read first.
  const auto& metadata = ctx->client_metadata();
  if (auto kinds = metadata.find("cuofeng-import-kinds"); kinds != metadata.end()) {
    const std::vector<std::string> announced = absl::StrSplit(
        absl::string_view(kinds->second.data(), kinds->second.size()), ',', absl::SkipEmpty());
    PartQueue parts(reader, &arena);
    return guard_->Mutate(ctx, m, resp, [&](const Principal&, pqxx::work& tx) {
      absl::Status imported = ImportRegistryStream(
          tx, header.district(), announced, [&parts] { return parts.Next(); }, resp);
      parts.Drain();
      std::clog << "import " << header.district() << ": " << parts.rows() << " rows received in "
                << absl::FormatDuration(parts.took()) << " (checked as they arrived)\n";
      // All or nothing, whatever stopped the stream: a message the server
      // could not read ends it early, and the count in the header says so.
      if (parts.extra_header()) return ExtraHeaderError();
      if (ctx->IsCancelled()) {
        return absl::CancelledError("客户端中途停止了导入；未写入任何内容");
      }
      if (header.rows() > 0 && parts.rows() != header.rows()) {
        return StreamRowsError(header.rows(), parts.rows());
      }
      return imported;
    });
  }
  std::vector<const v1::CsvFile*> files;
  int64_t rows = 0;
  const absl::Time receiving = absl::Now();
  while (true) {
    auto* part = google::protobuf::Arena::CreateMessage<v1::ImportRegistryRequest>(&arena);
    if (!reader->Read(part)) break;
    if (!part->has_file()) return ToGrpcStatus(ExtraHeaderError());
    rows += part->file().rows_size();
    files.push_back(&part->file());
  }
  std::clog << "import " << header.district() << ": " << rows << " rows received in "
            << absl::FormatDuration(absl::Now() - receiving) << "\n";
  // All or nothing, whatever stopped the stream: a message the server could
  // not read ends it early, and the count announced in the header says so.
  if (header.rows() > 0 && rows != header.rows()) {
    return ToGrpcStatus(StreamRowsError(header.rows(), rows));
  }
  return guard_->Mutate(ctx, m, resp, [&](const Principal&, pqxx::work& tx) {
    return ImportRegistryFiles(tx, header.district(), files, resp);
  });
}

grpc::Status RegistryServiceImpl::ExportRegistry(
    grpc::ServerContext* ctx, const v1::ExportRegistryRequest* req,
    grpc::ServerWriter<v1::ExportRegistryResponse>* writer) {
  auto principal = guard_->Check(ctx, "ExportRegistry", req->district());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  // Read everything first and give the connection back: the client sets the
  // pace of the writes, and a slow one must not hold a pooled connection.
  std::vector<v1::ExportRegistryResponse> parts;
  absl::Status read = InTransaction(
      guard_->read_pool(*principal),
      [&](pqxx::work& tx) {
        parts.clear();
        return ExportRegistryFiles(tx, req->district(), 5000, [&](v1::CsvFile file) {
          if (req->chinese()) InChinese(&file);
          parts.emplace_back();
          *parts.back().mutable_file() = std::move(file);
          return true;
        });
      },
      Isolation::kRepeatableReadReadOnly);
  if (!read.ok()) return ToGrpcStatus(read);
  for (const auto& part : parts) {
    if (!writer->Write(part))
      return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
  }
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::ReadDistrictSnapshot(
    grpc::ServerContext* ctx, const v1::ReadDistrictSnapshotRequest* req,
    grpc::ServerWriter<v1::DistrictSnapshotChunk>* writer) {
  auto principal = guard_->Check(ctx, "ReadDistrictSnapshot", req->district());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  auto parsed = ParseName(DistrictKind(), req->district());
  if (!parsed.ok()) {
    return ToGrpcStatus(
        InvalidArgumentWithViolations({{"district", std::string(parsed.status().message())}}));
  }
  // Read first, then write: a slow reader must not hold a pooled connection.
  std::vector<v1::DistrictSnapshotChunk> chunks;
  absl::Status read = InTransaction(
      guard_->pool(),
      [&](pqxx::work& tx) -> absl::Status {
        chunks.clear();
        if (!RegistryRepository::Exists(tx, DistrictKind(), req->district())) {
          return absl::NotFoundError(absl::StrCat("区 ", req->district(), " 不存在"));
        }
        const auto& kinds = RegistryKinds();
        for (size_t k = 0; k < kinds.size(); ++k) {
          const ResourceKind* kind = kinds[k];
          // Field k of the chunk holds kind k (the chunk follows RegistryKinds() order).
          const auto* f = v1::DistrictSnapshotChunk::descriptor()->field(static_cast<int>(k));
          absl::Status s = RegistryRepository::ReadDistrict(
              tx, *kind, parsed->district_id, 1000, [&](std::vector<MessagePtr> batch) {
                v1::DistrictSnapshotChunk chunk;
                for (const MessagePtr& m : batch) {
                  if (f->is_repeated()) {
                    chunk.GetReflection()->AddMessage(&chunk, f)->CopyFrom(*m);
                  } else {
                    chunk.GetReflection()->MutableMessage(&chunk, f)->CopyFrom(*m);
                  }
                }
                chunks.push_back(std::move(chunk));
              });
          if (!s.ok()) return s;
        }
        return absl::OkStatus();
      },
      Isolation::kRepeatableReadReadOnly);
  if (!read.ok()) return ToGrpcStatus(read);
  for (const auto& chunk : chunks) {
    if (!writer->Write(chunk))
      return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
  }
  return grpc::Status::OK;
}

}  // namespace cuofeng
