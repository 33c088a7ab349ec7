#include "common/util/files.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

using namespace posture::util;
namespace fs = std::filesystem;

TEST_CASE("readFile stops at maxBytes on a larger file") {
  fs::path p = fs::temp_directory_path() / ("posture_files_test_" + std::to_string(getpid()));
  writeFileAtomic(p, std::string(200000, 'x'));
  auto head = readFile(p, 1000);
  REQUIRE(head.has_value());
  CHECK(head->size() == 1000);
  auto all = readFile(p);
  REQUIRE(all.has_value());
  CHECK(all->size() == 200000);
  fs::remove(p);
}

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
