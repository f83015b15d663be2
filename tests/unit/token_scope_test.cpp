// Registry token scopes (proxy/request/token_scope.hpp).
#include "request/token_scope.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace pullgate::request;

namespace {

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("a scope splits into type, name and actions") {
    struct scope_case {
        std::string text;
        token_scope expected;
    };
    const scope_case cases[] = {
        {"repository:library/alpine:pull", {"repository", "library/alpine", {"pull"}, ""}},
        {"repository:acme/app:pull,push", {"repository", "acme/app", {"pull", "push"}, ""}},
        {"repository:acme/app:*", {"repository", "acme/app", {"*"}, ""}},
        {"repository:acme/app:delete,pull", {"repository", "acme/app", {"delete", "pull"}, ""}},
        {"registry:catalog:*", {"registry", "catalog", {"*"}, ""}},
        {"repository(plugin):vieux/sshfs:pull", {"repository", "vieux/sshfs", {"pull"}, "plugin"}},
        // The name may hold a port: the type ends at the first ":", the
        // actions begin after the last.
        {"repository:localhost:5000/foo:pull", {"repository", "localhost:5000/foo", {"pull"}, ""}},
        {"repository:a:b:c:push", {"repository", "a:b:c", {"push"}, ""}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        auto got = parse_token_scope(c.text);
        REQUIRE_MESSAGE(got.ok(), got.error());
        CHECK(*got == c.expected);
    }
}

TEST_CASE("malformed scopes are refused") {
    const std::pair<std::string, std::string> cases[] = {
        {"", "TYPE:NAME:ACTIONS"},
        {"repository", "TYPE:NAME:ACTIONS"},
        {"repository:library/alpine", "TYPE:NAME:ACTIONS"},
        {":library/alpine:pull", "resource type"},
        {"Repository:library/alpine:pull", "resource type"},
        {"repo sitory:library/alpine:pull", "resource type"},
        {"repository():a:pull", "resource class"},
        {"repository(plugin:a:pull", "resource class"},
        {"repository(Plugin):a:pull", "resource class"},
        {"repository::pull", "name"},
        {"repository:a b:pull", "name"},
        {"repository:a\tb:pull", "name"},
        {"repository:library/alpine:", "action list"},
        {"repository:library/alpine:pull,", "action list"},
        {"repository:library/alpine:,pull", "action list"},
        {"repository:library/alpine:pull,,push", "action list"},
        {"repository:library/alpine:PULL", "action list"},
        {"repository:library/alpine:pull push", "action list"},
        {"repository:library/alpine:pull\tpush", "action list"},
        {"repository:acme/app:metadata_read", "action list"},
    };
    for (const auto& [text, reason] : cases) {
        CAPTURE(text);
        auto got = parse_token_scope(text);
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().find(reason) != std::string::npos);
    }
}

TEST_CASE("scope accesses take the strongest action per repository") {
    struct access_case {
        strings scopes;
        std::vector<repository_access> expected;
    };
    const access_case cases[] = {
        {{"repository:library/alpine:pull"}, {{"library/alpine", action::pull, ""}}},
        {{"repository:acme/app:pull,push"}, {{"acme/app", action::push, ""}}},
        {{"repository:acme/app:*"}, {{"acme/app", action::push, ""}}},
        {{"repository:acme/app:delete"}, {{"acme/app", action::del, ""}}},
        {{"repository:acme/app:pull,delete"}, {{"acme/app", action::del, ""}}},
        {{"repository:acme/app:delete,push"}, {{"acme/app", action::push, ""}}},
        {{"repository:acme/app:read"}, {{"acme/app", action::pull, ""}}},
        {{"repository(plugin):vieux/sshfs:pull"}, {{"vieux/sshfs", action::pull, ""}}},
        {{"repository:a/b:pull", "repository:c/d:push", "repository:a/b:push"},
         {{"a/b", action::push, ""}, {"c/d", action::push, ""}}},
        {{"repository:a/b:push", "repository:a/b:pull"}, {{"a/b", action::push, ""}}},
        {{"registry:catalog:*"}, {}},
        {{"registry:catalog:*", "repository:a/b:pull"}, {{"a/b", action::pull, ""}}},
        {{"plugin:x:pull"}, {}},
        {{}, {}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.scopes.size());
        CAPTURE(c.scopes.empty() ? std::string() : c.scopes.front());
        auto got = scope_accesses(c.scopes);
        REQUIRE_MESSAGE(got.ok(), got.error());
        CHECK(*got == c.expected);
    }
}

TEST_CASE("a scope outside the grammar refuses the whole list") {
    const strings cases[] = {
        {"repository:library/alpine:pull", "repository:a:"},
        {"repository:Library/alpine:pull"},
        {"repository:localhost:5000/foo:pull"},
        {"repository:a/../b:pull"},
        {"repository:a%2fb:pull"},
        {"repository:" + std::string(256, 'a') + ":pull"},
        {"repository:a//b:pull"},
    };
    for (const auto& scopes : cases) {
        CAPTURE(scopes.back());
        CHECK_FALSE(scope_accesses(scopes).ok());
    }
    CHECK(scope_accesses({"repository:" + std::string(255, 'a') + ":pull"}).ok());
}
