// Which registry a host belongs to.
//
// A registry is named by its canonical host, with ":port" when the port is
// not the scheme's default (443 for https, 80 for http). Docker Hub answers
// under several host names (SPEC "Registries and Docker Hub"); all of them
// are the registry "docker.io".
#pragma once

#include "request/host.hpp"

#include <span>
#include <string>
#include <string_view>

namespace pullgate::request {

inline constexpr std::string_view docker_hub = "docker.io";

enum class scheme { http, https };

std::uint16_t default_port(scheme s);

// The canonical registry name for a request to `where` over `s`.
std::string registry_name(const authority& where, scheme s);

// Docker Hub's own host names, and the suffix of the storage hosts its
// blob downloads are redirected to ("….r2.cloudflarestorage.com").
std::span<const std::string_view> docker_hub_hosts();
inline constexpr std::string_view docker_hub_cdn_suffix = ".r2.cloudflarestorage.com";

// True for Docker Hub's host names (registry API, token service, blob CDN).
bool is_docker_hub_host(std::string_view canonical_host);

} // namespace pullgate::request
