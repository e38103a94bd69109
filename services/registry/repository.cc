#include "services/registry/repository.h"

#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/timestamp.pb.h"
#include "lib/db/pool.h"
#include "services/registry/row_codec.h"

namespace cuofeng {
namespace {

using google::protobuf::Message;

// The statements of one kind, built once.
struct KindSql {
  std::vector<std::string> key_columns;  // name, parent, district_id, [enterprise_id], id
  std::vector<std::string> data_columns;
  std::string select;  // SELECT ... FROM table
  std::string insert;
  std::string update;
  std::string merge;  // staging table → table
  std::string stage;  // staging table name
};

const KindSql& SqlFor(const ResourceKind& kind) {
  static std::mutex mu;
  static std::map<const ResourceKind*, KindSql> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(&kind);
  if (it != cache.end()) return it->second;
  KindSql s;
  s.key_columns = {"name", "parent", "district_id"};
  if (kind.under_enterprise()) s.key_columns.push_back("enterprise_id");
  s.key_columns.push_back("id");
  std::vector<std::string> select_cols = {"name", "version",
                                          "(extract(epoch from create_time) * 1000000)::bigint",
                                          "(extract(epoch from update_time) * 1000000)::bigint"};
  for (const auto* f : kind.columns) {
    s.data_columns.push_back(f->name());
    select_cols.push_back(absl::StrCat(f->name(), "::text"));
  }
  s.select = absl::StrCat("SELECT ", absl::StrJoin(select_cols, ", "), " FROM ", kind.table);
  std::vector<std::string> all = s.key_columns;
  all.insert(all.end(), s.data_columns.begin(), s.data_columns.end());
  std::vector<std::string> placeholders;
  for (size_t i = 1; i <= all.size(); ++i) placeholders.push_back(absl::StrCat("$", i));
  s.insert = absl::StrCat("INSERT INTO ", kind.table, " (", absl::StrJoin(all, ", "), ") VALUES (",
                          absl::StrJoin(placeholders, ", "), ")");
  std::vector<std::string> sets;
  for (size_t i = 0; i < s.data_columns.size(); ++i) {
    sets.push_back(absl::StrCat(s.data_columns[i], " = $", i + 2));
  }
  s.update = absl::StrCat("UPDATE ", kind.table, " SET ", absl::StrJoin(sets, ", "),
                          ", version = version + 1, update_time = now() WHERE name = $1");
  s.stage = absl::StrCat("stage_", kind.table.substr(kind.table.find('.') + 1));
  std::vector<std::string> excluded_sets, old_cols, new_cols;
  for (const std::string& c : s.data_columns) {
    excluded_sets.push_back(absl::StrCat(c, " = EXCLUDED.", c));
    old_cols.push_back(absl::StrCat("t.", c));
    new_cols.push_back(absl::StrCat("EXCLUDED.", c));
  }
  s.merge = absl::StrCat(
      "WITH up AS (INSERT INTO ", kind.table, " AS t (", absl::StrJoin(all, ", "), ") SELECT ",
      absl::StrJoin(all, ", "), " FROM ", s.stage, " ON CONFLICT (name) DO UPDATE SET ",
      absl::StrJoin(excluded_sets, ", "), ", version = t.version + 1, update_time = now() WHERE (",
      absl::StrJoin(old_cols, ", "), ") IS DISTINCT FROM (", absl::StrJoin(new_cols, ", "),
      ") RETURNING (xmax = 0) AS inserted) "
      "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up");
  return cache.emplace(&kind, std::move(s)).first->second;
}

void SetTimestamp(Message* msg, const char* field, int64_t micros) {
  const auto* f = msg->GetDescriptor()->FindFieldByName(field);
  if (f == nullptr) return;
  auto* ts =
      static_cast<google::protobuf::Timestamp*>(msg->GetReflection()->MutableMessage(msg, f));
  ts->set_seconds(micros / 1000000);
  ts->set_nanos(static_cast<int>(micros % 1000000) * 1000);
}

MessagePtr RowToMessage(const ResourceKind& kind, const pqxx::row& row) {
  MessagePtr msg(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(kind.descriptor)->New());
  const auto* r = msg->GetReflection();
  const auto* d = kind.descriptor;
  r->SetString(msg.get(), d->FindFieldByName("name"), row[0].as<std::string>());
  r->SetString(msg.get(), d->FindFieldByName("etag"), row[1].as<std::string>());
  SetTimestamp(msg.get(), "create_time", row[2].as<int64_t>());
  SetTimestamp(msg.get(), "update_time", row[3].as<int64_t>());
  for (size_t i = 0; i < kind.columns.size(); ++i) {
    const pqxx::field& field = row[static_cast<int>(i + 4)];
    if (field.is_null()) continue;
    // Values come from our own columns; a failure here is a schema bug.
    (void)SetFieldFromText(kind.columns[i], field.c_str(), msg.get());
  }
  return msg;
}

void AddKeyParams(const ResourceKind& kind, const ParsedName& n, NullableParams* p) {
  p->Add(n.name);
  if (n.parent.empty()) {
    p->AddNull();
  } else {
    p->Add(n.parent);
  }
  p->Add(n.district_id);
  if (kind.under_enterprise()) p->Add(n.enterprise_id);
  p->Add(n.id);
}

void AddDataParams(const ResourceKind& kind, const Message& msg, NullableParams* p) {
  for (const auto* f : kind.columns) p->Add(FieldText(msg, f));
}

// AppendCopyText appends `text` escaped for COPY's text format.
void AppendCopyText(absl::string_view text, std::string* out) {
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char* escaped = c == '\\'   ? "\\\\"
                          : c == '\t' ? "\\t"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                                      : nullptr;
    if (escaped == nullptr) continue;
    out->append(text.data() + start, i - start);
    out->append(escaped);
    start = i + 1;
  }
  out->append(text.data() + start, text.size() - start);
}

void AppendCopyValue(absl::string_view text, bool first, std::string* out) {
  if (!first) out->push_back('\t');
  AppendCopyText(text, out);
}

// COPYs `rows` into `table` (the kind's table or its staging table): the
// lines are formatted straight into a buffer sent about 1 MiB at a time.
void CopyRows(pqxx::work& tx, const ResourceKind& kind, const std::string& table,
              const std::vector<std::pair<const ParsedName*, const Message*>>& rows) {
  const KindSql& s = SqlFor(kind);
  std::vector<std::string> cols = s.key_columns;
  cols.insert(cols.end(), s.data_columns.begin(), s.data_columns.end());
  CopyWriter copy(tx, table, cols);
  std::string lines, field;
  for (const auto& [name, msg] : rows) {
    const ParsedName& n = *name;
    AppendCopyValue(n.name, true, &lines);
    if (n.parent.empty()) {
      lines.append("\t\\N");
    } else {
      AppendCopyValue(n.parent, false, &lines);
    }
    AppendCopyValue(n.district_id, false, &lines);
    if (kind.under_enterprise()) AppendCopyValue(n.enterprise_id, false, &lines);
    AppendCopyValue(n.id, false, &lines);
    for (const auto* f : kind.columns) {
      field.clear();
      if (AppendFieldText(*msg, f, &field)) {
        AppendCopyValue(field, false, &lines);
      } else {
        lines.append("\t\\N");
      }
    }
    lines.push_back('\n');
    if (lines.size() >= (1u << 20)) {
      copy.WriteLines(lines);
      lines.clear();
    }
  }
  copy.WriteLines(lines);
  copy.Complete();
}

}  // namespace

absl::Status RegistryRepository::Insert(pqxx::work& tx, const ResourceKind& kind,
                                        const ParsedName& name, const Message& msg) {
  NullableParams p;
  AddKeyParams(kind, name, &p);
  AddDataParams(kind, msg, &p);
  Exec(tx, SqlFor(kind).insert, p);
  return absl::OkStatus();
}

absl::StatusOr<MessagePtr> RegistryRepository::Get(pqxx::transaction_base& tx,
                                                   const ResourceKind& kind,
                                                   const std::string& name, bool for_update) {
  pqxx::result r = tx.exec_params(
      absl::StrCat(SqlFor(kind).select, " WHERE name = $1", for_update ? " FOR UPDATE" : ""), name);
  if (r.empty()) return absl::NotFoundError(absl::StrCat(kind.kind, " ", name, " does not exist"));
  return RowToMessage(kind, r[0]);
}

absl::StatusOr<std::vector<MessagePtr>> RegistryRepository::List(pqxx::transaction_base& tx,
                                                                 const ResourceKind& kind,
                                                                 const ListQuery& q) {
  std::string sql = absl::StrCat(SqlFor(kind).select, " WHERE true");
  NullableParams p;
  auto param = [&](std::string v) {
    p.Add(std::move(v));
    return absl::StrCat("$", p.size());
  };
  if (!q.parent.empty()) {
    if (q.parent.find("/-") != std::string::npos) {
      std::string pattern = absl::StrReplaceAll(q.parent, {{"/-/", "/%/"}});
      if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == "/-") {
        pattern = pattern.substr(0, pattern.size() - 1) + "%";
      }
      absl::StrAppend(&sql, " AND parent LIKE ", param(pattern));
    } else {
      absl::StrAppend(&sql, " AND parent = ", param(q.parent));
    }
  }
  if (!q.scope_prefix.empty()) {
    std::string ph = param(q.scope_prefix);
    absl::StrAppend(&sql, " AND (name = ", ph, " OR left(name, length(", ph, ") + 1) = ", ph,
                    " || '/')");
  }
  if (!q.filter.Empty()) absl::StrAppend(&sql, " AND ", q.filter.Sql(param));
  if (!q.after_name.empty()) absl::StrAppend(&sql, " AND name > ", param(q.after_name));
  absl::StrAppend(&sql, " ORDER BY name LIMIT ", q.limit);
  pqxx::result r = Exec(tx, sql, p);
  std::vector<MessagePtr> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(RowToMessage(kind, row));
  return out;
}

absl::Status RegistryRepository::Update(pqxx::work& tx, const ResourceKind& kind,
                                        const Message& msg) {
  NullableParams p;
  p.Add(msg.GetReflection()->GetString(msg, kind.descriptor->FindFieldByName("name")));
  AddDataParams(kind, msg, &p);
  Exec(tx, SqlFor(kind).update, p);
  return absl::OkStatus();
}

absl::Status RegistryRepository::Delete(pqxx::work& tx, const ResourceKind& kind,
                                        const std::string& name) {
  pqxx::result r =
      tx.exec_params(absl::StrCat("DELETE FROM ", kind.table, " WHERE name = $1"), name);
  if (r.affected_rows() == 0) {
    return absl::NotFoundError(absl::StrCat(kind.kind, " ", name, " does not exist"));
  }
  return absl::OkStatus();
}

bool RegistryRepository::Exists(pqxx::transaction_base& tx, const ResourceKind& kind,
                                const std::string& name) {
  return !tx.exec_params(absl::StrCat("SELECT 1 FROM ", kind.table, " WHERE name = $1"), name)
              .empty();
}

std::string RegistryRepository::Dependents(pqxx::transaction_base& tx, const ResourceKind& kind,
                                           const std::string& name) {
  std::vector<std::string> parts;
  for (const ResourceKind* other : RegistryKinds()) {
    std::vector<std::string> columns;
    if (other->parent == &kind) columns.push_back("parent");
    for (const auto& [field, target] : other->references) {
      if (target == &kind) columns.push_back(field);
    }
    for (const std::string& column : columns) {
      int64_t n = tx.exec_params1(absl::StrCat("SELECT count(*) FROM ", other->table, " WHERE ",
                                               column, " = $1"),
                                  name)[0]
                      .as<int64_t>();
      if (n > 0) {
        parts.push_back(absl::StrCat(n, " ", other->kind, column == "parent" ? "" : " (by ",
                                     column == "parent" ? "" : column,
                                     column == "parent" ? "" : ")"));
      }
    }
  }
  return absl::StrJoin(parts, ", ");
}

std::vector<std::string> RegistryRepository::Names(pqxx::transaction_base& tx,
                                                   const ResourceKind& kind,
                                                   const std::string& district_id) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT name FROM ", kind.table, " WHERE district_id = $1"), district_id)) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

std::vector<absl::string_view> StoredRows::Names() const {
  std::vector<absl::string_view> out;
  out.reserve(index_.size());
  for (const auto& [name, row] : index_) out.push_back(name);
  return out;
}

bool StoredRows::Same(absl::string_view name, const Message& msg) const {
  if (!with_data_) return false;
  auto it = index_.find(name);
  if (it == index_.end()) return false;
  const pqxx::row row = result_[it->second];
  std::string text;
  for (size_t i = 0; i < kind_->columns.size(); ++i) {
    const pqxx::field field = row[static_cast<int>(i + 1)];
    text.clear();
    const bool set = AppendFieldText(msg, kind_->columns[i], &text);
    if (set == field.is_null()) return false;
    if (set && absl::string_view(field.c_str(), field.size()) != text) return false;
  }
  return true;
}

StoredRows RegistryRepository::ReadStored(pqxx::transaction_base& tx, const ResourceKind& kind,
                                          const std::string& district_id, bool with_data) {
  std::vector<std::string> cols = {"name"};
  if (with_data) {
    for (const auto* f : kind.columns) cols.push_back(absl::StrCat(f->name(), "::text"));
  }
  StoredRows out;
  out.kind_ = &kind;
  out.with_data_ = with_data;
  out.result_ = tx.exec_params(absl::StrCat("SELECT ", absl::StrJoin(cols, ", "), " FROM ",
                                            kind.table, " WHERE district_id = $1"),
                               district_id);
  out.index_.reserve(out.result_.size());
  for (int i = 0; i < static_cast<int>(out.result_.size()); ++i) {
    const pqxx::field name = out.result_[i][0];
    out.index_.emplace(absl::string_view(name.c_str(), name.size()), i);
  }
  return out;
}

absl::StatusOr<int64_t> RegistryRepository::CopyInsert(
    pqxx::work& tx, const ResourceKind& kind,
    const std::vector<std::pair<const ParsedName*, const Message*>>& rows) {
  if (rows.empty()) return 0;
  CopyRows(tx, kind, kind.table, rows);
  return static_cast<int64_t>(rows.size());
}

absl::StatusOr<UpsertCounts> RegistryRepository::Upsert(
    pqxx::work& tx, const ResourceKind& kind,
    const std::vector<std::pair<const ParsedName*, const Message*>>& rows) {
  UpsertCounts counts;
  if (rows.empty()) return counts;
  const KindSql& s = SqlFor(kind);
  tx.exec0(absl::StrCat("CREATE TEMP TABLE ", s.stage, " (LIKE ", kind.table,
                        " INCLUDING DEFAULTS) ON COMMIT DROP"));
  CopyRows(tx, kind, s.stage, rows);
  pqxx::row r = tx.exec1(s.merge);
  counts.created = r[0].as<int64_t>();
  counts.updated = r[1].as<int64_t>();
  counts.unchanged = static_cast<int64_t>(rows.size()) - counts.created - counts.updated;
  tx.exec0(absl::StrCat("DROP TABLE ", s.stage));
  return counts;
}

absl::Status RegistryRepository::ReadDistrict(
    pqxx::transaction_base& tx, const ResourceKind& kind, const std::string& district_id, int batch,
    const std::function<void(std::vector<MessagePtr>)>& sink) {
  pqxx::result r = tx.exec_params(
      absl::StrCat(SqlFor(kind).select, " WHERE district_id = $1 ORDER BY name"), district_id);
  std::vector<MessagePtr> chunk;
  for (const auto& row : r) {
    chunk.push_back(RowToMessage(kind, row));
    if (static_cast<int>(chunk.size()) >= batch) {
      sink(std::move(chunk));
      chunk.clear();
    }
  }
  if (!chunk.empty()) sink(std::move(chunk));
  return absl::OkStatus();
}

}  // namespace cuofeng
