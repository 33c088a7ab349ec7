#pragma once
// Where `posture-agent enroll` takes the enrolment token from. On the command line
// (--token T) it is visible to every local user in the process list while enroll runs;
// from standard input (--token -) or a file (--token-file FILE) it is not.
#include <istream>
#include <optional>
#include <string>

namespace posture::agent {

struct TokenInput {
  std::string token;
  std::string warning;  // for the operator, "" if none (e.g. a file other users can read)
};

// Exactly one of tokenArg ("-" reads `in`) and tokenFile. White space around the token
// (a trailing newline) is dropped. Throws util::ArgsError when neither or both are given
// and std::runtime_error when the file cannot be read or the token is empty.
//
// A token file that group or others may read is used, with a warning: refusing would not
// make the token secret again, while enrolling spends a single-use token at once. The
// warning says to chmod the file and to revoke a token that allows several uses.
TokenInput readToken(const std::optional<std::string>& tokenArg,
                     const std::optional<std::string>& tokenFile, std::istream& in);

}  // namespace posture::agent
