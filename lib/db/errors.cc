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

}  // namespace

absl::Status TranslateDbError(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return absl::UnavailableError(absl::StrCat("database connection lost: ", e.what()));
  }
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
  if (sql == nullptr) return absl::InternalError(absl::StrCat("database error: ", e.what()));
  const std::string& state = sql->sqlstate();
  std::string message = CleanMessage(sql->what());
  if (state == "23505") return absl::AlreadyExistsError(message);
  if (state == "23503") return absl::FailedPreconditionError(message);
  if (state == "23514" || state == "23502" || state == "22P02" || state == "22007" ||
      state == "22008" || state == "22003") {
    return absl::InvalidArgumentError(message);
  }
  if (state == "40001" || state == "40P01") return absl::AbortedError(message);
  if (state == "57014") return absl::DeadlineExceededError(message);
  if (absl::StartsWith(state, "08")) return absl::UnavailableError(message);
  if (state == "P0001") return absl::FailedPreconditionError(message);  // RAISE in triggers
  return absl::InternalError(absl::StrCat("database error ", state, ": ", message));
}

}  // namespace cuofeng
