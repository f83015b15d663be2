// compile(): checks the policy section and turns it into a compiled_policy.
//
// Diagnostics leave `file` empty: compile() sees values, not files, and the
// caller (config loading, `pullgate check`) fills in the file name. Rules
// carry their source location; registries, other_hosts and docker_hub lists
// have none in config::policy_config, so their diagnostics have line 0 and
// name the key instead ("policy.registries[1]: …").
#include "policy/policy.hpp"

#include "policy/compiled_policy.hpp"
#include "request/reference.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

namespace pullgate::policy {
namespace {

using config::source_location;
using group_map = std::map<std::string, std::vector<std::string>>;

class reporter {
public:
    explicit reporter(std::vector<config::diagnostic>& out) : out_(out) {}
    void error(source_location at, std::string text) {
        add(at, config::severity::error, std::move(text));
        failed_ = true;
    }
    void warning(source_location at, std::string text) {
        add(at, config::severity::warning, std::move(text));
    }
    bool failed() const { return failed_; }

private:
    void add(source_location at, config::severity level, std::string text) {
        out_.push_back(config::diagnostic{"", at.line, at.column, level, std::move(text)});
    }
    std::vector<config::diagnostic>& out_;
    bool failed_ = false;
};

void compile_registries(const config::policy_config& settings, compiled_policy& out,
                        reporter& report) {
    const auto& entries = settings.registries;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto pattern = parse_registry_pattern(entries[i]);
        if (!pattern) {
            report.error({},
                         fmt::format("policy.registries[{}]: \"{}\" is not a valid registry: {}", i,
                                     entries[i], pattern.error()));
            continue;
        }
        if (pattern->hub_alias) {
            report.warning({}, fmt::format("policy.registries[{}]: \"{}\" is a Docker Hub host; "
                                           "Docker Hub is the registry docker.io, and this entry "
                                           "is read as docker.io",
                                           i, entries[i]));
        }
        if (pattern->shape == host_pattern::form::any) {
            report.warning({}, fmt::format("policy.registries[{}]: every registry is allowed: "
                                           "Registry Access Management is off",
                                           i));
        }
        std::string name = pattern->to_string();
        if (std::find(out.registry_names.begin(), out.registry_names.end(), name) ==
            out.registry_names.end()) {
            out.registry_names.push_back(std::move(name));
        }
        out.registries.push_back(std::move(*pattern));
    }
    if (entries.empty()) {
        report.warning({}, "policy.registries is empty: every registry request is denied");
    }
}

void compile_other_hosts(const config::other_hosts_config& settings, compiled_policy& out,
                         reporter& report) {
    out.other_hosts_allow = settings.allow;
    const auto& entries = settings.allow_hosts;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto pattern = parse_host_pattern(entries[i]);
        if (!pattern) {
            report.error({}, fmt::format("policy.other_hosts.allow[{}]: \"{}\" is not a valid host "
                                         "pattern: {}",
                                         i, entries[i], pattern.error()));
            continue;
        }
        out.other_hosts.push_back(std::move(*pattern));
    }
}

// A Docker Hub namespace: one path component of the distribution grammar.
bool is_namespace(std::string_view name) {
    return name.find('/') == std::string_view::npos && request::is_repository_name(name);
}

void compile_hub(const config::docker_hub_config& settings, compiled_policy& out,
                 reporter& report) {
    out.hub = settings;
    const std::array<std::pair<std::string_view, const std::vector<std::string>*>, 3> lists{{
        {"organizations", &settings.organizations},
        {"verified_publisher_namespaces", &settings.verified_publisher_namespaces},
        {"sponsored_oss_namespaces", &settings.sponsored_oss_namespaces},
    }};
    const std::array<name_set*, 3> targets{&out.organizations, &out.verified_publishers,
                                           &out.sponsored_oss};
    std::map<std::string, std::string_view, std::less<>> first_list; // namespace -> list
    for (std::size_t l = 0; l < lists.size(); ++l) {
        auto [key, names] = lists[l];
        for (std::size_t i = 0; i < names->size(); ++i) {
            const std::string& ns = (*names)[i];
            auto where = fmt::format("policy.docker_hub.{}[{}]", key, i);
            if (ns == "library") {
                report.error({}, fmt::format("{}: \"library\" holds the Docker Official Images; "
                                             "policy.docker_hub.official decides them",
                                             where));
            } else if (!is_namespace(ns)) {
                report.error({}, fmt::format("{}: \"{}\" is not a Docker Hub namespace (one "
                                             "lower-case name such as \"acme\", no '/')",
                                             where, ns));
            } else if (auto [it, fresh] = first_list.emplace(ns, key);
                       !fresh && it->second != key) {
                report.error({}, fmt::format("{}: \"{}\" is also in policy.docker_hub.{}; a "
                                             "namespace has one category",
                                             where, ns, it->second));
            } else {
                targets[l]->insert(ns);
            }
        }
    }
}

bool is_reserved(std::string_view name) {
    constexpr std::array<std::string_view, 4> own{rule_id::invalid, rule_id::registries,
                                                  rule_id::other_hosts, rule_id::fallback};
    return std::find(own.begin(), own.end(), name) != own.end() ||
           name.substr(0, 11) == "docker_hub." || name.substr(0, 6) == "rules[";
}

// Empty, reserved or duplicate names would make logs ambiguous.
void check_name(const std::string& name, std::string_view key, source_location at, name_set& seen,
                reporter& report) {
    bool printable =
        std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
    if (name.empty() || !printable || name.size() > 100) {
        report.error(at, fmt::format("{}.name must be 1 to 100 printable ASCII characters", key));
    } else if (is_reserved(name)) {
        report.error(at,
                     fmt::format("{}.name \"{}\" is reserved for pullgate's own rules", key, name));
    } else if (!seen.insert(name).second) {
        report.error(
            at, fmt::format("{}.name \"{}\" is already the name of an earlier rule", key, name));
    }
}

std::string known_groups(const group_map& groups) {
    if (groups.empty()) {
        return "no groups are defined";
    }
    std::string names;
    for (const auto& [name, members] : groups) {
        names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
    }
    return fmt::format("groups defines {}", names);
}

void compile_rules(const config::policy_config& settings, const group_map& groups,
                   compiled_policy& out, reporter& report) {
    name_set names;
    for (std::size_t n = 0; n < settings.rules.size(); ++n) {
        const auto& rule = settings.rules[n];
        auto key = fmt::format("policy.rules[{}]", n);
        auto pattern = parse_image_pattern(rule.image);
        if (!pattern) {
            report.error(rule.where, fmt::format("{}.image {}", key, pattern.error()));
        }
        if (rule.name) {
            check_name(*rule.name, key, rule.where, names, report);
        }
        compiled_rule compiled;
        compiled.everyone = rule.users.empty() && rule.groups.empty();
        compiled.members.insert(rule.users.begin(), rule.users.end());
        for (const auto& group : rule.groups) {
            auto found = groups.find(group);
            if (found == groups.end()) {
                report.error(rule.where, fmt::format("{} names the unknown group \"{}\" ({})", key,
                                                     group, known_groups(groups)));
                continue;
            }
            compiled.members.insert(found->second.begin(), found->second.end());
        }
        if (!pattern) {
            continue;
        }
        compiled.id = rule.name ? *rule.name : fmt::format("rules[{}]", n);
        compiled.index = n;
        compiled.where = rule.where;
        compiled.pattern = std::move(*pattern);
        compiled.action = rule.action;
        compiled.reason = rule.reason.value_or("");
        out.rules.push_back(std::move(compiled));
    }
}

bool may_match_registry(const compiled_policy& out, std::string_view glob) {
    if (!has_wildcard(glob)) {
        return out.is_listed(glob);
    }
    return std::any_of(out.registries.begin(), out.registries.end(), [&](const host_pattern& p) {
        return p.shape != host_pattern::form::exact || glob_match(glob, p.name);
    });
}

// Warnings only: the rules still work as written.
void check_reachability(const compiled_policy& out, reporter& report) {
    for (auto rule = out.rules.begin(); rule != out.rules.end(); ++rule) {
        const auto& glob = rule->pattern.registry;
        if (!may_match_registry(out, glob)) {
            report.warning(rule->where,
                           has_wildcard(glob)
                               ? fmt::format("policy.rules[{}] can never match: no registry in "
                                             "policy.registries matches \"{}\"",
                                             rule->index, glob)
                               : fmt::format("policy.rules[{}] can never match: registry {} is "
                                             "not in policy.registries",
                                             rule->index, glob));
        }
        auto shadow = std::find_if(out.rules.begin(), rule, [&](const compiled_rule& first) {
            return first.everyone && (first.pattern.matches_everything() ||
                                      first.pattern.to_string() == rule->pattern.to_string());
        });
        if (shadow != rule) {
            report.warning(rule->where,
                           fmt::format("policy.rules[{}] never applies: policy.rules[{}] comes "
                                       "first, applies to everyone and matches {}",
                                       rule->index, shadow->index,
                                       shadow->pattern.matches_everything() ? "every image"
                                                                            : "the same images"));
        }
    }
}

} // namespace

std::optional<policy> policy::compile(const config::policy_config& settings,
                                      const std::map<std::string, std::vector<std::string>>& groups,
                                      std::vector<config::diagnostic>& diagnostics) {
    reporter report(diagnostics);
    auto out = std::make_shared<compiled_policy>();
    out->mode = settings.mode;
    compile_registries(settings, *out, report);
    compile_other_hosts(settings.other_hosts, *out, report);
    compile_hub(settings.docker_hub, *out, report);
    compile_rules(settings, groups, *out, report);
    check_reachability(*out, report);
    if (report.failed()) {
        return std::nullopt;
    }
    return policy(std::move(out));
}

} // namespace pullgate::policy
