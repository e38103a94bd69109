// The HTTP gateway of cuofeng-web: serves the built pages (web/dist) and a
// JSON API over the gRPC services. It holds no rights of its own: every call
// carries the signed-in person's session token as its bearer credential, so
// the services decide exactly as they would for that person's CLI.
//
//   POST /api/login            {username, password}: sets the session cookie
//   POST /api/change-password  {username, oldPassword, newPassword}: the same
//   POST /api/logout           ends the session
//   GET  /api/session          who is signed in, and the CSRF token
//   POST /api/v1/{Service}/{Method}   any unary method of cuofeng.v1, the
//        request and response in protobuf's JSON mapping
//   GET  /api/v1/watch/obligations?enterprise=NAME   Server-Sent Events fed
//        by ObligationService.WatchObligations
//   POST /api/import/registry?district=D&validateOnly=true|false&requestId=R
//        the body is the registry workbook (XLSX), or the CSV template's
//        files as multipart/form-data; it is read here and
//        streamed to RegistryService.ImportRegistry; the answer (or the
//        error, refused cells named sheet:row:column) carries "sheets", each
//        sheet's header cells, and "rows", the rows sent
//
// Every POST but login needs the header X-CSRF-Token (from /api/session or
// the login answer). A gRPC error becomes the HTTP status of
// HttpStatusOf and a body {"error": google.rpc.Status as JSON}, field
// violations included.
#ifndef CUOFENG_SERVICES_WEB_GATEWAY_H_
#define CUOFENG_SERVICES_WEB_GATEWAY_H_

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace cuofeng {

// HttpStatusOf maps a gRPC status code to the HTTP status the JSON API
// answers (the mapping of google.api's HTTP rules).
int HttpStatusOf(grpc::StatusCode code);

// ErrorBody is the JSON body for a failed call: {"error": {"code": HTTP,
// "status": "INVALID_ARGUMENT", "message": ..., "details": [...]}} with the
// details (BadRequest field violations, ErrorInfo) from the gRPC trailer.
std::string ErrorBody(const grpc::Status& status);

// CsrfTokenFor is the CSRF token bound to a session token: a hash only the
// holder of the (HttpOnly) session cookie can be told by /api/session.
std::string CsrfTokenFor(absl::string_view session_token);

// SessionFromCookie returns the session token in a Cookie header, or "".
std::string SessionFromCookie(absl::string_view cookie_header);

struct GatewayOptions {
  std::string static_dir;       // the built front end (web/dist)
  bool secure_cookies = false;  // served over TLS: cookies get Secure
};

class Gateway {
 public:
  Gateway(std::shared_ptr<grpc::Channel> channel, GatewayOptions options);

  // Register installs the routes and the security headers on `server`.
  void Register(httplib::Server& server);

 private:
  void Login(const httplib::Request& req, httplib::Response& res, bool change_password);
  void Logout(const httplib::Request& req, httplib::Response& res);
  void Session(const httplib::Request& req, httplib::Response& res);
  void Call(const httplib::Request& req, httplib::Response& res);
  void Watch(const httplib::Request& req, httplib::Response& res);
  void ImportWorkbook(const httplib::Request& req, httplib::Response& res);
  // Authorised returns the session token of a request, or answers 401/403
  // (no session; a change without the right CSRF token) and returns "".
  std::string Authorised(const httplib::Request& req, httplib::Response& res, bool change);
  std::string SessionCookie(const std::string& token, int max_age_seconds) const;

  std::shared_ptr<grpc::Channel> channel_;
  GatewayOptions options_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_WEB_GATEWAY_H_
