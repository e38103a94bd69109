#include "lib/xlsx/registry_sheets.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace cuofeng {

const std::vector<std::pair<std::string, std::string>>& RegistrySheets() {
  static const auto* sheets =
      new std::vector<std::pair<std::string, std::string>>{{"townships", "镇乡"},
                                                           {"enterprises", "企业"},
                                                           {"lines", "生产线"},
                                                           {"processes", "工序"},
                                                           {"equipment", "设备"},
                                                           {"meters", "电表"},
                                                           {"cameras", "摄像头"},
                                                           {"vehicles", "车辆"},
                                                           {"retrofit_tasks", "整改任务"},
                                                           {"emission_totals", "排放总量"},
                                                           {"whitelist_entries", "车辆白名单"},
                                                           {"monitoring_points", "排放口"},
                                                           {"production_ledgers", "生产台账"}};
  return *sheets;
}

std::string RegistrySheetName(const std::string& stem) {
  for (const auto& [s, name] : RegistrySheets()) {
    if (s == stem) return name;
  }
  return "";
}

std::string RegistryStemOfSheet(const std::string& sheet) {
  std::string s(absl::StripAsciiWhitespace(sheet));
  if (absl::EndsWithIgnoreCase(s, ".csv")) s.resize(s.size() - 4);
  const std::string lower = absl::AsciiStrToLower(s);
  for (const auto& [stem, name] : RegistrySheets()) {
    if (lower == stem || s == name) return stem;
  }
  return "";
}

}  // namespace cuofeng
