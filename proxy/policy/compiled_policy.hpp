// Private to proxy/policy: the policy section after compile() has checked
// and normalised it. Immutable once built; shared by every copy of a
// policy and read from any thread without locks.
#pragma once

#include "config/config.hpp"
#include "policy/decision.hpp"
#include "policy/glob.hpp"
#include "policy/host_pattern.hpp"
#include "policy/policy.hpp"
#include "request/request_info.hpp"

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pullgate::policy {

// SPEC `rule` values of pullgate's own rules. A configured rule name may
// not take one of them (compile() refuses it).
namespace rule_id {
inline constexpr std::string_view invalid = "request.invalid";
inline constexpr std::string_view registries = "registries";
inline constexpr std::string_view other_hosts = "other_hosts";
inline constexpr std::string_view fallback = "default";
inline constexpr std::string_view official = "docker_hub.official";
inline constexpr std::string_view verified_publishers = "docker_hub.verified_publishers";
inline constexpr std::string_view sponsored_oss = "docker_hub.sponsored_oss";
inline constexpr std::string_view organizations = "docker_hub.organizations";
inline constexpr std::string_view community = "docker_hub.community";
} // namespace rule_id

using name_set = std::set<std::string, std::less<>>;

struct compiled_rule {
    std::string id;        // the rule's name, else "rules[N]"
    std::size_t index = 0; // N: its place in policy.rules
    config::source_location where;
    image_pattern pattern;
    config::rule_action action = config::rule_action::allow;
    std::string reason;
    bool everyone = true; // neither users nor groups given
    name_set members;     // users, plus the members of the named groups

    bool applies_to(const identity& who) const {
        return everyone || (who.user && members.contains(*who.user));
    }
};

class compiled_policy {
public:
    config::enforcement_mode mode = config::enforcement_mode::enforce;
    std::vector<host_pattern> registries;
    std::vector<std::string> registry_names; // canonical spellings, no duplicates
    bool other_hosts_allow = true;
    std::vector<host_pattern> other_hosts;
    config::docker_hub_config hub;
    name_set organizations;
    name_set verified_publishers;
    name_set sponsored_oss;
    std::vector<compiled_rule> rules;

    // `star` says whether a "*" entry counts: it lists every registry for
    // registry requests, but does not make every host a registry's host.
    bool is_listed(std::string_view registry, bool star = true) const;
    // The decision before policy.mode is applied (policy::decide applies it).
    decision decide(const request::request_info& request, const identity& who,
                    const badge_map& badges) const;

private:
    // decide() once request.registry is canonical.
    decision decide_canonical(const request::request_info& request, const identity& who,
                              const badge_map& badges) const;
    decision decide_other_host(const request::request_info& request) const;
    decision decide_accesses(const request::request_info& request, const identity& who,
                             const badge_map& badges) const;
    decision decide_access(const request::request_info& request,
                           const request::repository_access& access, const identity& who,
                           const badge_map& badges) const;
    category hub_category(std::string_view repository, const badge_map& badges) const;
};

} // namespace pullgate::policy
