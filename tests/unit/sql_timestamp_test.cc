// The COPY text of a reading's time, written digit by digit for speed, must
// be what absl's formatter writes for every instant: leap days, the turn of
// the year, before 1970 and every microsecond digit.
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/compliance/ingest.h"

namespace cuofeng {
namespace {

std::string Expected(int64_t us) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", absl::FromUnixMicros(us), absl::UTCTimeZone());
}

TEST(SqlTimestampTest, MatchesTheFormatterEverywhere) {
  // 1900-01-01 to 2100-01-01 in steps that land on every kind of field.
  const int64_t from = -2208988800LL * 1000000, to = 4102444800LL * 1000000;
  const int64_t step = 86400LL * 1000000 * 7 + 3600LL * 1000000 * 5 + 61 * 1000000 + 123457;
  int checked = 0;
  for (int64_t us = from; us < to; us += step, ++checked) {
    ASSERT_EQ(SqlTimestamp(us), Expected(us)) << us;
  }
  EXPECT_GT(checked, 10000);
  for (int64_t us : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{951782400000000} /* 2000-02-29 */,
                     int64_t{1546271999999999} /* 2018-12-31 23:59:59.999999 */}) {
    EXPECT_EQ(SqlTimestamp(us), Expected(us)) << us;
  }
  std::string out = "x\t";
  AppendSqlTimestamp(&out, 1543593600000000);
  EXPECT_EQ(out, "x\t2018-11-30 16:00:00.000000+00");
}

}  // namespace
}  // namespace cuofeng
