#include "tools/cli/account_commands.h"

#include <fstream>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cuofeng/v1/accounts.grpc.pb.h"
#include "lib/auth/policy.h"
#include "lib/hash/sha256.h"
#include "lib/model/clock.h"
#include "lib/rpc/status.h"
#include "services/core/key_store.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/options.h"
#include "tools/cli/output.h"

namespace cuofeng {
namespace {

v1::AccountService::Stub& Stub() {
  static auto* stub =
      v1::AccountService::NewStub(Connect(ServerAddress(), TlsRootCertificates())).release();
  return *stub;
}

const std::string& Arg(size_t i) { return Opts().args.at(i); }

grpc::ClientContext* Call(grpc::ClientContext* ctx) {
  AddKey(ctx, ApiKey());
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return ctx;
}

std::string When(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0) return "—";
  return absl::FormatTime("%Y-%m-%d %H:%M", FromTimestamp(ts), absl::FixedTimeZone(8 * 3600));
}

// The first password: from --password_file (- reads stdin), else a random
// one printed once. Either way it must be changed at the first login.
absl::StatusOr<std::string> InitialPassword(bool* generated) {
  const std::string& file = Opts().password_file;
  *generated = file.empty();
  if (file.empty()) return RandomToken(12);  // 16 URL-safe characters
  std::string password;
  if (file == "-") {
    std::getline(std::cin, password);
  } else {
    std::ifstream f(file);
    if (!f) return absl::InvalidArgumentError(absl::StrCat("--password_file：读不了文件 ", file));
    std::getline(f, password);
  }
  return std::string(absl::StripTrailingAsciiWhitespace(password));
}

int AccountCreate() {
  std::optional<Role> role = ParseRole(absl::AsciiStrToLower(Opts().role));
  if (!role.has_value()) {
    std::cerr << "cuofeng：--role 须为 admin、city、bureau、enterprise、verifier、"
                 "service 之一\n";
    return kExitUsage;
  }
  bool generated = false;
  auto password = InitialPassword(&generated);
  if (!password.ok()) return Fail(password.status());
  v1::CreateAccountRequest req;
  v1::Account* a = req.mutable_account();
  a->set_username(Arg(2));
  a->set_display_name(Opts().name);
  a->set_role(RoleToProto(*role));
  a->set_scope(Opts().scope);
  req.set_initial_password(*password);
  req.set_request_id(Opts().request_id);
  v1::Account created;
  grpc::ClientContext ctx;
  grpc::Status st = Stub().CreateAccount(Call(&ctx), req, &created);
  if (!st.ok()) return Fail(FromGrpcStatus(st));
  PrintResource(created, [&] {
    std::cout << "账号 " << created.username() << "（" << created.display_name() << "，"
              << RoleName(*role) << (created.scope().empty() ? "" : " " + created.scope())
              << "）已创建；首次登录须修改密码。\n";
    if (generated) std::cout << "初始密码（仅显示这一次）：" << *password << "\n";
  });
  return 0;
}

int AccountList() {
  v1::ListAccountsRequest req;
  req.set_scope(Opts().scope);
  v1::ListAccountsResponse resp;
  grpc::ClientContext ctx;
  grpc::Status st = Stub().ListAccounts(Call(&ctx), req, &resp);
  if (!st.ok()) return Fail(FromGrpcStatus(st));
  std::vector<const google::protobuf::Message*> rows;
  for (const auto& a : resp.accounts()) rows.push_back(&a);
  PrintRows(rows, {Field("用户名", "username"), Field("姓名", "display_name"),
                   Field("角色", "role"), Field("范围", "scope"),
                   Field("须改密码", "must_change_password"), Field("锁定至", "locked_until"),
                   Field("停用", "disabled"), Field("创建时间", "create_time")});
  return 0;
}

int AccountUnlock() {
  v1::UnlockAccountRequest req;
  req.set_name(absl::StartsWith(Arg(2), "accounts/") ? Arg(2) : absl::StrCat("accounts/", Arg(2)));
  v1::Account a;
  grpc::ClientContext ctx;
  grpc::Status st = Stub().UnlockAccount(Call(&ctx), req, &a);
  if (!st.ok()) return Fail(FromGrpcStatus(st));
  PrintResource(a, [&] { std::cout << "账号 " << a.username() << " 已解锁\n"; });
  return 0;
}

int RotateKey() {
  v1::RotateApiKeyRequest req;
  req.set_name(Arg(2));
  if (!Opts().grace.empty()) {
    auto grace = ParseLifetime("--grace", Opts().grace);
    if (!grace.ok()) return Fail(grace.status());
    req.mutable_grace()->set_seconds(absl::ToInt64Seconds(*grace));
  }
  if (!Opts().ttl.empty()) {
    auto ttl = ParseLifetime("--ttl", Opts().ttl);
    if (!ttl.ok()) return Fail(ttl.status());
    req.mutable_ttl()->set_seconds(absl::ToInt64Seconds(*ttl));
  }
  v1::RotateApiKeyResponse resp;
  grpc::ClientContext ctx;
  grpc::Status st = Stub().RotateApiKey(Call(&ctx), req, &resp);
  if (!st.ok()) return Fail(FromGrpcStatus(st));
  if (Opts().quiet) {
    std::cout << resp.secret() << "\n";
    return 0;
  }
  std::cout << "新密钥 " << resp.api_key().name() << "（只显示这一次）：\n"
            << resp.secret() << "\n"
            << Arg(2) << " 到 " << When(resp.old_key_expire_time()) << "（北京时间）前仍可用\n";
  return 0;
}

}  // namespace

absl::StatusOr<absl::Duration> ParseLifetime(const std::string& flag, const std::string& text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  absl::Duration d;
  int64_t days = 0;
  if (absl::ConsumeSuffix(&t, "d") && absl::SimpleAtoi(t, &days) && days >= 0) {
    return absl::Hours(24 * days);
  }
  if (absl::ParseDuration(std::string(absl::StripAsciiWhitespace(text)), &d) &&
      d >= absl::ZeroDuration()) {
    return d;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, "：\"", text, "\" 不是时长，应写成 90d、36h 或 30m 这样"));
}

std::vector<CommandSpec> AccountCommands() {
  return {
      {"account create",
       "",
       "管理员；区县部门（本区内的账户）",
       "为某人开网页账户：初始密码（来自 --password_file，或随机生成并只显示一次）"
       "须在首次登录时修改",
       {"USERNAME"},
       {"role!", "scope", "name", "password_file", "request_id", "output"},
       "cuofeng account create zhang.wei --role=enterprise "
       "--scope=districts/120119/enterprises/e10001 --name=张伟",
       AccountCreate},
      {"account list",
       "",
       "管理员；区县部门（本区）",
       "网页账户列表，含锁定和首次登录状态",
       {},
       {"scope", "output"},
       "cuofeng account list --scope=districts/120119",
       AccountList},
      {"account unlock",
       "",
       "管理员；区县部门（本区）",
       "解除多次输错密码后的锁定",
       {"USERNAME"},
       {"output"},
       "cuofeng account unlock zhang.wei",
       AccountUnlock},
      {"admin rotate-key",
       "",
       "管理员",
       "换发一个角色、范围、名称相同的新密钥；旧密钥在 --grace 内仍可用"
       "（默认 24h，0：立即失效）；--ttl 设新密钥的有效期",
       {"KEY"},
       {"grace", "ttl"},
       "cuofeng admin rotate-key apiKeys/3f2a… --grace=24h --ttl=90d",
       RotateKey},
  };
}

}  // namespace cuofeng
