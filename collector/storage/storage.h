#pragma once
// The collector's SQLite schema and the queries on it. One writer (the ingest thread)
// does every write during `serve`; CLI commands open their own connection.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/db/sqlite.h"

namespace posture::collector {

// Opens DIR/posture.db, applying pending migrations.
std::unique_ptr<db::Connection> openDatabase(const std::filesystem::path& dataDir);

struct TokenInfo {
  std::string unitCode;
  std::int64_t expiresAt = 0;
  int usesLeft = 0;
};

// Stores only the SHA-256 of the token.
void insertToken(db::Connection& db, const std::string& token, const std::string& unitCode,
                 std::int64_t createdAt, std::int64_t expiresAt, int uses);

enum class TokenCheck { Ok, Unknown, Expired, UsedUp, Revoked };
// Consumes one use of the token inside the caller's transaction.
TokenCheck consumeToken(db::Connection& db, const std::string& token, std::int64_t now,
                        TokenInfo& out);

struct AgentRecord {
  std::string agentId, unitCode, hostname, certSerial;
  std::int64_t enrolledAt = 0, certNotAfter = 0;
  std::optional<std::int64_t> revokedAt;
};
void insertAgent(db::Connection& db, const AgentRecord& agent);
std::optional<AgentRecord> findAgent(db::Connection& db, const std::string& agentId);

struct StoredEndpoint {
  std::string agentId, unitCode, hostname;
  std::uint64_t lastSequence = 0;
  std::int64_t lastSeen = 0;      // when the collector committed its latest report
  std::int64_t collectedAt = 0;   // when the agent collected it
  std::string report;             // serialized posture.v1.Report
};
std::vector<StoredEndpoint> loadEndpoints(db::Connection& db);

std::int64_t countReports(db::Connection& db);

// One agent report as the ingest path stores it.
struct ReportRecord {
  std::string agentId, unitCode, hostname;
  std::uint64_t sequence = 0;
  std::int64_t collectedAt = 0;
  std::string body;  // serialized posture.v1.Report
};

// Appends reports to the history and moves each endpoint's latest-state row forward.
// The statements are prepared once; insert() runs inside the caller's transaction.
class ReportWriter {
 public:
  explicit ReportWriter(db::Connection& db);
  // false: (agent, sequence) was already stored, and nothing changed.
  bool insert(const ReportRecord& record, std::int64_t receivedAt);

 private:
  db::Connection& db_;
  db::Statement insert_;
  db::Statement upsert_;
};

}  // namespace posture::collector
