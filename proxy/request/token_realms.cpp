#include "request/token_realms.hpp"

#include "request/registry.hpp"
#include "request/target.hpp"

#include <algorithm>

namespace pullgate::request {
namespace {

using std::string_view;

// A registry answering 401s with ever new realms must not grow the map
// without bound; real deployments know a handful.
constexpr std::size_t max_realms = 1024;

bool is_tchar(char c) {
    // RFC 9110 5.6.2 token characters.
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           string_view("!#$%&'*+-.^_`|~").find(c) != string_view::npos;
}

bool iequals(string_view a, string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) {
                   return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
               };
               return lower(x) == lower(y);
           });
}

bool istarts_with(string_view s, string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

void skip_ows(string_view s, std::size_t& i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
        ++i;
    }
}

string_view read_token(string_view s, std::size_t& i) {
    auto start = i;
    while (i < s.size() && is_tchar(s[i])) {
        ++i;
    }
    return s.substr(start, i - start);
}

// RFC 9110 5.6.4 quoted-string, starting at the opening quote.
std::optional<std::string> read_quoted(string_view s, std::size_t& i) {
    std::string out;
    for (++i; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '"') {
            ++i;
            return out;
        }
        if (c == '\\') {
            if (++i == s.size()) {
                return std::nullopt;
            }
            c = static_cast<unsigned char>(s[i]);
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(c));
    }
    return std::nullopt; // unterminated
}

// A realm under /v2/ is a path of the registry API itself (gcr.io's
// /v2/token, quay.io's /v2/auth). Only the registry that owns that host
// may name one, and only a single segment that no OCI endpoint uses:
// otherwise a registry could turn another registry's manifests into "token
// requests" that policy would let through.
bool acceptable_api_realm(const authority& where, scheme s, string_view path,
                          string_view registry) {
    if (registry_name(where, s) != registry || registry_path_problem(path)) {
        return false;
    }
    if (!path.starts_with("/v2/")) {
        return false;
    }
    auto segment = path.substr(4);
    return !segment.empty() && segment.find('/') == string_view::npos && segment != "_catalog";
}

// "host:port/path" for a realm URL, or nothing when it is not an absolute
// http(s) URL with a canonical host.
std::optional<std::string> realm_key(string_view registry, string_view url) {
    scheme s = scheme::https;
    if (istarts_with(url, "https://")) {
        url.remove_prefix(8);
    } else if (istarts_with(url, "http://")) {
        s = scheme::http;
        url.remove_prefix(7);
    } else {
        return std::nullopt;
    }
    url = url.substr(0, url.find('#'));
    auto authority_end = std::min(url.find_first_of("/?"), url.size());
    auto where = parse_authority(url.substr(0, authority_end), default_port(s));
    if (!where) {
        return std::nullopt;
    }
    std::string target(url.substr(authority_end));
    if (target.empty() || target.front() == '?') {
        target.insert(0, "/");
    }
    auto parsed = parse_target(target);
    if (!parsed) {
        return std::nullopt;
    }
    if (looks_like_registry_path(parsed->path) &&
        !acceptable_api_realm(*where, s, parsed->path, registry)) {
        return std::nullopt;
    }
    // Keyed by host and path, not port: a realm is one endpoint whether
    // it is reached over https or (by a client that tries) plain http.
    return where->host + parsed->path;
}

constexpr string_view docker_hub_realm_host = "auth.docker.io";
constexpr string_view docker_hub_realm_path = "/token";

} // namespace

std::optional<std::string> parse_bearer_realm(string_view header) {
    std::size_t i = 0;
    skip_ows(header, i);
    if (!iequals(read_token(header, i), "bearer") || i == header.size() ||
        (header[i] != ' ' && header[i] != '\t')) {
        return std::nullopt;
    }
    std::optional<std::string> realm;
    while (true) {
        while (i < header.size() && (header[i] == ',' || header[i] == ' ' || header[i] == '\t')) {
            ++i;
        }
        if (i == header.size()) {
            break;
        }
        auto name = read_token(header, i);
        skip_ows(header, i);
        if (name.empty()) {
            return std::nullopt;
        }
        if (i == header.size() || header[i] != '=') {
            break; // the next challenge ("…, Basic realm=…") begins
        }
        skip_ows(header, ++i);
        std::optional<std::string> value;
        if (i < header.size() && header[i] == '"') {
            value = read_quoted(header, i);
        } else if (auto token = read_token(header, i); !token.empty()) {
            value = std::string(token);
        }
        if (!value) {
            return std::nullopt;
        }
        if (iequals(name, "realm")) {
            if (realm) {
                return std::nullopt; // two realms: which one would the client use?
            }
            realm = std::move(value);
        }
        skip_ows(header, i);
        if (i < header.size() && header[i] != ',') {
            return std::nullopt;
        }
    }
    return realm;
}

void token_realms::learn(string_view registry, string_view www_authenticate) {
    auto realm = parse_bearer_realm(www_authenticate);
    if (!realm) {
        return;
    }
    auto key = realm_key(registry, *realm);
    if (!key) {
        return;
    }
    std::lock_guard lock(mutex_);
    if (registry_by_realm_.size() >= max_realms && !registry_by_realm_.contains(*key)) {
        return;
    }
    // The newest challenge wins: an honest registry re-asserts its realm on
    // every 401 from /v2/, so a stale or hijacked entry does not last.
    registry_by_realm_[*key] = registry;
}

std::optional<std::string> token_realms::registry_for(const authority& where,
                                                      string_view path) const {
    // Docker Hub's realm is built in and checked first, so no learned realm
    // can claim it for another registry.
    if (where.host == docker_hub_realm_host && path == docker_hub_realm_path) {
        return std::string(docker_hub);
    }
    auto key = where.host;
    key += path;
    std::lock_guard lock(mutex_);
    auto found = registry_by_realm_.find(key);
    if (found == registry_by_realm_.end()) {
        return std::nullopt;
    }
    return found->second;
}

std::optional<std::string> token_realms::lookalike(const authority& where,
                                                   string_view raw_path) const {
    if (where.host == docker_hub_realm_host && may_resolve_to(raw_path, docker_hub_realm_path)) {
        return std::string(docker_hub_realm_path);
    }
    const std::string prefix = where.host + "/";
    std::lock_guard lock(mutex_);
    for (auto it = registry_by_realm_.lower_bound(prefix);
         it != registry_by_realm_.end() && it->first.starts_with(prefix); ++it) {
        const auto realm_path = string_view(it->first).substr(where.host.size());
        if (may_resolve_to(raw_path, realm_path)) {
            return std::string(realm_path);
        }
    }
    return std::nullopt;
}

} // namespace pullgate::request
