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
#include "request/registry.hpp"

#include <cstdint>
#include <map>
#include <memory>
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

    bool client_allowed(const request::ip_address& address) const;
    // A CONNECT may name a port in upstream.connect_ports, a plain-HTTP
    // request port 80; either may name a listed registry's own port
    // ("registry.corp:5000" opens port 5000 of registry.corp, of no other
    // host).
    bool port_allowed(const request::authority& where, request::scheme over) const;
    // Why this resolved address must not be connected to, or nothing.
    // `pinned` is true when the address comes from upstream.resolve.
    std::optional<std::string> egress_refusal(const request::ip_address& address,
                                              bool pinned) const;
};

// Compiles `cfg`; errors and warnings go to `diagnostics` (labelled with
// `file`). Returns nothing when there is any error.
std::shared_ptr<const settings> compile_settings(config::config cfg, const std::string& file,
                                                 std::vector<config::diagnostic>& diagnostics);

} // namespace pullgate::service
