#include "lib/documents/xlsx_bytes.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cuofeng {

absl::StatusOr<std::string> XlsxBytes(const std::function<absl::Status(lxw_workbook*)>& fill) {
  char dir[] = "/tmp/cuofeng-xlsx.XXXXXX";
  if (mkdtemp(dir) == nullptr) return absl::InternalError("cannot create a temporary folder");
  const std::string path = absl::StrCat(dir, "/document.xlsx");
  lxw_workbook_options options = {};
  options.tmpdir = dir;
  lxw_workbook* wb = workbook_new_opt(path.c_str(), &options);
  if (wb == nullptr) {
    rmdir(dir);
    return absl::InternalError("cannot create the workbook");
  }
  absl::Status filled = fill(wb);
  const lxw_error err = workbook_close(wb);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    bytes = ss.str();
  }
  unlink(path.c_str());
  rmdir(dir);
  if (!filled.ok()) return filled;
  if (err != LXW_NO_ERROR) {
    return absl::InternalError(absl::StrCat("writing the workbook: ", lxw_strerror(err)));
  }
  return bytes;
}

double DisplayWidth(const std::string& text) {
  double w = 0;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = text[i];
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    w += n >= 3 ? 2.0 : 1.1;
    i += n;
  }
  return w;
}

int WrappedLines(const std::string& text, double width) {
  int lines = 0;
  for (absl::string_view part : absl::StrSplit(text, '\n')) {
    lines += std::max(
        1, static_cast<int>(std::ceil(DisplayWidth(std::string(part)) / std::max(1.0, width - 1))));
  }
  return std::max(lines, 1);
}

void PrintSetup(lxw_worksheet* ws, bool a3, int repeat_row, const std::string& footer,
                bool one_page) {
  worksheet_set_landscape(ws);
  worksheet_set_paper(ws, a3 ? 8 : 9);  // 8: A3, 9: A4
  worksheet_fit_to_pages(ws, 1, one_page ? 1 : 0);
  worksheet_set_margins(ws, 0.4, 0.4, 0.6, 0.6);
  if (repeat_row >= 0) worksheet_repeat_rows(ws, repeat_row, repeat_row);
  const std::string f = absl::StrCat("&L&8", footer, "&R&8第 &P 页 共 &N 页");
  worksheet_set_footer(ws, f.c_str());
}

}  // namespace cuofeng
