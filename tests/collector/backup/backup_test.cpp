// Backup and restore through the library: a round trip keeps the CA, keys, database,
// policies and configuration (keys 0600, directory 0700); stock `openssl cms` decrypts the
// file to a tar that stock tar lists; a wrong passphrase, a changed byte (content, nonce,
// tag), a truncated or empty file, a file that is not CMS and a CMS of another kind are
// each refused with their own message; restore refuses a non-empty target and a hostile
// archive, and writes nothing on any failure; on a full disk, backup and restore say so
// (not "damaged") at every step where space runs out, and leave nothing behind.
#include "collector/backup/backup.h"

#include <doctest/doctest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <utime.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <set>

#include "collector/backup/ber_stream.h"
#include "collector/backup/passphrase.h"
#include "collector/backup/restore.h"
#include "collector/backup/snapshot.h"
#include "collector/backup/tar.h"
#include "collector/cli/policy_dir.h"
#include "collector/pki/authority.h"
#include "collector/storage/storage.h"
#include "common/crypto/crypto.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/collector/backup/raw_tar.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using namespace posture::collector::backup;
namespace fs = std::filesystem;

namespace {
constexpr const char* kPass = "đúng ngựa pin kẹp giấy";
// Fast key derivation for the many files these tests open; one test uses the real count.
constexpr int kTestIterations = 1000;

unsigned modeOf(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

struct Fixture {
  test::TempDir root{"posture-backup-test-"};
  fs::path data = root.path() / "data";
  fs::path policies = root.path() / "policies";
  fs::path config = root.path() / "collector.conf";
  std::string caFingerprint;

  Fixture() {
    caFingerprint = loadOrCreateIdentity(data, {}).caFingerprint;
    auto db = openDatabase(data);
    db->exec(
        "INSERT INTO agents(agent_id, unit_code, hostname, enrolled_at, cert_serial, cert_not_after) "
        "VALUES ('a1','BS-VP','pc-1',1,'01',2),('a2','BS-VP','pc-2',1,'02',2);"
        "INSERT INTO reports(agent_id, sequence, received_at, collected_at, body) "
        "VALUES ('a1',1,10,10,x'00'),('a1',2,20,20,x'01'),('a2',1,30,30,x'02');");
    fs::create_directories(data / "upstream");
    util::writeFileAtomic(data / "upstream/agent.key", "UPSTREAM KEY", 0600);
    util::writeFileAtomic(data / "scratch.tmp", "not state", 0600);
    fs::create_directories(policies);
    util::writeFileAtomic(policies / "baseline.yaml", "id: baseline\n", 0644);
    util::writeFileAtomic(policies / "README.txt", "not a policy", 0644);
    util::writeFileAtomic(config, "POSTURE_COLLECTOR_ARGS=--listen 0.0.0.0:8443\n", 0644);
  }

  BackupOptions options(const fs::path& out) const {
    BackupOptions o;
    o.dataDir = data;
    o.out = out;
    o.passphrase = kPass;
    o.config = config;
    o.policyDir = policies;
    o.now = 1796000000;
    o.iterations = kTestIterations;
    return o;
  }
  fs::path backup(const std::string& name = "b.p7m") const {
    auto out = root.path() / name;
    createBackup(options(out));
    return out;
  }
};

std::string restoreError(const fs::path& file, const fs::path& target, const std::string& pass = kPass) {
  try {
    restoreBackup(file, pass, target);
  } catch (const BackupError& e) {
    return e.what();
  }
  return "";
}

std::string bytesOf(const fs::path& f) { return *util::readFile(f, 1 << 30); }

void writeBytes(const fs::path& f, const std::string& bytes) {
  std::ofstream(f, std::ios::binary | std::ios::trunc) << bytes;
}

// An archive of our making but hostile content, in a real envelope.
fs::path encryptRaw(const fs::path& out, const std::string& tar) {
  EnvelopeWriter w(out, kPass, kTestIterations);
  w.write(tar);
  w.finish();
  return out;
}
}  // namespace

TEST_CASE("a backup restores the CA, keys, database, policies and configuration") {
  Fixture fx;
  auto file = fx.backup();
  CHECK(modeOf(file) == 0600);
  CHECK_FALSE(fs::exists(file.string() + ".tmp"));
  // No work directory is left next to it.
  for (const auto& e : fs::directory_iterator(fx.root.path())) {
    CHECK(e.path().filename().string().find(".backup") == std::string::npos);
  }

  auto summary = verifyBackup(file, kPass);
  CHECK(summary.caFingerprint == fx.caFingerprint);
  CHECK(summary.reports == 3);
  CHECK(summary.agents == 2);
  CHECK(summary.createdAt == "2026-11-30T07:53:20+07:00");

  fs::path target = fx.root.path() / "new";
  auto r = restoreBackup(file, kPass, target);
  CHECK(r.hasConfig);
  CHECK(r.hasPolicies);
  CHECK(modeOf(target) == 0700);
  for (const char* f : {"ca.crt", "ca.key", "server.crt", "server.key"}) {
    CAPTURE(f);
    CHECK(bytesOf(target / f) == bytesOf(fx.data / f));
  }
  CHECK(modeOf(target / "ca.key") == 0600);
  CHECK(modeOf(target / "server.key") == 0600);
  CHECK(modeOf(target / "posture.db") == 0600);
  CHECK(modeOf(target / "upstream/agent.key") == 0600);
  CHECK(modeOf(target / "ca.crt") == 0644);
  CHECK(bytesOf(target / "upstream/agent.key") == "UPSTREAM KEY");
  CHECK_FALSE(fs::exists(target / "scratch.tmp"));
  CHECK(bytesOf(target / "collector.conf") == bytesOf(fx.config));
  CHECK(bytesOf(target / "policies/baseline.yaml") == "id: baseline\n");
  CHECK_FALSE(fs::exists(target / "policies/README.txt"));
  CHECK(offlinePolicyDir(target) == target / "policies");
  auto facts = databaseFacts(target / "posture.db");
  CHECK(facts.reports == 3);
  CHECK(facts.agents == 2);
  CHECK(integrityProblems(target / "posture.db").empty());
  // The restored directory opens as a collector's: same CA, no new identity made.
  CHECK(loadOrCreateIdentity(target, {}).caFingerprint == fx.caFingerprint);
}

TEST_CASE("stock openssl cms decrypts a backup made with the real key derivation, and tar lists it") {
  Fixture fx;
  auto o = fx.options(fx.root.path() / "real.p7m");
  o.iterations = kPbkdf2Iterations;
  auto start = std::chrono::steady_clock::now();
  createBackup(o);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  MESSAGE("backup with PBKDF2 at " << kPbkdf2Iterations << " iterations: " << ms.count() << " ms");
  auto tarFile = fx.root.path() / "plain.tar";
  auto decrypted = util::runProcess({"openssl", "cms", "-decrypt", "-inform", "DER", "-in", o.out.string(),
                                     "-pwri_password", kPass, "-binary", "-out", tarFile.string()},
                                    std::chrono::seconds(60));
  REQUIRE_MESSAGE(util::succeeded(decrypted), util::failureReason(decrypted));
  auto listed = util::runProcess({"tar", "tf", tarFile.string()});
  REQUIRE(util::succeeded(listed));
  for (const char* member : {"data/posture.db\n", "data/ca.key\n", "data/server.key\n", "data/upstream/agent.key\n",
                             "policies/baseline.yaml\n", "config/collector.conf\n", "manifest.json\n"}) {
    CAPTURE(member);
    CHECK(listed.out.find(member) != std::string::npos);
  }
  // What the file says about itself: AuthEnvelopedData, AES-256-GCM, PWRI with PBKDF2.
  auto printed = util::runProcess({"openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", o.out.string()},
                                  std::chrono::seconds(60));
  REQUIRE(util::succeeded(printed));
  CHECK(printed.out.find("id-smime-ct-authEnvelopedData") != std::string::npos);
  CHECK(printed.out.find("aes-256-gcm") != std::string::npos);
  CHECK(printed.out.find("id-alg-PWRI-KEK") != std::string::npos);
  CHECK(printed.out.find("PBKDF2") != std::string::npos);
  CHECK(verifyBackup(o.out, kPass).reports == 3);
}

TEST_CASE("a backup re-encoded with definite lengths (DER) by stock openssl still opens") {
  // Ours is streamed (indefinite lengths) and read back as a stream; another encoder's
  // DER takes the in-memory path and gives the same archive.
  Fixture fx;
  auto file = fx.backup();
  auto der = fx.root.path() / "der.p7m";
  auto made = util::runProcess({"openssl", "cms", "-cmsout", "-inform", "DER", "-in", file.string(), "-outform",
                                "DER", "-out", der.string()},
                               std::chrono::seconds(30));
  REQUIRE_MESSAGE(util::succeeded(made), util::failureReason(made));
  REQUIRE(bytesOf(der) != bytesOf(file));
  CHECK(verifyBackup(der, kPass).reports == 3);
  std::string b = bytesOf(der);
  b[b.size() / 2] ^= 0x01;
  writeBytes(der, b);
  try {
    verifyBackup(der, kPass);
    FAIL("a changed byte was accepted");
  } catch (const BackupError& e) {
    CHECK(std::string(e.what()).find("GCM authentication tag does not match") != std::string::npos);
  }
}

TEST_CASE("a bad backup is refused with its own message and restore writes nothing") {
  Fixture fx;
  auto good = fx.backup();
  std::string bytes = bytesOf(good);
  fs::path target = fx.root.path() / "new";
  auto refused = [&](const fs::path& file, const std::string& pass, const char* vi, const char* en) {
    std::string error = restoreError(file, target, pass);
    CHECK_MESSAGE(error.find(vi) != std::string::npos, error);
    CHECK_MESSAGE(error.find(en) != std::string::npos, error);
    CHECK_FALSE(fs::exists(target));
    // Nor a work directory left beside it.
    for (const auto& e : fs::directory_iterator(fx.root.path())) {
      CHECK(e.path().filename().string().find(".restore") == std::string::npos);
    }
  };

  SUBCASE("wrong passphrase") { refused(good, "another passphrase!", "sai mật khẩu", "wrong backup passphrase"); }
  SUBCASE("one changed byte in the ciphertext") {
    std::string b = bytes;
    b[b.size() / 2] ^= 0x01;
    writeBytes(fx.root.path() / "x.p7m", b);
    refused(fx.root.path() / "x.p7m", kPass, "mã xác thực GCM không khớp", "GCM authentication tag does not match");
  }
  SUBCASE("one changed byte in the header: the GCM nonce") {
    // GCMParameters: SEQUENCE { OCTET STRING (12 bytes) nonce, INTEGER 16 }.
    auto at = bytes.find(std::string("\x30\x11\x04\x0c", 4));
    REQUIRE(at != std::string::npos);
    std::string b = bytes;
    b[at + 6] = static_cast<char>(b[at + 6] ^ 0x55);
    writeBytes(fx.root.path() / "x.p7m", b);
    refused(fx.root.path() / "x.p7m", kPass, "mã xác thực GCM không khớp", "GCM authentication tag does not match");
  }
  SUBCASE("one changed byte in the tag at the end") {
    std::string b = bytes;
    b[b.size() - 8] ^= 0x01;
    writeBytes(fx.root.path() / "x.p7m", b);
    refused(fx.root.path() / "x.p7m", kPass, "mã xác thực GCM không khớp", "GCM authentication tag does not match");
  }
  SUBCASE("truncated: half of it, or one byte short") {
    writeBytes(fx.root.path() / "x.p7m", bytes.substr(0, bytes.size() / 2));
    refused(fx.root.path() / "x.p7m", kPass, "bị cắt cụt", "is truncated");
    writeBytes(fx.root.path() / "x.p7m", bytes.substr(0, bytes.size() - 1));
    refused(fx.root.path() / "x.p7m", kPass, "bị cắt cụt", "is truncated");
  }
  SUBCASE("empty file") {
    writeBytes(fx.root.path() / "x.p7m", "");
    refused(fx.root.path() / "x.p7m", kPass, "rỗng (0 byte)", "is empty");
  }
  SUBCASE("not a CMS file at all") {
    writeBytes(fx.root.path() / "x.p7m", "POSTURE_COLLECTOR_ARGS=--listen 0.0.0.0:8443\n");
    refused(fx.root.path() / "x.p7m", kPass, "không phải tệp CMS", "not a CMS file");
  }
  SUBCASE("a valid CMS of another kind: password EnvelopedData (AES-CBC, unauthenticated)") {
    auto plain = fx.root.path() / "plain.txt";
    writeBytes(plain, "hello");
    auto made = util::runProcess({"openssl", "cms", "-encrypt", "-aes-256-cbc", "-pwri_password", kPass, "-in",
                                  plain.string(), "-outform", "DER", "-out", (fx.root.path() / "x.p7m").string()},
                                 std::chrono::seconds(30));
    REQUIRE_MESSAGE(util::succeeded(made), util::failureReason(made));
    refused(fx.root.path() / "x.p7m", kPass, "là tệp CMS loại pkcs7-envelopedData", "CMS file of type pkcs7-envelopedData");
  }
  SUBCASE("a hostile archive inside a valid envelope: traversal") {
    encryptRaw(fx.root.path() / "x.p7m", test::rawTarMember("../outside", "pwned") + test::rawTarEnd());
    refused(fx.root.path() / "x.p7m", kPass, "kho lưu trữ bên trong bị từ chối", "'..' path component");
    CHECK_FALSE(fs::exists(fx.root.path() / "outside"));
  }
  SUBCASE("a hostile archive inside a valid envelope: a symbolic link then a file through it") {
    encryptRaw(fx.root.path() / "x.p7m",
               test::rawTarMember("data", fx.root.path().string(), '2') + test::rawTarMember("data/outside", "x") +
                   test::rawTarEnd());
    refused(fx.root.path() / "x.p7m", kPass, "kho lưu trữ bên trong bị từ chối", "symbolic link");
    CHECK_FALSE(fs::exists(fx.root.path() / "outside"));
  }
  SUBCASE("an archive whose file differs from its manifest") {
    std::string manifest = R"({"format":"posture-backup/1","created_at":"x","ca_fingerprint":"x","schema_version":1,)"
                           R"("counts":{"reports":0,"agents":0,"endpoints":0},"files":[{"path":"data/ca.crt",)"
                           R"("size":4,"mode":"0644","sha256":")" + crypto::sha256Hex("CERT") + R"("}]})";
    encryptRaw(fx.root.path() / "x.p7m",
               test::rawTarMember("data/ca.crt", "CERX") + test::rawTarMember("manifest.json", manifest) +
                   test::rawTarEnd());
    refused(fx.root.path() / "x.p7m", kPass, "không khớp với manifest", "does not match the manifest");
  }
}

TEST_CASE("restore refuses a target that exists and is not empty, naming it") {
  Fixture fx;
  auto file = fx.backup();
  fs::path target = fx.root.path() / "busy";
  fs::create_directories(target);
  util::writeFileAtomic(target / "keep.txt", "mine");
  std::string error = restoreError(file, target);
  CHECK(error.find(target.string()) != std::string::npos);
  CHECK(error.find("không rỗng") != std::string::npos);
  CHECK(error.find("not an empty directory") != std::string::npos);
  CHECK(bytesOf(target / "keep.txt") == "mine");
  CHECK(std::distance(fs::directory_iterator(target), fs::directory_iterator()) == 1);
  // An existing empty directory (the package's /var/lib/posture) is fine.
  fs::path empty = fx.root.path() / "empty";
  fs::create_directories(empty);
  restoreBackup(file, kPass, empty);
  CHECK(fs::exists(empty / "ca.key"));
  CHECK(modeOf(empty) == 0700);
}

TEST_CASE("the passphrase file: first line, at least 12 characters, a warning when others may read it") {
  test::TempDir root;
  std::string warning;
  auto f = root.write("p", "mật khẩu dài đủ\nsecond line ignored\n");
  ::chmod(f.c_str(), 0600);
  CHECK(readPassphraseFile(f, &warning) == "mật khẩu dài đủ");
  CHECK(warning.empty());
  ::chmod(f.c_str(), 0644);
  readPassphraseFile(f, &warning);
  CHECK(warning.find("readable by its group or others") != std::string::npos);
  auto check = [&](const std::string& text, const char* expected) {
    auto g = root.write("q", text);
    try {
      readPassphraseFile(g, &warning);
      FAIL("accepted " << text);
    } catch (const BackupError& e) {
      CHECK(std::string(e.what()).find(expected) != std::string::npos);
    }
  };
  check("", "is empty");
  check("\nsecret on line two\n", "is empty");
  check("short pass\n", "too short: 10 characters");
  check("ngắn quá ạ\n", "too short");
  CHECK_THROWS_AS(readPassphraseFile(root.path() / "missing", &warning), BackupError);
}

TEST_CASE("--out-dir names a backup in UTC+7 and keeps the newest N") {
  CHECK(backupFileName(1796000000) == "posture-backup-20261130-075320.p7m");
  test::TempDir root;
  for (const char* n : {"posture-backup-20261101-020000.p7m", "posture-backup-20261102-020000.p7m",
                        "posture-backup-20261103-020000.p7m", "other.p7m", "posture-backup-20261104-020000.p7m.tmp"}) {
    root.write(n, "x");
  }
  auto removed = pruneBackups(root.path(), 2);
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].filename() == "posture-backup-20261101-020000.p7m");
  CHECK(fs::exists(root.path() / "posture-backup-20261102-020000.p7m"));
  CHECK(fs::exists(root.path() / "posture-backup-20261103-020000.p7m"));
  CHECK(fs::exists(root.path() / "other.p7m"));
}

TEST_CASE("--out-dir removes the .tmp files of runs killed mid-way once they are an hour old") {
  test::TempDir root;
  const std::int64_t now = 1796000000;
  auto aged = [&](const char* name, std::int64_t age) {
    root.write(name, "partial");
    struct utimbuf times {};
    times.actime = times.modtime = static_cast<std::time_t>(now - age);
    REQUIRE(::utime((root.path() / name).c_str(), &times) == 0);
  };
  aged("posture-backup-20261101-020000.p7m.tmp", 7200);  // killed two hours ago
  aged("posture-backup-20261130-075000.p7m.tmp", 60);    // a run in progress
  aged("posture-backup-20261101-020000.p7m", 7200);      // a backup
  aged("other.p7m.tmp", 7200);                           // not ours
  auto removed = removeStaleTemporaries(root.path(), now);
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].filename() == "posture-backup-20261101-020000.p7m.tmp");
  CHECK_FALSE(fs::exists(root.path() / "posture-backup-20261101-020000.p7m.tmp"));
  CHECK(fs::exists(root.path() / "posture-backup-20261130-075000.p7m.tmp"));
  CHECK(fs::exists(root.path() / "posture-backup-20261101-020000.p7m"));
  CHECK(fs::exists(root.path() / "other.p7m.tmp"));
  // An hour later the second one goes too.
  CHECK(removeStaleTemporaries(root.path(), now + 3600).size() == 1);
}

TEST_CASE("a file asking for more PBKDF2 iterations than the cap is refused before any derivation") {
  Fixture fx;
  auto good = fx.backup();
  std::string bytes = bytesOf(good);
  {
    std::FILE* f = std::fopen(good.c_str(), "rb");
    REQUIRE(f != nullptr);
    auto counts = pbkdf2Iterations(f, bytes.size());
    std::fclose(f);
    REQUIRE(counts.has_value());
    CHECK(*counts == std::vector<std::uint64_t>{static_cast<std::uint64_t>(kTestIterations)});
  }
  // The count 1000 (02 02 03 e8) becomes 2^31 - 1 (02 04 7f ff ff ff): the four lengths
  // around it (PBKDF2-params, [0] keyDerivationAlgorithm, [3] PWRI, the SET) grow by 2.
  const std::string oid("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x05\x0c", 11);
  auto p = bytes.find(oid);
  REQUIRE(p != std::string::npos);
  REQUIRE(bytes.compare(p + 23, 4, std::string("\x02\x02\x03\xe8", 4)) == 0);
  REQUIRE(bytes.compare(p - 11, 2, std::string("\x31\x81", 2)) == 0);  // SET, long-form length
  REQUIRE(bytes.compare(p - 8, 2, std::string("\xa3\x81", 2)) == 0);   // [3], long-form length
  std::string b = bytes.substr(0, p + 23) + std::string("\x02\x04\x7f\xff\xff\xff", 6) + bytes.substr(p + 27);
  for (std::size_t at : {p - 9, p - 6, p - 1, p + 12}) b[at] = static_cast<char>(b[at] + 2);
  writeBytes(fx.root.path() / "costly.p7m", b);
  auto start = std::chrono::steady_clock::now();
  std::string error = restoreError(fx.root.path() / "costly.p7m", fx.root.path() / "new");
  CHECK_MESSAGE(error.find("đòi 2147483647 vòng PBKDF2, quá giới hạn 10.000.000") != std::string::npos, error);
  CHECK_MESSAGE(error.find("asks for 2147483647 PBKDF2 iterations, above the limit of 10,000,000") != std::string::npos,
                error);
  // 2^31 iterations would take hours; the refusal comes first.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
  CHECK_FALSE(fs::exists(fx.root.path() / "new"));
}

TEST_CASE("the envelope writer refuses to seal nothing, and seals a single byte") {
  test::TempDir dir{"posture-envelope-test-"};
  {
    EnvelopeWriter writer(dir.path() / "empty.p7m", kPass, kTestIterations);
    writer.write("");
    std::string error;
    try {
      writer.finish();
    } catch (const BackupError& e) {
      error = e.what();
    }
    CHECK_MESSAGE(error.find("the content is empty") != std::string::npos, error);
  }
  {
    EnvelopeWriter writer(dir.path() / "one.p7m", kPass, kTestIterations);
    writer.write("x");
    writer.finish();
  }
  auto result = openEnvelope(dir.path() / "one.p7m", kPass, dir.path() / "one.out");
  REQUIRE_MESSAGE(result.ok(), result.detail);
  CHECK(bytesOf(dir.path() / "one.out") == "x");
}

namespace {
// A small tmpfs of `bytes`, unmounted at the end.
struct SmallDisk {
  fs::path dir;
  SmallDisk(const fs::path& at, std::uint64_t bytes) : dir(at) {
    fs::create_directories(dir);
    std::string opts = "size=" + std::to_string(bytes) + ",mode=0700";
    REQUIRE_MESSAGE(::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0,
                    "cannot mount a tmpfs (the test needs root): " << std::strerror(errno));
  }
  ~SmallDisk() { ::umount2(dir.c_str(), MNT_DETACH); }
  std::uint64_t freeBytes() const {
    struct statvfs st {};
    REQUIRE(::statvfs(dir.c_str(), &st) == 0);
    return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  }
  // Fills the disk until `left` bytes are free (as near as its pages allow).
  void leave(std::uint64_t left) {
    fs::remove(dir / "filler");
    std::uint64_t now = freeBytes();
    if (now <= left) return;
    std::ofstream out(dir / "filler", std::ios::binary);
    std::string zeros(64 * 1024, '\0');
    for (std::uint64_t n = now - left; n > 0;) {
      auto k = std::min<std::uint64_t>(n, zeros.size());
      out.write(zeros.data(), static_cast<std::streamsize>(k));
      n -= k;
    }
  }
  // What is on the disk besides the filler.
  std::set<std::string> listing() const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().filename() != "filler") names.insert(e.path().filename().string());
    }
    return names;
  }
};

// Runs `step`: "" when it succeeds, else its error, which must be a full disk told in both
// languages (any other error fails the test).
template <typename Step>
std::string fullDiskError(Step step) {
  try {
    step();
  } catch (const NoSpaceError& e) {
    std::string error = e.what();
    CHECK_MESSAGE(error.find("không đủ chỗ trống trên đĩa") != std::string::npos, error);
    CHECK_MESSAGE(error.find("not enough disk space") != std::string::npos, error);
    return error;
  } catch (const BackupError& e) {
    FAIL_CHECK("not told as a full disk: " << e.what());
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("a full disk: backup and restore say so at every step, keep what was there and leave nothing behind") {
  Fixture fx;
  auto good = fx.backup();
  std::uint64_t dbBytes = fs::file_size(fx.data / "posture.db");
  std::uint64_t outBytes = fs::file_size(good);
  constexpr int kSteps = 14;

  SUBCASE("backup: the snapshot, then the encrypted file run out of space") {
    std::uint64_t need = dbBytes + outBytes + 64 * 1024;
    SmallDisk disk(fx.root.path() / "small", 2 * need + outBytes);
    fs::copy_file(good, disk.dir / "older.p7m");
    std::string older = bytesOf(disk.dir / "older.p7m");
    bool snapshotFull = false, envelopeFull = false;
    int made = 0;
    for (int k = 0; k <= kSteps; ++k) {
      disk.leave(need * static_cast<std::uint64_t>(k) / 12);
      std::string error = fullDiskError([&] { createBackup(fx.options(disk.dir / "new.p7m")); });
      if (error.find(".backup-") != std::string::npos) snapshotFull = true;
      if (error.find("new.p7m.tmp") != std::string::npos) envelopeFull = true;
      auto names = disk.listing();
      if (error.empty()) {
        ++made;
        CHECK(names == std::set<std::string>{"older.p7m", "new.p7m"});
        fs::copy_file(disk.dir / "new.p7m", fx.root.path() / "made.p7m", fs::copy_options::overwrite_existing);
        CHECK(verifyBackup(fx.root.path() / "made.p7m", kPass).reports == 3);
        fs::remove(disk.dir / "new.p7m");
      } else {
        CHECK_MESSAGE(names == std::set<std::string>{"older.p7m"}, error);
      }
      CHECK(bytesOf(disk.dir / "older.p7m") == older);
    }
    CHECK(snapshotFull);
    CHECK(envelopeFull);
    CHECK(made > 0);
  }

  SUBCASE("restore: decrypting, then extracting run out of space; the target is never half made") {
    std::uint64_t need = 2 * (dbBytes + outBytes) + 64 * 1024;
    SmallDisk disk(fx.root.path() / "small", 2 * need);
    bool decryptFull = false, extractFull = false;
    int restored = 0;
    for (int k = 0; k <= kSteps; ++k) {
      disk.leave(need * static_cast<std::uint64_t>(k) / 12);
      std::string error = fullDiskError([&] { restoreBackup(good, kPass, disk.dir / "new"); });
      if (error.find("archive.tar") != std::string::npos) decryptFull = true;
      if (error.find("/content/") != std::string::npos) extractFull = true;
      auto names = disk.listing();
      if (error.empty()) {
        ++restored;
        CHECK(names == std::set<std::string>{"new"});
        CHECK(integrityProblems(disk.dir / "new/posture.db").empty());
        CHECK(bytesOf(disk.dir / "new/ca.key") == bytesOf(fx.data / "ca.key"));
        fs::remove_all(disk.dir / "new");
      } else {
        CHECK_MESSAGE(names.empty(), error);
      }
    }
    CHECK(decryptFull);
    CHECK(extractFull);
    CHECK(restored > 0);
  }
}
