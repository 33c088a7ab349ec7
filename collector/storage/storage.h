#pragma once
// The collector's SQLite schema and the queries on it. One writer (the ingest thread)
// does every write during `serve`; CLI commands open their own connection.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/db/sqlite.h"

namespace posture::v1 {
class Report;
}

namespace posture::collector {

// Opens DIR/posture.db, applying pending migrations; creates DIR (0700) and the database
// when missing: for `serve` and the commands that set a collector up before its first
// start (token create, user add, org import, unit add, layer set, system add).
std::unique_ptr<db::Connection> openDatabase(const std::filesystem::path& dataDir);
// The same for the commands that read or change what a collector already holds (status,
// export, alerts, agent and token lists, ...): a data directory without posture.db is
// refused with a message naming it, instead of answering from a new empty database
// (a mistyped --data-dir would otherwise show an empty fleet).
std::unique_ptr<db::Connection> openExistingDatabase(const std::filesystem::path& dataDir);

// What an enrolment makes: an agent (reports its machine) or the collector of a lower
// tier (pushes its units' figures, issue 16), mounted at the token's unit.
enum class IdentityKind { Agent, Collector };
std::string_view identityKindName(IdentityKind kind);  // "agent", "collector"

struct TokenInfo {
  std::string unitCode;
  IdentityKind kind = IdentityKind::Agent;
  std::int64_t expiresAt = 0;
  int usesLeft = 0;
};

// Stores only the SHA-256 of the token.
void insertToken(db::Connection& db, const std::string& token, const std::string& unitCode,
                 std::int64_t createdAt, std::int64_t expiresAt, int uses,
                 IdentityKind kind = IdentityKind::Agent);

enum class TokenCheck { Ok, Unknown, Expired, UsedUp, Revoked };
// Consumes one use of the token inside the caller's transaction.
TokenCheck consumeToken(db::Connection& db, const std::string& token, std::int64_t now,
                        TokenInfo& out);

struct AgentRecord {
  std::string agentId, unitCode, hostname, certSerial;
  std::int64_t enrolledAt = 0, certNotAfter = 0;
  std::optional<std::int64_t> revokedAt;
  // The certificate before the last renewal, until the renewed one is first used.
  std::string previousCertSerial;
  IdentityKind kind = IdentityKind::Agent;
};

// Which of an agent's certificates a connection presented. Only the current one is
// accepted, and the previous one only while a renewal may not have reached the agent
// (its answer lost): the first report with the renewed certificate retires the old one.
enum class CertificateCheck { Current, Previous, Superseded };
CertificateCheck checkCertificate(const std::string& presented, const std::string& current,
                                  const std::string& previous);

// Changes that other connections (the CLI, the console) make, announced in their own
// transaction, so that the serving collector notices them by reading two counters
// instead of scanning the audit log.
enum class Change { Organization, Agents };
void announceChange(db::Connection& db, Change what);
struct ChangeCounters {
  std::int64_t organization = 0, agents = 0;
  bool operator==(const ChangeCounters&) const = default;
};
ChangeCounters readChangeCounters(db::Connection& db);
void insertAgent(db::Connection& db, const AgentRecord& agent);
std::optional<AgentRecord> findAgent(db::Connection& db, const std::string& agentId);

struct StoredEndpoint {
  std::string agentId, unitCode, hostname;
  std::uint64_t lastSequence = 0;
  std::int64_t lastSeen = 0;      // when the collector committed its latest report
  std::int64_t collectedAt = 0;   // when the agent collected it
  std::string report;             // serialized posture.v1.Report
  // Non-empty: not an agent of this collector but a child collector's row (issue 16): the
  // facts it pushed (a serialized posture.v1.FederatedEndpoint), and `report` is empty.
  std::string federated;
  std::string childId;  // the child collector a federated row came from
};
// This collector's endpoints, then its children's federated ones, by (unit, host, agent).
std::vector<StoredEndpoint> loadEndpoints(db::Connection& db);

// One agent report as the ingest path stores it.
struct ReportRecord {
  std::string agentId, unitCode, hostname;
  std::uint64_t sequence = 0;
  std::int64_t collectedAt = 0;
  std::string body;  // serialized posture.v1.Report
  // The serial of the client certificate it came with (lower-case hex); empty for rows
  // our own tools write (tests, benchmarks), which are not checked against the agents.
  std::string certSerial;
  // `body` as ingest decoded it: the live evaluation reads this instead of decoding the
  // body a second time. Null for rows our own tools write.
  std::shared_ptr<const posture::v1::Report> decoded;
};

// Appends reports to the history and moves each endpoint's latest-state row forward.
// The statements are prepared once; insert() runs inside the caller's transaction.
class ReportWriter {
 public:
  explicit ReportWriter(db::Connection& db);
  ~ReportWriter();

  // Checked in the transaction that stores the report, so a revocation or renewal
  // committed by any connection before it is never missed.
  enum class Admission { Accepted, UnknownAgent, Revoked, Superseded };
  Admission admit(const ReportRecord& record);
  // When (agent, sequence) is already stored with another body: the agent's highest stored
  // sequence (its spool was lost, its certificate kept). nullopt: a true resend or new.
  std::optional<std::uint64_t> conflict(const ReportRecord& record);
  // false: (agent, sequence) was already stored, and nothing changed.
  bool insert(const ReportRecord& record, std::int64_t receivedAt);

 private:
  db::Connection& db_;
  db::Statement agent_;
  db::Statement retire_;
  db::Statement stored_;
  db::Statement last_;
  db::Statement insert_;
  db::Statement upsert_;
};

}  // namespace posture::collector
