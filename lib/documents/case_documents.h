// The documents about one enterprise or one finding: the enterprise's
// obligation notice (告知书) and a finding's case file for enforcement (XLSX
// sheet and PDF with the evidence chart). Plain data in, bytes out.
#ifndef CUOFENG_LIB_DOCUMENTS_CASE_DOCUMENTS_H_
#define CUOFENG_LIB_DOCUMENTS_CASE_DOCUMENTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cuofeng/v1/compliance.pb.h"
#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"
#include "lib/documents/list_document.h"

namespace cuofeng {

// NoticeDocument is an enterprise's 告知书: the filed list in force, its
// entries about the enterprise, and what binds it at `at`.
struct NoticeDocument {
  ListDocument list;  // entries: the enterprise's only
  v1::Enterprise enterprise;
  v1::ObligationSet obligations;
  std::string at_text;  // China time
};
absl::StatusOr<std::string> NoticePdf(const NoticeDocument& doc, int* pages);

// CaseFileDocument is a finding with its evidence series.
struct CaseFileDocument {
  DocumentContext context;  // city and district names
  v1::EvidenceSeries evidence;
  std::string rendered_at;
};
// CaseFileRows are the case file's facts (项目, 内容), as both formats show them.
std::vector<std::pair<std::string, std::string>> CaseFileRows(const CaseFileDocument& doc);
absl::StatusOr<std::string> CaseFilePdf(const CaseFileDocument& doc, int* pages);
absl::StatusOr<std::string> CaseFileXlsx(const CaseFileDocument& doc);

// ChinaTimeText is a timestamp in China time, "2018-12-02 10:00" ("" unset).
std::string ChinaTimeText(const google::protobuf::Timestamp& ts);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DOCUMENTS_CASE_DOCUMENTS_H_
