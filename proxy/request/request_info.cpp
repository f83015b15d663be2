#include "request/request_info.hpp"

namespace pullgate::request {

std::string_view to_string(kind k) {
    switch (k) {
    case kind::ping:
        return "ping";
    case kind::manifest:
        return "manifest";
    case kind::blob:
        return "blob";
    case kind::upload:
        return "upload";
    case kind::tags:
        return "tags";
    case kind::referrers:
        return "referrers";
    case kind::catalog:
        return "catalog";
    case kind::token:
        return "token";
    case kind::other:
        return "other";
    case kind::connect:
        return "connect";
    }
    return "other";
}

std::string_view to_string(action a) {
    switch (a) {
    case action::pull:
        return "pull";
    case action::push:
        return "push";
    case action::del:
        return "delete";
    case action::other:
        return "other";
    }
    return "other";
}

action stronger(action a, action b) {
    auto rank = [](action x) {
        switch (x) {
        case action::push:
            return 3;
        case action::del:
            return 2;
        case action::pull:
            return 1;
        case action::other:
            break;
        }
        return 0;
    };
    return rank(b) > rank(a) ? b : a;
}

std::string request_info::image() const {
    if (repository.empty()) {
        return {};
    }
    auto name = registry.empty() ? repository : registry + "/" + repository;
    // Only a manifest's reference (or a referrers subject) names an image;
    // a blob digest does not.
    bool names_image = what == kind::manifest || what == kind::referrers;
    if (!names_image || reference.empty()) {
        return name;
    }
    // Tags never contain ":", digests always do.
    bool is_digest = reference.find(':') != std::string::npos;
    return name + (is_digest ? "@" : ":") + reference;
}

} // namespace pullgate::request
