#include "service/settings.hpp"

#include "request/registry.hpp"

#include <algorithm>

namespace pullgate::service {
namespace {

std::vector<request::ip_network> parse_networks(const std::vector<std::string>& texts) {
    std::vector<request::ip_network> networks;
    for (const auto& text : texts)
        if (auto network = request::parse_ip_network(text))
            networks.push_back(*network); // the loader has reported malformed ones
    return networks;
}

} // namespace

bool settings::port_allowed(const request::authority& where, request::scheme over) const {
    const auto& ports = cfg.upstream.connect_ports;
    if (over == request::scheme::https
            ? std::find(ports.begin(), ports.end(), where.port) != ports.end()
            : where.port == 80)
        return true;
    return decider.is_listed_registry(request::registry_name(where, over));
}

bool settings::client_allowed(const request::ip_address& address) const {
    return std::any_of(clients.begin(), clients.end(),
                       [&](const request::ip_network& n) { return n.contains(address); });
}

std::optional<std::string> settings::egress_refusal(const request::ip_address& address,
                                                    bool pinned) const {
    if (pinned)
        return std::nullopt; // upstream.resolve names this address on purpose
    const auto why = request::special_purpose(address);
    if (!why)
        return std::nullopt;
    const bool allowed =
        std::any_of(private_networks_allowed.begin(), private_networks_allowed.end(),
                    [&](const request::ip_network& n) { return n.contains(address); });
    if (allowed)
        return std::nullopt;
    return std::string(*why) + " address " + address.to_string() +
           " (allow it with upstream.allow_private_networks or pin it with upstream.resolve)";
}

std::shared_ptr<const settings> compile_settings(config::config cfg, const std::string& file,
                                                 std::vector<config::diagnostic>& diagnostics) {
    const std::size_t first_new = diagnostics.size();
    auto decider = policy::policy::compile(cfg.policy, cfg.groups, diagnostics);
    for (auto i = first_new; i < diagnostics.size(); ++i)
        if (diagnostics[i].file.empty())
            diagnostics[i].file = file;
    if (!decider)
        return nullptr;

    auto compiled =
        std::make_shared<settings>(settings{std::move(cfg), std::move(*decider), {}, {}, {}});
    compiled->clients = parse_networks(compiled->cfg.clients);
    compiled->private_networks_allowed =
        parse_networks(compiled->cfg.upstream.allow_private_networks);
    for (const auto& [from, to] : compiled->cfg.upstream.resolve) {
        auto key = request::parse_connect_authority(from);
        auto address = request::parse_socket_address(to);
        if (key && address)
            compiled->resolve.emplace(key->to_string(), *address);
    }
    return compiled;
}

} // namespace pullgate::service
