#include "tools/cli/output.h"

#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lib/csv/csv.h"
#include "lib/model/labels.h"
#include "lib/model/time_syntax.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/options.h"

namespace cuofeng {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

OutputFormat Format() {
  const std::string& o = Opts().output;
  if (o == "json") return OutputFormat::kJson;
  if (o == "csv") return OutputFormat::kCsv;
  return OutputFormat::kTable;
}

std::string JsonOf(const Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

std::string Thousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

int DisplayWidth(const std::string& s) {
  int width = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    uint32_t cp = c;
    int len = 1;
    if (c >= 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else if (c >= 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xC0) {
      len = 2;
      cp = c & 0x1F;
    }
    for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    i += len;
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                      (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x20000;
    width += wide ? 2 : 1;
  }
  return width;
}

namespace {

std::string TimeCell(const google::protobuf::Timestamp& ts, bool human) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  return human ? ChinaTimeText(t)
               : absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", t, absl::FixedTimeZone(8 * 3600));
}

std::string ScalarCell(const Message& m, const FieldDescriptor* f, int index, bool human) {
  const Reflection* r = m.GetReflection();
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* v = rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f);
      if (v->number() == 0) return "";
      return human ? ChineseLabel(v->name()) : v->name();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool b = rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f);
      return human ? (b ? "是" : "否") : (b ? "true" : "false");
    }
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub = rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f);
      if (f->message_type()->full_name() == "google.protobuf.Timestamp") {
        return TimeCell(static_cast<const google::protobuf::Timestamp&>(sub), human);
      }
      return "";
    }
  }
  return "";
}

// The cell at `path` of `m` ("" when a field on the way is unset).
std::string PathCell(const Message& m, const std::vector<std::string>& path, size_t at,
                     bool human) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(path[at]);
  if (f == nullptr) return "";
  const Reflection* r = m.GetReflection();
  if (f->is_repeated()) {
    std::vector<std::string> cells;
    for (int i = 0; i < r->FieldSize(m, f); ++i) cells.push_back(ScalarCell(m, f, i, human));
    return absl::StrJoin(cells, ",");
  }
  if (f->has_presence() && !r->HasField(m, f)) return "";
  if (at + 1 < path.size() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return PathCell(r->GetMessage(m, f), path, at + 1, human);
  }
  return ScalarCell(m, f, -1, human);
}

const FieldDescriptor* ItemsField(const google::protobuf::Descriptor* d) {
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->is_repeated() && d->field(i)->message_type() != nullptr) return d->field(i);
  }
  return nullptr;
}

std::vector<const Message*> Items(const Message& response) {
  std::vector<const Message*> rows;
  const FieldDescriptor* items = ItemsField(response.GetDescriptor());
  if (items == nullptr) return rows;
  const Reflection* r = response.GetReflection();
  for (int i = 0; i < r->FieldSize(response, items); ++i) {
    rows.push_back(&r->GetRepeatedMessage(response, items, i));
  }
  return rows;
}

}  // namespace

std::string HeaderText(const std::string& field) {
  static const auto* m = new std::map<std::string, std::string>{{"name", "资源名"},
                                                                {"display_name", "名称"},
                                                                {"id", "编号"},
                                                                {"time", "时间"},
                                                                {"principal", "操作者"},
                                                                {"method", "操作"},
                                                                {"resource", "对象"},
                                                                {"outcome", "结果"},
                                                                {"detail", "详情"},
                                                                {"revision", "版本"},
                                                                {"state", "状态"},
                                                                {"status", "状态"},
                                                                {"entry_count", "条目数"},
                                                                {"rule_set", "规则集"},
                                                                {"rule_set_revision", "规则集版本"},
                                                                {"content_sha256", "内容 sha256"},
                                                                {"resource_name", "对象名称"},
                                                                {"kind", "类别"},
                                                                {"type", "类型"},
                                                                {"season", "采暖季措施"},
                                                                {"yellow", "黄色预警"},
                                                                {"orange", "橙色预警"},
                                                                {"red", "红色预警"},
                                                                {"effective_from", "生效时间"},
                                                                {"change", "变化"},
                                                                {"plant", "企业"},
                                                                {"enterprise", "企业"},
                                                                {"summary", "摘要"},
                                                                {"list", "清单"},
                                                                {"late", "逾期"},
                                                                {"seq", "序号"},
                                                                {"amends", "变更对象"},
                                                                {"level", "级别"},
                                                                {"lifted", "已解除"},
                                                                {"districts", "区县"},
                                                                {"start_time", "开始时间"},
                                                                {"end_time", "结束时间"},
                                                                {"document_number", "文号"},
                                                                {"action", "措施"},
                                                                {"percent", "比例(%)"},
                                                                {"window_start", "时段开始"},
                                                                {"window_end", "时段结束"},
                                                                {"title", "标题"},
                                                                {"overridden", "人工设定"},
                                                                {"delivery", "送达情况"},
                                                                {"read", "已读情况"},
                                                                {"city", "城市"},
                                                                {"plate", "车牌号"},
                                                                {"year", "年份"},
                                                                {"tonnes", "排放总量(吨)"},
                                                                {"deadline", "完成时限"},
                                                                {"vehicle", "车辆"},
                                                                {"valid_until", "有效期止"},
                                                                {"industry_category", "行业类别"},
                                                                {"industry_code", "行业代码"},
                                                                {"permit_status", "排污许可证状态"},
                                                                {"performance_grade", "绩效分级"},
                                                                {"kiln_type", "炉窑类型"},
                                                                {"fuel", "燃料"},
                                                                {"dust_control", "除尘工艺"},
                                                                {"desulfurization", "脱硫工艺"},
                                                                {"role", "类型"},
                                                                {"direction", "方向"},
                                                                {"emission_stage", "排放阶段"},
                                                                {"vehicle_class", "车辆类型"},
                                                                {"pollutant", "污染物"},
                                                                {"purpose", "用途"},
                                                                {"scope", "范围"},
                                                                {"username", "用户名"},
                                                                {"sha256", "sha256"}};
  auto it = m->find(field);
  return it == m->end() ? field : it->second;
}

std::string NounText(const std::string& noun) {
  static const auto* m =
      new std::map<std::string, std::string>{{"districts", "个区县"},
                                             {"townships", "个乡镇"},
                                             {"enterprises", "家企业"},
                                             {"lines", "条生产线"},
                                             {"processes", "道工序"},
                                             {"equipment", "台设备"},
                                             {"meters", "块电表"},
                                             {"cameras", "个门禁摄像头"},
                                             {"vehicles", "辆车"},
                                             {"retrofitTasks", "项治理改造任务"},
                                             {"emissionTotals", "条排放总量"},
                                             {"whitelistEntries", "条白名单记录"},
                                             {"monitoringPoints", "个监测点"},
                                             {"productionLedgers", "本生产台账"},
                                             {"findings", "条核查发现"},
                                             {"baselines", "条基准"},
                                             {"notifications", "条通知"},
                                             {"accounts", "个账户"}};
  auto it = m->find(noun);
  return it == m->end() ? noun : it->second;
}

Column Field(const std::string& header, const std::string& path) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  return {header, [parts](const Message& m, bool human) { return PathCell(m, parts, 0, human); }};
}

Column Lookup(const std::string& header, const std::string& path,
              std::function<std::string(const std::string&)> lookup) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  return {header,
          [parts, lookup](const Message& m, bool) { return lookup(PathCell(m, parts, 0, false)); }};
}

void PrintRows(const std::vector<const Message*>& rows, const std::vector<Column>& columns) {
  const bool human = Format() == OutputFormat::kTable;
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> header;
  for (const Column& c : columns) header.push_back(human ? HeaderText(c.header) : c.header);
  cells.push_back(header);
  for (const Message* row : rows) {
    std::vector<std::string> line;
    for (const Column& c : columns) line.push_back(c.cell(*row, human));
    cells.push_back(std::move(line));
  }
  if (!human) {
    for (const auto& line : cells) std::cout << FormatCsvRow(line);
    return;
  }
  std::vector<int> widths(columns.size(), 0);
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(line[i]));
  }
  for (const auto& line : cells) {
    std::string out;
    for (size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size()) out += std::string(widths[i] - DisplayWidth(line[i]) + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::cout << out << "\n";
  }
}

void PrintResource(const Message& m, const std::function<void()>& human) {
  switch (Format()) {
    case OutputFormat::kJson:
      std::cout << JsonOf(m);
      return;
    case OutputFormat::kCsv: {
      std::vector<std::string> header, row;
      const auto* d = m.GetDescriptor();
      for (int i = 0; i < d->field_count(); ++i) {
        const FieldDescriptor* f = d->field(i);
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
            f->message_type()->full_name() != "google.protobuf.Timestamp") {
          continue;
        }
        header.push_back(f->name());
        row.push_back(PathCell(m, {f->name()}, 0, false));
      }
      std::cout << FormatCsvRow(header) << FormatCsvRow(row);
      return;
    }
    case OutputFormat::kTable:
      human();
      return;
  }
}

int PrintList(const Message& prototype, const PageCall& call, const std::vector<Column>& columns,
              const std::string& noun, int default_page_size) {
  std::unique_ptr<Message> merged(prototype.New());
  const FieldDescriptor* items = ItemsField(merged->GetDescriptor());
  const FieldDescriptor* next = merged->GetDescriptor()->FindFieldByName("next_page_token");
  std::string token = Opts().page_token;
  const int page_size = Opts().page_size > 0 ? Opts().page_size : default_page_size;
  int pages = 0;
  do {
    std::unique_ptr<Message> page(prototype.New());
    absl::Status s = call(token, page_size, page.get());
    if (!s.ok()) return Fail(s);
    const Reflection* r = page->GetReflection();
    for (int i = 0; i < r->FieldSize(*page, items); ++i) {
      merged->GetReflection()
          ->AddMessage(merged.get(), items)
          ->CopyFrom(r->GetRepeatedMessage(*page, items, i));
    }
    token = next == nullptr ? "" : r->GetString(*page, next);
    ++pages;
  } while (Opts().all && !token.empty());
  if (next != nullptr) merged->GetReflection()->SetString(merged.get(), next, token);
  const int n = merged->GetReflection()->FieldSize(*merged, items);
  if (Format() == OutputFormat::kJson) {
    std::cout << JsonOf(*merged);
  } else {
    PrintRows(Items(*merged), columns);
  }
  if (!token.empty() && !Opts().quiet) {
    std::cerr << "已显示 " << Thousands(n) << " " << NounText(noun)
              << "，还有更多：--page_token=" << token << " 取下一页，--all 取全部各页\n";
  } else if (!Opts().quiet) {
    std::cerr << (Opts().page_token.empty() ? "共 " : "至末尾共 ") << Thousands(n) << " "
              << NounText(noun) << (pages > 1 ? absl::StrCat("（", pages, " 页）") : "") << "\n";
  }
  return kExitOk;
}

int PrintItems(const Message& response, const std::vector<Column>& columns,
               const std::string& noun) {
  if (Format() == OutputFormat::kJson) {
    std::cout << JsonOf(response);
  } else {
    PrintRows(Items(response), columns);
  }
  if (!Opts().quiet) {
    std::cerr << "共 " << Thousands(static_cast<int64_t>(Items(response).size())) << " "
              << NounText(noun) << "\n";
  }
  return kExitOk;
}

}  // namespace cuofeng
