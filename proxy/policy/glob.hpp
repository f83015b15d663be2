// Globs and the image patterns of rules (rules[].image). Parsing refuses
// anything it would have to guess at; matching is pure and works on the
// canonical names that request::classify produces.
#pragma once

#include "request/request_info.hpp"
#include "util/result.hpp"

#include <string>
#include <string_view>

namespace pullgate::policy {

// '*' matches any sequence of characters (including '/'), '?' exactly one;
// every other character is literal. No recursion; O(|pattern| * |text|) at
// worst, so a hostile rule cannot make a decision slow.
bool glob_match(std::string_view pattern, std::string_view text);

// True when the pattern contains '*' or '?'.
bool has_wildcard(std::string_view pattern);

// "a***b" -> "a*b": the same language, so equal patterns compare equal.
std::string collapse_stars(std::string_view pattern);

// rules[].image: "REGISTRY/REPOSITORY", optionally ":TAGGLOB" or
// "@DIGESTGLOB"; "*" (or "*:TAGGLOB") alone matches every image.
//
// The registry part (before the first '/') and the repository part are
// matched separately, so a '*' in the registry part never reaches into the
// repository: "*.example.com/*" cannot match "evil.test/x.example.com/y".
// Within the repository part '*' spans '/' ("docker.io/*" covers
// "docker.io/library/nginx").
struct image_pattern {
    enum class reference_kind { any, tag, digest };
    std::string registry;   // glob; lower case; Docker Hub hosts as docker.io
    std::string repository; // glob
    reference_kind ref = reference_kind::any;
    std::string reference; // glob on the tag or digest; empty for any

    // A pattern without a tag or digest part matches every access of a
    // matching repository (blobs and token scopes carry no reference); one
    // with a tag (digest) part only an access whose reference is a tag
    // (digest) matching it.
    bool matches(std::string_view registry_name, const request::repository_access& access) const;
    // "*" alone, without a reference part.
    bool matches_everything() const;
    std::string to_string() const; // normalised: equal patterns, equal text
};

// Refused with a reason that says how to write it ("does not start with a
// registry: write \"docker.io/library/nginx\"").
result<image_pattern> parse_image_pattern(std::string_view text);

} // namespace pullgate::policy
