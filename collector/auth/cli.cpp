// `user add|list|passwd|disable|enable|role`: console accounts. Input errors (name, role, weak
// password) exit 2 before anything is stored; a duplicate or unknown user exits 1.
#include "collector/auth/cli.h"

#include <cstdio>
#include <iostream>
#include <string>

#include "collector/audit/audit.h"
#include "collector/auth/users.h"
#include "collector/cli/options.h"
#include "collector/storage/storage.h"
#include "common/util/args.h"
#include "common/util/time.h"
#include "common/util/utf8.h"

namespace posture::collector {
namespace fs = std::filesystem;
using cli::vietnamese;
using cli::when;

const char* const kUserUsage = R"(  posture-collector user add --data-dir DIR --name NAME --role admin|soc|auditor [--password-stdin]
                          (without --password-stdin: prints a generated password once)
  posture-collector user list --data-dir DIR [--lang vi|en]
  posture-collector user passwd --data-dir DIR --name NAME [--password-stdin]
  posture-collector user disable --data-dir DIR --name NAME
  posture-collector user enable --data-dir DIR --name NAME
  posture-collector user role --data-dir DIR --name NAME --role admin|soc|auditor
)";

namespace {
auth::Role userRole(const util::Args& a) {
  std::string text = a.require("role");
  auto role = auth::parseRole(text);
  if (!role) {
    throw util::ArgsError("vai trò phải là admin, soc hoặc auditor / --role must be admin, soc or auditor, got '" +
                          text + "'");
  }
  return *role;
}

std::string userName(const util::Args& a) {
  std::string name = a.require("name");
  if (auto e = auth::checkUserName(name)) throw util::ArgsError(*e + ", got '" + name + "'");
  return name;
}

// The new password: one line of stdin (without its line ending), or a generated one.
std::string newPassword(const util::Args& a, const std::string& name, bool& generated) {
  generated = !a.flag("password-stdin");
  if (generated) return auth::generatePassword(name);
  std::string line;
  if (!std::getline(std::cin, line)) {
    throw util::ArgsError("không đọc được mật khẩu từ stdin / no password on stdin");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (auto e = auth::checkPassword(name, line)) throw util::ArgsError(*e);
  return line;
}

void printGenerated(const std::string& name, const std::string& password) {
  std::printf("%s\n", password.c_str());
  std::fprintf(stderr,
               "Mật khẩu của %s (chỉ hiện một lần, hãy ghi lại và đổi sau khi đăng nhập).\n"
               "Password of %s (shown only once: keep it safe).\n",
               name.c_str(), name.c_str());
}

int userAdd(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "name", "role"}, {"password-stdin"});
  std::string name = userName(a);
  auth::Role role = userRole(a);
  bool generated = false;
  std::string password = newPassword(a, name, generated);
  auto db = openDatabase(a.require("data-dir"));
  try {
    auth::addUser(*db, name, role, password, cliActor(), util::unixNow());
  } catch (const auth::AuthError& e) {
    if (e.kind() == auth::AuthError::Kind::Invalid) throw util::ArgsError(e.what());
    throw;
  }
  if (generated) printGenerated(name, password);
  std::fprintf(stderr, "Đã tạo người dùng %s, vai trò %s. / Created user %s, role %s.\n",
               name.c_str(), std::string(auth::roleName(role)).c_str(), name.c_str(),
               std::string(auth::roleName(role)).c_str());
  return 0;
}

int userPasswd(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "name"}, {"password-stdin"});
  std::string name = userName(a);
  bool generated = false;
  std::string password = newPassword(a, name, generated);
  auto db = openExistingDatabase(a.require("data-dir"));
  try {
    auth::setPassword(*db, name, password, cliActor(), util::unixNow());
  } catch (const auth::AuthError& e) {
    if (e.kind() == auth::AuthError::Kind::Invalid) throw util::ArgsError(e.what());
    throw;
  }
  if (generated) printGenerated(name, password);
  std::fprintf(stderr, "Đã đổi mật khẩu của %s, các phiên đăng nhập đã kết thúc. / Password of %s changed, its sessions ended.\n",
               name.c_str(), name.c_str());
  return 0;
}

int userSetDisabled(const std::vector<std::string>& argv, bool disabled) {
  util::Args a(argv, {"data-dir", "name"}, {});
  std::string name = userName(a);
  auto db = openExistingDatabase(a.require("data-dir"));
  bool changed = auth::setDisabled(*db, name, disabled, cliActor(), util::unixNow());
  if (disabled) {
    std::printf(changed ? "Đã khoá người dùng %s. / User %s disabled.\n"
                        : "Người dùng %s đã bị khoá từ trước. / User %s was already disabled.\n",
                name.c_str(), name.c_str());
  } else {
    std::printf(changed ? "Đã mở khoá người dùng %s. / User %s enabled.\n"
                        : "Người dùng %s đang hoạt động. / User %s was already enabled.\n",
                name.c_str(), name.c_str());
  }
  return 0;
}

int userSetRole(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "name", "role"}, {});
  std::string name = userName(a);
  auth::Role role = userRole(a);
  auto db = openExistingDatabase(a.require("data-dir"));
  auth::setRole(*db, name, role, cliActor(), util::unixNow());
  std::string r(auth::roleName(role));
  std::printf("Người dùng %s: vai trò %s. / User %s: role %s.\n", name.c_str(), r.c_str(),
              name.c_str(), r.c_str());
  return 0;
}

std::string padded(const std::string& text, std::size_t width) {
  return util::padRight(text, width);
}

int userList(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "lang"}, {});
  bool vi = vietnamese(a);
  auto db = openExistingDatabase(a.require("data-dir"));
  std::printf("%s%s%s%s\n", padded(vi ? "TÊN" : "NAME", 25).c_str(),
              padded(vi ? "VAI TRÒ" : "ROLE", 9).c_str(),
              padded(vi ? "TRẠNG THÁI" : "STATE", 36).c_str(), vi ? "ĐĂNG NHẬP GẦN NHẤT" : "LAST LOGIN");
  for (const auto& u : auth::listUsers(*db)) {
    // Login locks are per (user, source address) and live in the console's memory
    // (collector/auth/login_throttle.h): a user as such is only ever disabled or active.
    std::string state = u.disabledAt ? (vi ? "đã khoá" : "disabled") : (vi ? "hoạt động" : "active");
    std::printf("%s%s%s%s\n", padded(u.name, 25).c_str(),
                padded(std::string(auth::roleName(u.role)), 9).c_str(), padded(state, 36).c_str(),
                u.lastLoginAt ? when(*u.lastLoginAt).c_str() : "-");
  }
  return 0;
}
}  // namespace

std::vector<util::Command> userCommands() {
  return {{{"user", "add"}, userAdd},
          {{"user", "list"}, userList},
          {{"user", "passwd"}, userPasswd},
          {{"user", "disable"}, [](const auto& v) { return userSetDisabled(v, true); }},
          {{"user", "enable"}, [](const auto& v) { return userSetDisabled(v, false); }},
          {{"user", "role"}, userSetRole}};
}

}  // namespace posture::collector
