#include "services/planning/repository.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/db/pool.h"
#include "lib/hash/sha256.h"

namespace cuofeng {
namespace {

std::string Bytes(const pqxx::field& f) { return pqxx::binarystring(f).str(); }

// AppendCopyText appends `value` escaped for COPY's text format.
void AppendCopyText(absl::string_view value, std::string* out) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        out->push_back(c);
    }
  }
}

v1::RuleSet RuleSetRow(const pqxx::row& row) {
  v1::RuleSet rs;
  rs.ParseFromString(Bytes(row["body"]));
  rs.set_name(absl::StrCat("ruleSets/", row["id"].as<std::string>()));
  rs.set_revision(row["revision"].as<int>());
  rs.set_sha256(row["sha256"].as<std::string>());
  rs.mutable_create_time()->set_seconds(row["epoch"].as<int64_t>());
  return rs;
}

constexpr char kRuleSetColumns[] =
    "id, revision, sha256, body, extract(epoch from create_time)::bigint AS epoch";

}  // namespace

absl::StatusOr<v1::RuleSet> PlanningRepository::StoreRuleSet(pqxx::work& tx, const std::string& id,
                                                             const std::string& text,
                                                             v1::RuleSet rule_set,
                                                             const std::string& created_by) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('rule_set/' || $1))", id);
  pqxx::result same =
      tx.exec_params(absl::StrCat("SELECT ", kRuleSetColumns,
                                  " FROM planning.rule_set WHERE id = $1 AND sha256 = $2"),
                     id, rule_set.sha256());
  if (!same.empty()) return RuleSetRow(same[0]);
  int revision =
      tx.exec_params1("SELECT coalesce(max(revision), 0) + 1 FROM planning.rule_set WHERE id = $1",
                      id)[0]
          .as<int>();
  pqxx::result r = tx.exec_params(
      absl::StrCat("INSERT INTO planning.rule_set (id, revision, sha256, text, body, created_by) "
                   "VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
                   kRuleSetColumns),
      id, revision, rule_set.sha256(), text, pqxx::binarystring(rule_set.SerializeAsString()),
      created_by);
  return RuleSetRow(r[0]);
}

absl::StatusOr<v1::RuleSet> PlanningRepository::GetRuleSet(pqxx::transaction_base& tx,
                                                           const std::string& id, int revision) {
  pqxx::result r =
      revision > 0
          ? tx.exec_params(absl::StrCat("SELECT ", kRuleSetColumns,
                                        " FROM planning.rule_set WHERE id = $1 AND revision = $2"),
                           id, revision)
          : tx.exec_params(
                absl::StrCat(
                    "SELECT ", kRuleSetColumns,
                    " FROM planning.rule_set WHERE id = $1 ORDER BY revision DESC LIMIT 1"),
                id);
  if (r.empty()) {
    return absl::NotFoundError(absl::StrCat("规则集 ruleSets/", id,
                                            revision > 0 ? absl::StrCat("@", revision) : "",
                                            " 不存在；请用 cuofeng ruleset load 载入"));
  }
  return RuleSetRow(r[0]);
}

std::vector<v1::RuleSet> PlanningRepository::ListRuleSets(pqxx::transaction_base& tx,
                                                          const std::string& after, int limit) {
  std::vector<v1::RuleSet> out;
  for (const auto& row : tx.exec_params(
           absl::StrCat(
               "SELECT DISTINCT ON (id) ", kRuleSetColumns,
               " FROM planning.rule_set WHERE id > $1 ORDER BY id, revision DESC LIMIT $2"),
           after, limit)) {
    out.push_back(RuleSetRow(row));
  }
  return out;
}

absl::Status PlanningRepository::InsertSeason(pqxx::work& tx, const std::string& district_id,
                                              const std::string& id, const v1::Season& season) {
  pqxx::result r = tx.exec_params(
      "INSERT INTO planning.season (name, district_id, id, body) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (name) DO NOTHING RETURNING name",
      season.name(), district_id, id, pqxx::binarystring(season.SerializeAsString()));
  if (r.empty()) return absl::AlreadyExistsError(absl::StrCat("采暖季 ", season.name(), " 已存在"));
  return absl::OkStatus();
}

absl::StatusOr<v1::Season> PlanningRepository::GetSeason(pqxx::transaction_base& tx,
                                                         const std::string& name, bool for_update) {
  pqxx::result r =
      tx.exec_params(absl::StrCat("SELECT body, version FROM planning.season WHERE name = $1",
                                  for_update ? " FOR UPDATE" : ""),
                     name);
  if (r.empty()) return absl::NotFoundError(absl::StrCat("采暖季 ", name, " 不存在"));
  v1::Season s;
  s.ParseFromString(Bytes(r[0][0]));
  s.set_etag(r[0][1].as<std::string>());
  return s;
}

absl::Status PlanningRepository::UpdateSeason(pqxx::work& tx, const v1::Season& season) {
  v1::Season body = season;
  body.clear_etag();
  tx.exec_params0(
      "UPDATE planning.season SET body = $2, version = version + 1, update_time = now() WHERE name "
      "= $1",
      season.name(), pqxx::binarystring(body.SerializeAsString()));
  return absl::OkStatus();
}

std::vector<v1::Season> PlanningRepository::Seasons(pqxx::transaction_base& tx,
                                                    const std::string& district_id) {
  std::vector<v1::Season> out;
  for (const auto& row : tx.exec_params(
           "SELECT body, version FROM planning.season WHERE district_id = $1 ORDER BY name",
           district_id)) {
    v1::Season s;
    s.ParseFromString(Bytes(row[0]));
    s.set_etag(row[1].as<std::string>());
    out.push_back(std::move(s));
  }
  return out;
}

int PlanningRepository::NextListSeq(pqxx::work& tx, const std::string& district_id) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('list/' || $1))", district_id);
  return tx
      .exec_params1(
          "SELECT coalesce(max(seq), 0) + 1 FROM planning.list_version WHERE district_id = $1",
          district_id)[0]
      .as<int>();
}

absl::Status PlanningRepository::InsertList(pqxx::work& tx, const std::string& district_id, int seq,
                                            const v1::ListVersion& list,
                                            const GeneratedList& generated,
                                            const std::string& created_by) {
  size_t at = list.rule_set().find('@');
  std::string rule_set_id = list.rule_set().substr(
      std::string("ruleSets/").size(),
      at == std::string::npos ? std::string::npos : at - std::string("ruleSets/").size());
  tx.exec_params0(
      "INSERT INTO planning.list_version (name, district_id, seq, season, rule_set_id, "
      "rule_set_revision, "
      "state, content_sha256, summary, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
      "$10)",
      list.name(), district_id, seq, list.season(), rule_set_id, list.rule_set_revision(),
      v1::ListState_Name(list.state()), list.content_sha256(),
      pqxx::binarystring(list.SerializeAsString()), created_by);
  CopyWriter copy(
      tx, "planning.list_entry",
      {"list", "seq", "district_id", "enterprise", "resource", "kind", "body", "entry_sha256"});
  // Rows go out in batches of about 4 MiB of COPY text, each entry made,
  // serialized and hashed as it is written.
  constexpr size_t kBatchBytes = 4 << 20;
  std::string batch, body;
  int n = 0;
  const std::string prefix = absl::StrCat(list.name(), "/entries/");
  ForEachEntry(generated, [&](v1::ListEntry* e) {
    e->set_name(absl::StrCat(prefix, ++n));
    body.clear();
    e->SerializeToString(&body);
    AppendCopyText(list.name(), &batch);
    absl::StrAppend(&batch, "\t", n, "\t");
    AppendCopyText(district_id, &batch);
    batch.push_back('\t');
    AppendCopyText(e->enterprise(), &batch);
    batch.push_back('\t');
    AppendCopyText(e->resource(), &batch);
    absl::StrAppend(&batch, "\t", v1::EntryKind_Name(e->kind()), "\t\\\\x",
                    absl::BytesToHexString(body), "\t", Sha256Hex(body), "\n");
    if (batch.size() >= kBatchBytes) {
      copy.WriteLines(batch);
      batch.clear();
    }
  });
  copy.WriteLines(batch);
  copy.Complete();
  return absl::OkStatus();
}

absl::StatusOr<v1::ListVersion> PlanningRepository::GetList(pqxx::transaction_base& tx,
                                                            const std::string& name) {
  pqxx::result r = tx.exec_params(
      "SELECT summary, state, extract(epoch from create_time)::bigint FROM planning.list_version "
      "WHERE name = $1",
      name);
  if (r.empty()) return absl::NotFoundError(absl::StrCat("清单 ", name, " 不存在"));
  v1::ListVersion l;
  l.ParseFromString(Bytes(r[0][0]));
  v1::ListState state;
  if (v1::ListState_Parse(r[0][1].as<std::string>(), &state)) l.set_state(state);
  l.mutable_create_time()->set_seconds(r[0][2].as<int64_t>());
  return l;
}

std::vector<v1::ListVersion> PlanningRepository::ListLists(pqxx::transaction_base& tx,
                                                           const std::string& district_id,
                                                           int after_seq, int limit) {
  std::vector<v1::ListVersion> out;
  for (const auto& row : tx.exec_params("SELECT summary, state, extract(epoch from "
                                        "create_time)::bigint, seq FROM planning.list_version "
                                        "WHERE district_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                                        district_id, after_seq, limit)) {
    v1::ListVersion l;
    l.ParseFromString(Bytes(row[0]));
    v1::ListState state;
    if (v1::ListState_Parse(row[1].as<std::string>(), &state)) l.set_state(state);
    l.mutable_create_time()->set_seconds(row[2].as<int64_t>());
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<v1::ListEntry> PlanningRepository::Entries(pqxx::transaction_base& tx,
                                                       const std::string& list,
                                                       const std::string& enterprise, int after_seq,
                                                       int limit) {
  std::vector<v1::ListEntry> out;
  pqxx::result r = enterprise.empty() ? tx.exec_params(
                                            "SELECT body FROM planning.list_entry WHERE list = $1 "
                                            "AND seq > $2 ORDER BY seq LIMIT $3",
                                            list, after_seq, limit)
                                      : tx.exec_params(
                                            "SELECT body FROM planning.list_entry WHERE list = $1 "
                                            "AND enterprise = $2 AND seq > $3 "
                                            "ORDER BY seq LIMIT $4",
                                            list, enterprise, after_seq, limit);
  out.reserve(r.size());
  for (const auto& row : r) {
    v1::ListEntry e;
    e.ParseFromString(Bytes(row[0]));
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<v1::ListEntry> PlanningRepository::Entry(pqxx::transaction_base& tx,
                                                        const std::string& list, int seq) {
  pqxx::result r = tx.exec_params(
      "SELECT body FROM planning.list_entry WHERE list = $1 AND seq = $2", list, seq);
  if (r.empty())
    return absl::NotFoundError(absl::StrCat("清单条目 ", list, "/entries/", seq, " 不存在"));
  v1::ListEntry e;
  e.ParseFromString(Bytes(r[0][0]));
  return e;
}

}  // namespace cuofeng
