// policy::compile(): every error and warning, where it points, and that
// errors (never warnings) refuse the policy.
#include "policy/policy.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace pullgate;
using config::rule_action;
using config::severity;

namespace {

using tweak_fn = void (*)(config::policy_config&);

const std::map<std::string, std::vector<std::string>> groups{{"platform", {"alice", "bob"}}};

config::rule_config rule(std::string image, std::optional<std::string> name = {},
                         std::vector<std::string> users = {}, std::vector<std::string> group = {}) {
    // Every rule here sits at line 7, column 5.
    return {std::move(image), std::move(name), rule_action::deny, {}, std::move(users),
            std::move(group), {7, 5}};
}

struct compile_row {
    std::string name;
    tweak_fn tweak;
    severity level;
    std::string text; // a part of the one expected diagnostic
    int line = 0;     // 7 for rules
};

} // namespace

TEST_CASE("the SPEC example policy compiles without a diagnostic") {
    config::policy_config p;
    p.registries = {"docker.io", "ghcr.io"};
    p.other_hosts.allow_hosts = {"*.docker.com"};
    p.docker_hub.organizations = {"acme"};
    p.docker_hub.verified_publisher_namespaces = {"bitnami", "grafana"};
    p.docker_hub.sponsored_oss_namespaces = {"jenkins"};
    p.rules = {{"ghcr.io/acme/*", "acme-ghcr", rule_action::allow, {}, {}, {}, {31, 7}},
               {"docker.io/library/*:latest", {}, rule_action::deny, "pin", {}, {}, {34, 7}},
               {"docker.io/*", {}, rule_action::allow, {}, {}, {"platform"}, {37, 7}}};
    std::vector<config::diagnostic> diagnostics;
    CHECK(policy::policy::compile(p, groups, diagnostics));
    CHECK(diagnostics.empty());
    CHECK(policy::policy::compile(config::policy_config{}, {}, diagnostics));
    CHECK(diagnostics.empty());
}

TEST_CASE("compile reports each problem once, located, and refuses on errors only") {
    // clang-format off
    const std::vector<compile_row> rows{
        // Errors: registries and other hosts.
        {"a port of zero", [](auto& p) { p.registries = {"quay.io:0"}; }, severity::error, "policy.registries[0]: \"quay.io:0\" is not a valid registry: port"},
        {"a port too large", [](auto& p) { p.registries = {"docker.io", "quay.io:99999"}; }, severity::error, "policy.registries[1]"},
        {"a star inside a label", [](auto& p) { p.registries = {"a*.example.com"}; }, severity::error, "'*' may only be the whole first label"},
        {"two wildcard labels", [](auto& p) { p.registries = {"*.*.example.com"}; }, severity::error, "'*' may only be the whole first label"},
        {"a host name with a space", [](auto& p) { p.registries = {"exa mple.com"}; }, severity::error, "is not a valid registry"},
        {"an other host with a port", [](auto& p) { p.other_hosts.allow_hosts = {"example.com:443"}; }, severity::error, "policy.other_hosts.allow[0]: \"example.com:443\""},
        // Errors: rules.
        {"a rule without a registry", [](auto& p) { p.rules = {rule("library/nginx")}; }, severity::error, "policy.rules[0].image \"library/nginx\" does not start with a registry: write \"docker.io/library/nginx\"", 7},
        {"a short name rule", [](auto& p) { p.rules = {rule("nginx")}; }, severity::error, "write \"docker.io/library/nginx\"", 7},
        {"an upper-case repository", [](auto& p) { p.rules = {rule("docker.io/Acme/app")}; }, severity::error, "repository names are lower case: write \"docker.io/acme/app\"", 7},
        {"a stray character", [](auto& p) { p.rules = {rule("docker.io/acme/a+b")}; }, severity::error, "'+' cannot appear in a repository name", 7},
        {"an empty tag part", [](auto& p) { p.rules = {rule("docker.io/acme/app:")}; }, severity::error, "empty tag part", 7},
        {"an empty digest part", [](auto& p) { p.rules = {rule("docker.io/acme/app@")}; }, severity::error, "empty digest part", 7},
        {"a character class", [](auto& p) { p.rules = {rule("docker.io/acme/[ab]pp")}; }, severity::error, "'[' is not supported", 7},
        {"a registry without a repository", [](auto& p) { p.rules = {rule("ghcr.io")}; }, severity::error, "names no repository", 7},
        {"an unknown group", [](auto& p) { p.rules = {rule("docker.io/*", {}, {}, {"ops"})}; }, severity::error, "policy.rules[0] names the unknown group \"ops\" (groups defines platform)", 7},
        {"a duplicate rule name", [](auto& p) { p.rules = {rule("docker.io/a/*", "x"), rule("docker.io/b/*", "x")}; }, severity::error, "policy.rules[1].name \"x\" is already the name of an earlier rule", 7},
        {"a reserved rule name", [](auto& p) { p.rules = {rule("docker.io/a/*", "default")}; }, severity::error, "is reserved", 7},
        {"a name that looks like an index", [](auto& p) { p.rules = {rule("docker.io/a/*", "rules[3]")}; }, severity::error, "is reserved", 7},
        {"a name like a category rule", [](auto& p) { p.rules = {rule("docker.io/a/*", "docker_hub.official")}; }, severity::error, "is reserved", 7},
        {"an empty rule name", [](auto& p) { p.rules = {rule("docker.io/a/*", "")}; }, severity::error, "1 to 100 printable ASCII", 7},
        // Errors: Docker Hub namespaces.
        {"a namespace in two lists", [](auto& p) { p.docker_hub.organizations = {"acme"}; p.docker_hub.sponsored_oss_namespaces = {"acme"}; }, severity::error, "policy.docker_hub.sponsored_oss_namespaces[0]: \"acme\" is also in policy.docker_hub.organizations"},
        {"library as an organization", [](auto& p) { p.docker_hub.organizations = {"library"}; }, severity::error, "policy.docker_hub.organizations[0]: \"library\" holds the Docker Official Images"},
        {"library as a verified publisher", [](auto& p) { p.docker_hub.verified_publisher_namespaces = {"library"}; }, severity::error, "\"library\""},
        {"a namespace with a slash", [](auto& p) { p.docker_hub.organizations = {"acme/app"}; }, severity::error, "is not a Docker Hub namespace"},
        {"an upper-case namespace", [](auto& p) { p.docker_hub.verified_publisher_namespaces = {"Bitnami"}; }, severity::error, "is not a Docker Hub namespace"},
        // Warnings.
        {"every registry", [](auto& p) { p.registries = {"*"}; }, severity::warning, "every registry is allowed: Registry Access Management is off"},
        {"no registry", [](auto& p) { p.registries = {}; }, severity::warning, "policy.registries is empty"},
        {"a Docker Hub host", [](auto& p) { p.registries = {"registry-1.docker.io"}; }, severity::warning, "is a Docker Hub host; Docker Hub is the registry docker.io"},
        {"a rule for an unlisted registry", [](auto& p) { p.rules = {rule("quay.io/org/*")}; }, severity::warning, "policy.rules[0] can never match: registry quay.io is not in policy.registries", 7},
        {"a rule pattern no listed registry matches", [](auto& p) { p.rules = {rule("*.corp.example/*")}; }, severity::warning, "no registry in policy.registries matches \"*.corp.example\"", 7},
        {"a rule for a Docker Hub host", [](auto& p) { p.registries = {"ghcr.io"}; p.rules = {rule("index.docker.io/library/*")}; }, severity::warning, "registry docker.io is not in policy.registries", 7},
        {"the same pattern twice", [](auto& p) { p.rules = {rule("docker.io/a/*"), rule("DOCKER.IO/a/**")}; }, severity::warning, "policy.rules[1] never applies: policy.rules[0] comes first, applies to everyone and matches the same images", 7},
        {"a rule after a lone star", [](auto& p) { p.rules = {rule("*"), rule("ghcr.io/a/*", {}, {"alice"})}; }, severity::warning, "matches every image", 7},
    };
    // clang-format on
    for (const auto& r : rows) {
        CAPTURE(r.name);
        config::policy_config settings;
        settings.registries = {"docker.io", "ghcr.io"};
        r.tweak(settings);
        std::vector<config::diagnostic> diagnostics;
        auto compiled = policy::policy::compile(settings, groups, diagnostics);
        REQUIRE(diagnostics.size() == 1);
        const auto& d = diagnostics.front();
        CAPTURE(d.message);
        CHECK(d.level == r.level);
        CHECK(d.message.find(r.text) != std::string::npos);
        CHECK(d.file.empty()); // the caller names the file
        CHECK(d.line == r.line);
        CHECK(d.column == (r.line ? 5 : 0));
        CHECK(compiled.has_value() == (r.level == severity::warning));
    }
}

TEST_CASE("a rule limited to users is not shadowing, and wildcard registries may match") {
    // clang-format off
    const std::vector<std::pair<std::string, tweak_fn>> rows{
        {"an earlier rule for some users", [](auto& p) { p.rules = {rule("docker.io/a/*", {}, {"alice"}), rule("docker.io/a/*")}; }},
        {"an earlier rule with a tag part", [](auto& p) { p.rules = {rule("*:latest"), rule("docker.io/a/*")}; }},
        {"a wildcard rule under a wildcard registry", [](auto& p) { p.registries = {"*.corp.example"}; p.rules = {rule("r?.corp.example/*")}; }},
        {"a wildcard rule matching a listed registry", [](auto& p) { p.registries = {"ghcr.io"}; p.rules = {rule("ghcr.*/a/*")}; }},
        {"a rule for a registry with a port", [](auto& p) { p.registries = {"localhost:5000"}; p.rules = {rule("localhost:5000/app")}; }},
    };
    // clang-format on
    for (const auto& [name, tweak] : rows) {
        CAPTURE(name);
        config::policy_config settings;
        tweak(settings);
        std::vector<config::diagnostic> diagnostics;
        CHECK(policy::policy::compile(settings, groups, diagnostics));
        CHECK(diagnostics.empty());
    }
}

TEST_CASE("compile reports every error, not only the first") {
    config::policy_config settings;
    settings.registries = {"quay.io:0", "ghcr.io:99999"};
    settings.rules = {rule("nginx"), rule("docker.io/*", {}, {}, {"nobody"})};
    std::vector<config::diagnostic> diagnostics;
    CHECK_FALSE(policy::policy::compile(settings, groups, diagnostics));
    auto errors = std::count_if(diagnostics.begin(), diagnostics.end(),
                                [](const auto& d) { return d.level == severity::error; });
    CHECK(errors == 4);
}
