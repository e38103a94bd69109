// HJ 212-2017 (污染物在线监控（监测）系统数据传输标准): the packets CEMS analysers
// and data loggers send to the environment platform over TCP. Pure parsing:
// framing across reads, the standard's CRC16, the data segment and the data
// area (CP) of the uploads the verification uses; no sockets, no database.
//
// A packet on the wire:
//   ## + 4 decimal digits (the data segment's length in bytes) + data segment
//   + 4 hex digits (CRC16 of the data segment) + CR LF
// The data segment:
//   QN=20160801085857223;ST=31;CN=2051;PW=123456;MN=88888880000001;Flag=5;
//   CP=&&DataTime=20160801085800;a34013-Avg=21.3,a34013-Flag=N;...&&
#ifndef CUOFENG_LIB_HJ212_PACKET_H_
#define CUOFENG_LIB_HJ212_PACKET_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace cuofeng {
namespace hj212 {

// The command codes (CN) the receiver understands.
enum Command : int {
  kRealTimeData = 2011,     // 实时数据
  kDeviceStatus = 2021,     // 设备运行状态
  kDailyData = 2031,        // 日历史数据
  kMinuteData = 2051,       // 分钟数据
  kHourlyData = 2061,       // 小时数据
  kRequestAnswer = 9011,    // 请求应答
  kExecutionResult = 9012,  // 执行结果
  kNotifyAnswer = 9013,     // 通知应答
  kDataAnswer = 9014,       // 数据应答
};

// IsDataUpload says whether `cn` carries measured values (2011, 2031, 2051, 2061).
bool IsDataUpload(int cn);

// CommandName is the command's Chinese name ("分钟数据"), or "" if unknown.
std::string CommandName(int cn);

// FlagName is a data flag's Chinese meaning: N 正常, F 停运, M 维护, S 手工输入,
// D 故障, C 校准, T 超测上限, B 通讯异常; "" if the flag is not the standard's.
std::string FlagName(absl::string_view flag);

// Crc16 is the standard's CRC (appendix A of HJ 212-2017): register 0xFFFF,
// each byte XORed into the register's high-byte-shifted value, polynomial
// 0xA001 (reflected). It is not CRC-16/MODBUS.
uint16_t Crc16(absl::string_view data);

// Frame wraps a data segment as a packet on the wire (##, length, CRC, CRLF).
std::string Frame(absl::string_view data_segment);

// Packet is a decoded data segment.
struct Packet {
  std::string qn;  // 请求编码 yyyyMMddHHmmssSSS (may be empty)
  std::string st;  // 系统编码 (31 大气环境污染源, 32 地表水...)
  int cn = 0;      // 命令编码
  std::string pw;  // 访问密码
  std::string mn;  // 设备唯一标识
  int flag = 0;    // bit 0: an answer is wanted; bit 1: PNUM/PNO present; bits 2+: version
  int pnum = 0;    // 总包数 (when bit 1 is set)
  int pno = 0;     // 包号
  std::string cp;  // the data area between CP=&& and &&
  bool WantsAnswer() const { return (flag & 1) != 0; }
};

// ParseDataSegment decodes a data segment. INVALID_ARGUMENT names the field
// that is missing or unreadable.
absl::StatusOr<Packet> ParseDataSegment(absl::string_view data);

// PollutantValues are one pollutant's (or parameter's) values in an upload.
struct PollutantValues {
  std::optional<double> rtd;     // 实时值
  std::optional<double> avg;     // 平均值
  std::optional<double> min;     // 最小值
  std::optional<double> max;     // 最大值
  std::optional<double> cou;     // 累计值 (e.g. flow volume over the interval)
  std::optional<double> zs_rtd;  // 折算实时值
  std::optional<double> zs_avg;  // 折算平均值
  std::string flag;              // data flag (N, F, M, S, D, C, T, B); "" when absent
};

// DataArea is the decoded CP of a data upload.
struct DataArea {
  absl::CivilSecond data_time;                    // DataTime, the device's local (China) time
  std::map<std::string, PollutantValues> values;  // by code: a34013, a21026, a00000 ...
};

// ParseDataArea decodes the CP of a data upload (2011, 2031, 2051, 2061).
// INVALID_ARGUMENT names the item that is unreadable.
absl::StatusOr<DataArea> ParseDataArea(absl::string_view cp);

// DataAnswer is the platform's 9014 answer to an upload that asked for one.
std::string DataAnswer(const Packet& upload);

// FrameReader splits a TCP byte stream into packets, across reads. Bytes
// that are not a well-formed packet are reported as rejected with a reason,
// and reading resumes at the next "##": one bad packet never costs the good
// ones after it.
class FrameReader {
 public:
  // The largest data segment accepted (the 4-digit length allows 9999).
  static constexpr size_t kMaxDataLength = 9999;

  struct Item {
    bool ok = false;
    std::string data;     // the data segment (ok)
    std::string reason;   // why the bytes were rejected (!ok), in Chinese
    uint64_t offset = 0;  // where the item began in the stream
    size_t bytes = 0;     // how many stream bytes it covered
  };

  // Feed appends bytes read from the connection.
  void Feed(absl::string_view bytes);
  // Next returns the next packet or rejected run of bytes; nullopt when more
  // bytes are needed.
  std::optional<Item> Next();
  // Pending is how many bytes are held waiting for the rest of a packet.
  size_t Pending() const { return buffer_.size() - start_; }

 private:
  Item Reject(size_t length, std::string reason);
  std::string buffer_;
  size_t start_ = 0;       // first unconsumed byte of buffer_
  uint64_t consumed_ = 0;  // stream offset of buffer_[start_]
};

}  // namespace hj212
}  // namespace cuofeng

#endif  // CUOFENG_LIB_HJ212_PACKET_H_
