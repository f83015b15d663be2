// The PAC file sends registry hosts (all of Docker Hub's for docker.io)
// through pullgate, and everything when other_hosts denies by default.
#include "service/pac_file.hpp"

#include <doctest/doctest.h>

using namespace pullgate;

namespace {

config::policy_config policy_with(std::vector<std::string> registries, bool others_allowed = true) {
    config::policy_config p;
    p.registries = std::move(registries);
    p.other_hosts.allow = others_allowed;
    return p;
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("docker.io routes every Docker Hub host, its CDN included, through the proxy") {
    const auto pac = service::make_pac_file(policy_with({"docker.io"}), "10.0.0.1:3128");
    CHECK(contains(pac, "function FindProxyForURL(url, host)"));
    CHECK(contains(pac, "\"PROXY 10.0.0.1:3128\""));
    for (const auto host : {"registry-1.docker.io", "auth.docker.io", "index.docker.io",
                            "production.cloudflare.docker.com"}) {
        CAPTURE(host);
        CHECK(contains(pac, std::string("host == \"") + host + "\""));
    }
    CHECK(contains(pac, "dnsDomainIs(host, \".r2.cloudflarestorage.com\")"));
    CHECK(contains(pac, "return \"DIRECT\""));
}

TEST_CASE("registry names, ports and wildcards become host tests") {
    const auto pac = service::make_pac_file(
        policy_with({"ghcr.io", "Registry.Corp:5000", "*.corp.example"}), "p:3128");
    CHECK(contains(pac, "host == \"ghcr.io\""));
    CHECK(contains(pac, "host == \"registry.corp\""));
    CHECK(contains(pac, "dnsDomainIs(host, \".corp.example\")"));
}

TEST_CASE("with other_hosts denying, or a star registry, every host goes through pullgate") {
    for (const auto& policy : {policy_with({"docker.io"}, false), policy_with({"*"})}) {
        const auto pac = service::make_pac_file(policy, "p:3128");
        CHECK_FALSE(contains(pac, "DIRECT"));
        CHECK(contains(pac, "return proxy;"));
    }
}

TEST_CASE("nothing from the configuration becomes code") {
    const auto pac =
        service::make_pac_file(policy_with({"evil\");alert(1);//", "*.x\"y"}), "p:3128");
    CHECK_FALSE(contains(pac, "alert"));
    CHECK_FALSE(contains(pac, "x\"y"));
}

TEST_CASE("the advertised proxy is the listen address, or the PAC host for a wildcard listener") {
    CHECK(service::advertised_proxy("127.0.0.1:3128", "whatever:9128") == "127.0.0.1:3128");
    CHECK(service::advertised_proxy("0.0.0.0:3128", "gateway.corp:9128") == "gateway.corp:3128");
    CHECK(service::advertised_proxy("[::]:3128", "[2001:db8::5]:9128") == "[2001:db8::5]:3128");
    CHECK(service::advertised_proxy("0.0.0.0:3128", "") == "0.0.0.0:3128");
}
