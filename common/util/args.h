#pragma once
// Strict command-line parsing: "--name value", "--name=value" and boolean "--flag".
// Unknown options are errors that name the option, so a typo never goes unnoticed.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace posture::util {

class ArgsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  // valued: options that take a value (may repeat); flags: options without a value.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& valued,
       const std::set<std::string>& flags);

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> get(const std::string& name) const;
  std::string require(const std::string& name) const;  // throws ArgsError naming it
  std::string getOr(const std::string& name, const std::string& fallback) const;
  std::vector<std::string> all(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Parses a non-negative integer option; throws ArgsError naming the option.
  long long number(const std::string& name, long long fallback, long long min,
                   long long max) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

// One subcommand of a program: the words that name it ("token", "create") and its body,
// which gets the arguments after those words.
struct Command {
  std::vector<std::string> words;
  std::function<int(const std::vector<std::string>&)> run;
};

// The command-line policy every Posture program shares: no arguments or --help prints the
// usage; --version prints "PROGRAM VERSION"; "COMMAND --help" (or -h anywhere after the
// command's words) prints that command's lines of the usage; an unknown command or an
// ArgsError exits 2; any other exception exits 1; every error is printed once as
// "PROGRAM COMMAND: cause".
int runCommands(const char* program, const char* usage, int argc, char** argv,
                const std::vector<Command>& commands);

// The lines of `usage` about one command: each line that starts with "  PROGRAM WORDS"
// (followed by a space, a "|" of alternatives or the end of the line) and the lines
// indented deeper below it.
// Empty when the usage has none.
std::string commandUsage(const std::string& usage, const std::string& program,
                         const std::vector<std::string>& words);

// "30s", "5m", "2h", "7d", "2w", "2y" (365 days each) or plain seconds; nullopt when malformed.
std::optional<long long> parseDurationSeconds(const std::string& text);

}  // namespace posture::util
