#include "request/ip_network.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace pullgate::request {
namespace {

using bytes16 = std::array<std::uint8_t, 16>;
using std::string_view;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::vector<string_view> split_dots(string_view text) {
    std::vector<string_view> parts;
    for (std::size_t start = 0;;) {
        auto dot = text.find('.', start);
        parts.push_back(text.substr(start, dot == string_view::npos ? dot : dot - start));
        if (dot == string_view::npos || parts.size() > 4) {
            return parts;
        }
        start = dot + 1;
    }
}

// Resolvers (inet_aton) also accept 0x7f.1, 017.0.0.1 and 2130706433.
// Nobody writes an allow-list entry in those forms, so accepting them would
// let one address hide behind another spelling: only strict dotted decimal
// names an IPv4 address here.
result<std::array<std::uint8_t, 4>> parse_ipv4(string_view text) {
    auto parts = split_dots(text);
    for (auto part : parts) {
        if (part.size() > 1 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
            return refuse("IPv4 address in a non-decimal form");
        }
        if (!std::all_of(part.begin(), part.end(), is_digit)) {
            return refuse("not an IP address");
        }
    }
    if (std::any_of(parts.begin(), parts.end(), [](string_view p) { return p.empty(); })) {
        return refuse("empty part in an IPv4 address");
    }
    if (parts.size() != 4) {
        return refuse("IPv4 address without four dotted parts");
    }
    std::array<std::uint8_t, 4> out{};
    for (std::size_t i = 0; i < 4; ++i) {
        auto part = parts[i];
        if (part.size() > 1 && part[0] == '0') {
            return refuse("IPv4 address part with a leading zero (octal form)");
        }
        unsigned value = 0;
        for (char c : part.substr(0, 4)) {
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (part.size() > 3 || value > 255) {
            return refuse("IPv4 address part out of range");
        }
        out[i] = static_cast<std::uint8_t>(value);
    }
    return out;
}

result<ip_address> parse_ipv6(string_view text) {
    if (text.find('%') != string_view::npos) {
        return refuse("zone identifier in an IPv6 address");
    }
    if (text.size() >= INET6_ADDRSTRLEN) {
        return refuse("IPv6 address too long");
    }
    for (char c : text) {
        if (!is_hex(c) && c != ':' && c != '.') {
            return refuse("character not allowed in an IPv6 address");
        }
    }
    char buffer[INET6_ADDRSTRLEN] = {};
    std::memcpy(buffer, text.data(), text.size());
    in6_addr parsed{};
    // glibc's inet_pton refuses leading zeros in an embedded IPv4 part, more
    // than four hex digits in a group, and a second "::".
    if (inet_pton(AF_INET6, buffer, &parsed) != 1) {
        return refuse("malformed IPv6 address");
    }
    ip_address address;
    std::memcpy(address.bytes.data(), &parsed, 16);
    return address;
}

ip_address from_v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    ip_address address;
    address.bytes[10] = 0xff;
    address.bytes[11] = 0xff;
    address.bytes[12] = a;
    address.bytes[13] = b;
    address.bytes[14] = c;
    address.bytes[15] = d;
    return address;
}

bool prefix_matches(const bytes16& a, const bytes16& b, unsigned prefix) {
    unsigned whole = prefix / 8;
    if (std::memcmp(a.data(), b.data(), whole) != 0) {
        return false;
    }
    unsigned rest = prefix % 8;
    if (rest == 0) {
        return true;
    }
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

ip_address masked(const ip_address& address, unsigned prefix) {
    ip_address out;
    for (unsigned bit = 0; bit < prefix; ++bit) {
        auto m = static_cast<std::uint8_t>(0x80 >> (bit % 8));
        out.bytes[bit / 8] =
            static_cast<std::uint8_t>(out.bytes[bit / 8] | (address.bytes[bit / 8] & m));
    }
    return out;
}

result<unsigned> parse_prefix(string_view text, unsigned limit) {
    if (text.empty() || text.size() > 3 || !std::all_of(text.begin(), text.end(), is_digit)) {
        return refuse("prefix length not a decimal number");
    }
    if (text.size() > 1 && text[0] == '0') {
        return refuse("prefix length with a leading zero");
    }
    unsigned value = 0;
    for (char c : text) {
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > limit) {
        return refuse("prefix length out of range");
    }
    return value;
}

// IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates), the
// entries that must not be reached from outside by accident.
struct v4_range {
    std::array<std::uint8_t, 4> base;
    unsigned prefix;
    string_view why;
};

constexpr v4_range v4_special[] = {
    {{0, 0, 0, 0}, 8, "unspecified"},
    {{10, 0, 0, 0}, 8, "private"},
    {{100, 64, 0, 0}, 10, "shared address space"},
    {{127, 0, 0, 0}, 8, "loopback"},
    {{169, 254, 0, 0}, 16, "link-local"},
    {{172, 16, 0, 0}, 12, "private"},
    {{192, 0, 0, 0}, 24, "reserved"},
    {{192, 0, 2, 0}, 24, "reserved"}, // documentation (TEST-NET-1)
    {{192, 168, 0, 0}, 16, "private"},
    {{198, 18, 0, 0}, 15, "reserved"},   // benchmarking
    {{198, 51, 100, 0}, 24, "reserved"}, // documentation (TEST-NET-2)
    {{203, 0, 113, 0}, 24, "reserved"},  // documentation (TEST-NET-3)
    {{224, 0, 0, 0}, 4, "multicast"},
    {{240, 0, 0, 0}, 4, "reserved"}, // includes 255.255.255.255
};

std::optional<string_view> special_v4(const std::uint8_t* v4) {
    auto candidate = from_v4(v4[0], v4[1], v4[2], v4[3]);
    for (const auto& range : v4_special) {
        auto base = from_v4(range.base[0], range.base[1], range.base[2], range.base[3]);
        if (prefix_matches(candidate.bytes, base.bytes, 96 + range.prefix)) {
            return range.why;
        }
    }
    return std::nullopt;
}

struct v6_range {
    bytes16 base;
    unsigned prefix;
    string_view why;
};

// Checked after the IPv4-carrying forms and the exact :: and ::1.
const v6_range v6_special[] = {
    {{0}, 96, "reserved"},          // IPv4-compatible (deprecated, RFC 4291 2.5.5.1)
    {{0x01, 0x00}, 64, "reserved"}, // discard-only, RFC 6666
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, "reserved"}, // local-use NAT64, RFC 8215
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "reserved"},             // documentation
    {{0xfc}, 7, "private"},                                 // unique local
    {{0xfe, 0x80}, 10, "link-local"},
    {{0xfe, 0xc0}, 10, "private"}, // site-local (deprecated)
    {{0xff}, 8, "multicast"},
};

} // namespace

bool ip_address::is_v4() const {
    static constexpr bytes16 prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return prefix_matches(bytes, prefix, 96);
}

std::string ip_address::to_string() const {
    char buffer[INET6_ADDRSTRLEN] = {};
    if (is_v4()) {
        inet_ntop(AF_INET, bytes.data() + 12, buffer, sizeof buffer);
    } else {
        inet_ntop(AF_INET6, bytes.data(), buffer, sizeof buffer);
    }
    return buffer;
}

result<ip_address> parse_ip_address(string_view text) {
    if (text.empty()) {
        return refuse("empty address");
    }
    if (text.front() == '[') {
        if (text.size() < 2 || text.back() != ']') {
            return refuse("IPv6 address without a closing bracket");
        }
        auto inner = text.substr(1, text.size() - 2);
        if (inner.find(':') == string_view::npos) {
            return refuse("brackets around something that is not an IPv6 address");
        }
        return parse_ipv6(inner);
    }
    if (text.find(':') != string_view::npos) {
        return parse_ipv6(text);
    }
    auto v4 = parse_ipv4(text);
    if (!v4) {
        return refuse(v4.error());
    }
    return from_v4((*v4)[0], (*v4)[1], (*v4)[2], (*v4)[3]);
}

bool ip_network::contains(const ip_address& address) const {
    return prefix_matches(base.bytes, address.bytes, std::min(prefix, 128U));
}

std::string ip_network::to_string() const {
    if (base.is_v4() && prefix >= 96) {
        return base.to_string() + "/" + std::to_string(prefix - 96);
    }
    return base.to_string() + "/" + std::to_string(prefix);
}

result<ip_network> parse_ip_network(string_view text) {
    auto slash = text.find('/');
    auto address_text = text.substr(0, slash);
    auto address = parse_ip_address(address_text);
    if (!address) {
        return refuse(address.error());
    }
    ip_network network{*address, 128};
    if (slash == string_view::npos) {
        return network;
    }
    // The prefix counts the bits of the family it is written in.
    bool v4_notation = address_text.find(':') == string_view::npos;
    auto prefix = parse_prefix(text.substr(slash + 1), v4_notation ? 32 : 128);
    if (!prefix) {
        return refuse(prefix.error());
    }
    network.prefix = v4_notation ? *prefix + 96 : *prefix;
    auto base = masked(network.base, network.prefix);
    if (!(base == network.base)) {
        // 10.0.0.1/8 is a typo for a host or for a network; say which.
        ip_network meant{base, network.prefix};
        return refuse("address has bits set below the prefix (the network is " + meant.to_string() +
                      ")");
    }
    return network;
}

std::optional<string_view> special_purpose(const ip_address& address) {
    const auto& b = address.bytes;
    static constexpr bytes16 nat64{0x00, 0x64, 0xff, 0x9b};
    static constexpr bytes16 six_to_four{0x20, 0x02};
    // ::ffff:0:a.b.c.d, IPv4-translated (RFC 2765 SIIT): another spelling
    // of an IPv4 destination.
    static constexpr bytes16 translated{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    if (address.is_v4() || prefix_matches(b, nat64, 96) || prefix_matches(b, translated, 96)) {
        return special_v4(b.data() + 12);
    }
    if (prefix_matches(b, six_to_four, 16)) {
        return special_v4(b.data() + 2);
    }
    static constexpr bytes16 loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (b == bytes16{}) {
        return "unspecified";
    }
    if (b == loopback) {
        return "loopback";
    }
    for (const auto& range : v6_special) {
        if (prefix_matches(b, range.base, range.prefix)) {
            return range.why;
        }
    }
    return std::nullopt;
}

} // namespace pullgate::request
