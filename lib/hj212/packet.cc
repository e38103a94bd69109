#include "lib/hj212/packet.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace cuofeng {
namespace hj212 {
namespace {

// Quote quotes at most 40 bytes of device input in a message.
std::string Quote(absl::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) {
    out += (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
               ? absl::StrFormat("\\x%02x", static_cast<unsigned char>(c))
               : std::string(1, c);
  }
  if (s.size() > 40) absl::StrAppend(&out, "…");
  return absl::StrCat("\"", out, "\"");
}

bool ParseInt(absl::string_view s, int* out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(s, out);
}

absl::StatusOr<absl::CivilSecond> ParseDataTime(absl::string_view s) {
  int y, mo, d, h, mi, sec;
  if (s.size() != 14 || !ParseInt(s.substr(0, 4), &y) || !ParseInt(s.substr(4, 2), &mo) ||
      !ParseInt(s.substr(6, 2), &d) || !ParseInt(s.substr(8, 2), &h) ||
      !ParseInt(s.substr(10, 2), &mi) || !ParseInt(s.substr(12, 2), &sec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("DataTime: ", Quote(s), " is not yyyyMMddHHmmss"));
  }
  absl::CivilSecond t(y, mo, d, h, mi, sec);
  if (t.year() != y || t.month() != mo || t.day() != d || t.hour() != h || t.minute() != mi ||
      t.second() != sec) {
    return absl::InvalidArgumentError(absl::StrCat("DataTime: ", Quote(s), " is not a date"));
  }
  return t;
}

}  // namespace

bool IsDataUpload(int cn) {
  return cn == kRealTimeData || cn == kDailyData || cn == kMinuteData || cn == kHourlyData;
}

std::string CommandName(int cn) {
  switch (cn) {
    case kRealTimeData:
      return "实时数据";
    case kDeviceStatus:
      return "设备运行状态";
    case kDailyData:
      return "日历史数据";
    case kMinuteData:
      return "分钟数据";
    case kHourlyData:
      return "小时数据";
    case kRequestAnswer:
      return "请求应答";
    case kExecutionResult:
      return "执行结果";
    case kNotifyAnswer:
      return "通知应答";
    case kDataAnswer:
      return "数据应答";
  }
  return "";
}

std::string FlagName(absl::string_view flag) {
  if (flag == "N") return "正常";
  if (flag == "F") return "停运";
  if (flag == "M") return "维护";
  if (flag == "S") return "手工输入";
  if (flag == "D") return "故障";
  if (flag == "C") return "校准";
  if (flag == "T") return "超测上限";
  if (flag == "B") return "通讯异常";
  return "";
}

uint16_t Crc16(absl::string_view data) {
  unsigned reg = 0xFFFF;
  for (unsigned char byte : data) {
    reg = (reg >> 8) ^ byte;
    for (int bit = 0; bit < 8; ++bit) {
      const bool carry = (reg & 1) != 0;
      reg >>= 1;
      if (carry) reg ^= 0xA001;
    }
  }
  return static_cast<uint16_t>(reg & 0xFFFF);
}

std::string Frame(absl::string_view data_segment) {
  return absl::StrFormat("##%04d%s%04X\r\n", static_cast<int>(data_segment.size()), data_segment,
                         Crc16(data_segment));
}

absl::StatusOr<Packet> ParseDataSegment(absl::string_view data) {
  Packet p;
  const size_t cp_at = data.find("CP=&&");
  if (cp_at == absl::string_view::npos) {
    return absl::InvalidArgumentError("CP: the data segment has no CP=&&…&&");
  }
  absl::string_view rest = data.substr(cp_at + 5);
  const size_t cp_end = rest.rfind("&&");
  if (cp_end == absl::string_view::npos) {
    return absl::InvalidArgumentError("CP: the data area does not end with &&");
  }
  if (!rest.substr(cp_end + 2).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CP: bytes after the closing &&: ", Quote(rest.substr(cp_end + 2))));
  }
  p.cp = std::string(rest.substr(0, cp_end));
  bool have_st = false, have_cn = false, have_pw = false, have_mn = false, have_flag = false;
  for (absl::string_view field : absl::StrSplit(data.substr(0, cp_at), ';', absl::SkipEmpty())) {
    const size_t eq = field.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("field ", Quote(field), " has no '='"));
    }
    absl::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
    if (key == "QN") {
      p.qn = std::string(value);
    } else if (key == "ST") {
      p.st = std::string(value);
      have_st = true;
    } else if (key == "CN") {
      if (!ParseInt(value, &p.cn)) {
        return absl::InvalidArgumentError(absl::StrCat("CN: ", Quote(value), " is not a number"));
      }
      have_cn = true;
    } else if (key == "PW") {
      p.pw = std::string(value);
      have_pw = true;
    } else if (key == "MN") {
      if (value.empty() || value.size() > 24) {
        return absl::InvalidArgumentError(
            absl::StrCat("MN: ", Quote(value), " must be 1 to 24 characters"));
      }
      p.mn = std::string(value);
      have_mn = true;
    } else if (key == "Flag") {
      if (!ParseInt(value, &p.flag) || p.flag > 255) {
        return absl::InvalidArgumentError(
            absl::StrCat("Flag: ", Quote(value), " is not a number 0–255"));
      }
      have_flag = true;
    } else if (key == "PNUM") {
      if (!ParseInt(value, &p.pnum)) {
        return absl::InvalidArgumentError(absl::StrCat("PNUM: ", Quote(value), " is not a number"));
      }
    } else if (key == "PNO") {
      if (!ParseInt(value, &p.pno)) {
        return absl::InvalidArgumentError(absl::StrCat("PNO: ", Quote(value), " is not a number"));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown field ", Quote(key)));
    }
  }
  if (!have_st) return absl::InvalidArgumentError("ST: missing");
  if (!have_cn) return absl::InvalidArgumentError("CN: missing");
  if (!have_pw) return absl::InvalidArgumentError("PW: missing");
  if (!have_mn) return absl::InvalidArgumentError("MN: missing");
  if (!have_flag) return absl::InvalidArgumentError("Flag: missing");
  if ((p.flag & 2) != 0 && (p.pnum < 1 || p.pno < 1 || p.pno > p.pnum)) {
    return absl::InvalidArgumentError(
        "PNUM/PNO: Flag says the packet is numbered, but PNUM/PNO "
        "are missing or out of range");
  }
  return p;
}

absl::StatusOr<DataArea> ParseDataArea(absl::string_view cp) {
  DataArea area;
  bool have_time = false;
  for (absl::string_view group : absl::StrSplit(cp, ';', absl::SkipEmpty())) {
    for (absl::string_view item : absl::StrSplit(group, ',', absl::SkipEmpty())) {
      const size_t eq = item.find('=');
      if (eq == absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat("CP item ", Quote(item), " has no '='"));
      }
      absl::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
      if (key == "DataTime") {
        auto t = ParseDataTime(value);
        if (!t.ok()) return t.status();
        area.data_time = *t;
        have_time = true;
        continue;
      }
      const size_t dash = key.rfind('-');
      if (dash == absl::string_view::npos || dash == 0)
        continue;  // other parameters (e.g. RtdInterval)
      const std::string code(key.substr(0, dash));
      absl::string_view kind = key.substr(dash + 1);
      PollutantValues& v = area.values[code];
      if (kind == "Flag") {
        if (value.size() != 1) {
          return absl::InvalidArgumentError(
              absl::StrCat(key, ": ", Quote(value), " is not a one-letter data flag"));
        }
        v.flag = std::string(value);
        continue;
      }
      std::optional<double>* slot = nullptr;
      if (kind == "Rtd")
        slot = &v.rtd;
      else if (kind == "Avg")
        slot = &v.avg;
      else if (kind == "Min")
        slot = &v.min;
      else if (kind == "Max")
        slot = &v.max;
      else if (kind == "Cou")
        slot = &v.cou;
      else if (kind == "ZsRtd")
        slot = &v.zs_rtd;
      else if (kind == "ZsAvg")
        slot = &v.zs_avg;
      if (slot == nullptr) continue;  // SampleTime, EFlag, Info … are kept raw only
      double x;
      if (!absl::SimpleAtod(value, &x) || !std::isfinite(x)) {
        return absl::InvalidArgumentError(
            absl::StrCat(key, ": ", Quote(value), " is not a number"));
      }
      *slot = x;
    }
  }
  if (!have_time) return absl::InvalidArgumentError("DataTime: missing from the data area");
  return area;
}

std::string DataAnswer(const Packet& upload) {
  // Flag=4: version 2017 (bits 2+ = 1), no answer wanted back.
  return Frame(absl::StrCat("QN=", upload.qn, ";ST=91;CN=9014;PW=", upload.pw, ";MN=", upload.mn,
                            ";Flag=4;CP=&&&&"));
}

void FrameReader::Feed(absl::string_view bytes) {
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes.data(), bytes.size());
}

FrameReader::Item FrameReader::Reject(size_t length, std::string reason) {
  Item item;
  item.ok = false;
  item.reason = std::move(reason);
  item.offset = consumed_;
  item.bytes = length;
  start_ += length;
  consumed_ += length;
  return item;
}

std::optional<FrameReader::Item> FrameReader::Next() {
  absl::string_view buf(buffer_);
  buf.remove_prefix(start_);
  if (buf.empty()) return std::nullopt;
  // Bytes before a packet's "##" are junk.
  const size_t hash = buf.find("##");
  if (hash != 0) {
    if (hash == absl::string_view::npos) {
      // Keep a final '#' that may begin the next packet.
      const size_t junk = buf.back() == '#' ? buf.size() - 1 : buf.size();
      if (junk == 0) return std::nullopt;
      return Reject(junk,
                    absl::StrCat("不是报文的字节（不以 ## 开头）: ", Quote(buf.substr(0, junk))));
    }
    return Reject(hash,
                  absl::StrCat("不是报文的字节（不以 ## 开头）: ", Quote(buf.substr(0, hash))));
  }
  if (buf.size() < 6) return std::nullopt;
  int length = 0;
  if (!ParseInt(buf.substr(2, 4), &length) || buf.substr(2, 4).size() != 4) {
    return Reject(2, absl::StrCat("数据段长度不是4位十进制数: ", Quote(buf.substr(2, 4))));
  }
  // A CR LF before the declared end: the length is wrong (a data segment
  // holds no CR LF). If another "##" comes first, this packet was cut short
  // and the next one began: reject only up to it.
  const size_t total = 6 + static_cast<size_t>(length) + 4 + 2;
  const size_t crlf = buf.find("\r\n", 6);
  if (crlf != absl::string_view::npos && crlf + 2 < total) {
    const size_t next = buf.find("##", 6);
    if (next != absl::string_view::npos && next < crlf) {
      return Reject(next, absl::StrCat("报文不完整（声明长度 ", length, "，下一个报文已开始）"));
    }
    return Reject(crlf + 2, absl::StrCat("数据段长度 ", length, " 与实际长度 ",
                                         crlf >= 10 ? crlf - 10 : 0, " 不符"));
  }
  if (buf.size() < total) return std::nullopt;
  if (buf.substr(total - 2, 2) != "\r\n") {
    // The packet is longer than declared: it ends at its CR LF or where the
    // next packet begins, whichever comes first.
    const size_t next = buf.find("##", 6);
    const size_t end = std::min(crlf == absl::string_view::npos ? buf.size() : crlf + 2,
                                next == absl::string_view::npos ? buf.size() : next);
    if (end == buf.size() && buf.size() < total + kMaxDataLength) return std::nullopt;
    if (next != absl::string_view::npos && end == next) {
      return Reject(end, absl::StrCat("报文不完整（声明长度 ", length, "，下一个报文已开始）"));
    }
    return Reject(end,
                  absl::StrCat("数据段长度 ", length, " 处没有报文结束符 CR LF（长度与实际不符）"));
  }
  absl::string_view data = buf.substr(6, length);
  absl::string_view crc_text = buf.substr(6 + length, 4);
  int crc = 0;
  bool hex = true;
  for (char c : crc_text) {
    const int d = absl::ascii_isdigit(static_cast<unsigned char>(c)) ? c - '0'
                  : (c >= 'A' && c <= 'F')                           ? c - 'A' + 10
                  : (c >= 'a' && c <= 'f')                           ? c - 'a' + 10
                                                                     : -1;
    if (d < 0) hex = false;
    crc = crc * 16 + (d < 0 ? 0 : d);
  }
  if (!hex) {
    return Reject(total, absl::StrCat("CRC 不是4位十六进制数: ", Quote(crc_text)));
  }
  const uint16_t expected = Crc16(data);
  if (crc != expected) {
    return Reject(total, absl::StrFormat("CRC 校验失败（报文 %04X，计算 %04X）", crc, expected));
  }
  Item item;
  item.ok = true;
  item.data = std::string(data);
  item.offset = consumed_;
  item.bytes = total;
  start_ += total;
  consumed_ += total;
  return item;
}

}  // namespace hj212
}  // namespace cuofeng
