#include "lib/documents/registry_workbook.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/documents/xlsx_bytes.h"

namespace cuofeng {
namespace {

// Excel's column letters of a 0-based index.
std::string ColumnLetters(int col) {
  std::string s;
  for (++col; col > 0; col = (col - 1) / 26) s.insert(s.begin(), 'A' + (col - 1) % 26);
  return s;
}

}  // namespace

absl::StatusOr<std::string> RegistryWorkbookXlsx(const std::vector<WorkbookSheet>& sheets) {
  return XlsxBytes([&](lxw_workbook* wb) -> absl::Status {
    lxw_format* header = workbook_add_format(wb);
    format_set_bold(header);
    format_set_bg_color(header, 0xDDEBF7);
    format_set_border(header, LXW_BORDER_THIN);
    lxw_format* text = workbook_add_format(wb);
    format_set_num_format(text, "@");  // text: Excel keeps 0012 and 20.50 as typed
    std::vector<lxw_worksheet*> data;
    for (const WorkbookSheet& s : sheets)
      data.push_back(workbook_add_worksheet(wb, s.name.c_str()));
    lxw_worksheet* choices = workbook_add_worksheet(wb, kRegistryChoicesSheet);
    int choice_col = 0;
    for (size_t i = 0; i < sheets.size(); ++i) {
      const WorkbookSheet& s = sheets[i];
      lxw_worksheet* ws = data[i];
      const int last_row = static_cast<int>(s.rows.size()) + 1000;  // room to add rows
      for (size_t c = 0; c < s.columns.size(); ++c) {
        const WorkbookColumn& col = s.columns[c];
        double width = DisplayWidth(col.header) + 2;
        for (const auto& row : s.rows) {
          if (c < row.size()) width = std::max(width, DisplayWidth(row[c]) + 1);
        }
        worksheet_set_column(ws, c, c, std::min(width, 50.0), text);
        worksheet_write_string(ws, 0, c, col.header.c_str(), header);
        if (col.choices.empty()) continue;
        const std::string letters = ColumnLetters(choice_col);
        worksheet_write_string(choices, 0, choice_col,
                               absl::StrCat(s.name, "·", col.header).c_str(), header);
        for (size_t k = 0; k < col.choices.size(); ++k) {
          worksheet_write_string(choices, k + 1, choice_col, col.choices[k].c_str(), nullptr);
        }
        // libxlsxwriter takes char*; it copies the strings.
        std::string formula = absl::StrCat("=", kRegistryChoicesSheet, "!$", letters, "$2:$",
                                           letters, "$", col.choices.size() + 1);
        std::string title = "选项不在列表中";
        std::string message = absl::StrCat("请从下拉列表中选择", col.header);
        lxw_data_validation dv = {};
        dv.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
        dv.value_formula = formula.data();
        dv.error_type = LXW_VALIDATION_ERROR_TYPE_STOP;
        dv.error_title = title.data();
        dv.error_message = message.data();
        if (lxw_error e = worksheet_data_validation_range(ws, 1, c, last_row, c, &dv);
            e != LXW_NO_ERROR) {
          return absl::InternalError(absl::StrCat("the drop-down list of ", s.name, "·", col.header,
                                                  ": ", lxw_strerror(e)));
        }
        ++choice_col;
      }
      for (size_t r = 0; r < s.rows.size(); ++r) {
        for (size_t c = 0; c < s.rows[r].size(); ++c) {
          if (!s.rows[r][c].empty()) {
            worksheet_write_string(ws, r + 1, c, s.rows[r][c].c_str(), text);
          }
        }
      }
      worksheet_freeze_panes(ws, 1, 0);
      if (!s.columns.empty()) {
        worksheet_autofilter(ws, 0, 0, std::max<int>(1, s.rows.size()), s.columns.size() - 1);
      }
    }
    worksheet_hide(choices);
    if (!data.empty()) worksheet_activate(data.front());
    return absl::OkStatus();
  });
}

}  // namespace cuofeng
