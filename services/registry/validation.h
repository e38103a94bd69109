// Checks on a registry resource that need no database: required fields,
// enum values, quantities, dates, identifier standards, and the shape and
// scope of references. Existence of the parent and of referenced rows is
// checked by the callers, against the database or the import set.
#ifndef CUOFENG_SERVICES_REGISTRY_VALIDATION_H_
#define CUOFENG_SERVICES_REGISTRY_VALIDATION_H_

#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/message.h"
#include "lib/status/errors.h"
#include "services/registry/resources.h"

namespace cuofeng {

// ValidateResource returns every violation in `msg`, a resource of `kind`
// named `name`; each violation's field is the proto field name.
std::vector<FieldViolation> ValidateResource(const ResourceKind& kind, const ParsedName& name,
                                             const google::protobuf::Message& msg);

// ApplyDefaults fills defaults a bureau may leave out (a meter's 15-minute
// interval) and writes facts in their one canonical form (an industry code
// with its GB/T 4754 section letter: 3031 becomes C3031), so that the rules
// engine never meets two spellings of one fact.
void ApplyDefaults(const ResourceKind& kind, google::protobuf::Message* msg);

// RegisteredTownship is a township as the registry holds it.
struct RegisteredTownship {
  std::string name;          // districts/{d}/townships/{id}
  std::string display_name;  // 渔阳镇
};

// ResolveTownship turns how a bureau wrote an enterprise's township — the
// resource name, the id (yuyang) or the registered name (渔阳镇) — into the
// resource name of one of `townships`; "" if none matches (then the caller
// reports the field).
std::string ResolveTownship(const std::string& written,
                            const std::vector<RegisteredTownship>& townships);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_REGISTRY_VALIDATION_H_
