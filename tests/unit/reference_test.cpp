// The distribution reference grammar and docker's normalisation
// (proxy/request/reference.hpp).
#include "request/reference.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace pullgate::request;

namespace {

const std::string sha256_hex(64, 'a');
const std::string sha512_hex(128, 'b');

// A name of exactly `size` characters made of 'a' components.
std::string name_of_size(std::size_t size) {
    std::string name;
    while (name.size() < size) {
        name += name.empty() ? "a" : (size - name.size() >= 2 ? "/a" : "a");
    }
    return name;
}

} // namespace

TEST_CASE("repository names follow the path-component grammar") {
    const char* valid[] = {
        "library/nginx", "a",         "a/b/c/d",       "my-org/my--app", "a.b/c_d/e__f",
        "0/1",           "foo/blobs", "x/manifests/y", "a-----b",        "bitnami/redis",
    };
    for (const char* name : valid) {
        CAPTURE(name);
        CHECK(is_repository_name(name));
    }
    const char* invalid[] = {
        "",
        "Library/nginx",
        "library/",
        "/library",
        "library//nginx",
        "-a",
        "a-",
        "a..b",
        "a___b",
        "a_-b",
        ".a",
        "a.",
        "a/./b",
        "a/../b",
        "a b",
        "a%2fb",
        "a:b",
        "a@b",
        "localhost:5000/foo",
        "_catalog",
        "a\\b",
        "a;b",
    };
    for (const char* name : invalid) {
        CAPTURE(name);
        CHECK_FALSE(is_repository_name(name));
    }
}

TEST_CASE("repository names are at most 255 characters in all") {
    CHECK(name_of_size(255).size() == 255);
    CHECK(is_repository_name(name_of_size(255)));
    CHECK(is_repository_name(std::string(255, 'a')));
    CHECK_FALSE(is_repository_name(name_of_size(256)));
    CHECK_FALSE(is_repository_name(std::string(256, 'a')));
}

TEST_CASE("tags are word characters, dots and dashes, up to 128") {
    const char* valid[] = {"latest", "3.19", "v1.2.3-rc.1", "_x", "A", "1", "a__b--c..d"};
    for (const char* tag : valid) {
        CAPTURE(tag);
        CHECK(is_tag(tag));
    }
    const char* invalid[] = {"", ".hidden", "-x", "a/b", "a:b", "a b", "a+b", "a%20"};
    for (const char* tag : invalid) {
        CAPTURE(tag);
        CHECK_FALSE(is_tag(tag));
    }
    CHECK(is_tag(std::string(128, 'a')));
    CHECK_FALSE(is_tag(std::string(129, 'a')));
}

TEST_CASE("digests name an algorithm and an encoding, strictly for sha256 and sha512") {
    const std::string valid[] = {
        "sha256:" + sha256_hex,
        "sha512:" + sha512_hex,
        "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
        "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        "blake3:" + std::string(64, '0'),
        "a.b_c-d+e:x=",
    };
    for (const auto& digest : valid) {
        CAPTURE(digest);
        CHECK(is_digest(digest));
    }
    const std::string invalid[] = {
        "",
        "sha256",
        "sha256:",
        ":" + sha256_hex,
        "sha256:" + std::string(63, 'a'),
        "sha256:" + std::string(65, 'a'),
        "sha256:" + std::string(64, 'A'),
        "sha256:" + std::string(63, 'a') + "g",
        "sha512:" + sha256_hex,
        "SHA256:" + sha256_hex,
        "sha256:" + sha256_hex + ":x",
        "sha-:abc",
        "+sha:abc",
        "sha..256:abc",
        "sha256:abc def",
        "md5:abc/def",
    };
    for (const auto& digest : invalid) {
        CAPTURE(digest);
        CHECK_FALSE(is_digest(digest));
    }
}

TEST_CASE("references are normalised the way docker pull normalises them") {
    const std::pair<std::string, std::string> cases[] = {
        {"nginx", "docker.io/library/nginx:latest"},
        {"nginx:1.25", "docker.io/library/nginx:1.25"},
        {"bitnami/redis", "docker.io/bitnami/redis:latest"},
        {"bitnami/redis:7", "docker.io/bitnami/redis:7"},
        {"docker.io/nginx", "docker.io/library/nginx:latest"},
        {"index.docker.io/nginx", "docker.io/library/nginx:latest"},
        {"registry-1.docker.io/library/nginx:1", "docker.io/library/nginx:1"},
        {"Docker.IO/grafana/grafana", "docker.io/grafana/grafana:latest"},
        {"docker.io:443/nginx", "docker.io/library/nginx:latest"},
        {"ghcr.io/acme/app", "ghcr.io/acme/app:latest"},
        {"GHCR.io/acme/app:v1", "ghcr.io/acme/app:v1"},
        {"localhost/foo", "localhost/foo:latest"},
        {"localhost:5000/foo/bar:dev", "localhost:5000/foo/bar:dev"},
        {"localhost", "docker.io/library/localhost:latest"},
        {"localhost:5000", "docker.io/library/localhost:5000"},
        {"[::1]:5000/foo", "[::1]:5000/foo:latest"},
        {"ghcr.io:443/acme/app", "ghcr.io/acme/app:latest"},
        {"example.com/nginx", "example.com/nginx:latest"},
        {"ghcr.io/acme/app@sha256:" + sha256_hex, "ghcr.io/acme/app@sha256:" + sha256_hex},
        {"nginx:1.25@sha256:" + sha256_hex, "docker.io/library/nginx@sha256:" + sha256_hex},
    };
    for (const auto& [input, canonical] : cases) {
        CAPTURE(input);
        auto got = parse_image_reference(input);
        REQUIRE_MESSAGE(got.ok(), got.error());
        CHECK(got->to_string() == canonical);
    }
}

TEST_CASE("a reference with a tag and a digest keeps both") {
    auto got = parse_image_reference("nginx:1.25@sha256:" + sha256_hex);
    REQUIRE(got.ok());
    CHECK(got->registry == "docker.io");
    CHECK(got->repository == "library/nginx");
    CHECK(got->tag == "1.25");
    CHECK(got->digest == "sha256:" + sha256_hex);

    auto digest_only = parse_image_reference("alpine@sha256:" + sha256_hex);
    REQUIRE(digest_only.ok());
    CHECK(digest_only->tag.empty());
}

TEST_CASE("references outside the grammar are refused with a reason") {
    const std::pair<std::string, std::string> cases[] = {
        {"", "empty image reference"},
        {"Nginx", "upper case in repository name"},
        {"acme/App", "upper case in repository name"},
        {"ghcr.io/Acme/app", "upper case in repository name"},
        {"nginx:", "tag outside"},
        {"nginx:a/b", "registry port not a decimal"},
        {"nginx:-x", "tag outside"},
        {"nginx@sha256:abc", "digest outside"},
        {"nginx@", "digest outside"},
        {":latest", "repository name outside"},
        {"ghcr.io/", "empty repository name"},
        {"ghcr.io//app", "repository name outside"},
        {"user@ghcr.io/app", "digest outside"},
        {"0x7f.1/app", "non-decimal"},
        {"ghcr.io:0/app", "port out of range"},
        {"ghcr.io/acme/../app", "repository name outside"},
        {"nginx latest", "repository name outside"},
    };
    for (const auto& [input, reason] : cases) {
        CAPTURE(input);
        auto got = parse_image_reference(input);
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().find(reason) != std::string::npos);
    }
}

TEST_CASE("an image name is at most 255 characters including the registry") {
    // "docker.io/" is 10 characters.
    auto fits = name_of_size(245);
    CHECK(parse_image_reference("docker.io/" + fits).ok());
    auto too_long = name_of_size(246);
    auto got = parse_image_reference("docker.io/" + too_long);
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().find("255") != std::string::npos);
    CHECK_FALSE(parse_image_reference("ghcr.io/" + name_of_size(256)).ok());
}

TEST_CASE("a single-label registry prints with its port, never as a Docker Hub namespace") {
    for (const std::string text : {"Foo/bar", "foo:443/bar"}) {
        CAPTURE(text);
        const auto ref = parse_image_reference(text);
        REQUIRE(ref);
        CHECK(ref->registry == "foo");
        CHECK(ref->to_string() == "foo:443/bar:latest");
        const auto again = parse_image_reference(ref->to_string());
        REQUIRE(again);
        CHECK(again->registry == "foo");
    }
    CHECK(parse_image_reference("localhost/x")->to_string() == "localhost/x:latest");
}
