// policy: Registry Access Management, Docker Hub Image Access Management
// and rules (SPEC "Configuration"). Only structure is checked here; host
// patterns and image globs are compiled, and judged, by policy::compile.
#include "config/sections.hpp"

#include "config/suggest.hpp"

#include <fmt/format.h>

namespace pullgate::config {
namespace {

void read_other_hosts(yaml_reader& r, const located& n, other_hosts_config& out) {
    r.fields(n, {
                    {"action",
                     [&](const located& v) {
                         if (auto i = r.choice(v, {"allow", "deny"}))
                             out.allow = *i == 0;
                     }},
                    {"allow",
                     [&](const located& v) {
                         assign(out.allow_hosts, r.texts(v));
                     }},
                });
}

void read_lookup(yaml_reader& r, const located& n, std::optional<hub_lookup_config>& out) {
    if (n.node.IsNull()) {
        out.reset(); // `lookup: null`: configured lists only
        return;
    }
    hub_lookup_config lookup;
    auto read_url = [&](const located& v) {
        const auto url = r.text(v, "a URL like https://hub.docker.com");
        // A badge decides whether an image may be pulled: over plain HTTP,
        // anyone on the path could make any namespace "verified".
        if (url && !url->starts_with("https://"))
            r.error(v.mark, fmt::format("{} must be an https:// URL like https://hub.docker.com, "
                                        "not {}",
                                        v.path, quote(*url)));
        else
            assign(lookup.url, url);
    };
    auto read_cache_file = [&](const located& v) {
        if (v.node.IsNull())
            lookup.cache_file.reset();
        else if (auto path = r.text(v, "a file path or null"))
            lookup.cache_file = std::move(*path);
    };
    r.fields(n, {
                    {"url", read_url},
                    {"ttl",
                     [&](const located& v) {
                         assign(lookup.ttl, r.duration(v));
                     }},
                    {"timeout",
                     [&](const located& v) {
                         assign(lookup.timeout, r.duration(v));
                     }},
                    {"cache_file", read_cache_file},
                });
    out = std::move(lookup);
}

void read_docker_hub(yaml_reader& r, const located& n, docker_hub_config& out) {
    auto flag = [&](bool& target) {
        return [&r, &target](const located& v) {
            assign(target, r.boolean(v));
        };
    };
    auto names = [&](std::vector<std::string>& target) {
        return [&r, &target](const located& v) {
            assign(target, r.texts(v));
        };
    };
    r.fields(n, {
                    {"official", flag(out.official)},
                    {"verified_publishers", flag(out.verified_publishers)},
                    {"sponsored_oss", flag(out.sponsored_oss)},
                    {"organizations", names(out.organizations)},
                    {"community", flag(out.community)},
                    {"verified_publisher_namespaces", names(out.verified_publisher_namespaces)},
                    {"sponsored_oss_namespaces", names(out.sponsored_oss_namespaces)},
                    {"lookup",
                     [&](const located& v) {
                         read_lookup(r, v, out.lookup);
                     }},
                });
}

// users: or groups: of a rule. An empty list would read as "nobody" but
// mean "everyone" (config.hpp): refuse it rather than guess.
std::optional<std::vector<located>> read_principals(yaml_reader& r, const located& n) {
    auto list = r.items(n);
    if (list && list->empty()) {
        r.error(n.mark,
                fmt::format("{} is empty; remove it to apply the rule to everyone", n.path));
        return std::nullopt;
    }
    return list;
}

void read_rule_groups(yaml_reader& r, const located& n, const group_map* groups,
                      std::vector<std::string>& out) {
    const auto list = read_principals(r, n);
    if (!list)
        return;
    std::vector<std::string_view> defined;
    if (groups)
        for (const auto& [name, members] : *groups)
            defined.push_back(name);
    for (const located& item : *list) {
        const auto name = r.text(item, "a group name");
        if (!name)
            continue;
        if (groups && !groups->contains(*name)) {
            std::string message = fmt::format("{} names the group {}, which is not defined "
                                              "under groups",
                                              item.path, quote(*name));
            if (auto guess = closest_match(*name, defined))
                message += fmt::format("; did you mean '{}'?", *guess);
            r.error(item.mark, std::move(message));
        }
        out.push_back(*name);
    }
}

rule_config read_rule(yaml_reader& r, const located& n, const group_map* groups) {
    rule_config rule;
    rule.where = to_location(n.mark);
    bool has_image = false;
    bool has_action = false;
    auto read_action = [&](const located& v) {
        has_action = true;
        constexpr rule_action actions[] = {rule_action::allow, rule_action::deny,
                                           rule_action::audit};
        if (auto i = r.choice(v, {"allow", "deny", "audit"}))
            rule.action = actions[*i];
    };
    auto read_users = [&](const located& v) {
        if (const auto list = read_principals(r, v))
            for (const located& item : *list)
                assign(rule.users.emplace_back(), r.text(item, "a user name"));
    };
    const bool is_mapping = r.fields(
        n, {
               {"image",
                [&](const located& v) {
                    has_image = true;
                    assign(rule.image, r.text(v, "an image pattern like \"ghcr.io/acme/*\""));
                }},
               {"name",
                [&](const located& v) {
                    assign(rule.name, r.text(v));
                }},
               {"action", read_action},
               {"reason",
                [&](const located& v) {
                    assign(rule.reason, r.text(v));
                }},
               {"users", read_users},
               {"groups",
                [&](const located& v) {
                    read_rule_groups(r, v, groups, rule.groups);
                }},
           });
    if (is_mapping && !has_image)
        r.error(n.mark,
                fmt::format("{} needs an image: pattern, like image: \"ghcr.io/acme/*\"", n.path));
    if (is_mapping && !has_action)
        r.error(n.mark, fmt::format("{} needs an action: allow, deny or audit", n.path));
    return rule;
}

} // namespace

void read_policy(yaml_reader& r, const located& n, const group_map* groups, policy_config& out) {
    auto read_mode = [&](const located& v) {
        if (auto i = r.choice(v, {"enforce", "audit"}))
            out.mode = *i == 0 ? enforcement_mode::enforce : enforcement_mode::audit;
    };
    auto read_rules = [&](const located& v) {
        if (const auto list = r.items(v)) {
            out.rules.clear();
            for (const located& item : *list)
                out.rules.push_back(read_rule(r, item, groups));
        }
    };
    r.fields(n, {
                    {"mode", read_mode},
                    {"registries",
                     [&](const located& v) {
                         assign(out.registries, r.texts(v));
                     }},
                    {"other_hosts",
                     [&](const located& v) {
                         read_other_hosts(r, v, out.other_hosts);
                     }},
                    {"docker_hub",
                     [&](const located& v) {
                         read_docker_hub(r, v, out.docker_hub);
                     }},
                    {"rules", read_rules},
                });
}

} // namespace pullgate::config
