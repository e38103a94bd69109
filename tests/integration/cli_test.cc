// The cuofeng CLI as people and scripts use it: help for every command,
// usage errors named with exit code 2, exit codes by gRPC status, filters
// (AND, OR, NOT, Chinese labels) against a known registry, --output=json of
// every list parsed back into its proto, paging, the refusal of changes that
// change nothing, `registry get` of every kind, and the README's command
// table against `cuofeng help --markdown`. A real server on a fresh database.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
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

struct Outcome {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// RunCuofeng runs the CLI with stdout and stderr apart (scripts read stdout).
Outcome RunCuofeng(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  const std::string dir = TempDir();
  const std::string out_path = dir + "/out", err_path = dir + "/err";
  std::vector<std::string> argv = {BinDir() + "/cuofeng"};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    unsetenv("CUOFENG_KEY");
    unsetenv("CUOFENG_SERVER");
    unsetenv("CUOFENG_TLS_CA");
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Outcome r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn_ = new std::string(FreshDatabase("cli"));
    admin_ = new std::string(BootstrapAdmin(*dsn_));
    std::string error;
    server_ = ServerProcess::Start(*dsn_, &error).release();
    ASSERT_NE(server_, nullptr) << error;
    ASSERT_EQ(
        As(*admin_, {"district", "create", "120119", "--name=蓟州区", "--city=天津市"}).exit_code,
        0);
    bureau_ = new std::string(CreateKey(server_->address(), *admin_, "bureau", kDistrict));
    city_ = new std::string(CreateKey(server_->address(), *admin_, "city", ""));
    other_ = new std::string(CreateKey(server_->address(), *admin_, "bureau", "districts/120101"));
    CommandResult imported = ImportSampleDistrict(server_->address(), *bureau_, kDistrict, 40, 120);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    // A gate, a truck and its whitelist entry, so that every kind has a row.
    const std::string extra = TempDir();
    std::ofstream(extra + "/cameras.csv") << "enterprise_id,id,display_name,gate,direction\n"
                                          << "e10000,gate1,1号门岗摄像头,东门,出入口\n";
    std::ofstream(extra + "/vehicles.csv")
        << "id,plate,emission_stage,vehicle_class,enterprise_id\n"
        << "v90001,津R90001,国五,重型载货车,e10000\n";
    std::ofstream(extra + "/whitelist_entries.csv")
        << "enterprise_id,id,vehicle_id,purpose,valid_from,valid_until\n"
        << "e10000,w1,v90001,SAFE_OPERATION,2018-11-15,2019-03-15\n";
    Outcome added = As(*bureau_, {"import", "registry", extra, "--district=districts/120119"});
    ASSERT_EQ(added.exit_code, 0) << added.err;
    ASSERT_EQ(LoadRuleSet(server_->address(), *bureau_, "jizhou-2018").exit_code, 0);
  }

  static void TearDownTestSuite() { delete server_; }

  static Outcome As(const std::string& key, std::vector<std::string> args) {
    std::vector<std::string> all = {"--server=" + server_->address(), "--key=" + key};
    all.insert(all.end(), args.begin(), args.end());
    return RunCuofeng(all);
  }

  // Every item of a list, as the proto, through --output=json --all.
  template <typename Response>
  static Response ListJson(const std::string& key, std::vector<std::string> args,
                           bool paged = true) {
    args.push_back("--output=json");
    if (paged) args.push_back("--all");
    Outcome r = As(key, args);
    Response resp;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto parsed = google::protobuf::util::JsonStringToMessage(r.out, &resp);
    EXPECT_TRUE(parsed.ok()) << parsed << "\n" << r.out;
    return resp;
  }

  static std::string* dsn_;
  static std::string* admin_;
  static std::string* bureau_;
  static std::string* city_;
  static std::string* other_;
  static ServerProcess* server_;
};

std::string* CliTest::dsn_ = nullptr;
std::string* CliTest::admin_ = nullptr;
std::string* CliTest::bureau_ = nullptr;
std::string* CliTest::city_ = nullptr;
std::string* CliTest::other_ = nullptr;
ServerProcess* CliTest::server_ = nullptr;

std::vector<std::string> Commands() {
  Outcome r = RunCuofeng({"help", "--commands"});
  EXPECT_EQ(r.exit_code, 0);
  return absl::StrSplit(r.out, '\n', absl::SkipEmpty());
}

TEST(CliHelpTest, EveryCommandHasHelpOnStdoutWithFlagsAndAnExample) {
  std::vector<std::string> commands = Commands();
  ASSERT_GE(commands.size(), 45u);
  for (const std::string& command : commands) {
    std::vector<std::string> args = absl::StrSplit(command, ' ');
    args.push_back("--help");
    Outcome r = RunCuofeng(args);
    EXPECT_EQ(r.exit_code, 0) << command << r.err;
    EXPECT_THAT(r.out, HasSubstr("用法: cuofeng " + command)) << command;
    EXPECT_THAT(r.out, HasSubstr("示例：\n  cuofeng " + command)) << command;
    EXPECT_THAT(r.out, HasSubstr("谁用：")) << command;
    EXPECT_EQ(r.err, "") << command;
    // `cuofeng help COMMAND` says the same.
    std::vector<std::string> help = {"help"};
    help.insert(help.end(), args.begin(), args.end() - 1);
    EXPECT_EQ(RunCuofeng(help).out, r.out) << command;
  }
}

TEST(CliHelpTest, HelpNamesEachFlagWithItsValues) {
  Outcome list = RunCuofeng({"registry", "list", "--help"});
  for (const char* flag :
       {"--parent", "--filter", "--output", "--page_size", "--page_token", "--all"}) {
    EXPECT_THAT(list.out, HasSubstr(flag));
  }
  Outcome issue = RunCuofeng({"alert", "issue", "--help"});
  EXPECT_THAT(issue.out, HasSubstr("--level"));
  EXPECT_THAT(issue.out, HasSubstr("YELLOW 黄色, ORANGE 橙色, RED 红色"));
  EXPECT_THAT(issue.out, HasSubstr("YYYY-MM-DD[ HH:MM[:SS]]"));
  Outcome overview = RunCuofeng({"help"});
  EXPECT_EQ(overview.exit_code, 0);
  EXPECT_THAT(overview.out, HasSubstr("退出码："));
  EXPECT_THAT(overview.out, HasSubstr("筛选（--filter"));
  EXPECT_THAT(overview.out, HasSubstr("registry get NAME"));
  Outcome version = RunCuofeng({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out,
              ::testing::MatchesRegex("cuofeng [0-9]+\\.[0-9]+\\.[0-9]+（提交 .+）\n"));
}

TEST(CliHelpTest, BashCompletionComesFromTheSameTable) {
  Outcome r = RunCuofeng({"completion", "bash"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("complete -F _cuofeng cuofeng"));
  for (const std::string& command : Commands()) {
    EXPECT_THAT(r.out, HasSubstr("\"" + command + "\"|")) << command;
  }
  EXPECT_THAT(r.out, HasSubstr("--level) COMPREPLY=( $(compgen -W \"YELLOW ORANGE RED\""));
  const std::string script = TempDir() + "/cuofeng.bash";
  std::ofstream(script) << r.out;
  // The script parses, and completes `cuofeng registry g` to get.
  CommandResult check =
      RunCommand({"/bin/bash", "-c",
                  absl::StrCat("source ", script,
                               " && COMP_WORDS=(cuofeng registry g) COMP_CWORD=2 && _cuofeng && "
                               "echo \"${COMPREPLY[@]}\"")});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("get"));
}

TEST(CliHelpTest, ReadmeTableIsTheHelpTable) {
  Outcome table = RunCuofeng({"help", "--markdown"});
  ASSERT_EQ(table.exit_code, 0);
  const std::string readme = ReadFile(SourcePath("README.md"));
  const std::string begin = "<!-- cuofeng help --markdown: begin -->\n";
  const std::string end = "<!-- cuofeng help --markdown: end -->";
  size_t b = readme.find(begin), e = readme.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(readme.substr(b + begin.size(), e - b - begin.size()), table.out)
      << "regenerate the README's table with build/bin/cuofeng help --markdown";
}

TEST(CliUsageTest, BadUsageIsExitTwoAndSaysWhat) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"registry", "summary"}, "缺少 --district（必填）"},
      {{"season", "create", "--district=districts/1", "--id=x", "--start=2018-11-15"}, "（必填）"},
      {{"alert", "issue", "--level=purple"}, "\"purple\" 不是可选值；可选 YELLOW 黄色"},
      {{"findings", "list", "--parent=districts/1", "--type=STOPPED"}, "STOP_NOT_KEPT"},
      {{"verify", "run", "--district=districts/1", "--from=yesterday", "--to=2018-12-01"},
       "\"yesterday\" 不是时间"},
      {{"obligations", "get", "districts/1/enterprises/e1", "--at=2018-13-45"}, "不是时间"},
      {{"season", "create", "--district=d", "--id=x", "--start=2018/11/15", "--end=2019-03-15",
        "--filing_deadline=2018-10-31"},
       "不是 YYYY-MM-DD 格式的日期"},
      {{"registry", "get"}, "缺少 NAME（必填）"},
      {{"registry", "list", "enterprises", "--output=xml"}, "--output"},
      {{"regsitry", "get", "x"}, "\"regsitry\" 不是命令"},
      {{"registry", "frobnicate"}, "\"frobnicate\" 不是命令"},
      {{"registry", "get", "districts/1", "--colour=red"}, "--colour"},
      {{"alert", "change", "alerts/1"}, "没有可改的"},
      {{"filing", "export", "districts/1/lists/1"}, "--xlsx"},
      {{"--tls_ca=/nonexistent/ca.pem", "admin", "whoami"}, "读不到 PEM 根证书"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"--server=127.0.0.1:1", "--key=k"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    Outcome r = RunCuofeng(args);
    EXPECT_EQ(r.exit_code, 2) << absl::StrJoin(c.args, " ") << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.says)) << absl::StrJoin(c.args, " ");
  }
}

TEST(CliUsageTest, ChineseLabelsAndAnyCaseAreAccepted) {
  // Valid enum spellings pass the parser and reach the (absent) server: exit 7.
  for (const char* level : {"--level=red", "--level=RED", "--level=红色", "--level=红色预警"}) {
    Outcome r =
        RunCuofeng({"--server=127.0.0.1:1", "--key=k", "alert", "change", "alerts/1", level});
    EXPECT_EQ(r.exit_code, 7) << level << r.err;
  }
}

TEST(CliUsageTest, TwoPositionalsTakeOneWordEach) {
  // Parsed, so the (absent) server is asked: exit 7, not a usage error.
  Outcome diff = RunCuofeng({"--server=127.0.0.1:1", "--key=k", "list", "diff",
                             "districts/1/lists/1", "districts/1/lists/2"});
  EXPECT_EQ(diff.exit_code, 7) << diff.err;
  Outcome three = RunCuofeng({"--server=127.0.0.1:1", "--key=k", "list", "diff", "a", "b", "c"});
  EXPECT_EQ(three.exit_code, 2) << three.err;
}

TEST_F(CliTest, MissingKeyIsSaidInThoseWords) {
  Outcome r = RunCuofeng({"--server=" + server_->address(), "registry", "get", kDistrict});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_THAT(
      r.err,
      HasSubstr("错误（UNAUTHENTICATED）：缺少 API 密钥：请用 --key=KEY 或设置 CUOFENG_KEY"));
}

TEST_F(CliTest, ExitCodesFollowTheStatus) {
  EXPECT_EQ(As(*bureau_, {"registry", "get", "districts/120119/enterprises/nobody"}).exit_code, 5);
  Outcome refused = As(*other_, {"registry", "get", "districts/120119/enterprises/e10000"});
  EXPECT_EQ(refused.exit_code, 6) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("PERMISSION_DENIED"));
  Outcome bad_key = As("cfk_not_a_key", {"registry", "get", kDistrict});
  EXPECT_EQ(bad_key.exit_code, 6) << bad_key.err;
  Outcome down = RunCuofeng({"--server=127.0.0.1:1", "--key=k", "registry", "get", kDistrict});
  EXPECT_EQ(down.exit_code, 7);
  EXPECT_THAT(down.err, HasSubstr("UNAVAILABLE"));
  Outcome exists = As(*admin_, {"district", "create", "120119", "--name=蓟州区"});
  EXPECT_EQ(exists.exit_code, 9) << exists.err;
  Outcome invalid = As(*bureau_, {"registry", "list", "enterprises",
                                  "--parent=" + std::string(kDistrict), "--filter=colour = red"});
  EXPECT_EQ(invalid.exit_code, 2) << invalid.err;
}

TEST_F(CliTest, RegistryGetOfEveryKind) {
  const std::vector<std::string> collections = {
      "townships", "enterprises", "lines",         "processes",      "equipment",       "meters",
      "cameras",   "vehicles",    "retrofitTasks", "emissionTotals", "whitelistEntries"};
  // Districts first: the twelfth kind.
  Outcome district = As(*bureau_, {"registry", "get", kDistrict, "--output=json"});
  ASSERT_EQ(district.exit_code, 0) << district.err;
  v1::District d;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(district.out, &d).ok()) << district.out;
  EXPECT_EQ(d.display_name(), "蓟州区");
  const std::string e = "districts/120119/enterprises/-";
  const std::map<std::string, std::string> parents = {{"townships", kDistrict},
                                                      {"enterprises", kDistrict},
                                                      {"vehicles", kDistrict},
                                                      {"emissionTotals", kDistrict},
                                                      {"lines", e},
                                                      {"meters", e},
                                                      {"cameras", e},
                                                      {"retrofitTasks", e},
                                                      {"whitelistEntries", e},
                                                      {"processes", e + "/lines/-"},
                                                      {"equipment", e + "/lines/-/processes/-"}};
  for (const std::string& collection : collections) {
    Outcome listed =
        As(*bureau_, {"registry", "list", collection, "--parent=" + parents.at(collection),
                      "--page_size=1", "--output=csv"});
    ASSERT_EQ(listed.exit_code, 0) << collection << listed.err;
    std::vector<std::string> lines = absl::StrSplit(listed.out, '\n', absl::SkipEmpty());
    ASSERT_GE(lines.size(), 2u) << collection << " has no rows: " << listed.out << listed.err;
    const std::string name = std::vector<std::string>(absl::StrSplit(lines[1], ','))[0];
    Outcome table = As(*bureau_, {"registry", "get", name});
    EXPECT_EQ(table.exit_code, 0) << name << table.err;
    EXPECT_THAT(table.out, HasSubstr("资源名  ")) << name;
    EXPECT_THAT(table.out, HasSubstr(name));
    Outcome json = As(*bureau_, {"registry", "get", name, "--output=json"});
    EXPECT_EQ(json.exit_code, 0) << name << json.err;
    EXPECT_THAT(json.out, HasSubstr("\"name\": \"" + name + "\"")) << name;
    Outcome csv = As(*bureau_, {"registry", "get", name, "--output=csv"});
    EXPECT_EQ(csv.exit_code, 0) << name;
    EXPECT_TRUE(absl::StartsWith(csv.out, "name,")) << name << csv.out;
    // A missing one of the same kind is NOT_FOUND, not a crash.
    Outcome missing =
        As(*bureau_, {"registry", "get", name.substr(0, name.rfind('/')) + "/zz-none"});
    EXPECT_EQ(missing.exit_code, 5) << name << missing.err;
  }
}

TEST_F(CliTest, FiltersWithAndOrNotAndChineseLabels) {
  auto all = ListJson<v1::ListEnterprisesResponse>(
      *bureau_, {"registry", "list", "enterprises", "--parent=districts/120119"});
  ASSERT_EQ(all.enterprises_size(), 40);
  std::map<v1::IndustryCategory, int> by;
  int restricted_foundry = 0;
  for (const auto& e : all.enterprises()) {
    by[e.industry_category()]++;
    restricted_foundry += e.industry_category() == v1::FOUNDRY && e.restricted_class();
  }
  ASSERT_GT(by[v1::FOUNDRY], 0);
  auto count = [&](const std::string& filter) {
    auto r = ListJson<v1::ListEnterprisesResponse>(
        *bureau_,
        {"registry", "list", "enterprises", "--parent=districts/120119", "--filter=" + filter});
    return r.enterprises_size();
  };
  EXPECT_EQ(count("industry_category = FOUNDRY"), by[v1::FOUNDRY]);
  EXPECT_EQ(count("industry_category = 铸造"), by[v1::FOUNDRY]);
  EXPECT_EQ(count("industry_category = foundry OR industry_category = CHEMICALS"),
            by[v1::FOUNDRY] + by[v1::CHEMICALS]);
  EXPECT_EQ(count("NOT industry_category = 铸造"), 40 - by[v1::FOUNDRY]);
  EXPECT_EQ(count("industry_category = 铸造 AND restricted_class = true"), restricted_foundry);
  EXPECT_EQ(count("(industry_category = 铸造 OR industry_category = 化工) AND NOT "
                  "(industry_category = 化工)"),
            by[v1::FOUNDRY]);
  EXPECT_EQ(count("name : e1000"), 10);  // e10000 … e10009
  Outcome bad = As(*bureau_, {"registry", "list", "enterprises", "--parent=districts/120119",
                              "--filter=industry_category = FOUNDRY AND colour = red"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("filter: 第 33 个字符：企业没有可筛选的字段 \"colour\""));
  Outcome malformed = As(*bureau_, {"registry", "list", "enterprises", "--parent=districts/120119",
                                    "--filter=(industry_category = FOUNDRY"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_THAT(malformed.err, HasSubstr("第 1 个字符：这个 ( 没有对应的 )"));
  Outcome label = As(*bureau_, {"registry", "list", "enterprises", "--parent=districts/120119",
                                "--filter=industry_category = 铸造"});
  EXPECT_THAT(label.out, HasSubstr("铸造"));
  EXPECT_THAT(label.out, Not(HasSubstr("FOUNDRY")));
}

TEST_F(CliTest, PagingSaysWhenMoreExist) {
  Outcome first = As(
      *bureau_, {"registry", "list", "enterprises", "--parent=districts/120119", "--page_size=15"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, HasSubstr("已显示 15 家企业，还有更多：--page_token="));
  const std::string token = first.err.substr(first.err.find("--page_token=") + 13);
  Outcome second =
      As(*bureau_, {"registry", "list", "enterprises", "--parent=districts/120119",
                    "--page_size=30", "--page_token=" + token.substr(0, token.find(' '))});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("至末尾共 25 家企业"));
  Outcome all = As(*bureau_, {"registry", "list", "enterprises", "--parent=districts/120119",
                              "--page_size=15", "--all"});
  EXPECT_THAT(all.err, HasSubstr("共 40 家企业（3 页）"));
  // The table has a header and one line per row.
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 41);
}

TEST_F(CliTest, JsonOfEveryListParsesIntoItsProto) {
  EXPECT_GT(ListJson<v1::ListTownshipsResponse>(
                *bureau_, {"registry", "list", "townships", "--parent=districts/120119"})
                .townships_size(),
            0);
  EXPECT_GT(ListJson<v1::ListVehiclesResponse>(
                *bureau_, {"registry", "list", "vehicles", "--parent=districts/120119"})
                .vehicles_size(),
            0);
  EXPECT_GT(ListJson<v1::ListWhitelistEntriesResponse>(
                *bureau_,
                {"registry", "list", "whitelistEntries", "--parent=districts/120119/enterprises/-"})
                .whitelist_entries_size(),
            0);
  EXPECT_GT(ListJson<v1::ListDistrictsResponse>(*admin_, {"registry", "list", "districts"})
                .districts_size(),
            0);
  EXPECT_GT(ListJson<v1::ListAuditEntriesResponse>(*admin_, {"audit", "list"}).audit_entries_size(),
            0);
  EXPECT_GT(ListJson<v1::ListRuleSetsResponse>(*bureau_, {"ruleset", "list"}).rule_sets_size(), 0);
  ListJson<v1::ListListVersionsResponse>(*bureau_,
                                         {"list", "versions", "--district=districts/120119"});
  ListJson<v1::ListFilingsResponse>(*city_, {"filing", "list"});
  ListJson<v1::ListFindingsResponse>(*bureau_, {"findings", "list", "--parent=districts/120119"});
  ListJson<v1::ListAlertsResponse>(*city_, {"alert", "list"}, false);
  ListJson<v1::ListBaselinesResponse>(*bureau_, {"baselines", "list", "--parent=districts/120119"},
                                      false);
  ListJson<v1::ListObligationWindowsResponse>(
      *bureau_,
      {"obligations", "windows", "--district=districts/120119", "--from=2018-12-01",
       "--to=2018-12-02"},
      false);
  // The audit table has the time of each entry, in China time.
  Outcome audit = As(*admin_, {"audit", "list", "--page_size=3"});
  EXPECT_THAT(audit.out, HasSubstr("时间"));
  EXPECT_THAT(audit.out, ::testing::ContainsRegex("20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:"));
}

TEST_F(CliTest, AlertChangesThatChangeNothingAreRefused) {
  Outcome issued = As(*city_, {"alert", "issue", "--level=橙色", "--districts=districts/120119",
                               "--end_time=2099-01-01", "--document=津重污染指〔2018〕99号"});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  const std::string alert = issued.out.substr(0, issued.out.find(' '));
  ASSERT_TRUE(absl::StartsWith(alert, "alerts/")) << issued.out;
  EXPECT_THAT(issued.out, HasSubstr("橙色预警"));
  // The same level again: FAILED_PRECONDITION, exit 8, and no new revision.
  Outcome same = As(*city_, {"alert", "change", alert, "--level=orange"});
  EXPECT_EQ(same.exit_code, 8) << same.err;
  EXPECT_THAT(same.err, HasSubstr("此次调整没有改变任何内容"));
  // Lowercase red is RED: the alert is raised.
  Outcome raised = As(*city_, {"alert", "change", alert, "--level=red"});
  EXPECT_EQ(raised.exit_code, 0) << raised.err;
  EXPECT_THAT(raised.out, HasSubstr(" r2  红色预警"));
  auto listed = ListJson<v1::ListAlertsResponse>(
      *city_, {"alert", "list", "--include_history", "--filter=level = 红色"}, false);
  ASSERT_EQ(listed.alerts_size(), 1);
  EXPECT_EQ(listed.alerts(0).level(), v1::RED);
  auto history =
      ListJson<v1::ListAlertsResponse>(*city_, {"alert", "list", "--include_history"}, false);
  EXPECT_EQ(history.alerts_size(), 2);  // the refused change left no revision
  // The server refuses on its own, for every client.
  auto stub = v1::AlertService::NewStub(Connect(server_->address()));
  v1::ChangeAlertRequest empty;
  empty.set_name(alert);
  v1::Alert out;
  grpc::Status nothing = stub->ChangeAlert(KeyContext(*city_).get(), empty, &out);
  EXPECT_EQ(nothing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(nothing.error_message(), HasSubstr("没有可改的"));
  v1::ChangeAlertRequest same_level = empty;
  same_level.set_level(v1::RED);
  grpc::Status unchanged = stub->ChangeAlert(KeyContext(*city_).get(), same_level, &out);
  EXPECT_EQ(unchanged.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  v1::ChangeAlertRequest bad_level = empty;
  bad_level.set_level(static_cast<v1::AlertLevel>(42));
  EXPECT_EQ(stub->ChangeAlert(KeyContext(*city_).get(), bad_level, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  auto after =
      ListJson<v1::ListAlertsResponse>(*city_, {"alert", "list", "--include_history"}, false);
  EXPECT_EQ(after.alerts_size(), 2);
}

TEST_F(CliTest, TimesInChinaTimeOrRfc3339MeanTheSameInstant) {
  Outcome china = As(*bureau_, {"obligations", "get", "districts/120119/enterprises/e10001",
                                "--at=2018-12-02 10:00", "--output=json"});
  Outcome rfc = As(*bureau_, {"obligations", "get", "districts/120119/enterprises/e10001",
                              "--at=2018-12-02T10:00:00+08:00", "--output=json"});
  ASSERT_EQ(china.exit_code, 0) << china.err;
  ASSERT_EQ(rfc.exit_code, 0) << rfc.err;
  EXPECT_EQ(china.out, rfc.out);
  EXPECT_THAT(china.out, HasSubstr("\"at\": \"2018-12-02T02:00:00Z\""));
}

// Key lifetimes from the CLI: an expiry at creation (refused in the past,
// shown on the key, enforced by the database's clock), and rotation with a
// grace period of none.
TEST_F(CliTest, KeysExpireAndRotate) {
  Outcome past = As(*admin_, {"admin", "create-key", "--role=verifier",
                              "--scope=" + std::string(kDistrict), "--expires=2018-01-01 00:00"});
  EXPECT_EQ(past.exit_code, 2) << past.err;
  EXPECT_THAT(past.err, HasSubstr("expire_time"));
  Outcome made =
      As(*admin_, {"admin", "create-key", "--role=verifier", "--scope=" + std::string(kDistrict),
                   "--expires=2030-01-01 00:00", "--quiet"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string key(absl::StripAsciiWhitespace(made.out));
  Outcome me = As(key, {"admin", "whoami", "--output=json"});
  ASSERT_EQ(me.exit_code, 0) << me.err;
  const size_t at = me.out.find("apiKeys/");
  ASSERT_NE(at, std::string::npos) << me.out;
  const std::string id = me.out.substr(at + 8, me.out.find('"', at) - at - 8);
  EXPECT_EQ(SqlScalar(*dsn_,
                      "SELECT expire_time = '2029-12-31T16:00:00Z' FROM core.api_key "
                      "WHERE id = '" +
                          id + "'"),
            "t");
  // Time passes (as the database sees it): the key no longer works.
  SqlScalar(*dsn_,
            "UPDATE core.api_key SET expire_time = now() - interval '1 second' WHERE id = '" + id +
                "' RETURNING id");
  Outcome expired = As(key, {"admin", "whoami"});
  EXPECT_EQ(expired.exit_code, 6) << expired.err;

  const std::string old_key = CreateKey(server_->address(), *admin_, "verifier", kDistrict);
  Outcome who = As(old_key, {"admin", "whoami", "--output=json"});
  ASSERT_EQ(who.exit_code, 0) << who.err;
  const size_t from = who.out.find("apiKeys/");
  ASSERT_NE(from, std::string::npos) << who.out;
  const std::string name = who.out.substr(from, who.out.find('"', from) - from);
  Outcome rotated = As(*admin_, {"admin", "rotate-key", name, "--grace=0", "--ttl=90d", "--quiet"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string fresh(absl::StripAsciiWhitespace(rotated.out));
  EXPECT_EQ(As(fresh, {"admin", "whoami"}).exit_code, 0);
  EXPECT_EQ(As(old_key, {"admin", "whoami"}).exit_code, 6);
  Outcome bad = As(*admin_, {"admin", "rotate-key", name, "--grace=soon"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("--grace"));
}

// People's accounts from the CLI: the bureau creates one in its district
// (the first password generated and shown once), lists and unlocks it, and
// may not create one in another district.
TEST_F(CliTest, AccountsFromTheCli) {
  Outcome made = As(*bureau_, {"account", "create", "cli.plant", "--role=enterprise",
                               "--scope=districts/120119/enterprises/e10000", "--name=张伟"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_THAT(made.out, HasSubstr("初始密码"));
  EXPECT_THAT(made.out, HasSubstr("首次登录须修改密码"));
  Outcome list = As(*bureau_, {"account", "list", "--output=csv"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("cli.plant"));
  Outcome unlock = As(*bureau_, {"account", "unlock", "cli.plant"});
  EXPECT_EQ(unlock.exit_code, 0) << unlock.err;
  Outcome foreign = As(*bureau_, {"account", "create", "cli.other", "--role=enterprise",
                                  "--scope=districts/120101/enterprises/e1", "--name=李四"});
  EXPECT_EQ(foreign.exit_code, 6) << foreign.err;
  EXPECT_THAT(foreign.err, HasSubstr("PERMISSION_DENIED"));
}

}  // namespace
}  // namespace cuofeng
