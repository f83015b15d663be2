// IP addresses, networks and special-purpose ranges (proxy/request/ip_network.hpp).
#include "request/ip_network.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace pullgate::request;

namespace {

ip_address address(const std::string& text) {
    auto parsed = parse_ip_address(text);
    REQUIRE_MESSAGE(parsed.ok(), text, ": ", parsed.error());
    return *parsed;
}

ip_network network(const std::string& text) {
    auto parsed = parse_ip_network(text);
    REQUIRE_MESSAGE(parsed.ok(), text, ": ", parsed.error());
    return *parsed;
}

} // namespace

TEST_CASE("addresses print in their canonical form") {
    const std::pair<std::string, std::string> cases[] = {
        {"127.0.0.1", "127.0.0.1"},
        {"::1", "::1"},
        {"[::1]", "::1"},
        {"2001:DB8::0:1", "2001:db8::1"},
        {"::ffff:10.0.0.1", "10.0.0.1"},
        {"[::ffff:a00:1]", "10.0.0.1"},
        {"fe80:0:0:0:0:0:0:1", "fe80::1"},
        {"64:ff9b::1.2.3.4", "64:ff9b::102:304"},
    };
    for (const auto& [input, canonical] : cases) {
        CAPTURE(input);
        CHECK(address(input).to_string() == canonical);
    }
    CHECK(address("1.2.3.4").is_v4());
    CHECK(address("::ffff:1.2.3.4").is_v4());
    CHECK_FALSE(address("::1.2.3.4").is_v4());
    CHECK(address("::ffff:1.2.3.4") == address("1.2.3.4"));
}

TEST_CASE("only strict address literals are addresses") {
    const char* refused[] = {
        "",          "0x7f.0.0.1", "017.0.0.1",       "127.1",    "2130706433",
        "1.2.3.4.5", "1.2.3.256",  "fe80::1%eth0",    "[::1",     "[1.2.3.4]",
        "localhost", "1.2.3.4/8",  "::ffff:01.2.3.4", " 1.2.3.4", "1.2.3.4 ",
        "::1::",     "[]",         "1.2.3.",          "::12345",
    };
    for (const char* text : refused) {
        CAPTURE(text);
        CHECK_FALSE(parse_ip_address(text).ok());
    }
}

TEST_CASE("networks contain what their prefix says, across both families") {
    auto loopback = network("127.0.0.0/8");
    CHECK(loopback.to_string() == "127.0.0.0/8");
    CHECK(loopback.prefix == 104);
    CHECK(loopback.contains(address("127.255.0.1")));
    CHECK(loopback.contains(address("::ffff:127.0.0.2"))); // mapped cannot slip past
    CHECK_FALSE(loopback.contains(address("128.0.0.1")));
    CHECK_FALSE(loopback.contains(address("::1")));

    auto v6 = network("::1/128");
    CHECK(v6.to_string() == "::1/128");
    CHECK(v6.contains(address("::1")));
    CHECK_FALSE(v6.contains(address("::2")));

    auto everything = network("0.0.0.0/0");
    CHECK(everything.to_string() == "0.0.0.0/0");
    CHECK(everything.contains(address("8.8.8.8")));
    CHECK_FALSE(everything.contains(address("2001:db8::1")));

    auto all_v6 = network("::/0");
    CHECK(all_v6.contains(address("8.8.8.8")));
    CHECK(all_v6.contains(address("2001:db8::1")));

    auto odd = network("172.16.0.0/12");
    CHECK(odd.contains(address("172.31.255.255")));
    CHECK_FALSE(odd.contains(address("172.32.0.0")));

    auto bare = network("10.1.2.3");
    CHECK(bare.to_string() == "10.1.2.3/32");
    CHECK(bare.contains(address("10.1.2.3")));
    CHECK_FALSE(bare.contains(address("10.1.2.4")));

    auto mapped = network("::ffff:10.0.0.0/104");
    CHECK(mapped.to_string() == "10.0.0.0/8");
}

TEST_CASE("malformed networks are refused with a reason") {
    const std::pair<std::string, std::string> cases[] = {
        {"10.0.0.1/8", "the network is 10.0.0.0/8"},
        {"2001:db8::1/32", "the network is 2001:db8::/32"},
        {"10.0.0.0/33", "out of range"},
        {"::/129", "out of range"},
        {"10.0.0.0/", "not a decimal"},
        {"10.0.0.0/08", "leading zero"},
        {"10.0.0.0/+8", "not a decimal"},
        {"10.0.0.0/8/8", "not a decimal"},
        {"010.0.0.0/8", "leading zero"},
        {"/8", "empty address"},
    };
    for (const auto& [input, reason] : cases) {
        CAPTURE(input);
        auto got = parse_ip_network(input);
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().find(reason) != std::string::npos);
    }
}

TEST_CASE("special-purpose addresses are named, public ones are not") {
    const std::pair<std::string, std::string> cases[] = {
        {"0.0.0.0", "unspecified"},
        {"0.1.2.3", "unspecified"},
        {"10.0.0.1", "private"},
        {"172.16.0.1", "private"},
        {"172.31.255.255", "private"},
        {"192.168.1.1", "private"},
        {"100.64.0.1", "shared address space"},
        {"100.127.255.255", "shared address space"},
        {"127.0.0.1", "loopback"},
        {"127.255.255.254", "loopback"},
        {"169.254.169.254", "link-local"},
        {"192.0.0.8", "reserved"},
        {"198.18.0.1", "reserved"},
        {"198.19.255.255", "reserved"},
        {"240.0.0.1", "reserved"},
        {"255.255.255.255", "reserved"},
        {"224.0.0.1", "multicast"},
        {"239.255.255.250", "multicast"},
        {"::", "unspecified"},
        {"::1", "loopback"},
        {"fc00::1", "private"},
        {"fd12:3456::1", "private"},
        {"fe80::1", "link-local"},
        {"febf::1", "link-local"},
        {"ff02::1", "multicast"},
        {"::ffff:127.0.0.1", "loopback"},
        {"::ffff:169.254.169.254", "link-local"},
        {"64:ff9b::10.0.0.1", "private"},
        {"64:ff9b::7f00:1", "loopback"},
        {"::ffff:0:7f00:1", "loopback"},
        {"::ffff:0:a9fe:a9fe", "link-local"},
        {"2002:7f00:1::", "loopback"},
        {"2002:a9fe:a9fe::1", "link-local"},
        {"2001:db8::1", "reserved"},
        {"::127.0.0.1", "reserved"},
    };
    for (const auto& [input, why] : cases) {
        CAPTURE(input);
        auto got = special_purpose(address(input));
        REQUIRE(got.has_value());
        CHECK(*got == why);
    }
    const char* public_addresses[] = {
        "8.8.8.8",        "1.1.1.1",         "172.32.0.1",       "100.128.0.1",
        "169.255.0.1",    "2606:4700::1111", "64:ff9b::8.8.8.8", "2002:808:808::1",
        "::ffff:8.8.8.8", "223.255.255.255", "11.0.0.1",
    };
    for (const char* text : public_addresses) {
        CAPTURE(text);
        CHECK_FALSE(special_purpose(address(text)).has_value());
    }
}
