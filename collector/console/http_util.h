#pragma once
// Internal to collector/console/: the JSON responses and error bodies of every handler
// file, and the one place where requests are decoded and checked: the query string, JSON
// bodies and their members, query parameters, ids in the path.
// Errors are {"error":{"code","message_vi","message_en"}} (collector/console/README.md).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/json.h"
#include "collector/policy/policy.h"
#include "common/net/http_server.h"
#include "common/util/utf8.h"  // validUtf8: the console checks text with the common rule

namespace posture::collector::console {

using Query = std::map<std::string, std::string>;
using util::validUtf8;

inline constexpr const char* kJson = "application/json; charset=utf-8";

net::Response jsonResponse(unsigned status, const util::Json& body);
net::Response apiError(unsigned status, const std::string& code, const std::string& vi,
                       const std::string& en);
// 400 bad_request naming the parameter (or body member).
net::Response badRequest(const std::string& parameter, const std::string& vi,
                         const std::string& en);
// 404 not_found; `what` is bilingual ("thiết bị X / endpoint X").
net::Response notFound(const std::string& what);

// A unit (or system) code: 1-64 letters, digits, '.', '_' or '-'.
bool isUnitCode(const std::string& s);
// An agent id (a UUID): 1-64 hexadecimal digits or '-'.
bool isAgentId(const std::string& s);
// A numeric id in a path ("/alerts/42"): 1-18 decimal digits; else nullopt.
std::optional<std::int64_t> parseId(std::string_view s);

// A check of a parameter or body member: the refusal, or nullopt when fine.
using Refusal = std::optional<net::Response>;

// ---- decoding ----

// %XX and '+' decoded; nullopt for a broken escape.
std::optional<std::string> percentDecode(std::string_view in);
// name=value pairs separated by '&', each percent-decoded (the last of a repeated name
// wins); false for a broken escape.
bool parseQuery(std::string_view text, Query& out);
// A JSON object body: 400 "body" when it is not JSON or not an object. With `optional`, an
// empty body is the empty object.
Refusal jsonObjectBody(std::string_view body, util::Json& out, bool optional = false);

// An integer query parameter in [min, max]; def when absent.
Refusal numberParam(const Query& q, const std::string& name, std::int64_t def, std::int64_t min,
                    std::int64_t max, std::int64_t& out);

// Paging of the lists (alerts, endpoints). Deeper than kMaxOffset, OFFSET makes SQLite walk
// every skipped row; keyset paging (after_id / before_id) costs the same on every page.
inline constexpr std::int64_t kMaxLimit = 500;
inline constexpr std::int64_t kMaxOffset = 10000;
// `limit` in [1, kMaxLimit] (defaultLimit when absent) and `offset` in [0, kMaxOffset] (0
// when absent); beyond, 400 naming the field, for offset with the way to keyset paging.
Refusal pageParams(const Query& q, std::int64_t defaultLimit, std::int64_t& limit, std::int64_t& offset);

// A string member: absent → "" (or the refusal when required), else checked.
Refusal stringMember(const util::Json& body, const std::string& name, bool required, std::size_t maxBytes,
                     std::string& out);

// A unit code parameter ("" when absent and not required).
Refusal unitParam(const Query& q, const std::string& name, bool required, std::string& out);
// The source of a row of the endpoint list: a child collector's id (1-64 letters, digits,
// '.', '_' or '-'), or "" when absent (this collector's row).
Refusal sourceParam(const Query& q, const std::string& name, std::string& out);
// A text parameter: at most maxBytes of strict UTF-8 (util::validUtf8), no control characters.
Refusal textParam(const Query& q, const std::string& name, std::size_t maxBytes, std::string& out);
// One of `allowed`, or "" when absent.
Refusal oneOf(const Query& q, const std::string& name, const std::vector<std::string>& allowed,
              std::string& out);

util::Json nullable(const std::string& s);  // "" → null
// satisfied / total, or null without data (total 0).
util::Json fraction(std::uint32_t satisfied, std::uint32_t total);

std::string_view resultKey(policy::Tri t);  // "pass", "fail", "unknown"
// A check named in an answer: {"policy", "id", "title_vi", "title_en", "severity"}.
util::Json checkJson(const policy::Policy& policy, const policy::Check& check);

}  // namespace posture::collector::console
