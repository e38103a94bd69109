// The page-token decoder (lib/paging). The input is `scope \n position \n rest`.
// Invariants:
//  - a token the encoder made decodes, for its scope, to its position, and is
//    refused for any other scope;
//  - the encoder's token with bytes changed (rest: pairs of offset, xor) either
//    is refused or still decodes to the same position: no edit forges another;
//  - `rest` taken as a token (when it starts with '!') that decodes must be
//    exactly the token the encoder gives for that scope and position;
//  - every refusal is INVALID_ARGUMENT naming page_token.
#include <cstddef>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/paging/page_token.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// Positions are row ids and offsets in practice; the decoder refuses tokens
// over 2 KB, so the round trip is asserted for positions up to 1 KB.
constexpr size_t kMaxPosition = 1024;

void CheckRefusal(const absl::Status& s) {
  FUZZ_CHECK(absl::IsInvalidArgument(s), s.ToString());
  FUZZ_CHECK(s.ToString().find("page_token") != std::string::npos, s.ToString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cuofeng;
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl1 = in.find('\n');
  if (nl1 == absl::string_view::npos) {
    auto r = DecodePageToken("ListEnterprises", in);
    if (!r.ok()) {
      CheckRefusal(r.status());
    } else {
      // regressions/page_token/noncanonical_base64: only the encoder's text.
      FUZZ_CHECK(in.empty() || EncodePageToken("ListEnterprises", *r) == in, absl::CHexEscape(in));
    }
    return 0;
  }
  const absl::string_view scope = in.substr(0, nl1);
  absl::string_view rest = in.substr(nl1 + 1);
  const size_t nl2 = rest.find('\n');
  const absl::string_view position = rest.substr(0, nl2);
  rest = nl2 == absl::string_view::npos ? absl::string_view() : rest.substr(nl2 + 1);

  const std::string token = EncodePageToken(scope, position);
  if (position.size() <= kMaxPosition) {
    auto back = DecodePageToken(scope, token);
    FUZZ_CHECK(back.ok() && *back == position,
               absl::StrCat("own token refused or changed: ", back.status().ToString()));
  }
  const std::string other_scope = absl::StrCat(scope, "x");
  auto foreign = DecodePageToken(other_scope, token);
  FUZZ_CHECK(!foreign.ok(), "a token was accepted for another scope");
  CheckRefusal(foreign.status());

  if (!rest.empty() && rest[0] == '!') {
    const absl::string_view raw = rest.substr(1);
    auto r = DecodePageToken(scope, raw);
    if (!r.ok()) {
      CheckRefusal(r.status());
    } else {
      FUZZ_CHECK(
          raw.empty() || EncodePageToken(scope, *r) == raw,
          absl::StrCat("token accepted that the encoder never makes: ", absl::CHexEscape(raw)));
    }
    return 0;
  }
  std::string edited = token;
  for (size_t i = 0; i + 1 < rest.size() && !edited.empty(); i += 2) {
    edited[static_cast<uint8_t>(rest[i]) % edited.size()] ^= rest[i + 1];
  }
  auto r = DecodePageToken(scope, edited);
  if (!r.ok()) {
    CheckRefusal(r.status());
  } else {
    FUZZ_CHECK(edited.empty() || *r == position,
               absl::StrCat("edited token decodes to another position: ", absl::CHexEscape(*r)));
    FUZZ_CHECK(edited.empty() || edited == token,
               absl::StrCat("an edited token is still accepted (malleable): ",
                            absl::CHexEscape(edited), " vs ", token));
  }
  return 0;
}
