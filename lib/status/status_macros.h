// Status propagation macros. Debian's Abseil 20220623 ships none, so the two
// every function needs live here once.
#ifndef CUOFENG_LIB_STATUS_STATUS_MACROS_H_
#define CUOFENG_LIB_STATUS_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// RETURN_IF_ERROR(expr) returns the status of `expr` from the current
// function when it is not OK.
#define RETURN_IF_ERROR(expr)                                   \
  do {                                                          \
    ::absl::Status cuofeng_status_ = ::cuofeng::AsStatus(expr); \
    if (!cuofeng_status_.ok()) return cuofeng_status_;          \
  } while (false)

#define CUOFENG_CONCAT_INNER_(a, b) a##b
#define CUOFENG_CONCAT_(a, b) CUOFENG_CONCAT_INNER_(a, b)

// ASSIGN_OR_RETURN(lhs, expr) evaluates the StatusOr `expr`; on error returns
// its status, otherwise assigns (or declares, e.g. `auto x`) `lhs`.
#define ASSIGN_OR_RETURN(lhs, expr) \
  CUOFENG_ASSIGN_OR_RETURN_IMPL_(CUOFENG_CONCAT_(cuofeng_statusor_, __LINE__), lhs, expr)

#define CUOFENG_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

namespace cuofeng {

inline const absl::Status& AsStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace cuofeng

#endif  // CUOFENG_LIB_STATUS_STATUS_MACROS_H_
