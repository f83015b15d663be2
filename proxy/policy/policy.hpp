// The policy: Registry Access Management, then rules, then Docker Hub Image
// Access Management (SPEC "Configuration", "Registries and Docker Hub").
// decide() is a total, side-effect-free function; serve, explain and the
// tests all call it.
#pragma once

#include "config/config.hpp"
#include "config/diagnostic.hpp"
#include "policy/decision.hpp"
#include "request/request_info.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pullgate::policy {

// Who is asking. user comes from proxy authentication when configured.
struct identity {
    std::optional<std::string> user;
};

// Docker Hub badges learned by a look-up (issue: Hub category look-up):
// namespace -> category. Configured lists always win over it.
using badge_map = std::map<std::string, category, std::less<>>;

class compiled_policy;

class policy {
public:
    // Compiles the policy section (and the groups it refers to). Appends
    // errors and warnings to `diagnostics`, with the config's source
    // locations; returns nothing when there is any error. Diagnostics leave
    // `file` empty for the caller to fill in; those about registries,
    // other_hosts and docker_hub lists have line 0 and name the key.
    static std::optional<policy>
    compile(const config::policy_config& settings,
            const std::map<std::string, std::vector<std::string>>& groups,
            std::vector<config::diagnostic>& diagnostics);

    // Total and side-effect free. A request marked invalid is denied (400
    // NAME_INVALID) and enforced even in audit mode; a CONNECT is always
    // allowed (each request inside it is decided); policy.mode audit only
    // clears `enforced` on a denial.
    decision decide(const request::request_info& request, const identity& who,
                    const badge_map& badges = {}) const;

    // Registries (canonical names and wildcard patterns) as configured,
    // for messages and the PAC file.
    const std::vector<std::string>& registries() const;
    // True when `registry` ("ghcr.io", "host:5000") is listed.
    bool is_listed_registry(std::string_view registry) const;

    // The Docker Hub repositories of `request` whose category only Docker
    // Hub's badge can tell: not library/*, no namespace in a configured
    // list. Empty unless the request is for docker.io.
    std::vector<std::string>
    repositories_needing_badges(const request::request_info& request) const;

private:
    explicit policy(std::shared_ptr<const compiled_policy> impl);
    std::shared_ptr<const compiled_policy> impl_;
};

} // namespace pullgate::policy
