// The registry resources the filter and row-codec targets pick from with
// their first input byte (the order is part of the seed corpora's meaning:
// append, never reorder).
#ifndef CUOFENG_TESTS_FUZZ_FUZZ_REGISTRY_H_
#define CUOFENG_TESTS_FUZZ_FUZZ_REGISTRY_H_

#include <vector>

#include "cuofeng/v1/registry.pb.h"
#include "google/protobuf/descriptor.h"

namespace cuofeng_fuzz {

inline const std::vector<const google::protobuf::Descriptor*>& RegistryResources() {
  static const auto* types = [] {
    auto* v = new std::vector<const google::protobuf::Descriptor*>;
    const char* names[] = {"District", "Township",       "Enterprise",   "ProductionLine",
                           "Process",  "Equipment",      "Meter",        "Camera",
                           "Vehicle",  "WhitelistEntry", "RetrofitTask", "EmissionTotal"};
    const auto* file = cuofeng::v1::Enterprise::descriptor()->file();
    for (const char* n : names) {
      const google::protobuf::Descriptor* d = file->FindMessageTypeByName(n);
      if (d != nullptr) v->push_back(d);
    }
    return v;
  }();
  return *types;
}

}  // namespace cuofeng_fuzz

#endif  // CUOFENG_TESTS_FUZZ_FUZZ_REGISTRY_H_
