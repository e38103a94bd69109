// Structured, timestamped log lines on stderr, one line per event, as text
// (`2026-11-30T01:02:03.456Z INFO call method=/x.Y/Z status=OK`) or as one
// JSON object per line (`--log_format=json`). Safe from any thread; each
// line is written with a single write(2), so lines never interleave.
#ifndef CUOFENG_LIB_LOG_LOG_H_
#define CUOFENG_LIB_LOG_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/strings/string_view.h"

namespace cuofeng {
namespace logging {

enum class Format { kText, kJson };
enum class Level { kInfo, kWarning, kError };

// SetFormat chooses the format of every later line (text by default).
void SetFormat(Format format);

// ParseFormat reads "text" or "json"; false for anything else.
bool ParseFormat(absl::string_view name, Format* format);

// Field is one key=value pair of a line. Numbers stay numbers in JSON.
struct Field {
  Field(absl::string_view k, absl::string_view v) : key(k), value(v) {}
  Field(absl::string_view k, const std::string& v) : key(k), value(v) {}
  Field(absl::string_view k, const char* v) : key(k), value(v) {}
  Field(absl::string_view k, int64_t v);
  Field(absl::string_view k, int v) : Field(k, static_cast<int64_t>(v)) {}
  Field(absl::string_view k, double v);

  std::string key;
  std::string value;
  bool number = false;
};

// Log writes one line: time (UTC, milliseconds), level, message, fields.
void Log(Level level, absl::string_view message, std::initializer_list<Field> fields = {});

inline void Info(absl::string_view message, std::initializer_list<Field> fields = {}) {
  Log(Level::kInfo, message, fields);
}
inline void Warning(absl::string_view message, std::initializer_list<Field> fields = {}) {
  Log(Level::kWarning, message, fields);
}
inline void Error(absl::string_view message, std::initializer_list<Field> fields = {}) {
  Log(Level::kError, message, fields);
}

// FormatLine is the line Log would write at `time_text`, without the
// newline (exposed for tests).
std::string FormatLine(Format format, absl::string_view time_text, Level level,
                       absl::string_view message, std::initializer_list<Field> fields);

}  // namespace logging
}  // namespace cuofeng

#endif  // CUOFENG_LIB_LOG_LOG_H_
