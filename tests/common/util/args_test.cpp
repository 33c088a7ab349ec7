#include "common/util/args.h"

#include <doctest/doctest.h>

using namespace posture::util;

TEST_CASE("options, flags and positional arguments are parsed strictly") {
  Args a({"--data-dir", "/x", "--listen=1", "--listen", "2", "--once", "file"},
         {"data-dir", "listen"}, {"once"});
  CHECK(a.require("data-dir") == "/x");
  CHECK(a.all("listen") == std::vector<std::string>{"1", "2"});
  CHECK(a.flag("once"));
  CHECK(a.positional() == std::vector<std::string>{"file"});
  CHECK_THROWS_WITH_AS(Args({"--data-dri", "/x"}, {"data-dir"}, {}), "unknown option --data-dri",
                       ArgsError);
  CHECK_THROWS_WITH_AS(Args({"--data-dir"}, {"data-dir"}, {}), "option --data-dir needs a value",
                       ArgsError);
  CHECK_THROWS_WITH_AS(a.require("unit"), "missing required option --unit", ArgsError);
  Args n({"--uses", "0"}, {"uses"}, {});
  CHECK_THROWS_AS(n.number("uses", 1, 1, 10), ArgsError);
}

TEST_CASE("durations") {
  CHECK(parseDurationSeconds("90") == 90);
  CHECK(parseDurationSeconds("2h") == 7200);
  CHECK(parseDurationSeconds("7d") == 604800);
  CHECK(parseDurationSeconds("2w") == 1209600);
  CHECK(parseDurationSeconds("2y") == 2 * 365 * 86400);
  CHECK_FALSE(parseDurationSeconds("2x").has_value());
  CHECK_FALSE(parseDurationSeconds("y").has_value());
  CHECK_FALSE(parseDurationSeconds("").has_value());
  CHECK_FALSE(parseDurationSeconds("h").has_value());
  CHECK_FALSE(parseDurationSeconds("-5s").has_value());
}

TEST_CASE("runCommands dispatches on the longest matching words and maps errors to exit codes") {
  std::vector<std::string> seen;
  std::vector<Command> commands = {
      {{"token"}, [&](const std::vector<std::string>&) { return 7; }},
      {{"token", "create"}, [&](const std::vector<std::string>& rest) {
         seen = rest;
         return 0;
       }},
      {{"fail"}, [](const std::vector<std::string>&) -> int { throw std::runtime_error("boom"); }},
      {{"usage"}, [](const std::vector<std::string>&) -> int { throw ArgsError("bad"); }}};
  auto call = [&](std::vector<std::string> words) {
    std::vector<char*> argv{const_cast<char*>("prog")};
    for (auto& w : words) argv.push_back(w.data());
    return runCommands("prog", "usage\n", static_cast<int>(argv.size()), argv.data(), commands);
  };
  CHECK(call({"token", "create", "--unit", "X"}) == 0);
  CHECK(seen == std::vector<std::string>{"--unit", "X"});
  CHECK(call({"token", "list"}) == 7);
  CHECK(call({"fail"}) == 1);
  CHECK(call({"usage"}) == 2);
  CHECK(call({"nope"}) == 2);
  CHECK(call({}) == 2);
}

TEST_CASE("--version and a command's --help answer without running anything") {
  bool ran = false;
  std::vector<Command> commands = {{{"token", "create"}, [&](const std::vector<std::string>&) {
                                      ran = true;
                                      return 0;
                                    }}};
  auto call = [&](std::vector<std::string> words) {
    std::vector<char*> argv{const_cast<char*>("prog")};
    for (auto& w : words) argv.push_back(w.data());
    return runCommands("prog", "usage\n", static_cast<int>(argv.size()), argv.data(), commands);
  };
  CHECK(call({"--version"}) == 0);
  CHECK(call({"token", "create", "--help"}) == 0);
  CHECK(call({"token", "create", "--unit", "X", "-h"}) == 0);
  CHECK_FALSE(ran);
  CHECK(call({"token", "create"}) == 0);
  CHECK(ran);
}

TEST_CASE("commandUsage: a command's lines and the lines indented below them") {
  const std::string usage =
      "prog — a program\n"
      "Usage:\n"
      "  prog token create --unit CODE\n"
      "                    [--ttl 24h]\n"
      "      --unit CODE   the unit\n"
      "  prog token list\n"
      "  prog tokenize\n"
      "Other:\n"
      "   indented under Other\n";
  CHECK(commandUsage(usage, "prog", {"token", "create"}) ==
        "  prog token create --unit CODE\n"
        "                    [--ttl 24h]\n"
        "      --unit CODE   the unit\n");
  CHECK(commandUsage(usage, "prog", {"token", "list"}) == "  prog token list\n");
  // "token" names both token commands, not "tokenize".
  CHECK(commandUsage(usage, "prog", {"token"}) ==
        "  prog token create --unit CODE\n"
        "                    [--ttl 24h]\n"
        "      --unit CODE   the unit\n"
        "  prog token list\n");
  CHECK(commandUsage(usage, "prog", {"nothing"}).empty());
}
