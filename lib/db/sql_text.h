#ifndef CUOFENG_LIB_DB_SQL_TEXT_H_
#define CUOFENG_LIB_DB_SQL_TEXT_H_

// Text forms of values passed as query parameters, shared by the services'
// repositories so each writes them the same way.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cuofeng {

// Appends `item` to a PostgreSQL array literal as one quoted element
// (quotes and backslashes escaped), so any text survives, commas included.
void AppendArrayElement(std::string* out, absl::string_view item);

// A text[] literal of `items` for a query parameter ($1::text[]).
std::string TextArray(const std::vector<std::string>& items);

// An integer array literal ({1,2,3}) for a query parameter ($1::int[]).
template <typename Int>
std::string IntArray(const std::vector<Int>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) absl::StrAppend(&out, i ? "," : "", items[i]);
  return out + "}";
}

// A timestamptz literal in UTC with microseconds, e.g. 2018-11-15T00:00:00.000000+00:00.
std::string TimestampText(absl::Time t);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DB_SQL_TEXT_H_
