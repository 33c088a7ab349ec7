#include "collector/exceptions/exceptions.h"

#include <algorithm>
#include <cstdio>

#include "collector/audit/audit.h"
#include "collector/org/org.h"
#include "common/util/json.h"
#include "common/util/time.h"
#include "common/util/unit_code.h"
#include "common/util/utf8.h"

namespace posture::collector::exceptions {
namespace {

constexpr std::size_t kMaxText = 2000;

constexpr const char* kColumns =
    "SELECT id, scope, subject, hostname, rule, justification, approver, document, expires_day, "
    "created_at, created_by, revoked_at, revoked_by FROM risk_exceptions";

RiskException readRow(db::Statement& st) {
  RiskException x;
  x.id = st.getInt(0);
  x.scope = st.getText(1) == "unit" ? Scope::Unit : Scope::Endpoint;
  x.subject = st.getText(2);
  x.hostname = st.getText(3);
  x.rule = st.getText(4);
  x.justification = st.getText(5);
  x.approver = st.getText(6);
  x.document = st.getText(7);
  x.expiresDay = st.getInt(8);
  x.createdAt = st.getInt(9);
  x.createdBy = st.getText(10);
  if (!st.isNull(11)) x.revokedAt = st.getInt(11);
  if (!st.isNull(12)) x.revokedBy = st.getText(12);
  return x;
}

std::string auditJson(const RiskException& x) {
  util::Json j = util::Json::object();
  j.set("id", static_cast<long long>(x.id));
  j.set("scope", std::string(scopeName(x.scope)));
  j.set("subject", x.subject);
  if (!x.hostname.empty()) j.set("hostname", x.hostname);
  j.set("rule", x.rule);
  j.set("justification", x.justification);
  j.set("approver", x.approver);
  j.set("document", x.document);
  j.set("expires", util::formatDate(x.expiresDay));
  if (x.revokedAt) {
    j.set("revoked_at", util::formatRfc3339Vietnam(x.revokedAt));
    j.set("revoked_by", x.revokedBy);
  }
  return util::writeJson(j, false);
}

std::string requiredText(const std::string& field, const std::string& value, const char* vi,
                         const char* en) {
  std::string v = value;
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
  std::size_t start = v.find_first_not_of(" \t");
  v = start == std::string::npos ? std::string() : v.substr(start);
  if (v.empty())
    throw ExceptionError(field, std::string("thiếu ") + vi, std::string("missing ") + en);
  if (!util::validUtf8(v) || v.size() > kMaxText ||
      std::any_of(v.begin(), v.end(), [](char c) { return c >= 0 && c < 0x20 && c != '\n'; })) {
    throw ExceptionError(field, std::string(vi) + " không hợp lệ (UTF-8, tối đa 2000 byte)",
                         std::string(en) + " is not valid (UTF-8, at most 2000 bytes)");
  }
  return v;
}

// "YYYY-MM-DD" or "dd/mm/yyyy".
std::optional<std::int64_t> parseExpiry(const std::string& text) {
  if (auto d = util::parseDate(text)) return d;
  int dd = 0, mm = 0, yyyy = 0;
  char tail = 0;
  if (text.size() == 10 &&
      std::sscanf(text.c_str(), "%2d/%2d/%4d%c", &dd, &mm, &yyyy, &tail) == 3) {
    char iso[16];
    std::snprintf(iso, sizeof iso, "%04d-%02d-%02d", yyyy, mm, dd);
    return util::parseDate(iso);
  }
  return std::nullopt;
}

bool ruleExists(const std::vector<policy::Policy>& policies, const std::string& rule) {
  auto slash = rule.find('/');
  if (slash == std::string::npos) return false;
  std::string pid = rule.substr(0, slash), item = rule.substr(slash + 1);
  for (const auto& p : policies) {
    if (p.id != pid) continue;
    for (const auto& c : p.checks)
      if (c.id == item) return true;
    for (const auto& t : p.targets)
      if (t.id == item) return true;
  }
  return false;
}

bool tableExists(db::Connection& db) {
  auto st =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'risk_exceptions'");
  return st.step();
}
}  // namespace

std::string_view scopeName(Scope s) { return s == Scope::Unit ? "unit" : "endpoint"; }

std::int64_t expiresAt(std::int64_t expiresDay) {
  return (expiresDay + 1) * util::kSecondsPerDay - util::kVietnamOffsetSeconds;
}

bool activeAt(const RiskException& x, std::int64_t at) {
  return x.createdAt <= at && (x.revokedAt == 0 || x.revokedAt > at) &&
         at < expiresAt(x.expiresDay);
}

std::string_view stateName(const RiskException& x, std::int64_t now) {
  if (x.revokedAt && x.revokedAt <= now) return "revoked";
  if (now >= expiresAt(x.expiresDay)) return "expired";
  return "active";
}

std::string reference(const RiskException& x, bool vi) {
  return x.rule + ": " + (vi ? "VB " : "document ") + x.document +
         (vi ? ", duyệt: " : ", approved by ") + x.approver +
         (vi ? ", đến hết " : ", until the end of ") + util::formatDate(x.expiresDay) + " (#" +
         std::to_string(x.id) + ")";
}

RiskException addException(db::Connection& db, const NewException& r,
                           const std::vector<policy::Policy>& policies, const std::string& actor,
                           std::int64_t now) {
  RiskException x;
  // The target first: which machine or unit, then the rule, then the record's fields.
  if (r.endpoint.empty() == r.unit.empty()) {
    throw ExceptionError(r.endpoint.empty() ? "endpoint" : "unit",
                         "cần đúng một trong hai: thiết bị (endpoint) hoặc đơn vị (unit)",
                         "give exactly one of endpoint and unit");
  }
  db::Transaction tx(db);
  if (!r.unit.empty()) {
    x.scope = Scope::Unit;
    if (!util::validCode(r.unit) || !org::loadOrg(db).findUnit(r.unit)) {
      throw ExceptionError("unit", "không có đơn vị '" + r.unit + "'", "no unit '" + r.unit + "'");
    }
    x.subject = r.unit;
  } else {
    x.scope = Scope::Endpoint;
    auto st = db.prepare(
        "SELECT agent_id, hostname FROM endpoints WHERE agent_id = ?1 OR hostname = ?1 "
        "ORDER BY agent_id <> ?1 LIMIT 2");
    st.bind(1, r.endpoint);
    std::vector<std::pair<std::string, std::string>> found;
    while (st.step()) found.emplace_back(st.getText(0), st.getText(1));
    if (found.empty()) {
      throw ExceptionError("endpoint", "không có thiết bị '" + r.endpoint + "'",
                           "no endpoint '" + r.endpoint + "'");
    }
    if (found.size() > 1 && found[0].first != r.endpoint) {
      throw ExceptionError("endpoint", "nhiều thiết bị có tên '" + r.endpoint + "': dùng mã tác tử",
                           "several endpoints are named '" + r.endpoint + "': give the agent id");
    }
    x.subject = found[0].first;
    x.hostname = found[0].second;
  }
  if (r.rule.empty()) throw ExceptionError("rule", "thiếu quy tắc", "missing rule");
  if (!ruleExists(policies, r.rule)) {
    throw ExceptionError(
        "rule", "không có quy tắc '" + r.rule + "' (CHÍNH_SÁCH/KIỂM_TRA hoặc CHÍNH_SÁCH/CHỈ_TIÊU)",
        "no rule '" + r.rule + "' (POLICY/CHECK or POLICY/TARGET)");
  }
  x.rule = r.rule;
  x.justification = requiredText("justification", r.justification, "lý do", "justification");
  x.approver = requiredText("approver", r.approver, "người phê duyệt", "approver");
  x.document = requiredText("document", r.document, "số văn bản", "document number");
  if (r.expires.empty()) {
    throw ExceptionError("expires", "thiếu ngày hết hạn (YYYY-MM-DD)",
                         "missing expiry date (YYYY-MM-DD)");
  }
  auto day = parseExpiry(r.expires);
  if (!day) {
    throw ExceptionError("expires", "ngày hết hạn '" + r.expires + "' không hợp lệ (YYYY-MM-DD)",
                         "expiry date '" + r.expires + "' is not a date (YYYY-MM-DD)");
  }
  if (*day < util::vietnamDay(now)) {
    throw ExceptionError("expires", "ngày hết hạn " + util::formatDate(*day) + " đã qua",
                         "expiry date " + util::formatDate(*day) + " is in the past");
  }
  x.expiresDay = *day;
  x.createdAt = now;
  x.createdBy = actor;
  auto ins = db.prepare(
      "INSERT INTO risk_exceptions(scope, subject, hostname, rule, justification, approver, "
      "document, "
      "expires_day, expires_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, std::string(scopeName(x.scope)))
      .bind(2, x.subject)
      .bind(3, x.hostname)
      .bind(4, x.rule);
  ins.bind(5, x.justification).bind(6, x.approver).bind(7, x.document).bind(8, x.expiresDay);
  ins.bind(9, expiresAt(x.expiresDay)).bind(10, x.createdAt).bind(11, x.createdBy).run();
  x.id = db.lastInsertRowid();
  appendAudit(
      db, {0, now, actor, "exception.add", "exception:" + std::to_string(x.id), "", auditJson(x)});
  tx.commit();
  return x;
}

RiskException revokeException(db::Connection& db, std::int64_t id, const std::string& actor,
                              std::int64_t now) {
  db::Transaction tx(db);
  auto before = findException(db, id);
  if (!before) {
    throw ExceptionError("id", "không có ngoại lệ " + std::to_string(id),
                         "no exception " + std::to_string(id));
  }
  if (before->revokedAt) {
    throw ExceptionError("id", "ngoại lệ " + std::to_string(id) + " đã bị thu hồi",
                         "exception " + std::to_string(id) + " is already revoked");
  }
  RiskException after = *before;
  after.revokedAt = now;
  after.revokedBy = actor;
  db.prepare("UPDATE risk_exceptions SET revoked_at = ?, revoked_by = ? WHERE id = ?")
      .bind(1, now)
      .bind(2, actor)
      .bind(3, id)
      .run();
  appendAudit(db, {0, now, actor, "exception.revoke", "exception:" + std::to_string(id),
                   auditJson(*before), auditJson(after)});
  tx.commit();
  return after;
}

std::optional<RiskException> findException(db::Connection& db, std::int64_t id) {
  auto st = db.prepare(std::string(kColumns) + " WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return readRow(st);
}

std::vector<RiskException> listExceptions(db::Connection& db, std::optional<std::int64_t> at) {
  std::vector<RiskException> out;
  if (!tableExists(db)) return out;
  if (!at) {
    auto st = db.prepare(std::string(kColumns) + " ORDER BY id DESC");
    while (st.step()) out.push_back(readRow(st));
    return out;
  }
  // Read every tick by the live evaluation: the partial index keeps it to the live rows.
  auto st = db.prepare(
      std::string(kColumns) +
      " WHERE revoked_at IS NULL AND expires_at > ?1 AND created_at <= ?1 "
      "UNION ALL " +
      kColumns +
      " WHERE revoked_at > ?1 AND expires_at > ?1 AND created_at <= ?1 ORDER BY id DESC");
  st.bind(1, *at);
  while (st.step()) out.push_back(readRow(st));
  return out;
}

ExceptionSet::ExceptionSet(std::vector<RiskException> active) {
  std::sort(active.begin(), active.end(),
            [](const RiskException& a, const RiskException& b) { return a.id < b.id; });
  for (auto& x : active) {
    signature_ += std::to_string(x.id) + ",";
    byRule_[x.rule].push_back(std::move(x));
  }
}

ExceptionSet ExceptionSet::load(db::Connection& db, std::int64_t at) {
  return ExceptionSet(listExceptions(db, at));
}

const RiskException* ExceptionSet::forEndpoint(const std::string& rule, const std::string& agentId,
                                               const std::vector<std::string>& unitChain) const {
  auto it = byRule_.find(rule);
  if (it == byRule_.end()) return nullptr;
  for (const auto& x : it->second) {
    if (x.scope == Scope::Endpoint
            ? x.subject == agentId
            : std::find(unitChain.begin(), unitChain.end(), x.subject) != unitChain.end())
      return &x;
  }
  return nullptr;
}

const RiskException* ExceptionSet::forUnit(const std::string& rule,
                                           const std::vector<std::string>& unitChain) const {
  auto it = byRule_.find(rule);
  if (it == byRule_.end()) return nullptr;
  for (const auto& x : it->second) {
    if (x.scope == Scope::Unit &&
        std::find(unitChain.begin(), unitChain.end(), x.subject) != unitChain.end())
      return &x;
  }
  return nullptr;
}

std::vector<const RiskException*> ExceptionSet::coveringEndpoint(
    const std::string& agentId, const std::vector<std::string>& unitChain) const {
  std::vector<const RiskException*> out;
  for (const auto& [rule, list] : byRule_) {
    for (const auto& x : list) {
      bool covers = x.scope == Scope::Endpoint ? x.subject == agentId
                                               : std::find(unitChain.begin(), unitChain.end(),
                                                           x.subject) != unitChain.end();
      if (covers) out.push_back(&x);
    }
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return out;
}

}  // namespace posture::collector::exceptions
