// The filed list as the city expects it, in Chinese: an XLSX workbook (the
// list, the cut against the targets, one 一厂一策 sheet per enterprise) and
// the same list as CSV. Written with libxlsxwriter; no I/O but the file.
#ifndef CUOFENG_LIB_DOCUMENTS_LIST_DOCUMENT_H_
#define CUOFENG_LIB_DOCUMENTS_LIST_DOCUMENT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cuofeng/v1/planning.pb.h"

namespace cuofeng {

// ListDocument is everything a document shows: the version, its entries,
// and its filing (empty for a draft).
struct ListDocument {
  v1::ListVersion list;
  std::vector<v1::ListEntry> entries;
  v1::Filing filing;
};

// ListHeader is the column header of the list sheet and the CSV.
const std::vector<std::string>& ListHeader();

// ListRow is one entry as a row of the list (序号 first).
std::vector<std::string> ListRow(const v1::ListEntry& entry, int seq);

// KeyIndicator says what proves the entry's measure was carried out.
std::string KeyIndicator(const v1::ListEntry& entry);

// ListCsv is the list sheet as UTF-8 CSV with a BOM (Excel opens it as is).
std::string ListCsv(const ListDocument& doc);

// WriteListXlsx writes the workbook to `path`.
absl::Status WriteListXlsx(const ListDocument& doc, const std::string& path);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DOCUMENTS_LIST_DOCUMENT_H_
