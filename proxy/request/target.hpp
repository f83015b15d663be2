// The request target (RFC 9112 3.2.1 origin-form: path and optional query),
// parsed strictly, and the question that keeps registry policy from being
// bypassed: does this path reach the registry API however it is spelled?
//
// An upstream may decode percent-escapes (once or more), treat "\" as "/",
// drop ";params", resolve dot segments and merge slashes before routing,
// so "/%76%32/…", "/x/../v2/…" or "//v2/…" can all reach /v2/. Such a
// path must not be waved through as an ordinary "other" request: it is a
// registry path, and a registry path must be spelled exactly canonically or
// it is refused.
#pragma once

#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pullgate::request {

// One decoded field of an application/x-www-form-urlencoded text.
struct query_param {
    std::string key;
    std::string value;
    bool operator==(const query_param&) const = default;
};

using query_params = std::vector<query_param>;

struct request_target {
    std::string path;    // as sent, never decoded: what the upstream receives
    std::string query;   // as sent, without the "?"; empty when there is none
    query_params params; // the query decoded as a form, in order
};

// Refuses a target that does not start with "/", carries a fragment, has a
// byte <= 0x20 or >= 0x7f, or a "%" not followed by two hex digits.
result<request_target> parse_target(std::string_view target);

// WHATWG application/x-www-form-urlencoded parsing: fields split at "&"
// (empty ones skipped), key and value at the first "=", "+" is a space,
// %XX is decoded. Refused on malformed %XX or bytes <= 0x20 or >= 0x7f.
result<query_params> parse_form(std::string_view text);

// Every value of `key`, in order (views into `params`).
std::vector<std::string_view> param_values(const query_params& params, std::string_view key);

// True when the raw path is "/v2" or under "/v2/", or could reach there
// after an upstream's normalisation (percent-decoding, "\" as "/", ";"
// parameters, dot segments, empty segments, case folding, NUL truncation,
// overlong UTF-8).
bool looks_like_registry_path(std::string_view raw_path);

// True when the raw path is `canonical_path` ("/token") or could be read
// as it by an upstream, under the same normalisations (so "/token/",
// "/Token", "//token", "/%74oken", "/x/../token" all count).
bool may_resolve_to(std::string_view raw_path, std::string_view canonical_path);

// For a path that looks like a registry path: why it is not exactly
// canonical ("percent-encoding in a registry path", "dot segment in a
// registry path", ...), or nothing when it is. Canonical means: starts with
// "/v2" in lower case, no "%", "\" or ";", no "." or ".." segments, and no
// empty segments except the trailing slash of "/v2/" and "…/blobs/uploads/".
std::optional<std::string> registry_path_problem(std::string_view raw_path);

} // namespace pullgate::request
