#include "common/util/files.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace posture::util;
namespace fs = std::filesystem;

TEST_CASE("writeFileAtomic replaces content and applies the mode") {
  fs::path p = fs::temp_directory_path() / ("posture_files_mode_" + std::to_string(getpid()));
  writeFileAtomic(p, "old");
  writeFileAtomic(p, "new", 0600);
  CHECK(readFile(p) == std::optional<std::string>("new"));
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(fs::exists(p.string() + ".tmp"));
  fs::remove(p);
}

TEST_CASE("readFile of a missing file is nullopt") {
  CHECK_FALSE(readFile("/nonexistent/posture/file").has_value());
}

namespace {
fs::path writeTemp(const std::string& content) {
  std::string tmpl = (fs::temp_directory_path() / "posture-read-XXXXXX").string();
  int fd = ::mkstemp(tmpl.data());
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(tmpl, std::ios::binary) << content;
  return tmpl;
}
}  // namespace

TEST_CASE("readFile stops at its limit on a file larger than the limit") {
  auto p = writeTemp(std::string(100000, 'x') + "END");
  auto head = readFile(p, 512);
  REQUIRE(head);
  CHECK(head->size() == 512);
  auto all = readFile(p, 1 << 20);
  REQUIRE(all);
  CHECK(all->size() == 100003);
  fs::remove(p);
  CHECK_FALSE(readFile(p, 512));
}

TEST_CASE("readTail keeps the newest whole lines of a log") {
  std::string log;
  for (int i = 0; i < 1000; ++i) log += "line " + std::to_string(i) + "\n";
  auto p = writeTemp(log);
  auto tail = readTail(p, 30);
  REQUIRE(tail);
  CHECK(tail->ends_with("line 999\n"));
  CHECK(tail->starts_with("line "));
  CHECK(tail->size() <= 30);
  CHECK(readTail(p, 1 << 20) == log);
  fs::remove(p);
  CHECK_FALSE(readTail(p, 30));
}
