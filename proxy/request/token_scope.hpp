// Scopes of registry token requests (Docker registry token specification:
// "repository:NAME:ACTIONS", NAME may itself contain ":" for a port, the
// resource type may carry a class: "repository(plugin):NAME:pull").
#pragma once

#include "request/request_info.hpp"
#include "util/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace pullgate::request {

struct token_scope {
    std::string resource_type; // "repository", "registry", ...
    std::string name;          // "library/alpine", "catalog"
    std::vector<std::string> actions;
    std::string resource_class; // "plugin" in "repository(plugin)"; empty when none
    bool operator==(const token_scope&) const = default;
};

// One scope string. Refused when malformed.
result<token_scope> parse_token_scope(std::string_view text);

// The repository accesses of a list of scopes. The strongest action wins:
// push or "*" is a push, delete is a delete, otherwise a pull. Refused when
// any scope is malformed or names a repository outside the grammar.
result<std::vector<repository_access>> scope_accesses(const std::vector<std::string>& scopes);

} // namespace pullgate::request
