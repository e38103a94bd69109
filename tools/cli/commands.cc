#include "tools/cli/commands.h"

#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cuofeng/v1/admin.pb.h"
#include "cuofeng/v1/compliance.pb.h"
#include "cuofeng/v1/planning.pb.h"
#include "lib/model/labels.h"
#include "lib/model/time_syntax.h"
#include "lib/version/version.h"
#include "tools/cli/client_lib.h"
#include "tools/cli/options.h"

namespace cuofeng {

Options& Opts() {
  static Options* o = new Options;
  return *o;
}

std::string ServerAddress() {
  if (!Opts().server.empty()) return Opts().server;
  const char* env = std::getenv("CUOFENG_SERVER");
  return env != nullptr && *env != '\0' ? env : "127.0.0.1:50051";
}

std::string ApiKey() {
  if (!Opts().key.empty()) return Opts().key;
  const char* env = std::getenv("CUOFENG_KEY");
  return env != nullptr ? env : "";
}

namespace {

std::string TlsCaPath() {
  if (!Opts().tls_ca.empty()) return Opts().tls_ca;
  const char* env = std::getenv("CUOFENG_TLS_CA");
  return env != nullptr ? env : "";
}

}  // namespace

std::string TlsRootCertificates() {
  const std::string path = TlsCaPath();
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  std::stringstream pem;
  pem << in.rdbuf();
  // Unreadable: not a certificate, so the TLS handshake fails; never plain text.
  return pem.str().empty() ? "-" : pem.str();
}

absl::Status CheckTlsRootCertificates() {
  if (TlsCaPath().empty() || TlsRootCertificates() != "-") return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--tls_ca=", TlsCaPath(),
                                                 "：该处读不到 PEM 根证书（--tls_ca 或 "
                                                 "CUOFENG_TLS_CA）"));
}

namespace {

enum class FlagKind { kString, kBool, kInt, kDouble, kEnum, kTime, kDate, kMonth, kChoice };

struct FlagDef {
  FlagDef(FlagKind kind, std::string help, void* target,
          const google::protobuf::EnumDescriptor* enum_type = nullptr,
          std::vector<std::string> choices = {}, std::string alias = "")
      : kind(kind),
        help(std::move(help)),
        target(target),
        enum_type(enum_type),
        choices(std::move(choices)),
        alias(std::move(alias)) {}
  FlagKind kind;
  std::string help;
  void* target;
  const google::protobuf::EnumDescriptor* enum_type;
  std::vector<std::string> choices;
  std::string alias;  // another spelling, e.g. --limit for --page_size
};

const std::map<std::string, FlagDef>& Catalogue() {
  Options& o = Opts();
  static const auto* m = new std::map<std::string, FlagDef>{
      {"database", {FlagKind::kString, "数据库的 libpq 连接串（DSN）", &o.database}},
      {"district", {FlagKind::kString, "区县，如 districts/120119", &o.district}},
      {"role", {FlagKind::kEnum, "新密钥的角色", &o.role, v1::Role_descriptor()}},
      {"scope",
       {FlagKind::kString, "密钥的范围：districts/{d} 或 districts/{d}/enterprises/{e}", &o.scope}},
      {"name", {FlagKind::kString, "名称", &o.name}},
      {"city", {FlagKind::kString, "区县所属的市，如 天津市", &o.city}},
      {"parent",
       {FlagKind::kString, "上级资源，如 districts/120119（districts/- 表示全部区县）", &o.parent}},
      {"filter",
       {FlagKind::kString,
        "筛选条件（AIP-160），如 'industry_category = 铸造 OR industry_category = CHEMICALS' "
        "（见 cuofeng help filters）",
        &o.filter}},
      {"request_id",
       {FlagKind::kString, "请求号：重试时用同一请求号，变更只执行一次", &o.request_id}},
      {"validate_only", {FlagKind::kBool, "只校验，不写入", &o.validate_only}},
      {"id", {FlagKind::kString, "新规则集或采暖季的标识", &o.id}},
      {"season",
       {FlagKind::kString,
        "采暖季，如 districts/120119/seasons/2018-2019（filing list 用其标识："
        "2018-2019）",
        &o.season}},
      {"rule_set",
       {FlagKind::kString, "规则集，ruleSets/{id} 或 ruleSets/{id}@{版本}", &o.rule_set}},
      {"start", {FlagKind::kDate, "采暖季第一天", &o.start}},
      {"end", {FlagKind::kDate, "采暖季最后一天", &o.end}},
      {"filing_deadline", {FlagKind::kDate, "清单备案截止日（T78）", &o.filing_deadline}},
      {"enterprise",
       {FlagKind::kString, "企业，如 districts/120119/enterprises/e10001", &o.enterprise}},
      {"month", {FlagKind::kMonth, "采暖季中的某月", &o.month}},
      {"staggered", {FlagKind::kBool, "该月是否错峰（--staggered=false：不错峰）", &o.staggered}},
      {"note", {FlagKind::kString, "说明，随变更记录", &o.note}},
      {"reason", {FlagKind::kString, "理由，随变更记录", &o.reason}},
      {"state", {FlagKind::kEnum, "只看此状态的备案", &o.state, v1::ListState_descriptor()}},
      {"xlsx", {FlagKind::kString, "把清单写成 XLSX 工作簿，存到此文件", &o.xlsx}},
      {"csv", {FlagKind::kString, "把清单写成 CSV（UTF-8 带 BOM），存到此文件", &o.csv}},
      {"level", {FlagKind::kEnum, "预警级别", &o.level, v1::AlertLevel_descriptor()}},
      {"districts",
       {FlagKind::kString, "预警覆盖的区县 districts/{d}，逗号分隔（不填：全市）", &o.districts}},
      {"start_time", {FlagKind::kTime, "开始时间（默认：现在）", &o.start_time}},
      {"end_time", {FlagKind::kTime, "结束时间（不填：直至解除）", &o.end_time}},
      {"at", {FlagKind::kTime, "时刻（默认：现在）", &o.at}},
      {"from", {FlagKind::kTime, "时段开始", &o.from}},
      {"to", {FlagKind::kTime, "时段结束", &o.to}},
      {"document", {FlagKind::kString, "市里的文号", &o.document}},
      {"count", {FlagKind::kInt, "收到这么多次后停止（0：直到中断）", &o.count}},
      {"out",
       {FlagKind::kString,
        "要写的文件；扩展名决定格式（图表 .svg/.png；文件 .xlsx、.csv、.pdf"
        "）",
        &o.out}},
      {"decision",
       {FlagKind::kEnum, "核查人员的结论", &o.decision, v1::ReviewDecision_descriptor()}},
      {"comment", {FlagKind::kString, "核查人员所见", &o.comment}},
      {"text", {FlagKind::kString, "企业的说明（异常申报）", &o.text}},
      {"load_kw", {FlagKind::kDouble, "基准负荷，千瓦（kW）", &o.load_kw}},
      {"time_zone",
       {FlagKind::kString,
        "不带时区偏移的时间按哪个时区读：IANA 时区（默认 Asia/Shanghai）、"
        "UTC 或偏移如 +08:00",
        &o.time_zone}},
      {"time", {FlagKind::kTime, "电表读数清零或换表的时间", &o.time}},
      {"kind",
       {FlagKind::kChoice,
        "电表发生了什么",
        &o.kind,
        nullptr,
        {"REGISTER_RESET", "METER_REPLACED"}}},
      {"new_register", {FlagKind::kDouble, "事件刚过后的表底读数（千瓦时）", &o.new_register}},
      {"serial_number", {FlagKind::kString, "新电表的表号", &o.serial_number}},
      {"type", {FlagKind::kEnum, "只看此类型的核查发现", &o.type, v1::FindingType_descriptor()}},
      {"status",
       {FlagKind::kEnum, "只看此状态的核查发现", &o.status, v1::FindingStatus_descriptor()}},
      {"output",
       {FlagKind::kChoice,
        "table（给人看：中文标签、北京时间）、json（protobuf JSON 映射）或 csv",
        &o.output,
        nullptr,
        {"table", "json", "csv"}}},
      {"page_size", {FlagKind::kInt, "每页行数（默认 50）", &o.page_size, nullptr, {}, "limit"}},
      {"page_token", {FlagKind::kString, "下一页的页码标记（照输出所示填写）", &o.page_token}},
      {"all", {FlagKind::kBool, "全部各页，不只第一页", &o.all}},
      {"include_history", {FlagKind::kBool, "全部修订，不只最新一次", &o.include_history}},
      {"markdown", {FlagKind::kBool, "以 Markdown 输出命令表（即 README 中的表）", &o.markdown}},
      {"email", {FlagKind::kString, "接收通知的邮箱", &o.email}},
      {"webhook_url",
       {FlagKind::kString, "接收通知推送的 https://（或 http://）地址（POST，带签名）",
        &o.webhook_url}},
      {"webhook_secret_file",
       {FlagKind::kString,
        "存放推送签名密钥的文件，16—200 个字符（- 表示从标准输入读；不填则保留已存的"
        "）",
        &o.webhook_secret_file}},
      {"channels",
       {FlagKind::kString, "EMAIL、WEBHOOK（邮件、推送），逗号分隔；留空：不发送", &o.channels}},
      {"unread", {FlagKind::kBool, "只看未读通知", &o.unread}},
      {"password_file",
       {FlagKind::kString,
        "存放账户初始密码的文件，至少 10 个字符（- 表示从标准输入读；"
        "不填：随机生成并只显示一次）",
        &o.password_file}},
      {"grace", {FlagKind::kString, "旧密钥还能用多久：24h（默认）、7d、0", &o.grace}},
      {"ttl", {FlagKind::kString, "新密钥的有效期，如 90d（不填：不过期）", &o.ttl}},
      {"expires", {FlagKind::kTime, "密钥在此时刻失效（不填：永不失效）", &o.expires}},
      {"codes",
       {FlagKind::kBool,
        "英文表头和枚举代码，UTF-8 不带 BOM（供脚本用；默认是办事员用的模板："
        "中文表头和选项，UTF-8 带 BOM）",
        &o.codes}},
  };
  return *m;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The value list shown for an enum flag: YELLOW|ORANGE|RED.
std::string EnumTypeName(const google::protobuf::EnumDescriptor* e) {
  std::vector<std::string> names;
  for (int i = 0; i < e->value_count(); ++i) {
    if (e->value(i)->number() != 0) names.push_back(e->value(i)->name());
  }
  return absl::StrJoin(names, "|");
}

CLI::Validator EnumValidator(const google::protobuf::EnumDescriptor* e) {
  return CLI::Validator(
      [e](std::string& value) -> std::string {
        const auto* v = EnumValueByText(e, value);
        if (v == nullptr) {
          return absl::StrCat("\"", value, "\" 不是可选值；可选 ", EnumChoices(e),
                              "（代码不分大小写，或用中文标签）");
        }
        value = v->name();
        return "";
      },
      "", "enum");
}

CLI::Validator TimeValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        auto t = ParseTimeText(value);
        return t.ok() ? "" : std::string(t.status().message());
      },
      "", "time");
}

CLI::Validator FormatValidator(const char* format, const char* example) {
  return CLI::Validator(
      [format, example](std::string& value) -> std::string {
        absl::Time t;
        std::string err;
        if (absl::ParseTime(format, value, absl::UTCTimeZone(), &t, &err)) return "";
        return absl::StrCat("\"", value, "\" 不是", example);
      },
      "", "format");
}

std::string FlagUsage(const std::string& name, const FlagDef& d) {
  switch (d.kind) {
    case FlagKind::kBool:
      return "--" + name;
    case FlagKind::kEnum:
      return absl::StrCat("--", name, "=", EnumTypeName(d.enum_type));
    case FlagKind::kChoice:
      return absl::StrCat("--", name, "=", absl::StrJoin(d.choices, "|"));
    case FlagKind::kTime:
      return absl::StrCat("--", name, "=TIME");
    case FlagKind::kDate:
      return absl::StrCat("--", name, "=YYYY-MM-DD");
    case FlagKind::kMonth:
      return absl::StrCat("--", name, "=YYYY-MM");
    case FlagKind::kInt:
    case FlagKind::kDouble:
      return absl::StrCat("--", name, "=N");
    case FlagKind::kString:
      break;
  }
  return absl::StrCat("--", name, "=", Upper(name));
}

CLI::Option* AddFlag(CLI::App* app, const std::string& name, bool required) {
  auto it = Catalogue().find(name);
  if (it == Catalogue().end()) {
    std::cerr << "内部错误：未知参数 " << name << "\n";
    std::abort();
  }
  const FlagDef& d = it->second;
  std::string names = "--" + name;
  if (!d.alias.empty()) absl::StrAppend(&names, ",--", d.alias);
  CLI::Option* opt = nullptr;
  switch (d.kind) {
    case FlagKind::kBool:
      opt = app->add_flag(names, *static_cast<bool*>(d.target), d.help);
      break;
    case FlagKind::kInt:
      opt = app->add_option(names, *static_cast<int*>(d.target), d.help)->type_name("N");
      break;
    case FlagKind::kDouble:
      opt = app->add_option(names, *static_cast<double*>(d.target), d.help)->type_name("N");
      break;
    case FlagKind::kEnum:
      opt = app->add_option(names, *static_cast<std::string*>(d.target),
                            absl::StrCat(d.help, "：", EnumChoices(d.enum_type),
                                         "（代码不分大小写，或用中文标签）"))
                ->type_name(EnumTypeName(d.enum_type))
                ->transform(EnumValidator(d.enum_type));
      break;
    case FlagKind::kChoice:
      opt = app->add_option(names, *static_cast<std::string*>(d.target), d.help)
                ->type_name(absl::StrJoin(d.choices, "|"))
                ->transform(CLI::IsMember(d.choices, CLI::ignore_case).description(""));
      break;
    case FlagKind::kTime:
      opt = app->add_option(names, *static_cast<std::string*>(d.target),
                            absl::StrCat(d.help, "；", kTimeSyntaxHelp))
                ->type_name("TIME")
                ->check(TimeValidator());
      break;
    case FlagKind::kDate:
      opt = app->add_option(names, *static_cast<std::string*>(d.target), d.help)
                ->type_name("YYYY-MM-DD")
                ->check(FormatValidator("%Y-%m-%d", " YYYY-MM-DD 格式的日期"));
      break;
    case FlagKind::kMonth:
      opt = app->add_option(names, *static_cast<std::string*>(d.target), d.help)
                ->type_name("YYYY-MM")
                ->check(FormatValidator("%Y-%m", " YYYY-MM 格式的月份"));
      break;
    case FlagKind::kString:
      opt = app->add_option(names, *static_cast<std::string*>(d.target), d.help)
                ->type_name(Upper(name));
      break;
  }
  if (required) opt->required();
  return opt;
}

// A flag entry of a spec: name and whether it is required.
std::pair<std::string, bool> FlagEntry(const std::string& entry) {
  if (absl::EndsWith(entry, "!")) return {entry.substr(0, entry.size() - 1), true};
  return {entry, false};
}

std::string PositionalName(const std::string& p) {
  std::string n = p;
  if (absl::StartsWith(n, "[")) n = n.substr(1, n.size() - 2);
  if (absl::EndsWith(n, "...")) n = n.substr(0, n.size() - 3);
  return n;
}

std::string PositionalHelp(const std::string& p) {
  static const auto* help = new std::map<std::string, std::string>{
      {"NAME", "资源名，照列表输出所示"},
      {"ID", "新资源的标识"},
      {"DIR", "登记表所在的文件夹（townships.csv、enterprises.csv 等）"},
      {"COLLECTION",
       "集合：districts、townships、enterprises、lines、processes、equipment、meters、"
       "cameras、vehicles、retrofitTasks、emissionTotals 或 whitelistEntries"},
      {"FILE", "文件（CSV 文件：UTF-8，英文或中文表头）"},
      {"ENTRY", "清单条目，districts/{d}/lists/{n}/entries/{k}"},
      {"BASE", "较早的清单"},
      {"OTHER", "较晚的清单"},
      {"LIST", "清单，districts/{d}/lists/{n}"},
      {"FILED", "现行的清单"},
      {"DRAFT", "替换它的新草稿"},
      {"ENTERPRISE", "企业，districts/{d}/enterprises/{e}"},
      {"FINDING", "核查发现，districts/{d}/enterprises/{e}/findings/{n}"}};
  auto it = help->find(PositionalName(p));
  return it == help->end() ? "" : it->second;
}

// The command line a spec's synopsis shows: words, positionals, required flags.
std::string Synopsis(const CommandSpec& c) {
  std::vector<std::string> parts = {"cuofeng", c.path};
  for (const auto& p : c.positionals) parts.push_back(p);
  for (const auto& f : c.flags) {
    auto [name, required] = FlagEntry(f);
    if (required) parts.push_back(FlagUsage(name, Catalogue().at(name)));
  }
  if (std::any_of(c.flags.begin(), c.flags.end(),
                  [](const std::string& f) { return !absl::EndsWith(f, "!"); })) {
    parts.push_back("[参数]");
  }
  return absl::StrJoin(parts, " ");
}

const char kGlobalFlagsHelp[] =
    "通用参数（可放在命令行任意位置）：\n"
    "  --server=HOST:PORT  服务器地址（默认 $CUOFENG_SERVER，否则 127.0.0.1:50051）\n"
    "  --key=KEY           你的 API 密钥（默认 $CUOFENG_KEY）\n"
    "  --tls_ca=FILE       用 TLS 连接，信任此 PEM 根证书"
    "（默认 $CUOFENG_TLS_CA；不设：明文连接）\n"
    "  --quiet             只输出必要的结果\n"
    "  --version           输出版本和提交号\n";

const char kExitCodesHelp[] =
    "退出码：\n"
    "  0  完成\n"
    "  1  其他错误（INTERNAL、UNKNOWN、本地文件无法写入）\n"
    "  2  用法或输入有误：缺少参数或参数不对，INVALID_ARGUMENT\n"
    "  3  完整性：备案链已对不上（filing verify），DATA_LOSS\n"
    "  4  有行被拒：导入已完成，但有些行没有存入\n"
    "  5  找不到（NOT_FOUND）\n"
    "  6  被拒绝：没有密钥、密钥无效或无权操作（UNAUTHENTICATED、PERMISSION_DENIED）\n"
    "  7  不可用：连不上服务器（UNAVAILABLE、DEADLINE_EXCEEDED）\n"
    "  8  当前状态不允许：变更没有改变任何内容、etag 已过时、状态不对\n"
    "     （FAILED_PRECONDITION、ABORTED）\n"
    "  9  已存在（ALREADY_EXISTS）\n"
    " 10  超出限额（RESOURCE_EXHAUSTED）\n";

const char kSyntaxHelp[] =
    "时间（所有 TIME 参数）：RFC 3339（2018-12-02T10:00:00+08:00）或北京时间\n"
    "  YYYY-MM-DD[ HH:MM[:SS]]（\"2018-12-02 10:00\"；只写日期即当日零点）。\n"
    "选项（--level、--type、--status 等）：代码不分大小写（orange、ORANGE）或中文标签\n"
    "  （橙色）；两者都不是则报错，并列出可选值。\n"
    "筛选（--filter，所有列表命令都有；由服务器按 AIP-160 执行）：\n"
    "  字段 = 值，还有 !=、<、<=、>、>= 和 :（包含：子串或元素；字段:* 表示有值），\n"
    "  用 AND、OR、NOT（或 -）和括号组合；OR 比 AND 结合得更紧。值可以是词或\"带引号的\n"
    "  文字\"；选项用代码或中文标签；true/false；时间。字段不存在或写法不对时报错，\n"
    "  并指出位置。例如：\n"
    "    --filter='industry_category = FOUNDRY OR industry_category = 化工'\n"
    "    --filter='NOT permit_status = PERMIT_VALID AND livelihood_cap_percent > 50'\n"
    "输出（--output，所有 get 和 list 命令都有）：table（默认：有表头，中文标签，北京时间，\n"
    "  资源名旁写企业名称）、json（响应的 protobuf JSON 映射；列表加 --all 时合并各页）、\n"
    "  csv（代码和 RFC 3339 时间，一行表头）。\n"
    "分页：列表只输出一页，并说明怎样取下一页（--page_token=...）或全部各页（--all）；\n"
    "  --page_size 设每页行数（默认 50）。\n";

// The leaf apps and their specs, and the positional storage.
struct Parsed {
  std::map<const CLI::App*, const CommandSpec*> leaves;
  std::map<const CLI::App*, std::vector<std::vector<std::string>*>> positionals;
  std::deque<std::vector<std::string>> storage;
  std::deque<std::string> singles;
};

CLI::App* FindOrAdd(CLI::App* parent, const std::string& word) {
  for (CLI::App* sub : parent->get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == word) return sub;
  }
  CLI::App* sub = parent->add_subcommand(word, "");
  sub->get_help_ptr()->group("参数");  // inherited before the option defaults are
  sub->require_subcommand(0, 1);
  return sub;
}

// ParseErrorText is CLI11's parse error in the words of the rest of the CLI.
std::string ParseErrorText(const CLI::ParseError& e) {
  const std::string what = e.what();
  auto cut = [&](const std::string& suffix) {
    return absl::EndsWith(what, suffix) ? what.substr(0, what.size() - suffix.size()) : "";
  };
  if (std::string name = cut(" is required"); !name.empty()) {
    if (name == "A subcommand") return "须选一个子命令";
    return absl::StrCat("缺少 ", name, "（必填）");
  }
  for (const char* prefix : {"The following arguments were not expected: ",
                             "The following argument was not expected: "}) {
    if (absl::StartsWith(what, prefix)) {
      return absl::StrCat("多余的参数：", what.substr(std::strlen(prefix)));
    }
  }
  if (absl::StartsWith(what, "Could not convert: ")) {
    std::vector<std::string> parts =
        absl::StrSplit(what.substr(std::strlen("Could not convert: ")), absl::MaxSplits(" = ", 1));
    if (parts.size() == 2) return absl::StrCat(parts[0], "：\"", parts[1], "\" 不是数");
  }
  if (const size_t at = what.find(" not in {"); at != std::string::npos) {
    const size_t colon = what.find(": ");
    if (colon != std::string::npos && colon < at) {
      return absl::StrCat(what.substr(0, colon), "：\"", what.substr(colon + 2, at - colon - 2),
                          "\" 不是可选值；可选 ", what.substr(at + 8));
    }
  }
  if (std::string name = cut(": too many inputs for a flag"); !name.empty()) {
    return absl::StrCat(name, "：这个开关不带值");
  }
  if (absl::StartsWith(what, "--") && absl::StrContains(what, " required ") &&
      absl::EndsWith(what, " missing")) {
    return absl::StrCat(what.substr(0, what.find(':')), "：缺少值");
  }
  // A validator's own message ("--level: ...") reads as Chinese already.
  if (const size_t colon = what.find(": "); absl::StartsWith(what, "--") && colon != what.npos) {
    return absl::StrCat(what.substr(0, colon), "：", what.substr(colon + 2));
  }
  return what;
}

void Build(CLI::App& app, const std::vector<CommandSpec>& commands, Parsed* parsed) {
  // CLI11's own words in the help, in Chinese; subcommands inherit them.
  auto formatter = app.get_formatter();
  for (const auto& [label, text] :
       std::vector<std::pair<std::string, std::string>>{{"Usage", "用法"},
                                                        {"OPTIONS", "参数"},
                                                        {"SUBCOMMAND", "子命令"},
                                                        {"SUBCOMMANDS", "子命令"},
                                                        {"REQUIRED", "必填"},
                                                        {"Positionals", "位置参数"}}) {
    formatter->label(label, text);
  }
  app.option_defaults()->group("参数");
  app.set_help_flag("-h,--help", "显示此帮助");
  app.group("子命令");
  app.set_version_flag("--version",
                       absl::StrCat("cuofeng ", ProjectVersion(), "（提交 ", ProjectCommit(), "）"),
                       "输出版本和提交号");
  app.add_option("--server", Opts().server, "服务器地址，HOST:PORT")->type_name("HOST:PORT");
  app.add_option("--key", Opts().key, "API 密钥")->type_name("KEY");
  app.add_option("--tls_ca", Opts().tls_ca, "PEM 根证书：用 TLS 连接")->type_name("FILE");
  app.add_flag("--quiet", Opts().quiet, "只输出必要的结果");
  app.fallthrough();
  app.require_subcommand(1, 1);
  std::map<std::string, std::string> group_summary;
  for (const CommandSpec& c : commands) {
    std::vector<std::string> words = absl::StrSplit(c.path, ' ');
    CLI::App* cur = &app;
    for (size_t i = 0; i < words.size(); ++i) {
      cur = FindOrAdd(cur, words[i]);
      if (i + 1 < words.size()) {
        cur->require_subcommand(1, 1);
        std::string& s = group_summary[absl::StrJoin(words.begin(), words.begin() + i + 1, " ")];
        if (s.empty()) s = c.section;
        cur->description(s);
      }
    }
    cur->require_subcommand(0, 0);
    cur->description(absl::StrCat(c.summary, "\n谁用：", c.who));
    cur->footer(absl::StrCat("示例：\n  ", c.example,
                             "\n\n通用参数：--server、--key、--tls_ca、--quiet；时间、"
                             "筛选、输出和退出码：cuofeng help\n"));
    for (const std::string& p : c.positionals) {
      parsed->storage.emplace_back();
      std::vector<std::string>* store = &parsed->storage.back();
      const bool optional = absl::StartsWith(p, "[");
      const bool many = absl::StrContains(p, "...");
      CLI::Option* opt = nullptr;
      if (many) {
        opt = cur->add_option(PositionalName(p), *store, PositionalHelp(p))->expected(1, -1);
      } else {
        // One word each (a vector would swallow the next positional too).
        parsed->singles.emplace_back();
        std::string* one = &parsed->singles.back();
        opt = cur->add_option(PositionalName(p), *one, PositionalHelp(p));
        opt->each([store](const std::string& v) { store->assign(1, v); });
      }
      opt->type_name("");
      if (!optional) opt->required();
      parsed->positionals[cur].push_back(store);
    }
    for (const std::string& f : c.flags) {
      auto [name, required] = FlagEntry(f);
      AddFlag(cur, name, required);
    }
    parsed->leaves[cur] = &c;
  }
}

std::string Escape(const std::string& s) { return absl::StrReplaceAll(s, {{"|", "\\|"}}); }

}  // namespace

std::string OverviewHelp(const std::vector<CommandSpec>& commands) {
  std::string out =
      absl::StrCat("cuofeng（错峰）", ProjectVersion(),
                   "：企业登记、错峰生产清单、备案、预警、管控要求和核查，\n"
                   "供区工信委/区环保局、市里、核查人员和企业使用。\n\n"
                   "用法：cuofeng 命令 [参数值] [参数]\n"
                   "      cuofeng help 命令       某个命令的参数、谁用和示例\n"
                   "      cuofeng help --markdown 以 Markdown 输出命令表（即 README 中的表）\n"
                   "      cuofeng help --commands 全部命令，每行一个\n"
                   "      cuofeng completion bash bash 补全脚本："
                   "source <(cuofeng completion bash)\n");
  std::string section;
  for (const CommandSpec& c : commands) {
    if (c.section != section) {
      section = c.section;
      absl::StrAppend(&out, "\n", section, "：\n");
    }
    std::vector<std::string> words = {c.path};
    for (const auto& p : c.positionals) words.push_back(p);
    std::string left = absl::StrJoin(words, " ");
    absl::StrAppend(&out, "  ", left, std::string(left.size() < 34 ? 34 - left.size() : 1, ' '),
                    c.summary, "（", c.who, "）\n");
  }
  absl::StrAppend(&out, "\n", kGlobalFlagsHelp, "\n", kSyntaxHelp, "\n", kExitCodesHelp);
  return out;
}

std::string MarkdownTable(const std::vector<CommandSpec>& commands) {
  std::string out = "| 谁用 | 做什么 | 命令 |\n| --- | --- | --- |\n";
  for (const CommandSpec& c : commands) {
    absl::StrAppend(&out, "| ", c.who, " | ", Escape(c.summary), " | `", Escape(c.example),
                    "` |\n");
  }
  return out;
}

std::string BashCompletion(const std::vector<CommandSpec>& commands) {
  // Words that may follow each command prefix, and the flags of each leaf.
  std::map<std::string, std::vector<std::string>> next;
  std::map<std::string, std::vector<std::string>> flags;
  std::map<std::string, std::string> enum_values;  // --flag → values
  for (const CommandSpec& c : commands) {
    std::vector<std::string> words = absl::StrSplit(c.path, ' ');
    std::string prefix;
    for (const auto& w : words) {
      auto& list = next[prefix];
      if (std::find(list.begin(), list.end(), w) == list.end()) list.push_back(w);
      prefix = prefix.empty() ? w : absl::StrCat(prefix, " ", w);
    }
    std::vector<std::string>& f = flags[c.path];
    f = {"--help", "--server=", "--key=", "--tls_ca=", "--quiet"};
    for (const auto& entry : c.flags) {
      auto [name, required] = FlagEntry(entry);
      const FlagDef& d = Catalogue().at(name);
      f.push_back(d.kind == FlagKind::kBool ? "--" + name : "--" + name + "=");
      if (d.kind == FlagKind::kEnum) {
        enum_values["--" + name] = absl::StrReplaceAll(EnumTypeName(d.enum_type), {{"|", " "}});
      } else if (d.kind == FlagKind::kChoice) {
        enum_values["--" + name] = absl::StrJoin(d.choices, " ");
      }
    }
  }
  next[""].push_back("help");
  next[""].push_back("completion");
  next["completion"] = {"bash"};
  std::string out =
      "# bash completion for cuofeng, generated by `cuofeng completion bash` from the same\n"
      "# command table as the parser. Use: source <(cuofeng completion bash)\n"
      "_cuofeng() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  local path=\"\" w i words=\"\"\n"
      "  # A value after --flag= (bash splits at the =).\n"
      "  if [[ \"$cur\" == \"=\" ]]; then cur=\"\"; fi\n"
      "  if [[ \"${COMP_WORDS[COMP_CWORD-1]}\" == \"=\" ]]; then "
      "prev=\"${COMP_WORDS[COMP_CWORD-2]}\"; fi\n"
      "  if [[ \"$prev\" == \"=\" ]]; then prev=\"${COMP_WORDS[COMP_CWORD-2]}\"; fi\n"
      "  case \"$prev\" in\n";
  for (const auto& [flag, values] : enum_values) {
    absl::StrAppend(&out, "    ", flag, ") COMPREPLY=( $(compgen -W \"", values,
                    "\" -- \"$cur\") ); return ;;\n");
  }
  absl::StrAppend(
      &out,
      "  esac\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    w=\"${COMP_WORDS[i]}\"\n"
      "    [[ \"$w\" == -* || \"$w\" == \"=\" || \"${COMP_WORDS[i-1]}\" == \"=\" ]] && continue\n"
      "    path=\"${path:+$path }$w\"\n"
      "  done\n"
      "  case \"$path\" in\n");
  // Leaves first (their positionals may follow), longest paths first.
  std::vector<std::string> leaves;
  for (const auto& [path, f] : flags) leaves.push_back(path);
  std::sort(leaves.begin(), leaves.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& path : leaves) {
    absl::StrAppend(&out, "    \"", path, "\"|\"", path, " \"*) words=\"",
                    absl::StrJoin(flags[path], " "), "\" ;;\n");
  }
  for (const auto& [prefix, words] : next) {
    if (flags.count(prefix) > 0) continue;
    absl::StrAppend(&out, "    \"", prefix, "\") words=\"", absl::StrJoin(words, " "), "\" ;;\n");
  }
  absl::StrAppend(&out,
                  "  esac\n"
                  "  compopt -o nospace 2>/dev/null\n"
                  "  COMPREPLY=( $(compgen -W \"$words\" -- \"$cur\") )\n"
                  "  # Words and flags without a value get their space back.\n"
                  "  if [[ ${#COMPREPLY[@]} -eq 1 && \"${COMPREPLY[0]}\" != *= ]]; then\n"
                  "    COMPREPLY[0]=\"${COMPREPLY[0]} \"\n"
                  "  fi\n"
                  "}\n"
                  "complete -F _cuofeng cuofeng\n");
  return out;
}

int RunCli(int argc, char** argv, const std::vector<CommandSpec>& commands) {
  std::vector<std::string> words(argv + 1, argv + argc);
  auto has = [&](const char* w) { return std::find(words.begin(), words.end(), w) != words.end(); };
  const bool help_word = !words.empty() && words[0] == "help";
  if (words.empty() || (words.size() == 1 && (words[0] == "--help" || words[0] == "-h"))) {
    std::cout << OverviewHelp(commands);
    return words.empty() ? kExitUsage : kExitOk;
  }
  if (help_word) {
    std::vector<std::string> rest;
    for (size_t i = 1; i < words.size(); ++i) {
      if (words[i] != "--markdown" && words[i] != "--commands") rest.push_back(words[i]);
    }
    if (rest.empty() && has("--commands")) {
      for (const CommandSpec& c : commands) std::cout << c.path << "\n";
      return kExitOk;
    }
    if (rest.empty()) {
      std::cout << (has("--markdown") ? MarkdownTable(commands) : OverviewHelp(commands));
      return kExitOk;
    }
    if (rest.size() == 1 && (rest[0] == "filters" || rest[0] == "times" || rest[0] == "output")) {
      std::cout << kSyntaxHelp;
      return kExitOk;
    }
    if (rest.size() == 1 && rest[0] == "exit-codes") {
      std::cout << kExitCodesHelp;
      return kExitOk;
    }
    words = rest;
    words.push_back("--help");
  }
  if (words[0] == "completion") {
    if (words.size() == 2 && (words[1] == "bash" || words[1] == "--help")) {
      std::cout << BashCompletion(commands);
      return kExitOk;
    }
    std::cerr << "用法：cuofeng completion bash\n";
    return kExitUsage;
  }
  CLI::App app("cuofeng：错峰生产命令行（cuofeng help）", "cuofeng");
  Parsed parsed;
  Build(app, commands, &parsed);
  std::vector<std::string> arg_strings = {"cuofeng"};
  for (const std::string& w : words) {
    // --flag= (empty) means the flag is not set; CLI11 would take the next word as its value.
    if (absl::StartsWith(w, "--") && absl::EndsWith(w, "=")) continue;
    arg_strings.push_back(w);
  }
  std::vector<char*> args;
  for (auto& s : arg_strings) args.push_back(s.data());
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, std::cout, std::cerr) == 0 ? kExitOk : kExitUsage;
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, std::cout, std::cerr) == 0 ? kExitOk : kExitUsage;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // Name the command, say what is wrong, point at its help.
    std::vector<std::string> path;
    for (const std::string& w : words) {
      if (!absl::StartsWith(w, "-")) path.push_back(w);
    }
    std::string where = "cuofeng";
    const CLI::App* cur = &app;
    std::string unknown;
    for (const std::string& w : path) {
      if (parsed.leaves.count(cur) > 0) break;  // the rest are arguments
      const CLI::App* sub = nullptr;
      for (const CLI::App* s : cur->get_subcommands([](const CLI::App*) { return true; })) {
        if (s->get_name() == w) sub = s;
      }
      if (sub == nullptr) {
        unknown = w;
        break;
      }
      cur = sub;
      absl::StrAppend(&where, " ", w);
    }
    if (!unknown.empty()) {
      std::cerr << where << "：\"" << unknown << "\" 不是命令\n";
    } else {
      std::cerr << where << "：" << ParseErrorText(e) << "\n";
    }
    if (cur == &app) {
      std::cerr << "运行 `cuofeng help` 查看全部命令。\n";
    } else if (parsed.leaves.count(cur) == 0) {
      std::vector<std::string> names;
      for (const CLI::App* s : cur->get_subcommands([](const CLI::App*) { return true; })) {
        names.push_back(s->get_name());
      }
      std::cerr << "请选其一：" << absl::StrJoin(names, "、");
      std::cerr << "。运行 `" << absl::StrReplaceAll(where, {{"cuofeng", "cuofeng help"}})
                << "` 了解更多。\n";
    } else {
      const CommandSpec* spec = parsed.leaves.at(cur);
      std::cerr << "用法：" << Synopsis(*spec) << "\n示例：" << spec->example << "\n运行 `"
                << absl::StrReplaceAll(where, {{"cuofeng", "cuofeng help"}})
                << "` 查看全部参数。\n";
    }
    return kExitUsage;
  }
  const CLI::App* cur = &app;
  Opts().args.clear();
  for (;;) {
    auto subs = cur->get_subcommands();
    if (subs.empty()) break;
    cur = subs.front();
    Opts().args.push_back(cur->get_name());
  }
  auto leaf = parsed.leaves.find(cur);
  if (leaf == parsed.leaves.end()) {
    std::cerr << "cuofeng：请选择一个命令（cuofeng help）\n";
    return kExitUsage;
  }
  for (const std::vector<std::string>* store : parsed.positionals[cur]) {
    Opts().args.insert(Opts().args.end(), store->begin(), store->end());
  }
  return leaf->second->run();
}

}  // namespace cuofeng
