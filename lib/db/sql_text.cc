#include "lib/db/sql_text.h"

namespace cuofeng {

void AppendArrayElement(std::string* out, absl::string_view item) {
  out->push_back('"');
  for (char c : item) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendArrayElement(&out, items[i]);
  }
  return out + "}";
}

std::string TimestampText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", t, absl::UTCTimeZone());
}

}  // namespace cuofeng
