// decide(): invalid -> registries -> rules -> Docker Hub categories -> allow,
// and the deny messages (SPEC "Deny response"). compile() diagnostics are
// in policy_compile_test.cpp.
#include "policy/policy.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace pullgate;
using policy::badge_map;
using policy::category;
using request::action;
using request::kind;
using request::repository_access;
using request::request_info;

namespace {

using tweak_fn = void (*)(config::policy_config&);

const std::map<std::string, std::vector<std::string>> groups{{"platform", {"alice", "bob"}}};
const std::string digest = "sha256:" + std::string(64, 'b');

// The SPEC's example policy, other_hosts aside.
config::policy_config spec_policy() {
    config::policy_config p;
    p.registries = {"docker.io", "ghcr.io"};
    p.docker_hub.organizations = {"acme"};
    p.docker_hub.verified_publisher_namespaces = {"bitnami", "grafana"};
    p.docker_hub.sponsored_oss_namespaces = {"jenkins"};
    using config::rule_action;
    // clang-format off
    p.rules = {
        {"ghcr.io/acme/*", "acme-ghcr", rule_action::allow, {}, {}, {}, {}},
        {"docker.io/library/*:latest", {}, rule_action::deny, "pin a version tag or digest", {}, {}, {}},
        {"docker.io/*", {}, rule_action::allow, {}, {}, {"platform"}, {}},
    };
    // clang-format on
    return p;
}

policy::policy compile(tweak_fn tweak) {
    auto settings = spec_policy();
    if (tweak) {
        tweak(settings);
    }
    std::vector<config::diagnostic> diagnostics;
    auto compiled = policy::policy::compile(settings, groups, diagnostics);
    REQUIRE(compiled);
    return *compiled;
}

std::string host_of(const std::string& registry) {
    return registry == "docker.io" ? "registry-1.docker.io"
                                   : registry.substr(0, registry.find(':'));
}

request_info make(kind what, action act, const std::string& registry,
                  std::vector<repository_access> accesses) {
    request_info r;
    r.what = what;
    r.act = act;
    r.registry = registry;
    r.host = host_of(registry);
    if (!accesses.empty()) {
        r.repository = accesses.front().repository;
        r.reference = accesses.front().reference;
    }
    r.accesses = std::move(accesses);
    return r;
}

request_info manifest(const std::string& registry, const std::string& repo, const std::string& ref,
                      action act = action::pull) {
    return make(kind::manifest, act, registry, {{repo, act, ref}});
}
request_info blob(const std::string& registry, const std::string& repo) {
    return make(kind::blob, action::pull, registry, {{repo, action::pull, ""}});
}
request_info token(const std::string& registry, std::vector<repository_access> scopes) {
    auto r = make(kind::token, action::other, registry, std::move(scopes));
    r.host = registry == "docker.io" ? "auth.docker.io" : r.host;
    return r;
}
request_info mount(const std::string& registry, const std::string& to, const std::string& from) {
    return make(kind::upload, action::push, registry,
                {{to, action::push, ""}, {from, action::pull, ""}});
}
request_info bare(kind what, const std::string& registry) {
    return make(what, what == kind::other ? action::other : action::pull, registry, {});
}
request_info other_host(const std::string& host, const std::string& registry) {
    auto r = bare(kind::other, registry);
    r.host = host;
    r.read_only = true;
    return r;
}
request_info upload_to_host(const std::string& host, const std::string& registry) {
    auto r = other_host(host, registry);
    r.read_only = false;
    return r;
}
request_info invalid(const std::string& why) {
    auto r = manifest("docker.io", "library/nginx", "latest");
    r.invalid = why;
    return r;
}

struct expect {
    std::string outcome; // "allow" / "deny"
    bool enforced;
    std::string rule;
    std::string category = "";
    int status = 403;
};

struct decide_row {
    std::string name;
    request_info request;
    expect want;
    tweak_fn tweak = nullptr;
    std::optional<std::string> user = std::nullopt;
    badge_map badges = {};
};

void check(const std::vector<decide_row>& rows) {
    for (const auto& row : rows) {
        CAPTURE(row.name);
        auto d = compile(row.tweak).decide(row.request, {row.user}, row.badges);
        CAPTURE(d.message);
        CHECK(std::string(to_string(d.outcome)) == row.want.outcome);
        CHECK(d.enforced == row.want.enforced);
        CHECK(d.rule == row.want.rule);
        CHECK(std::string(to_string(d.image_category)) == row.want.category);
        CHECK(d.status == row.want.status);
        if (d.outcome == policy::verdict::allow) {
            CHECK(d.message.empty());
        } else {
            CHECK(d.message.rfind("pullgate: ", 0) == 0);
            CHECK(d.message.ends_with("(rule: " + row.want.rule + ")"));
        }
    }
}

const expect allow_default{"allow", true, "default"};

} // namespace

TEST_CASE("Docker Hub images are decided by their category") {
    // clang-format off
    check({
        {"official allowed", manifest("docker.io", "library/alpine", "3.19"), {"allow", true, "docker_hub.official", "official"}},
        {"official denied", manifest("docker.io", "library/alpine", "3.19"), {"deny", true, "docker_hub.official", "official"}, [](auto& p) { p.docker_hub.official = false; }},
        {"verified publisher allowed", manifest("docker.io", "bitnami/redis", "7"), {"allow", true, "docker_hub.verified_publishers", "verified_publisher"}},
        {"verified publisher denied", manifest("docker.io", "bitnami/redis", "7"), {"deny", true, "docker_hub.verified_publishers", "verified_publisher"}, [](auto& p) { p.docker_hub.verified_publishers = false; }},
        {"sponsored oss allowed", manifest("docker.io", "jenkins/jenkins", "lts"), {"allow", true, "docker_hub.sponsored_oss", "sponsored_oss"}},
        {"sponsored oss denied", manifest("docker.io", "jenkins/jenkins", "lts"), {"deny", true, "docker_hub.sponsored_oss", "sponsored_oss"}, [](auto& p) { p.docker_hub.sponsored_oss = false; }},
        {"organization allowed", manifest("docker.io", "acme/app", "1"), {"allow", true, "docker_hub.organizations", "organization"}},
        {"organization allowed with every flag off", blob("docker.io", "acme/app"), {"allow", true, "docker_hub.organizations", "organization"}, [](auto& p) { p.docker_hub.official = p.docker_hub.verified_publishers = p.docker_hub.sponsored_oss = false; }},
        {"community denied", manifest("docker.io", "randomuser/tool", "1.0"), {"deny", true, "docker_hub.community", "community"}},
        {"community allowed", manifest("docker.io", "randomuser/tool", "1.0"), {"allow", true, "docker_hub.community", "community"}, [](auto& p) { p.docker_hub.community = true; }},
        {"a repository named library alone", blob("docker.io", "library"), {"deny", true, "docker_hub.community", "community"}},
        {"a one-component name is not library", manifest("docker.io", "nginx", "1"), {"deny", true, "docker_hub.community", "community"}},
        {"a Hub badge names a verified publisher", manifest("docker.io", "nginxinc/unit", "1"), {"allow", true, "docker_hub.verified_publishers", "verified_publisher"}, nullptr, {}, {{"nginxinc", category::verified_publisher}}},
        {"a Hub badge names a denied category", blob("docker.io", "kong/kong"), {"deny", true, "docker_hub.sponsored_oss", "sponsored_oss"}, [](auto& p) { p.docker_hub.sponsored_oss = false; }, {}, {{"kong", category::sponsored_oss}}},
        {"a configured list beats the badge", blob("docker.io", "bitnami/redis"), {"allow", true, "docker_hub.verified_publishers", "verified_publisher"}, [](auto& p) { p.docker_hub.sponsored_oss = false; }, {}, {{"bitnami", category::sponsored_oss}}},
        {"a badge cannot claim organization", blob("docker.io", "evil/x"), {"deny", true, "docker_hub.community", "community"}, nullptr, {}, {{"evil", category::organization}}},
    });
    // clang-format on
}

TEST_CASE("registry access management allows only listed registries") {
    // clang-format off
    check({
        {"a listed registry", manifest("ghcr.io", "other/app", "1"), allow_default},
        {"an unlisted registry", manifest("quay.io", "org/app", "1"), {"deny", true, "registries"}},
        {"a push to an unlisted registry", manifest("quay.io", "org/app", "1", action::push), {"deny", true, "registries"}},
        {"a blob upload to an unlisted registry", mount("quay.io", "org/app", "org/base"), {"deny", true, "registries"}},
        {"a token for an unlisted registry", token("quay.io", {{"org/app", action::pull, ""}}), {"deny", true, "registries"}},
        {"a ping of an unlisted registry", bare(kind::ping, "quay.io"), {"deny", true, "registries"}},
        {"a ping of a listed registry", bare(kind::ping, "ghcr.io"), allow_default},
        {"a catalog of a listed registry", bare(kind::catalog, "ghcr.io"), allow_default},
        {"a scope-less token", token("docker.io", {}), allow_default},
        {"a stray spelling of Docker Hub is still Docker Hub", manifest("Registry-1.Docker.IO.", "randomuser/tool", "1"), {"deny", true, "docker_hub.community", "community"}},
        {"no registry at all", bare(kind::manifest, ""), {"deny", true, "registries"}},
        {"an entry with a port", manifest("registry.local:5000", "app", "1"), allow_default, [](auto& p) { p.registries = {"registry.local:5000"}; }},
        {"the same host without the port", manifest("registry.local", "app", "1"), {"deny", true, "registries"}, [](auto& p) { p.registries = {"registry.local:5000"}; }},
        {"another port", manifest("registry.local:5001", "app", "1"), {"deny", true, "registries"}, [](auto& p) { p.registries = {"registry.local:5000"}; }},
        {"a wildcard covers a host below", manifest("r.corp.example", "app", "1"), allow_default, [](auto& p) { p.registries = {"*.corp.example"}; }},
        {"a wildcard covers hosts further below", manifest("a.b.corp.example", "app", "1"), allow_default, [](auto& p) { p.registries = {"*.corp.example"}; }},
        {"a wildcard does not cover the suffix itself", manifest("corp.example", "app", "1"), {"deny", true, "registries"}, [](auto& p) { p.registries = {"*.corp.example"}; }},
        {"a wildcard without a port", manifest("r.corp.example:5000", "app", "1"), {"deny", true, "registries"}, [](auto& p) { p.registries = {"*.corp.example"}; }},
        {"a wildcard with a port", manifest("r.corp.example:5000", "app", "1"), allow_default, [](auto& p) { p.registries = {"*.corp.example:5000"}; }},
        {"entries ignore case and a trailing dot", manifest("ghcr.io", "x/y", "1"), allow_default, [](auto& p) { p.registries = {"GHCR.IO."}; }},
        {"a Docker Hub host entry is docker.io", manifest("docker.io", "library/alpine", "3"), {"allow", true, "docker_hub.official", "official"}, [](auto& p) { p.registries = {"registry-1.docker.io"}; }},
        {"a star lists every registry", manifest("quay.io", "org/app", "1"), allow_default, [](auto& p) { p.registries = {"*"}; }},
        {"no rule can widen RAM", manifest("quay.io", "org/app", "1"), {"deny", true, "registries"}, [](auto& p) { p.rules = {{"quay.io/*", {}, config::rule_action::allow, {}, {}, {}, {}}}; }},
        {"a CONNECT is always intercepted", bare(kind::connect, "quay.io"), allow_default, [](auto& p) { p.other_hosts.allow = false; }},
    });
    // clang-format on
}

TEST_CASE("requests that are not registry requests follow other_hosts") {
    const tweak_fn deny_others = [](config::policy_config& p) {
        p.other_hosts.allow = false;
        p.other_hosts.allow_hosts = {"*.docker.com", "Example.ORG"};
    };
    // clang-format off
    check({
        {"allowed when other_hosts allows", other_host("example.com", "example.com"), {"allow", true, "other_hosts"}},
        {"denied when other_hosts denies", other_host("example.com", "example.com"), {"deny", true, "other_hosts"}, deny_others},
        {"an allow-list wildcard", other_host("desktop.docker.com", "desktop.docker.com"), {"allow", true, "other_hosts"}, deny_others},
        {"an allow-list wildcard not the suffix", other_host("docker.com", "docker.com"), {"deny", true, "other_hosts"}, deny_others},
        {"an allow-list name ignores case", other_host("example.org", "example.org:8443"), {"allow", true, "other_hosts"}, deny_others},
        {"a listed registry's CDN host", other_host("production.cloudflare.docker.com", "docker.io"), {"allow", true, "registries"}, deny_others},
        {"a listed registry's own host", other_host("ghcr.io", "ghcr.io"), {"allow", true, "registries"}, deny_others},
        {"an upload to a listed registry's CDN host follows other_hosts", upload_to_host("x.r2.cloudflarestorage.com", "docker.io"), {"deny", true, "other_hosts"}, deny_others},
        {"a star registry does not list every host", other_host("example.com", "example.com"), {"deny", true, "other_hosts"}, [](auto& p) { p.registries = {"*"}; p.other_hosts.allow = false; }},
        {"a star registry still lists the CDN host for registry requests", blob("docker.io", "library/alpine"), {"allow", true, "docker_hub.official", "official"}, [](auto& p) { p.registries = {"*"}; p.other_hosts.allow = false; }},
        {"the CDN host of an unlisted registry", other_host("production.cloudflare.docker.com", "docker.io"), {"deny", true, "other_hosts"}, [](auto& p) { p.registries = {"ghcr.io"}; p.other_hosts.allow = false; }},
    });
    // clang-format on
}

TEST_CASE("rules decide before Docker Hub categories, first match wins") {
    using config::rule_action;
    // clang-format off
    check({
        {"a named allow rule", manifest("ghcr.io", "acme/app", "1"), {"allow", true, "acme-ghcr"}},
        {"no rule matches", manifest("ghcr.io", "other/app", "1"), allow_default},
        {"a tag rule denies the tag", manifest("docker.io", "library/nginx", "latest"), {"deny", true, "rules[1]", "official"}},
        {"a tag rule leaves other tags", manifest("docker.io", "library/nginx", "1.25"), {"allow", true, "docker_hub.official", "official"}},
        {"a tag rule leaves digests", manifest("docker.io", "library/nginx", digest), {"allow", true, "docker_hub.official", "official"}},
        {"a tag rule leaves blobs", blob("docker.io", "library/nginx"), {"allow", true, "docker_hub.official", "official"}},
        {"a tag rule leaves token scopes", token("docker.io", {{"library/nginx", action::pull, ""}}), {"allow", true, "docker_hub.official", "official"}},
        {"a digest rule denies the digest", manifest("docker.io", "library/nginx", digest), {"deny", true, "rules[0]", "official"}, [](auto& p) { p.rules = {{"docker.io/library/nginx@sha256:b*", {}, rule_action::deny, {}, {}, {}, {}}}; }},
        {"a digest rule leaves tags", manifest("docker.io", "library/nginx", "bbb"), {"allow", true, "docker_hub.official", "official"}, [](auto& p) { p.rules = {{"docker.io/library/nginx@*", {}, rule_action::deny, {}, {}, {}, {}}}; }},
        {"a rule without a tag covers blobs", blob("docker.io", "library/nginx"), {"deny", true, "rules[0]", "official"}, [](auto& p) { p.rules = {{"docker.io/library/nginx", {}, rule_action::deny, {}, {}, {}, {}}}; }},
        {"a group member", manifest("docker.io", "randomuser/tool", "1"), {"allow", true, "rules[2]", "community"}, nullptr, "alice"},
        {"not a group member", manifest("docker.io", "randomuser/tool", "1"), {"deny", true, "docker_hub.community", "community"}, nullptr, "carol"},
        {"an unknown user", manifest("docker.io", "randomuser/tool", "1"), {"deny", true, "docker_hub.community", "community"}},
        {"a listed user", blob("docker.io", "randomuser/tool"), {"allow", true, "rules[0]", "community"}, [](auto& p) { p.rules = {{"docker.io/randomuser/*", {}, rule_action::allow, {}, {"dave"}, {}, {}}}; }, "dave"},
        {"an audit rule lets the request through", blob("docker.io", "randomuser/tool"), {"deny", false, "watch", "community"}, [](auto& p) { p.rules = {{"docker.io/randomuser/*", "watch", rule_action::audit, {}, {}, {}, {}}}; }},
        {"a rule on another registry", manifest("ghcr.io", "evil/app", "1"), {"deny", true, "rules[0]"}, [](auto& p) { p.rules = {{"ghcr.io/evil/*", {}, rule_action::deny, {}, {}, {}, {}}}; }},
        {"a registry pattern stays in the registry", manifest("ghcr.io", "x.corp.example/app", "1"), allow_default, [](auto& p) { p.rules = {{"*.corp.example/*", {}, rule_action::deny, {}, {}, {}, {}}}; }},
    });
    // clang-format on
}

TEST_CASE("every repository a request touches must be allowed") {
    using config::rule_action;
    const tweak_fn audit_random = [](config::policy_config& p) {
        p.rules = {{"docker.io/randomuser/*", {}, rule_action::audit, {}, {}, {}, {}}};
    };
    // clang-format off
    check({
        {"a mount whose source is denied", mount("docker.io", "acme/app", "randomuser/tool"), {"deny", true, "docker_hub.community", "community"}},
        {"a mount whose source is allowed", mount("docker.io", "acme/app", "library/alpine"), {"allow", true, "docker_hub.organizations", "organization"}},
        {"a token with one denied scope", token("docker.io", {{"library/alpine", action::pull, ""}, {"randomuser/tool", action::pull, ""}}), {"deny", true, "docker_hub.community", "community"}},
        {"a token with allowed scopes", token("docker.io", {{"library/alpine", action::pull, ""}, {"acme/app", action::push, ""}}), {"allow", true, "docker_hub.official", "official"}},
        {"an enforced denial beats an earlier audit one", token("docker.io", {{"randomuser/a", action::pull, ""}, {"otheruser/b", action::pull, ""}}), {"deny", true, "docker_hub.community", "community"}, audit_random},
        {"an audit denial beats an allow", token("docker.io", {{"library/alpine", action::pull, ""}, {"randomuser/a", action::pull, ""}}), {"deny", false, "rules[0]", "community"}, audit_random},
        {"a push token to an unlisted registry", token("quay.io", {{"org/app", action::push, ""}}), {"deny", true, "registries"}},
    });
    // clang-format on
}

TEST_CASE("audit mode records denials without enforcing them, except invalid requests") {
    const tweak_fn audit = [](config::policy_config& p) {
        p.mode = config::enforcement_mode::audit;
    };
    // clang-format off
    check({
        {"a community image", manifest("docker.io", "randomuser/tool", "1"), {"deny", false, "docker_hub.community", "community"}, audit},
        {"an unlisted registry", manifest("quay.io", "org/app", "1"), {"deny", false, "registries"}, audit},
        {"a denied other host", other_host("example.com", "example.com"), {"deny", false, "other_hosts"}, [](auto& p) { p.mode = config::enforcement_mode::audit; p.other_hosts.allow = false; }},
        {"an allowed image", manifest("docker.io", "library/alpine", "3"), {"allow", true, "docker_hub.official", "official"}, audit},
        {"an invalid request in audit mode", invalid("bad"), {"deny", true, "request.invalid", "", 400}, audit},
        {"an invalid request", invalid("bad"), {"deny", true, "request.invalid", "", 400}},
    });
    // clang-format on
    auto d = compile(audit).decide(invalid("bad"), {});
    CHECK(d.error_code == "NAME_INVALID");
    CHECK(d.blocks());
}

TEST_CASE("deny messages name the image or registry, the reason and the rule") {
    using config::rule_action;
    struct row {
        std::string name;
        request_info request;
        std::string message;
        tweak_fn tweak = nullptr;
    };
    // clang-format off
    const std::vector<row> rows{
        {"the SPEC example", token("docker.io", {{"randomuser/tool", action::pull, ""}}),
         "pullgate: docker.io/randomuser/tool is a community image; this organization allows "
         "official, verified publisher, sponsored open source and its own images from Docker Hub "
         "(rule: docker_hub.community)"},
        {"community with fewer categories", manifest("docker.io", "randomuser/tool", "1.0"),
         "pullgate: docker.io/randomuser/tool:1.0 is a community image; this organization allows "
         "official and its own images from Docker Hub (rule: docker_hub.community)",
         [](auto& p) { p.docker_hub.verified_publishers = p.docker_hub.sponsored_oss = false; }},
        {"an unlisted registry", manifest("quay.io", "org/app", "1"),
         "pullgate: registry quay.io is not an approved registry; this organization allows "
         "docker.io, ghcr.io (rule: registries)"},
        {"a push to an unlisted registry", mount("quay.io", "org/app", "org/base"),
         "pullgate: push to registry quay.io is not allowed; this organization allows docker.io, "
         "ghcr.io (rule: registries)"},
        {"an official image", manifest("docker.io", "library/nginx", digest),
         "pullgate: docker.io/library/nginx@" + digest + " is a Docker Official Image; this "
         "organization does not allow Docker Official Images (rule: docker_hub.official)",
         [](auto& p) { p.docker_hub.official = false; }},
        {"a verified publisher", blob("docker.io", "bitnami/redis"),
         "pullgate: docker.io/bitnami/redis is a Verified Publisher image; this organization does "
         "not allow Verified Publisher images (rule: docker_hub.verified_publishers)",
         [](auto& p) { p.docker_hub.verified_publishers = false; }},
        {"a sponsored image", blob("docker.io", "jenkins/jenkins"),
         "pullgate: docker.io/jenkins/jenkins is a Docker-Sponsored Open Source image; this "
         "organization does not allow Docker-Sponsored Open Source images (rule: "
         "docker_hub.sponsored_oss)",
         [](auto& p) { p.docker_hub.sponsored_oss = false; }},
        {"a rule with a reason", manifest("docker.io", "library/nginx", "latest"),
         "pullgate: docker.io/library/nginx:latest is denied: pin a version tag or digest (rule: "
         "rules[1])"},
        {"a rule without a reason", manifest("ghcr.io", "evil/app", "1"),
         "pullgate: ghcr.io/evil/app:1 is denied by this organization's policy (rule: no-evil)",
         [](auto& p) { p.rules = {{"ghcr.io/evil/*", "no-evil", rule_action::deny, {}, {}, {}, {}}}; }},
        {"another host", other_host("example.com", "example.com"),
         "pullgate: host example.com is not an allowed destination (rule: other_hosts)",
         [](auto& p) { p.other_hosts.allow = false; }},
        {"an invalid request", invalid("percent-encoded repository name"),
         "pullgate: refused a request that is not canonical: percent-encoded repository name "
         "(rule: request.invalid)"},
    };
    // clang-format on
    for (const auto& r : rows) {
        CAPTURE(r.name);
        CHECK(compile(r.tweak).decide(r.request, {}).message == r.message);
    }
}

TEST_CASE("a deny message is a safe reason phrase: one short line of printable ASCII") {
    using config::rule_action;
    const std::vector<std::string> hostile{"a\r\nSet-Cookie: x=1", std::string("nul\0byte", 8),
                                           "caf\xc3\xa9 \x7f\x80\xff", std::string(5000, 'x')};
    for (const auto& text : hostile) {
        CAPTURE(text.size());
        std::vector<policy::decision> decisions{compile(nullptr).decide(invalid(text), {})};
        config::policy_config settings = spec_policy();
        settings.rules = {
            {"ghcr.io/*", std::string(100, 'n'), rule_action::deny, text, {}, {}, {}}};
        std::vector<config::diagnostic> diagnostics;
        auto p = policy::policy::compile(settings, groups, diagnostics);
        REQUIRE(p);
        decisions.push_back(p->decide(manifest("ghcr.io", "a/b", "1"), {}));
        for (const auto& d : decisions) {
            CAPTURE(d.message);
            CHECK(d.message.rfind("pullgate: ", 0) == 0);
            CHECK(d.message.size() <= 400);
            CHECK(d.message.ends_with(")"));
            CHECK(d.message.find("(rule: ") != std::string::npos);
            for (char c : d.message) {
                CHECK((c >= 0x20 && c <= 0x7e));
            }
        }
    }
}

TEST_CASE("registries are listed in their canonical spelling") {
    auto p = compile([](auto& s) {
        s.registries = {"GHCR.IO.", "index.docker.io", "docker.io", "*.Corp.example:443"};
    });
    CHECK(p.registries() == std::vector<std::string>{"ghcr.io", "docker.io", "*.corp.example"});
    CHECK(p.is_listed_registry("ghcr.io"));
    CHECK(p.is_listed_registry("GHCR.io."));
    CHECK(p.is_listed_registry("r.corp.example"));
    CHECK_FALSE(p.is_listed_registry("quay.io"));
    CHECK_FALSE(p.is_listed_registry(""));
}

TEST_CASE("verdicts and categories have their SPEC names") {
    CHECK(to_string(policy::verdict::allow) == "allow");
    CHECK(to_string(policy::verdict::deny) == "deny");
    CHECK(to_string(category::none).empty());
    CHECK(to_string(category::official) == "official");
    CHECK(to_string(category::verified_publisher) == "verified_publisher");
    CHECK(to_string(category::sponsored_oss) == "sponsored_oss");
    CHECK(to_string(category::organization) == "organization");
    CHECK(to_string(category::community) == "community");
}
