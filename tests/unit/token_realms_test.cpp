// Bearer challenges and learned token realms (proxy/request/token_realms.hpp).
#include "request/token_realms.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

using namespace pullgate::request;

namespace {

authority at(const std::string& text) {
    auto parsed = parse_connect_authority(text);
    REQUIRE_MESSAGE(parsed.ok(), text, ": ", parsed.error());
    return *parsed;
}

} // namespace

TEST_CASE("the realm of a Bearer challenge is found in any position and spelling") {
    const std::pair<std::string, std::string> cases[] = {
        {R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull")",
         "https://auth.docker.io/token"},
        {R"(Bearer service="ghcr.io",realm="https://ghcr.io/token",scope="x")",
         "https://ghcr.io/token"},
        {R"(bearer REALM="https://ghcr.io/token")", "https://ghcr.io/token"},
        {R"(BEARER  realm = "https://ghcr.io/token" , service = "ghcr.io")",
         "https://ghcr.io/token"},
        {R"(  Bearer realm="https://ghcr.io/token",)", "https://ghcr.io/token"},
        {R"(Bearer realm=plain-token,service=x)", "plain-token"},
        {R"(Bearer realm="https://x/a\"b\\c")", R"(https://x/a"b\c)"},
        {R"(Bearer scope="a,b=c",realm="https://x/t")", "https://x/t"},
        {R"(Bearer realm="https://x/t", Basic realm="other")", "https://x/t"},
        {"Bearer\trealm=\"https://x/t\"", "https://x/t"},
    };
    for (const auto& [header, realm] : cases) {
        CAPTURE(header);
        auto got = parse_bearer_realm(header);
        REQUIRE(got.has_value());
        CHECK(*got == realm);
    }
}

TEST_CASE("challenges without a readable Bearer realm give nothing") {
    const std::string cases[] = {
        "",
        "Bearer",
        R"(Basic realm="https://x/t")",
        R"(Bearerrealm="https://x/t")",
        R"(Bearer service="ghcr.io")",
        R"(Bearer realm="https://x/t)",
        R"(Bearer realm="https://x/t\)",
        R"(Bearer realm=)",
        R"(Bearer realm="https://x/t" junk)",
        R"(Bearer realm="https://x/a",realm="https://x/b")",
        "Bearer realm=\"https://x/\x01t\"",
        R"(Bearer abc==)",
        R"(Bearer realm=https://quay.io/v2/auth)", // a URL is not a token: it must be quoted
        R"(Negotiate, Bearer realm="https://x/t")",
    };
    for (const auto& header : cases) {
        CAPTURE(header);
        CHECK_FALSE(parse_bearer_realm(header).has_value());
    }
}

TEST_CASE("Docker Hub's realm is built in and cannot be claimed") {
    token_realms realms;
    CHECK(realms.registry_for(at("auth.docker.io:443"), "/token") == "docker.io");
    CHECK_FALSE(realms.registry_for(at("auth.docker.io:443"), "/token/").has_value());
    // Any port: a token request over plain http, or to another port, is
    // still a token request (and decided by its scopes).
    CHECK(realms.registry_for(at("auth.docker.io:80"), "/token") == "docker.io");
    CHECK(realms.registry_for(at("auth.docker.io:8443"), "/token") == "docker.io");
    CHECK_FALSE(realms.registry_for(at("auth.docker.io:443"), "/Token").has_value());
    realms.learn("evil.example", R"(Bearer realm="https://auth.docker.io/token")");
    CHECK(realms.registry_for(at("auth.docker.io:443"), "/token") == "docker.io");
}

TEST_CASE("a learned realm maps its canonical host and path, on any port, to the registry") {
    token_realms realms;
    realms.learn("ghcr.io", R"(Bearer realm="https://ghcr.io/token",service="ghcr.io")");
    realms.learn("registry.gitlab.com",
                 R"(Bearer realm="https://GitLab.com./jwt/auth?service=container_registry")");
    realms.learn("localhost:5000", R"(Bearer realm="http://127.0.0.1:5001/auth")");
    realms.learn("v6.example", R"(Bearer realm="https://[2001:db8::1]/t")");
    realms.learn("no.path", R"(Bearer realm="https://auth.no.path")");

    CHECK(realms.registry_for(at("ghcr.io:443"), "/token") == "ghcr.io");
    CHECK(realms.registry_for(at("gitlab.com:443"), "/jwt/auth") == "registry.gitlab.com");
    CHECK(realms.registry_for(at("127.0.0.1:5001"), "/auth") == "localhost:5000");
    CHECK(realms.registry_for(at("[2001:db8::1]:443"), "/t") == "v6.example");
    CHECK(realms.registry_for(at("auth.no.path:443"), "/") == "no.path");

    CHECK_FALSE(realms.registry_for(at("ghcr.io:443"), "/token2").has_value());
    CHECK(realms.registry_for(at("ghcr.io:8443"), "/token") == "ghcr.io");
    CHECK(realms.registry_for(at("127.0.0.1:80"), "/auth") == "localhost:5000");
    CHECK_FALSE(realms.registry_for(at("gitlab.com:443"), "/jwt/auth?service=x").has_value());
    CHECK_FALSE(realms.registry_for(at("other.example:443"), "/token").has_value());
}

TEST_CASE("other spellings of a realm's path are recognised as look-alikes") {
    token_realms realms;
    realms.learn("ghcr.io", R"(Bearer realm="https://ghcr.io/token")");
    for (const std::string path : {"/token/", "/Token", "//token", "/./token", "/x/../token",
                                   "/%74oken", "/token;x=1", "/token%2F", "/token\\"}) {
        CAPTURE(path);
        CHECK(realms.lookalike(at("auth.docker.io:443"), path) == "/token");
        CHECK(realms.lookalike(at("ghcr.io:443"), path) == "/token");
    }
    CHECK_FALSE(realms.lookalike(at("ghcr.io:443"), "/tokens").has_value());
    CHECK_FALSE(realms.lookalike(at("ghcr.io:443"), "/v2/").has_value());
    CHECK_FALSE(realms.lookalike(at("quay.io:443"), "/token/").has_value());
}

TEST_CASE("the newest challenge for a realm wins") {
    token_realms realms;
    realms.learn("a.example", R"(Bearer realm="https://auth.example/token")");
    realms.learn("b.example", R"(Bearer realm="https://auth.example/token")");
    CHECK(realms.registry_for(at("auth.example:443"), "/token") == "b.example");
}

TEST_CASE("realms that are not absolute http(s) URLs with a canonical host are ignored") {
    const std::string headers[] = {
        R"(Basic realm="https://x.example/token")",
        R"(Bearer realm="ftp://x.example/token")",
        R"(Bearer realm="/token")",
        R"(Bearer realm="https://")",
        R"(Bearer realm="https://user@x.example/token")",
        R"(Bearer realm="https://0x7f.1/token")",
        R"(Bearer realm="https://x.example:0/token")",
        R"(Bearer realm="https://x_y.example/token")",
        R"(Bearer realm="https://x.example/to ken")",
        R"(Bearer realm="https://x.example/%zz")",
    };
    for (const auto& header : headers) {
        CAPTURE(header);
        token_realms realms;
        realms.learn("r.example", header);
        CHECK_FALSE(realms.registry_for(at("x.example:443"), "/token").has_value());
    }
}

TEST_CASE("a realm under /v2/ is accepted only from its own registry, as one plain segment") {
    token_realms realms;
    realms.learn("gcr.io", R"(Bearer realm="https://gcr.io/v2/token",service="gcr.io")");
    realms.learn("quay.io", R"(Bearer realm="https://quay.io/v2/auth")");
    CHECK(realms.registry_for(at("gcr.io:443"), "/v2/token") == "gcr.io");
    CHECK(realms.registry_for(at("quay.io:443"), "/v2/auth") == "quay.io");

    const std::pair<std::string, std::string> refused[] = {
        // Another registry's API turned into "token requests":
        {"evil.example", "https://ghcr.io/v2/token"},
        {"evil.example", "https://registry-1.docker.io/v2/library/nginx/manifests/latest"},
        // Its own API, but a path that is an endpoint or not canonical:
        {"own.example", "https://own.example/v2/library/nginx/manifests/latest"},
        {"own.example", "https://own.example/v2/_catalog"},
        {"own.example", "https://own.example/v2/"},
        {"own.example", "https://own.example/v2"},
        {"own.example", "https://own.example/V2/token"},
        {"own.example", "https://own.example/x/../v2/token"},
        {"own.example", "https://own.example/%76%32/token"},
    };
    for (const auto& [registry, realm] : refused) {
        CAPTURE(realm);
        realms.learn(registry, "Bearer realm=\"" + realm + "\"");
    }
    CHECK_FALSE(realms.registry_for(at("ghcr.io:443"), "/v2/token").has_value());
    CHECK_FALSE(
        realms.registry_for(at("registry-1.docker.io:443"), "/v2/library/nginx/manifests/latest")
            .has_value());
    const char* own_paths[] = {"/v2/library/nginx/manifests/latest",
                               "/v2/_catalog",
                               "/v2/",
                               "/v2",
                               "/V2/token",
                               "/x/../v2/token",
                               "/%76%32/token"};
    for (const char* path : own_paths) {
        CAPTURE(path);
        CHECK_FALSE(realms.registry_for(at("own.example:443"), path).has_value());
    }
}

TEST_CASE("a registry cannot grow the realm table without bound") {
    token_realms realms;
    for (int i = 0; i < 1100; ++i) {
        realms.learn("r.example", "Bearer realm=\"https://r.example/t" + std::to_string(i) + "\"");
    }
    CHECK(realms.registry_for(at("r.example:443"), "/t1023") == "r.example");
    CHECK_FALSE(realms.registry_for(at("r.example:443"), "/t1024").has_value());
    realms.learn("s.example", R"(Bearer realm="https://r.example/t0")"); // known: updated
    CHECK(realms.registry_for(at("r.example:443"), "/t0") == "s.example");
}

TEST_CASE("realms can be learned and looked up from many threads at once") {
    token_realms realms;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&realms, t] {
            for (int i = 0; i < 200; ++i) {
                auto host = "r" + std::to_string(t) + "-" + std::to_string(i) + ".example";
                realms.learn(host, "Bearer realm=\"https://" + host + "/token\"");
                auto where = parse_connect_authority(host + ":443");
                (void)realms.registry_for(*where, "/token");
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    CHECK(realms.registry_for(at("r3-199.example:443"), "/token") == "r3-199.example");
}
