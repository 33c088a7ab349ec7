#include "common/util/args.h"

#include "common/util/time.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace posture::util {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& valued,
           const std::set<std::string>& flags) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (!a.starts_with("--") || a == "--") {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inlineValue;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inlineValue = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flags.count(name)) {
      if (inlineValue) throw ArgsError("option --" + name + " takes no value");
      flags_.insert(name);
    } else if (valued.count(name)) {
      if (inlineValue) {
        values_[name].push_back(*inlineValue);
      } else if (i + 1 < argv.size()) {
        values_[name].push_back(argv[++i]);
      } else {
        throw ArgsError("option --" + name + " needs a value");
      }
    } else {
      throw ArgsError("unknown option --" + name);
    }
  }
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string Args::require(const std::string& name) const {
  auto v = get(name);
  if (!v || v->empty()) throw ArgsError("missing required option --" + name);
  return *v;
}

std::string Args::getOr(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

std::vector<std::string> Args::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

long long Args::number(const std::string& name, long long fallback, long long min,
                       long long max) const {
  auto v = get(name);
  if (!v) return fallback;
  long long out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < min || out > max) {
    throw ArgsError("option --" + name + " must be a number from " + std::to_string(min) +
                    " to " + std::to_string(max) + ", got '" + *v + "'");
  }
  return out;
}

int runCommands(const char* program, const char* usage, int argc, char** argv,
                const std::vector<Command>& commands) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(usage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::printf("%s %s\n", program, POSTURE_VERSION);
    return 0;
  }
  const Command* match = nullptr;
  for (const auto& c : commands) {
    if (c.words.size() <= args.size() &&
        std::equal(c.words.begin(), c.words.end(), args.begin()) &&
        (!match || c.words.size() > match->words.size())) {
      match = &c;
    }
  }
  if (!match) {
    std::fprintf(stderr, "%s: unknown command '%s'\n%s", program, args[0].c_str(), usage);
    return 2;
  }
  std::string name;
  for (const auto& w : match->words) name += (name.empty() ? "" : " ") + w;
  for (auto i = args.begin() + static_cast<long>(match->words.size()); i != args.end(); ++i) {
    if (*i == "--help" || *i == "-h") {
      std::string lines = commandUsage(usage, program, match->words);
      std::fputs((lines.empty() ? std::string(usage) : lines).c_str(), stdout);
      return 0;
    }
  }
  try {
    return match->run({args.begin() + static_cast<long>(match->words.size()), args.end()});
  } catch (const ArgsError& e) {
    std::fprintf(stderr, "%s %s: %s\n", program, name.c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s %s: %s\n", program, name.c_str(), e.what());
    return 1;
  }
}

std::string commandUsage(const std::string& usage, const std::string& program,
                         const std::vector<std::string>& words) {
  std::string head = "  " + program;
  for (const auto& w : words) head += " " + w;
  std::string out;
  bool in = false;
  std::size_t at = 0;
  while (at < usage.size()) {
    std::size_t end = usage.find('\n', at);
    if (end == std::string::npos) end = usage.size();
    std::string line = usage.substr(at, end - at);
    at = end + 1;
    if (line.starts_with(head) &&
        (line.size() == head.size() || line[head.size()] == ' ' || line[head.size()] == '|')) {
      in = true;
    } else if (in && !(line.starts_with("   ") && !line.starts_with("  " + program))) {
      in = false;  // the next command, or a line that is not indented below this one
    }
    if (in) out += line + "\n";
  }
  return out;
}

std::optional<long long> parseDurationSeconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  long long mult = 1;
  std::string digits = text;
  switch (text.back()) {
    case 's': mult = 1; digits.pop_back(); break;
    case 'm': mult = kSecondsPerMinute; digits.pop_back(); break;
    case 'h': mult = kSecondsPerHour; digits.pop_back(); break;
    case 'd': mult = kSecondsPerDay; digits.pop_back(); break;
    case 'w': mult = kSecondsPerWeek; digits.pop_back(); break;
    case 'y': mult = 365 * kSecondsPerDay; digits.pop_back(); break;  // retention (issue 18)
    default: break;
  }
  long long n = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() || n < 0 ||
      n > 100LL * 365 * kSecondsPerDay) {
    return std::nullopt;
  }
  return n * mult;
}

}  // namespace posture::util
