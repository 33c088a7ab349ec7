// Issue 17, grouped alerts against a real collector with real agents: every group's counts
// equal its member alerts, through the API (groups and their drill-down) and the CLI
// (`alerts list` and `--expand`); a target alert is raised once, at the plan's unit; group
// actions from the console and the CLI act on every member; bad CLI filters are named.
#include <doctest/doctest.h>

#include <boost/beast/http.hpp>

#include <map>
#include <sstream>
#include <thread>

#include "common/db/sqlite.h"
#include "common/util/json.h"
#include "common/util/process.h"
#include "tests/integration/child_process.h"
#include "tests/integration/console_harness.h"

using namespace posture;
using namespace posture::test;
namespace http = boost::beast::http;

namespace {
std::vector<std::vector<std::string>> rows(const std::string& out) {
  std::vector<std::vector<std::string>> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::size_t start = 0;
    for (;;) {
      auto tab = line.find('\t', start);
      cells.push_back(line.substr(start, tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    lines.push_back(std::move(cells));
  }
  return lines;
}

std::string urlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}
}  // namespace

TEST_CASE("alert groups: counts equal their members through the API and the CLI; group actions") {
  auto c = consoleCollector();
  importSampleOrg(c);
  std::string password = addUser(c, "soc1", "soc");
  std::string auditorPassword = addUser(c, "audit1", "auditor");
  smallFleet(c, "BS-VP", 3);
  smallFleet(c, "BS-TC", 2);
  auto s = login(c, "soc1", password);
  firstAlert(c, s);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the evaluation settles

  auto get = [&](const std::string& target) {
    auto r = request(c.consoleAddress, http::verb::get, target, {}, s.headers(false));
    INFO(target << ": " << r.body.substr(0, 300));
    REQUIRE(r.status == 200);
    return r.json();
  };
  auto groups = get("/api/v1/alerts/groups?limit=500");
  REQUIRE(groups.at("groups").size() > 0);
  CHECK(groups.at("total").asInt() == static_cast<std::int64_t>(groups.at("groups").size()));
  std::int64_t members = 0;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> byKey;
  for (const auto& g : groups.at("groups").items()) {
    std::string key = g.at("key").asString();
    auto m = get("/api/v1/alerts?limit=500&group=" + urlEncode(key));
    std::int64_t open = 0, acked = 0;
    for (const auto& a : m.at("alerts").items()) {
      CHECK(a.at("rule").asString() == g.at("rule").asString());
      CHECK(a.at("unit").asString() == g.at("unit").asString());
      (a.at("status").asString() == "open" ? open : acked)++;
    }
    CAPTURE(key);
    CHECK(open == g.at("open").asInt());
    CHECK(acked == g.at("acknowledged").asInt());
    CHECK(m.at("total").asInt() == g.at("members").asInt());
    members += g.at("members").asInt();
    byKey[key] = {open, acked};
  }
  // Five machines failing the same checks in two units: fewer groups than alerts.
  CHECK(members > static_cast<std::int64_t>(byKey.size()));
  std::int64_t rolled = 0;
  for (const auto& r : groups.at("rules").items()) rolled += r.at("members").asInt();
  CHECK(rolled == members);
  // The subtree filter: BS's groups are BS-VP's and BS-TC's and BS's own.
  auto bs = get("/api/v1/alerts/groups?limit=500&unit=BS");
  CHECK(bs.at("total").asInt() <= groups.at("total").asInt());
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/alerts/groups?status=gone", {}, s.headers(false)).status == 400);
  auto noUnit = request(c.consoleAddress, http::verb::get, "/api/v1/alerts/groups?unit=NOPE", {}, s.headers(false));
  CHECK(noUnit.status == 404);
  CHECK(noUnit.body.find("parameter 'unit': no unit NOPE") != std::string::npos);

  // A target alert is raised once, at the unit the plan applies to (BS for Bình Sơn's).
  {
    db::Connection db(std::filesystem::path(c.dataDir) / "posture.db");
    auto st = db.prepare("SELECT count(*), sum(unit_code = 'BS') FROM alerts WHERE subject LIKE 'unit:%' "
                         "AND rule LIKE 'binh-son-2022/%'");
    REQUIRE(st.step());
    CHECK(st.getInt(0) >= 1);
    CHECK(st.getInt(0) == st.getInt(1));
    auto ancestors = db.prepare("SELECT count(*) FROM alerts WHERE subject IN ('unit:QNG', 'unit:BS-VP', 'unit:BS-TC')");
    REQUIRE(ancestors.step());
    CHECK(ancestors.getInt(0) == 0);
  }

  // The CLI: the same groups, and --expand the same members.
  auto list = util::runProcess({POSTURE_COLLECTOR_BIN, "alerts", "list", "--data-dir", c.dataDir, "--lang", "en"});
  REQUIRE(list.exitCode == 0);
  auto lines = rows(list.out);
  CHECK(lines.size() == byKey.size());
  for (const auto& cells : lines) {
    REQUIRE(cells.size() >= 5);
    REQUIRE(byKey.count(cells[1]));
    auto [open, acked] = byKey[cells[1]];
    CHECK(cells[4] == std::to_string(open) + "/" + std::to_string(acked));
  }
  auto expand = util::runProcess({POSTURE_COLLECTOR_BIN, "alerts", "list", "--expand", "--data-dir", c.dataDir});
  REQUIRE(expand.exitCode == 0);
  CHECK(static_cast<std::int64_t>(rows(expand.out).size()) == members);

  // A group action from the console: every member acknowledged, in one request.
  std::string biggest;
  std::int64_t most = 0;
  for (const auto& [key, n] : byKey) {
    if (n.first > most) most = n.first, biggest = key;
  }
  REQUIRE(most > 0);
  std::string body = R"({"action":"ack","groups":[)" + util::jsonString(biggest) + "]}";
  auto act = request(c.consoleAddress, http::verb::post, "/api/v1/alerts/groups/actions", body, s.headers());
  INFO(act.body);
  REQUIRE(act.status == 200);
  CHECK(act.json().at("updated").asInt() == 1);
  CHECK(act.json().at("members").asInt() == most);
  auto after = get("/api/v1/alerts?limit=500&status=open&group=" + urlEncode(biggest));
  CHECK(after.at("total").asInt() == 0);
  // The auditor reads groups but cannot act on them.
  auto a = login(c, "audit1", auditorPassword);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/alerts/groups", {}, a.headers(false)).status == 200);
  CHECK(request(c.consoleAddress, http::verb::post, "/api/v1/alerts/groups/actions", body, a.headers()).status == 403);
  // Without the CSRF token: refused.
  CHECK(request(c.consoleAddress, http::verb::post, "/api/v1/alerts/groups/actions", body, s.headers(false)).status == 403);

  // A group action from the CLI.
  std::string other;
  for (const auto& [key, n] : byKey) {
    if (key != biggest && n.first > 0) other = key;
  }
  REQUIRE(!other.empty());
  auto resolve = util::runProcess({POSTURE_COLLECTOR_BIN, "alerts", "resolve", "--group", other, "--data-dir",
                                   c.dataDir, "--comment", "đã xử lý theo nhóm"});
  INFO(resolve.err);
  CHECK(resolve.exitCode == 0);
  CHECK(get("/api/v1/alerts?limit=500&group=" + urlEncode(other)).at("total").asInt() == 0);

  // Bad filters name their option, Vietnamese first.
  auto badUnit = util::runProcess({POSTURE_COLLECTOR_BIN, "alerts", "list", "--data-dir", c.dataDir, "--unit", "NOPE"});
  CHECK(badUnit.exitCode != 0);
  CHECK(badUnit.err.find("--unit: không có đơn vị 'NOPE' / no unit 'NOPE'") != std::string::npos);
  auto badRule = util::runProcess({POSTURE_COLLECTOR_BIN, "alerts", "list", "--data-dir", c.dataDir, "--rule", "nope/"});
  CHECK(badRule.exitCode != 0);
  CHECK(badRule.err.find("--rule:") != std::string::npos);
  auto badGroup = util::runProcess({POSTURE_COLLECTOR_BIN, "alerts", "ack", "--group", "nogroup", "--data-dir", c.dataDir});
  CHECK(badGroup.exitCode != 0);
  CHECK(badGroup.err.find("--group:") != std::string::npos);
}
