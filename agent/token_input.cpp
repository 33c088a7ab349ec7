#include "agent/token_input.h"

#include <stdexcept>

#include "common/util/args.h"
#include "common/util/files.h"

namespace posture::agent {
namespace {
// Tokens are a few dozen characters; more is a wrong file.
constexpr std::size_t kMaxTokenBytes = 4096;

std::string trimmed(std::string v) {
  v.erase(0, v.find_first_not_of(" \t\r\n"));
  v.erase(v.find_last_not_of(" \t\r\n") + 1);
  return v;
}
}  // namespace

TokenInput readToken(const std::optional<std::string>& tokenArg,
                     const std::optional<std::string>& tokenFile, std::istream& in) {
  if (tokenArg && tokenFile) throw util::ArgsError("give --token or --token-file, not both");
  if (!tokenArg && !tokenFile) {
    throw util::ArgsError("missing --token-file FILE, --token - (standard input) or --token TOKEN");
  }
  TokenInput out;
  std::string where;
  if (tokenFile) {
    where = *tokenFile;
    auto text = util::readFile(*tokenFile, kMaxTokenBytes + 1);
    if (!text) throw std::runtime_error("không đọc được / cannot read --token-file " + *tokenFile);
    out.token = std::move(*text);
    if (util::readableByOthers(*tokenFile)) {
      out.warning = "cảnh báo: người dùng khác trên máy này đọc được " + *tokenFile + " (chmod 600 " +
                    *tokenFile + "); nếu mã đăng ký dùng được nhiều lần, hãy thu hồi nó khi triển khai "
                    "xong (posture-collector token revoke) / warning: " + *tokenFile +
                    " is readable by other users of this machine (chmod 600 " + *tokenFile +
                    "); if the token allows several uses, revoke it once deployment is done "
                    "(posture-collector token revoke)";
    }
  } else if (*tokenArg == "-") {
    where = "standard input";
    std::string text;
    char c;
    while (text.size() <= kMaxTokenBytes && in.get(c)) text += c;
    out.token = std::move(text);
  } else {
    where = "--token";
    out.token = *tokenArg;
  }
  if (out.token.size() > kMaxTokenBytes) {
    throw std::runtime_error("quá dài để là mã đăng ký / " + where + " holds more than a token");
  }
  out.token = trimmed(out.token);
  if (out.token.empty()) throw std::runtime_error("mã đăng ký trống / the token from " + where + " is empty");
  return out;
}

}  // namespace posture::agent
