#include "lib/csv/csv.h"

#include <errno.h>
#include <iconv.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/text/text.h"

namespace cuofeng {

bool IsValidUtf8(absl::string_view s) { return FirstInvalidUtf8(s) == absl::string_view::npos; }

LineDecoder::LineDecoder() = default;

LineDecoder::~LineDecoder() {
  if (cd_ != nullptr) iconv_close(static_cast<iconv_t>(cd_));
}

absl::StatusOr<std::string> LineDecoder::FromGb18030(absl::string_view line) {
  if (cd_ == nullptr) {
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == reinterpret_cast<iconv_t>(-1)) {
      return absl::FailedPreconditionError("this system's iconv cannot decode GB18030");
    }
    cd_ = cd;
  }
  iconv_t cd = static_cast<iconv_t>(cd_);
  iconv(cd, nullptr, nullptr, nullptr, nullptr);  // a fresh start for each line
  std::string out(line.size() * 2 + 16, '\0');
  char* in_ptr = const_cast<char*>(line.data());
  size_t in_left = line.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  while (in_left > 0) {
    size_t r = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    if (r != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      size_t used = out_ptr - out.data();
      out.resize(out.size() * 2);
      out_ptr = out.data() + used;
      out_left = out.size() - used;
      continue;
    }
    const size_t offset = line.size() - in_left;
    bad_offset_ = offset;
    return absl::InvalidArgumentError(
        absl::StrCat("column ", Utf8Chars(line.substr(0, offset)) + 1, ": 字节 ",
                     absl::StrFormat("0x%02X", static_cast<unsigned char>(line[offset])),
                     " 既不是 UTF-8 编码也不是 GB18030 编码"));
  }
  out.resize(out_ptr - out.data());
  return out;
}

absl::StatusOr<std::string> LineDecoder::Decode(absl::string_view line) {
  if (first_) {
    first_ = false;
    if (line.substr(0, 3) == "\xEF\xBB\xBF") {
      line.remove_prefix(3);
      encoding_ = kUtf8;
      bom_ = true;
    }
  }
  const size_t bad = FirstInvalidUtf8(line);
  bool ascii = true;
  for (char c : line) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (encoding_ == kGb18030) {
    if (ascii) return std::string(line);
    return FromGb18030(line);
  }
  if (bad == absl::string_view::npos) {
    if (!ascii) encoding_ = kUtf8;
    return std::string(line);
  }
  if (encoding_ == kUnknown) {
    auto decoded = FromGb18030(line);
    if (decoded.ok()) {
      encoding_ = kGb18030;
      return decoded;
    }
  }
  bad_offset_ = bad;
  return absl::InvalidArgumentError(
      absl::StrCat("column ", Utf8Chars(line.substr(0, bad)) + 1, ": 字节 ",
                   absl::StrFormat("0x%02X", static_cast<unsigned char>(line[bad])),
                   encoding_ == kUtf8 ? (bom_ ? " 不是 UTF-8 编码（文件以 UTF-8 字节顺序标记开头）"
                                              : " 不是 UTF-8 编码（文件前面的行是 UTF-8 编码）")
                                      : " 既不是 UTF-8 编码也不是 GB18030 编码",
                   "；请将文件另存为“CSV UTF-8”"));
}

const char* LineDecoder::encoding() const { return encoding_ == kGb18030 ? "GB18030" : "UTF-8"; }

absl::StatusOr<std::string> DecodeToUtf8(absl::string_view bytes) {
  LineDecoder decoder;
  std::string out;
  out.reserve(bytes.size());
  int64_t line_number = 0;
  while (!bytes.empty() || line_number == 0) {
    ++line_number;
    const size_t nl = bytes.find('\n');
    const absl::string_view line = bytes.substr(0, nl);
    auto decoded = decoder.Decode(line);
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ", ", decoded.status().message()));
    }
    out += *decoded;
    if (nl == absl::string_view::npos) break;
    out.push_back('\n');
    bytes.remove_prefix(nl + 1);
  }
  return out;
}

absl::StatusOr<std::vector<CsvRow>> ParseCsv(absl::string_view text) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string cell;
  int line = 1;
  int column = 1;
  bool in_quotes = false;
  bool after_quote = false;  // a quoted cell just closed
  bool row_has_content = false;
  int quote_line = 0;
  int quote_column = 0;

  auto end_cell = [&] {
    row.cells.push_back(std::move(cell));
    cell.clear();
    after_quote = false;
  };
  auto end_row = [&] {
    end_cell();
    bool blank = row.cells.size() == 1 && row.cells[0].empty() && !row_has_content;
    if (!blank) rows.push_back(std::move(row));
    row = CsvRow();
    row_has_content = false;
  };

  row.line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell.push_back('"');
          ++i;
          ++column;
        } else {
          in_quotes = false;
          after_quote = true;
        }
      } else {
        cell.push_back(c);
        if (c == '\n') {
          ++line;
          column = 0;
        }
      }
      ++column;
      continue;
    }
    if (c == ',') {
      end_cell();
      row_has_content = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
      ++line;
      column = 0;
      row.line = line;
    } else if (c == '"' && cell.empty() && !after_quote) {
      in_quotes = true;
      row_has_content = true;
      quote_line = line;
      quote_column = column;
    } else if (after_quote) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line, ", column ", column,
                       ": 右引号之后还有文字（引号内的引号须写成两个 \"\"）"));
    } else if (c == '"') {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line, ", column ", column,
          ": 未加引号的单元格中有引号（请给整个单元格加引号，并把其中的引号写成两个）"));
    } else {
      cell.push_back(c);
    }
    ++column;
  }
  if (in_quotes) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", quote_line, ", column ", quote_column, ": 此处的引号没有闭合"));
  }
  if (!cell.empty() || !row.cells.empty() || after_quote) end_row();
  return rows;
}

std::string FormatCsvRow(const std::vector<std::string>& cells) {
  std::string out;
  // A record that is one empty cell would be an empty line, which reads as no
  // record at all: it is written as `""`.
  if (cells.size() == 1 && cells[0].empty()) return "\"\"\n";
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out.push_back(',');
    const std::string& c = cells[i];
    bool quote = c.find_first_of(",\"\r\n") != std::string::npos ||
                 (!c.empty() && (c.front() == ' ' || c.back() == ' '));
    if (!quote) {
      out += c;
      continue;
    }
    out.push_back('"');
    for (char ch : c) {
      if (ch == '"') out.push_back('"');
      out.push_back(ch);
    }
    out.push_back('"');
  }
  out.push_back('\n');
  return out;
}

}  // namespace cuofeng
