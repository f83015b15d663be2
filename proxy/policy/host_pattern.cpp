#include "policy/host_pattern.hpp"

#include "request/host.hpp"
#include "request/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace pullgate::policy {
namespace {

// 1..65535, decimal, no sign and no leading zero (a form nobody writes is
// refused rather than read one way here and another elsewhere).
result<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5 || text[0] == '0' ||
        text.find_first_not_of("0123456789") != std::string_view::npos) {
        return refuse(fmt::format("port \"{}\" must be a number from 1 to 65535", text));
    }
    unsigned value = 0;
    for (char c : text) {
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 65535) {
        return refuse(fmt::format("port \"{}\" must be a number from 1 to 65535", text));
    }
    return static_cast<std::uint16_t>(value);
}

struct host_and_port {
    std::string_view host;
    std::optional<std::string_view> port;
};

// "[v6]:port", "[v6]", bare "v6" (more than one ':'), "name:port", "name".
result<host_and_port> split_port(std::string_view text) {
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) {
            return refuse("'[' without ']'");
        }
        auto rest = text.substr(close + 1);
        if (rest.empty()) {
            return host_and_port{text, std::nullopt};
        }
        if (rest.front() != ':') {
            return refuse(fmt::format("unexpected \"{}\" after ']'", rest));
        }
        return host_and_port{text.substr(0, close + 1), rest.substr(1)};
    }
    auto colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
        return host_and_port{text, std::nullopt};
    }
    return host_and_port{text.substr(0, colon), text.substr(colon + 1)};
}

// Shared by registries and other_hosts: "*", "*.suffix", or a host.
result<host_pattern> parse_pattern(std::string_view text, bool ports) {
    if (text == "*") {
        return host_pattern{host_pattern::form::any, "", "", false};
    }
    auto split = split_port(text);
    if (!split) {
        return refuse(split.error());
    }
    if (split->port && !ports) {
        return refuse("a host pattern has no port");
    }
    std::optional<std::uint16_t> port;
    if (split->port) {
        auto p = parse_port(*split->port);
        if (!p) {
            return refuse(p.error());
        }
        port = *p;
    }
    std::string_view host = split->host;
    bool below = host.substr(0, 2) == "*.";
    if (below) {
        host.remove_prefix(2);
    }
    if (host.find('*') != std::string_view::npos) {
        return refuse("'*' may only be the whole first label, as in \"*.example.com\"");
    }
    auto canonical = request::canonical_host(host);
    if (!canonical) {
        return refuse(canonical.error());
    }
    if (below) {
        if (canonical->kind != request::host_kind::dns) {
            return refuse("\"*.\" must be followed by a DNS name, not an address");
        }
        std::string port_text = port && *port != 443 ? fmt::format(":{}", *port) : "";
        return host_pattern{host_pattern::form::below, canonical->host, port_text, false};
    }
    if (!ports) {
        return host_pattern{host_pattern::form::exact, canonical->host, "", false};
    }
    if (canonical->host == request::docker_hub || request::is_docker_hub_host(canonical->host)) {
        bool alias = canonical->host != request::docker_hub || (port && *port != 443);
        return host_pattern{host_pattern::form::exact, std::string(request::docker_hub), "", alias};
    }
    request::authority where = *canonical;
    where.port = port.value_or(443);
    return host_pattern{host_pattern::form::exact,
                        request::registry_name(where, request::scheme::https), "", false};
}

} // namespace

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

std::string normalise_name(std::string_view name) {
    std::string out = ascii_lower(name);
    auto colon = out.find(':');
    // Only a DNS name or IPv4 address has its port after the only ':'.
    bool has_port = colon != std::string::npos && out.find(':', colon + 1) == std::string::npos;
    auto host_end = has_port ? colon : out.size();
    if (host_end > 1 && out[host_end - 1] == '.' && out.front() != '[') {
        out.erase(host_end - 1, 1);
    }
    return out;
}

bool host_pattern::matches_registry(std::string_view registry) const {
    switch (shape) {
    case form::any:
        return true;
    case form::exact:
        return registry == name;
    case form::below:
        break;
    }
    if (registry.empty() || registry.front() == '[') {
        return false; // an IPv6 address is never below a DNS suffix
    }
    auto colon = registry.find(':');
    auto host = registry.substr(0, colon);
    auto port_part = colon == std::string_view::npos ? std::string_view{} : registry.substr(colon);
    return port_part == port && matches_host(host);
}

bool host_pattern::matches_host(std::string_view host) const {
    switch (shape) {
    case form::any:
        return true;
    case form::exact:
        return host == name;
    case form::below:
        return host.size() > name.size() + 1 && host.substr(host.size() - name.size()) == name &&
               host[host.size() - name.size() - 1] == '.';
    }
    return false;
}

std::string host_pattern::to_string() const {
    switch (shape) {
    case form::any:
        return "*";
    case form::below:
        return fmt::format("*.{}{}", name, port);
    case form::exact:
        break;
    }
    return name;
}

result<host_pattern> parse_registry_pattern(std::string_view text) {
    return parse_pattern(text, true);
}

result<host_pattern> parse_host_pattern(std::string_view text) {
    return parse_pattern(text, false);
}

} // namespace pullgate::policy
