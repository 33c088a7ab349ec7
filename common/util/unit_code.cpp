#include "common/util/unit_code.h"

namespace posture::util {

bool validCode(std::string_view code) {
  return !code.empty() && code.size() <= 64 &&
         code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
             std::string_view::npos;
}

std::string invalidCodeMessage(std::string_view what, std::string_view code) {
  return std::string(what) + " '" + std::string(code) + "' must be " + std::string(kCodeRule);
}

}  // namespace posture::util
