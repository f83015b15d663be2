// Registry names for hosts (proxy/request/registry.hpp).
#include "request/registry.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace pullgate::request;

namespace {

authority at(const std::string& host, std::uint16_t port, host_kind kind = host_kind::dns) {
    authority a;
    a.host = host;
    a.port = port;
    a.kind = kind;
    return a;
}

} // namespace

TEST_CASE("the default port depends on the scheme") {
    CHECK(default_port(scheme::https) == 443);
    CHECK(default_port(scheme::http) == 80);
}

TEST_CASE("every Docker Hub host is the registry docker.io at the default port") {
    const char* hub_hosts[] = {
        "docker.io",
        "index.docker.io",
        "registry-1.docker.io",
        "registry.hub.docker.com",
        "auth.docker.io",
        "production.cloudflare.docker.com",
        "docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com",
    };
    for (const char* host : hub_hosts) {
        CAPTURE(host);
        CHECK(is_docker_hub_host(host));
        CHECK(registry_name(at(host, 443), scheme::https) == "docker.io");
        CHECK(registry_name(at(host, 80), scheme::http) == "docker.io");
        CHECK(registry_name(at(host, 5000), scheme::https) == std::string(host) + ":5000");
        CHECK(registry_name(at(host, 80), scheme::https) == std::string(host) + ":80");
    }
}

TEST_CASE("look-alike hosts are not Docker Hub") {
    const char* others[] = {
        "hub.docker.com",
        "docker.io.evil.com",
        "evildocker.io",
        "r2.cloudflarestorage.com",
        ".r2.cloudflarestorage.com",
        "x.r2.cloudflarestorage.com.evil",
        "cloudflare.docker.com",
        "",
    };
    for (const char* host : others) {
        CAPTURE(host);
        CHECK_FALSE(is_docker_hub_host(host));
    }
}

TEST_CASE("other registries are named by host, with a port only when not the default") {
    CHECK(registry_name(at("ghcr.io", 443), scheme::https) == "ghcr.io");
    CHECK(registry_name(at("ghcr.io", 80), scheme::http) == "ghcr.io");
    CHECK(registry_name(at("localhost", 5000), scheme::https) == "localhost:5000");
    CHECK(registry_name(at("localhost", 443), scheme::http) == "localhost:443");
    CHECK(registry_name(at("10.0.0.5", 443, host_kind::ipv4), scheme::https) == "10.0.0.5");
    CHECK(registry_name(at("2001:db8::1", 443, host_kind::ipv6), scheme::https) == "[2001:db8::1]");
    CHECK(registry_name(at("2001:db8::1", 5000, host_kind::ipv6), scheme::https) ==
          "[2001:db8::1]:5000");
}
