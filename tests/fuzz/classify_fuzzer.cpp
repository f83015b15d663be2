// Fuzzes request classification (request/classify.hpp) together with the
// token realms it consults and the policy decision made on its result.
//
// Input: newline-separated fields
//   METHOD \n SCHEME \n AUTHORITY \n TARGET \n REALM-REGISTRY \n WWW-AUTHENTICATE \n BODY...
// SCHEME "http" selects plain HTTP, anything else HTTPS. The realms object
// first learns WWW-AUTHENTICATE from the registry REALM-REGISTRY names (the
// request's own registry when it is not an authority), as the net layer
// does after a 401, so that token requests and realm hijacks are reached.
#include "fuzz_support.hpp"

#include "config/config.hpp"
#include "policy/message.hpp"
#include "policy/policy.hpp"
#include "request/classify.hpp"
#include "request/reference.hpp"
#include "request/target.hpp"

#include <optional>
#include <string>

using namespace pullgate;
using request::action;
using request::kind;

namespace {

// The SPEC's example policy: registries, hub categories, rules with a
// group, so that decide() walks every stage.
const policy::policy& spec_policy() {
    static const policy::policy compiled = [] {
        config::policy_config p;
        p.registries = {"docker.io", "ghcr.io", "*.example.com", "localhost:5000"};
        p.docker_hub.organizations = {"acme"};
        p.docker_hub.verified_publisher_namespaces = {"bitnami", "grafana"};
        p.docker_hub.sponsored_oss_namespaces = {"jenkins"};
        p.other_hosts.allow = false;
        p.other_hosts.allow_hosts = {"*.docker.com"};
        using config::rule_action;
        p.rules = {
            {"ghcr.io/acme/*", "acme-ghcr", rule_action::allow, {}, {}, {}, {}},
            {"docker.io/library/*:latest", {}, rule_action::deny, "pin a version", {}, {}, {}},
            {"docker.io/*", {}, rule_action::allow, {}, {}, {"platform"}, {}},
            {"*.example.com/legacy/*", {}, rule_action::audit, {}, {}, {}, {}},
        };
        std::vector<config::diagnostic> diagnostics;
        auto out = policy::policy::compile(p, {{"platform", {"alice"}}}, diagnostics);
        FUZZ_CHECK(out.has_value());
        return *out;
    }();
    return compiled;
}

bool same_info(const request::request_info& a, const request::request_info& b) {
    return a.what == b.what && a.act == b.act && a.host == b.host && a.registry == b.registry &&
           a.read_only == b.read_only && a.repository == b.repository &&
           a.reference == b.reference && a.accesses == b.accesses && a.invalid == b.invalid;
}

bool is_repository_kind(kind k) {
    return k == kind::manifest || k == kind::blob || k == kind::upload || k == kind::tags ||
           k == kind::referrers;
}

void check_valid(const request::request_info& info, std::string_view method,
                 const request::request_target& target) {
    const bool read_only = method == "GET" || method == "HEAD";
    FUZZ_CHECK(info.read_only == read_only);
    // Every name that reaches policy is in the distribution grammar.
    if (!info.repository.empty()) {
        FUZZ_CHECK_AT(request::is_repository_name(info.repository), info.repository);
        FUZZ_CHECK(!info.accesses.empty());
        FUZZ_CHECK(info.accesses.front().repository == info.repository);
    }
    for (const auto& access : info.accesses) {
        FUZZ_CHECK_AT(request::is_repository_name(access.repository), access.repository);
        FUZZ_CHECK(access.act != action::other);
        if (info.registry == request::docker_hub)
            FUZZ_CHECK(access.repository.find('/') != std::string::npos);
    }
    FUZZ_CHECK(is_repository_kind(info.what) ==
               (info.what != kind::token && !info.repository.empty()));
    if (is_repository_kind(info.what))
        FUZZ_CHECK(info.accesses.front().act == info.act);
    switch (info.what) {
    case kind::manifest:
        FUZZ_CHECK(request::is_tag(info.reference) || request::is_digest(info.reference));
        FUZZ_CHECK(info.accesses.front().reference == info.reference);
        break;
    case kind::blob:
    case kind::referrers:
        FUZZ_CHECK(request::is_digest(info.reference));
        break;
    case kind::upload:
        FUZZ_CHECK(info.reference.empty() || request::is_digest(info.reference));
        break;
    case kind::ping:
    case kind::catalog:
    case kind::other:
        FUZZ_CHECK(info.repository.empty() && info.accesses.empty());
        break;
    case kind::tags:
    case kind::token:
    case kind::connect:
        break;
    }
    if (read_only && info.what != kind::upload && info.what != kind::token &&
        info.what != kind::ping && info.what != kind::other)
        FUZZ_CHECK(info.act == action::pull);
    // A registry path is never waved through as an ordinary request: it is
    // an OCI endpoint spelled canonically (or a token realm, or Docker Hub's
    // web API on hub.docker.com).
    if (info.what == kind::other && info.host != "hub.docker.com")
        FUZZ_CHECK_AT(!request::looks_like_registry_path(target.path), target.path);
    if (info.what != kind::other && info.what != kind::token)
        FUZZ_CHECK_AT(!request::registry_path_problem(target.path), target.path);
    // The image goes into audit records and deny messages.
    FUZZ_CHECK_AT(fuzz::is_visible_ascii(info.image()), info.image());
}

void check_decision(const request::request_info& info) {
    const auto& p = spec_policy();
    for (const policy::identity& who : {policy::identity{}, policy::identity{"alice"}}) {
        const policy::decision d = p.decide(info, who);
        FUZZ_CHECK(!d.rule.empty());
        if (info.invalid) {
            FUZZ_CHECK(d.outcome == policy::verdict::deny && d.enforced && d.status == 400);
            FUZZ_CHECK(d.error_code == "NAME_INVALID");
        }
        // RAM is absolute: no rule allows a registry request elsewhere.
        if (!info.invalid && info.what != kind::other && info.what != kind::connect &&
            !p.is_listed_registry(info.registry))
            FUZZ_CHECK(d.outcome == policy::verdict::deny && d.rule == "registries");
        if (d.outcome == policy::verdict::deny) {
            // One line of printable ASCII: it becomes an HTTP reason phrase.
            FUZZ_CHECK_AT(fuzz::is_printable_ascii(d.message), d.message);
            FUZZ_CHECK_AT(d.message.size() <= policy::message::max_length, d.message);
            FUZZ_CHECK_AT(d.message.starts_with("pullgate: ") && d.message.ends_with(")"),
                          d.message);
            FUZZ_CHECK(d.status == 400 || d.status == 403);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto fields = fuzz::split_fields(fuzz::as_text(data, size), 7);
    const std::string_view method = fields[0];
    const auto over = fields[1] == "http" ? request::scheme::http : request::scheme::https;
    const auto where = request::parse_authority(fields[2], request::default_port(over));
    if (!where)
        return 0;
    const std::string_view target = fields[3];
    const auto realm_owner = request::parse_authority(fields[4], 443);
    const std::string realm_registry =
        realm_owner ? request::registry_name(*realm_owner, request::scheme::https)
                    : request::registry_name(*where, over);

    request::token_realms realms;
    realms.learn(realm_registry, fields[5]);

    const request::http_request_view view{method, *where, over, target, fields[6]};
    const auto info = request::classify(view, realms);

    FUZZ_CHECK(info.host == where->host);
    FUZZ_CHECK(info.what != kind::connect);
    if (info.what != kind::token)
        FUZZ_CHECK(info.registry == request::registry_name(*where, over));
    FUZZ_CHECK(same_info(info, request::classify(view, realms)));
    if (request::is_token_form_post(view, realms))
        FUZZ_CHECK(method == "POST" && info.what == kind::token);
    if (info.invalid) {
        FUZZ_CHECK(!info.invalid->empty());
    } else {
        const auto parsed = request::parse_target(target);
        FUZZ_CHECK(parsed.ok());
        check_valid(info, method, *parsed);
    }
    check_decision(info);
    return 0;
}
