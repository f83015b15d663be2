// decide(): invalid -> Registry Access Management -> rules -> Docker Hub
// Image Access Management -> allow. compile() lives in compile.cpp.
#include "policy/policy.hpp"

#include "policy/compiled_policy.hpp"
#include "policy/message.hpp"
#include "request/registry.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pullgate::policy {
namespace {

using request::kind;

decision allowed(std::string_view rule, std::string_view reason, category c = category::none) {
    decision d;
    d.outcome = verdict::allow;
    d.rule = rule;
    d.reason = reason;
    d.image_category = c;
    return d;
}

decision denied(std::string_view rule, std::string_view reason, std::string_view text,
                category c = category::none) {
    decision d;
    d.outcome = verdict::deny;
    d.rule = rule;
    d.reason = reason;
    d.message = message::compose(text, rule);
    d.image_category = c;
    return d;
}

// Pushes and deletes say so in a registry denial: a push to an unlisted
// registry is how an image (or anything else) leaves the organization.
request::action strongest_action(const request::request_info& request) {
    auto writes = [&](request::action a) {
        return request.act == a ||
               std::any_of(request.accesses.begin(), request.accesses.end(),
                           [a](const request::repository_access& x) { return x.act == a; });
    };
    if (writes(request::action::push)) {
        return request::action::push;
    }
    return writes(request::action::del) ? request::action::del : request::action::pull;
}

// "registry/repository", with ":tag" or "@digest" for a manifest reference.
std::string image_name(const request::request_info& request,
                       const request::repository_access& access) {
    std::string name = fmt::format("{}/{}", request.registry, access.repository);
    if (request.what == kind::manifest && !access.reference.empty()) {
        bool digest = access.reference.find(':') != std::string::npos;
        name += fmt::format("{}{}", digest ? '@' : ':', access.reference);
    }
    return name;
}

struct hub_verdict {
    bool allowed;
    std::string_view rule;
    std::string_view reason;
};

hub_verdict hub_rule(category c, const config::docker_hub_config& hub) {
    switch (c) {
    case category::official:
        return {hub.official, rule_id::official, "official image"};
    case category::verified_publisher:
        return {hub.verified_publishers, rule_id::verified_publishers, "verified publisher image"};
    case category::sponsored_oss:
        return {hub.sponsored_oss, rule_id::sponsored_oss, "sponsored open source image"};
    case category::organization: // SPEC: the organization's own namespaces are always allowed
        return {true, rule_id::organizations, "organization image"};
    case category::none:
    case category::community:
        break;
    }
    return {hub.community, rule_id::community, "community image"};
}

decision rule_decision(const compiled_rule& rule, std::string_view image, category c) {
    switch (rule.action) {
    case config::rule_action::allow:
        return allowed(rule.id, "allowed by rule", c);
    case config::rule_action::deny:
        break;
    case config::rule_action::audit: {
        // Recorded as a would-be denial, forwarded all the same.
        decision d = denied(rule.id, "audit rule", message::rule_denied(image, rule.reason), c);
        d.enforced = false;
        return d;
    }
    }
    return denied(rule.id, "denied by rule", message::rule_denied(image, rule.reason), c);
}

// The registry's canonical name. classify() already gives one; this only
// makes sure a stray spelling ("Docker.io", "registry-1.docker.io") cannot
// pass one check and skip the next. A Docker Hub host with a port is not
// Docker Hub (registry-1.docker.io:5000 is some other service).
std::string registry_key(std::string_view registry) {
    std::string name = normalise_name(registry);
    if (!name.empty() && name.find(':') == std::string::npos && request::is_docker_hub_host(name)) {
        name = request::docker_hub;
    }
    return name;
}

} // namespace

bool compiled_policy::is_listed(std::string_view registry, bool star) const {
    std::string name = registry_key(registry);
    if (name.empty()) {
        return false;
    }
    return std::any_of(registries.begin(), registries.end(), [&](const host_pattern& p) {
        return (star || p.shape != host_pattern::form::any) && p.matches_registry(name);
    });
}

category compiled_policy::hub_category(std::string_view repository, const badge_map& badges) const {
    auto ns = repository.substr(0, repository.find('/'));
    if (ns == "library" && ns.size() < repository.size()) {
        return category::official;
    }
    // Configured lists win over what Docker Hub says.
    if (organizations.contains(ns)) {
        return category::organization;
    }
    if (verified_publishers.contains(ns)) {
        return category::verified_publisher;
    }
    if (sponsored_oss.contains(ns)) {
        return category::sponsored_oss;
    }
    // Only a badge Docker Hub can give counts; "organization" is ours to say.
    if (auto badge = badges.find(ns); badge != badges.end()) {
        switch (badge->second) {
        case category::official:
        case category::verified_publisher:
        case category::sponsored_oss:
            return badge->second;
        case category::none:
        case category::organization:
        case category::community:
            break;
        }
    }
    return category::community;
}

decision compiled_policy::decide(const request::request_info& request, const identity& who,
                                 const badge_map& badges) const {
    if (std::string key = registry_key(request.registry); key != request.registry) {
        request::request_info canonical = request;
        canonical.registry = std::move(key);
        return decide_canonical(canonical, who, badges);
    }
    return decide_canonical(request, who, badges);
}

decision compiled_policy::decide_canonical(const request::request_info& request,
                                           const identity& who, const badge_map& badges) const {
    switch (request.what) {
    case kind::connect:
        // Every CONNECT is intercepted and each request inside it decided on
        // its own (SPEC "Registries and Docker Hub"); refusing the tunnel
        // would hide the registry's deny message from the client.
        return allowed(rule_id::fallback, "connection intercepted");
    case kind::other:
        return decide_other_host(request);
    default:
        break;
    }
    // RAM is absolute: checked before any rule, so no rule can widen it.
    if (!is_listed(request.registry)) {
        const std::string& name = request.registry.empty() ? request.host : request.registry;
        return denied(
            rule_id::registries, "registry not approved",
            message::registry_not_listed(name, strongest_action(request), registry_names));
    }
    return decide_accesses(request, who, badges);
}

decision compiled_policy::decide_other_host(const request::request_info& request) const {
    // A non-registry path on a listed registry's host (Docker Hub's blob
    // CDN), read-only: an upload to a CDN bucket host is not a pull. A "*"
    // entry does not count: with it, other_hosts deny would otherwise allow
    // every host.
    if (!request.registry.empty() && request.read_only && is_listed(request.registry, false)) {
        return allowed(rule_id::registries, "registry host");
    }
    if (other_hosts_allow) {
        return allowed(rule_id::other_hosts, "other hosts allowed");
    }
    std::string host = normalise_name(request.host);
    if (std::any_of(other_hosts.begin(), other_hosts.end(),
                    [&](const host_pattern& p) { return p.matches_host(host); })) {
        return allowed(rule_id::other_hosts, "host allowed");
    }
    return denied(rule_id::other_hosts, "host not allowed", message::host_not_allowed(host));
}

decision compiled_policy::decide_accesses(const request::request_info& request, const identity& who,
                                          const badge_map& badges) const {
    std::vector<request::repository_access> accesses = request.accesses;
    if (accesses.empty() && !request.repository.empty()) {
        // classify() always lists the primary repository; never let a
        // request that names one through undecided if it did not.
        accesses.push_back({request.repository, request.act, request.reference});
    }
    if (accesses.empty()) {
        return allowed(rule_id::fallback, "no repository");
    }
    // Every access must be allowed: a mount reads `from`, a token grants
    // every scope. Report the first enforced denial, else the first audit
    // denial, else the primary access.
    std::optional<decision> audit_denial;
    std::optional<decision> primary;
    for (const auto& access : accesses) {
        decision d = decide_access(request, access, who, badges);
        // Which repository decided: a record of a mount or of a token with
        // several scopes must name the one that was denied.
        d.repository = access.repository;
        d.reference = access.reference;
        if (d.blocks()) {
            return d;
        }
        if (d.outcome == verdict::deny && !audit_denial) {
            audit_denial = d;
        }
        if (!primary) {
            primary = d;
        }
    }
    return audit_denial ? *audit_denial : *primary;
}

decision compiled_policy::decide_access(const request::request_info& request,
                                        const request::repository_access& access,
                                        const identity& who, const badge_map& badges) const {
    bool hub = request.registry == request::docker_hub;
    category c = hub ? hub_category(access.repository, badges) : category::none;
    for (const auto& rule : rules) {
        if (rule.applies_to(who) && rule.pattern.matches(request.registry, access)) {
            return rule_decision(rule, image_name(request, access), c);
        }
    }
    if (!hub) {
        return allowed(rule_id::fallback, "no rule matched");
    }
    auto [ok, rule, reason] = hub_rule(c, this->hub);
    if (ok) {
        return allowed(rule, reason, c);
    }
    return denied(rule, reason,
                  message::hub_category_denied(image_name(request, access), c, this->hub), c);
}

policy::policy(std::shared_ptr<const compiled_policy> impl) : impl_(std::move(impl)) {
}

decision policy::decide(const request::request_info& request, const identity& who,
                        const badge_map& badges) const {
    if (request.invalid) {
        // Enforced even in audit mode: a request pullgate cannot understand
        // cannot be said to be harmless, so it is never forwarded.
        decision d = denied(rule_id::invalid, "request not canonical",
                            message::not_canonical(*request.invalid));
        d.status = 400;
        d.error_code = "NAME_INVALID";
        return d;
    }
    decision d = impl_->decide(request, who, badges);
    // House style rule 2: audit mode only changes `enforced`.
    if (impl_->mode == config::enforcement_mode::audit && d.outcome == verdict::deny) {
        d.enforced = false;
    }
    return d;
}

const std::vector<std::string>& policy::registries() const {
    return impl_->registry_names;
}

bool policy::is_listed_registry(std::string_view registry) const {
    return impl_->is_listed(registry);
}

std::vector<std::string>
policy::repositories_needing_badges(const request::request_info& request) const {
    std::vector<std::string> out;
    if (request.registry != request::docker_hub || request.invalid)
        return out;
    for (const auto& access : request.accesses) {
        const std::string_view ns =
            std::string_view(access.repository).substr(0, access.repository.find('/'));
        if (ns == "library" || impl_->organizations.contains(ns) ||
            impl_->verified_publishers.contains(ns) || impl_->sponsored_oss.contains(ns))
            continue;
        if (std::find(out.begin(), out.end(), access.repository) == out.end())
            out.push_back(access.repository);
    }
    return out;
}

} // namespace pullgate::policy
