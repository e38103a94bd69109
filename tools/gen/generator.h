// The sample-district generator: a registry modelled on the seed's district
// (Jizhou, Tianjin), deterministic from a seed, at any scale, written as the
// bureau's CSV import template.
#ifndef CUOFENG_TOOLS_GEN_GENERATOR_H_
#define CUOFENG_TOOLS_GEN_GENERATOR_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "services/registry/resources.h"

namespace cuofeng {

struct DistrictSpec {
  std::string district_id = "120119";  // 蓟州区
  int64_t enterprises = 300;
  int64_t equipment = 1200;  // spread over the enterprises, at least one each
  uint64_t seed = 2018;
  bool chinese_headers = false;  // 中文表头, as the bureau's own spreadsheets
};

struct GeneratedCounts {
  int64_t enterprises = 0, lines = 0, processes = 0, equipment = 0, meters = 0, cameras = 0,
          vehicles = 0, retrofit_tasks = 0, townships = 0, whitelist_entries = 0, rows = 0;
};

// GenerateDistrict writes townships.csv, enterprises.csv, ... into `dir`.
absl::StatusOr<GeneratedCounts> GenerateDistrict(const DistrictSpec& spec, const std::string& dir);

// GenerateDistrictTo hands every generated resource, with its kind, to
// `sink` (the CSV writer above is one such sink; benchmarks build snapshots).
GeneratedCounts GenerateDistrictTo(
    const DistrictSpec& spec,
    const std::function<void(const ResourceKind&, const google::protobuf::Message&)>& sink);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_GEN_GENERATOR_H_
