// cuofeng-gen: writes a sample district's registry as the CSV import template.
//   cuofeng-gen --out=DIR [--enterprises=300] [--equipment=1200] [--seed=2018] [--chinese_headers]
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "tools/gen/generator.h"

ABSL_FLAG(std::string, out, "", "folder to write the template files into");
ABSL_FLAG(std::string, district, "120119", "6-digit district code");
ABSL_FLAG(int64_t, enterprises, 300, "number of enterprises");
ABSL_FLAG(int64_t, equipment, 1200, "number of equipment rows");
ABSL_FLAG(uint64_t, seed, 2018, "random seed; the same seed writes the same files");
ABSL_FLAG(bool, chinese_headers, false, "write Chinese column headers with a UTF-8 BOM");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_out).empty()) {
    std::cerr << "usage: cuofeng-gen --out=DIR [--enterprises=N] [--equipment=M] [--seed=S]\n";
    return 2;
  }
  cuofeng::DistrictSpec spec;
  spec.district_id = absl::GetFlag(FLAGS_district);
  spec.enterprises = absl::GetFlag(FLAGS_enterprises);
  spec.equipment = absl::GetFlag(FLAGS_equipment);
  spec.seed = absl::GetFlag(FLAGS_seed);
  spec.chinese_headers = absl::GetFlag(FLAGS_chinese_headers);
  auto counts = cuofeng::GenerateDistrict(spec, absl::GetFlag(FLAGS_out));
  if (!counts.ok()) {
    std::cerr << "cuofeng-gen: " << counts.status().message() << "\n";
    return 1;
  }
  std::cout << "wrote " << counts->rows << " rows: " << counts->enterprises << " enterprises, "
            << counts->lines << " lines, " << counts->processes << " processes, "
            << counts->equipment << " equipment, " << counts->meters << " meters, "
            << counts->cameras << " cameras, " << counts->vehicles << " vehicles, "
            << counts->retrofit_tasks << " retrofit tasks into " << absl::GetFlag(FLAGS_out)
            << "\n";
  return 0;
}
