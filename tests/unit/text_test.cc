#include "lib/text/text.h"

#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(TextTest, Utf8) {
  EXPECT_EQ(FirstInvalidUtf8("蓟州 ok"), absl::string_view::npos);
  EXPECT_EQ(FirstInvalidUtf8("ab\xC0\xAF"), 2u);        // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("蓟\xE8\x93"), 3u);        // truncated
  EXPECT_EQ(FirstInvalidUtf8("\xED\xA0\x80"), 0u);      // surrogate
  EXPECT_EQ(FirstInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(Utf8Chars("蓟州ab"), 4u);
}

TEST(TextTest, ProblemsNameWhatAndWhere) {
  EXPECT_EQ(TextProblem("蓟州区铸造厂", TextRule{}), "");
  EXPECT_EQ(TextProblem("东\xFF西", TextRule{}), "不是 UTF-8 编码（第 2 个字符处的字节 0xFF）");
  EXPECT_EQ(TextProblem(std::string("东\0西", 7), TextRule{}),
            "第 2 个字符是控制字符（U+0000）；此项只能写一行");
  EXPECT_THAT(TextProblem("a\nb", TextRule{}), HasSubstr("U+000A"));
  EXPECT_EQ(TextProblem("a\nb\tc\r\n", TextRule{100, true}), "");
  EXPECT_THAT(TextProblem(std::string("a\0b", 3), TextRule{100, true}), HasSubstr("U+0000"));
  EXPECT_THAT(TextProblem("\x7F", TextRule{100, true}), HasSubstr("U+007F"));
  EXPECT_THAT(TextProblem("\xC2\x85", TextRule{100, true}), HasSubstr("U+0085"));
  EXPECT_EQ(TextProblem(std::string(300, 'a'), TextRule{}), "");
  EXPECT_EQ(TextProblem(std::string(301, 'a'), TextRule{}), "长 301 个字符，最多 300 个");
  // Characters, not bytes: 300 Chinese characters are 900 bytes and fine.
  std::string zh;
  for (int i = 0; i < 300; ++i) zh += "蓟";
  EXPECT_EQ(TextProblem(zh, TextRule{}), "");
}

TEST(TextTest, RulesByFieldName) {
  EXPECT_EQ(RuleForField("display_name").max_chars, kMaxLineChars);
  EXPECT_FALSE(RuleForField("display_name").multiline);
  EXPECT_TRUE(RuleForField("description").multiline);
  EXPECT_TRUE(RuleForField("amendment_reason").multiline);
  EXPECT_EQ(RuleForField("amendment_reason").max_chars, kMaxFreeTextChars);
  EXPECT_EQ(RuleForField("text").max_chars, kMaxDocumentChars);
  EXPECT_EQ(RuleForField("filter").max_chars, kMaxFilterChars);
}

TEST(TextTest, ValidateTextFieldsWalksNestedMessages) {
  v1::CreateEnterpriseRequest req;
  req.set_parent("districts/jz");
  req.mutable_enterprise()->set_display_name(std::string("东\0西", 7));
  req.mutable_enterprise()->set_uscc(std::string(5000, '9'));
  req.set_request_id(std::string(5000, 'r'));  // the call edge's to judge
  auto v = ValidateTextFields(req);
  ASSERT_THAT(v, SizeIs(2));
  EXPECT_EQ(v[0].field, "enterprise.display_name");
  EXPECT_THAT(v[0].description, HasSubstr("U+0000"));
  EXPECT_EQ(v[1].field, "enterprise.uscc");
  EXPECT_THAT(v[1].description, HasSubstr("5,000 个字符"));

  v1::Enterprise ok;
  ok.set_display_name("蓟州区铸造厂");
  EXPECT_THAT(ValidateTextFields(ok), IsEmpty());
}

TEST(TextTest, QuoteIsBoundedAndPrintable) {
  EXPECT_EQ(Quote("abc"), "\"abc\"");
  EXPECT_EQ(Quote(std::string("a\0\n\xFF", 4)), "\"a\\x00\\n\\xFF\"");
  const std::string big(100000, 'x');
  const std::string q = Quote(big);
  EXPECT_LT(q.size(), 100u);
  EXPECT_THAT(q, HasSubstr("…\" (100,000 bytes)"));
  EXPECT_EQ(FirstInvalidUtf8(Quote("蓟\xE8\x93")), absl::string_view::npos);
  EXPECT_EQ(Printable("蓟州区", 2), "蓟州…");
}

TEST(TextTest, LineAndColumn) {
  int64_t line, column;
  LineAndColumn("ab\n蓟州x", 9, &line, &column);
  EXPECT_EQ(line, 2);
  EXPECT_EQ(column, 3);
}

}  // namespace
}  // namespace cuofeng
