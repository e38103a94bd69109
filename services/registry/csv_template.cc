#include "services/registry/csv_template.h"

#include <cmath>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/model/labels.h"
#include "lib/text/text.h"
#include "services/registry/row_codec.h"

namespace cuofeng {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Chinese header names (the bureau's spreadsheets use these).
const std::map<std::string, std::string>& ChineseHeaders() {
  static const auto* m =
      new std::map<std::string, std::string>{{"id", "编号"},
                                             {"enterprise_id", "企业编号"},
                                             {"line_id", "生产线编号"},
                                             {"process_id", "工序编号"},
                                             {"equipment_id", "设备编号"},
                                             {"township_id", "镇乡编号"},
                                             {"display_name", "名称"},
                                             {"city", "城市"},
                                             {"uscc", "统一社会信用代码"},
                                             {"industry_code", "行业代码"},
                                             {"industry_category", "行业类别"},
                                             {"restricted_class", "限制类"},
                                             {"overcapacity", "产能过剩行业"},
                                             {"permit_status", "排污许可证状态"},
                                             {"permit_number", "排污许可证编号"},
                                             {"permit_compliant", "符合排污许可要求"},
                                             {"stably_meets_standards", "稳定达标"},
                                             {"performance_grade", "绩效分级"},
                                             {"supplies_heating", "承担供暖"},
                                             {"coprocesses_municipal_waste", "协同处置城市垃圾"},
                                             {"coprocesses_hazardous_waste", "协同处置危险废物"},
                                             {"livelihood_cap_percent", "民生保障负荷上限(%)"},
                                             {"bulk_transport", "大宗物料运输"},
                                             {"approved_capacity_daily", "环评批复日产能"},
                                             {"permitted_capacity_daily", "排污许可日产能"},
                                             {"last_year_output_daily", "上年日均产量"},
                                             {"output_unit", "产量单位"},
                                             {"responsible_person", "责任人"},
                                             {"contact_phone", "联系电话"},
                                             {"longitude", "经度"},
                                             {"latitude", "纬度"},
                                             {"product", "产品"},
                                             {"capacity_daily", "日产能"},
                                             {"capacity_unit", "产能单位"},
                                             {"quick_safe_stop", "可快速安全停产"},
                                             {"type", "设备类型"},
                                             {"kiln_type", "炉窑类型"},
                                             {"fuel", "燃料"},
                                             {"rated_capacity", "额定能力"},
                                             {"pm_concentration", "颗粒物浓度(mg/m3)"},
                                             {"so2_concentration", "二氧化硫浓度(mg/m3)"},
                                             {"nox_concentration", "氮氧化物浓度(mg/m3)"},
                                             {"voc_concentration", "VOCs浓度(mg/m3)"},
                                             {"pm_annual", "颗粒物年排放量(t/a)"},
                                             {"so2_annual", "二氧化硫年排放量(t/a)"},
                                             {"nox_annual", "氮氧化物年排放量(t/a)"},
                                             {"voc_annual", "VOCs年排放量(t/a)"},
                                             {"stack_height_m", "排气筒高度(m)"},
                                             {"cems_installed", "安装在线监测"},
                                             {"cems_transmission_rate", "数据传输有效率(%)"},
                                             {"on_kiln_list", "列入炉窑管理清单"},
                                             {"kiln_found_date", "炉窑发现日期"},
                                             {"dust_control", "除尘工艺"},
                                             {"desulfurization", "脱硫工艺"},
                                             {"control_equipment", "治污设施"},
                                             {"role", "电表类型"},
                                             {"serial_number", "表号"},
                                             {"interval_minutes", "采集间隔(分钟)"},
                                             {"rated_kw", "额定功率(kW)"},
                                             {"gate", "门岗"},
                                             {"direction", "方向"},
                                             {"installed_date", "安装日期"},
                                             {"plate", "车牌号"},
                                             {"vin", "车辆识别代号"},
                                             {"registration_date", "注册日期"},
                                             {"emission_stage", "排放阶段"},
                                             {"vehicle_class", "车辆类型"},
                                             {"fleet", "车队"},
                                             {"engine_number", "发动机号"},
                                             {"kind", "任务类型"},
                                             {"description", "任务内容"},
                                             {"deadline", "完成时限"},
                                             {"completed_date", "完成日期"},
                                             {"seed_task", "方案任务序号"},
                                             {"year", "年份"},
                                             {"pollutant", "污染物"},
                                             {"tonnes", "排放总量(吨)"},
                                             {"vehicle_id", "车辆编号"},
                                             {"purpose", "用途"},
                                             {"valid_from", "有效期起"},
                                             {"valid_until", "有效期止"},
                                             {"document", "批准文件"},
                                             {"mn", "设备唯一标识MN"},
                                             {"pm_limit", "颗粒物排放限值(mg/m3)"},
                                             {"so2_limit", "二氧化硫排放限值(mg/m3)"},
                                             {"nox_limit", "氮氧化物排放限值(mg/m3)"},
                                             {"access_password", "访问密码"},
                                             {"normal_daily_output", "正常日产量"},
                                             {"fuel_unit", "燃料单位"},
                                             {"raw_material", "原料"},
                                             {"raw_material_unit", "原料单位"}};
  return *m;
}

std::string Zh(const std::string& header) {
  auto it = ChineseHeaders().find(header);
  return it == ChineseHeaders().end() ? header : it->second;
}

std::vector<TemplateColumn> BuildColumns(const ResourceKind& kind) {
  using Role = TemplateColumn::Role;
  std::vector<TemplateColumn> cols;
  std::vector<const ResourceKind*> ancestors;
  for (const ResourceKind* k = kind.parent; k != nullptr && k->parent != nullptr; k = k->parent) {
    ancestors.insert(ancestors.begin(), k);
  }
  for (const ResourceKind* a : ancestors) {
    std::string h = a->file == "enterprises" ? "enterprise_id"
                    : a->file == "lines"     ? "line_id"
                                             : "process_id";
    cols.push_back({Role::kAncestorId, h, Zh(h), nullptr, a, true});
  }
  cols.push_back({Role::kId, "id", Zh("id"), nullptr, nullptr, true});
  for (const FieldDescriptor* f : kind.columns) {
    bool required = false;
    for (const auto& r : kind.required) required = required || r == f->name();
    auto ref = kind.references.find(f->name());
    if (ref != kind.references.end()) {
      std::string h = ref->first == "township"     ? "township_id"
                      : ref->first == "enterprise" ? "enterprise_id"
                      : ref->first == "line"       ? "line_id"
                      : ref->first == "vehicle"    ? "vehicle_id"
                                                   : "equipment_id";
      cols.push_back({Role::kReference, h, Zh(h), f, ref->second, required});
    } else {
      cols.push_back({Role::kField, f->name(), Zh(f->name()), f, nullptr, required});
    }
  }
  return cols;
}

}  // namespace

const std::vector<TemplateColumn>& TemplateColumns(const ResourceKind& kind) {
  static const auto* all = [] {
    auto* m = new std::map<const ResourceKind*, std::vector<TemplateColumn>>;
    for (const ResourceKind* k : RegistryKinds()) (*m)[k] = BuildColumns(*k);
    return m;
  }();
  return all->at(&kind);
}

absl::Status ParseCell(const FieldDescriptor* f, const std::string& raw, Message* msg) {
  std::string cell(absl::StripAsciiWhitespace(raw));
  if (cell.empty()) return absl::OkStatus();
  const auto* r = msg->GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(msg, f, cell);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_BOOL: {
      std::string v = absl::AsciiStrToLower(cell);
      if (v == "true" || v == "1" || v == "yes" || v == "y" || v == "是" || v == "有" || v == "√") {
        r->SetBool(msg, f, true);
      } else if (v == "false" || v == "0" || v == "no" || v == "n" || v == "否" || v == "无" ||
                 v == "×") {
        r->SetBool(msg, f, false);
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(Quote(cell), " 不是“是”或“否”（请填 是/否 或 true/false）"));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      if (!absl::SimpleAtod(cell, &v) || !std::isfinite(v)) {
        return absl::InvalidArgumentError(absl::StrCat(Quote(cell), " 不是数值"));
      }
      r->SetDouble(msg, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(cell, &v)) {
        return absl::InvalidArgumentError(absl::StrCat(Quote(cell), " 不是整数"));
      }
      r->SetInt32(msg, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = f->enum_type();
      std::string upper = absl::AsciiStrToUpper(cell);
      const auto* ev = e->FindValueByName(upper);
      if (ev == nullptr) {
        for (const auto& [value, labels] : EnumValueLabels()) {
          for (const auto& label : labels) {
            // Labels match as written; ASCII ones (B, D, VOCs) in any case.
            if ((label == cell || absl::AsciiStrToUpper(label) == upper) &&
                e->FindValueByName(value) != nullptr) {
              ev = e->FindValueByName(value);
            }
          }
        }
      }
      if (ev == nullptr || ev->number() == 0) {
        std::vector<std::string> choices;
        for (int i = 1; i < e->value_count(); ++i) {
          std::string c = e->value(i)->name();
          auto it = EnumValueLabels().find(c);
          if (it != EnumValueLabels().end()) absl::StrAppend(&c, " ", it->second.front());
          choices.push_back(c);
        }
        return absl::InvalidArgumentError(absl::StrCat(Quote(cell), " 不是有效的 ", e->name(),
                                                       "；请从以下选择：",
                                                       absl::StrJoin(choices, ", ")));
      }
      r->SetEnumValue(msg, f, ev->number());
      return absl::OkStatus();
    }
    default:
      return absl::InternalError(absl::StrCat("field ", f->name(), " cannot be imported"));
  }
}

std::string FormatCell(const FieldDescriptor* f, const Message& msg) {
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT32 &&
      msg.GetReflection()->GetInt32(msg, f) == 0) {
    return "";
  }
  return FieldText(msg, f).value_or("");
}

std::vector<std::string> TemplateRow(const ResourceKind& kind, const Message& msg) {
  const auto* r = msg.GetReflection();
  std::string full = r->GetString(msg, kind.descriptor->FindFieldByName("name"));
  auto name = ParseName(kind, full);
  std::vector<std::string> row;
  size_t ancestor = 1;
  for (const TemplateColumn& c : TemplateColumns(kind)) {
    switch (c.role) {
      case TemplateColumn::Role::kAncestorId:
        row.push_back(name.ok() && ancestor < name->ids.size() ? name->ids[ancestor] : "");
        ++ancestor;
        break;
      case TemplateColumn::Role::kId:
        row.push_back(name.ok() ? name->id : "");
        break;
      case TemplateColumn::Role::kField:
        row.push_back(FormatCell(c.field, msg));
        break;
      case TemplateColumn::Role::kReference: {
        std::string ref = r->GetString(msg, c.field);
        row.push_back(ref.substr(ref.rfind('/') + 1));
        break;
      }
    }
  }
  return row;
}

std::vector<std::string> TemplateHeader(const ResourceKind& kind) {
  std::vector<std::string> header;
  for (const TemplateColumn& c : TemplateColumns(kind)) header.push_back(c.header);
  return header;
}

void InChinese(v1::CsvFile* file) {
  const ResourceKind* kind = KindByFile(file->kind());
  if (kind == nullptr) return;
  const std::vector<TemplateColumn>& columns = TemplateColumns(*kind);
  std::vector<const TemplateColumn*> at;
  // A later chunk of a large file carries no header: the export's columns
  // are the template's, in its order.
  if (file->header().empty()) {
    for (const TemplateColumn& c : columns) at.push_back(&c);
  }
  for (std::string& h : *file->mutable_header()) {
    const TemplateColumn* found = nullptr;
    for (const TemplateColumn& c : columns) {
      if (c.header == h) found = &c;
    }
    at.push_back(found);
    if (found != nullptr && !found->header_zh.empty()) h = found->header_zh;
  }
  for (v1::CsvFile::Row& row : *file->mutable_rows()) {
    for (int i = 0; i < row.cells_size() && i < static_cast<int>(at.size()); ++i) {
      const TemplateColumn* c = at[i];
      std::string* cell = row.mutable_cells(i);
      if (c == nullptr || cell->empty() || c->field == nullptr ||
          c->role != TemplateColumn::Role::kField) {
        continue;
      }
      if (c->field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_ENUM) {
        *cell = ChineseLabel(*cell);
      } else if (c->field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_BOOL) {
        *cell = *cell == "true" ? "是" : *cell == "false" ? "否" : *cell;
      }
    }
  }
}

}  // namespace cuofeng
