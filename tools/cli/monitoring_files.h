// Monitoring-data files on the client side: CSV files of meter readings,
// gate passages and ledger rows, streamed to ComplianceService in batches.
// Shared by the cuofeng CLI, the benchmarks and the tests.
//
// readings: meter,time,kind,value          (电表,时间,类型,读数)
// gate:     camera,time,plate,direction,vehicle_class,photo,cargo,tonnage
//           (摄像头,时间,车牌号,方向,车辆类型,照片,货物,吨位)
// ledger:   enterprise,plate,time,direction,vin,engine_number,emission_stage,
//           registration_date,cargo,tonnage,fleet
//           (企业,车牌号,时间,方向,车辆识别代号,发动机号,排放阶段,注册日期,货物,吨位,车队)
// production: ledger,day,output,output_unit,fuel,fuel_unit,raw_material,
//           raw_material_unit (生产台账,日期,产量,产量单位,燃料消耗,燃料单位,原料消耗,
//           原料单位): production ledger days (生产台账), for material balance
// A file ending in .xlsx is read as a workbook: its first sheet, its first
// row the header (line numbers are the rows Excel shows).
// Times are RFC 3339, or "YYYY-MM-DD HH:MM[:SS]" in China time (UTC+8).
// A row the client cannot read is still sent, with its reason, so that the
// server counts it among the rejected: nothing is dropped silently.
#ifndef CUOFENG_TOOLS_CLI_MONITORING_FILES_H_
#define CUOFENG_TOOLS_CLI_MONITORING_FILES_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cuofeng/v1/compliance.grpc.pb.h"

namespace cuofeng {

enum class MonitoringKind { kReadings, kGate, kLedger, kProduction };

// Progress is called with bytes read and bytes in all files.
using Progress = std::function<void(int64_t done, int64_t total)>;

// StreamMonitoringFiles sends `files` (one stream for all of them) and
// returns the server's summary. Times written without an offset are sent as
// written (local_time) and read by the server in `time_zone` ("" for China
// time). Files are UTF-8 (a BOM is fine) or GB18030 (told apart by their
// first line that is not ASCII, and transcoded), with a header row naming
// the columns in English or Chinese, in any order. Every line after the
// header is sent as one row: a line that breaks the file's encoding, has
// more or fewer cells than the header, or is longer than kMaxCsvLineBytes
// is sent as a rejected row with its reason (and never its text), so that
// the server counts it; batches are cut at batch_rows rows or 1 MiB.
absl::StatusOr<v1::IngestSummary> StreamMonitoringFiles(v1::ComplianceService::Stub& stub,
                                                        const std::string& key, MonitoringKind kind,
                                                        const std::vector<std::string>& files,
                                                        const Progress& progress,
                                                        int batch_rows = 20000,
                                                        const std::string& time_zone = "");

// ParseMonitoringTime reads an RFC 3339 time or "YYYY-MM-DD HH:MM[:SS]" in
// China time into Unix microseconds.
bool ParseMonitoringTime(const std::string& text, int64_t* unix_us);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_CLI_MONITORING_FILES_H_
