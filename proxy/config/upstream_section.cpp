// upstream: how pullgate reaches registries (trust, name overrides, ports,
// private destinations).
#include "config/sections.hpp"

#include "request/host.hpp"

#include <fmt/format.h>

namespace pullgate::config {
namespace {

void read_ca_file(yaml_reader& r, const located& n, std::optional<std::string>& out) {
    if (n.node.IsNull()) {
        out.reset(); // `ca_file: null`: the system trust store alone
        return;
    }
    if (auto path = r.text(n, "a file path or null"))
        out = std::move(*path);
}

// Keys are stored as canonical authorities ("registry-1.docker.io:443")
// because the net layer looks them up by the canonical authority of a
// CONNECT: a key written "Registry-1.Docker.IO:443" must still match.
void read_resolve(yaml_reader& r, const located& n, std::map<std::string, std::string>& out) {
    std::map<std::string, YAML::Mark> first_seen;
    r.entries(n, [&](const located& key, const located& value) {
        const auto from = request::parse_connect_authority(key.node.Scalar());
        if (!from) {
            r.error(key.mark, fmt::format("upstream.resolve: the key {} must be a host and port "
                                          "like registry-1.docker.io:443 ({})",
                                          quote(key.node.Scalar()), from.error()));
            return;
        }
        const std::string canonical = from->to_string();
        const auto [first, inserted] = first_seen.emplace(canonical, key.mark);
        if (!inserted) {
            r.error(key.mark, fmt::format("upstream.resolve names {} twice (first at line {}; host "
                                          "names ignore case); remove one of them",
                                          canonical, to_location(first->second).line));
            return;
        }
        const located target{value.node, fmt::format("upstream.resolve[{}]", canonical),
                             value.mark};
        constexpr std::string_view form = "an IP address and port like 10.0.0.5:443";
        const auto written = r.text(target, form);
        if (!written)
            return;
        const auto to = request::parse_socket_address(*written);
        if (!to) {
            r.error(value.mark, fmt::format("{} must be {}, not {} ({})", target.path, form,
                                            quote(*written), to.error()));
            return;
        }
        out[canonical] = to->to_string();
    });
}

void read_connect_ports(yaml_reader& r, const located& n, std::vector<std::uint16_t>& out) {
    const auto list = r.items(n);
    if (!list)
        return;
    std::vector<std::uint16_t> ports;
    for (const located& item : *list) {
        if (auto port = r.integer(item, 1, 65535))
            ports.push_back(static_cast<std::uint16_t>(*port));
    }
    if (ports.size() == list->size())
        out = std::move(ports);
}

} // namespace

void read_upstream(yaml_reader& r, const located& n, upstream_config& out) {
    r.fields(n, {
                    {"ca_file",
                     [&](const located& v) {
                         read_ca_file(r, v, out.ca_file);
                     }},
                    {"resolve",
                     [&](const located& v) {
                         read_resolve(r, v, out.resolve);
                     }},
                    {"connect_ports",
                     [&](const located& v) {
                         read_connect_ports(r, v, out.connect_ports);
                     }},
                    {"allow_private_networks",
                     [&](const located& v) {
                         assign(out.allow_private_networks, read_networks(r, v));
                     }},
                });
}

} // namespace pullgate::config
