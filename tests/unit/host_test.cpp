// Canonical host names and authorities (proxy/request/host.hpp).
#include "request/host.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace pullgate::request;

namespace {

struct canonical_case {
    std::string input;
    std::string host;
    host_kind kind;
};

struct refused_case {
    std::string input;
    std::string reason; // a substring of the refusal
};

} // namespace

TEST_CASE("every accepted spelling of a host maps to one canonical name") {
    const canonical_case cases[] = {
        {"example.com", "example.com", host_kind::dns},
        {"EXAMPLE.Com", "example.com", host_kind::dns},
        {"example.com.", "example.com", host_kind::dns},
        {"localhost", "localhost", host_kind::dns},
        {"registry-1.docker.io", "registry-1.docker.io", host_kind::dns},
        {"xn--bcher-kva.example", "xn--bcher-kva.example", host_kind::dns},
        {"1password.com", "1password.com", host_kind::dns},
        {"a.b2", "a.b2", host_kind::dns},
        {"127.0.0.1", "127.0.0.1", host_kind::ipv4},
        {"127.0.0.1.", "127.0.0.1", host_kind::ipv4},
        {"0.0.0.0", "0.0.0.0", host_kind::ipv4},
        {"255.255.255.255", "255.255.255.255", host_kind::ipv4},
        {"::1", "::1", host_kind::ipv6},
        {"[::1]", "::1", host_kind::ipv6},
        {"[2001:DB8:0:0:0:0:0:1]", "2001:db8::1", host_kind::ipv6},
        {"2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1", host_kind::ipv6},
        {"[::ffff:127.0.0.1]", "127.0.0.1", host_kind::ipv4},
        {"::ffff:7f00:1", "127.0.0.1", host_kind::ipv4},
        {"[::FFFF:10.1.2.3]", "10.1.2.3", host_kind::ipv4},
    };
    for (const auto& c : cases) {
        CAPTURE(c.input);
        auto got = canonical_host(c.input);
        REQUIRE_MESSAGE(got.ok(), got.error());
        CHECK(got->host == c.host);
        CHECK(got->kind == c.kind);
    }
}

TEST_CASE("spellings that resolvers accept but people do not write are refused") {
    const refused_case cases[] = {
        {"", "empty host"},
        {".", "empty host"},
        {"0x7f.0.0.1", "non-decimal"},
        {"0X7F.0.0.1", "non-decimal"},
        {"127.0.0.0x1", "non-decimal"},
        {"017.0.0.1", "leading zero"},
        {"127.0.0.01", "leading zero"},
        {"127.1", "four dotted parts"},
        {"127.0.1", "four dotted parts"},
        {"2130706433", "four dotted parts"},
        {"1.2.3.4.5", "four dotted parts"},
        {"256.0.0.1", "out of range"},
        {"1.2.3.1000", "out of range"},
        {"1..2.3", "empty part"},
        {"example.123", "not an IP address"},
        {"example.1a", "not an IP address"},
        {"exa_mple.com", "character not allowed"},
        {"exa mple.com", "character not allowed"},
        {"example.com..", "empty label"},
        {"..example.com", "empty label"},
        {"a..b", "empty label"},
        {"-example.com", "hyphen"},
        {"example-.com", "hyphen"},
        {"b\xc3\xbc"
         "cher.example",
         "non-ASCII"},
        {"example.com\x80", "non-ASCII"},
        {"fe80::1%eth0", "zone identifier"},
        {"[fe80::1%25eth0]", "zone identifier"},
        {"[::1", "closing bracket"},
        {"[1.2.3.4]", "not an IPv6 address"},
        {"[example.com]", "not an IPv6 address"},
        {"1:2:3:4:5:6:7:8:9", "malformed IPv6"},
        {"::ffff:127.0.0.01", "malformed IPv6"},
        {"1::2::3", "malformed IPv6"},
        {"12345::1", "malformed IPv6"},
        {"::g", "character not allowed in an IPv6"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.input);
        auto got = canonical_host(c.input);
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().find(c.reason) != std::string::npos);
    }
}

TEST_CASE("host name length limits are 63 per label and 253 in all") {
    const std::string label63(63, 'a');
    CHECK(canonical_host(label63 + ".com").ok());
    CHECK_FALSE(canonical_host(label63 + "a.com").ok());
    // 4 labels of 63 with 3 dots is 255; trim to exactly 253.
    std::string name = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
    REQUIRE(name.size() == 253);
    CHECK(canonical_host(name).ok());
    CHECK(canonical_host(name + ".").ok()); // the trailing dot does not count
    CHECK_FALSE(canonical_host(name + "b").ok());
}

TEST_CASE("a CONNECT authority needs a host and a port") {
    auto ok = parse_connect_authority("Registry-1.Docker.IO:443");
    REQUIRE(ok.ok());
    CHECK(ok->host == "registry-1.docker.io");
    CHECK(ok->port == 443);
    CHECK(ok->to_string() == "registry-1.docker.io:443");

    auto v6 = parse_connect_authority("[2001:db8::0001]:5000");
    REQUIRE(v6.ok());
    CHECK(v6->host == "2001:db8::1");
    CHECK(v6->kind == host_kind::ipv6);
    CHECK(v6->to_string() == "[2001:db8::1]:5000");
    CHECK(v6->host_for_url() == "[2001:db8::1]");

    auto mapped = parse_connect_authority("[::ffff:192.168.0.1]:443");
    REQUIRE(mapped.ok());
    CHECK(mapped->to_string() == "192.168.0.1:443");
    CHECK(mapped->kind == host_kind::ipv4);
}

TEST_CASE("malformed authorities and ports are refused") {
    const refused_case cases[] = {
        {"example.com", "missing port"},
        {"example.com:", "empty port"},
        {"example.com:0", "port out of range"},
        {"example.com:65536", "port out of range"},
        {"example.com:99999999999999999999", "port out of range"},
        {"example.com:0443", "leading zero"},
        {"example.com:+443", "not a decimal"},
        {"example.com:-1", "not a decimal"},
        {"example.com:44 3", "not a decimal"},
        {"example.com:https", "not a decimal"},
        {"user@example.com:443", "user information"},
        {"user:pass@example.com:443", "user information"},
        {"::1:443", "without brackets"},
        {"[::1]443", "characters after"},
        {"[::1]:", "empty port"},
        {"[::1", "closing bracket"},
        {":443", "empty host"},
        {"", "empty host"},
        {"0x7f.1:443", "non-decimal"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.input);
        auto got = parse_connect_authority(c.input);
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().find(c.reason) != std::string::npos);
    }
}

TEST_CASE("a Host header may leave out the port") {
    auto plain = parse_authority("ghcr.io", 443);
    REQUIRE(plain.ok());
    CHECK(plain->port == 443);
    auto with_port = parse_authority("ghcr.io:8443", 443);
    REQUIRE(with_port.ok());
    CHECK(with_port->port == 8443);
    auto v6 = parse_authority("[::1]", 80);
    REQUIRE(v6.ok());
    CHECK(v6->to_string() == "[::1]:80");
    CHECK_FALSE(parse_authority("user@ghcr.io", 443).ok());
    CHECK_FALSE(parse_authority("ghcr.io:", 443).ok());
    CHECK_FALSE(parse_authority("", 443).ok());
}

TEST_CASE("a socket address is an IP literal and a port") {
    auto v4 = parse_socket_address("10.0.0.5:443");
    REQUIRE(v4.ok());
    CHECK(v4->to_string() == "10.0.0.5:443");
    auto v6 = parse_socket_address("[fd00::5]:443");
    REQUIRE(v6.ok());
    CHECK(v6->to_string() == "[fd00::5]:443");
    CHECK(parse_socket_address("registry.local:443").error() == "host is not an IP address");
    CHECK_FALSE(parse_socket_address("10.0.0.5").ok());
    CHECK_FALSE(parse_socket_address("010.0.0.5:443").ok());
}
