// Channels: how a notification leaves the process. A small SMTP client and a
// small HTTP/1.1 client over plain sockets, each bounded by a deadline (the
// connect, every read and every write), the webhook signature, and the
// sealing of webhook secrets at rest.
#ifndef CUOFENG_SERVICES_NOTIFY_CHANNELS_H_
#define CUOFENG_SERVICES_NOTIFY_CHANNELS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cuofeng {

// Mail is one plain-text message (UTF-8; sent as base64 with an RFC 2047
// subject).
struct Mail {
  std::string from, to, subject, body;
  std::string message_id;  // without the angle brackets
};

// SendMail delivers `mail` to the SMTP server at `server` (host:port; no
// TLS, no AUTH: a relay on a trusted network). UNAVAILABLE or
// DEADLINE_EXCEEDED on a network fault, FAILED_PRECONDITION when the server
// refuses with its reply.
absl::Status SendMail(const std::string& server, const Mail& mail, absl::Time deadline);

// PostJson POSTs `body` to `url` (https://host[:port]/path, or http:// on a
// trusted network) with the extra `headers` and returns the HTTP status code.
// https: TLS 1.2 or later; the certificate must chain to the system's trust
// store or to the CA file of SetWebhookCaFile, and name the host.
absl::StatusOr<int> PostJson(const std::string& url,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             const std::string& body, absl::Time deadline);

// SetWebhookCaFile adds a CA certificate file (PEM) that https webhooks may
// chain to, beside the system's (a bureau's own CA). "" for none.
void SetWebhookCaFile(const std::string& path);
// ValidateWebhookUrl says what is wrong with `url`, or OK.
absl::Status ValidateWebhookUrl(absl::string_view url);

// WebhookSignature is "sha256=" and the lowercase hex HMAC-SHA256 over
// "{timestamp}.{body}" keyed by the enterprise's secret: what the receiver
// recomputes to check X-Cuofeng-Signature (with X-Cuofeng-Timestamp).
std::string WebhookSignature(absl::string_view secret, absl::string_view timestamp,
                             absl::string_view body);

// SealSecret encrypts a webhook secret with AES-256-GCM under `key` (any
// length: its SHA-256 is the AES key): nonce || ciphertext || tag.
std::string SealSecret(absl::string_view key, absl::string_view secret);
// OpenSecret reverses SealSecret; DATA_LOSS when the bytes were altered or
// sealed under another key.
absl::StatusOr<std::string> OpenSecret(absl::string_view key, absl::string_view sealed);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_NOTIFY_CHANNELS_H_
