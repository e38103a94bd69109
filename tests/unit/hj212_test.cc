#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "lib/hj212/packet.h"

namespace cuofeng {
namespace hj212 {
namespace {

// The example packet of HJ 212-2017 (6.3.2): length 0101, CRC 1C80.
constexpr char kStandardSegment[] =
    "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&";

std::string Minute(const std::string& mn, const std::string& time, const std::string& values,
                   int flag = 5) {
  return "QN=" + time + "000;ST=31;CN=2051;PW=123456;MN=" + mn + ";Flag=" + std::to_string(flag) +
         ";CP=&&DataTime=" + time + ";" + values + "&&";
}

std::vector<FrameReader::Item> Drain(FrameReader& reader) {
  std::vector<FrameReader::Item> out;
  while (auto item = reader.Next()) out.push_back(*item);
  return out;
}

TEST(Hj212, CrcAndFrameMatchTheStandardsExample) {
  EXPECT_EQ(Crc16(kStandardSegment), 0x1C80);
  EXPECT_EQ(Frame(kStandardSegment), std::string("##0101") + kStandardSegment + "1C80\r\n");
}

TEST(Hj212, ParsesTheDataSegment) {
  auto p = ParseDataSegment(kStandardSegment);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->qn, "20160801085857223");
  EXPECT_EQ(p->st, "32");
  EXPECT_EQ(p->cn, 1062);
  EXPECT_EQ(p->pw, "100000");
  EXPECT_EQ(p->mn, "010000A8900016F000169DC0");
  EXPECT_EQ(p->flag, 5);
  EXPECT_TRUE(p->WantsAnswer());
  EXPECT_EQ(p->cp, "RtdInterval=30");
}

TEST(Hj212, RefusesSegmentsNamingTheField) {
  struct Case {
    std::string segment, field;
  };
  for (const Case& c : std::vector<Case>{
           {"QN=1;ST=31;CN=20x1;PW=1;MN=A;Flag=4;CP=&&&&", "CN"},
           {"QN=1;ST=31;PW=1;MN=A;Flag=4;CP=&&&&", "CN: missing"},
           {"QN=1;ST=31;CN=2051;PW=1;Flag=4;CP=&&&&", "MN: missing"},
           {"QN=1;ST=31;CN=2051;PW=1;MN=A;CP=&&&&", "Flag: missing"},
           {"QN=1;ST=31;CN=2051;PW=1;MN=A;Flag=4", "CP"},
           {"QN=1;ST=31;CN=2051;PW=1;MN=A;Flag=4;CP=&&x=1", "CP"},
           {"QN=1;ST=31;CN=2051;PW=1;MN=A;Flag=6;CP=&&&&", "PNUM/PNO"},
           {"QN=1;ST=31;CN=2051;PW=1;MN=A;Flag=4;XX=1;CP=&&&&", "XX"},
       }) {
    auto p = ParseDataSegment(c.segment);
    EXPECT_FALSE(p.ok()) << c.segment;
    EXPECT_NE(std::string(p.status().message()).find(c.field), std::string::npos)
        << c.segment << " → " << p.status();
  }
}

TEST(Hj212, DecodesEveryUploadCommandsDataArea) {
  for (int cn : {kRealTimeData, kMinuteData, kHourlyData, kDailyData}) {
    EXPECT_TRUE(IsDataUpload(cn));
    EXPECT_FALSE(CommandName(cn).empty());
  }
  EXPECT_FALSE(IsDataUpload(kDataAnswer));
  auto area = ParseDataArea(
      "DataTime=20181202100000;a34013-Avg=12.5,a34013-Min=10,a34013-Max=15.25,a34013-Flag=N;"
      "a21026-Rtd=35.1,a21026-ZsRtd=40.2,a21026-Flag=D;a00000-Cou=12000.5,a00000-Flag=F");
  ASSERT_TRUE(area.ok()) << area.status();
  EXPECT_EQ(area->data_time, absl::CivilSecond(2018, 12, 2, 10, 0, 0));
  ASSERT_EQ(area->values.size(), 3u);
  EXPECT_EQ(*area->values["a34013"].avg, 12.5);
  EXPECT_EQ(*area->values["a34013"].max, 15.25);
  EXPECT_EQ(area->values["a34013"].flag, "N");
  EXPECT_EQ(*area->values["a21026"].zs_rtd, 40.2);
  EXPECT_EQ(area->values["a21026"].flag, "D");
  EXPECT_EQ(*area->values["a00000"].cou, 12000.5);
  EXPECT_FALSE(area->values["a00000"].avg.has_value());
}

TEST(Hj212, EveryStandardFlagHasAChineseName) {
  for (const char* f : {"N", "F", "M", "S", "D", "C", "T", "B"}) {
    EXPECT_FALSE(FlagName(f).empty()) << f;
  }
  EXPECT_TRUE(FlagName("Z").empty());
}

TEST(Hj212, RefusesDataAreasNamingTheItem) {
  EXPECT_NE(std::string(ParseDataArea("a34013-Avg=1").status().message()).find("DataTime"),
            std::string::npos);
  EXPECT_NE(
      std::string(ParseDataArea("DataTime=20181302100000").status().message()).find("DataTime"),
      std::string::npos);
  EXPECT_NE(
      std::string(ParseDataArea("DataTime=20181202100000;a34013-Avg=1.2.3").status().message())
          .find("a34013-Avg"),
      std::string::npos);
  EXPECT_NE(std::string(ParseDataArea("DataTime=20181202100000;a34013-Flag=NN").status().message())
                .find("a34013-Flag"),
            std::string::npos);
  EXPECT_FALSE(ParseDataArea("DataTime=20181202100000;a34013-Avg=nan").ok());
}

TEST(Hj212, TheDataAnswerIsAFramed9014) {
  auto p = ParseDataSegment(Minute("MN1", "20181202100000", "a34013-Avg=1,a34013-Flag=N"));
  ASSERT_TRUE(p.ok());
  const std::string answer = DataAnswer(*p);
  FrameReader reader;
  reader.Feed(answer);
  auto items = Drain(reader);
  ASSERT_EQ(items.size(), 1u);
  ASSERT_TRUE(items[0].ok) << items[0].reason;
  auto back = ParseDataSegment(items[0].data);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->cn, kDataAnswer);
  EXPECT_EQ(back->qn, "20181202100000000");
  EXPECT_EQ(back->mn, "MN1");
  EXPECT_FALSE(back->WantsAnswer());
}

TEST(Hj212, FramesSplitAcrossReadsAtEveryByte) {
  const std::string a = Frame(Minute("MN1", "20181202100000", "a34013-Avg=1,a34013-Flag=N"));
  const std::string b = Frame(Minute("MN1", "20181202100100", "a34013-Avg=2,a34013-Flag=N"));
  const std::string stream = a + b;
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameReader reader;
    std::vector<FrameReader::Item> items;
    reader.Feed(stream.substr(0, cut));
    for (auto& i : Drain(reader)) items.push_back(i);
    reader.Feed(stream.substr(cut));
    for (auto& i : Drain(reader)) items.push_back(i);
    ASSERT_EQ(items.size(), 2u) << "cut at " << cut;
    EXPECT_TRUE(items[0].ok && items[1].ok) << "cut at " << cut;
    EXPECT_EQ(items[1].offset, a.size());
    EXPECT_EQ(reader.Pending(), 0u);
  }
}

TEST(Hj212, OneByteAtATime) {
  const std::string stream = Frame(kStandardSegment) + Frame(kStandardSegment);
  FrameReader reader;
  int ok = 0;
  for (char c : stream) {
    reader.Feed(std::string(1, c));
    for (auto& i : Drain(reader)) ok += i.ok ? 1 : 0;
  }
  EXPECT_EQ(ok, 2);
}

TEST(Hj212, BadPacketsNeverCostTheGoodOnesAfterThem) {
  const std::string good = Frame(Minute("MN1", "20181202100000", "a34013-Avg=1,a34013-Flag=N"));
  std::string bad_crc = good;
  bad_crc[bad_crc.size() - 3] = bad_crc[bad_crc.size() - 3] == '0' ? '1' : '0';
  std::string long_length = good;  // declares one byte more than it has
  long_length.replace(2, 4, absl::StrFormat("%04d", std::stoi(good.substr(2, 4)) + 1));
  std::string short_length = good;  // declares one byte less than it has
  short_length.replace(2, 4, absl::StrFormat("%04d", std::stoi(good.substr(2, 4)) - 1));
  const std::string cut_short = good.substr(0, good.size() / 2);  // no CR LF at all
  struct Case {
    std::string name, bad, reason;
  };
  for (const Case& c : std::vector<Case>{
           {"bad CRC", bad_crc, "CRC"},
           {"length too long", long_length, "长度"},
           {"length too short", short_length, "长度"},
           {"cut short", cut_short, "不完整"},
           {"junk", "hello\r\n", "##"},
           {"bad length digits", "##00x1abc\r\n", "长度"},
           {"bad CRC digits", "##0003abcZZZZ\r\n", "CRC"},
       }) {
    FrameReader reader;
    reader.Feed(good + c.bad + good + good);
    auto items = Drain(reader);
    int ok = 0, rejected = 0;
    bool reason_seen = false;
    for (const auto& i : items) {
      if (i.ok) {
        ++ok;
      } else {
        ++rejected;
        if (i.reason.find(c.reason) != std::string::npos) reason_seen = true;
      }
    }
    EXPECT_EQ(ok, 3) << c.name;
    EXPECT_GE(rejected, 1) << c.name;
    EXPECT_TRUE(reason_seen) << c.name;
    // Every byte is accounted for: packets and rejected runs cover the stream.
    size_t covered = 0;
    for (const auto& i : items) covered += i.bytes;
    EXPECT_EQ(covered + reader.Pending(), good.size() * 3 + c.bad.size()) << c.name;
  }
}

TEST(Hj212, PendingBytesAreBounded) {
  FrameReader reader;
  reader.Feed("##9999");
  for (int i = 0; i < 100; ++i) {
    reader.Feed(std::string(1000, 'x'));
    Drain(reader);
  }
  EXPECT_LE(reader.Pending(), 2 * FrameReader::kMaxDataLength + 16);
}

}  // namespace
}  // namespace hj212
}  // namespace cuofeng
