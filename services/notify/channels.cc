#include "services/notify/channels.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace cuofeng {
namespace {

std::mutex ca_mu;
std::string& CaFile() {
  static auto* file = new std::string();
  return *file;
}

// The last OpenSSL error as text ("" when none).
std::string SslError() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

// A connected socket, closed on scope exit; every wait ends at `deadline`.
// After StartTls, reads and writes go through TLS.
class Socket {
 public:
  explicit Socket(absl::Time deadline) : deadline_(deadline) {}
  ~Socket() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
  }

  // StartTls runs a TLS 1.2+ handshake as a client of `host`: the server's
  // certificate must chain to the system's trust store (or to the CA file
  // set by SetWebhookCaFile) and name `host`.
  absl::Status StartTls(const std::string& host) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr)
      return absl::InternalError(absl::StrCat("TLS：无法建立加密环境：", SslError()));
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    std::string ca;
    {
      std::lock_guard<std::mutex> lock(ca_mu);
      ca = CaFile();
    }
    if (SSL_CTX_set_default_verify_paths(ctx_) != 1) (void)SslError();
    if (!ca.empty() && SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr) != 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("TLS：无法读取推送用的 CA 证书文件 ", ca, "：", SslError()));
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    in_addr v4;
    in6_addr v6;
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
      // An address: the certificate must name it (an IP subjectAltName).
      if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str()) != 1) {
        return absl::InvalidArgumentError(absl::StrCat("TLS：无法校验地址 ", host));
      }
    } else {
      SSL_set_tlsext_host_name(ssl_, host.c_str());
      SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (SSL_set1_host(ssl_, host.c_str()) != 1) {
        return absl::InvalidArgumentError(absl::StrCat("TLS：无法校验域名 ", host));
      }
    }
    while (true) {
      const int rc = SSL_connect(ssl_);
      if (rc == 1) return absl::OkStatus();
      if (absl::Status s = TlsWait(rc, "TLS 握手"); !s.ok()) {
        const long verify = SSL_get_verify_result(ssl_);
        if (verify != X509_V_OK) {
          return absl::UnavailableError(absl::StrCat("TLS：", host, " 的证书不受信任：",
                                                     X509_verify_cert_error_string(verify)));
        }
        return s;
      }
    }
  }

  absl::Status Connect(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      return absl::UnavailableError(absl::StrCat("无法解析 ", host, "：", gai_strerror(rc)));
    }
    absl::Status last = absl::UnavailableError(absl::StrCat(host, " 没有地址"));
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      fd_ = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd_ < 0) continue;
      if (connect(fd_, a->ai_addr, a->ai_addrlen) == 0) break;
      if (errno == EINPROGRESS) {
        last = Wait(POLLOUT, "连接");
        if (last.ok()) {
          int error = 0;
          socklen_t len = sizeof(error);
          getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
          if (error == 0) break;
          last = absl::UnavailableError(
              absl::StrCat("无法连接 ", host, ":", port, "：", std::strerror(error)));
        }
      } else {
        last = absl::UnavailableError(
            absl::StrCat("无法连接 ", host, ":", port, "：", std::strerror(errno)));
      }
      close(fd_);
      fd_ = -1;
    }
    freeaddrinfo(found);
    return fd_ >= 0 ? absl::OkStatus() : last;
  }

  absl::Status Write(absl::string_view data) {
    while (ssl_ != nullptr && !data.empty()) {
      const int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      if (n > 0) {
        data.remove_prefix(n);
        continue;
      }
      if (absl::Status s = TlsWait(n, "发送"); !s.ok()) return s;
    }
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (absl::Status s = Wait(POLLOUT, "发送"); !s.ok()) return s;
        continue;
      }
      return absl::UnavailableError(absl::StrCat("发送失败：", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  // ReadSome appends what arrives; false at the end of the stream.
  absl::StatusOr<bool> ReadSome(std::string* out) {
    char buf[4096];
    while (ssl_ != nullptr) {
      const int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n > 0) {
        out->append(buf, n);
        return true;
      }
      const int e = SSL_get_error(ssl_, n);
      if (e == SSL_ERROR_ZERO_RETURN) return false;
      if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return false;  // closed without notify
      if (absl::Status s = TlsWait(n, "接收"); !s.ok()) return s;
    }
    while (true) {
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        out->append(buf, n);
        return true;
      }
      if (n == 0) return false;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (absl::Status s = Wait(POLLIN, "接收"); !s.ok()) return s;
        continue;
      }
      return absl::UnavailableError(absl::StrCat("接收失败：", std::strerror(errno)));
    }
  }

  // ReadLine returns one CRLF-terminated line (without it).
  absl::StatusOr<std::string> ReadLine() {
    while (true) {
      size_t end = pending_.find("\r\n");
      if (end != std::string::npos) {
        std::string line = pending_.substr(0, end);
        pending_.erase(0, end + 2);
        return line;
      }
      if (pending_.size() > 65536) return absl::UnavailableError("对方答复的一行超过 64 KiB");
      auto more = ReadSome(&pending_);
      if (!more.ok()) return more.status();
      if (!*more) return absl::UnavailableError("对方在答复前关闭了连接");
    }
  }

 private:
  absl::Status Wait(short events, const char* what) {
    while (true) {
      const absl::Duration left = deadline_ - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(absl::StrCat(what, "超时"));
      }
      pollfd p{fd_, events, 0};
      int rc = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
      if (rc > 0) return absl::OkStatus();
      if (rc < 0 && errno != EINTR) {
        return absl::UnavailableError(absl::StrCat(what, "出错：", std::strerror(errno)));
      }
    }
  }

  // TlsWait waits for what the TLS call that returned `rc` needs, or says
  // why it failed.
  absl::Status TlsWait(int rc, const char* what) {
    const int e = SSL_get_error(ssl_, rc);
    if (e == SSL_ERROR_WANT_READ) return Wait(POLLIN, what);
    if (e == SSL_ERROR_WANT_WRITE) return Wait(POLLOUT, what);
    const std::string detail = SslError();
    return absl::UnavailableError(absl::StrCat(what, "失败", detail.empty() ? "" : "：", detail));
  }

  absl::Time deadline_;
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string pending_;
};

absl::Status SplitHostPort(absl::string_view address, std::string* host, std::string* port,
                           const char* default_port) {
  const size_t colon = address.rfind(':');
  const size_t bracket = address.rfind(']');  // [v6] or [v6]:port
  if (colon == absl::string_view::npos || (bracket != absl::string_view::npos && bracket > colon)) {
    *host = std::string(address);
    *port = default_port;
  } else {
    *host = std::string(address.substr(0, colon));
    *port = std::string(address.substr(colon + 1));
  }
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  int n = 0;
  if (host->empty() || !absl::SimpleAtoi(*port, &n) || n <= 0 || n > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("\"", address, "\" 不是 host:port"));
  }
  return absl::OkStatus();
}

// An SMTP reply (possibly multi-line): its code and text.
absl::StatusOr<std::pair<int, std::string>> Reply(Socket& s) {
  std::string text;
  while (true) {
    auto line = s.ReadLine();
    if (!line.ok()) return line.status();
    int code = 0;
    if (line->size() < 3 || !absl::SimpleAtoi(line->substr(0, 3), &code)) {
      return absl::UnavailableError(
          absl::StrCat("SMTP 服务器的答复无法识别：", line->substr(0, 80)));
    }
    absl::StrAppend(&text, text.empty() ? "" : " ",
                    line->substr(std::min<size_t>(4, line->size())));
    if (line->size() == 3 || (*line)[3] == ' ') return std::make_pair(code, text);
  }
}

// Expect sends `command` (none: the greeting) and wants a reply code in
// [low, high]; a refusal is FAILED_PRECONDITION saying in Chinese what the
// server refused (`refused`, e.g. "收件人（RCPT TO）") with its reply as received.
absl::Status Expect(Socket& s, const std::string& command, int low, int high,
                    absl::string_view refused) {
  if (!command.empty()) {
    if (absl::Status w = s.Write(absl::StrCat(command, "\r\n")); !w.ok()) return w;
  }
  auto reply = Reply(s);
  if (!reply.ok()) return reply.status();
  if (reply->first < low || reply->first > high) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SMTP 服务器拒绝", refused, "：", reply->first, " ", reply->second.substr(0, 200)));
  }
  return absl::OkStatus();
}

std::string Base64Lines(absl::string_view data) {
  const std::string b64 = absl::Base64Escape(data);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) absl::StrAppend(&out, b64.substr(i, 76), "\r\n");
  return out;
}

// EncodedSubject is an RFC 2047 subject: base64 encoded words of at most 45
// bytes of UTF-8 each (never splitting a character), folded onto lines.
std::string EncodedSubject(absl::string_view subject) {
  std::string out;
  while (!subject.empty()) {
    size_t n = std::min<size_t>(45, subject.size());
    while (n < subject.size() && n > 0 && (static_cast<unsigned char>(subject[n]) & 0xC0) == 0x80) {
      --n;
    }
    if (n == 0) n = std::min<size_t>(45, subject.size());
    absl::StrAppend(&out, out.empty() ? "" : "\r\n ", "=?UTF-8?B?",
                    absl::Base64Escape(subject.substr(0, n)), "?=");
    subject.remove_prefix(n);
  }
  return out;
}

bool Clean(absl::string_view s) { return s.find_first_of("\r\n<>") == absl::string_view::npos; }

}  // namespace

absl::Status SendMail(const std::string& server, const Mail& mail, absl::Time deadline) {
  if (!Clean(mail.from) || !Clean(mail.to) || !Clean(mail.message_id)) {
    return absl::InvalidArgumentError("邮箱地址含有换行或尖括号");
  }
  std::string host, port;
  if (absl::Status s = SplitHostPort(server, &host, &port, "25"); !s.ok()) return s;
  Socket s(deadline);
  if (absl::Status c = s.Connect(host, port); !c.ok()) return c;
  if (absl::Status e = Expect(s, "", 220, 220, "连接（问候）"); !e.ok()) return e;
  if (absl::Status e = Expect(s, "EHLO cuofeng", 250, 250, "本机的问候（EHLO）"); !e.ok()) return e;
  if (absl::Status e =
          Expect(s, absl::StrCat("MAIL FROM:<", mail.from, ">"), 250, 250, "发件人（MAIL FROM）");
      !e.ok())
    return e;
  if (absl::Status e =
          Expect(s, absl::StrCat("RCPT TO:<", mail.to, ">"), 250, 251, "收件人（RCPT TO）");
      !e.ok())
    return e;
  if (absl::Status e = Expect(s, "DATA", 354, 354, "开始发送邮件（DATA）"); !e.ok()) return e;
  std::string message = absl::StrCat(
      "From: <", mail.from, ">\r\nTo: <", mail.to, ">\r\nSubject: ", EncodedSubject(mail.subject),
      "\r\nDate: ",
      absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", absl::Now(), absl::UTCTimeZone()),
      "\r\nMessage-ID: <", mail.message_id,
      ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n",
      Base64Lines(mail.body), ".");  // base64 lines never start with a dot
  if (absl::Status e = Expect(s, message, 250, 250, "邮件内容"); !e.ok()) return e;
  (void)Expect(s, "QUIT", 221, 221, "结束会话（QUIT）");  // delivered already; a rude close is fine
  return absl::OkStatus();
}

absl::Status ValidateWebhookUrl(absl::string_view url) {
  if (url.size() > 2000) return absl::InvalidArgumentError("超过 2000 个字符");
  absl::string_view rest = url;
  const bool tls = absl::ConsumePrefix(&rest, "https://");
  if (!tls && !absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError("须以 https:// 开头（可信网络中可用 http://）");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return absl::InvalidArgumentError("含有空格或控制字符");
    }
  }
  const absl::string_view authority = rest.substr(0, rest.find('/'));
  std::string host, port;
  if (authority.empty() || authority.find('@') != absl::string_view::npos ||
      !SplitHostPort(authority, &host, &port, tls ? "443" : "80").ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(tls ? "https://" : "http://", " 之后须为 host[:port]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PostJson(const std::string& url,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             const std::string& body, absl::Time deadline) {
  if (absl::Status v = ValidateWebhookUrl(url); !v.ok()) return v;
  absl::string_view rest = url;
  const bool tls = absl::ConsumePrefix(&rest, "https://");
  absl::ConsumePrefix(&rest, "http://");
  const size_t slash = rest.find('/');
  const absl::string_view authority = rest.substr(0, slash);
  const std::string path = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string host, port;
  if (absl::Status s = SplitHostPort(authority, &host, &port, tls ? "443" : "80"); !s.ok()) {
    return s;
  }
  Socket s(deadline);
  if (absl::Status c = s.Connect(host, port); !c.ok()) return c;
  if (tls) {
    if (absl::Status t = s.StartTls(host); !t.ok()) return t;
  }
  std::string request = absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: ", authority,
                                     "\r\nUser-Agent: cuofeng-notify\r\n"
                                     "Content-Type: application/json; charset=utf-8\r\n"
                                     "Content-Length: ",
                                     body.size(), "\r\nConnection: close\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&request, name, ": ", value, "\r\n");
  absl::StrAppend(&request, "\r\n", body);
  if (absl::Status w = s.Write(request); !w.ok()) return w;
  auto status_line = s.ReadLine();
  if (!status_line.ok()) return status_line.status();
  std::vector<absl::string_view> parts = absl::StrSplit(*status_line, absl::MaxSplits(' ', 2));
  int code = 0;
  if (parts.size() < 2 || !absl::StartsWith(parts[0], "HTTP/1.") ||
      !absl::SimpleAtoi(parts[1], &code)) {
    return absl::UnavailableError(
        absl::StrCat("推送地址的答复不是 HTTP 响应：", status_line->substr(0, 80)));
  }
  return code;
}

void SetWebhookCaFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(ca_mu);
  CaFile() = path;
}

std::string WebhookSignature(absl::string_view secret, absl::string_view timestamp,
                             absl::string_view body) {
  const std::string signed_text = absl::StrCat(timestamp, ".", body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
  return absl::StrCat("sha256=", absl::BytesToHexString(
                                     absl::string_view(reinterpret_cast<const char*>(mac), len)));
}

namespace {

constexpr int kNonce = 12, kTag = 16;

std::string AesKey(absl::string_view key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

}  // namespace

std::string SealSecret(absl::string_view key, absl::string_view secret) {
  const std::string k = AesKey(key);
  unsigned char nonce[kNonce];
  RAND_bytes(nonce, kNonce);
  std::string out(reinterpret_cast<const char*>(nonce), kNonce);
  std::string cipher(secret.size(), '\0');
  unsigned char tag[kTag];
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(k.data()), nonce);
  EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(cipher.data()), &len,
                    reinterpret_cast<const unsigned char*>(secret.data()),
                    static_cast<int>(secret.size()));
  unsigned char rest[32];
  EVP_EncryptFinal_ex(ctx, rest, &len);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTag, tag);
  EVP_CIPHER_CTX_free(ctx);
  absl::StrAppend(&out, cipher, absl::string_view(reinterpret_cast<const char*>(tag), kTag));
  return out;
}

absl::StatusOr<std::string> OpenSecret(absl::string_view key, absl::string_view sealed) {
  if (sealed.size() < kNonce + kTag) return absl::DataLossError("加密保存的推送签名密钥不完整");
  const std::string k = AesKey(key);
  const absl::string_view nonce = sealed.substr(0, kNonce);
  const absl::string_view cipher = sealed.substr(kNonce, sealed.size() - kNonce - kTag);
  std::string tag(sealed.substr(sealed.size() - kTag));
  std::string plain(cipher.size(), '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(k.data()),
                     reinterpret_cast<const unsigned char*>(nonce.data()));
  EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &len,
                    reinterpret_cast<const unsigned char*>(cipher.data()),
                    static_cast<int>(cipher.size()));
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTag, tag.data());
  unsigned char rest[32];
  const int ok = EVP_DecryptFinal_ex(ctx, rest, &len);
  EVP_CIPHER_CTX_free(ctx);
  if (ok != 1) {
    return absl::DataLossError("加密保存的推送签名密钥无法解开（已被改动，或服务器密钥已更换）");
  }
  return plain;
}

}  // namespace cuofeng
