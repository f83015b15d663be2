// Canonical forms of host names and authorities.
//
// Every spelling of a host either maps to exactly one canonical name or is
// refused, so that policy compares like with like: DNS names are lower case
// without a trailing dot, IPv4 addresses are strict dotted decimal, IPv6
// addresses are RFC 5952 text, and an IPv4-mapped IPv6 address is its IPv4
// address. Forms that resolvers accept but people do not write (0x7f.1,
// 2130706433, 017.0.0.1, zone identifiers, non-ASCII labels) are refused.
#pragma once

#include "util/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace pullgate::request {

enum class host_kind { dns, ipv4, ipv6 };

struct authority {
    std::string host; // canonical, IPv6 without brackets
    std::uint16_t port = 0;
    host_kind kind = host_kind::dns;

    // "host:port", IPv6 in brackets.
    std::string to_string() const;
    // The host as it goes into a URL or Host header: IPv6 in brackets.
    std::string host_for_url() const;
    bool operator==(const authority&) const = default;
};

// Canonical form of a bare host (no port). IPv6 may come with or without
// brackets.
result<authority> canonical_host(std::string_view host);

// CONNECT's authority-form (RFC 9110 9.3.6): host and port both required.
result<authority> parse_connect_authority(std::string_view text);

// A Host header or the authority of an absolute URI: the port is optional
// and defaults to default_port. Userinfo ("user@host") is refused.
result<authority> parse_authority(std::string_view text, std::uint16_t default_port);

// "host:port" as used in upstream.resolve values: an address and a port,
// both required; the host must be an IP literal.
result<authority> parse_socket_address(std::string_view text);

} // namespace pullgate::request
