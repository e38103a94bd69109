// Page tokens: opaque to clients and tamper-evident. A token carries the
// position after which the next page starts and a MAC over that position and
// the list it belongs to (method, parent, filter), keyed by a secret shared
// by every process on the database (core.server_secret). A token edited by
// hand, or carried over to another list, is INVALID_ARGUMENT naming
// page_token, never a database error.
#ifndef CUOFENG_LIB_PAGING_PAGE_TOKEN_H_
#define CUOFENG_LIB_PAGING_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cuofeng {

// SetPageTokenKey sets the MAC key (at server start, before any call).
void SetPageTokenKey(std::string key);

// EncodePageToken returns the token for `position` within `scope`.
std::string EncodePageToken(absl::string_view scope, absl::string_view position);

// DecodePageToken returns the position of a token made by EncodePageToken
// for the same scope; "" for an empty token (the first page).
absl::StatusOr<std::string> DecodePageToken(absl::string_view scope, absl::string_view token);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_PAGING_PAGE_TOKEN_H_
