// The wiring of the console: the route table (every API route, who may call it, its
// handler), the dispatch of handlers to the database threads, the writer thread and the
// export threads, and the split between the API and the static files. The handlers are in
// one file per resource (collector/console/README.md).
#include "collector/console/console_api.h"

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "collector/auth/login.h"
#include "collector/auth/sessions.h"
#include "collector/console/alerts_api.h"
#include "collector/console/audit_api.h"
#include "collector/console/db_pool.h"
#include "collector/console/endpoint_history.h"
#include "collector/console/endpoints_api.h"
#include "collector/console/exceptions_api.h"
#include "collector/console/export_api.h"
#include "collector/console/federation_api.h"
#include "collector/console/history_api.h"
#include "collector/console/housekeeping.h"
#include "collector/console/http_util.h"
#include "collector/console/login_api.h"
#include "collector/console/contacts_api.h"
#include "collector/console/org_api.h"
#include "collector/console/overview_api.h"
#include "collector/console/overview_cache.h"
#include "collector/console/remediation_api.h"
#include "collector/console/route_table.h"
#include "collector/console/static_files.h"
#include "common/log/log.h"
#include "common/net/http_server.h"
#include "common/util/time.h"

namespace posture::collector::console {
namespace {
namespace http = boost::beast::http;

constexpr std::size_t kApiQueue = 1000;

// What a handler needs of the request, copied out of it (the database threads get a copy).
struct Call {
  net::Request* request = nullptr;  // the I/O thread's: never read on another thread
  Access access;                    // the route's
  PathParams params;
  Query query;
  std::string body;
  std::string token, csrf;  // the session cookie's value, the X-CSRF-Token header
};

using Handler = std::function<boost::asio::awaitable<net::Response>(Call&)>;
// Runs on an API database thread once checkAccess() let the call through.
using SessionJob =
    std::function<net::Response(db::Connection&, const Call&, const auth::SessionInfo&)>;

boost::asio::awaitable<net::Response> ready(net::Response r) { co_return r; }

const Access kRead{true, auth::Action::Read, false};
const Access kTriage{true, auth::Action::AlertTriage, true};
const Access kOrgEdit{true, auth::Action::OrgEdit, true};

}  // namespace

struct ConsoleApi::Impl {
  ConsoleContext ctx;
  DbPool apiPool;
  DbPool loginPool;   // the Argon2 checks; auth::Logins bounds how many are admitted
  DbPool exportPool;  // export builds; ExportGate bounds how many are admitted
  auth::Logins logins;
  ExportService exports;
  OverviewCache overview;
  RouteTable<Handler> routes;
  Housekeeping housekeeping;  // last: its thread uses `logins`

  explicit Impl(ConsoleContext c)
      : ctx(std::move(c)),
        apiPool(ctx.dataDir, ctx.workers, kApiQueue, "api"),
        loginPool(ctx.dataDir, ctx.loginWorkers, ctx.loginWorkers + ctx.loginQueue, "login"),
        exportPool(ctx.dataDir, ctx.exportWorkers, ctx.exportWorkers + 1, "export"),
        logins(auth::LoginLimits{{}, {ctx.loginWorkers, ctx.loginQueue, 2}}),
        exports(ctx.dataDir, ctx.policies, ctx.staleAfterSeconds, ExportLimits{1, ctx.exportWorkers}),
        overview(ctx.generation),
        housekeeping(ctx.dataDir, logins) {
    addRoutes();
  }

  // ---- the route table: every API route, and nothing routes elsewhere ----

  void addRoutes() {
    using V = http::verb;
    const Access anySession{true, std::nullopt, false};
    const Access noSession{false, std::nullopt, false};
    auto policies = [this] { return ctx.policies(); };
    auto triaged = [this] { overview.noteTriage(); };  // open-alert counts of the overview

    routes.add(V::get, "/api/v1/openapi.yaml", noSession,
               [](Call&) { return ready(*staticFile("openapi.yaml")); });

    // The session: the login needs none (it is origin-checked like every write).
    routes.add(V::post, "/api/v1/session", {false, std::nullopt, true},
               [this](Call& c) { return postSession(*c.request, loginPool, logins); });
    routes.add(V::get, "/api/v1/session", anySession,
               inSession([](db::Connection&, const Call&, const auth::SessionInfo& s) {
                 return sessionInfo(s);
               }));
    routes.add(V::delete_, "/api/v1/session", {true, std::nullopt, true},
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return logoutSession(db, c.token);
               }));

    routes.add(V::get, "/api/v1/overview", kRead, [this](Call& c) { return overviewRoute(c); });
    routes.add(V::get, "/api/v1/history", kRead,
               inSession([policies](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return targetHistory(db, c.query, *policies());
               }));

    routes.add(V::get, "/api/v1/alerts", kRead,
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return alertList(db, c.query);
               }));
    routes.add(V::post, "/api/v1/alerts/bulk", kTriage,
               inSession([triaged](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
                 return alertBulk(db, c.body, s.user, triaged);
               }));
    // Issue 17: alert groups (rule, unit) and actions on whole groups.
    routes.add(V::get, "/api/v1/alerts/groups", kRead,
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return alertGroupList(db, c.query);
               }));
    routes.add(V::post, "/api/v1/alerts/groups/actions", kTriage,
               inSession([triaged](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
                 return alertGroupActions(db, c.body, s.user, triaged);
               }));
    routes.add(V::get, "/api/v1/alerts/{id:id}", kRead,
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return alertDetail(db, c.params.id("id"));
               }));
    for (std::string verb : {"ack", "resolve", "comment", "assign"}) {
      routes.add(V::post, "/api/v1/alerts/{id:id}/" + verb, kTriage,
                 inSession([triaged, verb](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
                   return alertAction(db, c.params.id("id"), verb, c.body, s.user, triaged);
                 }));
    }

    routes.add(V::get, "/api/v1/endpoints", kRead,
               inSession([this](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return listEndpoints(db, c.query, ctx.staleAfterSeconds, *ctx.policies());
               }));
    // The filtered list as CSV (issue 17): an export, so the export role and gate.
    routes.add(V::get, "/api/v1/endpoints.csv", {true, auth::Action::Export, false},
               [this](Call& c) { return endpointsCsvRoute(c); });
    routes.add(V::get, "/api/v1/endpoints/{agent_id}", kRead,
               inSession([this](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return endpointDetail(db, c.params.text("agent_id"), *ctx.policies(),
                                       ctx.staleAfterSeconds, c.query);
               }));
    routes.add(V::get, "/api/v1/endpoints/{agent_id}/history", kRead,
               inSession([policies](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return endpointHistory(db, c.params.text("agent_id"), c.query, *policies());
               }));

    // A province's districts (issue 16): read-only for every role; triage stays in the
    // district, so nothing here takes a write.
    routes.add(V::get, "/api/v1/federation/children", kRead,
               inSession([](db::Connection& db, const Call&, const auth::SessionInfo&) {
                 return federationChildren(db, util::unixNow());
               }));
    routes.add(V::get, "/api/v1/federation/alerts", kRead,
               inSession([policies](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return federationAlerts(db, c.query, *policies());
               }));

    routes.add(V::get, "/api/v1/audit", {true, auth::Action::AuditRead, false},
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return auditList(db, c.query);
               }));
    // Exceptions (issue 17): every role reads them, admins record and revoke.
    routes.add(V::get, "/api/v1/exceptions", kRead,
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return listExceptionsRoute(db, c.query, util::unixNow());
               }));
    routes.add(V::post, "/api/v1/exceptions", kOrgEdit,
               inSession([policies](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
                 util::Json body;
                 if (auto r = jsonObjectBody(c.body, body)) return *r;
                 auto set = policies();
                 return addExceptionRoute(db, body, set ? *set : std::vector<policy::Policy>{}, s.user,
                                          util::unixNow());
               }));
    routes.add(V::post, "/api/v1/exceptions/{id:id}/revoke", kOrgEdit,
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
                 return revokeExceptionRoute(db, c.params.id("id"), s.user, util::unixNow());
               }));
    const Access exportAccess{true, auth::Action::Export, false};
    routes.add(V::get, "/api/v1/export", exportAccess, [this](Call& c) { return exportRoute(c, false); });
    routes.add(V::get, "/api/v1/export/manifest", exportAccess,
               [this](Call& c) { return exportRoute(c, true); });
    routes.add(V::get, "/api/v1/remediation", exportAccess, [this](Call& c) { return remediationRoute(c); });

    routes.add(V::get, "/api/v1/layers", kRead,
               inSession([](db::Connection& db, const Call&, const auth::SessionInfo&) {
                 return listLayers(db);
               }));
    routes.add(V::put, "/api/v1/layers/{unit}/{layer}", kOrgEdit,
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
                 util::Json body;
                 if (auto r = jsonObjectBody(c.body, body)) return *r;
                 return putLayerRecord(db, c.params.text("unit"), c.params.text("layer"), body, s.user);
               }));
    routes.add(V::get, "/api/v1/systems", kRead,
               inSession([](db::Connection& db, const Call&, const auth::SessionInfo&) {
                 return listSystems(db);
               }));
    routes.add(V::put, "/api/v1/systems/{code}", kOrgEdit,
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
                 util::Json body;
                 if (auto r = jsonObjectBody(c.body, body)) return *r;
                 return putInfoSystem(db, c.params.text("code"), body, s.user);
               }));
    routes.add(V::delete_, "/api/v1/systems/{code}", kOrgEdit,
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
                 return deleteInfoSystem(db, c.params.text("code"), s.user);
               }));
    // Issue 17: the units' notice contacts (contacts_api.h), admins only.
    const Access contactsRead{true, auth::Action::OrgEdit, false};
    routes.add(V::get, "/api/v1/contacts", contactsRead,
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo&) {
                 return listUnitContacts(db, c.query);
               }));
    routes.add(V::post, "/api/v1/contacts", kOrgEdit,
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
                 util::Json body;
                 if (auto r = jsonObjectBody(c.body, body)) return *r;
                 return addUnitContact(db, body, s.user);
               }));
    routes.add(V::delete_, "/api/v1/contacts/{id:id}", kOrgEdit,
               inSession([](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
                 return deleteUnitContact(db, c.params.id("id"), s.user);
               }));
  }

  // ---- dispatch ----

  // The session of a call, checked against its route (checkAccess); or the refusal.
  std::variant<auth::SessionInfo, net::Response> authorise(db::Connection& db, const Call& call) {
    std::optional<auth::SessionInfo> session;
    if (!call.token.empty()) session = auth::lookupSession(db, call.token, util::unixNow());
    if (auto r = checkAccess(call.access, session, call.csrf)) return std::move(*r);
    if (!session) return unauthenticated();
    return std::move(*session);
  }

  // The handler of a route whose whole work is `job` on an API thread, after the session.
  Handler inSession(SessionJob job) {
    return [this, job = std::move(job)](Call& call) { return runInSession(call, job); };
  }

  boost::asio::awaitable<net::Response> runInSession(Call& call, SessionJob job) {
    DbPool::Job work = [this, call, job = std::move(job)](db::Connection& db) {
      auto auth = authorise(db, call);
      if (auto* refused = std::get_if<net::Response>(&auth)) return std::move(*refused);
      return job(db, call, std::get<auth::SessionInfo>(auth));
    };
    // Named first: GCC 12 mishandles temporaries inside co_await expressions.
    auto pending = onPool(apiPool, std::move(work));
    net::Response r = co_await std::move(pending);
    co_return r;
  }

  // ---- the overview: the session on an API thread, the build on the writer thread ----

  boost::asio::awaitable<net::Response> overviewRoute(Call& call) {
    std::string onlyUnit;
    if (auto r = unitParam(call.query, "unit", false, onlyUnit)) co_return *r;
    auto checked = runInSession(call, [](db::Connection&, const Call&, const auth::SessionInfo&) {
      return net::Response{200, kJson, "", {}};
    });
    net::Response r = co_await std::move(checked);
    if (r.status != 200) co_return r;
    auto snap = overview.current();
    if (!snap) {
      auto built = std::make_shared<std::shared_ptr<const OverviewSnapshot>>();
      std::function<net::Response(db::Connection&)> work = [this, built](db::Connection& db) {
        *built = overview.current();  // another request may have built it meanwhile
        if (!*built) {
          auto generation = overview.generation();  // read first: a later change makes it stale
          *built = buildOverview(db, {ctx.model ? ctx.model() : nullptr, ctx.policies, ctx.staleAfterSeconds},
                                 generation);
          overview.store(*built);
        }
        return net::Response{200, kJson, "", {}};
      };
      auto pending = onWriter(std::move(work));
      net::Response b = co_await std::move(pending);
      if (b.status != 200) co_return b;
      snap = *built;
    }
    if (!snap) co_return apiError(500, "internal", "Lỗi máy chủ", "internal error");
    co_return renderOverview(*snap, onlyUnit);
  }

  boost::asio::awaitable<net::Response> onWriter(std::function<net::Response(db::Connection&)> work) {
    auto response = std::make_shared<net::Response>();
    Ingest::Job job = [response, work = std::move(work)](db::Connection& db) { *response = work(db); };
    auto pending = ctx.ingest->run(std::move(job));
    Ingest::JobOutcome outcome = co_await std::move(pending);
    if (outcome.error) {
      try {
        std::rethrow_exception(outcome.error);
      } catch (const std::exception& e) {
        log::error("console overview failed: ", e.what());
      }
      co_return apiError(500, "internal", "Lỗi máy chủ", "internal error");
    }
    co_return std::move(*response);
  }

  // ---- exports: the session and the cache on an API thread, the build on an export thread ----

  boost::asio::awaitable<net::Response> exportRoute(Call& call, bool manifest) {
    auto request = std::make_shared<std::optional<ExportRequest>>();
    DbPool::Job prepare = [this, call, manifest, request](db::Connection& db) {
      auto auth = authorise(db, call);
      if (auto* refused = std::get_if<net::Response>(&auth)) return std::move(*refused);
      ExportRequest build;
      auto answer = exports.prepare(call.query, std::get<auth::SessionInfo>(auth).user, manifest,
                                    util::unixNow(), build);
      if (answer) return std::move(*answer);
      *request = std::move(build);
      return net::Response{};
    };
    auto prepared = onPool(apiPool, std::move(prepare));
    net::Response r = co_await std::move(prepared);
    if (!*request) co_return r;
    auto built = onExportThread((*request)->user, [this, request](db::Connection& db) {
      return exports.build(db, **request, util::unixNow());
    });
    net::Response done = co_await std::move(built);
    co_return done;
  }

  // `build` on an export thread once ExportGate admits `user`; else its 429.
  boost::asio::awaitable<net::Response> onExportThread(std::string user, DbPool::Job build) {
    auto admitted = exports.admit(user);
    if (auto* refused = std::get_if<net::Response>(&admitted)) co_return std::move(*refused);
    // Given back by the job itself, before its answer goes out: copies of the job may live
    // on a little (the pool's, the coroutine's), and the user's next export must find the
    // place free.
    auto ticket = std::make_shared<std::optional<ExportGate::Ticket>>(
        std::move(std::get<ExportGate::Ticket>(admitted)));
    DbPool::Job job = [ticket, build = std::move(build)](db::Connection& db) {
      struct GiveBack {
        std::optional<ExportGate::Ticket>& t;
        ~GiveBack() { t.reset(); }
      } giveBack{*ticket};  // also when the build throws
      return build(db);
    };
    auto built = onPool(exportPool, std::move(job));
    net::Response done = co_await std::move(built);
    co_return done;
  }

  // ---- the remediation list (issue 17): checked on an API thread, built like an export ----

  boost::asio::awaitable<net::Response> remediationRoute(Call& call) {
    RemediationRequest request;
    if (auto r = parseRemediationRequest(call.query, request)) co_return *r;
    auto user = std::make_shared<std::string>();
    DbPool::Job check = [this, call, user](db::Connection& db) {
      auto auth = authorise(db, call);
      if (auto* refused = std::get_if<net::Response>(&auth)) return std::move(*refused);
      *user = std::get<auth::SessionInfo>(auth).user;
      return net::Response{};
    };
    auto checked = onPool(apiPool, std::move(check));
    net::Response r = co_await std::move(checked);
    if (user->empty()) co_return r;
    auto built = onExportThread(*user, [this, request](db::Connection& db) {
      return remediationResponse(db, request, ctx.policies(), ctx.staleAfterSeconds,
                                 ctx.caFingerprint, util::unixNow());
    });
    net::Response done = co_await std::move(built);
    co_return done;
  }

  // The endpoint list as CSV: checked on an API thread, built on an export thread once
  // the export gate admits it (up to 100,000 rows, like an export).
  boost::asio::awaitable<net::Response> endpointsCsvRoute(Call& call) {
    auto user = std::make_shared<std::string>();
    DbPool::Job check = [this, call, user](db::Connection& db) {
      auto auth = authorise(db, call);
      if (auto* refused = std::get_if<net::Response>(&auth)) return std::move(*refused);
      EndpointListRequest ignored;
      if (auto r = endpointListParams(db, call.query, ctx.staleAfterSeconds, *ctx.policies(),
                                      util::unixNow(), ignored))
        return std::move(*r);
      *user = std::get<auth::SessionInfo>(auth).user;
      return net::Response{};
    };
    auto checked = onPool(apiPool, std::move(check));
    net::Response r = co_await std::move(checked);
    if (user->empty()) co_return r;
    auto admitted = exports.admit(*user);
    if (auto* refused = std::get_if<net::Response>(&admitted)) co_return std::move(*refused);
    auto ticket = std::make_shared<std::optional<ExportGate::Ticket>>(
        std::move(std::get<ExportGate::Ticket>(admitted)));
    DbPool::Job build = [this, call, ticket](db::Connection& db) {
      struct GiveBack {
        std::optional<ExportGate::Ticket>& t;
        ~GiveBack() { t.reset(); }
      } giveBack{*ticket};
      return endpointsCsv(db, call.query, ctx.staleAfterSeconds, *ctx.policies(), util::unixNow());
    };
    auto built = onPool(exportPool, std::move(build));
    net::Response done = co_await std::move(built);
    co_return done;
  }

  // ---- routing ----

  boost::asio::awaitable<net::Response> api(net::Request& request, const std::string& path,
                                            Query query) {
    auto resolved = routes.resolve(request, path);
    if (auto* refused = std::get_if<net::Response>(&resolved)) co_return std::move(*refused);
    auto& match = std::get<RouteTable<Handler>::Match>(resolved);
    Call call;
    call.request = &request;
    call.access = match.route->access;
    call.params = std::move(match.params);
    call.query = std::move(query);
    call.body = request.message.body();
    call.token = auth::sessionTokenFromCookieHeader(request.message[http::field::cookie]);
    call.csrf = std::string(request.message["X-CSRF-Token"]);
    auto pending = match.route->handler(call);
    net::Response r = co_await std::move(pending);
    co_return r;
  }
};

ConsoleApi::ConsoleApi(ConsoleContext context) : impl_(std::make_unique<Impl>(std::move(context))) {}

ConsoleApi::~ConsoleApi() { stop(); }

void ConsoleApi::stop() {
  impl_->apiPool.stop();
  impl_->loginPool.stop();
  impl_->exportPool.stop();
  impl_->housekeeping.stop();  // after the logins: its last pass writes every open count
}

boost::asio::awaitable<net::Response> ConsoleApi::handle(net::Request& request) {
  std::string target(request.message.target());
  auto qmark = target.find('?');
  std::string path = target.substr(0, qmark);
  Query query;
  bool api = path.starts_with("/api/");
  net::Response response;
  if (!parseQuery(qmark == std::string::npos ? std::string_view{} : std::string_view(target).substr(qmark + 1),
                  query)) {
    response = badRequest("query", "mã hoá phần trăm sai", "bad percent-encoding");
  } else if (path.starts_with("/api/v1/")) {
    auto op = impl_->api(request, path, std::move(query));
    response = co_await std::move(op);
  } else if (api) {
    response = notFound(path);
  } else {
    response = staticResponse(request.message.method(), path);
  }
  addSecurityHeaders(response, api);
  co_return response;
}

}  // namespace posture::collector::console
