// The proxy auto-configuration file served at /proxy.pac
// (application/x-ns-proxy-autoconfig): registry hosts go through pullgate,
// everything else goes direct, or also through pullgate when
// policy.other_hosts denies by default (pullgate is then the egress
// allow-list, so it must see that traffic too).
#pragma once

#include "config/config.hpp"

#include <string>
#include <string_view>

namespace pullgate::service {

// `proxy` is "host:port" as clients should reach the proxy listener.
std::string make_pac_file(const config::policy_config& policy, std::string_view proxy);

// The proxy address to advertise: the listen address, unless it is a
// wildcard (0.0.0.0, ::), in which case the host the client used to fetch
// the PAC file (its Host header, without port) with the listen port.
std::string advertised_proxy(std::string_view listen, std::string_view request_host);

} // namespace pullgate::service
