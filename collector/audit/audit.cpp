#include "collector/audit/audit.h"

#include <unistd.h>

#include <cstdlib>

namespace posture::collector {

void appendAudit(db::Connection& db, const AuditEntry& e) {
  db.prepare("INSERT INTO audit_log(at, actor, action, object, before, after) "
             "VALUES (?, ?, ?, ?, ?, ?)")
      .bind(1, e.at)
      .bind(2, e.actor)
      .bind(3, e.action)
      .bind(4, e.object)
      .bind(5, e.before)
      .bind(6, e.after)
      .run();
}

std::vector<AuditEntry> listAudit(db::Connection& db, const std::string& objectPrefix,
                                  std::size_t limit) {
  // A prefix match without LIKE, so '%' and '_' in object names stay literal.
  auto st = db.prepare(
      "SELECT id, at, actor, action, object, before, after FROM audit_log "
      "WHERE substr(object, 1, length(?1)) = ?1 ORDER BY id DESC LIMIT ?2");
  st.bind(1, objectPrefix).bind(2, static_cast<std::int64_t>(limit));
  std::vector<AuditEntry> out;
  while (st.step()) {
    out.push_back({st.getInt(0), st.getInt(1), st.getText(2), st.getText(3), st.getText(4),
                   st.getText(5), st.getText(6)});
  }
  return out;
}

std::string cliActor() {
  if (const char* s = std::getenv("SUDO_USER"); s && *s) return s;
  if (const char* l = ::getlogin(); l && *l) return l;
  if (const char* u = std::getenv("USER"); u && *u) return u;
  return "uid:" + std::to_string(::getuid());
}

}  // namespace posture::collector
