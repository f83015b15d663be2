#include "service/pac_file.hpp"

#include "request/host.hpp"
#include "request/registry.hpp"

#include <fmt/format.h>

#include <set>
#include <vector>

namespace pullgate::service {
namespace {

// Only characters of host names reach the JavaScript, so a configuration
// value can never become code.
bool is_plain_host(std::string_view s) {
    for (const char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    return !s.empty();
}

std::string host_part(const std::string& entry) {
    const auto colon = entry.rfind(':');
    std::string host = colon == std::string::npos ? entry : entry.substr(0, colon);
    for (auto& c : host)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!host.empty() && host.back() == '.')
        host.pop_back();
    return host;
}

struct host_sets {
    std::set<std::string> exact;
    std::set<std::string> suffixes; // ".corp.example"
    bool everything = false;
};

void add_pattern(host_sets& sets, const std::string& entry) {
    const std::string host = host_part(entry);
    if (host == "*") {
        sets.everything = true;
    } else if (host.rfind("*.", 0) == 0 && is_plain_host(host.substr(2))) {
        sets.suffixes.insert(host.substr(1));
    } else if (host == request::docker_hub) {
        // Listing docker.io must route all of Docker Hub's hosts, or its
        // token service and blob CDN would bypass the proxy.
        const auto hub = request::docker_hub_hosts();
        sets.exact.insert(hub.begin(), hub.end());
        sets.suffixes.insert(std::string(request::docker_hub_cdn_suffix));
    } else if (is_plain_host(host)) {
        sets.exact.insert(host);
    }
}

} // namespace

std::string make_pac_file(const config::policy_config& policy, std::string_view proxy) {
    host_sets registries;
    for (const auto& entry : policy.registries)
        add_pattern(registries, entry);
    const bool everything = registries.everything || !policy.other_hosts.allow;

    std::string js = "// pullgate proxy auto-configuration: registry hosts go through pullgate.\n";
    js += "function FindProxyForURL(url, host) {\n";
    js += fmt::format("  var proxy = \"PROXY {}\";\n", proxy);
    if (everything) {
        js += "  // policy.other_hosts denies by default: pullgate decides every host.\n";
        js += "  return proxy;\n}\n";
        return js;
    }
    js += "  host = host.toLowerCase();\n";
    for (const auto& host : registries.exact)
        js += fmt::format("  if (host == \"{}\") return proxy;\n", host);
    for (const auto& suffix : registries.suffixes)
        js += fmt::format("  if (dnsDomainIs(host, \"{}\")) return proxy;\n", suffix);
    js += "  return \"DIRECT\";\n}\n";
    return js;
}

std::string advertised_proxy(std::string_view listen, std::string_view request_host) {
    const auto where = request::parse_socket_address(listen);
    if (!where)
        return std::string(listen);
    const bool wildcard = where->host == "0.0.0.0" || where->host == "::";
    if (!wildcard)
        return where->to_string();
    const auto asked = request::parse_authority(request_host, where->port);
    if (!asked)
        return where->to_string();
    return fmt::format("{}:{}", asked->host_for_url(), where->port);
}

} // namespace pullgate::service
