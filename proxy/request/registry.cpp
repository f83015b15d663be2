#include "request/registry.hpp"

#include <array>

namespace pullgate::request {

std::uint16_t default_port(scheme s) {
    return s == scheme::https ? 443 : 80;
}

std::span<const std::string_view> docker_hub_hosts() {
    // SPEC "Registries and Docker Hub": the registry API, the token service
    // and the CDN that blob downloads are redirected to.
    static constexpr std::array<std::string_view, 6> hosts{
        "docker.io",
        "index.docker.io",
        "registry-1.docker.io",
        "registry.hub.docker.com",
        "auth.docker.io",
        "production.cloudflare.docker.com",
    };
    return hosts;
}

bool is_docker_hub_host(std::string_view canonical_host) {
    for (auto host : docker_hub_hosts()) {
        if (canonical_host == host) {
            return true;
        }
    }
    return canonical_host.size() > docker_hub_cdn_suffix.size() &&
           canonical_host.ends_with(docker_hub_cdn_suffix);
}

std::string registry_name(const authority& where, scheme s) {
    bool default_port_used = where.port == default_port(s);
    // Only at the default port: docker.io:5000 is some other service.
    if (default_port_used && is_docker_hub_host(where.host)) {
        return std::string(docker_hub);
    }
    auto name = where.host_for_url();
    if (!default_port_used) {
        name += ":" + std::to_string(where.port);
    }
    return name;
}

} // namespace pullgate::request
