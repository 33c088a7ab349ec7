// The backup's ustar archive: what TarWriter writes, stock tar reads and extractTar gives
// back; a hostile archive (traversal, absolute path, links, devices, duplicates, a size
// past the end, a bad checksum) is refused before anything lands outside the target.
#include "collector/backup/tar.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/collector/backup/raw_tar.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector::backup;
namespace fs = std::filesystem;

namespace {
std::string archive(const std::function<void(TarWriter&)>& fill) {
  std::string out;
  TarWriter w([&out](std::string_view b) { out.append(b); });
  fill(w);
  w.finish();
  return out;
}

// Extracts `bytes` into root/target and returns the error, "" when it succeeded.
std::string extractError(const test::TempDir& root, const std::string& bytes) {
  auto file = root.write("a.tar", bytes);
  fs::create_directory(root.path() / "target");
  try {
    extractTar(file, root.path() / "target");
  } catch (const TarError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("a written archive extracts to the same files and stock tar lists it") {
  test::TempDir root;
  std::string longName = "policies/" + std::string(60, 'd') + "/" + std::string(80, 'p') + ".yaml";
  std::string big(70000, 'x');
  auto bytes = archive([&](TarWriter& w) {
    w.add("data/ca.crt", 0644, 1700000000, "CERT");
    w.add("data/ca.key", 0600, 1700000000, "KEY");
    w.add("empty", 0644, 1700000000, "");
    w.add(longName, 0644, 1700000000, big);
  });
  CHECK(bytes.size() % 512 == 0);
  auto file = root.write("a.tar", bytes);
  auto listed = util::runProcess({"tar", "tf", file.string()});
  REQUIRE(util::succeeded(listed));
  CHECK(listed.out == "data/ca.crt\ndata/ca.key\nempty\n" + longName + "\n");

  fs::create_directory(root.path() / "out");
  auto members = extractTar(file, root.path() / "out");
  REQUIRE(members.size() == 4);
  CHECK(members[1].mode == 0600);
  CHECK(*util::readFile(root.path() / "out/data/ca.key") == "KEY");
  CHECK(*util::readFile(root.path() / "out" / longName) == big);
  CHECK(util::readFile(root.path() / "out/empty")->empty());
  struct stat st {};
  REQUIRE(::stat((root.path() / "out/data/ca.crt").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);  // extracted private; restore sets the final modes
}

TEST_CASE("TarWriter refuses names that would escape") {
  std::string sink;
  TarWriter w([&sink](std::string_view b) { sink.append(b); });
  CHECK_THROWS_AS(w.add("../x", 0644, 0, "a"), TarError);
  CHECK_THROWS_AS(w.add("/etc/passwd", 0644, 0, "a"), TarError);
  CHECK_THROWS_AS(w.add("a//b", 0644, 0, "a"), TarError);
  CHECK(tarNameProblem("data/./x") == "'.' path component");
  CHECK(tarNameProblem("data/ca.key").empty());
}

TEST_CASE("a hostile archive is refused and nothing is written outside the target") {
  struct Case {
    const char* what;
    std::string bytes;
    const char* error;
  };
  std::vector<Case> cases = {
      {"traversal", test::rawTarMember("../outside", "pwned") + test::rawTarEnd(), "'..' path component"},
      {"deep traversal", test::rawTarMember("data/../../outside", "pwned") + test::rawTarEnd(), "'..' path component"},
      {"absolute", test::rawTarMember("/tmp/outside", "pwned") + test::rawTarEnd(), "absolute path"},
      {"symlink", test::rawTarMember("data/link", "/etc", '2') + test::rawTarEnd(), "symbolic link"},
      {"hard link", test::rawTarMember("data/link", "/etc/passwd", '1') + test::rawTarEnd(), "hard link"},
      {"device", test::rawTarMember("data/dev", "", '3') + test::rawTarEnd(), "character device"},
      {"directory", test::rawTarMember("data", "", '5') + test::rawTarEnd(), "a directory"},
      {"duplicate", test::rawTarMember("a", "1") + test::rawTarMember("a", "2") + test::rawTarEnd(), "appears twice"},
      {"file then dir", test::rawTarMember("a", "1") + test::rawTarMember("a/b", "2") + test::rawTarEnd(),
       "which is a file"},
      {"past the end", test::rawTarHeader("a", 1 << 20) + std::string(512, 'x') + test::rawTarEnd(),
       "past the end of the archive"},
      {"no end marker", test::rawTarMember("a", "1"), "without its end marker"},
  };
  std::string bad = test::rawTarMember("a", "1");
  bad[0] = 'b';  // the checksum no longer matches
  cases.push_back({"checksum", bad + test::rawTarEnd(), "checksum"});
  for (const auto& c : cases) {
    CAPTURE(c.what);
    test::TempDir root;
    std::string error = extractError(root, c.bytes);
    CHECK(error.find(c.error) != std::string::npos);
    CHECK_FALSE(fs::exists(root.path() / "outside"));
    CHECK_FALSE(fs::exists("/tmp/outside"));
  }
}
