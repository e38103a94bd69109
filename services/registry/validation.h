// Checks on a registry resource that need no database: required fields,
// enum values, quantities, dates, identifier standards, and the shape and
// scope of references. Existence of the parent and of referenced rows is
// checked by the callers, against the database or the import set.
#ifndef CUOFENG_SERVICES_REGISTRY_VALIDATION_H_
#define CUOFENG_SERVICES_REGISTRY_VALIDATION_H_

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
// interval).
void ApplyDefaults(const ResourceKind& kind, google::protobuf::Message* msg);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_REGISTRY_VALIDATION_H_
