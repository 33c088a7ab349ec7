#include "collector/storage/console_queries.h"

namespace posture::collector {

std::optional<EndpointPlace> findEndpointPlace(db::Connection& db, const std::string& agentId) {
  auto st = db.prepare("SELECT unit_code, hostname FROM endpoints WHERE agent_id = ?");
  st.bind(1, agentId);
  if (!st.step()) return std::nullopt;
  return EndpointPlace{st.getText(0), st.getText(1)};
}

std::int64_t countReports(db::Connection& db, const std::string& agentId) {
  auto st = db.prepare("SELECT count(*) FROM reports WHERE agent_id = ?");
  st.bind(1, agentId);
  return st.step() ? st.getInt(0) : 0;
}

std::vector<std::pair<std::string, std::int64_t>> openAlertCountsByUnit(db::Connection& db) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  auto st = db.prepare(
      "SELECT unit_code, count(*) FROM alerts WHERE status IN ('open', 'acknowledged') "
      "GROUP BY unit_code");
  while (st.step()) out.emplace_back(st.getText(0), st.getInt(1));
  return out;
}

}  // namespace posture::collector
