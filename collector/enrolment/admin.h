#pragma once
// Administration of enrolment: tokens (list, revoke) and enrolled agents (list, revoke).
// A token is shown by its id, the first 12 hex digits of its SHA-256 (the only form stored).
// Revocations are audited; the running collector picks them up within a few seconds
// (it reloads its registry when the audit log moves), so a revoked agent is refused at
// its next report.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "collector/storage/storage.h"
#include "common/db/sqlite.h"
#include "common/util/args.h"

namespace posture::collector {

struct TokenRow {
  std::string id;  // 12 hex digits
  std::string unitCode;
  std::int64_t createdAt = 0, expiresAt = 0;
  int usesLeft = 0;
  std::optional<std::int64_t> revokedAt;
  IdentityKind kind = IdentityKind::Agent;
};
std::vector<TokenRow> listTokens(db::Connection& db);
std::string tokenId(const std::string& token);  // of a token as printed by `token create`

struct AgentRow {
  std::string agentId, unitCode, hostname;
  std::int64_t enrolledAt = 0, certNotAfter = 0;
  std::optional<std::int64_t> revokedAt;
  std::optional<std::int64_t> lastSeen;
  IdentityKind kind = IdentityKind::Agent;
};
std::vector<AgentRow> listAgents(db::Connection& db);

class AdminError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Throw AdminError (Vietnamese / English) for an unknown or already revoked one.
void revokeToken(db::Connection& db, const std::string& id, const std::string& actor, std::int64_t now);
void revokeAgent(db::Connection& db, const std::string& agentId, const std::string& actor,
                 std::int64_t now);

std::vector<util::Command> enrolmentCommands();
extern const char* const kEnrolmentUsage;

}  // namespace posture::collector
