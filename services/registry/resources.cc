#include "services/registry/resources.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cuofeng/v1/registry.pb.h"
#include "lib/model/identifiers.h"
#include "lib/xlsx/registry_sheets.h"

namespace cuofeng {
namespace {

using google::protobuf::Descriptor;

struct Kinds {
  ResourceKind district, township, enterprise, line, process, equipment, meter, camera, vehicle,
      retrofit_task, emission_total, whitelist_entry, monitoring_point, production_ledger;
  std::vector<const ResourceKind*> ordered;
};

void Fill(ResourceKind* k, std::string kind, std::string collection, std::string table,
          std::string file, const Descriptor* d, const ResourceKind* parent,
          std::vector<std::string> required) {
  k->kind = std::move(kind);
  k->collection = std::move(collection);
  k->table = absl::StrCat("registry.", table);
  k->file = std::move(file);
  k->descriptor = d;
  k->parent = parent;
  k->required = std::move(required);
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->name() == "name" || f->name() == "etag" || f->name() == "create_time" ||
        f->name() == "update_time") {
      continue;
    }
    k->columns.push_back(f);
  }
}

const Kinds& AllKinds() {
  static const Kinds* kinds = [] {
    auto* k = new Kinds;
    Fill(&k->district, "district", "districts", "district", "districts", v1::District::descriptor(),
         nullptr, {"display_name"});
    Fill(&k->township, "township", "townships", "township", "townships", v1::Township::descriptor(),
         &k->district, {"display_name"});
    Fill(&k->enterprise, "enterprise", "enterprises", "enterprise", "enterprises",
         v1::Enterprise::descriptor(), &k->district,
         {"display_name", "uscc", "industry_code", "industry_category", "permit_status",
          "performance_grade"});
    k->enterprise.references = {{"township", &k->township}};
    Fill(&k->line, "production line", "lines", "production_line", "lines",
         v1::ProductionLine::descriptor(), &k->enterprise, {"display_name"});
    Fill(&k->process, "process", "processes", "process", "processes", v1::Process::descriptor(),
         &k->line, {"display_name"});
    Fill(&k->equipment, "equipment", "equipment", "equipment", "equipment",
         v1::Equipment::descriptor(), &k->process, {"display_name", "type"});
    Fill(&k->meter, "meter", "meters", "meter", "meters", v1::Meter::descriptor(), &k->enterprise,
         {"display_name", "role"});
    k->meter.references = {{"equipment", &k->equipment}, {"line", &k->line}};
    Fill(&k->camera, "camera", "cameras", "camera", "cameras", v1::Camera::descriptor(),
         &k->enterprise, {"display_name"});
    Fill(&k->vehicle, "vehicle", "vehicles", "vehicle", "vehicles", v1::Vehicle::descriptor(),
         &k->district, {"plate", "emission_stage", "vehicle_class"});
    k->vehicle.references = {{"enterprise", &k->enterprise}};
    Fill(&k->retrofit_task, "retrofit task", "retrofitTasks", "retrofit_task", "retrofit_tasks",
         v1::RetrofitTask::descriptor(), &k->enterprise, {"kind", "deadline"});
    k->retrofit_task.references = {{"equipment", &k->equipment}};
    Fill(&k->emission_total, "emission total", "emissionTotals", "emission_total",
         "emission_totals", v1::EmissionTotal::descriptor(), &k->district,
         {"year", "pollutant", "tonnes"});
    Fill(&k->whitelist_entry, "whitelist entry", "whitelistEntries", "whitelist_entry",
         "whitelist_entries", v1::WhitelistEntry::descriptor(), &k->enterprise,
         {"vehicle", "purpose", "valid_from", "valid_until"});
    k->whitelist_entry.references = {{"vehicle", &k->vehicle}};
    Fill(&k->monitoring_point, "monitoring point", "monitoringPoints", "monitoring_point",
         "monitoring_points", v1::MonitoringPoint::descriptor(), &k->enterprise,
         {"display_name", "mn", "access_password"});
    k->monitoring_point.references = {{"equipment", &k->equipment}, {"line", &k->line}};
    Fill(&k->production_ledger, "production ledger", "productionLedgers", "production_ledger",
         "production_ledgers", v1::ProductionLedger::descriptor(), &k->enterprise,
         {"display_name", "line", "product", "output_unit"});
    k->production_ledger.references = {{"line", &k->line}};
    // The order of DistrictSnapshotChunk's fields, and of import.
    k->ordered = {
        &k->district,         &k->township,         &k->enterprise,     &k->line,
        &k->process,          &k->equipment,        &k->meter,          &k->camera,
        &k->vehicle,          &k->retrofit_task,    &k->emission_total, &k->whitelist_entry,
        &k->monitoring_point, &k->production_ledger};
    return k;
  }();
  return *kinds;
}

}  // namespace

bool ResourceKind::under_enterprise() const {
  for (const ResourceKind* k = this; k != nullptr; k = k->parent) {
    if (k == &EnterpriseKind()) return true;
  }
  return false;
}

const std::vector<const ResourceKind*>& RegistryKinds() { return AllKinds().ordered; }

const ResourceKind* KindByFile(const std::string& file) {
  for (const ResourceKind* k : RegistryKinds()) {
    if (k->file == file) return k;
  }
  return nullptr;
}

const ResourceKind* KindByDescriptor(const google::protobuf::Descriptor* d) {
  for (const ResourceKind* k : RegistryKinds()) {
    if (k->descriptor == d) return k;
  }
  return nullptr;
}

const ResourceKind& DistrictKind() { return AllKinds().district; }
const ResourceKind& EnterpriseKind() { return AllKinds().enterprise; }

std::string ChildName(const ResourceKind& kind, const std::string& parent, const std::string& id) {
  return parent.empty() ? absl::StrCat(kind.collection, "/", id)
                        : absl::StrCat(parent, "/", kind.collection, "/", id);
}

std::string KindZh(const ResourceKind& kind) {
  if (kind.parent == nullptr) return "区";
  std::string zh = RegistrySheetName(kind.file);
  return zh.empty() ? kind.kind : zh;
}

absl::StatusOr<ParsedName> ParseName(const ResourceKind& kind, const std::string& name) {
  // The chain district → ... → kind, without allocating (kinds are at most
  // a few levels deep).
  const ResourceKind* chain[8];
  size_t depth = 0;
  for (const ResourceKind* k = &kind; k != nullptr && depth < 8; k = k->parent) chain[depth++] = k;
  std::reverse(chain, chain + depth);
  auto bad = [&](const std::string& why) {
    std::string pattern;
    for (size_t i = 0; i < depth; ++i) {
      absl::StrAppend(&pattern, pattern.empty() ? "" : "/", chain[i]->collection, "/{id}");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" 不是", KindZh(kind), "的资源名（", pattern, "）", why));
  };
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != depth * 2) return bad("");
  ParsedName out;
  out.name = name;
  out.ids.reserve(depth);
  for (size_t i = 0; i < depth; ++i) {
    if (parts[2 * i] != chain[i]->collection) return bad("");
    const absl::string_view id = parts[2 * i + 1];
    absl::Status ok = i == 0 ? ValidateDistrictCode(id) : ValidateResourceId(id);
    if (!ok.ok()) return bad(absl::StrCat(": ", ok.message()));
    out.ids.emplace_back(id);
    if (chain[i] == &EnterpriseKind()) out.enterprise_id = std::string(id);
  }
  out.district_id = out.ids.front();
  out.id = out.ids.back();
  size_t cut = name.size() - kind.collection.size() - out.id.size() - 2;
  out.parent = depth == 1 ? "" : name.substr(0, cut);
  return out;
}

}  // namespace cuofeng
