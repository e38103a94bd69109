#include "services/registry/bulk.h"

#include <sys/resource.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "lib/model/identifiers.h"
#include "lib/status/errors.h"
#include "lib/status/status_macros.h"
#include "lib/text/text.h"
#include "services/registry/csv_template.h"
#include "services/registry/repository.h"
#include "services/registry/validation.h"

namespace cuofeng {
namespace {

using google::protobuf::Message;
using Role = TemplateColumn::Role;

constexpr size_t kMaxViolations = 100;
// Rows of a file still arriving are handed to the writer in runs of at least
// this many, so that a large file is written while the rest of it is checked.
constexpr size_t kWriteRows = 8192;

// CPU time of the calling thread, for the log: on a shared machine wall
// times say more about the neighbours than about the import.
absl::Duration ThreadCpu() {
  struct rusage u;
  if (getrusage(RUSAGE_THREAD, &u) != 0) return absl::ZeroDuration();
  return absl::DurationFromTimeval(u.ru_utime) + absl::DurationFromTimeval(u.ru_stime);
}

// One parsed row, kept until the write.
struct ImportRow {
  ParsedName name;
  Message* msg = nullptr;  // on the importer's arena
};

class Importer {
 public:
  Importer(pqxx::work& tx, std::string district_id)
      : tx_(tx), district_id_(std::move(district_id)) {}
  ~Importer() {
    if (!writer_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      closing_ = true;
    }
    write_cv_.notify_all();
    writer_.join();
  }

  // Run checks and writes `files`, all there before it starts.
  absl::Status Run(const std::vector<const v1::CsvFile*>& files,
                   v1::ImportRegistryResponse* response);
  // RunStream checks and writes the chunks `next` returns as they arrive
  // (nullptr at the end), each kind as soon as its file is whole; the sender
  // promised each file whole and the files in RegistryKinds order (a chunk
  // of a kind already checked is refused), and announced their kinds.
  absl::Status RunStream(const std::vector<std::string>& announced,
                         const std::function<const v1::CsvFile*()>& next,
                         v1::ImportRegistryResponse* response);

 private:
  struct File {
    std::string file_name;
    std::vector<std::string> header;
    std::vector<const v1::CsvFile::Row*> rows;
  };

  void Violation(const std::string& file, int line, int column, const std::string& what) {
    ++violation_count_;
    if (located_.size() >= kMaxViolations) return;
    located_.push_back({file_order_, line, column, file, what});
  }

  // A problem of the stream itself (an unknown kind, a second file of a
  // kind): reported before the rows' problems, as they are found first when
  // the whole stream is there before the checks.
  void StreamViolation(const std::string& file, const std::string& what) {
    ++violation_count_;
    if (stream_located_.size() >= kMaxViolations) return;
    stream_located_.push_back({0, 1, 0, file, what});
  }

  // A violation with its place, so the report reads in file, row, column order.
  struct Located {
    int file_order, line, column;
    std::string file, what;
  };

  // Known names of a kind: in the registry or earlier in this import.
  bool Known(const ResourceKind& kind, const std::string& name) {
    return imported_[&kind].contains(name) || Existing(kind).Has(name);
  }

  // The registry's rows of a kind in the district, as they were before this
  // import wrote anything: Preload reads every kind the import needs before
  // the first write; a kind missed there is read once all writes so far are
  // done.
  const StoredRows& Existing(const ResourceKind& kind) {
    auto it = existing_.find(&kind);
    if (it != existing_.end()) return it->second;
    WaitWrites();
    return existing_.emplace(&kind, RegistryRepository::ReadStored(tx_, kind, district_id_, false))
        .first->second;
  }
  void Preload(const std::set<const ResourceKind*>& kinds);

  // The write pipeline: each kind, once checked with nothing wrong so far,
  // is queued to a writer thread, which writes the kinds in order while the
  // next ones are checked (the transaction is used by one thread at a time:
  // WaitWrites before any query here). All in the one transaction: an error
  // found later still leaves nothing written.
  // StartWrite hands the kind's checked rows not yet handed to the writer.
  void StartWrite(const ResourceKind& kind);
  void WaitWrites();
  void WriterLoop();
  // What the writer did with a kind, added up over its runs of rows; only the
  // writer changes it while writes are queued.
  struct Written {
    const ResourceKind* kind;
    size_t rows = 0;
    UpsertCounts counts;
    int64_t same = 0;  // stored exactly so: not sent to the database
    absl::Duration took;
    absl::Duration cpu;  // of the writing thread
  };
  absl::Status WriteKind(const ResourceKind& kind, const std::vector<const ImportRow*>& rows,
                         Written* out);
  struct WriteJob {
    const ResourceKind* kind;
    // Into rows_[kind], a deque: its elements stay where they are while the
    // checks add rows behind them.
    std::vector<const ImportRow*> rows;
    Written* out;
  };
  std::thread writer_;
  std::mutex write_mu_;
  std::condition_variable write_cv_;
  std::deque<WriteJob> write_queue_;  // guarded by write_mu_
  bool writing_ = false;              // guarded by write_mu_
  bool closing_ = false;              // guarded by write_mu_
  // Set by the writer under write_mu_; read here after WaitWrites.
  absl::Status write_status_;
  std::exception_ptr write_exception_;
  std::vector<Written> written_;

  // Equipment by (enterprise id, equipment id), from the registry and import.
  std::string EquipmentName(const std::string& enterprise_id, const std::string& equipment_id);

  // AddChunk files a chunk under its kind (chunks of one file arrive as
  // several CsvFile messages with its name); returns the kind, or nullptr
  // when the chunk was refused.
  const ResourceKind* AddChunk(const v1::CsvFile& chunk);
  // CheckKind checks the rest of the kind's file if there is one, now whole,
  // and hands what is left of it to the writer when nothing is wrong so far.
  void CheckKind(const ResourceKind& kind);
  // CheckArrived checks the rows of a file that came so far, while the rest
  // of it is on its way, and hands them to the writer in runs of kWriteRows
  // when nothing is wrong so far. A problem found later in the file still
  // leaves nothing written: all is one transaction.
  void CheckArrived(const ResourceKind& kind);
  absl::Status Finish(v1::ImportRegistryResponse* response);
  std::map<const ResourceKind*, File> by_kind_;
  std::map<std::string, const ResourceKind*> kind_of_file_;
  std::vector<Located> stream_located_;
  absl::Time start_, checked_;
  absl::Duration checking_, checking_cpu_;

  // The check of one kind's file, kept while its rows arrive.
  struct KindCheck {
    bool begun = false;
    std::vector<int> map;         // file column → template column (-1: none)
    std::vector<int> where;       // template column → file column (-1: none)
    std::vector<TextRule> rules;  // each file column's text rule
    absl::flat_hash_map<std::string, int> line_of_name, line_of_display, line_of_uscc;
    const google::protobuf::FieldDescriptor* display = nullptr;
    const google::protobuf::FieldDescriptor* uscc = nullptr;
    int uscc_column = 0;
    const Message* prototype = nullptr;
    size_t checked = 0;  // rows of the file checked so far
    size_t handed = 0;   // rows of rows_[kind] handed to the writer
    absl::Time began;
    absl::Duration cpu;  // of the checks so far
  };
  // BeginKind reads the file's header into `k`.
  void BeginKind(const ResourceKind& kind, const File& file, KindCheck* k);
  // ImportKind checks the file's rows from k->checked on, keeping the good ones.
  void ImportKind(const ResourceKind& kind, const File& file, KindCheck* k);
  std::map<const ResourceKind*, KindCheck> checks_;
  // CheckUsccElsewhere refuses, cell by cell, a 统一社会信用代码 that another
  // enterprise (in any district) already holds: one code, one legal entity.
  void CheckUsccElsewhere();
  struct PendingUscc {
    std::string uscc, name, file;
    int line, column;
  };
  std::vector<PendingUscc> pending_uscc_;
  // Townships of the district: earlier in this import, then in the registry.
  const std::vector<RegisteredTownship>& Townships();
  // Made again only when the import's townships have changed since.
  std::vector<RegisteredTownship> townships_;
  size_t townships_from_ = static_cast<size_t>(-1);

  pqxx::work& tx_;
  const std::string district_id_;
  // The checked rows' messages: one arena, freed at once.
  google::protobuf::Arena arena_;
  std::vector<Located> located_;
  int file_order_ = 0;
  size_t violation_count_ = 0;
  std::map<const ResourceKind*, StoredRows> existing_;
  std::map<const ResourceKind*, absl::flat_hash_set<std::string>> imported_;
  std::map<const ResourceKind*, std::deque<ImportRow>> rows_;
  absl::flat_hash_map<std::string, std::string> equipment_by_id_;
  bool equipment_loaded_ = false;
  std::vector<RegisteredTownship> registry_townships_;
  bool townships_loaded_ = false;
};

const std::vector<RegisteredTownship>& Importer::Townships() {
  const ResourceKind& kind = *KindByFile("townships");
  if (!townships_loaded_) {
    WaitWrites();
    townships_loaded_ = true;
    ListQuery query;
    query.parent = absl::StrCat("districts/", district_id_);
    query.limit = 100000;
    auto rows = RegistryRepository::List(tx_, kind, query);
    if (rows.ok()) {
      for (const MessagePtr& row : *rows) {
        const auto& t = static_cast<const v1::Township&>(*row);
        registry_townships_.push_back({t.name(), t.display_name()});
      }
    }
  }
  const std::deque<ImportRow>& imported = rows_[&kind];
  if (townships_from_ == imported.size()) return townships_;
  townships_from_ = imported.size();
  townships_.clear();
  for (const ImportRow& row : imported) {
    townships_.push_back(
        {row.name.name, static_cast<const v1::Township&>(*row.msg).display_name()});
  }
  townships_.insert(townships_.end(), registry_townships_.begin(), registry_townships_.end());
  return townships_;
}

std::string Importer::EquipmentName(const std::string& enterprise_id,
                                    const std::string& equipment_id) {
  if (!equipment_loaded_) {
    equipment_loaded_ = true;
    for (absl::string_view name : Existing(*KindByFile("equipment")).Names()) {
      auto parsed = ParseName(*KindByFile("equipment"), std::string(name));
      if (parsed.ok()) {
        equipment_by_id_.emplace(parsed->enterprise_id + "/" + parsed->id, std::string(name));
      }
    }
  }
  auto it = equipment_by_id_.find(enterprise_id + "/" + equipment_id);
  return it == equipment_by_id_.end() ? std::string() : it->second;
}

void Importer::BeginKind(const ResourceKind& kind, const File& file, KindCheck* k) {
  k->begun = true;
  k->began = absl::Now();
  const std::vector<TemplateColumn>& columns = TemplateColumns(kind);
  const std::string& fname = file.file_name;
  // Header → template column.
  std::vector<int>& map = k->map;
  std::vector<int>& where = k->where;
  map.assign(file.header.size(), -1);
  where.assign(columns.size(), -1);
  for (size_t i = 0; i < file.header.size(); ++i) {
    if (std::string problem = TextProblem(file.header[i], TextRule{}); !problem.empty()) {
      Violation(fname, 1, i + 1, absl::StrCat("表头：", problem));
      continue;
    }
    std::string h(absl::StripAsciiWhitespace(file.header[i]));
    for (size_t c = 0; c < columns.size(); ++c) {
      if (absl::AsciiStrToLower(h) == columns[c].header || h == columns[c].header_zh) map[i] = c;
    }
    if (map[i] < 0) {
      std::vector<std::string> names;
      for (const auto& c : columns) names.push_back(c.header);
      Violation(fname, 1, i + 1,
                absl::StrCat("未知的列 ", Quote(h), "；", kind.file, ".csv 的列为 ",
                             absl::StrJoin(names, ", ")));
    } else if (where[map[i]] >= 0) {
      Violation(fname, 1, i + 1, absl::StrCat("列 ", Quote(h), " 出现了两次"));
    } else {
      where[map[i]] = i;
    }
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].required && where[c] < 0) {
      Violation(fname, 1, 0,
                absl::StrCat("缺少列 \"", columns[c].header, "\"（", columns[c].header_zh, "）"));
    }
  }
  k->prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(kind.descriptor);
  k->display = kind.descriptor->FindFieldByName("display_name");
  k->uscc = kind.descriptor->FindFieldByName("uscc");
  // Each cell's text rule, by the field its column fills.
  k->rules.assign(file.header.size(), TextRule{});
  for (size_t i = 0; i < file.header.size(); ++i) {
    const TemplateColumn* col = map[i] >= 0 ? &columns[map[i]] : nullptr;
    if (col != nullptr && col->field != nullptr) k->rules[i] = RuleForField(col->field->name());
  }
}

void Importer::ImportKind(const ResourceKind& kind, const File& file, KindCheck* k) {
  if (!k->begun) BeginKind(kind, file, k);
  const std::vector<TemplateColumn>& columns = TemplateColumns(kind);
  const std::string& fname = file.file_name;
  const std::vector<int>& map = k->map;
  const std::vector<int>& where = k->where;
  // Column (1-based) of a field, for violations from validation.
  auto column_of = [&](const std::string& field) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (columns[c].field != nullptr && columns[c].field->name() == field) return where[c] + 1;
    }
    for (size_t c = 0; c < columns.size(); ++c) {
      if (columns[c].role == Role::kId) return where[c] + 1;
    }
    return 0;
  };
  auto header_of = [&](int col) {
    return col > 0 && col <= static_cast<int>(map.size()) && map[col - 1] >= 0
               ? absl::StrCat(columns[map[col - 1]].header, " (", columns[map[col - 1]].header_zh,
                              "): ")
               : std::string();
  };
  const Message* prototype = k->prototype;
  absl::flat_hash_map<std::string, int>& line_of_name = k->line_of_name;
  absl::flat_hash_map<std::string, int>& line_of_display = k->line_of_display;
  absl::flat_hash_map<std::string, int>& line_of_uscc = k->line_of_uscc;
  const auto* display = k->display;
  const auto* uscc = k->uscc;
  if (uscc != nullptr && k->uscc_column == 0) k->uscc_column = column_of("uscc");
  const int uscc_column = k->uscc_column;
  const std::vector<TextRule>& rules = k->rules;
  std::deque<ImportRow>& kept = rows_[&kind];
  const size_t arriving = file.rows.size() - k->checked;
  line_of_name.reserve(line_of_name.size() + arriving);
  if (display != nullptr) line_of_display.reserve(line_of_display.size() + arriving);
  if (uscc != nullptr) line_of_uscc.reserve(line_of_uscc.size() + arriving);
  imported_[&kind].reserve(imported_[&kind].size() + arriving);
  if (kind.file == "equipment") equipment_by_id_.reserve(equipment_by_id_.size() + arriving);
  static const std::string kNoCell;
  for (; k->checked < file.rows.size(); ++k->checked) {
    const v1::CsvFile::Row* row = file.rows[k->checked];
    const int line = row->line();
    const size_t before = violation_count_;
    // A row with a cell missing would blank a stored field; one with a cell
    // too many holds something no column takes: both are refused.
    if (row->cells_size() != static_cast<int>(file.header.size())) {
      Violation(
          fname, line, std::min<int>(row->cells_size(), file.header.size()) + 1,
          absl::StrCat("此行有 ", row->cells_size(), " 格，表头有 ", file.header.size(), " 格"));
      continue;
    }
    // Text rules on every cell, before anything reads it.
    bool text_ok = true;
    for (int i = 0; i < row->cells_size(); ++i) {
      std::string problem = TextProblem(row->cells(i), rules[i]);
      if (!problem.empty()) {
        Violation(fname, line, i + 1, absl::StrCat(header_of(i + 1), problem));
        text_ok = false;
      }
    }
    if (!text_ok) continue;
    ImportRow out;
    out.msg = prototype->New(&arena_);
    std::string parent = absl::StrCat("districts/", district_id_);
    std::string enterprise_id;
    std::vector<std::pair<const TemplateColumn*, int>> references;
    std::string id;
    bool name_ok = true;
    std::set<int> bad_columns;  // 1-based; later checks do not repeat them
    auto cell_violation = [&](int col, const std::string& what) {
      bad_columns.insert(col);
      Violation(fname, line, col, what);
    };
    // Ancestor ids first (columns are in template order).
    for (size_t c = 0; c < columns.size(); ++c) {
      const TemplateColumn& col = columns[c];
      const int at = where[c];
      const std::string& raw = at >= 0 && at < row->cells_size() ? row->cells(at) : kNoCell;
      switch (col.role) {
        case Role::kAncestorId:
        case Role::kId: {
          const std::string cell(absl::StripAsciiWhitespace(raw));
          absl::Status ok = ValidateResourceId(cell);
          if (cell.empty()) ok = absl::InvalidArgumentError("必填");
          if (!ok.ok()) {
            cell_violation(at + 1,
                           absl::StrCat(col.header, " (", col.header_zh, "): ", ok.message()));
            name_ok = false;
            break;
          }
          if (col.role == Role::kId) {
            id = cell;
          } else {
            parent = ChildName(*col.ancestor, parent, cell);
            if (col.ancestor->file == "enterprises") enterprise_id = cell;
          }
          break;
        }
        case Role::kField: {
          absl::Status ok = ParseCell(col.field, raw, out.msg);  // it strips the cell
          if (!ok.ok()) {
            cell_violation(at + 1,
                           absl::StrCat(col.header, " (", col.header_zh, "): ", ok.message()));
          }
          break;
        }
        case Role::kReference:
          if (!absl::StripAsciiWhitespace(raw).empty()) references.emplace_back(&col, at);
          break;
      }
    }
    if (!name_ok) continue;
    const std::string name = ChildName(kind, parent, id);
    auto parsed = ParseName(kind, name);
    if (!parsed.ok()) {
      Violation(fname, line, column_of("id"), std::string(parsed.status().message()));
      continue;
    }
    out.name = *std::move(parsed);
    // References, written as ids, become resource names.
    for (const auto& [col, at] : references) {
      const std::string cell(absl::StripAsciiWhitespace(row->cells(at)));
      const ResourceKind& target = *col->ancestor;
      std::string ref;
      if (target.file == "equipment") {
        ref = EquipmentName(out.name.enterprise_id, cell);
        if (ref.empty()) {
          cell_violation(at + 1, absl::StrCat(col->header, " (", col->header_zh, "): 企业 \"",
                                              out.name.enterprise_id, "\" 的设备 ", Quote(cell),
                                              " 既不在 equipment.csv 中，也不在登记库中"));
          continue;
        }
      } else if (target.file == "townships") {
        // By id (yuyang) or by the registered name (渔阳镇).
        ref = ResolveTownship(cell, Townships());
        if (ref.empty()) {
          cell_violation(
              at + 1, absl::StrCat(col->header, " (", col->header_zh, "): 镇乡 ", Quote(cell),
                                   " 在 ", target.file, ".csv 和登记库中既不是编号，也不是名称"));
          continue;
        }
      } else if (target.file == "lines") {
        ref = absl::StrCat("districts/", district_id_, "/enterprises/", out.name.enterprise_id,
                           "/lines/", cell);
      } else {
        ref = ChildName(target, absl::StrCat("districts/", district_id_), cell);
      }
      if (!Known(target, ref)) {
        cell_violation(
            at + 1, absl::StrCat(col->header, " (", col->header_zh, "): ", KindZh(target), " ",
                                 Quote(cell), " 既不在 ", target.file, ".csv 中，也不在登记库中"));
        continue;
      }
      out.msg->GetReflection()->SetString(out.msg, col->field, ref);
    }
    ApplyDefaults(kind, out.msg);
    for (const FieldViolation& v : ValidateResource(kind, out.name, *out.msg)) {
      int col = column_of(v.field);
      if (bad_columns.count(col) == 0) {
        Violation(fname, line, col, absl::StrCat(header_of(col), v.description));
      }
    }
    if (kind.parent != nullptr && kind.parent->parent != nullptr &&
        !Known(*kind.parent, out.name.parent)) {
      Violation(fname, line, column_of("id"),
                absl::StrCat(KindZh(*kind.parent), " ", out.name.parent, " 既不在 ",
                             kind.parent->file, ".csv 中，也不在登记库中"));
    }
    auto [it, fresh] = line_of_name.emplace(name, line);
    if (!fresh) {
      Violation(fname, line, column_of("id"),
                absl::StrCat("编号 \"", id, "\" 与第 ", it->second, " 行重复"));
    }
    if (display != nullptr) {
      std::string key =
          out.name.parent + "\n" + out.msg->GetReflection()->GetString(*out.msg, display);
      auto [d, fresh_display] = line_of_display.emplace(key, line);
      if (!fresh_display) {
        Violation(fname, line, column_of("display_name"),
                  absl::StrCat("名称与同一上级下的第 ", d->second, " 行重复"));
      }
    }
    if (uscc != nullptr) {
      auto [u, fresh_uscc] =
          line_of_uscc.emplace(out.msg->GetReflection()->GetString(*out.msg, uscc), line);
      if (!fresh_uscc) {
        Violation(fname, line, column_of("uscc"),
                  absl::StrCat("统一社会信用代码与第 ", u->second, " 行重复"));
      }
    }
    if (violation_count_ > before) continue;
    imported_[&kind].insert(name);
    if (uscc != nullptr) {
      pending_uscc_.push_back(
          {out.msg->GetReflection()->GetString(*out.msg, uscc), name, fname, line, uscc_column});
    }
    if (kind.file == "equipment") {
      EquipmentName("", "");  // load the registry's equipment first
      auto [e, fresh_equipment] =
          equipment_by_id_.emplace(out.name.enterprise_id + "/" + out.name.id, name);
      if (!fresh_equipment && e->second != name) {
        Violation(fname, line, column_of("id"),
                  absl::StrCat("设备编号 \"", out.name.id, "\" 在企业 \"", out.name.enterprise_id,
                               "\" 中已由 ", e->second, " 使用（设备编号在企业内唯一）"));
        continue;
      }
    }
    kept.push_back(std::move(out));
  }
}

void Importer::CheckUsccElsewhere() {
  if (pending_uscc_.empty()) return;
  WaitWrites();
  // A failed write left the transaction unusable; its error is the answer.
  if (!write_status_.ok() || write_exception_ != nullptr) return;
  // The codes passed ValidateUscc (18 of 0-9 and A-Z): safe in an array literal.
  std::string codes;
  for (const PendingUscc& p : pending_uscc_) {
    if (!p.uscc.empty()) absl::StrAppend(&codes, codes.empty() ? "" : ",", p.uscc);
  }
  codes = absl::StrCat("{", codes, "}");
  std::map<std::string, std::string> holder;
  for (const auto& row : tx_.exec_params(
           "SELECT uscc, name FROM registry.enterprise WHERE uscc = ANY($1::text[])", codes)) {
    holder[row[0].as<std::string>()] = row[1].as<std::string>();
  }
  for (const PendingUscc& p : pending_uscc_) {
    auto h = holder.find(p.uscc);
    if (h == holder.end() || h->second == p.name) continue;
    Violation(p.file, p.line, p.column,
              absl::StrCat("统一社会信用代码 ", p.uscc, " 已登记为 ", h->second,
                           "（一个代码只对应一个企业）：请更正代码，或先修改那条记录"));
  }
  pending_uscc_.clear();
}

const ResourceKind* Importer::AddChunk(const v1::CsvFile& chunk) {
  // Names echo in every violation: made printable and short.
  const std::string file_name = TextProblem(chunk.file_name(), TextRule{}).empty()
                                    ? chunk.file_name()
                                    : Printable(chunk.file_name(), 100);
  auto known = kind_of_file_.find(file_name);
  const ResourceKind* kind =
      known != kind_of_file_.end() ? known->second : KindByFile(chunk.kind());
  if (kind == nullptr || kind->parent == nullptr) {
    std::vector<std::string> kinds;
    for (const ResourceKind* k : RegistryKinds()) {
      if (k->parent != nullptr) kinds.push_back(k->file);
    }
    StreamViolation(file_name, absl::StrCat("未知的登记表类型 ", Quote(chunk.kind()),
                                            "；应为以下之一：", absl::StrJoin(kinds, ", ")));
    return nullptr;
  }
  File& f = by_kind_[kind];
  if (known == kind_of_file_.end()) {
    if (!f.file_name.empty()) {
      StreamViolation(file_name,
                      absl::StrCat("又一个 ", kind->file, " 文件；", f.file_name, " 在先"));
      return nullptr;
    }
    kind_of_file_[file_name] = kind;
    f.file_name = file_name;
    f.header.assign(chunk.header().begin(), chunk.header().end());
  }
  for (const auto& row : chunk.rows()) f.rows.push_back(&row);
  return kind;
}

void Importer::CheckKind(const ResourceKind& kind) {
  auto it = by_kind_.find(&kind);
  if (it == by_kind_.end()) return;
  const absl::Time began = absl::Now();
  const absl::Duration cpu = ThreadCpu();
  KindCheck& k = checks_[&kind];
  ++file_order_;
  ImportKind(kind, it->second, &k);
  CheckUsccElsewhere();
  checking_ += absl::Now() - began;
  k.cpu += ThreadCpu() - cpu;
  checking_cpu_ += ThreadCpu() - cpu;
  checked_ = absl::Now();
  std::clog << "import districts/" << district_id_ << " " << kind.file << ": "
            << it->second.rows.size() << " rows checked from "
            << absl::FormatDuration(absl::Trunc(k.began - start_, absl::Milliseconds(1))) << " to "
            << absl::FormatDuration(absl::Trunc(checked_ - start_, absl::Milliseconds(1)))
            << " (CPU " << absl::FormatDuration(absl::Trunc(k.cpu, absl::Milliseconds(1))) << ")\n";
  if (violation_count_ == 0) StartWrite(kind);
}

void Importer::CheckArrived(const ResourceKind& kind) {
  auto it = by_kind_.find(&kind);
  if (it == by_kind_.end()) return;
  const absl::Time began = absl::Now();
  const absl::Duration cpu = ThreadCpu();
  KindCheck& k = checks_[&kind];
  // Violations sort by file, then line: this file's order is the one it
  // will have when it is whole.
  const int order = file_order_;
  file_order_ = order + 1;
  ImportKind(kind, it->second, &k);
  file_order_ = order;
  checking_ += absl::Now() - began;
  k.cpu += ThreadCpu() - cpu;
  checking_cpu_ += ThreadCpu() - cpu;
  // A kind with a 统一社会信用代码 waits for its whole file: the code is
  // checked against other enterprises' (CheckUsccElsewhere) before any row
  // of the file is written, or the unique key would answer first, without
  // the file's line, and an enterprise's code moving to another within the
  // file would depend on where the runs were cut.
  if (violation_count_ == 0 && k.uscc == nullptr && rows_[&kind].size() - k.handed >= kWriteRows) {
    StartWrite(kind);
  }
}

absl::Status Importer::Run(const std::vector<const v1::CsvFile*>& files,
                           v1::ImportRegistryResponse* response) {
  // Chunks of one file arrive as several CsvFile messages with its name.
  for (const v1::CsvFile* chunk : files) AddChunk(*chunk);
  start_ = checked_ = absl::Now();
  written_.reserve(RegistryKinds().size());  // never moved while a write runs
  std::set<const ResourceKind*> kinds;
  for (const auto& [kind, file] : by_kind_) kinds.insert(kind);
  Preload(kinds);
  for (const ResourceKind* kind : RegistryKinds()) CheckKind(*kind);
  return Finish(response);
}

absl::Status Importer::RunStream(const std::vector<std::string>& announced,
                                 const std::function<const v1::CsvFile*()>& next,
                                 v1::ImportRegistryResponse* response) {
  start_ = checked_ = absl::Now();
  written_.reserve(RegistryKinds().size());  // never moved while a write runs
  // What the checks need from the registry is read while the first files
  // are still on their way.
  std::set<const ResourceKind*> kinds;
  for (const std::string& file : announced) {
    const ResourceKind* kind = KindByFile(file);
    if (kind != nullptr && kind->parent != nullptr) kinds.insert(kind);
  }
  Preload(kinds);
  const std::vector<const ResourceKind*>& order = RegistryKinds();
  size_t next_kind = 0;  // the first kind of `order` not yet checked
  // Checks every kind before `end` in order, as the whole-stream import does.
  auto check_before = [&](size_t end) {
    for (; next_kind < end; ++next_kind) CheckKind(*order[next_kind]);
  };
  while (const v1::CsvFile* chunk = next()) {
    const ResourceKind* kind = AddChunk(*chunk);
    if (kind == nullptr) continue;
    const size_t at = std::find(order.begin(), order.end(), kind) - order.begin();
    if (at < next_kind) {
      // The sender announced whole files in template order and broke it:
      // the kind was already checked without these rows.
      return InvalidArgumentWithViolations(
          {{by_kind_[kind].file_name,
            absl::StrCat("此文件的数据在 ", order[next_kind - 1]->file,
                         " 之后才到达，但导入声明按模板顺序逐个完整发送文件；未写入任何内容")}});
    }
    // The files before this one are whole: they are checked (and written)
    // while the rest arrives; so are the rows of this one that are in.
    check_before(at);
    CheckArrived(*kind);
  }
  check_before(order.size());
  return Finish(response);
}

absl::Status Importer::Finish(v1::ImportRegistryResponse* response) {
  WaitWrites();
  if (violation_count_ > 0) {
    // As if every stream-level problem came first, then the checks' (the
    // report lists the first kMaxViolations of them), in file, row, column
    // order.
    std::vector<Located> all = std::move(stream_located_);
    for (Located& v : located_) {
      if (all.size() >= kMaxViolations) break;
      all.push_back(std::move(v));
    }
    std::stable_sort(all.begin(), all.end(), [](const Located& a, const Located& b) {
      return std::tie(a.file_order, a.line, a.column) < std::tie(b.file_order, b.line, b.column);
    });
    std::vector<FieldViolation> violations;
    for (const Located& v : all) {
      violations.push_back({v.column > 0 ? absl::StrCat(v.file, ":", v.line, ":", v.column)
                                         : absl::StrCat(v.file, ":", v.line),
                            v.what});
    }
    if (violation_count_ > violations.size()) {
      violations.push_back(
          {"import", absl::StrCat("另有 ", violation_count_ - violations.size(), " 处错误未列出")});
    }
    return InvalidArgumentWithViolations(std::move(violations));
  }
  if (write_exception_ != nullptr) std::rethrow_exception(write_exception_);
  if (!write_status_.ok()) return write_status_;
  absl::Duration writes_cpu;
  for (const Written& w : written_) {
    v1::ImportCounts* c = response->add_counts();
    c->set_kind(w.kind->file);
    c->set_created(w.counts.created);
    c->set_updated(w.counts.updated);
    c->set_unchanged(w.counts.unchanged);
    response->set_created(response->created() + w.counts.created);
    response->set_updated(response->updated() + w.counts.updated);
    response->set_unchanged(response->unchanged() + w.counts.unchanged);
    std::clog << "import districts/" << district_id_ << " " << w.kind->file << ": " << w.rows
              << " rows written in " << absl::FormatDuration(w.took) << " (CPU "
              << absl::FormatDuration(w.cpu) << "; " << w.same
              << " of them stored exactly so, not sent)\n";
    writes_cpu += w.cpu;
  }
  std::clog << "import districts/" << district_id_ << ": checked in "
            << absl::FormatDuration(checking_) << " (CPU " << absl::FormatDuration(checking_cpu_)
            << "; writing thread's CPU " << absl::FormatDuration(writes_cpu)
            << "), the last writes done " << absl::FormatDuration(absl::Now() - checked_)
            << " after the checks, " << absl::FormatDuration(absl::Now() - start_) << " in all\n";
  return absl::OkStatus();
}

void Importer::Preload(const std::set<const ResourceKind*>& kinds) {
  // Names of the kinds rows refer to (parents, references) and, for the
  // kinds imported, their rows with data, to tell unchanged rows.
  std::set<const ResourceKind*> names_only;
  for (const ResourceKind* kind : kinds) {
    if (kind->parent != nullptr && kind->parent->parent != nullptr) {
      names_only.insert(kind->parent);
    }
    for (const auto& [field, target] : kind->references) names_only.insert(target);
  }
  for (const ResourceKind* kind : RegistryKinds()) {
    const bool imported = kinds.count(kind) > 0;
    if (!imported && names_only.count(kind) == 0) continue;
    existing_.emplace(kind, RegistryRepository::ReadStored(tx_, *kind, district_id_, imported));
  }
  if (kinds.count(KindByFile("enterprises")) > 0) Townships();
}

void Importer::StartWrite(const ResourceKind& kind) {
  KindCheck& k = checks_[&kind];
  const std::deque<ImportRow>& rows = rows_[&kind];
  if (k.handed == rows.size() && k.handed > 0) return;
  Existing(kind);  // read before any row of the kind is written
  if (written_.empty() || written_.back().kind != &kind) {
    written_.push_back({});  // reserved: never moved while a write runs
    written_.back().kind = &kind;
  }
  WriteJob job{&kind, {}, &written_.back()};
  job.rows.reserve(rows.size() - k.handed);
  for (; k.handed < rows.size(); ++k.handed) job.rows.push_back(&rows[k.handed]);
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    write_queue_.push_back(std::move(job));
  }
  write_cv_.notify_all();
  if (!writer_.joinable()) writer_ = std::thread([this] { WriterLoop(); });
}

void Importer::WriterLoop() {
  std::unique_lock<std::mutex> lock(write_mu_);
  while (true) {
    write_cv_.wait(lock, [this] { return closing_ || !write_queue_.empty(); });
    if (write_queue_.empty()) return;  // closing
    const WriteJob job = std::move(write_queue_.front());
    write_queue_.pop_front();
    // After a failure the transaction is unusable: the rest is dropped.
    const bool failed = !write_status_.ok() || write_exception_ != nullptr;
    writing_ = !failed;
    if (!failed) {
      lock.unlock();
      absl::Status status;
      std::exception_ptr exception;
      try {
        status = WriteKind(*job.kind, job.rows, job.out);
      } catch (...) {
        exception = std::current_exception();
      }
      lock.lock();
      if (!status.ok()) write_status_ = status;
      if (exception != nullptr) write_exception_ = exception;
      writing_ = false;
    }
    write_cv_.notify_all();
  }
}

void Importer::WaitWrites() {
  std::unique_lock<std::mutex> lock(write_mu_);
  write_cv_.wait(lock, [this] { return write_queue_.empty() && !writing_; });
}

absl::Status Importer::WriteKind(const ResourceKind& kind,
                                 const std::vector<const ImportRow*>& rows, Written* out) {
  const absl::Time began = absl::Now();
  const absl::Duration cpu = ThreadCpu();
  // New names go straight in with COPY; a stored row that holds exactly
  // what the import says is left alone (unchanged); the others are merged,
  // which tells updated rows from unchanged ones.
  std::vector<std::pair<const ParsedName*, const Message*>> fresh, changed;
  fresh.reserve(rows.size());
  const StoredRows& existing = existing_.at(&kind);
  int64_t same = 0;
  for (const ImportRow* row : rows) {
    if (!existing.Has(row->name.name)) {
      fresh.emplace_back(&row->name, row->msg);
    } else if (existing.Same(row->name.name, *row->msg)) {
      ++same;
    } else {
      changed.emplace_back(&row->name, row->msg);
    }
  }
  ASSIGN_OR_RETURN(int64_t created, RegistryRepository::CopyInsert(tx_, kind, fresh));
  ASSIGN_OR_RETURN(UpsertCounts counts, RegistryRepository::Upsert(tx_, kind, changed));
  out->rows += rows.size();
  out->same += same;
  out->counts.created += created + counts.created;
  out->counts.updated += counts.updated;
  out->counts.unchanged += same + counts.unchanged;
  out->took += absl::Now() - began;
  out->cpu += ThreadCpu() - cpu;
  return absl::OkStatus();
}

// The id of the district an import goes into, once it is known to exist.
absl::StatusOr<std::string> ImportDistrictId(pqxx::work& tx, const std::string& district) {
  auto parsed = ParseName(DistrictKind(), district);
  if (!parsed.ok()) {
    return InvalidArgumentWithViolations(
        {{"header.district", std::string(parsed.status().message())}});
  }
  if (!RegistryRepository::Exists(tx, DistrictKind(), district)) {
    return absl::NotFoundError(absl::StrCat("区 ", district, " 不存在；请先创建"));
  }
  return parsed->district_id;
}

}  // namespace

absl::Status ImportRegistryFiles(pqxx::work& tx, const std::string& district,
                                 const std::vector<const v1::CsvFile*>& files,
                                 v1::ImportRegistryResponse* response) {
  ASSIGN_OR_RETURN(std::string district_id, ImportDistrictId(tx, district));
  Importer importer(tx, district_id);
  return importer.Run(files, response);
}

absl::Status ImportRegistryStream(pqxx::work& tx, const std::string& district,
                                  const std::vector<std::string>& announced,
                                  const std::function<const v1::CsvFile*()>& next,
                                  v1::ImportRegistryResponse* response) {
  ASSIGN_OR_RETURN(std::string district_id, ImportDistrictId(tx, district));
  Importer importer(tx, district_id);
  return importer.RunStream(announced, next, response);
}

absl::Status ExportRegistryFiles(pqxx::transaction_base& tx, const std::string& district,
                                 int chunk_rows, const std::function<bool(v1::CsvFile)>& sink) {
  auto parsed = ParseName(DistrictKind(), district);
  if (!parsed.ok()) {
    return InvalidArgumentWithViolations({{"district", std::string(parsed.status().message())}});
  }
  if (!RegistryRepository::Exists(tx, DistrictKind(), district)) {
    return absl::NotFoundError(absl::StrCat("区 ", district, " 不存在"));
  }
  for (const ResourceKind* kind : RegistryKinds()) {
    if (kind->parent == nullptr) continue;
    v1::CsvFile header;
    header.set_file_name(absl::StrCat(kind->file, ".csv"));
    header.set_kind(kind->file);
    for (auto& h : TemplateHeader(*kind)) header.add_header(std::move(h));
    v1::CsvFile chunk = header;
    bool sent_any = false;
    bool open = true;
    int line = 2;
    absl::Status status = RegistryRepository::ReadDistrict(
        tx, *kind, parsed->district_id, chunk_rows, [&](std::vector<MessagePtr> batch) {
          for (const MessagePtr& msg : batch) {
            auto* row = chunk.add_rows();
            row->set_line(line++);
            for (auto& cell : TemplateRow(*kind, *msg)) row->add_cells(std::move(cell));
          }
          if (open) open = sink(std::move(chunk));
          sent_any = true;
          chunk = v1::CsvFile();
          chunk.set_file_name(header.file_name());
          chunk.set_kind(header.kind());
        });
    if (!status.ok()) return status;
    if (!sent_any && open) open = sink(header);
    if (!open) return absl::CancelledError("客户端已断开");
  }
  return absl::OkStatus();
}

}  // namespace cuofeng
