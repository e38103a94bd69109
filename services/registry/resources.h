// The registry's resource kinds: how each maps to a resource name pattern, a
// table, its parent, its reference fields and its required fields. The
// generic repository, validation and import all read this one table.
#ifndef CUOFENG_SERVICES_REGISTRY_RESOURCES_H_
#define CUOFENG_SERVICES_REGISTRY_RESOURCES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"

namespace cuofeng {

struct ResourceKind {
  std::string kind;        // singular, for messages: "production line"
  std::string collection;  // name segment: "lines"
  std::string table;       // "registry.production_line"
  std::string file;        // import template file stem: "lines"
  const google::protobuf::Descriptor* descriptor = nullptr;
  const ResourceKind* parent = nullptr;  // nullptr for districts
  // Reference fields (resource names of other kinds), field → kind.
  std::map<std::string, const ResourceKind*> references;
  // Fields that must be set (non-empty string, non-UNSPECIFIED enum).
  std::vector<std::string> required;
  // Data fields stored as columns: every field but name, etag and times.
  std::vector<const google::protobuf::FieldDescriptor*> columns;

  // Depth below the district: 0 district, 1 enterprise/township/..., 2 line.
  int depth() const { return parent == nullptr ? 0 : parent->depth() + 1; }
  // Whether the kind lies under an enterprise (has an enterprise_id column).
  bool under_enterprise() const;
};

// KindZh is the kind as users read it: the Chinese name of its template file
// (企业, 生产线, 设备...), or 区 for a district.
std::string KindZh(const ResourceKind& kind);

// ParsedName is a resource name taken apart.
struct ParsedName {
  std::string name;
  std::string parent;  // "" for a district
  std::string id;      // last segment
  std::string district_id;
  std::string enterprise_id;     // "" above enterprises
  std::vector<std::string> ids;  // every id segment, district first
};

// RegistryKinds returns every kind in dependency order (a parent or a
// referenced kind before the kinds that point to it).
const std::vector<const ResourceKind*>& RegistryKinds();

// Kind lookups; nullptr if none.
const ResourceKind* KindByFile(const std::string& file);
const ResourceKind* KindByDescriptor(const google::protobuf::Descriptor* d);
const ResourceKind& DistrictKind();
const ResourceKind& EnterpriseKind();

// ParseName checks that `name` is a name of `kind`
// (districts/{d}/enterprises/{e}/...) and takes it apart. Ids are checked
// for shape.
absl::StatusOr<ParsedName> ParseName(const ResourceKind& kind, const std::string& name);

// ChildName builds parent + "/" + collection + "/" + id.
std::string ChildName(const ResourceKind& kind, const std::string& parent, const std::string& id);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_REGISTRY_RESOURCES_H_
