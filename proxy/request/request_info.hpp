// What a request means to a registry: the value that policy decides on and
// that the audit record describes. Produced by classify(); no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pullgate::request {

// SPEC audit field `kind`.
enum class kind { ping, manifest, blob, upload, tags, referrers, catalog, token, other, connect };
// SPEC audit field `action`.
enum class action { pull, push, del, other };

std::string_view to_string(kind k);
std::string_view to_string(action a);

// The stronger of two actions: push > delete > pull > other. A request
// that touches one repository in several ways is decided by the strongest.
action stronger(action a, action b);

// One repository a request reads or writes. Most requests touch one; a
// cross-repository mount reads `from` and writes the target; a token
// request names one per scope.
struct repository_access {
    std::string repository; // e.g. "library/alpine"
    action act = action::pull;
    std::string reference; // tag or digest when the request names one
    bool operator==(const repository_access&) const = default;
};

struct request_info {
    kind what = kind::other;
    action act = action::other;
    std::string host;     // canonical upstream host, without port
    std::string registry; // canonical registry ("docker.io", "ghcr.io", "host:5000")
    // GET or HEAD: the request cannot carry data out. Policy allows only
    // such requests on a listed registry's non-registry paths (its blob
    // CDN), so that a CDN host is never a way to upload.
    bool read_only = false;
    std::string repository; // primary repository, empty when none
    std::string reference;  // tag or digest of the primary repository, when present
    // Every repository the request touches, primary first. Empty for
    // ping, catalog, other and scope-less token requests.
    std::vector<repository_access> accesses;
    // Set when the request is not canonical (percent-encoding in a name,
    // dot or empty segments, upper case, a name or reference outside the
    // distribution grammar): it is refused with 400 NAME_INVALID.
    std::optional<std::string> invalid;

    // "docker.io/library/alpine:3.19", "ghcr.io/acme/app@sha256:…", or the
    // bare "registry/repository" when there is no reference; empty when
    // there is no repository.
    std::string image() const;
};

} // namespace pullgate::request
