// Query parameters written as text (lib/db/sql_text.h): an array of names
// must come back element for element whatever the names hold, and a time
// must read as the same instant.
#include "lib/db/sql_text.h"

#include <pqxx/array>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cuofeng {
namespace {

std::vector<std::string> Parse(const std::string& literal) {
  pqxx::array_parser parser(literal.c_str());
  std::vector<std::string> out;
  for (auto [j, value] = parser.get_next(); j != pqxx::array_parser::done;
       std::tie(j, value) = parser.get_next()) {
    if (j == pqxx::array_parser::string_value) out.push_back(value);
  }
  return out;
}

TEST(SqlTextTest, TextArrayKeepsEveryElementWhole) {
  const std::vector<std::string> items = {
      "88888880000001", "a,b", "say \"hi\"", "back\\slash", "", "{x}", "天津市蓟州区 NULL"};
  EXPECT_EQ(Parse(TextArray(items)), items);
  EXPECT_EQ(TextArray({}), "{}");
  EXPECT_EQ(TextArray({"a,b"}), "{\"a,b\"}");
}

TEST(SqlTextTest, IntArray) {
  EXPECT_EQ(IntArray(std::vector<int>{}), "{}");
  EXPECT_EQ(IntArray(std::vector<int>{3, -1, 20}), "{3,-1,20}");
  EXPECT_EQ(IntArray(std::vector<int64_t>{9007199254740993}), "{9007199254740993}");
}

TEST(SqlTextTest, TimestampTextIsUtcWithMicroseconds) {
  EXPECT_EQ(TimestampText(absl::FromUnixMicros(1542211200000001)),
            "2018-11-14T16:00:00.000001+00:00");
  EXPECT_EQ(TimestampText(absl::UnixEpoch()), "1970-01-01T00:00:00.000000+00:00");
}

}  // namespace
}  // namespace cuofeng
