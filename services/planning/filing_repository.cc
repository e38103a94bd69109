#include "services/planning/filing_repository.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "lib/hash/sha256.h"
#include "lib/model/clock.h"
#include "lib/rules/engine.h"

namespace cuofeng {
namespace {

// The server's clock as a timestamptz literal (microseconds, UTC).
std::string NowForSql() {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", Now(), absl::UTCTimeZone());
}

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

absl::StatusOr<ListRow> FilingRepository::LockList(pqxx::work& tx, const std::string& name) {
  pqxx::result r = tx.exec_params(
      "SELECT v.name, v.district_id, v.season, coalesce(v.amends, ''), v.content_sha256, v.state, "
      "(SELECT count(*) FROM planning.list_entry e WHERE e.list = v.name) "
      "FROM planning.list_version v WHERE v.name = $1 FOR UPDATE",
      name);
  if (r.empty()) return absl::NotFoundError(absl::StrCat("list ", name, " does not exist"));
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
  const int seq = last.empty() ? 1 : last[0][0].as<int>() + 1;
  const std::string previous = last.empty() ? "" : last[0][1].as<std::string>();
  const std::string sha = ChainSha256(previous, list.name, list.content_sha256, list.entry_count);
  tx.exec_params0(
      "INSERT INTO planning.filing (district_id, seq, list, content_sha256, entry_count, "
      "previous_sha256, sha256, "
      "submitted_by, late, amends, reason, submit_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
      "nullif($10, ''), nullif($11, ''), $12::timestamptz)",
      list.district_id, seq, list.name, list.content_sha256, list.entry_count, previous, sha,
      submitted_by, late, list.amends, reason, NowForSql());
  return *GetFiling(tx, list.name);
}

void FilingRepository::Acknowledge(pqxx::work& tx, const std::string& list, const std::string& by) {
  tx.exec_params0(
      "INSERT INTO planning.acknowledgement (list, acknowledged_by, acknowledge_time) "
      "VALUES ($1, $2, $3::timestamptz)",
      list, by, NowForSql());
}

absl::StatusOr<v1::Filing> FilingRepository::GetFiling(pqxx::transaction_base& tx,
                                                       const std::string& list) {
  pqxx::result r = tx.exec_params(
      absl::StrCat("SELECT ", kFilingColumns, kFilingFrom, " WHERE f.list = $1"), list);
  if (r.empty()) return absl::NotFoundError(absl::StrCat("list ", list, " has not been submitted"));
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

v1::VerifyChainResponse FilingRepository::Verify(pqxx::transaction_base& tx,
                                                 const std::string& district_id) {
  v1::VerifyChainResponse out;
  out.set_intact(true);
  std::string previous;
  for (const auto& f : tx.exec_params("SELECT seq, list, content_sha256, entry_count, "
                                      "previous_sha256, sha256 FROM planning.filing "
                                      "WHERE district_id = $1 ORDER BY seq",
                                      district_id)) {
    const std::string list = f[1].as<std::string>();
    const std::string content = f[2].as<std::string>();
    const int count = f[3].as<int>();
    auto fail = [&](const std::string& entry, const std::string& problem) {
      out.set_intact(false);
      out.set_first_bad_filing(list);
      out.set_first_bad_entry(entry);
      out.set_problem(problem);
    };
    out.set_filings_checked(out.filings_checked() + 1);
    // 1. Each entry's bytes against its recorded hash.
    std::vector<v1::ListEntry> entries;
    for (const auto& e : tx.exec_params(
             "SELECT seq, body, entry_sha256 FROM planning.list_entry WHERE list = $1 ORDER BY seq",
             list)) {
      const std::string body = pqxx::binarystring(e[1]).str();
      out.set_entries_checked(out.entries_checked() + 1);
      if (Sha256Hex(body) != e[2].as<std::string>()) {
        fail(absl::StrCat(list, "/entries/", e[0].as<int>()),
             "the entry's content does not match its recorded hash");
        return out;
      }
      v1::ListEntry entry;
      if (!entry.ParseFromString(body)) {
        fail(absl::StrCat(list, "/entries/", e[0].as<int>()), "the entry is no longer readable");
        return out;
      }
      entries.push_back(std::move(entry));
    }
    // 2. The list's content hash, which also catches rows added or removed.
    if (static_cast<int>(entries.size()) != count || EntriesSha256(entries) != content) {
      fail("", absl::StrCat("the list's entries no longer give its content hash (", entries.size(),
                            " entries, filed ", count, ")"));
      return out;
    }
    // 3. The link to the previous filing.
    if (f[4].as<std::string>() != previous ||
        ChainSha256(previous, list, content, count) != f[5].as<std::string>()) {
      fail("", "the filing's chain link does not match the previous filing");
      return out;
    }
    previous = f[5].as<std::string>();
  }
  return out;
}

}  // namespace cuofeng
