// The CLI's notification commands: notifications list|read, contacts get|set.
#include "tools/cli/notify_commands.h"

#include <fstream>
#include <iostream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cuofeng/v1/notify.grpc.pb.h"
#include "lib/model/clock.h"
#include "lib/model/labels.h"
#include "lib/rpc/status.h"
#include "lib/text/text.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/options.h"
#include "tools/cli/output.h"

namespace cuofeng {
namespace {

v1::NotificationService::Stub& Stub() {
  static auto* stub =
      v1::NotificationService::NewStub(Connect(ServerAddress(), TlsRootCertificates())).release();
  return *stub;
}

const std::string& Arg(size_t i) { return Opts().args.at(i); }

std::string When(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M", FromTimestamp(ts), absl::FixedTimeZone(8 * 3600));
}

std::string ChannelLabel(v1::NotificationChannel c) {
  return c == v1::EMAIL ? "邮件" : c == v1::WEBHOOK ? "推送" : "?";
}

std::string StateLabel(v1::DeliveryState s) {
  switch (s) {
    case v1::DELIVERED:
      return "已送达";
    case v1::DELIVERY_DEAD:
      return "发送失败";
    default:
      return "待发送";
  }
}

// "邮件 已送达; 推送 待发送 (第2次失败: …)"
std::string Deliveries(const v1::Notification& n) {
  std::vector<std::string> out;
  for (const v1::Delivery& d : n.deliveries()) {
    std::string s = absl::StrCat(ChannelLabel(d.channel()), " ", StateLabel(d.state()));
    if (d.state() != v1::DELIVERED && !d.last_error().empty()) {
      // Cut between characters (a byte count could split a Chinese one).
      absl::StrAppend(&s, "（", d.attempts(), " 次尝试：", Printable(d.last_error(), 60), "）");
    }
    out.push_back(s);
  }
  return out.empty() ? "未设置联系方式" : absl::StrJoin(out, "; ");
}

void PrintNotification(const v1::Notification& n) {
  std::cout << n.name() << "\n" << n.title() << "\n";
  std::cout << "时间: " << When(n.create_time()) << "  阅读: "
            << (n.has_read_time() ? absl::StrCat("已读 ", When(n.read_time()), " ", n.read_by())
                                  : "未读")
            << "\n发送: " << Deliveries(n) << "\n\n"
            << n.body();
}

int List() {
  std::string parent = Opts().parent.empty() ? Opts().district : Opts().parent;
  if (parent.empty()) {
    std::cerr << "cuofeng notifications list：请给 --parent=districts/ID/enterprises/E（或 "
                 "districts/ID，或 districts/- 表示全部）\n";
    return kExitUsage;
  }
  Column read{"read", [](const google::protobuf::Message& m, bool human) {
                const auto& n = static_cast<const v1::Notification&>(m);
                if (!human) return n.has_read_time() ? When(n.read_time()) : std::string();
                return n.has_read_time() ? absl::StrCat("已读 ", When(n.read_time()))
                                         : std::string("未读");
              }};
  Column delivery{
      "delivery", [](const google::protobuf::Message& m, bool human) {
        const auto& n = static_cast<const v1::Notification&>(m);
        if (human) return Deliveries(n);
        std::vector<std::string> out;
        for (const v1::Delivery& d : n.deliveries()) {
          out.push_back(absl::StrCat(v1::NotificationChannel_Name(d.channel()), ":",
                                     v1::DeliveryState_Name(d.state()), ":", d.attempts()));
        }
        return absl::StrJoin(out, " ");
      }};
  return PrintList(
      v1::ListNotificationsResponse(),
      [&](const std::string& token, int size, google::protobuf::Message* out) {
        v1::ListNotificationsRequest req;
        req.set_parent(parent);
        req.set_page_size(size);
        req.set_page_token(token);
        req.set_unread_only(Opts().unread);
        grpc::ClientContext ctx;
        AddKey(&ctx, ApiKey());
        return FromGrpcStatus(
            Stub().ListNotifications(&ctx, req, static_cast<v1::ListNotificationsResponse*>(out)));
      },
      {Field("name", "name"), Field("plant", "enterprise_name"), Field("time", "create_time"),
       Field("title", "title"), read, delivery},
      "notifications");
}

int Read() {
  v1::MarkNotificationReadRequest req;
  req.set_name(Arg(2));
  req.set_request_id(Opts().request_id);
  grpc::ClientContext ctx;
  AddKey(&ctx, ApiKey());
  v1::Notification n;
  grpc::Status s = Stub().MarkNotificationRead(&ctx, req, &n);
  if (!s.ok()) return Fail(FromGrpcStatus(s));
  PrintResource(n, [&] { PrintNotification(n); });
  return 0;
}

void PrintContacts(const v1::ContactSettings& c) {
  std::vector<std::string> channels;
  for (int ch : c.channels()) {
    channels.push_back(ChannelLabel(static_cast<v1::NotificationChannel>(ch)));
  }
  std::cout << c.name() << "\n"
            << "邮件地址: " << (c.email().empty() ? "(未设置)" : c.email()) << "\n"
            << "推送地址: " << (c.webhook_url().empty() ? "(未设置)" : c.webhook_url()) << "\n"
            << "推送密钥: "
            << (c.webhook_secret_set()
                    ? absl::StrCat("已设置 (SHA-256 ", c.webhook_secret_fingerprint(), "…)")
                    : "(未设置)")
            << "\n"
            << "通知方式: " << (channels.empty() ? "(无)" : absl::StrJoin(channels, "、")) << "\n";
  if (c.has_update_time()) {
    std::cout << "更新: " << When(c.update_time()) << " " << c.updated_by() << "\n";
  }
}

std::string ContactsName(const std::string& enterprise) {
  return absl::StrCat(absl::StripSuffix(enterprise, "/contactSettings"), "/contactSettings");
}

int Contacts() {
  const std::string& sub = Arg(2);
  grpc::ClientContext ctx;
  AddKey(&ctx, ApiKey());
  v1::ContactSettings c;
  grpc::Status s;
  if (sub == "get") {
    v1::GetContactSettingsRequest req;
    req.set_name(ContactsName(Arg(3)));
    s = Stub().GetContactSettings(&ctx, req, &c);
  } else {
    v1::UpdateContactSettingsRequest req;
    v1::ContactSettings* in = req.mutable_contact_settings();
    in->set_name(ContactsName(Arg(3)));
    in->set_email(Opts().email);
    in->set_webhook_url(Opts().webhook_url);
    if (const std::string& file = Opts().webhook_secret_file; !file.empty()) {
      std::string secret;
      if (file == "-") {
        std::getline(std::cin, secret);
      } else {
        std::ifstream f(file);
        if (!f) {
          std::cerr << "cuofeng：--webhook_secret_file：读不了文件 " << file << "\n";
          return kExitUsage;
        }
        std::getline(f, secret);
      }
      in->set_webhook_secret(std::string(absl::StripAsciiWhitespace(secret)));
    }
    for (absl::string_view word : absl::StrSplit(Opts().channels, ',', absl::SkipWhitespace())) {
      word = absl::StripAsciiWhitespace(word);
      const auto* value = EnumValueByText(v1::NotificationChannel_descriptor(), word);
      v1::NotificationChannel ch = v1::NOTIFICATION_CHANNEL_UNSPECIFIED;
      if (value != nullptr) {
        ch = static_cast<v1::NotificationChannel>(value->number());
      } else if (word == "邮件") {
        ch = v1::EMAIL;
      } else if (word == "推送") {
        ch = v1::WEBHOOK;
      } else {
        std::cerr << "cuofeng：--channels：\"" << word
                  << "\" 不是通知方式：应为 EMAIL（邮件）或 WEBHOOK（推送）\n";
        return kExitUsage;
      }
      in->add_channels(ch);
    }
    req.set_request_id(Opts().request_id);
    s = Stub().UpdateContactSettings(&ctx, req, &c);
  }
  if (!s.ok()) return Fail(FromGrpcStatus(s));
  PrintResource(c, [&] { PrintContacts(c); });
  return 0;
}

}  // namespace

std::vector<CommandSpec> NotifyCommands() {
  return {
      {"notifications list",
       "",
       "企业（本企业）、区县部门、核查人员、市级部门",
       "预警或清单变更使管控要求改变时发出的通知，含送达和"
       "已读情况",
       {},
       {"parent", "district", "unread", "output", "page_size", "page_token", "all"},
       "cuofeng notifications list --parent=districts/120119/enterprises/e10001 --unread",
       List},
      {"notifications read",
       "",
       "企业",
       "把通知标记为已读",
       {"NAME"},
       {"request_id", "output"},
       "cuofeng notifications read districts/120119/enterprises/e10001/notifications/7",
       Read},
      {"notifications contacts get",
       "",
       "企业（本企业）、区县部门、核查人员、市级部门",
       "企业的通知发往何处（推送密钥从不显示）",
       {"ENTERPRISE"},
       {"output"},
       "cuofeng notifications contacts get districts/120119/enterprises/e10001",
       Contacts},
      {"notifications contacts set",
       "",
       "企业（本企业）、区县部门",
       "设置邮箱、推送地址及其密钥和所用通知方式",
       {"ENTERPRISE"},
       {"email", "webhook_url", "webhook_secret_file", "channels", "request_id", "output"},
       "cuofeng notifications contacts set districts/120119/enterprises/e10001 "
       "--email=safety@plant.example --webhook_url=https://hooks.plant.example/cuofeng "
       "--webhook_secret_file=hook.secret --channels=EMAIL,WEBHOOK",
       Contacts},
  };
}

}  // namespace cuofeng
