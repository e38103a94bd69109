// cuofeng-web-account: creates a person's account with an API key (admin, or
// a bureau within its district), for tools/demo and tests; the person
// changes the password at the first login.
//   cuofeng-web-account --server=ADDR --key=cfk_... --username=e10001
//     --role=enterprise --scope=districts/120119/enterprises/e10001
//     --password=初始密码 --name="e10001 企业用户"   (one command line)
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "cuofeng/v1/accounts.grpc.pb.h"
#include "lib/rpc/status.h"
#include "tools/cli/client_lib.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "the cuofeng-server");
ABSL_FLAG(std::string, tls_ca, "", "PEM root certificate of a TLS server");
ABSL_FLAG(std::string, key, "", "an admin or bureau API key (default: $CUOFENG_KEY)");
ABSL_FLAG(std::string, username, "", "the login name");
ABSL_FLAG(std::string, role, "", "admin, city, bureau, verifier or enterprise");
ABSL_FLAG(std::string, scope, "", "districts/{d} or districts/{d}/enterprises/{e}");
ABSL_FLAG(std::string, password, "", "the initial password (changed at the first login)");
ABSL_FLAG(std::string, name, "", "the display name");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string key = absl::GetFlag(FLAGS_key);
  if (key.empty() && std::getenv("CUOFENG_KEY") != nullptr) key = std::getenv("CUOFENG_KEY");
  std::string ca;
  if (!absl::GetFlag(FLAGS_tls_ca).empty()) {
    std::ifstream in(absl::GetFlag(FLAGS_tls_ca));
    std::stringstream ss;
    ss << in.rdbuf();
    ca = ss.str();
  }
  cuofeng::v1::Role role = cuofeng::v1::ROLE_UNSPECIFIED;
  cuofeng::v1::Role_Parse(absl::AsciiStrToUpper(absl::GetFlag(FLAGS_role)), &role);
  auto stub =
      cuofeng::v1::AccountService::NewStub(cuofeng::Connect(absl::GetFlag(FLAGS_server), ca));
  cuofeng::v1::CreateAccountRequest req;
  req.mutable_account()->set_username(absl::GetFlag(FLAGS_username));
  req.mutable_account()->set_role(role);
  req.mutable_account()->set_scope(absl::GetFlag(FLAGS_scope));
  req.mutable_account()->set_display_name(absl::GetFlag(FLAGS_name));
  req.set_initial_password(absl::GetFlag(FLAGS_password));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + key);
  cuofeng::v1::Account out;
  grpc::Status status = stub->CreateAccount(&ctx, req, &out);
  if (!status.ok()) {
    std::cerr << "error ("
              << cuofeng::StatusCodeName(static_cast<absl::StatusCode>(status.error_code()))
              << "): " << status.error_message() << "\n";
    return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? 2 : 1;
  }
  std::cout << out.name() << "\n";
  return 0;
}
