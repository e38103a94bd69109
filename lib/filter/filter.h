// List filters in the grammar of AIP-160 (https://google.aip.dev/160), the
// same for every List method and every client:
//
//   industry_category = FOUNDRY OR industry_category = 化工
//   NOT (permit_status = PERMIT_VALID) AND display_name : "铸造"
//   livelihood_cap_percent > 50 AND township = "districts/120119/townships/t1"
//
// Comparisons `field OP value` with OP one of = != < <= > >= and `:` (has: a
// substring of a string, an element of a repeated field; `field:*` is "set");
// AND, OR, NOT (or a leading -) and parentheses. As in AIP-160, OR binds
// tighter than AND: `a AND b OR c` is `a AND (b OR c)`. Values are bare words
// or "quoted strings"; enum values by name in any case (FOUNDRY, foundry) or
// by Chinese label (铸造); booleans true/false (是/否); times in the one time
// syntax (lib/model/time_syntax.h). An unset field equals nothing, differs
// from everything and is neither less nor greater than anything.
//
// A malformed filter, an unknown field, or a value that does not fit its
// field is INVALID_ARGUMENT with a violation on "filter" in Chinese that names
// the character position (第 N 个字符, 1-based, counted in characters, not
// bytes); field names, operators and values are quoted as typed.
#ifndef CUOFENG_LIB_FILTER_FILTER_H_
#define CUOFENG_LIB_FILTER_FILTER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace cuofeng {

struct FilterNode;

class Filter {
 public:
  // Parse reads `text` for messages of `type`. When `fields` is not empty,
  // only those top-level fields may be named (the others are unknown).
  // An empty or blank `text` is the filter that matches everything.
  static absl::StatusOr<Filter> Parse(absl::string_view text,
                                      const google::protobuf::Descriptor* type,
                                      const std::vector<std::string>& fields = {});

  Filter();
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;

  // Empty is true for the filter that matches everything.
  bool Empty() const { return root_ == nullptr; }

  // Matches evaluates the filter on `message` (of the parsed type).
  bool Matches(const google::protobuf::Message& message) const;

  // Sql renders the filter as a SQL condition over columns named like the
  // fields (enums and strings as text, booleans, numbers as double
  // precision). `param` stores a value as a query parameter and returns its
  // placeholder ("$3"). The empty filter renders as "true".
  std::string Sql(const std::function<std::string(std::string)>& param) const;

 private:
  std::unique_ptr<FilterNode> root_;
};

// FilterRepeated keeps the elements of `items` (a repeated message field of
// `response`) that `filter` matches, in order; the others are removed.
void FilterRepeated(const Filter& filter, google::protobuf::Message* response,
                    const google::protobuf::FieldDescriptor* items);

// ApplyFilter parses `text` for the element type of the first repeated
// message field of `response` and removes the elements it does not match.
// The one call a List handler needs after reading its page.
absl::Status ApplyFilter(absl::string_view text, google::protobuf::Message* response);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_FILTER_FILTER_H_
