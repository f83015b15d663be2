// Classifying requests against the OCI distribution API and token realms
// (proxy/request/classify.hpp, request_info.hpp).
#include "request/classify.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace pullgate::request;

namespace {

const std::string d256 = "sha256:" + std::string(64, 'a');
const std::string e256 = "sha256:" + std::string(64, 'e');

struct call {
    std::string method;
    std::string where; // "host:port"
    std::string target;
    std::string body = {};
    scheme over = scheme::https;
};

request_info run(const call& c, const token_realms& realms = token_realms{}) {
    auto where = parse_connect_authority(c.where);
    REQUIRE_MESSAGE(where.ok(), c.where);
    return classify({c.method, *where, c.over, c.target, c.body}, realms);
}

struct endpoint_case {
    call request;
    kind what;
    action act;
    std::string repository;
    std::string reference;
    std::string image;
};

} // namespace

TEST_CASE("kinds and actions print as the audit log spells them") {
    const std::pair<kind, std::string_view> kinds[] = {
        {kind::ping, "ping"},       {kind::manifest, "manifest"}, {kind::blob, "blob"},
        {kind::upload, "upload"},   {kind::tags, "tags"},         {kind::referrers, "referrers"},
        {kind::catalog, "catalog"}, {kind::token, "token"},       {kind::other, "other"},
        {kind::connect, "connect"},
    };
    for (const auto& [k, text] : kinds) {
        CHECK(to_string(k) == text);
    }
    CHECK(to_string(action::pull) == "pull");
    CHECK(to_string(action::push) == "push");
    CHECK(to_string(action::del) == "delete");
    CHECK(to_string(action::other) == "other");
}

TEST_CASE("push is stronger than delete, delete than pull, pull than other") {
    const action order[] = {action::other, action::pull, action::del, action::push};
    for (std::size_t i = 0; i < 4; ++i) {
        for (std::size_t j = 0; j < 4; ++j) {
            CAPTURE(i);
            CAPTURE(j);
            CHECK(stronger(order[i], order[j]) == order[std::max(i, j)]);
        }
    }
}

TEST_CASE("every OCI distribution endpoint is recognised by method and path") {
    const std::string hub = "registry-1.docker.io:443", gh = "ghcr.io:443";
    const std::string alpine = "/v2/library/alpine", app = "/v2/acme/app";
    const std::string hub_image = "docker.io/library/alpine", gh_image = "ghcr.io/acme/app";
    // clang-format off
    const endpoint_case cases[] = {
        {{"GET", hub, "/v2/"}, kind::ping, action::other, "", "", ""},
        {{"HEAD", hub, "/v2/"}, kind::ping, action::other, "", "", ""},
        {{"GET", hub, "/v2"}, kind::ping, action::other, "", "", ""},
        {{"GET", hub, "/v2/_catalog?n=10&last=x"}, kind::catalog, action::pull, "", "", ""},
        {{"GET", hub, alpine + "/manifests/3.19"}, kind::manifest, action::pull,
            "library/alpine", "3.19", hub_image + ":3.19"},
        {{"HEAD", hub, alpine + "/manifests/" + d256}, kind::manifest, action::pull,
            "library/alpine", d256, hub_image + "@" + d256},
        {{"PUT", gh, app + "/manifests/v1"}, kind::manifest, action::push,
            "acme/app", "v1", gh_image + ":v1"},
        {{"DELETE", gh, app + "/manifests/" + d256}, kind::manifest, action::del,
            "acme/app", d256, gh_image + "@" + d256},
        {{"GET", hub, alpine + "/blobs/" + d256}, kind::blob, action::pull,
            "library/alpine", d256, hub_image},
        {{"HEAD", hub, alpine + "/blobs/" + d256}, kind::blob, action::pull,
            "library/alpine", d256, hub_image},
        {{"DELETE", gh, app + "/blobs/" + d256}, kind::blob, action::del,
            "acme/app", d256, gh_image},
        {{"POST", gh, app + "/blobs/uploads/"}, kind::upload, action::push,
            "acme/app", "", gh_image},
        {{"POST", gh, app + "/blobs/uploads/?digest=" + d256}, kind::upload, action::push,
            "acme/app", d256, gh_image},
        {{"PATCH", gh, app + "/blobs/uploads/3f2a-b_c.d~e=f+g"}, kind::upload, action::push,
            "acme/app", "", gh_image},
        {{"PUT", gh, app + "/blobs/uploads/abc?digest=" + d256}, kind::upload, action::push,
            "acme/app", d256, gh_image},
        {{"GET", gh, app + "/blobs/uploads/abc"}, kind::upload, action::push,
            "acme/app", "", gh_image},
        {{"DELETE", gh, app + "/blobs/uploads/abc"}, kind::upload, action::push,
            "acme/app", "", gh_image},
        {{"GET", hub, alpine + "/tags/list?n=50&last=3.1"}, kind::tags, action::pull,
            "library/alpine", "", hub_image},
        {{"GET", gh, app + "/referrers/" + d256 + "?artifactType=x%2Fy"}, kind::referrers,
            action::pull, "acme/app", d256, gh_image + "@" + d256},
        {{"GET", "localhost:5000", "/v2/foo/manifests/latest", {}, scheme::http}, kind::manifest,
            action::pull, "foo", "latest", "localhost:5000/foo:latest"},
    };
    // clang-format on
    for (const auto& c : cases) {
        CAPTURE(c.request.method);
        CAPTURE(c.request.target);
        auto got = run(c.request);
        CHECK_MESSAGE(!got.invalid, got.invalid.value_or(""));
        CHECK(got.what == c.what);
        CHECK(got.act == c.act);
        CHECK(got.repository == c.repository);
        CHECK(got.reference == c.reference);
        CHECK(got.image() == c.image);
    }
}

TEST_CASE("host and registry always come from where the request goes") {
    auto got = run({"GET", "index.docker.io:443", "/v2/library/alpine/manifests/3"});
    CHECK(got.host == "index.docker.io");
    CHECK(got.registry == "docker.io");
    auto other = run({"GET", "ghcr.io:8443", "/index.html"});
    CHECK(other.host == "ghcr.io");
    CHECK(other.registry == "ghcr.io:8443");
    CHECK(other.what == kind::other);
    auto v6 = run({"GET", "[2001:db8::1]:443", "/v2/"});
    CHECK(v6.host == "2001:db8::1");
    CHECK(v6.registry == "[2001:db8::1]");
    auto bad = run({"GET", "ghcr.io:443", "/v2/%2e%2e/"});
    CHECK(bad.invalid);
    CHECK(bad.registry == "ghcr.io");
}

TEST_CASE("only the primary access of a manifest or referrers carries a reference") {
    auto manifest = run({"GET", "ghcr.io:443", "/v2/acme/app/manifests/v1"});
    CHECK(manifest.accesses == std::vector<repository_access>{{"acme/app", action::pull, "v1"}});
    auto blob = run({"GET", "ghcr.io:443", "/v2/acme/app/blobs/" + d256});
    CHECK(blob.accesses == std::vector<repository_access>{{"acme/app", action::pull, ""}});
    auto referrers = run({"GET", "ghcr.io:443", "/v2/acme/app/referrers/" + d256});
    CHECK(referrers.accesses == std::vector<repository_access>{{"acme/app", action::pull, d256}});
    CHECK(run({"GET", "ghcr.io:443", "/v2/"}).accesses.empty());
    CHECK(run({"GET", "ghcr.io:443", "/v2/_catalog"}).accesses.empty());
}

TEST_CASE("a cross-repository mount reads from one repository and writes another") {
    auto mount = run(
        {"POST", "ghcr.io:443", "/v2/acme/app/blobs/uploads/?mount=" + d256 + "&from=acme/base"});
    REQUIRE_FALSE(mount.invalid);
    const std::vector<repository_access> expected{{"acme/app", action::push, ""},
                                                  {"acme/base", action::pull, ""}};
    CHECK(mount.accesses == expected);
    CHECK(mount.act == action::push);
    CHECK(mount.reference == d256);

    auto mount_only = run({"POST", "ghcr.io:443", "/v2/acme/app/blobs/uploads/?mount=" + d256});
    REQUIRE_FALSE(mount_only.invalid);
    CHECK(mount_only.accesses.size() == 1);
}

TEST_CASE("names containing endpoint words are split at the last endpoint marker") {
    struct split_case {
        std::string target;
        kind what;
        std::string repository;
    };
    const split_case cases[] = {
        {"/v2/a/blobs/b/manifests/latest", kind::manifest, "a/blobs/b"},
        {"/v2/a/manifests/b/blobs/" + d256, kind::blob, "a/manifests/b"},
        {"/v2/a/manifests/tags/list", kind::tags, "a/manifests"},
        {"/v2/a/blobs/uploads/blobs/uploads/", kind::upload, "a/blobs/uploads"},
        {"/v2/a/blobs/uploads/manifests/latest", kind::manifest, "a/blobs/uploads"},
        {"/v2/a/manifests/b/blobs/uploads/abc", kind::upload, "a/manifests/b"},
        {"/v2/blobs/blobs/blobs/" + d256, kind::blob, "blobs/blobs"},
        {"/v2/tags/list/tags/list", kind::tags, "tags/list"},
        {"/v2/referrers/referrers/referrers/" + d256, kind::referrers, "referrers/referrers"},
        {"/v2/a/manifests/manifests", kind::manifest, "a"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.target);
        auto method = c.what == kind::upload && c.target.ends_with("/") ? "POST" : "GET";
        auto got = run({method, "ghcr.io:443", c.target});
        CHECK_MESSAGE(!got.invalid, got.invalid.value_or(""));
        CHECK(got.what == c.what);
        CHECK(got.repository == c.repository);
    }
}

TEST_CASE("non-canonical registry requests are refused, naming what is wrong") {
    const std::pair<call, std::string> cases[] = {
        {{"GET", "ghcr.io:443", "/v2/acme/app%2fx/manifests/v1"}, "percent-encoding"},
        {{"GET", "ghcr.io:443", "/v2/acme/./app/manifests/v1"}, "dot segment"},
        {{"GET", "ghcr.io:443", "/v2/acme//app/manifests/v1"}, "empty path segment"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/manifests/v1/"}, "empty path segment"},
        {{"GET", "ghcr.io:443", "/v2/Acme/app/manifests/v1"}, "upper case in repository name"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/manifests/-v1"}, "tag outside the reference grammar"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/manifests/sha256:abc"}, "digest outside"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/blobs/latest"}, "digest outside"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/referrers/v1"}, "digest outside"},
        {{"GET", "ghcr.io:443", "/v2/acme/a_-b/manifests/v1"}, "outside the reference grammar"},
        {{"GET", "ghcr.io:443", "/v2/manifests/v1"}, "empty repository name"},
        {{"GET", "ghcr.io:443", "/v2/" + std::string(256, 'a') + "/manifests/v1"}, "255"},
        {{"GET", "ghcr.io:443", "/v2/acme/app"}, "not an OCI distribution endpoint"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/tags"}, "not an OCI distribution endpoint"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/tags/list/x"}, "not an OCI distribution endpoint"},
        {{"GET", "ghcr.io:443", "/v2/token"}, "not an OCI distribution endpoint"},
        {{"PATCH", "ghcr.io:443", "/v2/acme/app/blobs/uploads/a:b"}, "upload session id"},
        {{"POST", "ghcr.io:443", "/v2/acme/app/blobs/uploads"}, "POST is not allowed on a blob"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/blobs/uploads"}, "digest outside"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/tags/list?n=ten"}, "n query parameter"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/tags/list?n="}, "n query parameter"},
        {{"GET", "ghcr.io:443", "/v2/_catalog?n=-1"}, "n query parameter"},
        {{"POST", "ghcr.io:443", "/v2/acme/app/blobs/uploads/?digest=sha256:x"}, "digest query"},
        {{"PUT", "ghcr.io:443", "/v2/acme/app/blobs/uploads/u?digest=md5"}, "digest query"},
        {{"POST", "ghcr.io:443", "/v2/acme/app/blobs/uploads/?mount=x&from=a/b"}, "mount query"},
        {{"POST", "ghcr.io:443", "/v2/acme/app/blobs/uploads/?mount=" + d256 + "&from=A/b"},
         "from query parameter: upper case"},
        {{"POST", "ghcr.io:443", "/v2/acme/app/blobs/uploads/?mount=" + d256 + "&from="},
         "from query parameter"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/blobs/" + d256 + "#x"}, "fragment"},
        // Not a registry path, but unreadable: the upstream might decode it
        // into one, so it is refused rather than waved through as "other".
        {{"GET", "hub.docker.com:443", "/search?q=100%"}, "malformed percent-encoding"},
    };
    for (const auto& [request, reason] : cases) {
        CAPTURE(request.method);
        CAPTURE(request.target);
        auto got = run(request);
        REQUIRE(got.invalid.has_value());
        CHECK(got.invalid->find(reason) != std::string::npos);
    }
}

TEST_CASE("duplicate mount, from or digest parameters are refused") {
    const std::string base = "/v2/acme/app/blobs/uploads/";
    const std::string targets[] = {
        base + "?digest=" + d256 + "&digest=" + e256,
        base + "?mount=" + d256 + "&mount=" + e256 + "&from=acme/base",
        base + "?mount=" + d256 + "&from=acme/base&from=evil/secret",
        base + "?digest=" + d256 + "&digest=" + d256,
    };
    for (const auto& target : targets) {
        CAPTURE(target);
        auto got = run({"POST", "ghcr.io:443", target});
        REQUIRE(got.invalid.has_value());
        CHECK(got.invalid->find("more than one") != std::string::npos);
    }
    auto put = run({"PUT", "ghcr.io:443", base + "u1?digest=" + d256 + "&digest=" + e256});
    CHECK(put.invalid.has_value());
}

TEST_CASE("a method outside the endpoint table is refused, and methods are case-sensitive") {
    const std::pair<call, std::string> cases[] = {
        {{"get", "ghcr.io:443", "/v2/acme/app/manifests/v1"}, "get is not allowed on a manifest"},
        {{"POST", "ghcr.io:443", "/v2/acme/app/manifests/v1"}, "POST is not allowed on a manifest"},
        {{"PATCH", "ghcr.io:443", "/v2/acme/app/manifests/v1"}, "PATCH is not allowed"},
        {{"PUT", "ghcr.io:443", "/v2/acme/app/blobs/" + d256}, "PUT is not allowed on a blob"},
        {{"GET", "ghcr.io:443", "/v2/acme/app/blobs/uploads/"}, "GET is not allowed on an upload"},
        {{"HEAD", "ghcr.io:443", "/v2/acme/app/blobs/uploads/u"}, "an upload session"},
        {{"POST", "ghcr.io:443", "/v2/acme/app/blobs/uploads/u"}, "an upload session"},
        {{"DELETE", "ghcr.io:443", "/v2/acme/app/tags/list"}, "a tag list"},
        {{"HEAD", "ghcr.io:443", "/v2/acme/app/tags/list"}, "a tag list"},
        {{"DELETE", "ghcr.io:443", "/v2/acme/app/referrers/" + d256}, "referrers"},
        {{"POST", "ghcr.io:443", "/v2/"}, "POST is not allowed on /v2/"},
        {{"DELETE", "ghcr.io:443", "/v2/_catalog"}, "the catalog"},
        {{"OPTIONS", "ghcr.io:443", "/v2/"}, "OPTIONS is not allowed"},
        {{"G\r\nET", "ghcr.io:443", "/v2/"}, "this method is not allowed"},
        {{"", "ghcr.io:443", "/v2/"}, "this method is not allowed"},
    };
    for (const auto& [request, reason] : cases) {
        CAPTURE(request.method);
        CAPTURE(request.target);
        auto got = run(request);
        REQUIRE(got.invalid.has_value());
        CHECK(got.invalid->find(reason) != std::string::npos);
    }
}

TEST_CASE("no spelling of a registry path passes as an ordinary request") {
    const std::string spellings[] = {
        "/V2/library/alpine/manifests/latest",
        "/%76%32/library/alpine/manifests/latest",
        "/%2576%2532/library/alpine/manifests/latest",
        "//v2/library/alpine/manifests/latest",
        "/./v2/library/alpine/manifests/latest",
        "/x/../v2/library/alpine/manifests/latest",
        "/v2%2flibrary%2falpine%2fmanifests%2flatest",
        "/v2;x/library/alpine/manifests/latest",
        "/v2\\library\\alpine\\manifests\\latest",
        "/x/..;/v2/library/alpine/manifests/latest",
        "/%2e%2e/v2/library/alpine/manifests/latest",
        "/v2%00/library/alpine/manifests/latest",
        "/x%c0%af..%c0%afv2/library/alpine/manifests/latest",
        "/V2",
        "/v2/library/alpine/manifests/latest/../../../../v2/",
    };
    const std::string methods[] = {"GET", "HEAD", "get", "PUT", "FOO"};
    for (const auto& target : spellings) {
        for (const auto& method : methods) {
            CAPTURE(target);
            CAPTURE(method);
            auto got = run({method, "registry-1.docker.io:443", target});
            CHECK(got.invalid.has_value());
        }
    }
}

TEST_CASE("requests outside /v2/ are other requests") {
    const std::string targets[] = {"/",
                                   "/index.html?q=1",
                                   "/api/v2/users",
                                   "/v2.json",
                                   "/v20/x",
                                   "/token?scope=repository:a/b:pull",
                                   "/static/v2/app.js"};
    for (const auto& target : targets) {
        CAPTURE(target);
        auto got = run({"GET", "hub.docker.com:443", target});
        CHECK_FALSE(got.invalid.has_value());
        CHECK(got.what == kind::other);
        CHECK(got.act == action::other);
        CHECK(got.repository.empty());
        CHECK(got.image().empty());
    }
}

TEST_CASE("Docker Hub's web API under hub.docker.com/v2/ is an ordinary host, not a registry") {
    for (const std::string target : {"/v2/users/login", "/v2/repositories/library/nginx/tags"}) {
        CAPTURE(target);
        auto got = run({"POST", "hub.docker.com:443", target});
        CHECK_FALSE(got.invalid.has_value());
        CHECK(got.what == kind::other);
        CHECK(got.registry == "hub.docker.com");
        CHECK_FALSE(got.read_only);
    }
    CHECK(run({"GET", "hub.docker.com:443", "/v2/x"}).read_only);
}

TEST_CASE("Docker Hub repositories always have a namespace") {
    auto short_name = run({"GET", "registry-1.docker.io:443", "/v2/nginx/manifests/latest"});
    REQUIRE(short_name.invalid.has_value());
    CHECK(*short_name.invalid == "Docker Hub repositories have a namespace: use library/nginx");
    CHECK_FALSE(run({"GET", "ghcr.io:443", "/v2/nginx/manifests/latest"}).invalid.has_value());
    auto from = run({"POST", "registry-1.docker.io:443",
                     "/v2/acme/app/blobs/uploads/?mount=" + d256 + "&from=nginx"});
    CHECK(from.invalid.has_value());
    auto scope = run({"GET", "auth.docker.io:443", "/token?scope=repository:nginx:pull"});
    REQUIRE(scope.invalid.has_value());
    CHECK(scope.invalid->find("use library/nginx") != std::string::npos);
    CHECK(scope.what == kind::token);
}

TEST_CASE("token requests are decided by the repositories in their scopes") {
    auto get = run({"GET", "auth.docker.io:443",
                    "/token?service=registry.docker.io&scope=repository%3Alibrary%2Falpine%3Apull"
                    "&scope=repository:acme/app:pull,push+repository:acme/tool:delete"});
    REQUIRE_FALSE(get.invalid);
    CHECK(get.what == kind::token);
    CHECK(get.registry == "docker.io");
    CHECK(get.host == "auth.docker.io");
    CHECK(get.act == action::push);
    CHECK(get.repository == "library/alpine");
    CHECK(get.reference.empty());
    const std::vector<repository_access> expected{{"library/alpine", action::pull, ""},
                                                  {"acme/app", action::push, ""},
                                                  {"acme/tool", action::del, ""}};
    CHECK(get.accesses == expected);

    auto login = run({"GET", "auth.docker.io:443", "/token?service=registry.docker.io"});
    CHECK_FALSE(login.invalid);
    CHECK(login.what == kind::token);
    CHECK(login.act == action::other);
    CHECK(login.accesses.empty());

    auto catalog = run({"GET", "auth.docker.io:443", "/token?scope=registry:catalog:*"});
    CHECK_FALSE(catalog.invalid);
    CHECK(catalog.act == action::other);

    auto deleting = run({"GET", "auth.docker.io:443", "/token?scope=repository:a/b:delete,pull"});
    CHECK(deleting.act == action::del);
}

TEST_CASE("an OAuth2 token POST is decided by its form's scopes and its query's") {
    token_realms realms;
    CHECK(is_token_form_post(
        {"POST", *parse_connect_authority("auth.docker.io:443"), scheme::https, "/token", ""},
        realms));
    CHECK_FALSE(is_token_form_post(
        {"GET", *parse_connect_authority("auth.docker.io:443"), scheme::https, "/token", ""},
        realms));
    CHECK_FALSE(is_token_form_post(
        {"POST", *parse_connect_authority("ghcr.io:443"), scheme::https, "/token", ""}, realms));

    const std::string form = "grant_type=refresh_token&service=registry.docker.io&client_id=docker"
                             "&scope=repository%3Aacme%2Fapp%3Apull+repository%3Aacme%2Fapp%3Apush"
                             "&refresh_token=xyz";
    auto post = run({"POST", "auth.docker.io:443", "/token", form});
    REQUIRE_FALSE(post.invalid);
    CHECK(post.act == action::push);
    CHECK(post.accesses == std::vector<repository_access>{{"acme/app", action::push, ""}});

    auto both = run({"POST", "auth.docker.io:443", "/token?scope=repository:x/y:push",
                     "scope=repository:acme/app:pull"});
    CHECK(both.accesses.size() == 2);
    CHECK(both.act == action::push);

    CHECK(run({"POST", "auth.docker.io:443", "/token", "scope=%zz"}).invalid);
    CHECK(run({"PUT", "auth.docker.io:443", "/token", "scope=repository:a/b:push"}).invalid);
    CHECK(run({"POST", "auth.docker.io:443", "/token", "scope=repository:a/b:"}).invalid);
    CHECK(run({"GET", "auth.docker.io:443", "/token?scope=repository:A/b:pull"}).invalid);
    CHECK(run({"GET", "auth.docker.io:443", "/token?scope=repository:a/b:pull%09push"}).invalid);
}

TEST_CASE("learned realms are checked before registry paths") {
    token_realms realms;
    realms.learn("gcr.io", R"(Bearer realm="https://gcr.io/v2/token",service="gcr.io")");
    realms.learn("registry.gitlab.com", R"(Bearer realm="https://gitlab.com/jwt/auth")");

    auto gcr = run({"GET", "gcr.io:443", "/v2/token?scope=repository:proj/img:pull"}, realms);
    REQUIRE_FALSE(gcr.invalid);
    CHECK(gcr.what == kind::token);
    CHECK(gcr.registry == "gcr.io");
    CHECK(gcr.repository == "proj/img");

    auto gitlab =
        run({"GET", "gitlab.com:443", "/jwt/auth?scope=repository:g/p:push,pull"}, realms);
    CHECK(gitlab.what == kind::token);
    CHECK(gitlab.registry == "registry.gitlab.com");
    CHECK(gitlab.host == "gitlab.com");
    CHECK(gitlab.act == action::push);

    // Without the realm, /v2/token is no endpoint at all.
    CHECK(run({"GET", "gcr.io:443", "/v2/token"}).invalid);
    // The realm path is matched exactly; other spellings are registry paths.
    CHECK(run({"GET", "gcr.io:443", "/v2/%74oken"}, realms).invalid);
    CHECK(run({"GET", "gcr.io:443", "/V2/token"}, realms).invalid);
}

TEST_CASE("image() names the reference only for manifests and referrers") {
    request_info info;
    CHECK(info.image().empty());
    info.registry = "docker.io";
    info.repository = "library/alpine";
    info.what = kind::manifest;
    CHECK(info.image() == "docker.io/library/alpine");
    info.reference = "3.19";
    CHECK(info.image() == "docker.io/library/alpine:3.19");
    info.reference = d256;
    CHECK(info.image() == "docker.io/library/alpine@" + d256);
    info.what = kind::blob;
    CHECK(info.image() == "docker.io/library/alpine");
    info.what = kind::referrers;
    CHECK(info.image() == "docker.io/library/alpine@" + d256);
}
