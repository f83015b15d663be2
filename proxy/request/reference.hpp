// The distribution reference grammar
// (github.com/distribution/reference, reference.go) and docker's short-name
// normalisation for `pullgate explain`.
#pragma once

#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace pullgate::request {

// path-component = [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* joined by "/", at
// most 255 characters in all.
bool is_repository_name(std::string_view name);
// Why `name` is not a repository name ("upper case in repository name",
// "repository name longer than 255 characters", ...), or nothing when it is.
std::optional<std::string> repository_name_problem(std::string_view name);
// [A-Za-z0-9_][A-Za-z0-9._-]{0,127}
bool is_tag(std::string_view tag);
// algorithm ":" encoded, algorithm = [a-z0-9]+([+._-][a-z0-9]+)*,
// encoded = [a-zA-Z0-9=_-]+; sha256 and sha512 must be lower-case hex of
// the right length.
bool is_digest(std::string_view digest);

struct image_reference {
    std::string registry;   // "docker.io", "ghcr.io", "localhost:5000"
    std::string repository; // "library/nginx"
    std::string tag;        // empty when only a digest is given
    std::string digest;     // empty when not given
    // "docker.io/library/nginx:latest" or "…@sha256:…" (digest wins).
    std::string to_string() const;
};

// Normalises what a person types after `docker pull`: "nginx" is
// docker.io/library/nginx:latest, "bitnami/redis" is
// docker.io/bitnami/redis:latest; a first component containing "." or ":"
// or equal to "localhost" is a registry. Refused when not a valid reference.
result<image_reference> parse_image_reference(std::string_view text);

} // namespace pullgate::request
