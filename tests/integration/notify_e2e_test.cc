// Notifications end to end: real server processes on a real PostgreSQL, a
// real SMTP sink (python3-aiosmtpd) and a real webhook receiver (Python's
// http.server), both subprocesses written by this test. An alert gives each
// affected enterprise exactly one e-mail and one signed webhook; a failing
// webhook is retried and dead-lettered; a server killed between the outbox
// write and the delivery delivers once after a restart; an approved
// amendment notifies too.
#include <openssl/hmac.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cuofeng/v1/notify.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace ::cuofeng::testing;

constexpr char kDistrict[] = "districts/120119";
constexpr char kSeason[] = "districts/120119/seasons/current";
constexpr char kSecretA[] = "secret-of-plant-a-0123456789";
constexpr char kSecretB[] = "secret-of-plant-b-9876543210";

constexpr char kSmtpSink[] = R"py(
import email, email.policy, json, os, signal, sys, threading
from aiosmtpd.controller import Controller
out, port = sys.argv[1], int(sys.argv[2])
class Sink:
    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"
    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        rec = {"mail_from": envelope.mail_from, "rcpt_to": ",".join(envelope.rcpt_tos),
               "subject": str(msg["subject"]), "message_id": str(msg["message-id"]),
               "body": msg.get_content()}
        tmp = os.path.join(out, ".mail-%d.tmp" % n)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(rec, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(out, "mail-%d.json" % n))
        return "250 OK"
controller = Controller(Sink(), hostname="127.0.0.1", port=port)
controller.start()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
open(os.path.join(out, "smtp.ready"), "w").close()
stop.wait()
controller.stop()
)py";

constexpr char kWebhookReceiver[] = R"py(
import json, os, signal, ssl, sys, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
out, port = sys.argv[1], int(sys.argv[2])
lock = threading.Lock()
count = [0]
class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")
        with lock:
            count[0] += 1
            n = count[0]
        rec = {"path": self.path, "body": body,
               "signature": self.headers.get("X-Cuofeng-Signature", ""),
               "timestamp": self.headers.get("X-Cuofeng-Timestamp", ""),
               "delivery": self.headers.get("X-Cuofeng-Delivery", "")}
        tmp = os.path.join(out, ".hook-%d.tmp" % n)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(rec, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(out, "hook-%d.json" % n))
        self.send_response(500 if "fail" in self.path else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", port), Hook)
if len(sys.argv) > 4:  # https: certificate and key files
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
open(os.path.join(out, "hook.ready"), "w").close()
server.serve_forever()
)py";

google::protobuf::Timestamp In(absl::Duration d) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(absl::Now() + d));
  return ts;
}

bool WaitUntil(const std::function<bool()>& done, absl::Duration max = absl::Seconds(90)) {
  const absl::Time end = absl::Now() + max;
  while (absl::Now() < end) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return done();
}

// A Python receiver running as a subprocess, stopped on scope exit.
class Receiver {
 public:
  Receiver(const std::string& dir, const std::string& script, const std::string& ready,
           std::vector<std::string> extra = {})
      : port_(FreePort()) {
    const std::string path = absl::StrCat(dir, "/", ready, ".py");
    std::ofstream(path) << script;
    const std::string log = absl::StrCat(dir, "/", ready, ".log");
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = freopen(log.c_str(), "w", stdout);
      (void)f;
      dup2(fileno(stdout), 2);
      std::vector<std::string> args = {"python3", path, dir, std::to_string(port_)};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv("/usr/bin/python3", argv.data());
      _exit(127);
    }
    ready_ = WaitUntil([&] { return std::filesystem::exists(absl::StrCat(dir, "/", ready)); },
                       absl::Seconds(30));
    if (!ready_) log_ = ReadFile(log);
  }
  ~Receiver() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      if (!WaitUntil([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, absl::Seconds(10))) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
  }
  int port() const { return port_; }
  bool ready() const { return ready_; }
  const std::string& log() const { return log_; }

 private:
  int port_;
  pid_t pid_ = -1;
  bool ready_ = false;
  std::string log_;
};

// What a receiver wrote: one JSON object per message, by file prefix.
std::vector<google::protobuf::Struct> Messages(const std::string& dir, const std::string& prefix) {
  std::vector<google::protobuf::Struct> out;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    const std::string name = f.path().filename();
    if (!absl::StartsWith(name, prefix) || !absl::EndsWith(name, ".json")) continue;
    google::protobuf::Struct s;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(ReadFile(f.path()), &s).ok()) << name;
    out.push_back(std::move(s));
  }
  return out;
}

std::string Str(const google::protobuf::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "" : it->second.string_value();
}

std::string Hmac(const std::string& secret, const std::string& text) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &len);
  return absl::StrCat("sha256=",
                      absl::BytesToHexString(std::string(reinterpret_cast<const char*>(mac), len)));
}

class NotifyE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    smtp_ = std::make_unique<Receiver>(dir_, kSmtpSink, "smtp.ready");
    ASSERT_TRUE(smtp_->ready()) << smtp_->log();
    hooks_ = std::make_unique<Receiver>(dir_, kWebhookReceiver, "hook.ready");
    ASSERT_TRUE(hooks_->ready()) << hooks_->log();
    dsn_ = FreshDatabase("notify");
    admin_ = BootstrapAdmin(dsn_);
  }
  void TearDown() override {
    servers_.clear();
    smtp_.reset();
    hooks_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> Flags(bool deliver = true) const {
    return {absl::StrCat("--smtp_server=127.0.0.1:", smtp_->port()),
            "--mail_from=cuofeng@jizhou.example",
            "--notify_poll=100ms",
            "--notify_retry_base=100ms",
            "--notify_max_attempts=3",
            absl::StrCat("--notify_deliver=", deliver ? "true" : "false"),
            "--webhook_ca_file=" + ca_file_};
  }
  // A self-signed certificate for localhost (its own CA) in dir_/NAME.{crt,key}.
  std::string Certificate(const std::string& name) {
    const std::string base = absl::StrCat(dir_, "/", name);
    CommandResult made =
        RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    base + ".key", "-out", base + ".crt", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"});
    EXPECT_EQ(made.exit_code, 0) << made.output;
    return base;
  }
  ServerProcess* StartServer(bool deliver = true) {
    std::string error;
    servers_.push_back(ServerProcess::Start(dsn_, &error, Flags(deliver)));
    EXPECT_NE(servers_.back(), nullptr) << error;
    Use(servers_.back().get());
    return servers_.back().get();
  }
  void Use(ServerProcess* server) {
    address_ = server->address();
    auto channel = Connect(address_);
    notify_ = v1::NotificationService::NewStub(channel);
    alerts_ = v1::AlertService::NewStub(channel);
    filing_ = v1::FilingService::NewStub(channel);
    planning_ = v1::PlanningService::NewStub(channel);
    registry_ = v1::RegistryService::NewStub(channel);
  }
  CommandResult Cli(const std::string& key, std::vector<std::string> args) {
    return ::cuofeng::testing::Cli(address_, key, std::move(args));
  }

  // A district of 30 enterprises with a filed list for a season around
  // today; picks two enterprises with a line or equipment held harder at
  // orange than in the season.
  void FileDistrict() {
    ASSERT_EQ(Cli(admin_, {"district", "create", "120119", "--name=蓟州区"}).exit_code, 0);
    bureau_ = CreateKey(address_, admin_, "bureau", kDistrict);
    city_ = CreateKey(address_, admin_, "city", "");
    CommandResult imported = ImportSampleDistrict(address_, bureau_, kDistrict, 30, 90);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    CommandResult loaded = LoadRuleSet(address_, bureau_, "jizhou-2018");
    ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
    const absl::TimeZone china = absl::FixedTimeZone(8 * 3600);
    CommandResult season = Cli(
        bureau_, {"season", "create", absl::StrCat("--district=", kDistrict), "--id=current",
                  "--start=" + absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(240), china),
                  "--end=" + absl::FormatTime("%Y-%m-%d", absl::Now() + absl::Hours(2400), china),
                  "--filing_deadline=" +
                      absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(240), china)});
    ASSERT_EQ(season.exit_code, 0) << season.output;
    list_ = Generate();
    v1::ListEntriesRequest req;
    req.set_parent(list_);
    req.set_page_size(1000);
    v1::ListEntriesResponse entries;
    ASSERT_TRUE(planning_->ListEntries(KeyContext(bureau_).get(), req, &entries).ok());
    for (const auto& e : entries.entries()) {
      const bool stricter_at_orange = e.orange().action() != e.season().action() ||
                                      e.orange().percent() != e.season().percent();
      if (stricter_at_orange && e.season().action() != v1::STOP &&
          e.season().action() != v1::RECTIFY && resource_.count(e.enterprise()) == 0) {
        resource_[e.enterprise()] = e.resource();
        resource_name_[e.enterprise()] = e.resource_name();
        if (a_.empty()) {
          a_ = e.enterprise();
        } else if (b_.empty()) {
          b_ = e.enterprise();
        }
      }
    }
    ASSERT_FALSE(a_.empty()) << "the sample district has no plant held harder at orange";
    v1::SubmitListRequest submit;
    submit.set_name(list_);
    v1::Filing f;
    ASSERT_TRUE(filing_->SubmitList(KeyContext(bureau_).get(), submit, &f).ok());
    v1::AcknowledgeFilingRequest ack;
    ack.set_name(list_);
    ASSERT_TRUE(filing_->AcknowledgeFiling(KeyContext(city_).get(), ack, &f).ok());
  }
  std::string Generate() {
    v1::GenerateListRequest req;
    req.set_parent(kDistrict);
    req.set_season(kSeason);
    req.set_rule_set("ruleSets/jizhou-2018");
    v1::ListVersion out;
    grpc::Status s = planning_->GenerateList(KeyContext(bureau_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.name();
  }
  std::string Email(const std::string& enterprise) {
    return absl::StrCat(enterprise.substr(enterprise.rfind('/') + 1), "@plant.example");
  }
  // Contacts through the CLI: the secret from a file, never on the command line.
  void SetContacts(const std::string& key, const std::string& enterprise, const std::string& path,
                   const std::string& secret) {
    const std::string secret_file = absl::StrCat(dir_, "/secret-", Email(enterprise));
    std::ofstream(secret_file) << secret << "\n";
    CommandResult set =
        Cli(key, {"notifications", "contacts", "set", enterprise, "--email=" + Email(enterprise),
                  absl::StrCat("--webhook_url=http://127.0.0.1:", hooks_->port(), path),
                  "--webhook_secret_file=" + secret_file, "--channels=EMAIL,推送"});
    ASSERT_EQ(set.exit_code, 0) << set.output;
    EXPECT_THAT(set.output, Not(HasSubstr(secret)));
  }
  v1::Alert Issue(const std::string& document) {
    v1::IssueAlertRequest req;
    req.mutable_alert()->set_level(v1::ORANGE);
    req.mutable_alert()->add_districts(kDistrict);
    *req.mutable_alert()->mutable_start_time() = In(absl::Hours(1));
    *req.mutable_alert()->mutable_end_time() = In(absl::Hours(3));
    req.mutable_alert()->set_document_number(document);
    v1::Alert out;
    grpc::Status s = alerts_->IssueAlert(KeyContext(city_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  // The notifications of `parent` as `key` sees them, newest first.
  std::vector<v1::Notification> Notifications(const std::string& key,
                                              const std::string& parent = kDistrict) {
    v1::ListNotificationsRequest req;
    req.set_parent(parent);
    req.set_page_size(500);
    v1::ListNotificationsResponse resp;
    grpc::Status s = notify_->ListNotifications(KeyContext(key).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.notifications().begin(), resp.notifications().end()};
  }
  // The notification of `enterprise` caused by `cause`, once its deliveries
  // are all in `state` (nullopt after the wait).
  std::optional<v1::Notification> WaitFor(const std::string& enterprise, const std::string& cause,
                                          v1::DeliveryState state, int deliveries = 2) {
    std::optional<v1::Notification> found;
    WaitUntil([&] {
      for (const v1::Notification& n : Notifications(bureau_)) {
        if (n.enterprise() != enterprise || n.cause() != cause) continue;
        int in_state = 0;
        for (const v1::Delivery& d : n.deliveries()) in_state += d.state() == state;
        if (in_state == deliveries && n.deliveries_size() == deliveries) {
          found = n;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::vector<google::protobuf::Struct> MailsAbout(const std::string& text) {
    std::vector<google::protobuf::Struct> out;
    for (auto& m : Messages(dir_, "mail-")) {
      if (absl::StrContains(Str(m, "subject"), text) || absl::StrContains(Str(m, "body"), text))
        out.push_back(m);
    }
    return out;
  }
  std::vector<google::protobuf::Struct> HooksFor(const std::string& notification) {
    std::vector<google::protobuf::Struct> out;
    for (auto& m : Messages(dir_, "hook-")) {
      if (Str(m, "delivery") == notification) out.push_back(m);
    }
    return out;
  }
  // Checks one delivered webhook: the signature, and the body as the notification.
  void ExpectSignedWebhook(const google::protobuf::Struct& hook, const std::string& secret,
                           const v1::Notification& n) {
    EXPECT_EQ(Str(hook, "signature"),
              Hmac(secret, absl::StrCat(Str(hook, "timestamp"), ".", Str(hook, "body"))));
    EXPECT_NE(Str(hook, "signature"),
              Hmac("another secret of 16+ chars",
                   absl::StrCat(Str(hook, "timestamp"), ".", Str(hook, "body"))));
    v1::Notification sent;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(Str(hook, "body"), &sent).ok());
    EXPECT_EQ(sent.name(), n.name());
    EXPECT_EQ(sent.enterprise(), n.enterprise());
    EXPECT_EQ(sent.document_number(), n.document_number());
    EXPECT_EQ(sent.body(), n.body());
    EXPECT_EQ(sent.changes_size(), n.changes_size());
  }

  std::string dir_, dsn_, admin_, bureau_, city_, address_, list_, a_, b_;
  std::map<std::string, std::string> resource_, resource_name_;
  std::unique_ptr<Receiver> smtp_, hooks_;
  std::string ca_file_;  // --webhook_ca_file
  std::vector<std::unique_ptr<ServerProcess>> servers_;
  std::unique_ptr<v1::NotificationService::Stub> notify_;
  std::unique_ptr<v1::AlertService::Stub> alerts_;
  std::unique_ptr<v1::FilingService::Stub> filing_;
  std::unique_ptr<v1::PlanningService::Stub> planning_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
};

TEST_F(NotifyE2eTest, AnAlertSendsEachAffectedPlantOneMailAndOneSignedWebhook) {
  // Two processes on one database both deliver: neither may send twice.
  ServerProcess* first = StartServer();
  StartServer();
  Use(first);
  FileDistrict();
  ASSERT_FALSE(b_.empty()) << "the sample district has no two plants held harder at orange";
  const std::string key_a = CreateKey(address_, admin_, "enterprise", a_);
  SetContacts(bureau_, a_, "/hooks/a", kSecretA);  // the bureau sets one
  SetContacts(key_a, a_, "/hooks/a", kSecretA);    // the plant itself too
  const std::string key_b = CreateKey(address_, admin_, "enterprise", b_);
  SetContacts(key_b, b_, "/hooks/b", kSecretB);
  // A plant may not set another plant's contacts; the secret is never returned.
  CommandResult other = Cli(
      key_b, {"notifications", "contacts", "set", a_, "--email=x@y.example", "--channels=EMAIL"});
  EXPECT_EQ(other.exit_code, 6) << other.output;
  CommandResult got = Cli(bureau_, {"notifications", "contacts", "get", a_, "--output=json"});
  ASSERT_EQ(got.exit_code, 0) << got.output;
  EXPECT_THAT(got.output, Not(HasSubstr(kSecretA)));
  EXPECT_THAT(got.output, HasSubstr("webhook_secret_set"));
  EXPECT_EQ(SqlScalar(dsn_, absl::StrCat("SELECT count(*) FROM notify.contact WHERE "
                                         "position(convert_to('",
                                         kSecretA, "', 'UTF8') in webhook_secret_sealed) > 0")),
            "0");

  const std::string document = "津重污染指〔2026〕7号";
  const v1::Alert alert = Issue(document);
  const std::string cause = absl::StrCat(alert.name(), "@1");
  for (const auto& [enterprise, secret] :
       std::vector<std::pair<std::string, std::string>>{{a_, kSecretA}, {b_, kSecretB}}) {
    SCOPED_TRACE(enterprise);
    auto n = WaitFor(enterprise, cause, v1::DELIVERED);
    ASSERT_TRUE(n.has_value()) << servers_[0]->Log() << servers_[1]->Log();
    EXPECT_EQ(n->document_number(), document);
    EXPECT_EQ(n->cause_kind(), "ALERT_ISSUED");
    EXPECT_THAT(n->title(), HasSubstr("橙色预警"));
    // The line or equipment, what changes, from when, why.
    bool stop = false;
    for (const v1::ObligationChange& ch : n->changes()) {
      if (ch.resource() != resource_[enterprise]) continue;
      stop = true;
      EXPECT_NE(ch.after(), ch.before());
      EXPECT_EQ(ch.from().seconds(), alert.start_time().seconds());
      EXPECT_EQ(ch.until().seconds(), alert.end_time().seconds());
      EXPECT_EQ(ch.alert(), alert.name());
      EXPECT_THAT(ch.reason(), HasSubstr("（T"));  // the seed clause
    }
    EXPECT_TRUE(stop) << n->body();
    // Exactly one e-mail to the plant's address, with the text.
    std::vector<google::protobuf::Struct> mails;
    for (auto& m : MailsAbout(document)) {
      if (Str(m, "rcpt_to") == Email(enterprise)) mails.push_back(m);
    }
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(Str(mails[0], "subject"), n->title());
    EXPECT_THAT(Str(mails[0], "body"), HasSubstr(resource_name_[enterprise]));
    // The mail is read by people: names, not API resource names.
    EXPECT_THAT(Str(mails[0], "body"), Not(HasSubstr(resource_[enterprise])));
    EXPECT_THAT(Str(mails[0], "body"), Not(HasSubstr("districts/")));
    EXPECT_THAT(Str(mails[0], "body"), HasSubstr(document));
    EXPECT_THAT(Str(mails[0], "message_id"), HasSubstr(n->name().substr(n->name().rfind('/') + 1)));
    // Exactly one webhook, signed with the plant's own secret.
    auto hooks = HooksFor(n->name());
    ASSERT_EQ(hooks.size(), 1u);
    ExpectSignedWebhook(hooks[0], secret, *n);
  }
  // Each plant sees only its own; the bureau sees who read what.
  const std::vector<v1::Notification> own = Notifications(key_a, kDistrict);
  ASSERT_FALSE(own.empty());
  std::string a_alert;
  for (const v1::Notification& n : own) {
    EXPECT_EQ(n.enterprise(), a_);
    if (n.cause() == cause) a_alert = n.name();
  }
  ASSERT_FALSE(a_alert.empty());
  EXPECT_EQ(Cli(key_b, {"notifications", "read", a_alert}).exit_code, 6);
  CommandResult read = Cli(key_a, {"notifications", "read", a_alert});
  ASSERT_EQ(read.exit_code, 0) << read.output;
  EXPECT_THAT(read.output, HasSubstr("已读"));
  CommandResult listed = Cli(bureau_, {"notifications", "list", "--parent=" + a_});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("已读"));
  EXPECT_THAT(listed.output, HasSubstr("已送达"));
  for (const v1::Notification& n : Notifications(bureau_, a_)) {
    if (n.name() == a_alert) {
      EXPECT_TRUE(n.has_read_time());
      EXPECT_FALSE(n.read_by().empty());
    }
  }
}

TEST_F(NotifyE2eTest, AFailingWebhookIsRetriedThenDeadLettered) {
  StartServer();
  FileDistrict();
  SetContacts(bureau_, a_, "/hooks/fail", kSecretA);
  // The second plant's mail server refuses its address: the refusal, as the
  // server said it, is what the bureau reads.
  ASSERT_FALSE(b_.empty());
  CommandResult refused_mail = Cli(bureau_, {"notifications", "contacts", "set", b_,
                                             "--email=refused@plant.example", "--channels=EMAIL"});
  ASSERT_EQ(refused_mail.exit_code, 0) << refused_mail.output;
  const std::string document = "津重污染指〔2026〕8号";
  const v1::Alert alert = Issue(document);
  const std::string cause = absl::StrCat(alert.name(), "@1");
  std::optional<v1::Notification> n;
  ASSERT_TRUE(WaitUntil([&] {
    n = std::nullopt;
    for (const v1::Notification& x : Notifications(bureau_, a_)) {
      if (x.cause() != cause) continue;
      for (const v1::Delivery& d : x.deliveries()) {
        if (d.channel() == v1::WEBHOOK && d.state() == v1::DELIVERY_DEAD) n = x;
      }
    }
    return n.has_value();
  })) << servers_[0]->Log();
  for (const v1::Delivery& d : n->deliveries()) {
    if (d.channel() == v1::WEBHOOK) {
      EXPECT_EQ(d.attempts(), 3);                          // --notify_max_attempts=3
      EXPECT_EQ(d.last_error(), "推送地址答复 HTTP 500");  // no English status code before it
    } else {
      EXPECT_EQ(d.state(), v1::DELIVERED);
    }
  }
  // The receiver saw the three attempts, each signed, and nothing more.
  const auto hooks = HooksFor(n->name());
  EXPECT_EQ(hooks.size(), 3u);
  for (const auto& h : hooks) ExpectSignedWebhook(h, kSecretA, *n);
  EXPECT_EQ(MailsAbout(document).size(), 1u);
  auto dead_mail = WaitFor(b_, cause, v1::DELIVERY_DEAD, 1);
  ASSERT_TRUE(dead_mail.has_value()) << servers_[0]->Log();
  EXPECT_EQ(dead_mail->deliveries(0).attempts(), 3);
  EXPECT_THAT(dead_mail->deliveries(0).last_error(),
              HasSubstr("SMTP 服务器拒绝收件人（RCPT TO）：550 5.1.1 <refused@plant.example>: "
                        "Recipient address rejected"));
}

// https webhooks: to a receiver whose certificate chains to the CA the
// server was given, delivered once and signed; to one whose certificate
// nothing vouches for, refused and dead-lettered with the reason.
TEST_F(NotifyE2eTest, HttpsWebhooksAreDeliveredOnlyToTrustedCertificates) {
  const std::string trusted = Certificate("trusted"), stranger = Certificate("stranger");
  ca_file_ = trusted + ".crt";
  const std::string tls_dir = dir_ + "/tls", bad_dir = dir_ + "/untrusted";
  std::filesystem::create_directories(tls_dir);
  std::filesystem::create_directories(bad_dir);
  Receiver tls(tls_dir, kWebhookReceiver, "hook.ready", {trusted + ".crt", trusted + ".key"});
  ASSERT_TRUE(tls.ready()) << tls.log();
  Receiver bad(bad_dir, kWebhookReceiver, "hook.ready", {stranger + ".crt", stranger + ".key"});
  ASSERT_TRUE(bad.ready()) << bad.log();
  StartServer();
  FileDistrict();
  ASSERT_FALSE(b_.empty());
  auto set = [&](const std::string& enterprise, int port, const std::string& secret) {
    const std::string secret_file = absl::StrCat(dir_, "/tls-secret-", Email(enterprise));
    std::ofstream(secret_file) << secret << "\n";
    CommandResult r =
        Cli(bureau_, {"notifications", "contacts", "set", enterprise,
                      absl::StrCat("--webhook_url=https://localhost:", port, "/hooks"),
                      "--webhook_secret_file=" + secret_file, "--channels=推送"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  };
  set(a_, tls.port(), kSecretA);
  set(b_, bad.port(), kSecretB);
  const v1::Alert alert = Issue("津重污染指〔2026〕11号");
  const std::string cause = absl::StrCat(alert.name(), "@1");
  auto n = WaitFor(a_, cause, v1::DELIVERED, 1);
  ASSERT_TRUE(n.has_value()) << servers_[0]->Log();
  std::vector<google::protobuf::Struct> got;
  for (auto& m : Messages(tls_dir, "hook-")) {
    if (Str(m, "delivery") == n->name()) got.push_back(m);
  }
  ASSERT_EQ(got.size(), 1u);
  ExpectSignedWebhook(got[0], kSecretA, *n);
  auto refused = WaitFor(b_, cause, v1::DELIVERY_DEAD, 1);
  ASSERT_TRUE(refused.has_value()) << servers_[0]->Log();
  EXPECT_THAT(refused->deliveries(0).last_error(), HasSubstr("的证书不受信任："));
  EXPECT_TRUE(Messages(bad_dir, "hook-").empty());
}

TEST_F(NotifyE2eTest, AServerKilledBetweenOutboxAndDeliveryDeliversOnceAfterRestart) {
  ServerProcess* writer = StartServer(/*deliver=*/false);
  FileDistrict();
  SetContacts(bureau_, a_, "/hooks/a", kSecretA);
  const std::string document = "津重污染指〔2026〕9号";
  const v1::Alert alert = Issue(document);
  const std::string cause = absl::StrCat(alert.name(), "@1");
  // The outbox holds the notification, its deliveries pending: kill -9 now.
  ASSERT_TRUE(WaitFor(a_, cause, v1::DELIVERY_PENDING).has_value()) << writer->Log();
  writer->Kill();
  EXPECT_TRUE(MailsAbout(document).empty());
  StartServer();
  auto n = WaitFor(a_, cause, v1::DELIVERED);
  ASSERT_TRUE(n.has_value()) << servers_.back()->Log();
  EXPECT_EQ(MailsAbout(document).size(), 1u);
  EXPECT_EQ(HooksFor(n->name()).size(), 1u);
  for (const v1::Delivery& d : n->deliveries()) EXPECT_EQ(d.attempts(), 1);
}

TEST_F(NotifyE2eTest, AnApprovedAmendmentNotifiesThePlantsItChanges) {
  StartServer();
  FileDistrict();
  SetContacts(bureau_, a_, "/hooks/a", kSecretA);
  // A is now a restricted-class plant: the amendment stops it.
  v1::UpdateEnterpriseRequest update;
  update.mutable_enterprise()->set_name(a_);
  update.mutable_enterprise()->set_restricted_class(true);
  update.mutable_update_mask()->add_paths("restricted_class");
  v1::Enterprise changed;
  ASSERT_TRUE(registry_->UpdateEnterprise(KeyContext(bureau_).get(), update, &changed).ok());
  const std::string amendment = Generate();
  v1::AmendFilingRequest amend;
  amend.set_filed(list_);
  amend.set_amendment(amendment);
  amend.set_reason("该企业属限制类，停产");
  v1::Filing f;
  ASSERT_TRUE(filing_->AmendFiling(KeyContext(bureau_).get(), amend, &f).ok());
  v1::AcknowledgeFilingRequest approve;
  approve.set_name(amendment);
  ASSERT_TRUE(filing_->AcknowledgeFiling(KeyContext(city_).get(), approve, &f).ok());
  auto n = WaitFor(a_, amendment, v1::DELIVERED);
  ASSERT_TRUE(n.has_value()) << servers_[0]->Log();
  EXPECT_EQ(n->cause_kind(), "LIST_FILED");
  EXPECT_THAT(n->title(), HasSubstr("错峰生产清单变更"));
  EXPECT_THAT(n->body(), HasSubstr("该企业属限制类，停产"));
  bool stop = false;
  for (const v1::ObligationChange& ch : n->changes()) {
    stop = stop || absl::StartsWith(ch.after(), "停产");
  }
  EXPECT_TRUE(stop) << n->body();
  EXPECT_EQ(MailsAbout("该企业属限制类，停产").size(), 1u);
  EXPECT_EQ(HooksFor(n->name()).size(), 1u);
  // One notification per (enterprise, change), however often it is fanned out.
  EXPECT_EQ(SqlScalar(dsn_,
                      "SELECT count(*) FROM (SELECT enterprise, change_id FROM "
                      "notify.notification GROUP BY 1, 2 HAVING count(*) > 1) d"),
            "0");
}

}  // namespace
}  // namespace cuofeng
