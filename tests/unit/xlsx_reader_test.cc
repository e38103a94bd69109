// lib/xlsx reads back what lib/documents writes: the registry workbook's
// sheets, headers, Chinese choices and exact text cells, and skips nothing
// but empty rows; what is not a workbook is INVALID_ARGUMENT.
#include "lib/xlsx/xlsx_reader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/documents/registry_workbook.h"
#include "lib/xlsx/registry_sheets.h"

namespace cuofeng {
namespace {

using ::testing::ElementsAre;

TEST(XlsxReaderTest, ReadsBackTheRegistryWorkbookCellByCell) {
  WorkbookSheet enterprises;
  enterprises.name = "企业";
  enterprises.columns = {{"编号", {}},
                         {"名称", {}},
                         {"行业类别", {"建材", "铸造", "化工"}},
                         {"稳定达标", {"是", "否"}},
                         {"环评批复日产能", {}}};
  enterprises.rows = {{"e1", "蓟州区铸造厂", "铸造", "是", "20.50"},
                      {"e2", "A&B <公司>", "建材", "", "0012"}};
  WorkbookSheet townships;
  townships.name = "镇乡";
  townships.columns = {{"编号", {}}, {"名称", {}}};
  auto bytes = RegistryWorkbookXlsx({townships, enterprises});
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto sheets = ReadXlsx(*bytes);
  ASSERT_TRUE(sheets.ok()) << sheets.status();
  ASSERT_EQ(sheets->size(), 3u);
  EXPECT_EQ((*sheets)[0].name, "镇乡");
  ASSERT_EQ((*sheets)[0].rows.size(), 1u);  // the header only
  const XlsxSheet& e = (*sheets)[1];
  EXPECT_EQ(e.name, "企业");
  ASSERT_EQ(e.rows.size(), 3u);
  EXPECT_EQ(e.rows[0].line, 1);
  EXPECT_THAT(e.rows[0].cells,
              ElementsAre("编号", "名称", "行业类别", "稳定达标", "环评批复日产能"));
  EXPECT_EQ(e.rows[1].line, 2);
  EXPECT_THAT(e.rows[1].cells, ElementsAre("e1", "蓟州区铸造厂", "铸造", "是", "20.50"));
  // An empty cell in the middle stays in its column; text stays text.
  EXPECT_THAT(e.rows[2].cells, ElementsAre("e2", "A&B <公司>", "建材", "", "0012"));
  // The drop-down lists live on the hidden choices sheet.
  EXPECT_EQ((*sheets)[2].name, kRegistryChoicesSheet);
  EXPECT_THAT((*sheets)[2].rows[1].cells, ElementsAre("建材", "是"));
}

TEST(XlsxReaderTest, WhatIsNotAWorkbookIsInvalidArgument) {
  EXPECT_EQ(ReadXlsx("id,name\n1,x\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadXlsx("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(XlsxReaderTest, SheetNamesStandForTheirTemplateFiles) {
  EXPECT_EQ(RegistryStemOfSheet("企业"), "enterprises");
  EXPECT_EQ(RegistryStemOfSheet("Equipment.csv"), "equipment");
  EXPECT_EQ(RegistryStemOfSheet(" 设备 "), "equipment");
  EXPECT_EQ(RegistryStemOfSheet("Lines"), "lines");
  EXPECT_EQ(RegistryStemOfSheet("设备清单"), "");
  EXPECT_EQ(RegistrySheetName("whitelist_entries"), "车辆白名单");
}

}  // namespace
}  // namespace cuofeng
