// Registry and host patterns: the entries of policy.registries and
// other_hosts.allow. Parsing refuses anything it would have to guess at;
// matching is pure and works on canonical names (lower case, no trailing
// dot), which is what request::classify produces.
#pragma once

#include "util/result.hpp"

#include <string>
#include <string_view>

namespace pullgate::policy {

// ASCII lower case, nothing else.
std::string ascii_lower(std::string_view text);

// ASCII lower case; a trailing dot of the host part removed ("Host.:5000" ->
// "host:5000"). For names that should already be canonical.
std::string normalise_name(std::string_view name);

// An entry of policy.registries ("ghcr.io", "host:5000", "*.example.com",
// "*.example.com:5000", "*") or of other_hosts.allow ("example.com",
// "*.example.com", "*").
struct host_pattern {
    enum class form { exact, below, any };
    form shape = form::exact;
    // exact: a canonical registry name as request::registry_name makes it
    // ("ghcr.io", "host:5000", "docker.io" for every Docker Hub host) or, for
    // other_hosts, a canonical host. below: the suffix without "*.".
    std::string name;
    std::string port; // below, registries only: ":5000", or "" for the default
    // The entry named another Docker Hub host (registry-1.docker.io …) or a
    // port, and was normalised to docker.io.
    bool hub_alias = false;

    // `registry` as in request_info::registry ("host" or "host:port").
    // "*.example.com" matches hosts strictly below example.com only.
    bool matches_registry(std::string_view registry) const;
    // `host` without a port, as in request_info::host.
    bool matches_host(std::string_view host) const;
    // The canonical spelling, for messages and the PAC file.
    std::string to_string() const;
};

// Refused with a reason ("port must be 1..65535") when malformed. A port of
// 443 is the default and dropped, as request::registry_name drops it.
result<host_pattern> parse_registry_pattern(std::string_view text);
// Like parse_registry_pattern, without ports.
result<host_pattern> parse_host_pattern(std::string_view text);

} // namespace pullgate::policy
