#include "services/planning/filing_repository.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "lib/hash/sha256.h"
#include "lib/model/clock.h"
#include "lib/rules/engine.h"

namespace cuofeng {
namespace {

constexpr char kFilingColumns[] =
    "f.list, v.state, f.seq, f.content_sha256, f.entry_count, f.previous_sha256, f.sha256, "
    "f.submitted_by, "
    "extract(epoch from f.submit_time)::bigint AS submit_epoch, f.late, coalesce(f.amends, '') AS "
    "amends, "
    "coalesce(f.reason, '') AS reason, coalesce(a.acknowledged_by, '') AS acknowledged_by, "
    "coalesce(extract(epoch from a.acknowledge_time)::bigint, 0) AS ack_epoch, v.season, "
    "f.district_id";

constexpr char kFilingFrom[] =
    " FROM planning.filing f JOIN planning.list_version v ON v.name = f.list "
    "LEFT JOIN planning.acknowledgement a ON a.list = f.list";

v1::Filing FilingRow(const pqxx::row& r) {
  v1::Filing f;
  f.set_list(r["list"].as<std::string>());
  v1::ListState state;
  if (v1::ListState_Parse(r["state"].as<std::string>(), &state)) f.set_state(state);
  f.set_seq(r["seq"].as<int>());
  f.set_content_sha256(r["content_sha256"].as<std::string>());
  f.set_entry_count(r["entry_count"].as<int>());
  f.set_previous_sha256(r["previous_sha256"].as<std::string>());
  f.set_sha256(r["sha256"].as<std::string>());
  f.set_submitted_by(r["submitted_by"].as<std::string>());
  f.mutable_submit_time()->set_seconds(r["submit_epoch"].as<int64_t>());
  f.set_late(r["late"].as<bool>());
  f.set_amends(r["amends"].as<std::string>());
  f.set_reason(r["reason"].as<std::string>());
  f.set_acknowledged_by(r["acknowledged_by"].as<std::string>());
  if (r["ack_epoch"].as<int64_t>() > 0)
    f.mutable_acknowledge_time()->set_seconds(r["ack_epoch"].as<int64_t>());
  f.set_season(r["season"].as<std::string>());
  return f;
}

}  // namespace

std::string ChainSha256(const std::string& previous, const std::string& list,
                        const std::string& content_sha256, int entry_count) {
  return Sha256Hex(absl::StrCat(previous, "\n", list, "\n", content_sha256, "\n", entry_count));
}

std::string SealRecord(const SealedFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields)
    absl::StrAppend(&out, name, "=", value.size(), ":", value, "\n");
  return out;
}

std::optional<SealedFields> UnsealRecord(absl::string_view record) {
  SealedFields out;
  while (!record.empty()) {
    size_t eq = record.find('=');
    size_t colon = record.find(':', eq == absl::string_view::npos ? 0 : eq);
    if (eq == absl::string_view::npos || colon == absl::string_view::npos) return std::nullopt;
    size_t length = 0;
    if (!absl::SimpleAtoi(record.substr(eq + 1, colon - eq - 1), &length)) return std::nullopt;
    if (colon + 1 + length + 1 > record.size() || record[colon + 1 + length] != '\n')
      return std::nullopt;
    out.emplace_back(std::string(record.substr(0, eq)),
                     std::string(record.substr(colon + 1, length)));
    record.remove_prefix(colon + 1 + length + 1);
  }
  return out;
}

namespace {

// The sealed fields of a filing: its own columns and its list version's
// frozen ones (the summary by its hash).
struct FilingValues {
  std::string district_id, list, content_sha256, previous_sha256, sha256, submitted_by, amends,
      reason, season, list_content_sha256, summary_sha256, list_amends, list_reason;
  int seq = 0, entry_count = 0;
  int64_t submit_micros = 0;
  bool late = false;
};

SealedFields FilingFields(const FilingValues& f) {
  return {{"district_id", f.district_id},
          {"seq", absl::StrCat(f.seq)},
          {"list", f.list},
          {"content_sha256", f.content_sha256},
          {"entry_count", absl::StrCat(f.entry_count)},
          {"previous_sha256", f.previous_sha256},
          {"sha256", f.sha256},
          {"submitted_by", f.submitted_by},
          {"submit_time", absl::StrCat(f.submit_micros)},
          {"late", f.late ? "true" : "false"},
          {"amends", f.amends},
          {"reason", f.reason},
          {"list_version.season", f.season},
          {"list_version.content_sha256", f.list_content_sha256},
          {"list_version.summary", f.summary_sha256},
          {"list_version.amends", f.list_amends},
          {"list_version.amendment_reason", f.list_reason}};
}

SealedFields AckFields(const std::string& list, const std::string& by, int64_t micros,
                       const std::string& filing_sha256) {
  return {{"list", list},
          {"acknowledged_by", by},
          {"acknowledge_time", absl::StrCat(micros)},
          {"filing.sha256", filing_sha256}};
}

// The server's clock, cut to the microseconds PostgreSQL keeps.
int64_t NowMicros() { return absl::ToUnixMicros(Now()); }
std::string MicrosForSql(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

std::string Short(absl::string_view s) {
  return s.size() <= 80 ? std::string(s) : absl::StrCat(s.substr(0, 77), "...");
}

// The first sealed field whose value differs from `now` (by name), or "".
std::string FirstDifference(const SealedFields& sealed, const SealedFields& now,
                            std::string* detail) {
  for (const auto& [name, value] : now) {
    auto it =
        std::find_if(sealed.begin(), sealed.end(), [&](const auto& f) { return f.first == name; });
    if (it == sealed.end()) {
      *detail = absl::StrCat("封存记录中没有 ", name);
      return name;
    }
    if (it->second != value) {
      *detail =
          absl::StrCat(name, " 封存时为 \"", Short(it->second), "\"，现为 \"", Short(value), "\"");
      return name;
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<ListRow> FilingRepository::LockList(pqxx::work& tx, const std::string& name) {
  pqxx::result r = tx.exec_params(
      "SELECT v.name, v.district_id, v.season, coalesce(v.amends, ''), v.content_sha256, v.state, "
      "(SELECT count(*) FROM planning.list_entry e WHERE e.list = v.name) "
      "FROM planning.list_version v WHERE v.name = $1 FOR UPDATE",
      name);
  if (r.empty()) return absl::NotFoundError(absl::StrCat("清单 ", name, " 不存在"));
  ListRow row;
  row.name = r[0][0].as<std::string>();
  row.district_id = r[0][1].as<std::string>();
  row.season = r[0][2].as<std::string>();
  row.amends = r[0][3].as<std::string>();
  row.content_sha256 = r[0][4].as<std::string>();
  v1::ListState_Parse(r[0][5].as<std::string>(), &row.state);
  row.entry_count = r[0][6].as<int>();
  return row;
}

void FilingRepository::SetState(pqxx::work& tx, const std::string& name, v1::ListState state) {
  tx.exec_params0("UPDATE planning.list_version SET state = $2 WHERE name = $1", name,
                  v1::ListState_Name(state));
}

void FilingRepository::MarkAmendment(pqxx::work& tx, const std::string& name,
                                     const std::string& amends, const std::string& reason) {
  tx.exec_params0(
      "UPDATE planning.list_version SET amends = $2, amendment_reason = $3 WHERE name = $1", name,
      amends, reason);
}

std::vector<std::string> FilingRepository::ListsIn(pqxx::transaction_base& tx,
                                                   const std::string& district_id,
                                                   const std::string& season, v1::ListState state) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params("SELECT name FROM planning.list_version WHERE district_id "
                                        "= $1 AND season = $2 AND state = $3 ORDER BY seq",
                                        district_id, season, v1::ListState_Name(state))) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

v1::Filing FilingRepository::AppendFiling(pqxx::work& tx, const ListRow& list,
                                          const std::string& submitted_by, bool late,
                                          const std::string& reason) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('filing/' || $1))", list.district_id);
  pqxx::result last = tx.exec_params(
      "SELECT seq, sha256 FROM planning.filing WHERE district_id = $1 ORDER BY seq DESC LIMIT 1",
      list.district_id);
  FilingValues f;
  f.district_id = list.district_id;
  f.seq = last.empty() ? 1 : last[0][0].as<int>() + 1;
  f.list = list.name;
  f.content_sha256 = list.content_sha256;
  f.entry_count = list.entry_count;
  f.previous_sha256 = last.empty() ? "" : last[0][1].as<std::string>();
  f.sha256 = ChainSha256(f.previous_sha256, list.name, list.content_sha256, list.entry_count);
  f.submitted_by = submitted_by;
  f.submit_micros = NowMicros();
  f.late = late;
  f.amends = list.amends;
  f.reason = reason;
  pqxx::row v = tx.exec_params1(
      "SELECT season, content_sha256, summary, coalesce(amends, ''), "
      "coalesce(amendment_reason, '') FROM planning.list_version WHERE name = $1",
      list.name);
  f.season = v[0].as<std::string>();
  f.list_content_sha256 = v[1].as<std::string>();
  f.summary_sha256 = Sha256Hex(pqxx::binarystring(v[2]).str());
  f.list_amends = v[3].as<std::string>();
  f.list_reason = v[4].as<std::string>();
  const std::string record = SealRecord(FilingFields(f));
  tx.exec_params0(
      "INSERT INTO planning.filing (district_id, seq, list, content_sha256, entry_count, "
      "previous_sha256, sha256, submitted_by, late, amends, reason, submit_time, record, "
      "record_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, nullif($10, ''), "
      "nullif($11, ''), $12::timestamptz, $13, $14)",
      f.district_id, f.seq, f.list, f.content_sha256, f.entry_count, f.previous_sha256, f.sha256,
      f.submitted_by, f.late, f.amends, f.reason, MicrosForSql(f.submit_micros), record,
      Sha256Hex(record));
  return *GetFiling(tx, list.name);
}

void FilingRepository::Acknowledge(pqxx::work& tx, const std::string& list, const std::string& by) {
  const std::string filing_sha256 =
      tx.exec_params1("SELECT sha256 FROM planning.filing WHERE list = $1", list)[0]
          .as<std::string>();
  const int64_t micros = NowMicros();
  const std::string record = SealRecord(AckFields(list, by, micros, filing_sha256));
  tx.exec_params0(
      "INSERT INTO planning.acknowledgement (list, acknowledged_by, acknowledge_time, record, "
      "record_sha256) VALUES ($1, $2, $3::timestamptz, $4, $5)",
      list, by, MicrosForSql(micros), record, Sha256Hex(record));
}

absl::StatusOr<v1::Filing> FilingRepository::GetFiling(pqxx::transaction_base& tx,
                                                       const std::string& list) {
  pqxx::result r = tx.exec_params(
      absl::StrCat("SELECT ", kFilingColumns, kFilingFrom, " WHERE f.list = $1"), list);
  if (r.empty()) return absl::NotFoundError(absl::StrCat("清单 ", list, " 尚未报送"));
  return FilingRow(r[0]);
}

std::vector<v1::Filing> FilingRepository::ListFilings(pqxx::transaction_base& tx,
                                                      const std::string& district_id,
                                                      v1::ListState state,
                                                      const std::string& season_id,
                                                      const std::string& after, int limit) {
  std::string after_district;
  int after_seq = 0;
  std::vector<std::string> parts = absl::StrSplit(after, '/');
  if (parts.size() == 2) {
    after_district = parts[0];
    (void)absl::SimpleAtoi(parts[1], &after_seq);
  }
  pqxx::result r = tx.exec_params(
      absl::StrCat(
          "SELECT ", kFilingColumns, kFilingFrom,
          " WHERE ($1 = '' OR f.district_id = $1) AND ($2 = '' OR v.state = $2) "
          "AND ($3 = '' OR v.season LIKE '%/seasons/' || $3) AND (f.district_id, f.seq) > ($4, $5) "
          "ORDER BY f.district_id, f.seq LIMIT $6"),
      district_id, state == v1::LIST_STATE_UNSPECIFIED ? "" : v1::ListState_Name(state), season_id,
      after_district, after_seq, limit);
  std::vector<v1::Filing> out;
  for (const auto& row : r) out.push_back(FilingRow(row));
  return out;
}

namespace {

constexpr char kMicros[] = "((extract(epoch FROM %s) * 1000000)::bigint)";

// Verification of one district's chain, step by step; the first failure
// found is kept in `out` and stops the walk.
class ChainVerifier {
 public:
  ChainVerifier(pqxx::transaction_base& tx, std::string district_id)
      : tx_(tx), district_id_(std::move(district_id)) {
    out_.set_intact(true);
  }

  v1::VerifyChainResponse Run() {
    const std::string lists = absl::StrCat("districts/", district_id_, "/lists/");
    pqxx::result filings = tx_.exec_params(
        absl::StrCat(
            "SELECT f.district_id, f.seq, f.list, f.content_sha256, f.entry_count, "
            "f.previous_sha256, f.sha256, f.submitted_by, ",
            absl::StrReplaceAll(kMicros, {{"%s", "f.submit_time"}}),
            " AS submit_micros, f.late, coalesce(f.amends, '') AS amends, "
            "coalesce(f.reason, '') AS reason, f.record, f.record_sha256, "
            "coalesce(v.season, '') AS season, coalesce(v.content_sha256, '') AS v_content, "
            "v.summary, coalesce(v.amends, '') AS v_amends, "
            "coalesce(v.amendment_reason, '') AS v_reason, coalesce(v.state, '') AS state, "
            "a.list IS NOT NULL AS acknowledged, coalesce(a.list, '') AS a_list, "
            "coalesce(a.acknowledged_by, '') AS acknowledged_by, "
            "coalesce(",
            absl::StrReplaceAll(kMicros, {{"%s", "a.acknowledge_time"}}),
            ", 0) AS ack_micros, coalesce(a.record, '') AS a_record, "
            "coalesce(a.record_sha256, '') AS a_record_sha256 "
            "FROM planning.filing f LEFT JOIN planning.list_version v ON v.name = f.list "
            "LEFT JOIN planning.acknowledgement a ON a.list = f.list "
            "WHERE f.district_id = $1 OR f.list LIKE $2 ORDER BY f.seq, f.list"),
        district_id_, absl::StrCat(lists, "%"));
    int expected_seq = 1;
    std::string previous;
    for (const auto& f : filings) {
      out_.set_filings_checked(out_.filings_checked() + 1);
      if (!Filing(f, expected_seq, previous)) return out_;
      previous = f["sha256"].as<std::string>();
      ++expected_seq;
    }
    // A filing removed from the end of the chain leaves its list submitted.
    pqxx::result orphans = tx_.exec_params(
        "SELECT v.name, v.state FROM planning.list_version v WHERE v.district_id = $1 "
        "AND v.state <> 'DRAFT' AND NOT EXISTS (SELECT 1 FROM planning.filing f "
        "WHERE f.list = v.name) ORDER BY v.seq LIMIT 1",
        district_id_);
    if (!orphans.empty()) {
      Fail(orphans[0][0].as<std::string>(), "", "filing",
           absl::StrCat("清单状态为 ", orphans[0][1].as<std::string>(),
                        "，但备案链中没有它的备案（被删除或移走）"));
    }
    return out_;
  }

 private:
  void Fail(const std::string& filing, const std::string& entry, const std::string& column,
            const std::string& problem) {
    out_.set_intact(false);
    out_.set_first_bad_filing(filing);
    out_.set_first_bad_entry(entry);
    out_.set_first_bad_column(column);
    out_.set_problem(problem);
  }

  // The list that should hold filing number `seq`: submitted, but with no
  // filing row where the chain expects one.
  std::string MissingList() {
    pqxx::result r = tx_.exec_params(
        "SELECT v.name FROM planning.list_version v WHERE v.district_id = $1 "
        "AND v.state <> 'DRAFT' AND NOT EXISTS (SELECT 1 FROM planning.filing f "
        "WHERE f.list = v.name AND f.district_id = $1) ORDER BY v.seq LIMIT 1",
        district_id_);
    return r.empty() ? "" : r[0][0].as<std::string>();
  }

  bool Filing(const pqxx::row& f, int expected_seq, const std::string& previous) {
    const std::string list = f["list"].as<std::string>();
    const int seq = f["seq"].as<int>();
    // 1. Where it sits: its district, its place in the chain.
    if (f["district_id"].as<std::string>() != district_id_) {
      Fail(list, "", "district_id", "备案的区县被改动");
      return false;
    }
    if (!absl::StartsWith(list, absl::StrCat("districts/", district_id_, "/lists/")) ||
        f["state"].is_null() || f["summary"].is_null()) {
      Fail(list, "", "list", "备案所指的清单不属于本区县");
      return false;
    }
    if (seq != expected_seq) {
      std::string missing = seq > expected_seq ? MissingList() : "";
      Fail(missing.empty() ? list : missing, "", "seq",
           absl::StrCat("备案链中缺少第 ", expected_seq, " 份备案（被删除或重新编号：下一份是第 ",
                        seq, " 份）"));
      return false;
    }
    // 2. The sealed record: its hash, then every value against the row now.
    const std::string record = f["record"].as<std::string>();
    if (record.empty() || Sha256Hex(record) != f["record_sha256"].as<std::string>()) {
      Fail(list, "", record.empty() ? "record" : "record_sha256", "备案的封存记录与其哈希不符");
      return false;
    }
    auto sealed = UnsealRecord(record);
    if (!sealed.has_value()) {
      Fail(list, "", "record", "备案的封存记录无法读取");
      return false;
    }
    FilingValues now;
    now.district_id = f["district_id"].as<std::string>();
    now.seq = seq;
    now.list = list;
    now.content_sha256 = f["content_sha256"].as<std::string>();
    now.entry_count = f["entry_count"].as<int>();
    now.previous_sha256 = f["previous_sha256"].as<std::string>();
    now.sha256 = f["sha256"].as<std::string>();
    now.submitted_by = f["submitted_by"].as<std::string>();
    now.submit_micros = f["submit_micros"].as<int64_t>();
    now.late = f["late"].as<bool>();
    now.amends = f["amends"].as<std::string>();
    now.reason = f["reason"].as<std::string>();
    now.season = f["season"].as<std::string>();
    now.list_content_sha256 = f["v_content"].as<std::string>();
    now.summary_sha256 = Sha256Hex(pqxx::binarystring(f["summary"]).str());
    now.list_amends = f["v_amends"].as<std::string>();
    now.list_reason = f["v_reason"].as<std::string>();
    std::string detail;
    std::string column = FirstDifference(*sealed, FilingFields(now), &detail);
    if (!column.empty()) {
      Fail(list, "", column, absl::StrCat("备案被改动：", detail));
      return false;
    }
    // 3. Its entries, then the list's content hash over them.
    if (!Entries(list, now.entry_count, now.content_sha256)) return false;
    // 4. The link to the previous filing.
    if (now.previous_sha256 != previous) {
      Fail(list, "", "previous_sha256", "备案链与上一份备案对不上");
      return false;
    }
    if (ChainSha256(previous, list, now.content_sha256, now.entry_count) != now.sha256) {
      Fail(list, "", "sha256", "备案链哈希与备案内容不符");
      return false;
    }
    // 5. Its state and the city's acknowledgement.
    return Acknowledgement(f, list, now.sha256);
  }

  bool Entries(const std::string& list, int entry_count, const std::string& content_sha256) {
    std::vector<v1::ListEntry> entries;
    int n = 0;
    for (const auto& e :
         tx_.exec_params("SELECT seq, district_id, enterprise, resource, kind, body, entry_sha256 "
                         "FROM planning.list_entry WHERE list = $1 ORDER BY seq",
                         list)) {
      ++n;
      const int seq = e["seq"].as<int>();
      const std::string name = absl::StrCat(list, "/entries/", seq);
      out_.set_entries_checked(out_.entries_checked() + 1);
      if (seq != n) {
        Fail(list, absl::StrCat(list, "/entries/", n), "seq",
             seq > n ? absl::StrCat("缺少第 ", n, " 条条目（被删除、重新编号或移走）")
                     : absl::StrCat("第 ", seq, " 条条目位置不对"));
        return false;
      }
      if (n > entry_count) {
        Fail(list, name, "seq",
             absl::StrCat("第 ", n, " 条条目不在已备案清单中（备案时有 ", entry_count, " 条）"));
        return false;
      }
      const std::string body = pqxx::binarystring(e["body"]).str();
      if (Sha256Hex(body) != e["entry_sha256"].as<std::string>()) {
        Fail(list, name, "body",
             "条目内容与记录的哈希不符（body 或 entry_sha256 "
             "被改动）");
        return false;
      }
      v1::ListEntry entry;
      if (!entry.ParseFromString(body)) {
        Fail(list, name, "body", "条目已无法读取");
        return false;
      }
      // The columns readers select by must say what the hashed body says.
      const std::pair<const char*, std::string> columns[] = {
          {"district_id", district_id_},
          {"enterprise", entry.enterprise()},
          {"resource", entry.resource()},
          {"kind", v1::EntryKind_Name(entry.kind())}};
      for (const auto& [column, hashed] : columns) {
        if (e[column].as<std::string>() != hashed) {
          Fail(list, name, column,
               absl::StrCat("条目的 ", column, " 为 \"", Short(e[column].as<std::string>()),
                            "\"，但计入哈希的内容为 \"", Short(hashed), "\""));
          return false;
        }
      }
      entries.push_back(std::move(entry));
    }
    if (n < entry_count) {
      Fail(list, absl::StrCat(list, "/entries/", n + 1), "seq",
           absl::StrCat("缺少第 ", n + 1, " 条条目（备案时有 ", entry_count, " 条，现剩 ", n,
                        " 条）"));
      return false;
    }
    if (EntriesSha256(entries) != content_sha256) {
      Fail(list, "", "content_sha256", "清单条目已算不出其内容哈希（条目被调换或重算了哈希）");
      return false;
    }
    return true;
  }

  bool Acknowledgement(const pqxx::row& f, const std::string& list,
                       const std::string& filing_sha256) {
    const std::string state = f["state"].as<std::string>();
    const bool acknowledged = f["acknowledged"].as<bool>();
    if (state != "SUBMITTED" && state != "FILED" && state != "SUPERSEDED") {
      Fail(list, "", "list_version.state", absl::StrCat("清单状态为 ", state, "，但它已报送过"));
      return false;
    }
    if (state == "SUBMITTED" && acknowledged) {
      Fail(list, "", "list_version.state", "清单状态为 SUBMITTED，但市里已确认：状态被改动");
      return false;
    }
    if (state != "SUBMITTED" && !acknowledged) {
      Fail(list, "", "acknowledgement",
           absl::StrCat("清单状态为 ", state,
                        "，但没有确认记录（被删除，或从未"
                        "确认）"));
      return false;
    }
    if (!acknowledged) return true;
    const std::string record = f["a_record"].as<std::string>();
    if (record.empty() || Sha256Hex(record) != f["a_record_sha256"].as<std::string>()) {
      Fail(list, "", record.empty() ? "acknowledgement.record" : "acknowledgement.record_sha256",
           "确认的封存记录与其哈希不符");
      return false;
    }
    auto sealed = UnsealRecord(record);
    if (!sealed.has_value()) {
      Fail(list, "", "acknowledgement.record", "确认记录无法读取");
      return false;
    }
    std::string detail;
    std::string column = FirstDifference(
        *sealed,
        AckFields(f["a_list"].as<std::string>(), f["acknowledged_by"].as<std::string>(),
                  f["ack_micros"].as<int64_t>(), filing_sha256),
        &detail);
    if (!column.empty()) {
      Fail(list, "", absl::StrCat("acknowledgement.", column),
           absl::StrCat("确认记录被改动：", detail));
      return false;
    }
    return true;
  }

  pqxx::transaction_base& tx_;
  const std::string district_id_;
  v1::VerifyChainResponse out_;
};

}  // namespace

v1::VerifyChainResponse FilingRepository::Verify(pqxx::transaction_base& tx,
                                                 const std::string& district_id) {
  return ChainVerifier(tx, district_id).Run();
}

}  // namespace cuofeng
