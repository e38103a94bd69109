#include "services/notify/worker.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "lib/hash/sha256.h"
#include "lib/log/log.h"
#include "services/core/audit.h"
#include "services/notify/channels.h"
#include "services/notify/notice.h"

namespace cuofeng {
namespace {

constexpr int kBatch = 4;  // deliveries per claim: kBatch * send_timeout < the lease
constexpr absl::Duration kChangeLease = absl::Seconds(60);
constexpr absl::Duration kStatementTime = absl::Seconds(30);

// A stored error: at most 300 bytes, cut between characters, a peer's
// invalid UTF-8 or control bytes as '?' (PostgreSQL refuses invalid UTF-8).
std::string Bounded(absl::string_view s) { return AuditText(s, 300); }

struct Claimed {
  int64_t notification_id = 0;
  std::string channel, destination;
  int attempts = 0;
  v1::Notification notification;
  std::string sealed_secret;
};

}  // namespace

NotificationWorker::NotificationWorker(ConnectionPool* pool, ObligationCache* cache,
                                       std::string secret_key, NotifyOptions options)
    : pool_(pool), cache_(cache), secret_key_(std::move(secret_key)), options_(options) {}

NotificationWorker::~NotificationWorker() { Stop(); }

void NotificationWorker::Start() {
  thread_ = std::thread([this] {
    do {
      if (absl::Status s = FanOut(); !s.ok()) {
        logging::Warning("notifications: fan-out failed; retrying", {{"error", s.message()}});
      }
      if (options_.deliver) {
        if (absl::Status s = Deliver(); !s.ok()) {
          logging::Warning("notifications: delivery pass failed; retrying",
                           {{"error", s.message()}});
        }
      }
    } while (!stop_.WaitForNotificationWithTimeout(options_.poll));
  });
}

void NotificationWorker::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::Status NotificationWorker::FanOut() {
  for (int i = 0; i < 1000 && !stop_.HasBeenNotified(); ++i) {
    auto more = FanOutOne();
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> NotificationWorker::FanOutOne() {
  RecordedChange change;
  bool claimed = false;
  {
    CallDeadline deadline(absl::Now() + kStatementTime);
    absl::Status s = InTransaction(*pool_, [&](pqxx::work& tx) {
      pqxx::result r = tx.exec_params(
          "UPDATE notify.change SET lease_until = now() + make_interval(secs => $1), "
          "attempts = attempts + 1 WHERE id = (SELECT id FROM notify.change WHERE "
          "processed_time IS NULL AND (lease_until IS NULL OR lease_until < now()) ORDER BY id "
          "LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, kind, subject, revision, "
          "array_to_string(district_ids, ','), document_number, level, note, replaces, reason, "
          "extract(epoch from effective_time)::float8",
          absl::ToDoubleSeconds(kChangeLease));
      if (r.empty()) return absl::OkStatus();
      claimed = true;
      const pqxx::row& row = r[0];
      change.id = row[0].as<int64_t>();
      change.kind = row[1].as<std::string>();
      change.subject = row[2].as<std::string>();
      change.revision = row[3].as<int>();
      change.district_ids = absl::StrSplit(row[4].as<std::string>(), ',', absl::SkipEmpty());
      change.document_number = row[5].as<std::string>();
      change.level = row[6].as<std::string>();
      change.note = row[7].as<std::string>();
      change.replaces = row[8].as<std::string>();
      change.reason = row[9].as<std::string>();
      change.effective = absl::FromUnixMicros(static_cast<int64_t>(row[10].as<double>() * 1e6));
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
  }
  if (!claimed) return false;
  // Compute with no connection held: the cache may load from the database.
  std::vector<std::pair<std::string, v1::Notification>> notices;
  for (const std::string& district : change.district_ids) {
    auto view = cache_->Get(district);
    if (!view.ok()) {
      CallDeadline deadline(absl::Now() + kStatementTime);
      (void)InTransaction(*pool_, [&](pqxx::work& tx) {
        tx.exec_params0("UPDATE notify.change SET last_error = $2 WHERE id = $1", change.id,
                        Bounded(view.status().message()));
        return absl::OkStatus();
      });
      return view.status();
    }
    for (v1::Notification& n : ComposeNotices(change, district, *view->lists, *view->alerts)) {
      notices.emplace_back(district, std::move(n));
    }
  }
  int written = 0;
  CallDeadline deadline(absl::Now() + kStatementTime);
  absl::Status s = InTransaction(*pool_, [&](pqxx::work& tx) {
    written = 0;
    for (const auto& [district, n] : notices) {
      pqxx::result id = tx.exec_params(
          "INSERT INTO notify.notification (district_id, enterprise, change_id, body) "
          "VALUES ($1, $2, $3, $4) ON CONFLICT (enterprise, change_id) DO NOTHING RETURNING id",
          district, n.enterprise(), change.id, pqxx::binarystring(n.SerializeAsString()));
      if (id.empty()) continue;  // another process wrote it first
      ++written;
      // One delivery per channel the contact settings name, as they are now.
      tx.exec_params0(
          "INSERT INTO notify.delivery (notification_id, channel, destination) "
          "SELECT $1, ch, CASE ch WHEN 'EMAIL' THEN c.email ELSE c.webhook_url END "
          "FROM notify.contact c, unnest(c.channels) AS ch WHERE c.enterprise = $2 AND "
          "CASE ch WHEN 'EMAIL' THEN c.email ELSE c.webhook_url END <> ''",
          id[0][0].as<int64_t>(), n.enterprise());
    }
    tx.exec_params0(
        "UPDATE notify.change SET processed_time = now(), lease_until = NULL, last_error = '' "
        "WHERE id = $1",
        change.id);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  logging::Info("notifications written", {{"change", change.id},
                                          {"subject", change.subject},
                                          {"kind", change.kind},
                                          {"notifications", static_cast<int64_t>(written)}});
  return true;
}

absl::Status NotificationWorker::Deliver() {
  for (int i = 0; i < 1000 && !stop_.HasBeenNotified(); ++i) {
    auto more = DeliverBatch();
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> NotificationWorker::DeliverBatch() {
  const std::string token = RandomToken(12);
  // The lease outlives every send of the batch, so nobody else takes them.
  const absl::Duration lease = options_.send_timeout * (kBatch + 1) + absl::Seconds(30);
  std::vector<Claimed> batch;
  {
    CallDeadline deadline(absl::Now() + kStatementTime);
    absl::Status s = InTransaction(*pool_, [&](pqxx::work& tx) {
      batch.clear();
      pqxx::result r = tx.exec_params(
          "WITH due AS (SELECT notification_id, channel FROM notify.delivery WHERE state = "
          "'PENDING' AND next_attempt_time <= now() AND (lease_until IS NULL OR lease_until < "
          "now()) ORDER BY next_attempt_time LIMIT $2 FOR UPDATE SKIP LOCKED) "
          "UPDATE notify.delivery d SET lease_until = now() + make_interval(secs => $3), "
          "lease_token = $1, attempts = d.attempts + 1 FROM due WHERE d.notification_id = "
          "due.notification_id AND d.channel = due.channel "
          "RETURNING d.notification_id, d.channel, d.destination, d.attempts",
          token, kBatch, absl::ToDoubleSeconds(lease));
      if (r.empty()) return absl::OkStatus();
      std::vector<std::string> ids;
      for (const auto& row : r) {
        Claimed c;
        c.notification_id = row[0].as<int64_t>();
        c.channel = row[1].as<std::string>();
        c.destination = row[2].as<std::string>();
        c.attempts = row[3].as<int>();
        ids.push_back(absl::StrCat(c.notification_id));
        batch.push_back(std::move(c));
      }
      std::map<int64_t, std::pair<v1::Notification, std::string>> bodies;
      for (const auto& row : tx.exec_params(
               "SELECT n.id, n.body, n.district_id, extract(epoch from n.create_time)::bigint, "
               "c.webhook_secret_sealed FROM notify.notification n LEFT JOIN notify.contact c "
               "ON c.enterprise = n.enterprise WHERE n.id = ANY($1::bigint[])",
               absl::StrCat("{", absl::StrJoin(ids, ","), "}"))) {
        v1::Notification n;
        n.ParseFromString(pqxx::binarystring(row[1]).str());
        n.set_name(absl::StrCat(n.enterprise(), "/notifications/", row[0].as<int64_t>()));
        n.mutable_create_time()->set_seconds(row[3].as<int64_t>());
        bodies[row[0].as<int64_t>()] = {std::move(n),
                                        row[4].is_null() ? "" : pqxx::binarystring(row[4]).str()};
      }
      for (Claimed& c : batch) {
        c.notification = bodies[c.notification_id].first;
        c.sealed_secret = bodies[c.notification_id].second;
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
  }
  if (batch.empty()) return false;
  for (const Claimed& c : batch) {
    // On the network with no connection held; the send has its own deadline.
    absl::Status sent;
    const absl::Time deadline = absl::Now() + options_.send_timeout;
    if (c.channel == "EMAIL") {
      if (options_.smtp_server.empty()) {
        sent = absl::FailedPreconditionError("本服务器没有配置 --smtp_server，无法发送邮件");
      } else {
        Mail mail;
        mail.from = options_.mail_from;
        mail.to = c.destination;
        mail.subject = c.notification.title();
        mail.body = c.notification.body();
        mail.message_id = absl::StrCat("notification-", c.notification_id, "@cuofeng");
        sent = SendMail(options_.smtp_server, mail, deadline);
      }
    } else {
      auto secret =
          c.sealed_secret.empty()
              ? absl::StatusOr<std::string>(absl::FailedPreconditionError("企业没有推送签名密钥"))
              : OpenSecret(secret_key_, c.sealed_secret);
      if (!secret.ok()) {
        sent = secret.status();
      } else {
        std::string json;
        google::protobuf::util::JsonPrintOptions print;
        print.preserve_proto_field_names = true;
        (void)google::protobuf::util::MessageToJsonString(c.notification, &json, print);
        const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
        auto code = PostJson(c.destination,
                             {{"X-Cuofeng-Event", "notification"},
                              {"X-Cuofeng-Delivery", c.notification.name()},
                              {"X-Cuofeng-Timestamp", timestamp},
                              {"X-Cuofeng-Signature", WebhookSignature(*secret, timestamp, json)}},
                             json, deadline);
        if (!code.ok()) {
          sent = code.status();
        } else if (*code < 200 || *code > 299) {
          sent = absl::UnavailableError(absl::StrCat("推送地址答复 HTTP ", *code));
        }
      }
    }
    CallDeadline db_deadline(absl::Now() + kStatementTime);
    absl::Status recorded = InTransaction(*pool_, [&](pqxx::work& tx) {
      if (sent.ok()) {
        tx.exec_params0(
            "UPDATE notify.delivery SET state = 'DELIVERED', delivered_time = now(), "
            "lease_until = NULL, last_error = '' WHERE notification_id = $1 AND channel = $2 "
            "AND lease_token = $3",
            c.notification_id, c.channel, token);
      } else {
        tx.exec_params0(
            "UPDATE notify.delivery SET state = CASE WHEN attempts >= $4 THEN 'DEAD' ELSE "
            "'PENDING' END, next_attempt_time = now() + make_interval(secs => least($5 * "
            "power(2, least(attempts - 1, 20)), 86400)), lease_until = NULL, last_error = $6 "
            "WHERE notification_id = $1 AND channel = $2 AND lease_token = $3",
            c.notification_id, c.channel, token, options_.max_attempts,
            absl::ToDoubleSeconds(options_.retry_base), Bounded(sent.message()));
      }
      return absl::OkStatus();
    });
    const std::string what = absl::StrCat(c.notification.name(), " ", c.channel);
    if (!recorded.ok()) {
      logging::Error("notifications: delivery outcome not recorded (sent again after the lease)",
                     {{"delivery", what}, {"error", recorded.message()}});
    } else if (sent.ok()) {
      logging::Info("notification delivered", {{"delivery", what}, {"attempt", c.attempts}});
    } else {
      logging::Warning("notification not delivered",
                       {{"delivery", what},
                        {"attempt", c.attempts},
                        {"dead", c.attempts >= options_.max_attempts ? "yes" : "no"},
                        {"error", sent.ToString()}});
    }
  }
  return true;
}

}  // namespace cuofeng
