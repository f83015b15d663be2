#include "policy/glob.hpp"

#include "policy/host_pattern.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace pullgate::policy {
namespace {

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_wildcard(char c) {
    return c == '*' || c == '?';
}

bool only_stars(std::string_view s) {
    return !s.empty() && s.find_first_not_of('*') == std::string_view::npos;
}

// A character that may not appear in a part of an image pattern, if any.
std::optional<char> first_bad(std::string_view s, bool (*allowed)(char)) {
    auto it = std::find_if_not(s.begin(), s.end(), allowed);
    return it == s.end() ? std::nullopt : std::optional<char>(*it);
}

bool registry_char(char c) {
    return is_lower_alnum(c) || c == '.' || c == ':' || c == '-' || is_wildcard(c);
}
bool repository_char(char c) {
    return is_lower_alnum(c) || c == '.' || c == '_' || c == '-' || c == '/' || is_wildcard(c);
}
// Distribution reference grammar: tag [A-Za-z0-9_][A-Za-z0-9._-]*, digest
// algorithm ":" encoded with [a-z0-9+._-] and [A-Za-z0-9=_-].
bool tag_char(char c) {
    return is_alnum(c) || c == '_' || c == '.' || c == '-' || is_wildcard(c);
}
bool digest_char(char c) {
    return is_alnum(c) || c == ':' || c == '+' || c == '.' || c == '_' || c == '=' || c == '-' ||
           is_wildcard(c);
}

// "c" or "0x0a" for a character in a message.
std::string describe(char c) {
    if (c > 0x20 && c < 0x7f) {
        return fmt::format("'{}'", c);
    }
    return fmt::format("0x{:02x}", static_cast<unsigned char>(c));
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
    // Greedy with one backtracking point: on a mismatch, let the last '*'
    // absorb one more character. Correct for '*' and '?' alone.
    std::size_t p = 0;
    std::size_t t = 0;
    std::size_t star = std::string_view::npos;
    std::size_t mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

bool has_wildcard(std::string_view pattern) {
    return pattern.find_first_of("*?") != std::string_view::npos;
}

std::string collapse_stars(std::string_view pattern) {
    std::string out;
    out.reserve(pattern.size());
    for (char c : pattern) {
        if (!(c == '*' && !out.empty() && out.back() == '*')) {
            out.push_back(c);
        }
    }
    return out;
}

bool image_pattern::matches(std::string_view registry_name,
                            const request::repository_access& access) const {
    if (!glob_match(registry, registry_name) || !glob_match(repository, access.repository)) {
        return false;
    }
    // Tags never contain ':'; digests always do ("sha256:…").
    bool is_digest = access.reference.find(':') != std::string::npos;
    switch (ref) {
    case reference_kind::any:
        return true;
    case reference_kind::tag:
        return !access.reference.empty() && !is_digest && glob_match(reference, access.reference);
    case reference_kind::digest:
        return is_digest && glob_match(reference, access.reference);
    }
    return false;
}

bool image_pattern::matches_everything() const {
    return registry == "*" && repository == "*" && ref == reference_kind::any;
}

std::string image_pattern::to_string() const {
    const char* separator = ref == reference_kind::tag ? ":" : "@";
    return ref == reference_kind::any
               ? fmt::format("{}/{}", registry, repository)
               : fmt::format("{}/{}{}{}", registry, repository, separator, reference);
}

namespace {

// The suggestion for a pattern written the way one types after `docker pull`.
std::string docker_hub_spelling(std::string_view text) {
    bool one_component = text.find('/') == std::string_view::npos;
    return fmt::format("docker.io/{}{}", one_component ? "library/" : "", text);
}

bool looks_like_registry(std::string_view component) {
    return component.find_first_of(".:") != std::string_view::npos || component == "localhost" ||
           component == "*";
}

result<std::string> registry_part(std::string_view text, std::string_view part) {
    std::string lower = normalise_name(part);
    if (auto bad = first_bad(lower, registry_char)) {
        return refuse(
            fmt::format("\"{}\": {} cannot appear in a registry name", text, describe(*bad)));
    }
    if (has_wildcard(lower)) {
        return collapse_stars(lower);
    }
    auto host = parse_registry_pattern(lower);
    if (!host) {
        return refuse(fmt::format("\"{}\": registry \"{}\": {}", text, part, host.error()));
    }
    return host->name;
}

// `name` is the text before any tag or digest part; `slash` its first '/'.
result<std::string> repository_part(std::string_view text, std::string_view name,
                                    std::size_t slash) {
    auto part = name.substr(slash + 1);
    if (part.empty()) {
        return refuse(fmt::format("\"{}\" has an empty repository part", text));
    }
    if (std::any_of(part.begin(), part.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        // Tags may be upper case; only the repository is lowered.
        return refuse(fmt::format("\"{}\": repository names are lower case: write \"{}/{}{}\"",
                                  text, name.substr(0, slash), ascii_lower(part),
                                  text.substr(name.size())));
    }
    if (auto bad = first_bad(part, repository_char)) {
        return refuse(
            fmt::format("\"{}\": {} cannot appear in a repository name", text, describe(*bad)));
    }
    return collapse_stars(part);
}

// Moves a ":TAG" or "@DIGEST" part of `text` into `out` and returns the
// name before it. The tag part is a ':' after the last '/', so a registry
// port ("localhost:5000/app") is never read as a tag.
result<std::string_view> split_reference(std::string_view text, image_pattern& out) {
    std::string_view name = text;
    if (auto at = text.find('@'); at != std::string_view::npos) {
        name = text.substr(0, at);
        out.ref = image_pattern::reference_kind::digest;
        out.reference = text.substr(at + 1);
    } else {
        auto slash = text.rfind('/');
        auto colon = text.find(':', slash == std::string_view::npos ? 0 : slash + 1);
        if (colon == std::string_view::npos) {
            return name;
        }
        name = text.substr(0, colon);
        out.ref = image_pattern::reference_kind::tag;
        out.reference = text.substr(colon + 1);
    }
    bool digest = out.ref == image_pattern::reference_kind::digest;
    if (out.reference.empty()) {
        return refuse(fmt::format("\"{}\" has an empty {} part", text, digest ? "digest" : "tag"));
    }
    if (auto bad = first_bad(out.reference, digest ? digest_char : tag_char)) {
        return refuse(fmt::format("\"{}\": {} cannot appear in a {}", text, describe(*bad),
                                  digest ? "digest" : "tag"));
    }
    out.reference = collapse_stars(out.reference);
    return name;
}

} // namespace

result<image_pattern> parse_image_pattern(std::string_view text) {
    if (text.empty()) {
        return refuse("the image pattern is empty");
    }
    if (text.find_first_of("[]") != std::string_view::npos) {
        return refuse(
            fmt::format("\"{}\": '[' is not supported; the only wildcards are '*' and '?'", text));
    }
    image_pattern out;
    auto name_part = split_reference(text, out);
    if (!name_part) {
        return refuse(name_part.error());
    }
    std::string_view name = *name_part;
    auto slash = name.find('/');
    if (slash == std::string_view::npos) {
        if (only_stars(name)) {
            out.registry = "*";
            out.repository = "*";
            return out;
        }
        if (looks_like_registry(name)) {
            return refuse(fmt::format("\"{}\" names no repository: write \"{}/*\" for all of its "
                                      "images",
                                      text, name));
        }
        return refuse(fmt::format("\"{}\" does not start with a registry: write \"{}\"", text,
                                  docker_hub_spelling(text)));
    }
    if (!looks_like_registry(name.substr(0, slash))) {
        return refuse(fmt::format("\"{}\" does not start with a registry: write \"{}\"", text,
                                  docker_hub_spelling(text)));
    }
    auto registry = registry_part(text, name.substr(0, slash));
    if (!registry) {
        return refuse(registry.error());
    }
    auto repository = repository_part(text, name, slash);
    if (!repository) {
        return refuse(repository.error());
    }
    out.registry = std::move(*registry);
    out.repository = std::move(*repository);
    return out;
}

} // namespace pullgate::policy
