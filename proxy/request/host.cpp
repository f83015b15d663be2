#include "request/host.hpp"

#include "request/ip_network.hpp"

#include <algorithm>
#include <optional>

namespace pullgate::request {
namespace {

using std::string_view;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_label_char(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || c == '-';
}

// RFC 1035 2.3.1 as relaxed by RFC 1123 2.1 (labels may start with a
// digit). Underscores are refused: they are legal in DNS data but not in
// host names, and a proxy has no business reaching "_service" records.
std::optional<std::string> label_problem(string_view label) {
    if (label.empty()) {
        return "empty label in a host name";
    }
    if (label.size() > 63) {
        return "host name label longer than 63 characters";
    }
    if (!std::all_of(label.begin(), label.end(), is_label_char)) {
        return "character not allowed in a host name";
    }
    if (label.front() == '-' || label.back() == '-') {
        return "host name label starting or ending with a hyphen";
    }
    return std::nullopt;
}

result<authority> ip_literal(string_view text) {
    auto address = parse_ip_address(text);
    if (!address) {
        return refuse(address.error());
    }
    authority out;
    out.host = address->to_string();
    out.kind = address->is_v4() ? host_kind::ipv4 : host_kind::ipv6;
    return out;
}

result<authority> dns_name_or_ipv4(string_view text) {
    std::string name;
    name.reserve(text.size());
    for (char c : text) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            return refuse("non-ASCII host name (use its xn-- form)");
        }
        name.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    // "example.com." and "example.com" are the same host (RFC 1034 3.1).
    if (!name.empty() && name.back() == '.') {
        name.pop_back();
    }
    if (name.empty()) {
        return refuse("empty host");
    }
    // A name whose last label starts with a digit would be read as a number
    // by WHATWG URL parsers and by inet_aton: it must be a strict IPv4
    // address, so that 127.1 or 0x7f.0.0.1 cannot pose as a DNS name.
    auto last_dot = name.rfind('.');
    auto last_label =
        last_dot == std::string::npos ? string_view(name) : string_view(name).substr(last_dot + 1);
    if (!last_label.empty() && is_digit(last_label.front())) {
        return ip_literal(name);
    }
    if (name.size() > 253) {
        return refuse("host name longer than 253 characters");
    }
    for (std::size_t start = 0;;) {
        auto dot = name.find('.', start);
        auto label = string_view(name).substr(start, dot == std::string::npos ? dot : dot - start);
        if (auto problem = label_problem(label)) {
            return refuse(*problem);
        }
        if (dot == std::string::npos) {
            break;
        }
        start = dot + 1;
    }
    authority out;
    out.host = std::move(name);
    out.kind = host_kind::dns;
    return out;
}

// RFC 3986 3.2.3: port = *DIGIT; here 1..65535 written without a sign or
// leading zeros, so that one port has one spelling.
result<std::uint16_t> parse_port(string_view text) {
    if (text.empty()) {
        return refuse("empty port");
    }
    if (!std::all_of(text.begin(), text.end(), is_digit)) {
        return refuse("port not a decimal number");
    }
    if (text.size() > 1 && text.front() == '0') {
        return refuse("port with a leading zero");
    }
    if (text.size() > 5) {
        return refuse("port out of range");
    }
    unsigned value = 0;
    for (char c : text) {
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) {
        return refuse("port out of range");
    }
    return static_cast<std::uint16_t>(value);
}

// Splits "host[:port]" / "[v6][:port]"; without a port, default_port is used,
// or the authority is refused when there is none.
result<authority> split_authority(string_view text, std::optional<std::uint16_t> default_port) {
    if (text.empty()) {
        return refuse("empty host");
    }
    if (text.find('@') != string_view::npos) {
        return refuse("user information in an authority");
    }
    string_view host = text;
    std::optional<string_view> port_text;
    if (text.front() == '[') {
        auto close = text.find(']');
        if (close == string_view::npos) {
            return refuse("IPv6 address without a closing bracket");
        }
        host = text.substr(0, close + 1);
        auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return refuse("characters after an IPv6 address");
            }
            port_text = rest.substr(1);
        }
    } else if (auto colon = text.find(':'); colon != string_view::npos) {
        if (text.find(':', colon + 1) != string_view::npos) {
            return refuse("IPv6 address without brackets");
        }
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    auto out = canonical_host(host);
    if (!out) {
        return out;
    }
    if (port_text) {
        auto port = parse_port(*port_text);
        if (!port) {
            return refuse(port.error());
        }
        out->port = *port;
    } else if (default_port) {
        out->port = *default_port;
    } else {
        return refuse("missing port");
    }
    return out;
}

} // namespace

std::string authority::host_for_url() const {
    return kind == host_kind::ipv6 ? "[" + host + "]" : host;
}

std::string authority::to_string() const {
    return host_for_url() + ":" + std::to_string(port);
}

result<authority> canonical_host(string_view host) {
    if (host.empty()) {
        return refuse("empty host");
    }
    if (host.front() == '[' || host.find(':') != string_view::npos) {
        return ip_literal(host);
    }
    return dns_name_or_ipv4(host);
}

result<authority> parse_connect_authority(string_view text) {
    return split_authority(text, std::nullopt);
}

result<authority> parse_authority(string_view text, std::uint16_t default_port) {
    return split_authority(text, default_port);
}

result<authority> parse_socket_address(string_view text) {
    auto out = split_authority(text, std::nullopt);
    if (out && out->kind == host_kind::dns) {
        return refuse("host is not an IP address");
    }
    return out;
}

} // namespace pullgate::request
