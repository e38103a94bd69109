#include "tools/gen/rules_snapshot.h"

#include <algorithm>

#include "cuofeng/v1/registry.pb.h"
#include "tools/gen/generator.h"

namespace cuofeng {

RegistrySnapshot GenerateSnapshot(int64_t equipment) {
  DistrictSpec spec;  // equipment 0: the sample district
  if (equipment > 0) {
    spec.equipment = equipment;
    spec.enterprises = std::max<int64_t>(1, equipment / 10);
  }
  RegistrySnapshot s;
  GenerateDistrictTo(spec, [&](const ResourceKind&, const google::protobuf::Message& m) {
    using namespace v1;
    const auto* d = m.GetDescriptor();
    if (d == Enterprise::descriptor())
      s.enterprises.push_back(static_cast<const Enterprise&>(m));
    else if (d == ProductionLine::descriptor())
      s.lines.push_back(static_cast<const ProductionLine&>(m));
    else if (d == Process::descriptor())
      s.processes.push_back(static_cast<const Process&>(m));
    else if (d == Equipment::descriptor())
      s.equipment.push_back(static_cast<const Equipment&>(m));
    else if (d == RetrofitTask::descriptor())
      s.retrofit_tasks.push_back(static_cast<const RetrofitTask&>(m));
    else if (d == EmissionTotal::descriptor())
      s.emission_totals.push_back(static_cast<const EmissionTotal&>(m));
    else if (d == Township::descriptor())
      s.townships.push_back(static_cast<const Township&>(m));
  });
  return s;
}

}  // namespace cuofeng
