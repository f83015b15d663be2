// Fuzzes host and authority canonical forms (request/host.hpp), IP
// addresses and networks (request/ip_network.hpp) and the choice of
// upstream for a proxied request (request/proxy_target.hpp).
//
// Input: newline-separated fields  TEXT \n TARGET \n HOST-HEADER
// TEXT goes through every host, authority and address parser; TARGET and
// HOST-HEADER are routed in a tunnel to TEXT and as plain-HTTP absolute form.
#include "fuzz_support.hpp"

#include "request/host.hpp"
#include "request/ip_network.hpp"
#include "request/proxy_target.hpp"

#include <algorithm>
#include <cctype>
#include <string>

using namespace pullgate;
using request::authority;
using request::host_kind;

namespace {

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool is_dns_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

void check_canonical_host(std::string_view text) {
    const auto host = request::canonical_host(text);
    if (!host)
        return;
    FUZZ_CHECK(host->port == 0);
    FUZZ_CHECK(!host->host.empty());
    // Idempotent, in both the bare and the URL spelling.
    const auto again = request::canonical_host(host->host);
    FUZZ_CHECK_AT(again && *again == *host, host->host);
    const auto url_form = request::canonical_host(host->host_for_url());
    FUZZ_CHECK(url_form && *url_form == *host);
    // Case and a trailing dot do not make another host.
    const auto shouted = request::canonical_host(upper(text));
    FUZZ_CHECK_AT(shouted && *shouted == *host, host->host);
    switch (host->kind) {
    case host_kind::dns: {
        const auto& h = host->host;
        FUZZ_CHECK(h.size() <= 253 && std::all_of(h.begin(), h.end(), is_dns_char));
        FUZZ_CHECK(h.front() != '.' && h.back() != '.' && h.find("..") == std::string::npos);
        const auto last = h.substr(h.rfind('.') + 1);
        FUZZ_CHECK(!(last.front() >= '0' && last.front() <= '9')); // never a number in disguise
        const auto dotted = request::canonical_host(h + ".");
        FUZZ_CHECK(dotted && *dotted == *host);
        break;
    }
    case host_kind::ipv4: {
        const auto address = request::parse_ip_address(host->host);
        FUZZ_CHECK(address && address->is_v4() && address->to_string() == host->host);
        const auto dotted = request::canonical_host(host->host + ".");
        FUZZ_CHECK(dotted && *dotted == *host);
        break;
    }
    case host_kind::ipv6: {
        // An IPv4-mapped address is its IPv4 address, never a second name.
        const auto address = request::parse_ip_address(host->host);
        FUZZ_CHECK(address && !address->is_v4() && address->to_string() == host->host);
        break;
    }
    }
}

void check_authorities(std::string_view text) {
    const auto connect = request::parse_connect_authority(text);
    const auto with_default = request::parse_authority(text, 443);
    if (connect) {
        FUZZ_CHECK(connect->port != 0);
        const auto again = request::parse_connect_authority(connect->to_string());
        FUZZ_CHECK(again && *again == *connect);
        const auto host = request::canonical_host(connect->host);
        FUZZ_CHECK(host && host->host == connect->host && host->kind == connect->kind);
        FUZZ_CHECK(with_default && *with_default == *connect);
    }
    if (with_default) {
        FUZZ_CHECK(with_default->port != 0);
        const auto again = request::parse_authority(with_default->to_string(), 80);
        FUZZ_CHECK(again && *again == *with_default);
    }
    const auto socket = request::parse_socket_address(text);
    if (socket) {
        FUZZ_CHECK(socket->kind != host_kind::dns && socket->port != 0);
        const auto again = request::parse_socket_address(socket->to_string());
        FUZZ_CHECK(again && *again == *socket);
        FUZZ_CHECK(connect && *connect == *socket);
    }
}

// `v4` embedded at byte `at` of an address starting with `prefix`.
request::ip_address embed_v4(std::initializer_list<std::uint8_t> prefix, std::size_t at,
                             const std::uint8_t* v4) {
    request::ip_address a;
    std::copy(prefix.begin(), prefix.end(), a.bytes.begin());
    std::copy(v4, v4 + 4, a.bytes.begin() + static_cast<std::ptrdiff_t>(at));
    return a;
}

void check_address(std::string_view text) {
    const auto address = request::parse_ip_address(text);
    if (!address)
        return;
    const auto again = request::parse_ip_address(address->to_string());
    FUZZ_CHECK_AT(again && *again == *address, address->to_string());
    FUZZ_CHECK(request::parse_ip_address("[" + address->to_string() + "]").ok() !=
               address->is_v4());
    const auto why = request::special_purpose(*address);
    if (why)
        FUZZ_CHECK(!why->empty());
    if (!address->is_v4())
        return;
    const std::uint8_t* v4 = address->bytes.data() + 12;
    // The same IPv4 address in IPv6 clothing is judged the same.
    const auto mapped = request::parse_ip_address("::ffff:" + address->to_string());
    FUZZ_CHECK(mapped && *mapped == *address);
    FUZZ_CHECK_AT(request::special_purpose(embed_v4({0x00, 0x64, 0xff, 0x9b}, 12, v4)) == why,
                  address->to_string());
    FUZZ_CHECK_AT(request::special_purpose(embed_v4({0x20, 0x02}, 2, v4)) == why,
                  address->to_string());
    // The ranges an attacker aims for are always named.
    if (v4[0] == 127)
        FUZZ_CHECK(why == "loopback");
    if (v4[0] == 10 || (v4[0] == 192 && v4[1] == 168) || (v4[0] == 172 && (v4[1] & 0xf0) == 16))
        FUZZ_CHECK(why == "private");
    if (v4[0] == 169 && v4[1] == 254)
        FUZZ_CHECK(why == "link-local");
    if (v4[0] == 0)
        FUZZ_CHECK(why.has_value());
}

bool prefix_equal(const request::ip_address& a, const request::ip_address& b, unsigned bits) {
    for (unsigned bit = 0; bit < bits; ++bit) {
        const auto mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
        if ((a.bytes[bit / 8] & mask) != (b.bytes[bit / 8] & mask))
            return false;
    }
    return true;
}

void check_network(std::string_view text, std::string_view other) {
    const auto network = request::parse_ip_network(text);
    if (!network)
        return;
    FUZZ_CHECK(network->prefix <= 128);
    if (network->base.is_v4() && text.find(':') == std::string_view::npos)
        FUZZ_CHECK(network->prefix >= 96);
    FUZZ_CHECK(network->contains(network->base));
    // No host bits below the prefix.
    for (unsigned bit = network->prefix; bit < 128; ++bit)
        FUZZ_CHECK((network->base.bytes[bit / 8] & (0x80 >> (bit % 8))) == 0);
    const auto again = request::parse_ip_network(network->to_string());
    FUZZ_CHECK(again && again->base == network->base && again->prefix == network->prefix);
    if (const auto address = request::parse_ip_address(other))
        FUZZ_CHECK(network->contains(*address) ==
                   prefix_equal(network->base, *address, network->prefix));
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && upper(s.substr(0, prefix.size())) == upper(prefix);
}

void check_routes(std::string_view tunnel_text, std::string_view target, std::string_view host) {
    if (const auto tunnel = request::parse_connect_authority(tunnel_text)) {
        if (const auto routed = request::route_in_tunnel(*tunnel, target, host)) {
            FUZZ_CHECK(routed->where == *tunnel);
            FUZZ_CHECK(routed->origin_target == target && target.front() == '/');
            const auto named = request::parse_authority(host, 443);
            FUZZ_CHECK(named && named->host == tunnel->host && named->port == tunnel->port);
        }
    }
    const auto routed = request::route_absolute_http(target, host);
    if (!routed)
        return;
    FUZZ_CHECK(starts_with_icase(target, "http://"));
    FUZZ_CHECK(routed->where.port != 0);
    FUZZ_CHECK(!routed->origin_target.empty() && routed->origin_target.front() == '/');
    // absolute-URI has no fragment (RFC 9112 3.2.2).
    FUZZ_CHECK_AT(routed->origin_target.find('#') == std::string::npos, routed->origin_target);
    const auto named = request::parse_authority(host, 80);
    FUZZ_CHECK(named && named->host == routed->where.host && named->port == routed->where.port);
    // The canonical URL routes to the same place.
    const auto url = "http://" + routed->where.to_string() + routed->origin_target;
    const auto again = request::route_absolute_http(url, host);
    FUZZ_CHECK(again && again->where == routed->where &&
               again->origin_target == routed->origin_target);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto fields = fuzz::split_fields(fuzz::as_text(data, size), 3);
    check_canonical_host(fields[0]);
    check_authorities(fields[0]);
    check_address(fields[0]);
    check_network(fields[0], fields[1]);
    check_routes(fields[0], fields[1], fields[2]);
    return 0;
}
