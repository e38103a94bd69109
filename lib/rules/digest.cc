#include "lib/rules/digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace cuofeng {

struct Sha256Stream::Ctx {
  EVP_MD_CTX* md = nullptr;
};

Sha256Stream::Sha256Stream() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (ctx_->md == nullptr || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 init failed");
  }
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(ctx_->md); }

void Sha256Stream::Update(absl::string_view bytes) {
  EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size());
}

void Sha256Stream::AddMessage(const google::protobuf::MessageLite& m) {
  const size_t size = m.ByteSizeLong();
  const size_t total = google::protobuf::io::CodedOutputStream::VarintSize64(size) + size;
  // Grown, never shrunk or refilled: one buffer for every message.
  if (buffer_.size() < total) buffer_.resize(std::max(total, 2 * buffer_.size()));
  {
    google::protobuf::io::ArrayOutputStream raw(buffer_.data(), static_cast<int>(total));
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    out.WriteVarint64(size);
    m.SerializeWithCachedSizes(&out);
  }
  Update(absl::string_view(buffer_.data(), total));
}

std::string Sha256Stream::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx_->md, digest, &size);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
}

}  // namespace cuofeng
