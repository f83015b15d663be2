// IP addresses and networks (CIDR), for the `clients` allow-list and the
// egress checks on resolved upstream addresses. IPv4 is held as an
// IPv4-mapped IPv6 address so that one comparison covers both families and
// "::ffff:127.0.0.1" can never slip past a rule written for 127.0.0.0/8.
#pragma once

#include "util/result.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pullgate::request {

struct ip_address {
    std::array<std::uint8_t, 16> bytes{}; // IPv4 as ::ffff:a.b.c.d
    bool is_v4() const;
    std::string to_string() const; // canonical text: dotted IPv4 or RFC 5952
    bool operator==(const ip_address&) const = default;
};

// Strict literals only: dotted-decimal IPv4 without leading zeros, or IPv6
// (brackets optional, no zone id).
result<ip_address> parse_ip_address(std::string_view text);

struct ip_network {
    ip_address base;
    unsigned prefix = 128; // in IPv6 bits; an IPv4 /8 is stored as /104
    bool contains(const ip_address& address) const;
    std::string to_string() const; // "127.0.0.0/8", "::1/128"
};

// "10.0.0.0/8", "::1/128", or a bare address (a /32 or /128). Host bits
// set below the prefix are refused ("10.0.0.1/8" is a typo, not a network).
result<ip_network> parse_ip_network(std::string_view text);

// Why an address must not be reached as an upstream without explicit
// permission: "loopback", "link-local", "private", "unspecified",
// "multicast", "reserved", "shared address space"; nothing for a public
// unicast address. IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4 addresses are
// judged by the IPv4 address they carry.
std::optional<std::string_view> special_purpose(const ip_address& address);

} // namespace pullgate::request
