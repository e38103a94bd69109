#include "lib/csv/csv.h"

#include <errno.h>
#include <iconv.h>

#include "absl/strings/str_cat.h"

namespace cuofeng {

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int extra;
    unsigned int cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= n) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr unsigned int kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

absl::StatusOr<std::string> DecodeToUtf8(absl::string_view bytes) {
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    bytes.remove_prefix(3);
    if (!IsValidUtf8(bytes)) {
      return absl::InvalidArgumentError("file starts with a UTF-8 BOM but is not valid UTF-8");
    }
    return std::string(bytes);
  }
  if (IsValidUtf8(bytes)) return std::string(bytes);

  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return absl::InternalError("this system's iconv cannot decode GB18030");
  }
  std::string out(bytes.size() * 2 + 16, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
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
    size_t offset = bytes.size() - in_left;
    iconv_close(cd);
    return absl::InvalidArgumentError(
        absl::StrCat("file is neither UTF-8 nor GB18030: undecodable byte at offset ", offset,
                     "; save it as CSV UTF-8 or as CSV from Excel"));
  }
  iconv_close(cd);
  out.resize(out_ptr - out.data());
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
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line, ", column ", column,
          ": text after a closing quote (write \"\" for a quote inside a quoted cell)"));
    } else if (c == '"') {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line, ", column ", column,
          ": a quote inside an unquoted cell (quote the whole cell and double the quote)"));
    } else {
      cell.push_back(c);
    }
    ++column;
  }
  if (in_quotes) {
    return absl::InvalidArgumentError(absl::StrCat("line ", quote_line, ", column ", quote_column,
                                                   ": quote opened here is never closed"));
  }
  if (!cell.empty() || !row.cells.empty() || after_quote) end_row();
  return rows;
}

std::string FormatCsvRow(const std::vector<std::string>& cells) {
  std::string out;
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
