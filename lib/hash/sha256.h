// SHA-256 (OpenSSL) for migration checksums, API-key hashes and, later, the
// filing hash chain; and random secrets.
#ifndef CUOFENG_LIB_HASH_SHA256_H_
#define CUOFENG_LIB_HASH_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace cuofeng {

// Sha256Hex returns the lowercase hex SHA-256 digest of `data`.
std::string Sha256Hex(absl::string_view data);

// RandomToken returns `bytes` bytes from the system's CSPRNG, URL-safe base64
// without padding.
std::string RandomToken(int bytes);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_HASH_SHA256_H_
