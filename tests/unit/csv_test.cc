#include "lib/csv/csv.h"

#include <iconv.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/status/status_matchers.h"

namespace cuofeng {
namespace {

using ::cuofeng::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  std::string out(utf8.size() * 2, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* o = out.data();
  size_t out_left = out.size();
  iconv(cd, &in, &in_left, &o, &out_left);
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

TEST(CsvTest, PlainRowsWithLineNumbers) {
  auto rows = ParseCsv("a,b,c\n1,2,3\r\n\n4,,6\n");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_THAT((*rows)[0].cells, ElementsAre("a", "b", "c"));
  EXPECT_EQ((*rows)[1].line, 2);
  EXPECT_THAT((*rows)[2].cells, ElementsAre("4", "", "6"));
  EXPECT_EQ((*rows)[2].line, 4);  // the blank line 3 is skipped
}

TEST(CsvTest, QuotesCommasAndEmbeddedNewlines) {
  auto rows = ParseCsv("name,note\n\"天津, 蓟州\",\"说 \"\"好\"\"\"\n\"两\n行\",x\nlast,y");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_THAT((*rows)[1].cells, ElementsAre("天津, 蓟州", "说 \"好\""));
  EXPECT_THAT((*rows)[2].cells, ElementsAre("两\n行", "x"));
  EXPECT_EQ((*rows)[2].line, 3);
  EXPECT_EQ((*rows)[3].line, 5);  // the quoted newline counts as a line
  EXPECT_THAT((*rows)[3].cells, ElementsAre("last", "y"));
}

TEST(CsvTest, EmptyQuotedCellAndTrailingComma) {
  auto rows = ParseCsv("\"\",a,\n");
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT((*rows)[0].cells, ElementsAre("", "a", ""));
}

TEST(CsvTest, UnclosedQuoteNamesWhereItOpened) {
  EXPECT_THAT(ParseCsv("a,b\n1,\"open\n2,3\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2, column 3")));
}

TEST(CsvTest, StrayQuoteAndTextAfterQuote) {
  EXPECT_THAT(ParseCsv("ab\"c,d\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1, column 3")));
  EXPECT_THAT(ParseCsv("\"ab\"c,d\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("右引号之后还有文字")));
}

TEST(CsvTest, Utf8BomIsDropped) {
  auto text = DecodeToUtf8("\xEF\xBB\xBF企业编号,名称\n");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "企业编号,名称\n");
}

TEST(CsvTest, Gb18030IsDecoded) {
  std::string gb = ToGb18030("企业编号,名称\ne1,蓟州区铸造厂\n");
  ASSERT_FALSE(IsValidUtf8(gb));
  auto text = DecodeToUtf8(gb);
  ASSERT_TRUE(text.ok()) << text.status();
  auto rows = ParseCsv(*text);
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT((*rows)[1].cells, ElementsAre("e1", "蓟州区铸造厂"));
}

TEST(CsvTest, Utf8ValidatorRejectsOverlongAndTruncated) {
  EXPECT_TRUE(IsValidUtf8("蓟州 ok"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE8\x93"));      // truncated
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
}

MATCHER_P(IsOkAndHolds, value, "is OK and holds " + ::testing::PrintToString(value)) {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  *result_listener << "holds " << ::testing::PrintToString(*arg);
  return *arg == value;
}

TEST(CsvTest, WrongEncodingIsNamedByLineAndColumn) {
  // UTF-8 throughout, then a stray byte on line 3: not read as GB18030.
  auto text = DecodeToUtf8("企业编号,名称\ne1,蓟州\ne2,ab\xFF\n");
  EXPECT_THAT(text, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("line 3, column 6: 字节 0xFF 不是 UTF-8 编码")));
  EXPECT_THAT(text.status().message(), Not(HasSubstr("offset")));
  // Neither UTF-8 nor GB18030 from the first line on.
  EXPECT_THAT(
      DecodeToUtf8("id,name\ne1,\xFF\xFF\n"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("line 2, column 4: 字节 0xFF 既不是 UTF-8 编码也不是 GB18030 编码")));
}

TEST(CsvTest, LineDecoderKeepsTheFileEncoding) {
  LineDecoder decoder;
  EXPECT_THAT(decoder.Decode("meter,time,kind,value"), IsOkAndHolds("meter,time,kind,value"));
  EXPECT_THAT(decoder.Decode(ToGb18030("电表,时间")), IsOkAndHolds("电表,时间"));
  EXPECT_STREQ(decoder.encoding(), "GB18030");
  // A line that is not GB18030 either is refused alone; the next is read on.
  EXPECT_THAT(decoder.Decode("m1,\xFF"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("column 4")));
  EXPECT_EQ(decoder.bad_offset(), 3u);
  EXPECT_THAT(decoder.Decode(ToGb18030("京A12345")), IsOkAndHolds("京A12345"));

  LineDecoder utf8;
  EXPECT_THAT(utf8.Decode("\xEF\xBB\xBF电表,时间"), IsOkAndHolds("电表,时间"));
  EXPECT_THAT(utf8.Decode(ToGb18030("电表")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("字节顺序标记")));
  EXPECT_THAT(utf8.Decode("ok"), IsOkAndHolds("ok"));
}

TEST(CsvTest, FormatRoundTrips) {
  std::vector<std::string> cells = {"plain",      "with,comma", "quote\"d",
                                    "two\nlines", " padded ",   ""};
  auto rows = ParseCsv(FormatCsvRow(cells));
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].cells, cells);
}

}  // namespace
}  // namespace cuofeng
