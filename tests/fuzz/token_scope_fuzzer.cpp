// Fuzzes registry token scopes (request/token_scope.hpp) and Bearer
// challenges (request/token_realms.hpp parse_bearer_realm).
//
// Input: the whole text is one scope, one WWW-Authenticate value, and
// (split at spaces and newlines, as RFC 6749 3.3 and repeated `scope`
// parameters give them) a list of scopes.
#include "fuzz_support.hpp"

#include "request/reference.hpp"
#include "request/request_info.hpp"
#include "request/token_realms.hpp"
#include "request/token_scope.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

using namespace pullgate;
using request::action;

namespace {

std::string to_text(const request::token_scope& s) {
    std::string out = s.resource_type;
    if (!s.resource_class.empty())
        out += "(" + s.resource_class + ")";
    out += ":" + s.name + ":";
    for (std::size_t i = 0; i < s.actions.size(); ++i)
        out += (i ? "," : "") + s.actions[i];
    return out;
}

bool is_type_value(std::string_view v) {
    return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
}

void check_scope(std::string_view text) {
    const auto scope = request::parse_token_scope(text);
    if (!scope) {
        FUZZ_CHECK(!scope.error().empty());
        return;
    }
    FUZZ_CHECK(is_type_value(scope->resource_type));
    FUZZ_CHECK(scope->resource_class.empty() || is_type_value(scope->resource_class));
    FUZZ_CHECK(!scope->name.empty() && fuzz::is_visible_ascii(scope->name));
    FUZZ_CHECK(!scope->actions.empty());
    for (const auto& a : scope->actions) {
        FUZZ_CHECK(!a.empty());
        FUZZ_CHECK(std::all_of(a.begin(), a.end(),
                               [](char c) { return (c >= 'a' && c <= 'z') || c == '*'; }));
    }
    // The grammar is exact: printing the parts gives the text back.
    FUZZ_CHECK(to_text(*scope) == text);
}

std::vector<std::string> split_scopes(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find_first_of(" \n", start), text.size());
        if (end > start)
            out.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

void check_accesses(const std::vector<std::string>& scopes) {
    const auto accesses = request::scope_accesses(scopes);
    const bool all_parse = std::all_of(scopes.begin(), scopes.end(), [](const std::string& s) {
        return request::parse_token_scope(s).ok();
    });
    if (!accesses) {
        FUZZ_CHECK(!accesses.error().empty());
        return;
    }
    FUZZ_CHECK(all_parse);
    std::set<std::string> seen;
    for (const auto& a : *accesses) {
        FUZZ_CHECK(request::is_repository_name(a.repository));
        FUZZ_CHECK(a.act == action::pull || a.act == action::push || a.act == action::del);
        FUZZ_CHECK(a.reference.empty());
        FUZZ_CHECK(seen.insert(a.repository).second); // one access per repository
    }
    // Every repository scope is covered at least as strongly as it asks.
    for (const auto& text : scopes) {
        const auto scope = request::parse_token_scope(text);
        if (scope->resource_type != "repository")
            continue;
        const auto found = std::find_if(accesses->begin(), accesses->end(),
                                        [&](const auto& a) { return a.repository == scope->name; });
        FUZZ_CHECK(found != accesses->end());
        for (const auto& act : scope->actions) {
            const action wanted = (act == "push" || act == "*") ? action::push
                                  : act == "delete"             ? action::del
                                                                : action::pull;
            // At least as strong: the product's own order of actions.
            FUZZ_CHECK(request::stronger(found->act, wanted) == found->act);
        }
    }
    // The order of scopes does not change what is granted.
    std::vector<std::string> reversed(scopes.rbegin(), scopes.rend());
    const auto again = request::scope_accesses(reversed);
    FUZZ_CHECK(again.ok());
    std::set<std::pair<std::string, action>> a1, a2;
    for (const auto& a : *accesses)
        a1.emplace(a.repository, a.act);
    for (const auto& a : *again)
        a2.emplace(a.repository, a.act);
    FUZZ_CHECK(a1 == a2);
}

std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

void check_realm(std::string_view header) {
    const auto realm = request::parse_bearer_realm(header);
    if (!realm)
        return;
    // A realm is a URL the client will fetch: no line breaks, no NUL.
    for (const char c : *realm) {
        const auto u = static_cast<unsigned char>(c);
        FUZZ_CHECK((u >= 0x20 || c == '\t') && u != 0x7f);
    }
    // Re-quoting the realm gives a challenge with the same realm.
    const auto again =
        request::parse_bearer_realm("Bearer realm=" + quoted(*realm) + ",service=\"x\"");
    FUZZ_CHECK(again && *again == *realm);
    // A learned realm never throws, whatever it says.
    request::token_realms realms;
    realms.learn("docker.io", header);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::as_text(data, size);
    check_scope(text);
    check_accesses(split_scopes(text));
    check_realm(text);
    return 0;
}
