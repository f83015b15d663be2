// A validated configuration compiled for serving: the policy compiled,
// addresses and networks parsed. Immutable once built; `serve` swaps the
// whole snapshot atomically on SIGHUP, so a request sees one policy from
// start to end and transfers in flight keep the one they started with.
#pragma once

#include "config/config.hpp"
#include "config/diagnostic.hpp"
#include "policy/policy.hpp"
#include "request/host.hpp"
#include "request/ip_network.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace pullgate::service {

struct settings {
    config::config cfg;
    policy::policy decider;
    std::vector<request::ip_network> clients;
    std::vector<request::ip_network> private_networks_allowed;
    // canonical "host:port" -> the address to connect to instead of DNS
    std::map<std::string, request::authority> resolve;
    // Ports a CONNECT may name: upstream.connect_ports plus the ports of
    // listed registries ("registry.example:5000").
    std::set<std::uint16_t> connect_ports;
    // Ports a plain-HTTP request may name: 80 plus the listed registries'.
    std::set<std::uint16_t> plain_http_ports;

    bool client_allowed(const request::ip_address& address) const;
    // Why this resolved address must not be connected to, or nothing.
    // `pinned` is true when the address comes from upstream.resolve.
    std::optional<std::string> egress_refusal(const request::ip_address& address, bool pinned) const;
};

// Compiles `cfg`; errors and warnings go to `diagnostics` (labelled with
// `file`). Returns nothing when there is any error.
std::shared_ptr<const settings> compile_settings(config::config cfg, const std::string& file,
                                                 std::vector<config::diagnostic>& diagnostics);

} // namespace pullgate::service
