#include "request/token_scope.hpp"

#include "request/reference.hpp"

#include <algorithm>

namespace pullgate::request {
namespace {

using std::string_view;

// resourcetypevalue := /[a-z0-9]+/ (docker token scope grammar)
bool is_type_value(string_view v) {
    return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
}

bool is_action(string_view a) {
    return !a.empty() && std::all_of(a.begin(), a.end(),
                                     [](char c) { return (c >= 'a' && c <= 'z') || c == '*'; });
}

// The name is only checked to be printable here; a repository name is held
// to the distribution grammar by scope_accesses.
bool is_scope_name(string_view n) {
    return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
    });
}

action strongest(const std::vector<std::string>& actions) {
    action out = action::pull;
    for (const auto& a : actions) {
        action candidate = (a == "push" || a == "*") ? action::push
                           : a == "delete"           ? action::del
                                                     : action::pull;
        out = stronger(out, candidate);
    }
    return out;
}

} // namespace

result<token_scope> parse_token_scope(string_view text) {
    // TYPE[(CLASS)]:NAME:ACTIONS, NAME possibly holding ":" (a port): the
    // type ends at the first ":", the actions start after the last.
    auto first = text.find(':');
    auto last = text.rfind(':');
    if (first == string_view::npos || first == last) {
        return refuse("token scope not of the form TYPE:NAME:ACTIONS");
    }
    token_scope out;
    auto type = text.substr(0, first);
    if (auto open = type.find('('); open != string_view::npos) {
        if (!type.ends_with(')')) {
            return refuse("token scope with a malformed resource class");
        }
        out.resource_class = type.substr(open + 1, type.size() - open - 2);
        type = type.substr(0, open);
        if (!is_type_value(out.resource_class)) {
            return refuse("token scope with a malformed resource class");
        }
    }
    if (!is_type_value(type)) {
        return refuse("token scope with a malformed resource type");
    }
    out.resource_type = type;
    out.name = text.substr(first + 1, last - first - 1);
    if (!is_scope_name(out.name)) {
        return refuse("token scope with a malformed name");
    }
    auto actions = text.substr(last + 1);
    for (std::size_t start = 0; start <= actions.size();) {
        auto comma = std::min(actions.find(',', start), actions.size());
        auto one = actions.substr(start, comma - start);
        if (!is_action(one)) {
            return refuse("token scope with a malformed action list");
        }
        out.actions.emplace_back(one);
        start = comma + 1;
    }
    return out;
}

result<std::vector<repository_access>> scope_accesses(const std::vector<std::string>& scopes) {
    std::vector<repository_access> out;
    for (const auto& text : scopes) {
        auto scope = parse_token_scope(text);
        if (!scope) {
            return refuse(scope.error());
        }
        // registry:catalog:* and other resource types name no repository.
        if (scope->resource_type != "repository") {
            continue;
        }
        if (!is_repository_name(scope->name)) {
            return refuse("token scope names a repository outside the reference grammar");
        }
        auto act = strongest(scope->actions);
        auto same = std::find_if(out.begin(), out.end(), [&](const repository_access& a) {
            return a.repository == scope->name;
        });
        if (same == out.end()) {
            out.push_back({scope->name, act, {}});
        } else {
            same->act = stronger(same->act, act);
        }
    }
    return out;
}

} // namespace pullgate::request
