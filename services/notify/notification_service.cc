#include "services/notify/notification_service.h"

#include <map>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/hash/sha256.h"
#include "lib/paging/page_token.h"
#include "lib/rpc/forward.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "services/notify/channels.h"

namespace cuofeng {
namespace {

constexpr int kDefaultPageSize = 50, kMaxPageSize = 500;
constexpr absl::Duration kReadCap = absl::Seconds(30);

absl::Time DeadlineOf(const grpc::ServerContext* ctx) {
  absl::Time deadline = absl::Now() + kReadCap;
  if (ctx->deadline() != std::chrono::system_clock::time_point::max()) {
    deadline = std::min(deadline, absl::FromChrono(ctx->deadline()));
  }
  return deadline;
}

// Parts of districts/{d}/enterprises/{e}[/suffix...]; empty when not.
struct EnterpriseName {
  std::string district_id, enterprise, rest;
};

bool ParseEnterprise(absl::string_view name, EnterpriseName* out) {
  std::vector<std::string> p = absl::StrSplit(name, '/');
  if (p.size() < 4 || p[0] != "districts" || p[1].empty() || p[1] == "-" || p[2] != "enterprises" ||
      p[3].empty()) {
    return false;
  }
  out->district_id = p[1];
  out->enterprise = absl::StrCat("districts/", p[1], "/enterprises/", p[3]);
  std::vector<std::string> rest(p.begin() + 4, p.end());
  out->rest = absl::StrJoin(rest, "/");
  return true;
}

}  // namespace

namespace {

v1::DeliveryState StateCode(const std::string& s) {
  if (s == "DELIVERED") return v1::DELIVERED;
  if (s == "DEAD") return v1::DELIVERY_DEAD;
  return v1::DELIVERY_PENDING;
}

void SetTime(const pqxx::field& f, google::protobuf::Timestamp* ts) {
  if (f.is_null()) return;
  const int64_t micros = static_cast<int64_t>(f.as<double>() * 1e6);
  ts->set_seconds(micros / 1000000);
  ts->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

constexpr char kNotificationColumns[] =
    "id, body, extract(epoch from create_time)::float8, extract(epoch from read_time)::float8, "
    "read_by";

v1::Notification NotificationRow(const pqxx::row& row) {
  v1::Notification n;
  n.ParseFromString(pqxx::binarystring(row[1]).str());
  n.set_name(absl::StrCat(n.enterprise(), "/notifications/", row[0].as<int64_t>()));
  SetTime(row[2], n.mutable_create_time());
  SetTime(row[3], n.mutable_read_time());
  n.set_read_by(row[4].as<std::string>());
  return n;
}

// AddDeliveries fills in the delivery state of `notes` (by id).
void AddDeliveries(pqxx::work& tx, std::map<int64_t, v1::Notification*>& notes) {
  if (notes.empty()) return;
  std::vector<std::string> ids;
  for (const auto& [id, n] : notes) ids.push_back(absl::StrCat(id));
  for (const auto& row : tx.exec_params(
           "SELECT notification_id, channel, destination, state, attempts, last_error, "
           "extract(epoch from next_attempt_time)::float8, extract(epoch from "
           "delivered_time)::float8 FROM notify.delivery WHERE notification_id = ANY($1::bigint[]) "
           "ORDER BY notification_id, channel",
           absl::StrCat("{", absl::StrJoin(ids, ","), "}"))) {
    v1::Delivery* d = notes[row[0].as<int64_t>()]->add_deliveries();
    v1::NotificationChannel channel = v1::NOTIFICATION_CHANNEL_UNSPECIFIED;
    v1::NotificationChannel_Parse(row[1].as<std::string>(), &channel);
    d->set_channel(channel);
    std::string destination = row[2].as<std::string>();
    if (channel == v1::WEBHOOK) destination = destination.substr(0, destination.find('?'));
    d->set_destination(destination);
    d->set_state(StateCode(row[3].as<std::string>()));
    d->set_attempts(row[4].as<int>());
    d->set_last_error(row[5].as<std::string>());
    if (d->state() == v1::DELIVERY_PENDING) SetTime(row[6], d->mutable_next_attempt_time());
    SetTime(row[7], d->mutable_delivered_time());
  }
}

v1::ContactSettings ContactRow(const std::string& enterprise, const pqxx::result& r) {
  v1::ContactSettings c;
  c.set_name(absl::StrCat(enterprise, "/contactSettings"));
  if (r.empty()) return c;
  const pqxx::row& row = r[0];
  c.set_email(row["email"].as<std::string>());
  c.set_webhook_url(row["webhook_url"].as<std::string>());
  c.set_webhook_secret_set(!row["webhook_secret_sealed"].is_null());
  c.set_webhook_secret_fingerprint(row["webhook_secret_fingerprint"].as<std::string>());
  for (auto ch : absl::StrSplit(row["channels"].as<std::string>(), ',', absl::SkipEmpty())) {
    v1::NotificationChannel channel;
    if (v1::NotificationChannel_Parse(std::string(ch), &channel)) c.add_channels(channel);
  }
  SetTime(row["update_epoch"], c.mutable_update_time());
  c.set_updated_by(row["updated_by"].as<std::string>());
  return c;
}

constexpr char kContactQuery[] =
    "SELECT email, webhook_url, webhook_secret_sealed, webhook_secret_fingerprint, "
    "array_to_string(channels, ',') AS channels, extract(epoch from update_time)::float8 AS "
    "update_epoch, updated_by FROM notify.contact WHERE enterprise = $1";

bool PlausibleEmail(absl::string_view e) {
  const size_t at = e.find('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 >= e.size() || e.size() > 254 ||
      e.find('@', at + 1) != absl::string_view::npos) {
    return false;
  }
  for (char c : e) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' ||
        c == '"' || c == 0x7f) {
      return false;
    }
  }
  return e.substr(at + 1).find('.') != absl::string_view::npos || e.substr(at + 1) == "localhost";
}

}  // namespace

NotificationServiceImpl::NotificationServiceImpl(CallGuard* guard,
                                                 std::shared_ptr<grpc::Channel> registry,
                                                 std::string secret_key)
    : guard_(guard),
      registry_(v1::RegistryService::NewStub(registry)),
      secret_key_(std::move(secret_key)) {}

grpc::Status NotificationServiceImpl::ListNotifications(grpc::ServerContext* ctx,
                                                        const v1::ListNotificationsRequest* req,
                                                        v1::ListNotificationsResponse* resp) {
  auto principal = guard_->Authenticate(ctx);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  // districts/-, districts/{d} or districts/{d}/enterprises/{e}.
  const std::string& parent = req->parent();
  std::vector<std::string> p = absl::StrSplit(parent, '/');
  const bool any = parent == "districts/-";
  const bool district = p.size() == 2 && p[0] == "districts" && !p[1].empty();
  EnterpriseName e;
  const bool enterprise = ParseEnterprise(parent, &e) && e.rest.empty();
  std::vector<FieldViolation> v;
  if (!any && !district && !enterprise) {
    v.push_back({"parent",
                 "须为 districts/{district}、districts/{district}/enterprises/{enterprise} 或 "
                 "districts/-"});
  }
  if (req->page_size() < 0) v.push_back({"page_size", "不能为负数"});
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  std::string prefix;
  if (auto allowed = guard_->Allow(*principal, "ListNotifications", parent, &prefix);
      !allowed.ok()) {
    return ToGrpcStatus(allowed.status());
  }
  const std::string scope =
      absl::StrCat("ListNotifications|", parent, "|", req->unread_only(), "|", prefix);
  auto position = DecodePageToken(scope, req->page_token());
  if (!position.ok()) return ToGrpcStatus(position.status());
  int64_t before = 0;
  if (!position->empty() && !absl::SimpleAtoi(*position, &before)) {
    return ToGrpcStatus(InvalidArgumentWithViolations({{"page_token", "不是有效的分页标记"}}));
  }
  const int size =
      req->page_size() == 0 ? kDefaultPageSize : std::min(req->page_size(), kMaxPageSize);
  CallDeadline deadline(DeadlineOf(ctx));
  return ToGrpcStatus(InTransaction(
      guard_->pool(),
      [&](pqxx::work& tx) -> absl::Status {
        resp->Clear();
        // The narrower of the parent and the caller's scope.
        std::string where_district = district ? p[1] : (enterprise ? e.district_id : "");
        std::string where_enterprise = enterprise ? e.enterprise : "";
        EnterpriseName scoped;
        if (ParseEnterprise(prefix, &scoped)) {
          where_enterprise = scoped.enterprise;
          where_district = scoped.district_id;
        } else if (absl::StartsWith(prefix, "districts/")) {
          where_district = prefix.substr(strlen("districts/"));
        }
        pqxx::result rows = tx.exec_params(
            absl::StrCat("SELECT ", kNotificationColumns,
                         " FROM notify.notification WHERE ($1 = '' OR district_id = $1) AND ($2 "
                         "= '' OR enterprise = $2) AND ($3 = 0 OR id < $3) AND (NOT $4 OR "
                         "read_time IS NULL) ORDER BY id DESC LIMIT $5"),
            where_district, where_enterprise, before, req->unread_only(), size + 1);
        std::map<int64_t, v1::Notification*> notes;
        for (int i = 0; i < static_cast<int>(rows.size()) && i < size; ++i) {
          v1::Notification* n = resp->add_notifications();
          *n = NotificationRow(rows[i]);
          notes[rows[i][0].as<int64_t>()] = n;
        }
        AddDeliveries(tx, notes);
        if (static_cast<int>(rows.size()) > size) {
          resp->set_next_page_token(
              EncodePageToken(scope, absl::StrCat(rows[size - 1][0].as<int64_t>())));
        }
        return absl::OkStatus();
      },
      Isolation::kRepeatableReadReadOnly));
}

grpc::Status NotificationServiceImpl::MarkNotificationRead(
    grpc::ServerContext* ctx, const v1::MarkNotificationReadRequest* req, v1::Notification* resp) {
  EnterpriseName e;
  int64_t id = 0;
  const bool valid = ParseEnterprise(req->name(), &e) &&
                     absl::StartsWith(e.rest, "notifications/") &&
                     absl::SimpleAtoi(e.rest.substr(strlen("notifications/")), &id) && id > 0;
  if (!valid) {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"name", "须为 districts/{district}/enterprises/{enterprise}/notifications/{id}"}}));
  }
  Mutation m{"MarkNotificationRead", req->name(), req->request_id(), false};
  CallDeadline deadline(DeadlineOf(ctx));
  return guard_->Mutate(ctx, m, resp, [&](const Principal& p, pqxx::work& tx) -> absl::Status {
    // Read once: a second acknowledgement keeps the first time and reader.
    pqxx::result r = tx.exec_params(
        absl::StrCat("UPDATE notify.notification SET read_time = coalesce(read_time, now()), "
                     "read_by = CASE WHEN read_time IS NULL THEN $3 ELSE read_by END "
                     "WHERE id = $1 AND enterprise = $2 RETURNING ",
                     kNotificationColumns),
        id, e.enterprise, p.key_name);
    if (r.empty()) return absl::NotFoundError(absl::StrCat(req->name(), " 不存在"));
    *resp = NotificationRow(r[0]);
    std::map<int64_t, v1::Notification*> notes = {{id, resp}};
    AddDeliveries(tx, notes);
    return absl::OkStatus();
  });
}

grpc::Status NotificationServiceImpl::GetContactSettings(grpc::ServerContext* ctx,
                                                         const v1::GetContactSettingsRequest* req,
                                                         v1::ContactSettings* resp) {
  EnterpriseName e;
  if (!ParseEnterprise(req->name(), &e) || e.rest != "contactSettings") {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"name", "须为 districts/{district}/enterprises/{enterprise}/contactSettings"}}));
  }
  auto principal = guard_->Check(ctx, "GetContactSettings", e.enterprise);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  CallDeadline deadline(DeadlineOf(ctx));
  return ToGrpcStatus(InTransaction(
      guard_->pool(),
      [&](pqxx::work& tx) {
        *resp = ContactRow(e.enterprise, tx.exec_params(kContactQuery, e.enterprise));
        return absl::OkStatus();
      },
      Isolation::kReadOnly));
}

grpc::Status NotificationServiceImpl::UpdateContactSettings(
    grpc::ServerContext* ctx, const v1::UpdateContactSettingsRequest* req,
    v1::ContactSettings* resp) {
  const v1::ContactSettings& c = req->contact_settings();
  EnterpriseName e;
  const bool named = ParseEnterprise(c.name(), &e) && e.rest == "contactSettings";
  Mutation m{"UpdateContactSettings", named ? e.enterprise : "", req->request_id(), false};
  // Validate everything before anything is written; name every bad field.
  std::vector<FieldViolation> v;
  if (!named) {
    v.push_back({"contact_settings.name",
                 "须为 districts/{district}/enterprises/{enterprise}/contactSettings"});
  }
  if (!c.email().empty() && !PlausibleEmail(c.email())) {
    v.push_back({"contact_settings.email",
                 absl::StrCat("\"", c.email().substr(0, 100), "\" 不是有效的邮箱地址")});
  }
  if (!c.webhook_url().empty()) {
    if (absl::Status s = ValidateWebhookUrl(c.webhook_url()); !s.ok()) {
      v.push_back({"contact_settings.webhook_url", std::string(s.message())});
    }
  }
  if (!c.webhook_secret().empty() &&
      (c.webhook_secret().size() < 16 || c.webhook_secret().size() > 200)) {
    v.push_back({"contact_settings.webhook_secret", "须为 16 至 200 个字符"});
  }
  std::set<int> seen;
  std::vector<std::string> channels;
  for (int i = 0; i < c.channels_size(); ++i) {
    const std::string field = absl::StrCat("contact_settings.channels[", i, "]");
    if (c.channels(i) != v1::EMAIL && c.channels(i) != v1::WEBHOOK) {
      v.push_back({field, "须为邮件（EMAIL）或推送（WEBHOOK）"});
    } else if (!seen.insert(c.channels(i)).second) {
      v.push_back({field, "重复填写"});
    } else if (c.channels(i) == v1::EMAIL && c.email().empty()) {
      v.push_back({field, "选择邮件（EMAIL）须填写邮箱（contact_settings.email）"});
    } else if (c.channels(i) == v1::WEBHOOK && c.webhook_url().empty()) {
      v.push_back({field, "选择推送（WEBHOOK）须填写推送地址（contact_settings.webhook_url）"});
    } else {
      channels.push_back(v1::NotificationChannel_Name(c.channels(i)));
    }
  }
  // A name that names no enterprise cannot be authorised: say what is wrong.
  if (!named) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  auto principal = guard_->Authenticate(ctx);
  if (principal.ok() && v.empty()) {
    // The enterprise must exist (asked with the caller's own key).
    v1::GetEnterpriseRequest get;
    get.set_name(e.enterprise);
    v1::Enterprise found;
    grpc::ClientContext call;
    ForwardCaller(*ctx, &call, absl::Seconds(10));
    grpc::Status s = registry_->GetEnterprise(&call, get, &found);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      v.push_back({"contact_settings.name", absl::StrCat("登记中没有企业 ", e.enterprise)});
    }
  }
  const std::string sealed =
      c.webhook_secret().empty() ? "" : SealSecret(secret_key_, c.webhook_secret());
  const std::string fingerprint =
      c.webhook_secret().empty() ? "" : Sha256Hex(c.webhook_secret()).substr(0, 12);
  CallDeadline deadline(DeadlineOf(ctx));
  return guard_->Mutate(ctx, m, resp, [&](const Principal& p, pqxx::work& tx) -> absl::Status {
    if (!v.empty()) return InvalidArgumentWithViolations(v);
    pqxx::result old = tx.exec_params(
        "SELECT webhook_secret_sealed IS NOT NULL FROM notify.contact WHERE enterprise = $1 FOR "
        "UPDATE",
        e.enterprise);
    const bool had_secret = !old.empty() && old[0][0].as<bool>();
    if (!c.webhook_url().empty() && sealed.empty() && !had_secret) {
      return InvalidArgumentWithViolations(
          {{"contact_settings.webhook_secret", "推送地址须配签名密钥（16—200 个字符）"}});
    }
    tx.exec_params0(
        "INSERT INTO notify.contact AS c (enterprise, district_id, email, webhook_url, "
        "webhook_secret_sealed, webhook_secret_fingerprint, channels, update_time, updated_by) "
        "VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN $6::bytea END, $7, $8::text[], now(), $9) "
        "ON CONFLICT (enterprise) DO UPDATE SET email = excluded.email, webhook_url = "
        "excluded.webhook_url, webhook_secret_sealed = CASE WHEN $5 THEN $6::bytea ELSE "
        "c.webhook_secret_sealed END, webhook_secret_fingerprint = CASE WHEN $5 THEN $7 ELSE "
        "c.webhook_secret_fingerprint END, channels = excluded.channels, update_time = now(), "
        "updated_by = excluded.updated_by",
        e.enterprise, e.district_id, c.email(), c.webhook_url(), !sealed.empty(),
        pqxx::binarystring(sealed), fingerprint,
        absl::StrCat("{", absl::StrJoin(channels, ","), "}"), p.key_name);
    *resp = ContactRow(e.enterprise, tx.exec_params(kContactQuery, e.enterprise));
    return absl::OkStatus();
  });
}

}  // namespace cuofeng
