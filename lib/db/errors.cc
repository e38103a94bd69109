// The one place where database exceptions become absl::Status.
#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/db/pool.h"

namespace cuofeng {
namespace {

// PostgreSQL's message without the "ERROR:" prefix, with its DETAIL line.
std::string CleanMessage(const std::string& what) {
  std::string message;
  std::string detail;
  for (absl::string_view line : absl::StrSplit(what, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "ERROR:")) {
      message = std::string(absl::StripAsciiWhitespace(line));
    } else if (absl::ConsumePrefix(&line, "DETAIL:")) {
      detail = std::string(absl::StripAsciiWhitespace(line));
    }
  }
  if (message.empty()) message = std::string(absl::StripAsciiWhitespace(what));
  return detail.empty() ? message : absl::StrCat(message, " (", detail, ")");
}

// Bounded cuts a message to what a client's trailer can carry: PostgreSQL
// quotes values, and a value can be 100 KB.
std::string Bounded(std::string message) {
  constexpr size_t kMax = 600;
  if (message.size() <= kMax) return message;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  message.resize(cut);
  return message + "…";
}

}  // namespace

absl::Status StatusForSqlState(const std::string& state, const std::string& what,
                               bool connection_broken) {
  if (connection_broken || absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" ||
      state == "57P03") {
    return absl::UnavailableError(
        absl::StrCat("database connection lost: ", Bounded(CleanMessage(what))));
  }
  std::string message = Bounded(CleanMessage(what));
  if (state == "23505") return absl::AlreadyExistsError(message);
  if (state == "23503") return absl::FailedPreconditionError(message);
  if (state == "23514" || state == "23502" || state == "22P02" || state == "22007" ||
      state == "22008" || state == "22003" || state == "22001" || state == "22021" ||
      state == "54000" || state == "22P05") {
    return absl::InvalidArgumentError(message);
  }
  if (state == "40001" || state == "40P01") return absl::AbortedError(message);
  if (state == "57014") {
    return absl::DeadlineExceededError(
        absl::StrCat("the database statement was cut off at the call's deadline: ", message));
  }
  // Triggers refuse with RAISE: insufficient_privilege for "never allowed"
  // (append-only records), plain RAISE for "not in this state".
  if (state == "42501") return absl::PermissionDeniedError(message);
  if (state == "P0001") return absl::FailedPreconditionError(message);
  if (state == "53300") {
    return absl::UnavailableError(absl::StrCat("PostgreSQL has no free connection: ", message));
  }
  return absl::InternalError(absl::StrCat("database error ", state, ": ", message));
}

absl::Status TranslateDbError(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return StatusForSqlState("", e.what(), /*connection_broken=*/true);
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "the database connection broke while committing; the change may or may not have been "
        "made: repeat the call with the same request_id to find out (",
        Bounded(e.what()), ")"));
  }
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
  if (sql == nullptr)
    return absl::InternalError(absl::StrCat("database error: ", Bounded(e.what())));
  return StatusForSqlState(sql->sqlstate(), sql->what(), false);
}

}  // namespace cuofeng
