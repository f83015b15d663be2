#include "request/reference.hpp"

#include "request/host.hpp"
#include "request/registry.hpp"

#include <algorithm>

namespace pullgate::request {
namespace {

using std::string_view;

// distribution/reference: NameTotalLengthMax.
constexpr std::size_t name_total_length_max = 255;

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_alnum(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool is_lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// path-component = alpha-numeric (separator alpha-numeric)*
// separator = "." | "_" | "__" | "-"+   (reference.go, pathComponent)
bool is_path_component(string_view c) {
    std::size_t i = 0;
    const std::size_t n = c.size();
    if (n == 0 || !is_lower_alnum(c[0])) {
        return false;
    }
    while (i < n) {
        while (i < n && is_lower_alnum(c[i])) {
            ++i;
        }
        if (i == n) {
            return true;
        }
        if (c[i] == '.') {
            ++i;
        } else if (c[i] == '_') {
            i += (i + 1 < n && c[i + 1] == '_') ? 2 : 1;
        } else if (c[i] == '-') {
            while (i < n && c[i] == '-') {
                ++i;
            }
        } else {
            return false;
        }
        if (i == n || !is_lower_alnum(c[i])) {
            return false; // a separator must be followed by alpha-numerics
        }
    }
    return true;
}

// algorithm-component [a-z0-9]+ joined by single [+._-] (OCI image-spec,
// descriptor.md "Digests").
bool is_algorithm(string_view a) {
    bool need_component = true;
    for (char c : a) {
        if (is_lower_alnum(c)) {
            need_component = false;
        } else if ((c == '+' || c == '.' || c == '_' || c == '-') && !need_component) {
            need_component = true;
        } else {
            return false;
        }
    }
    return !need_component;
}

bool is_encoded(string_view e) {
    return !e.empty() && std::all_of(e.begin(), e.end(), [](char c) {
        return is_alnum(c) || c == '=' || c == '_' || c == '-';
    });
}

bool is_lower_hex_of_size(string_view e, std::size_t size) {
    return e.size() == size && std::all_of(e.begin(), e.end(), is_lower_hex);
}

// docker's splitDockerDomain: the first component is a registry when it
// looks like a host ("." or ":"), is "localhost", or has upper case (a
// repository never does).
bool names_a_registry(string_view first) {
    return first.find_first_of(".:") != string_view::npos || first == "localhost" ||
           std::any_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

result<std::string> canonical_registry(string_view text) {
    auto where = parse_authority(text, default_port(scheme::https));
    if (!where) {
        return refuse("registry " + where.error());
    }
    // Through registry_name, so that every Docker Hub host (and
    // "docker.io:443") is "docker.io", as classify() names them.
    return registry_name(*where, scheme::https);
}

} // namespace

bool is_repository_name(string_view name) {
    if (name.empty() || name.size() > name_total_length_max) {
        return false;
    }
    for (std::size_t start = 0;;) {
        auto slash = name.find('/', start);
        if (!is_path_component(
                name.substr(start, slash == string_view::npos ? slash : slash - start))) {
            return false;
        }
        if (slash == string_view::npos) {
            return true;
        }
        start = slash + 1;
    }
}

std::optional<std::string> repository_name_problem(string_view name) {
    if (is_repository_name(name)) {
        return std::nullopt;
    }
    if (name.empty()) {
        return "empty repository name";
    }
    if (name.size() > name_total_length_max) {
        return "repository name longer than 255 characters";
    }
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (is_repository_name(lower)) {
        return "upper case in repository name";
    }
    return "repository name outside the reference grammar";
}

bool is_tag(string_view tag) {
    if (tag.empty() || tag.size() > 128 || !(is_alnum(tag[0]) || tag[0] == '_')) {
        return false;
    }
    return std::all_of(tag.begin() + 1, tag.end(),
                       [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool is_digest(string_view digest) {
    auto colon = digest.find(':');
    if (colon == string_view::npos) {
        return false;
    }
    auto algorithm = digest.substr(0, colon);
    auto encoded = digest.substr(colon + 1);
    if (!is_algorithm(algorithm) || !is_encoded(encoded)) {
        return false;
    }
    // The registered algorithms fix their encoding (OCI image-spec
    // "Registered algorithms"): lower-case hex of the digest's size.
    if (algorithm == "sha256") {
        return is_lower_hex_of_size(encoded, 64);
    }
    if (algorithm == "sha512") {
        return is_lower_hex_of_size(encoded, 128);
    }
    return true;
}

std::string image_reference::to_string() const {
    // A registry named by a single label ("foo", from "Foo/bar" or
    // "foo:443/bar") would read back as a Docker Hub namespace: spell its
    // port so that the text names the registry it was decided for.
    const bool reads_as_namespace = registry.find_first_of(".:[") == std::string::npos &&
                                    registry != "localhost" && registry != docker_hub;
    auto name = registry + (reads_as_namespace ? ":443/" : "/") + repository;
    if (!digest.empty()) {
        return name + "@" + digest;
    }
    if (!tag.empty()) {
        return name + ":" + tag;
    }
    return name;
}

result<image_reference> parse_image_reference(string_view text) {
    if (text.empty()) {
        return refuse("empty image reference");
    }
    image_reference out;
    // reference := name [ ":" tag ] [ "@" digest ]
    auto at = text.find('@');
    auto name = text.substr(0, at);
    if (at != string_view::npos) {
        out.digest = text.substr(at + 1);
        if (!is_digest(out.digest)) {
            return refuse("digest outside the reference grammar");
        }
    }
    // A ":" after the last "/" starts the tag; one before it is a port.
    auto colon = name.rfind(':');
    auto slash = name.rfind('/');
    if (colon != string_view::npos && (slash == string_view::npos || colon > slash)) {
        out.tag = name.substr(colon + 1);
        name = name.substr(0, colon);
        if (!is_tag(out.tag)) {
            return refuse("tag outside the reference grammar");
        }
    } else if (out.digest.empty()) {
        out.tag = "latest";
    }
    out.registry = docker_hub;
    auto first_slash = name.find('/');
    if (first_slash != string_view::npos && names_a_registry(name.substr(0, first_slash))) {
        auto registry = canonical_registry(name.substr(0, first_slash));
        if (!registry) {
            return refuse(registry.error());
        }
        out.registry = std::move(*registry);
        name = name.substr(first_slash + 1);
    }
    out.repository = name;
    // Docker Hub's official images live in "library/".
    if (out.registry == docker_hub && name.find('/') == string_view::npos) {
        out.repository = "library/" + out.repository;
    }
    if (auto problem = repository_name_problem(out.repository)) {
        return refuse(*problem);
    }
    if (out.registry.size() + 1 + out.repository.size() > name_total_length_max) {
        return refuse("image name longer than 255 characters");
    }
    return out;
}

} // namespace pullgate::request
