#include "lib/text/text.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cuofeng {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// DecodeOne reads the UTF-8 sequence at s[i]: its code point and length, or
// false when the bytes there are not well-formed UTF-8.
bool DecodeOne(absl::string_view s, size_t i, unsigned int* cp, int* len) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  int extra;
  unsigned int v;
  if (c < 0x80) {
    *cp = c;
    *len = 1;
    return true;
  } else if ((c & 0xE0) == 0xC0) {
    extra = 1;
    v = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    extra = 2;
    v = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    extra = 3;
    v = c & 0x07;
  } else {
    return false;
  }
  if (i + extra >= s.size()) return false;  // truncated sequence
  for (int k = 1; k <= extra; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return false;
    v = (v << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  static constexpr unsigned int kMin[] = {0, 0x80, 0x800, 0x10000};
  if (v < kMin[extra] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
  *cp = v;
  *len = extra + 1;
  return true;
}

bool IsControl(unsigned int cp) { return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0); }

std::string Thousands(size_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

void Walk(const Message& msg, const std::string& prefix, std::vector<FieldViolation>* out) {
  const auto* d = msg.GetDescriptor();
  const auto* r = msg.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string path = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(msg, f); ++k) {
          Walk(r->GetRepeatedMessage(msg, f, k), absl::StrCat(path, "[", k, "]"), out);
        }
      } else if (r->HasField(msg, f)) {
        Walk(r->GetMessage(msg, f), path, out);
      }
      continue;
    }
    if (f->type() != FieldDescriptor::TYPE_STRING || f->name() == "request_id") continue;
    const TextRule rule = RuleForField(f->name());
    if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(msg, f); ++k) {
        std::string scratch;
        CheckText(absl::StrCat(path, "[", k, "]"),
                  r->GetRepeatedStringReference(msg, f, k, &scratch), rule, out);
      }
    } else {
      std::string scratch;
      CheckText(path, r->GetStringReference(msg, f, &scratch), rule, out);
    }
  }
}

}  // namespace

TextRule RuleForField(absl::string_view name) {
  if (name == "text") return {kMaxDocumentChars, true};
  if (name == "filter") return {kMaxFilterChars, false};
  static const char* const kFree[] = {"description",    "note",       "comment",  "explanation",
                                      "detail",         "summary",    "document", "other",
                                      "safety_measure", "parse_error"};
  for (const char* f : kFree) {
    if (name == f) return {kMaxFreeTextChars, true};
  }
  if (absl::EndsWith(name, "reason") || absl::EndsWith(name, "_comment") ||
      absl::EndsWith(name, "_note")) {
    return {kMaxFreeTextChars, true};
  }
  return {kMaxLineChars, false};
}

size_t FirstInvalidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    unsigned int cp;
    int len;
    if (!DecodeOne(s, i, &cp, &len)) return i;
    i += len;
  }
  return absl::string_view::npos;
}

size_t Utf8Chars(absl::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) {
    unsigned int cp;
    int len;
    i += DecodeOne(s, i, &cp, &len) ? len : 1;
  }
  return n;
}

std::string TextProblem(absl::string_view value, const TextRule& rule) {
  size_t chars = 0;
  for (size_t i = 0; i < value.size(); ++chars) {
    // Printable ASCII, most of what is checked (names, times, numbers), is
    // one valid character that is no control character.
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c >= 0x20 && c < 0x7F) {
      ++i;
      continue;
    }
    unsigned int cp;
    int len;
    if (!DecodeOne(value, i, &cp, &len)) {
      return absl::StrFormat("不是 UTF-8 编码（第 %d 个字符处的字节 0x%02X）", chars + 1,
                             static_cast<unsigned char>(value[i]));
    }
    if (IsControl(cp) && !(rule.multiline && (cp == '\t' || cp == '\n' || cp == '\r'))) {
      return absl::StrFormat("第 %d 个字符是控制字符（U+%04X）%s", chars + 1, cp,
                             rule.multiline ? "" : "；此项只能写一行");
    }
    i += len;
  }
  if (chars > rule.max_chars) {
    return absl::StrCat("长 ", Thousands(chars), " 个字符，最多 ", Thousands(rule.max_chars),
                        " 个");
  }
  return "";
}

void CheckText(absl::string_view field, absl::string_view value, const TextRule& rule,
               std::vector<FieldViolation>* violations) {
  std::string problem = TextProblem(value, rule);
  if (!problem.empty()) violations->push_back({std::string(field), std::move(problem)});
}

std::vector<FieldViolation> ValidateTextFields(const Message& msg) {
  std::vector<FieldViolation> out;
  Walk(msg, "", &out);
  return out;
}

std::string Printable(absl::string_view s, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  size_t i = 0;
  for (; i < s.size() && chars < max_chars; ++chars) {
    unsigned int cp;
    int len;
    if (!DecodeOne(s, i, &cp, &len)) {
      absl::StrAppendFormat(&out, "\\x%02X", static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (IsControl(cp)) {
      if (cp < 0x100) {
        absl::StrAppendFormat(&out, "\\x%02X", cp);
      } else {
        absl::StrAppendFormat(&out, "\\u%04X", cp);
      }
    } else {
      out.append(s.data() + i, len);
    }
    i += len;
  }
  if (i < s.size()) out += "…";
  return out;
}

std::string Quote(absl::string_view s, size_t max_chars) {
  std::string out = absl::StrCat("\"", Printable(s, max_chars), "\"");
  if (Utf8Chars(s) > max_chars) absl::StrAppend(&out, " (", Thousands(s.size()), " bytes)");
  return out;
}

void LineAndColumn(absl::string_view text, size_t offset, int64_t* line, int64_t* column) {
  if (offset > text.size()) offset = text.size();
  const absl::string_view before = text.substr(0, offset);
  *line = 1;
  size_t start = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    if (before[i] == '\n') {
      ++*line;
      start = i + 1;
    }
  }
  *column = static_cast<int64_t>(Utf8Chars(before.substr(start))) + 1;
}

}  // namespace cuofeng
