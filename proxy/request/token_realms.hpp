// Token realms learned from registries.
//
// A registry that uses bearer tokens names its token service in the
// WWW-Authenticate header of a 401 from /v2/ (Docker registry token
// specification). Requests to that realm are token requests for that
// registry, decided by their scopes. Docker Hub's realm is built in.
// Thread-safe: the net layer records realms while other connections
// classify requests.
#pragma once

#include "request/host.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace pullgate::request {

class token_realms {
public:
    // Records the realm of a `WWW-Authenticate: Bearer realm="…",…` header
    // received from `registry`. Ignores headers that are not Bearer or whose
    // realm is not an absolute http(s) URL with a canonical host.
    void learn(std::string_view registry, std::string_view www_authenticate);

    // The registry whose token realm is this host and path (any port), if
    // any.
    std::optional<std::string> registry_for(const authority& where, std::string_view path) const;

    // The realm path that `raw_path` is a non-canonical spelling of, on this
    // host ("/token/", "/Token", "/%74oken" for "/token"), if any: such a
    // request is refused, or an upstream that reads it as its token
    // endpoint would hand out tokens nobody decided.
    std::optional<std::string> lookalike(const authority& where, std::string_view raw_path) const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::string> registry_by_realm_; // "host/path" -> registry
};

// The realm URL of a Bearer challenge, or nothing.
std::optional<std::string> parse_bearer_realm(std::string_view www_authenticate);

} // namespace pullgate::request
