#include "lib/log/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cuofeng {
namespace logging {
namespace {

std::atomic<Format> current_format{Format::kText};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kInfo:
      return "INFO";
    case Level::kWarning:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "INFO";
}

// AppendJsonString appends `s` as a JSON string. Bytes >= 0x80 pass through
// (UTF-8 stays readable Chinese); control characters are escaped.
void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// A text value is written bare when it has no space, quote, '=' or control
// character, else quoted with the JSON escapes (so a line stays one line).
void AppendTextValue(std::string* out, absl::string_view s) {
  bool bare = !s.empty();
  for (unsigned char c : s) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) {
      bare = false;
      break;
    }
  }
  if (bare) {
    out->append(s.data(), s.size());
  } else {
    AppendJsonString(out, s);
  }
}

// A message is free text: only line breaks are escaped.
void AppendTextMessage(std::string* out, absl::string_view s) {
  for (char c : s) {
    if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else {
      out->push_back(c);
    }
  }
}

}  // namespace

Field::Field(absl::string_view k, int64_t v) : key(k), value(absl::StrCat(v)), number(true) {}

Field::Field(absl::string_view k, double v) : key(k), number(true) {
  if (std::isfinite(v)) {
    value = absl::StrFormat("%.3f", v);
  } else {
    value = "null";
  }
}

void SetFormat(Format format) { current_format.store(format); }

bool ParseFormat(absl::string_view name, Format* format) {
  std::string lower = absl::AsciiStrToLower(name);
  if (lower == "text") {
    *format = Format::kText;
    return true;
  }
  if (lower == "json") {
    *format = Format::kJson;
    return true;
  }
  return false;
}

std::string FormatLine(Format format, absl::string_view time_text, Level level,
                       absl::string_view message, std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(128 + message.size());
  if (format == Format::kJson) {
    line.append("{\"time\":");
    AppendJsonString(&line, time_text);
    line.append(",\"level\":");
    AppendJsonString(&line, LevelName(level));
    line.append(",\"msg\":");
    AppendJsonString(&line, message);
    for (const Field& f : fields) {
      line.push_back(',');
      AppendJsonString(&line, f.key);
      line.push_back(':');
      if (f.number) {
        line.append(f.value);
      } else {
        AppendJsonString(&line, f.value);
      }
    }
    line.push_back('}');
  } else {
    absl::StrAppend(&line, time_text, " ", LevelName(level), " ");
    AppendTextMessage(&line, message);
    for (const Field& f : fields) {
      absl::StrAppend(&line, " ", f.key, "=");
      if (f.number) {
        line.append(f.value);
      } else {
        AppendTextValue(&line, f.value);
      }
    }
  }
  return line;
}

void Log(Level level, absl::string_view message, std::initializer_list<Field> fields) {
  std::string time_text =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string line = FormatLine(current_format.load(), time_text, level, message, fields);
  line.push_back('\n');
  // One line at a time, in one write(2) unless the kernel takes it in part.
  static std::mutex* mu = new std::mutex;
  std::lock_guard<std::mutex> lock(*mu);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace logging
}  // namespace cuofeng
