// Patterns of the policy: globs, registry and host patterns, image patterns.
#include "policy/glob.hpp"
#include "policy/host_pattern.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using pullgate::policy::glob_match;
using pullgate::policy::host_pattern;
using pullgate::policy::image_pattern;
using pullgate::policy::parse_host_pattern;
using pullgate::policy::parse_image_pattern;
using pullgate::policy::parse_registry_pattern;
using pullgate::request::action;
using pullgate::request::repository_access;

TEST_CASE("a glob matches with star and question mark only") {
    struct row {
        std::string pattern;
        std::string text;
        bool match;
    };
    // clang-format off
    const std::vector<row> rows{
        {"", "", true},
        {"", "a", false},
        {"*", "", true},
        {"*", "docker.io/library/nginx", true},
        {"library/*", "library/nginx", true},
        {"library/*", "library/a/b/c", true}, // '*' spans '/'
        {"library/*", "library", false},
        {"library/*", "librarything/x", false},
        {"a*b*c", "abc", true},
        {"a*b*c", "aXXbYYc", true},
        {"a*b*c", "aXXbYY", false},
        {"a*c", "abcbc", true}, // backtracking past a false start
        {"?", "", false},
        {"?", "x", true},
        {"1.?", "1.2", true},
        {"1.?", "1.20", false},
        {"v*.*", "v1.2", true},
        {"nginx", "NGINX", false}, // case is the caller's business
        {"[a]", "a", false},       // '[' is literal, never a class
        {"*a*a*a*a*a*a*a*a*b", std::string(200, 'a'), false},
    };
    // clang-format on
    for (const auto& r : rows) {
        CAPTURE(r.pattern);
        CAPTURE(r.text);
        CHECK(glob_match(r.pattern, r.text) == r.match);
    }
}

TEST_CASE("stars collapse and wildcards are detected") {
    CHECK(pullgate::policy::collapse_stars("a**b***") == "a*b*");
    CHECK(pullgate::policy::has_wildcard("ghcr.?o"));
    CHECK_FALSE(pullgate::policy::has_wildcard("ghcr.io"));
}

TEST_CASE("names are normalised to lower case without a trailing dot") {
    CHECK(pullgate::policy::normalise_name("GHCR.IO.") == "ghcr.io");
    CHECK(pullgate::policy::normalise_name("Host.:5000") == "host:5000");
    CHECK(pullgate::policy::normalise_name("[::1]:5000") == "[::1]:5000");
    CHECK(pullgate::policy::normalise_name("") == "");
}

TEST_CASE("registry entries parse to one canonical spelling or are refused") {
    struct row {
        std::string text;
        std::string canonical; // empty: refused
        bool hub_alias = false;
    };
    // clang-format off
    const std::vector<row> rows{
        {"ghcr.io", "ghcr.io"},
        {"GHCR.IO.", "ghcr.io"},
        {"ghcr.io:443", "ghcr.io"}, // the default port is dropped
        {"registry.local:5000", "registry.local:5000"},
        {"*.corp.example", "*.corp.example"},
        {"*.Corp.Example.:5000", "*.corp.example:5000"},
        {"*", "*"},
        {"docker.io", "docker.io"},
        {"registry-1.docker.io", "docker.io", true},
        {"INDEX.DOCKER.IO", "docker.io", true},
        {"docker.io:5000", "docker.io", true},
        {"10.0.0.5:5000", "10.0.0.5:5000"},
        {"[::1]:5000", "[::1]:5000"},
        {"ghcr.io:0", ""},
        {"ghcr.io:65536", ""},
        {"ghcr.io:08080", ""},
        {"ghcr.io:", ""},
        {"ghcr.io:http", ""},
        {"a*.corp.example", ""},
        {"*.*.corp.example", ""},
        {"corp.*.example", ""},
        {"*.", ""},
        {"*.10.0.0.5", ""},
        {"exa mple.com", ""},
        {"", ""},
        {"[::1", ""},
    };
    // clang-format on
    for (const auto& r : rows) {
        CAPTURE(r.text);
        auto parsed = parse_registry_pattern(r.text);
        REQUIRE(parsed.ok() == !r.canonical.empty());
        if (parsed) {
            CHECK(parsed->to_string() == r.canonical);
            CHECK(parsed->hub_alias == r.hub_alias);
        } else {
            CHECK_FALSE(parsed.error().empty());
        }
    }
}

TEST_CASE("a registry entry matches registries by name, port and wildcard") {
    struct row {
        std::string entry;
        std::string registry;
        bool match;
    };
    // clang-format off
    const std::vector<row> rows{
        {"ghcr.io", "ghcr.io", true},
        {"ghcr.io", "ghcr.io:5000", false},
        {"ghcr.io", "xghcr.io", false},
        {"registry.local:5000", "registry.local:5000", true},
        {"registry.local:5000", "registry.local", false},
        {"registry.local:5000", "registry.local:5001", false},
        {"*.corp.example", "r.corp.example", true},
        {"*.corp.example", "a.b.corp.example", true},
        {"*.corp.example", "corp.example", false}, // strictly below the suffix
        {"*.corp.example", "evilcorp.example", false},
        {"*.corp.example", "r.corp.example:5000", false},
        {"*.corp.example:5000", "r.corp.example:5000", true},
        {"*.corp.example:5000", "r.corp.example", false},
        {"*.corp.example", "[::1]:5000", false},
        {"*", "anything.example:1234", true},
        {"docker.io", "docker.io", true},
    };
    // clang-format on
    for (const auto& r : rows) {
        CAPTURE(r.entry);
        CAPTURE(r.registry);
        auto parsed = parse_registry_pattern(r.entry);
        REQUIRE(parsed);
        CHECK(parsed->matches_registry(r.registry) == r.match);
    }
}

TEST_CASE("other host patterns name hosts without ports") {
    struct row {
        std::string entry;
        std::string host;
        bool match;
    };
    // clang-format off
    const std::vector<row> rows{
        {"example.com", "example.com", true},
        {"Example.COM.", "example.com", true},
        {"example.com", "www.example.com", false},
        {"*.docker.com", "desktop.docker.com", true},
        {"*.docker.com", "docker.com", false},
        {"*", "example.org", true},
    };
    // clang-format on
    for (const auto& r : rows) {
        CAPTURE(r.entry);
        CAPTURE(r.host);
        auto parsed = parse_host_pattern(r.entry);
        REQUIRE(parsed);
        CHECK(parsed->matches_host(r.host) == r.match);
    }
    CHECK_FALSE(parse_host_pattern("example.com:443"));
    CHECK_FALSE(parse_host_pattern("ex*ample.com"));
}

TEST_CASE("image patterns parse into registry, repository and reference parts") {
    struct row {
        std::string text;
        std::string normalised; // empty: refused
        std::string error_part = "";
    };
    // clang-format off
    const std::vector<row> rows{
        {"ghcr.io/acme/*", "ghcr.io/acme/*"},
        {"docker.io/library/*:latest", "docker.io/library/*:latest"},
        {"docker.io/library/nginx@sha256:ab*", "docker.io/library/nginx@sha256:ab*"},
        {"localhost:5000/app", "localhost:5000/app"}, // a port is not a tag
        {"localhost:5000/app:v1", "localhost:5000/app:v1"},
        {"GHCR.IO./acme/app", "ghcr.io/acme/app"},
        {"registry-1.docker.io/library/nginx", "docker.io/library/nginx"},
        {"*/library/nginx", "*/library/nginx"},
        {"*.corp.example/**", "*.corp.example/*"},
        {"*", "*/*"},
        {"*:latest", "*/*:latest"},
        {"docker.io/library/nginx:V1.*", "docker.io/library/nginx:V1.*"},
        {"library/nginx", "", "write \"docker.io/library/nginx\""},
        {"nginx", "", "write \"docker.io/library/nginx\""},
        {"nginx:latest", "", "does not start with a registry"},
        {"docker.io", "", "names no repository: write \"docker.io/*\""},
        {"localhost:5000", "", "names no repository"},
        {"docker.io/", "", "empty repository part"},
        {"docker.io/Library/Nginx:Latest", "", "write \"docker.io/library/nginx:Latest\""},
        {"docker.io/library/ngi$nx", "", "'$' cannot appear in a repository name"},
        {"ghcr.io/ac:me/app", "", "':' cannot appear in a repository name"},
        {"bad_host.io/app", "", "'_' cannot appear in a registry name"},
        {"ghcr.io:99999/app", "", "port"},
        {"docker.io/library/nginx:", "", "empty tag part"},
        {"docker.io/library/nginx@", "", "empty digest part"},
        {"docker.io/library/nginx:a/b", "", "':' cannot appear in a repository"},
        {"docker.io/library/nginx:la test", "", "cannot appear in a tag"},
        {"docker.io/library/nginx@sha256:a b", "", "cannot appear in a digest"},
        {"docker.io/library/[a-z]*", "", "'[' is not supported"},
        {"", "", "empty"},
    };
    // clang-format on
    for (const auto& r : rows) {
        CAPTURE(r.text);
        auto parsed = parse_image_pattern(r.text);
        REQUIRE(parsed.ok() == !r.normalised.empty());
        if (parsed) {
            CHECK(parsed->to_string() == r.normalised);
        } else {
            CAPTURE(parsed.error());
            CHECK(parsed.error().find(r.error_part) != std::string::npos);
        }
    }
}

TEST_CASE("an image pattern with a tag or digest part matches only such references") {
    const std::string digest = "sha256:" + std::string(64, 'a');
    struct row {
        std::string pattern;
        std::string registry;
        repository_access access;
        bool match;
    };
    // clang-format off
    const std::vector<row> rows{
        {"docker.io/library/*", "docker.io", {"library/nginx", action::pull, "latest"}, true},
        {"docker.io/library/*", "docker.io", {"library/nginx", action::pull, ""}, true},
        {"docker.io/library/*", "ghcr.io", {"library/nginx", action::pull, ""}, false},
        {"docker.io/library/*:latest", "docker.io", {"library/nginx", action::pull, "latest"}, true},
        {"docker.io/library/*:latest", "docker.io", {"library/nginx", action::pull, "1.25"}, false},
        {"docker.io/library/*:latest", "docker.io", {"library/nginx", action::pull, ""}, false},
        {"docker.io/library/*:latest", "docker.io", {"library/nginx", action::pull, digest}, false},
        {"docker.io/library/*:*", "docker.io", {"library/nginx", action::pull, digest}, false},
        {"docker.io/library/*@sha256:a*", "docker.io", {"library/nginx", action::pull, digest}, true},
        {"docker.io/library/*@sha256:b*", "docker.io", {"library/nginx", action::pull, digest}, false},
        {"docker.io/library/*@*", "docker.io", {"library/nginx", action::pull, "latest"}, false},
        {"docker.io/library/*@*", "docker.io", {"library/nginx", action::pull, ""}, false},
        {"*", "quay.io", {"a/b/c", action::push, ""}, true},
        {"*:latest", "quay.io", {"a/b/c", action::pull, "latest"}, true},
        // The registry part never reaches into the repository.
        {"*.corp.example/*", "evil.test", {"x.corp.example/app", action::pull, ""}, false},
        {"*.corp.example/*", "r.corp.example", {"app", action::pull, ""}, true},
        {"ghcr.io/acme/*", "ghcr.io", {"acme", action::pull, ""}, false},
    };
    // clang-format on
    for (const auto& r : rows) {
        CAPTURE(r.pattern);
        CAPTURE(r.registry);
        CAPTURE(r.access.repository);
        CAPTURE(r.access.reference);
        auto parsed = parse_image_pattern(r.pattern);
        REQUIRE(parsed);
        CHECK(parsed->matches(r.registry, r.access) == r.match);
    }
}

TEST_CASE("only a lone star pattern without a reference matches everything") {
    CHECK(parse_image_pattern("*")->matches_everything());
    CHECK(parse_image_pattern("**")->matches_everything());
    CHECK_FALSE(parse_image_pattern("*:latest")->matches_everything());
    CHECK_FALSE(parse_image_pattern("*/library/*")->matches_everything());
}
