#include "services/registry/validation.h"

#include <cmath>
#include <map>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cuofeng/v1/registry.pb.h"
#include "lib/auth/policy.h"
#include "lib/hash/sha256.h"
#include "lib/model/identifiers.h"
#include "lib/model/labels.h"
#include "lib/text/text.h"

namespace cuofeng {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

bool IsDateField(const std::string& name) {
  return absl::EndsWith(name, "_date") || name == "deadline" || name == "valid_from" ||
         name == "valid_until";
}

bool IsPercentField(const std::string& name) {
  return absl::EndsWith(name, "_percent") || absl::EndsWith(name, "_rate");
}

void CheckVin(const std::string& vin, std::vector<FieldViolation>* out) {
  bool ok = vin.size() == 17;
  for (char c : vin) {
    ok = ok && ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) && c != 'I' && c != 'O' &&
         c != 'Q';
  }
  if (!ok) {
    out->push_back({"vin", absl::StrCat("车辆识别代号 ", Quote(vin),
                                        " 须为 17 位大写字母或数字，且不含 I、O、Q")});
  }
}

// The string fields of a registry message with their text rules, in field
// order: what ValidateTextFields walks, for a message whose other fields hold
// no text (scalars, enums, google.protobuf.Timestamp). `flat` is false when
// some field could (a nested message, a repeated string): then the walk is
// ValidateTextFields' own.
struct TextFields {
  bool flat = true;
  std::vector<std::pair<const FieldDescriptor*, TextRule>> fields;
};

const TextFields& TextFieldsOf(const google::protobuf::Descriptor* d) {
  static std::mutex mu;
  static auto* cache = new std::map<const google::protobuf::Descriptor*, TextFields>;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(d);
  if (it != cache->end()) return it->second;
  TextFields t;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->message_type()->full_name() != "google.protobuf.Timestamp") t.flat = false;
      continue;
    }
    if (f->type() != FieldDescriptor::TYPE_STRING || f->name() == "request_id") continue;
    if (f->is_repeated()) t.flat = false;
    t.fields.emplace_back(f, RuleForField(f->name()));
  }
  return cache->emplace(d, std::move(t)).first->second;
}

// TextViolations is ValidateTextFields(msg) without a string per field.
std::vector<FieldViolation> TextViolations(const Message& msg) {
  const TextFields& t = TextFieldsOf(msg.GetDescriptor());
  if (!t.flat) return ValidateTextFields(msg);
  std::vector<FieldViolation> out;
  const auto* r = msg.GetReflection();
  std::string scratch;
  for (const auto& [f, rule] : t.fields) {
    std::string problem = TextProblem(r->GetStringReference(msg, f, &scratch), rule);
    if (!problem.empty()) out.push_back({f->name(), std::move(problem)});
  }
  return out;
}

}  // namespace

std::string ResolveTownship(const std::string& written,
                            const std::vector<RegisteredTownship>& townships) {
  const std::string text(absl::StripAsciiWhitespace(written));
  if (text.empty()) return "";
  for (const RegisteredTownship& t : townships) {
    if (t.name == text || t.name.substr(t.name.rfind('/') + 1) == text) return t.name;
  }
  for (const RegisteredTownship& t : townships) {
    if (!t.display_name.empty() && t.display_name == text) return t.name;
  }
  return "";
}

void ApplyDefaults(const ResourceKind& kind, Message* msg) {
  if (kind.descriptor == v1::Enterprise::descriptor()) {
    // One spelling of one fact: the rules engine matches codes by prefix.
    auto* e = static_cast<v1::Enterprise*>(msg);
    auto canonical = CanonicalIndustryCode(e->industry_code());
    if (!e->industry_code().empty() && canonical.ok()) e->set_industry_code(*canonical);
  }
  if (kind.descriptor == v1::Meter::descriptor()) {
    auto* meter = static_cast<v1::Meter*>(msg);
    if (meter->interval_minutes() == 0) meter->set_interval_minutes(15);
  }
  if (kind.descriptor == v1::MonitoringPoint::descriptor()) {
    // The device's password is kept only as its SHA-256 (what an export
    // gives back is already in that form and stays as it is).
    auto* point = static_cast<v1::MonitoringPoint*>(msg);
    if (!point->access_password().empty() &&
        !absl::StartsWith(point->access_password(), "sha256:")) {
      point->set_access_password(absl::StrCat("sha256:", Sha256Hex(point->access_password())));
    }
  }
}

std::vector<FieldViolation> ValidateResource(const ResourceKind& kind, const ParsedName& name,
                                             const Message& msg) {
  // Text first: UTF-8, no control characters, each field within its length.
  std::vector<FieldViolation> out = TextViolations(msg);
  if (!out.empty()) return out;
  const auto* r = msg.GetReflection();
  for (const std::string& field : kind.required) {
    const FieldDescriptor* f = kind.descriptor->FindFieldByName(field);
    bool set = true;
    if (f->has_presence()) {
      set = r->HasField(msg, f);  // an optional fact: present, even if 0
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      set = !r->GetString(msg, f).empty();
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      set = r->GetEnumValue(msg, f) != 0;
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
      set = r->GetInt32(msg, f) != 0;
    }
    if (!set) {
      out.push_back({field, f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM
                                ? absl::StrCat("必填，可选：", EnumChoices(f->enum_type()))
                                : "必填"});
    }
  }
  for (const FieldDescriptor* f : kind.columns) {
    const std::string& field = f->name();
    if (f->has_presence() && !r->HasField(msg, f)) continue;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_ENUM: {
        int v = r->GetEnumValue(msg, f);
        if (f->enum_type()->FindValueByNumber(v) == nullptr) {
          out.push_back(
              {field, absl::StrCat(v, " 不是有效的取值，可选：", EnumChoices(f->enum_type()))});
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double v = r->GetDouble(msg, f);
        if (!std::isfinite(v)) {
          out.push_back({field, "须为有限的数值"});
        } else if (v < 0) {
          out.push_back({field, absl::StrCat("不能为负数，填写的是 ", v)});
        } else if (field == "longitude" && (v < 73 || v > 136)) {
          out.push_back(
              {field, absl::StrCat("经度须在 73 至 136 度之间（中国境内），填写的是 ", v)});
        } else if (field == "latitude" && (v < 3 || v > 54)) {
          out.push_back({field, absl::StrCat("纬度须在 3 至 54 度之间（中国境内），填写的是 ", v)});
        } else if (IsPercentField(field) && v > 100) {
          out.push_back({field, absl::StrCat("为百分比，不能超过 100，填写的是 ", v)});
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t v = r->GetInt32(msg, f);
        if (v < 0) out.push_back({field, absl::StrCat("不能为负数，填写的是 ", v)});
        if (field == "year" && v != 0 && (v < 2000 || v > 2100)) {
          out.push_back({field, absl::StrCat("年份 ", v, " 不在 2000—2100 之间")});
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        const std::string& v = r->GetString(msg, f);
        if (v.empty()) break;
        if (IsDateField(field)) {
          absl::Status ok = ValidateDate(v);
          if (!ok.ok()) out.push_back({field, std::string(ok.message())});
        }
        auto ref = kind.references.find(field);
        if (ref != kind.references.end()) {
          auto target = ParseName(*ref->second, v);
          if (!target.ok()) {
            out.push_back({field, std::string(target.status().message())});
          } else if (target->district_id != name.district_id) {
            out.push_back({field, absl::StrCat(v, " 属于其他区")});
          } else if (ref->second->under_enterprise() && kind.under_enterprise() &&
                     target->enterprise_id != name.enterprise_id) {
            out.push_back({field, absl::StrCat(v, " 属于其他企业")});
          }
        }
        break;
      }
      default:
        break;
    }
  }

  if (kind.descriptor == v1::Enterprise::descriptor()) {
    const auto& e = static_cast<const v1::Enterprise&>(msg);
    if (!e.uscc().empty()) {
      absl::Status ok = ValidateUscc(e.uscc());
      if (!ok.ok()) out.push_back({"uscc", std::string(ok.message())});
    }
    if (!e.industry_code().empty()) {
      auto canonical = CanonicalIndustryCode(e.industry_code());
      if (!canonical.ok())
        out.push_back({"industry_code", std::string(canonical.status().message())});
    }
  } else if (kind.descriptor == v1::Equipment::descriptor()) {
    const auto& q = static_cast<const v1::Equipment&>(msg);
    if (q.type() == v1::KILN && q.kiln_type() == v1::KILN_TYPE_UNSPECIFIED) {
      out.push_back({"kiln_type", absl::StrCat("窑炉须填写窑炉类型，可选：",
                                               EnumChoices(v1::KilnType_descriptor()))});
    }
    if (q.has_cems_transmission_rate() && !q.cems_installed()) {
      out.push_back({"cems_transmission_rate",
                     "填写了在线监测数据传输有效率，但未安装在线监测（cems_installed 为否）"});
    }
  } else if (kind.descriptor == v1::Meter::descriptor()) {
    const auto& m = static_cast<const v1::Meter&>(msg);
    if (m.equipment().empty() == m.line().empty()) {
      out.push_back({m.equipment().empty() ? "equipment" : "line",
                     "电表须且只能计量一台设备或一条生产线（equipment 与 line 二选一）"});
    }
  } else if (kind.descriptor == v1::MonitoringPoint::descriptor()) {
    const auto& p = static_cast<const v1::MonitoringPoint&>(msg);
    if (!p.equipment().empty() && !p.line().empty()) {
      out.push_back({"line", "排放口只能对应一台设备或一条生产线（equipment 与 line 至多填一个）"});
    }
    bool mn_ok = !p.mn().empty() && p.mn().size() <= 24;
    for (char c : p.mn()) mn_ok = mn_ok && absl::ascii_isalnum(static_cast<unsigned char>(c));
    if (!p.mn().empty() && !mn_ok) {
      out.push_back({"mn", "HJ 212 设备编号（MN）须为 1 至 24 位字母或数字"});
    }
  } else if (kind.descriptor == v1::Vehicle::descriptor()) {
    const auto& v = static_cast<const v1::Vehicle&>(msg);
    if (!v.vin().empty()) CheckVin(v.vin(), &out);
  } else if (kind.descriptor == v1::ProductionLedger::descriptor()) {
    // A production ledger (生产台账): what its daily rows measure, and in what.
    const auto& l = static_cast<const v1::ProductionLedger&>(msg);
    if (l.has_normal_daily_output() &&
        !(std::isfinite(l.normal_daily_output()) && l.normal_daily_output() >= 0)) {
      out.push_back({"normal_daily_output", "正常日产量须为不小于 0 的数"});
    }
    if (!l.fuel().empty() && l.fuel_unit().empty()) {
      out.push_back({"fuel_unit", "填写了燃料，须填写燃料单位（如 吨）"});
    }
    if (!l.raw_material().empty() && l.raw_material_unit().empty()) {
      out.push_back({"raw_material_unit", "填写了原料，须填写原料单位（如 吨）"});
    }
  }
  return out;
}

}  // namespace cuofeng
