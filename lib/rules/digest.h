// Sha256Stream: SHA-256 fed in pieces, so that a list's digest never needs
// all its serialized entries in memory at once.
#ifndef CUOFENG_LIB_RULES_DIGEST_H_
#define CUOFENG_LIB_RULES_DIGEST_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"

namespace cuofeng {

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void Update(absl::string_view bytes);
  // AddMessage adds the varint length of `m`'s deterministic serialization,
  // then the serialization (as EntriesSha256 lays entries out).
  void AddMessage(const google::protobuf::MessageLite& m);
  // HexDigest ends the stream: the lowercase hex digest.
  std::string HexDigest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  std::string buffer_;  // reused for each message
};

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_DIGEST_H_
