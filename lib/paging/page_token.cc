#include "lib/paging/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "lib/status/errors.h"

namespace cuofeng {
namespace {

constexpr size_t kMacBytes = 12;
constexpr size_t kMaxTokenBytes = 2048;

absl::Mutex key_mu;
std::string& Key() {
  static std::string* key = new std::string("cuofeng page tokens");
  return *key;
}

std::string Mac(absl::string_view scope, absl::string_view position) {
  std::string key;
  {
    absl::MutexLock lock(&key_mu);
    key = Key();
  }
  const std::string data = absl::StrCat(scope, std::string(1, '\0'), position);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), std::min<size_t>(length, kMacBytes));
}

absl::Status NotOurs() {
  return InvalidArgumentWithViolations(
      {{"page_token",
        "not a token this service gave out for this list (tokens hold for the same parent and "
        "filter; start again without page_token)"}});
}

}  // namespace

void SetPageTokenKey(std::string key) {
  absl::MutexLock lock(&key_mu);
  Key() = std::move(key);
}

std::string EncodePageToken(absl::string_view scope, absl::string_view position) {
  return absl::StrCat(absl::WebSafeBase64Escape(position), ".",
                      absl::WebSafeBase64Escape(Mac(scope, position)));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view scope, absl::string_view token) {
  if (token.empty()) return std::string();
  if (token.size() > kMaxTokenBytes) return NotOurs();
  const size_t dot = token.find('.');
  if (dot == absl::string_view::npos) return NotOurs();
  std::string position, mac;
  if (!absl::WebSafeBase64Unescape(token.substr(0, dot), &position) ||
      !absl::WebSafeBase64Unescape(token.substr(dot + 1), &mac)) {
    return NotOurs();
  }
  // Only what the encoder writes: base64 ignores the unused low bits of a
  // text's last character, so a token edited there would decode too.
  if (absl::WebSafeBase64Escape(position) != token.substr(0, dot) ||
      absl::WebSafeBase64Escape(mac) != token.substr(dot + 1)) {
    return NotOurs();
  }
  const std::string expected = Mac(scope, position);
  if (mac.size() != expected.size() ||
      CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) != 0) {
    return NotOurs();
  }
  return position;
}

}  // namespace cuofeng
