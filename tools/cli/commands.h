// The cuofeng CLI's command table and parser (CLI11). Every command is one
// CommandSpec: its words, who uses it, a one-line summary, its positional
// arguments, its flags (from one catalogue, "district!" when required) and
// one example. From that table come the parsing (per-command --help on
// stdout, required flags named, enum flags checked case-insensitively with
// Chinese labels, times in one syntax), `cuofeng help [COMMAND]`, the bash
// completion script and the README's command table.
#ifndef CUOFENG_TOOLS_CLI_COMMANDS_H_
#define CUOFENG_TOOLS_CLI_COMMANDS_H_

#include <functional>
#include <string>
#include <vector>

namespace cuofeng {

struct CommandSpec {
  std::string path;     // "registry get"
  std::string section;  // heading in `cuofeng help`
  std::string who;      // roles that use it: "bureau, city"
  std::string summary;  // what it does, one line
  // Positional arguments: "NAME", "[NAME]" (optional), "FILE..." (one or more).
  std::vector<std::string> positionals;
  // Flags from the catalogue (commands.cc); a trailing "!" makes one required.
  std::vector<std::string> flags;
  std::string example;  // a whole command line, starting with "cuofeng "
  std::function<int()> run;
};

// RunCli parses `argv` against `commands`, fills Opts() and runs the chosen
// command; returns the process exit code (2 for bad usage). Besides the
// table it knows `help [COMMAND] [--markdown]`, `completion bash` and
// `--version`.
int RunCli(int argc, char** argv, const std::vector<CommandSpec>& commands);

// OverviewHelp is `cuofeng help`: every command by section, the global
// flags, the time syntax, the filter syntax and the exit codes.
std::string OverviewHelp(const std::vector<CommandSpec>& commands);

// MarkdownTable is the README's command table (| who | task | command |).
std::string MarkdownTable(const std::vector<CommandSpec>& commands);

// BashCompletion is a bash completion script for `cuofeng`.
std::string BashCompletion(const std::vector<CommandSpec>& commands);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_CLI_COMMANDS_H_
