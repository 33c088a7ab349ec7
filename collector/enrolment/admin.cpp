#include "collector/enrolment/admin.h"

#include <cstdio>

#include "collector/audit/audit.h"
#include "collector/federation/mounts.h"
#include "common/util/unit_code.h"
#include "collector/pki/authority.h"
#include "collector/storage/storage.h"
#include "common/crypto/crypto.h"
#include "common/util/json.h"
#include "common/util/time.h"

namespace posture::collector {
namespace fs = std::filesystem;

const char* const kEnrolmentUsage = R"(  posture-collector token create --data-dir DIR --unit CODE [--uses N] [--ttl 24h]
  posture-collector token create --data-dir DIR --unit CODE --collector [--ttl 24h]
                           (single use: the collector of a lower tier, mounted at unit CODE)
  posture-collector token list --data-dir DIR [--all]
  posture-collector token revoke ID --data-dir DIR
  posture-collector agent list --data-dir DIR [--unit CODE]
  posture-collector agent revoke ID --data-dir DIR
)";

std::string tokenId(const std::string& token) { return crypto::sha256Hex(token).substr(0, 12); }

std::vector<TokenRow> listTokens(db::Connection& db) {
  auto st = db.prepare(
      "SELECT substr(token_sha256, 1, 12), unit_code, created_at, expires_at, uses_left, revoked_at, "
      "kind FROM enrolment_tokens ORDER BY created_at, token_sha256");
  std::vector<TokenRow> out;
  while (st.step()) {
    TokenRow r{st.getText(0), st.getText(1), st.getInt(2), st.getInt(3),
               static_cast<int>(st.getInt(4)), std::nullopt};
    if (!st.isNull(5)) r.revokedAt = st.getInt(5);
    if (st.getText(6) == "collector") r.kind = IdentityKind::Collector;
    out.push_back(r);
  }
  return out;
}

std::vector<AgentRow> listAgents(db::Connection& db) {
  auto st = db.prepare(
      "SELECT a.agent_id, a.unit_code, a.hostname, a.enrolled_at, a.cert_not_after, a.revoked_at, "
      "e.last_seen, a.kind FROM agents a LEFT JOIN endpoints e USING (agent_id) "
      "ORDER BY a.unit_code, a.hostname");
  std::vector<AgentRow> out;
  while (st.step()) {
    AgentRow r{st.getText(0), st.getText(1), st.getText(2), st.getInt(3), st.getInt(4), {}, {}};
    if (!st.isNull(5)) r.revokedAt = st.getInt(5);
    if (!st.isNull(6)) r.lastSeen = st.getInt(6);
    if (st.getText(7) == "collector") r.kind = IdentityKind::Collector;
    out.push_back(r);
  }
  return out;
}

void revokeToken(db::Connection& db, const std::string& id, const std::string& actor, std::int64_t now) {
  if (id.size() != 12 || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw AdminError("mã định danh token phải gồm 12 chữ số hex / a token id is 12 hex digits, got '" + id + "'");
  }
  db::Transaction tx(db);
  auto st = db.prepare(
      "SELECT token_sha256, revoked_at FROM enrolment_tokens WHERE substr(token_sha256, 1, 12) = ?");
  st.bind(1, id);
  if (!st.step()) throw AdminError("không có token " + id + " / no token " + id);
  std::string hash = st.getText(0);
  if (!st.isNull(1)) throw AdminError("token " + id + " đã bị thu hồi / token " + id + " is already revoked");
  db.prepare("UPDATE enrolment_tokens SET revoked_at = ? WHERE token_sha256 = ?").bind(1, now).bind(2, hash).run();
  appendAudit(db, {0, now, actor, "token.revoke", "token:" + id, "{\"revoked\":false}", "{\"revoked\":true}"});
  tx.commit();
}

void revokeAgent(db::Connection& db, const std::string& agentId, const std::string& actor,
                 std::int64_t now) {
  db::Transaction tx(db);
  auto a = findAgent(db, agentId);
  if (!a) throw AdminError("không có tác tử " + agentId + " / no agent " + agentId);
  if (a->revokedAt) throw AdminError("tác tử " + agentId + " đã bị thu hồi / agent " + agentId + " is already revoked");
  db.prepare("UPDATE agents SET revoked_at = ? WHERE agent_id = ?").bind(1, now).bind(2, agentId).run();
  // A child collector's pushes are refused from now on; its rows stay, read-only.
  if (a->kind == IdentityKind::Collector) federation::revokeChild(db, agentId, now);
  announceChange(db, Change::Agents);
  appendAudit(db, {0, now, actor, "agent.revoke", "agent:" + agentId,
                   "{\"revoked\":false,\"hostname\":" + util::jsonString(a->hostname) + "}", "{\"revoked\":true}"});
  tx.commit();
}

namespace {
const char* kindText(IdentityKind kind) {
  return kind == IdentityKind::Collector ? "máy chủ thu thập cấp dưới/child collector" : "tác tử/agent";
}

std::string single(const util::Args& a, const char* what) {
  if (a.positional().size() != 1) throw util::ArgsError(std::string("give exactly one ") + what);
  return a.positional()[0];
}

int tokenCreate(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "unit", "uses", "ttl"}, {"collector"});
  fs::path dataDir = a.require("data-dir");
  std::string unit = a.require("unit");
  if (!util::validCode(unit)) throw util::ArgsError(util::invalidCodeMessage("unit code", unit));
  bool child = a.flag("collector");
  // A child collector's token enrols exactly one collector: a second one mounted at the
  // same unit would claim the same units.
  if (child && a.get("uses")) {
    throw util::ArgsError("--uses does not go with --collector: a child collector's token is single-use");
  }
  int uses = static_cast<int>(a.number("uses", 1, 1, 1000000));
  auto ttl = util::parseDurationSeconds(a.getOr("ttl", "24h"));
  if (!ttl || *ttl <= 0) throw util::ArgsError("--ttl must be a duration like 24h or 7d");
  auto ca = loadCa(dataDir);
  auto db = openDatabase(dataDir);
  std::string token = crypto::randomHex(20);
  std::int64_t now = util::unixNow();
  insertToken(*db, token, unit, now, now + *ttl, uses,
              child ? IdentityKind::Collector : IdentityKind::Agent);
  std::printf("%s\n", token.c_str());
  if (child) {
    std::fprintf(stderr,
                 "Mã đăng ký máy chủ thu thập cấp dưới (ID %s), gắn tại đơn vị %s, dùng một lần, hết hạn %s.\n"
                 "Child collector token (ID %s), mounted at unit %s, single use, expires %s.\n"
                 "CA fingerprint (SHA-256): %s\n",
                 tokenId(token).c_str(), unit.c_str(), util::formatRfc3339Vietnam(now + *ttl).c_str(),
                 tokenId(token).c_str(), unit.c_str(), util::formatRfc3339Vietnam(now + *ttl).c_str(),
                 crypto::certificateFingerprint(ca.certPem).c_str());
    return 0;
  }
  std::fprintf(stderr,
               "Mã đăng ký (ID %s) cho đơn vị %s, dùng được %d lần, hết hạn %s.\n"
               "Enrolment token (ID %s) for unit %s, %d use(s), expires %s.\n"
               "CA fingerprint (SHA-256): %s\n",
               tokenId(token).c_str(), unit.c_str(), uses,
               util::formatRfc3339Vietnam(now + *ttl).c_str(), tokenId(token).c_str(),
               unit.c_str(), uses, util::formatRfc3339Vietnam(now + *ttl).c_str(),
               crypto::certificateFingerprint(ca.certPem).c_str());
  return 0;
}

int tokenList(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir"}, {"all"});
  auto db = openExistingDatabase(a.require("data-dir"));
  std::int64_t now = util::unixNow();
  std::printf("ID\tĐơn vị/Unit\tTạo lúc/Created\tHết hạn/Expires\tCòn lượt/Uses left\tTrạng thái/State\tLoại/Kind\n");
  for (const auto& t : listTokens(*db)) {
    std::string state = t.revokedAt ? "đã thu hồi/revoked"
                        : t.usesLeft <= 0 ? "đã dùng hết/used"
                        : now >= t.expiresAt ? "hết hạn/expired" : "còn hiệu lực/valid";
    bool usable = !t.revokedAt && t.usesLeft > 0 && now < t.expiresAt;
    if (!usable && !a.flag("all")) continue;
    std::printf("%s\t%s\t%s\t%s\t%d\t%s\t%s\n", t.id.c_str(), t.unitCode.c_str(),
                util::formatIso8601(t.createdAt).c_str(), util::formatIso8601(t.expiresAt).c_str(),
                t.usesLeft, state.c_str(), kindText(t.kind));
  }
  return 0;
}

int tokenRevoke(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir"}, {});
  std::string id = single(a, "token ID");
  auto db = openExistingDatabase(a.require("data-dir"));
  revokeToken(*db, id, cliActor(), util::unixNow());
  std::printf("Đã thu hồi token %s. / Token %s revoked.\n", id.c_str(), id.c_str());
  return 0;
}

int agentList(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "unit"}, {});
  auto db = openExistingDatabase(a.require("data-dir"));
  std::string unit = a.getOr("unit", "");
  std::printf("ID\tĐơn vị/Unit\tTên máy/Host\tĐăng ký/Enrolled\tChứng thư đến/Cert until\tBáo cáo cuối/Last report\tTrạng thái/State\tLoại/Kind\n");
  for (const auto& r : listAgents(*db)) {
    if (!unit.empty() && r.unitCode != unit) continue;
    std::printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.agentId.c_str(), r.unitCode.c_str(), r.hostname.c_str(),
                util::formatIso8601(r.enrolledAt).c_str(), util::formatIso8601(r.certNotAfter).c_str(),
                r.lastSeen ? util::formatIso8601(*r.lastSeen).c_str() : "-",
                r.revokedAt ? "đã thu hồi/revoked" : "hoạt động/active", kindText(r.kind));
  }
  return 0;
}

int agentRevoke(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir"}, {});
  std::string id = single(a, "agent ID");
  auto db = openExistingDatabase(a.require("data-dir"));
  revokeAgent(*db, id, cliActor(), util::unixNow());
  std::printf("Đã thu hồi tác tử %s; máy chủ từ chối báo cáo tiếp theo của nó.\n"
              "Agent %s revoked; the collector refuses its next report.\n", id.c_str(), id.c_str());
  return 0;
}
}  // namespace

std::vector<util::Command> enrolmentCommands() {
  return {{{"token", "create"}, tokenCreate},
          {{"token", "list"}, tokenList},
          {{"token", "revoke"}, tokenRevoke},
          {{"agent", "list"}, agentList},
          {{"agent", "revoke"}, agentRevoke}};
}

}  // namespace posture::collector
