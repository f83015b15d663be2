// One authority per request: the CONNECT (or the absolute URI) decides,
// and a Host header naming anything else is refused.
#include "request/proxy_target.hpp"

#include <doctest/doctest.h>

using namespace pullgate::request;

namespace {

authority tunnel(const std::string& text) {
    return *parse_connect_authority(text);
}

} // namespace

TEST_CASE("inside a tunnel, origin-form targets with a matching Host are routed") {
    struct row {
        std::string connect, target, host;
    };
    const row rows[] = {
        {"registry-1.docker.io:443", "/v2/", "registry-1.docker.io"},
        {"registry-1.docker.io:443", "/v2/", "Registry-1.Docker.IO."},
        {"registry-1.docker.io:443", "/v2/?x=1", "registry-1.docker.io:443"},
        {"reg.test:5000", "/v2/a/manifests/b", "reg.test:5000"},
        {"[2001:db8::1]:443", "/v2/", "[2001:db8::1]"},
    };
    CHECK(route_in_tunnel(tunnel("ghcr.io:443"), "/v2/", std::nullopt)->origin_target == "/v2/");
    CHECK(route_absolute_http("http://plain.test/v2/", std::nullopt)->where.to_string() ==
          "plain.test:80");
    for (const auto& r : rows) {
        CAPTURE(r.target);
        CAPTURE(r.host);
        const auto routed = route_in_tunnel(tunnel(r.connect), r.target, r.host);
        REQUIRE(routed);
        CHECK(routed->where == tunnel(r.connect));
        CHECK(routed->origin_target == r.target);
    }
}

TEST_CASE("inside a tunnel, another host, another port or another target form is refused") {
    struct row {
        std::string target, host;
    };
    const row rows[] = {
        {"/v2/", "ghcr.io"},
        {"/v2/", "registry-1.docker.io:8443"},
        {"/v2/", ""},
        {"/v2/", "registry-1.docker.io, ghcr.io"},
        {"/v2/", "user@registry-1.docker.io"},
        {"https://ghcr.io/v2/", "registry-1.docker.io"},
        {"https://registry-1.docker.io/v2/", "registry-1.docker.io"},
        {"ghcr.io:443", "registry-1.docker.io"},
        {"*", "registry-1.docker.io"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.target);
        CAPTURE(r.host);
        CHECK_FALSE(route_in_tunnel(tunnel("registry-1.docker.io:443"), r.target, r.host));
    }
}

TEST_CASE("absolute-form http requests are routed by their URI") {
    struct row {
        std::string target, host, where, origin;
    };
    const row rows[] = {
        {"http://plain.test:5000/v2/", "plain.test:5000", "plain.test:5000", "/v2/"},
        {"HTTP://Plain.Test/v2/x?y=1", "plain.test", "plain.test:80", "/v2/x?y=1"},
        {"http://plain.test", "plain.test:80", "plain.test:80", "/"},
        {"http://plain.test?q", "plain.test", "plain.test:80", "/?q"},
        {"http://10.0.0.1:8080/", "10.0.0.1:8080", "10.0.0.1:8080", "/"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.target);
        const auto routed = route_absolute_http(r.target, r.host);
        REQUIRE(routed);
        CHECK(routed->where.to_string() == r.where);
        CHECK(routed->origin_target == r.origin);
    }
}

TEST_CASE("absolute-form requests that are not plain http to one authority are refused") {
    struct row {
        std::string target, host;
    };
    const row rows[] = {
        {"https://ghcr.io/v2/", "ghcr.io"},
        {"/v2/", "plain.test"},
        {"ftp://plain.test/", "plain.test"},
        {"http://plain.test/v2/", "other.test"},
        {"http://plain.test:5000/v2/", "plain.test"},
        {"http://user:pw@plain.test/v2/", "plain.test"},
        {"http://plain.test#frag", "plain.test"},
        {"http://0x7f.1/", "0x7f.1"},
        {"http:///v2/", ""},
    };
    for (const auto& r : rows) {
        CAPTURE(r.target);
        CHECK_FALSE(route_absolute_http(r.target, r.host));
    }
}

TEST_CASE("absolute-form requests carry no fragment, after the path either") {
    CHECK_FALSE(route_absolute_http("http://a/#", "a"));
    CHECK_FALSE(route_absolute_http("http://a/v2/?q#f", "a"));
}
