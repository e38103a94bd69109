#include "tools/cli/commands.h"

#include <cstdlib>
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
  return absl::InvalidArgumentError(
      absl::StrCat("--tls_ca=", TlsCaPath(),
                   ": cannot read a PEM root certificate there (--tls_ca or "
                   "CUOFENG_TLS_CA)"));
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
      {"database",
       {FlagKind::kString, "libpq connection string of the database (DSN)", &o.database}},
      {"district", {FlagKind::kString, "district, e.g. districts/120119", &o.district}},
      {"role", {FlagKind::kEnum, "role of the new key", &o.role, v1::Role_descriptor()}},
      {"scope",
       {FlagKind::kString, "scope of the key: districts/{d} or districts/{d}/enterprises/{e}",
        &o.scope}},
      {"name", {FlagKind::kString, "display name (名称)", &o.name}},
      {"city", {FlagKind::kString, "city of the district, e.g. 天津市", &o.city}},
      {"parent",
       {FlagKind::kString, "parent resource, e.g. districts/120119 (districts/- for all)",
        &o.parent}},
      {"filter",
       {FlagKind::kString,
        "AIP-160 filter, e.g. 'industry_category = 铸造 OR industry_category = CHEMICALS' "
        "(cuofeng help filters)",
        &o.filter}},
      {"request_id",
       {FlagKind::kString, "makes the change safe to retry: the same id runs once", &o.request_id}},
      {"validate_only", {FlagKind::kBool, "check everything, write nothing", &o.validate_only}},
      {"id", {FlagKind::kString, "id of the new rule set or season", &o.id}},
      {"season",
       {FlagKind::kString,
        "season, e.g. districts/120119/seasons/2018-2019 (filing list: "
        "its id, 2018-2019)",
        &o.season}},
      {"rule_set",
       {FlagKind::kString, "rule set, ruleSets/{id} or ruleSets/{id}@{revision}", &o.rule_set}},
      {"start", {FlagKind::kDate, "first day of the season", &o.start}},
      {"end", {FlagKind::kDate, "last day of the season", &o.end}},
      {"filing_deadline",
       {FlagKind::kDate, "day by which the list must be filed (T78)", &o.filing_deadline}},
      {"enterprise",
       {FlagKind::kString, "enterprise, e.g. districts/120119/enterprises/e10001", &o.enterprise}},
      {"month", {FlagKind::kMonth, "a month of the season", &o.month}},
      {"staggered",
       {FlagKind::kBool, "whether the month is staggered (--staggered=false: not)", &o.staggered}},
      {"note", {FlagKind::kString, "why, recorded with the change", &o.note}},
      {"reason", {FlagKind::kString, "the reason, recorded with the change", &o.reason}},
      {"state",
       {FlagKind::kEnum, "only filings in this state", &o.state, v1::ListState_descriptor()}},
      {"xlsx", {FlagKind::kString, "write the list as an XLSX workbook to this file", &o.xlsx}},
      {"csv", {FlagKind::kString, "write the list as CSV (UTF-8 with BOM) to this file", &o.csv}},
      {"level", {FlagKind::kEnum, "alert level", &o.level, v1::AlertLevel_descriptor()}},
      {"districts",
       {FlagKind::kString, "comma list of districts/{d} the alert covers (none: the whole city)",
        &o.districts}},
      {"start_time", {FlagKind::kTime, "when it starts (default now)", &o.start_time}},
      {"end_time", {FlagKind::kTime, "when it ends (none: until lifted)", &o.end_time}},
      {"at", {FlagKind::kTime, "the instant (default now)", &o.at}},
      {"from", {FlagKind::kTime, "start of the period", &o.from}},
      {"to", {FlagKind::kTime, "end of the period", &o.to}},
      {"document", {FlagKind::kString, "the city's document number (文号)", &o.document}},
      {"count", {FlagKind::kInt, "stop after this many sets (0: until interrupted)", &o.count}},
      {"out",
       {FlagKind::kString,
        "the file to write; its extension is the format (.svg/.png charts; .xlsx, .csv, .pdf "
        "documents)",
        &o.out}},
      {"decision",
       {FlagKind::kEnum, "the verifier's decision", &o.decision, v1::ReviewDecision_descriptor()}},
      {"comment", {FlagKind::kString, "what the verifier saw", &o.comment}},
      {"text", {FlagKind::kString, "the enterprise's explanation (异常申报)", &o.text}},
      {"load_kw", {FlagKind::kDouble, "the baseline load in kW", &o.load_kw}},
      {"time_zone",
       {FlagKind::kString,
        "how times written without an offset are read: an IANA zone (Asia/Shanghai, the "
        "default), UTC, or an offset such as +08:00",
        &o.time_zone}},
      {"time", {FlagKind::kTime, "when the register was reset or the meter replaced", &o.time}},
      {"kind",
       {FlagKind::kChoice,
        "what happened to the meter",
        &o.kind,
        nullptr,
        {"REGISTER_RESET", "METER_REPLACED"}}},
      {"new_register",
       {FlagKind::kDouble, "the register (kWh) right after the event", &o.new_register}},
      {"serial_number",
       {FlagKind::kString, "the new meter's serial number (表号)", &o.serial_number}},
      {"type",
       {FlagKind::kEnum, "only findings of this type", &o.type, v1::FindingType_descriptor()}},
      {"status",
       {FlagKind::kEnum, "only findings in this status", &o.status,
        v1::FindingStatus_descriptor()}},
      {"output",
       {FlagKind::kChoice,
        "table (people: Chinese labels, China time), json (protobuf JSON mapping) or csv",
        &o.output,
        nullptr,
        {"table", "json", "csv"}}},
      {"page_size",
       {FlagKind::kInt, "rows per page (default 50)", &o.page_size, nullptr, {}, "limit"}},
      {"page_token",
       {FlagKind::kString, "the page after the last one shown (as printed)", &o.page_token}},
      {"all", {FlagKind::kBool, "every page, not just the first", &o.all}},
      {"include_history",
       {FlagKind::kBool, "every revision, not only the latest", &o.include_history}},
      {"markdown",
       {FlagKind::kBool, "print the command table as Markdown (the README's)", &o.markdown}},
      {"email", {FlagKind::kString, "e-mail address for notifications", &o.email}},
      {"webhook_url",
       {FlagKind::kString, "https:// (or http://) URL notifications are POSTed to (signed)",
        &o.webhook_url}},
      {"webhook_secret_file",
       {FlagKind::kString,
        "file holding the webhook signing secret, 16-200 characters (- reads stdin; unset "
        "keeps the one stored)",
        &o.webhook_secret_file}},
      {"channels",
       {FlagKind::kString, "comma list of EMAIL and WEBHOOK (邮件, 推送); empty: none",
        &o.channels}},
      {"unread", {FlagKind::kBool, "only notifications not yet read", &o.unread}},
      {"password_file",
       {FlagKind::kString,
        "file holding the account's first password, at least 10 characters (- reads stdin; "
        "unset: a random one is generated and shown once)",
        &o.password_file}},
      {"grace",
       {FlagKind::kString, "how long the old key keeps working: 24h (default), 7d, 0", &o.grace}},
      {"ttl", {FlagKind::kString, "the new key's lifetime, e.g. 90d (unset: no expiry)", &o.ttl}},
      {"expires",
       {FlagKind::kTime, "the key stops working at this instant (unset: never)", &o.expires}},
      {"codes",
       {FlagKind::kBool,
        "English headers and enum codes, UTF-8 without BOM (for scripts; the default is the "
        "clerk's template: Chinese headers and choices, UTF-8 with BOM)",
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
          return absl::StrCat("\"", value, "\" is not allowed; choose one of ", EnumChoices(e),
                              " (any case, or the Chinese label)");
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
        return absl::StrCat("\"", value, "\" is not ", example);
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
    std::cerr << "internal: unknown flag " << name << "\n";
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
                            absl::StrCat(d.help, ": ", EnumChoices(d.enum_type),
                                         " (any case, or the Chinese label)"))
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
                            absl::StrCat(d.help, "; ", kTimeSyntaxHelp))
                ->type_name("TIME")
                ->check(TimeValidator());
      break;
    case FlagKind::kDate:
      opt = app->add_option(names, *static_cast<std::string*>(d.target), d.help)
                ->type_name("YYYY-MM-DD")
                ->check(FormatValidator("%Y-%m-%d", "a date YYYY-MM-DD"));
      break;
    case FlagKind::kMonth:
      opt = app->add_option(names, *static_cast<std::string*>(d.target), d.help)
                ->type_name("YYYY-MM")
                ->check(FormatValidator("%Y-%m", "a month YYYY-MM"));
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
      {"NAME", "the resource name, as the lists print it"},
      {"ID", "the new resource's id"},
      {"DIR", "a folder of registry spreadsheets (townships.csv, enterprises.csv, ...)"},
      {"COLLECTION",
       "districts, townships, enterprises, lines, processes, equipment, meters, "
       "cameras, vehicles, retrofitTasks, emissionTotals or whitelistEntries"},
      {"FILE", "a file (CSV files: UTF-8, English or Chinese headers)"},
      {"ENTRY", "a list entry, districts/{d}/lists/{n}/entries/{k}"},
      {"BASE", "the earlier list"},
      {"OTHER", "the later list"},
      {"LIST", "a list, districts/{d}/lists/{n}"},
      {"FILED", "the list in force"},
      {"DRAFT", "the new draft that replaces it"},
      {"ENTERPRISE", "an enterprise, districts/{d}/enterprises/{e}"},
      {"FINDING", "a finding, districts/{d}/enterprises/{e}/findings/{n}"}};
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
    parts.push_back("[flags]");
  }
  return absl::StrJoin(parts, " ");
}

const char kGlobalFlagsHelp[] =
    "Global flags (anywhere on the line):\n"
    "  --server=HOST:PORT  the server (default $CUOFENG_SERVER, else 127.0.0.1:50051)\n"
    "  --key=KEY           your API key (default $CUOFENG_KEY)\n"
    "  --tls_ca=FILE       connect with TLS trusting this PEM root certificate "
    "(default $CUOFENG_TLS_CA; none: plain text)\n"
    "  --quiet             print only the essential result\n"
    "  --version           print the version and commit\n";

const char kExitCodesHelp[] =
    "Exit codes:\n"
    "  0  done\n"
    "  1  any other error (INTERNAL, UNKNOWN, a local file that cannot be written)\n"
    "  2  bad usage or input: a missing or wrong flag, INVALID_ARGUMENT\n"
    "  3  integrity: the filing chain no longer matches (filing verify), DATA_LOSS\n"
    "  4  rows rejected: ingest went through but some rows were not stored\n"
    "  5  not found (NOT_FOUND)\n"
    "  6  refused: no key, a bad key or not allowed (UNAUTHENTICATED, PERMISSION_DENIED)\n"
    "  7  unavailable: the server cannot be reached (UNAVAILABLE, DEADLINE_EXCEEDED)\n"
    "  8  the state forbids it: a change that changes nothing, a stale etag, a wrong state\n"
    "     (FAILED_PRECONDITION, ABORTED)\n"
    "  9  already exists (ALREADY_EXISTS)\n"
    " 10  over a limit (RESOURCE_EXHAUSTED)\n";

const char kSyntaxHelp[] =
    "Times (every TIME flag): RFC 3339 (2018-12-02T10:00:00+08:00) or China time\n"
    "  YYYY-MM-DD[ HH:MM[:SS]] (\"2018-12-02 10:00\"; a date alone is its midnight).\n"
    "Choices (--level, --type, --status, ...): the code in any case (orange, ORANGE) or the\n"
    "  Chinese label (橙色); a value that is neither is an error listing the allowed ones.\n"
    "Filters (--filter, on every list; the server applies them, AIP-160):\n"
    "  field = value, !=, <, <=, >, >=, and : (has: a substring, an element; field:* = is set),\n"
    "  joined by AND, OR, NOT (or -) and parentheses; OR binds tighter than AND. Values are\n"
    "  words or \"quoted\"; choices by code or Chinese label; true/false; TIMEs. An unknown\n"
    "  field or a malformed filter is an error naming the position. Examples:\n"
    "    --filter='industry_category = FOUNDRY OR industry_category = 化工'\n"
    "    --filter='NOT permit_status = PERMIT_VALID AND livelihood_cap_percent > 50'\n"
    "Output (--output, on every get and list): table (default: headers, Chinese labels, China\n"
    "  time, plant names beside resource names), json (protobuf's JSON mapping of the response;\n"
    "  a list with --all merges its pages), csv (codes and RFC 3339, one header row).\n"
    "Paging: a list prints one page and says how to get the next (--page_token=...) or every\n"
    "  page (--all); --page_size sets the page (default 50).\n";

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
  sub->require_subcommand(0, 1);
  return sub;
}

void Build(CLI::App& app, const std::vector<CommandSpec>& commands, Parsed* parsed) {
  app.set_version_flag(
      "--version", absl::StrCat("cuofeng ", ProjectVersion(), " (commit ", ProjectCommit(), ")"));
  app.add_option("--server", Opts().server, "server address, HOST:PORT")->type_name("HOST:PORT");
  app.add_option("--key", Opts().key, "API key")->type_name("KEY");
  app.add_option("--tls_ca", Opts().tls_ca, "PEM root certificate: connect with TLS")
      ->type_name("FILE");
  app.add_flag("--quiet", Opts().quiet, "print only the essential result");
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
    cur->description(absl::StrCat(c.summary, "\nWho: ", c.who));
    cur->footer(absl::StrCat("Example:\n  ", c.example,
                             "\n\nGlobal flags: --server, --key, --tls_ca, --quiet; times, "
                             "filters, output and exit codes: cuofeng help\n"));
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
      absl::StrCat("cuofeng (错峰) ", ProjectVersion(),
                   ": the registry, staggered-production lists, filing, alerts, obligations and\n"
                   "verification, for district bureaus, the city, verifiers and enterprises.\n\n"
                   "Usage: cuofeng COMMAND [ARGUMENTS] [FLAGS]\n"
                   "       cuofeng help COMMAND    a command's flags, who uses it and an example\n"
                   "       cuofeng help --markdown the command table as Markdown (the README's)\n"
                   "       cuofeng help --commands every command, one a line\n"
                   "       cuofeng completion bash a bash completion script: "
                   "source <(cuofeng completion bash)\n");
  std::string section;
  for (const CommandSpec& c : commands) {
    if (c.section != section) {
      section = c.section;
      absl::StrAppend(&out, "\n", section, ":\n");
    }
    std::vector<std::string> words = {c.path};
    for (const auto& p : c.positionals) words.push_back(p);
    std::string left = absl::StrJoin(words, " ");
    absl::StrAppend(&out, "  ", left, std::string(left.size() < 34 ? 34 - left.size() : 1, ' '),
                    c.summary, " (", c.who, ")\n");
  }
  absl::StrAppend(&out, "\n", kGlobalFlagsHelp, "\n", kSyntaxHelp, "\n", kExitCodesHelp);
  return out;
}

std::string MarkdownTable(const std::vector<CommandSpec>& commands) {
  std::string out = "| who | task | command |\n| --- | --- | --- |\n";
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
    std::cerr << "usage: cuofeng completion bash\n";
    return kExitUsage;
  }
  CLI::App app("cuofeng: the staggered-production command line (cuofeng help)", "cuofeng");
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
      std::cerr << where << ": \"" << unknown << "\" is not a command\n";
    } else {
      std::cerr << where << ": " << e.what() << "\n";
    }
    if (cur == &app) {
      std::cerr << "Run `cuofeng help` for the commands.\n";
    } else if (parsed.leaves.count(cur) == 0) {
      std::cerr << "Choose one of:";
      for (const CLI::App* s : cur->get_subcommands([](const CLI::App*) { return true; })) {
        std::cerr << " " << s->get_name();
      }
      std::cerr << ". Run `" << absl::StrReplaceAll(where, {{"cuofeng", "cuofeng help"}})
                << "` for more.\n";
    } else {
      const CommandSpec* spec = parsed.leaves.at(cur);
      std::cerr << "Usage: " << Synopsis(*spec) << "\nExample: " << spec->example << "\nRun `"
                << absl::StrReplaceAll(where, {{"cuofeng", "cuofeng help"}})
                << "` for every flag.\n";
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
    std::cerr << "cuofeng: choose a command (cuofeng help)\n";
    return kExitUsage;
  }
  for (const std::vector<std::string>* store : parsed.positionals[cur]) {
    Opts().args.insert(Opts().args.end(), store->begin(), store->end());
  }
  return leaf->second->run();
}

}  // namespace cuofeng
