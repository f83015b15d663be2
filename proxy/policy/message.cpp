#include "policy/message.hpp"

#include <fmt/format.h>

namespace pullgate::policy::message {
namespace {

// Registries named in a denial; the rest are counted, not listed.
constexpr std::size_t max_listed = 10;

std::string cut(std::string text, std::size_t limit) {
    if (text.size() > limit) {
        text.resize(limit >= 3 ? limit - 3 : 0);
        text += "...";
    }
    return text;
}

} // namespace

std::string printable(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c < 0x20 || c > 0x7e) { // char may be signed: bytes >= 0x80 are negative
            c = '?';
        }
    }
    return out;
}

std::string compose(std::string_view text, std::string_view rule) {
    constexpr std::string_view prefix = "pullgate: ";
    std::string suffix = fmt::format(" (rule: {})", cut(printable(rule), max_rule_length));
    std::size_t room = max_length - prefix.size() - suffix.size();
    return fmt::format("{}{}{}", prefix, cut(printable(text), room), suffix);
}

std::string join_and(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += i + 1 == items.size() ? " and " : ", ";
        }
        out += items[i];
    }
    return out;
}

std::string registry_not_listed(std::string_view registry, request::action act,
                                const std::vector<std::string>& listed) {
    std::string allowed;
    for (std::size_t i = 0; i < listed.size() && i < max_listed; ++i) {
        allowed += fmt::format("{}{}", i > 0 ? ", " : "", listed[i]);
    }
    if (listed.size() > max_listed) {
        allowed += fmt::format(" and {} more", listed.size() - max_listed);
    }
    if (listed.empty()) {
        allowed = "no registry";
    }
    switch (act) {
    case request::action::push:
        return fmt::format("push to registry {} is not allowed; this organization allows {}",
                           registry, allowed);
    case request::action::del:
        return fmt::format("delete in registry {} is not allowed; this organization allows {}",
                           registry, allowed);
    case request::action::pull:
    case request::action::other:
        break;
    }
    return fmt::format("registry {} is not an approved registry; this organization allows {}",
                       registry, allowed);
}

std::string host_not_allowed(std::string_view host) {
    return fmt::format("host {} is not an allowed destination", host);
}

std::string hub_category_denied(std::string_view image, category c,
                                const config::docker_hub_config& hub) {
    switch (c) {
    case category::official:
        return fmt::format("{} is a Docker Official Image; this organization does not allow "
                           "Docker Official Images",
                           image);
    case category::verified_publisher:
        return fmt::format("{} is a Verified Publisher image; this organization does not allow "
                           "Verified Publisher images",
                           image);
    case category::sponsored_oss:
        return fmt::format("{} is a Docker-Sponsored Open Source image; this organization does "
                           "not allow Docker-Sponsored Open Source images",
                           image);
    case category::none:
    case category::organization:
    case category::community:
        break;
    }
    // Organization images are always allowed, so the list is never empty.
    std::vector<std::string> allowed;
    if (hub.official) {
        allowed.emplace_back("official");
    }
    if (hub.verified_publishers) {
        allowed.emplace_back("verified publisher");
    }
    if (hub.sponsored_oss) {
        allowed.emplace_back("sponsored open source");
    }
    allowed.emplace_back("its own");
    return fmt::format(
        "{} is a community image; this organization allows {} images from Docker Hub", image,
        join_and(allowed));
}

std::string rule_denied(std::string_view image, std::string_view reason) {
    if (reason.empty()) {
        return fmt::format("{} is denied by this organization's policy", image);
    }
    return fmt::format("{} is denied: {}", image, reason);
}

std::string not_canonical(std::string_view why) {
    return fmt::format("refused a request that is not canonical: {}", why);
}

} // namespace pullgate::policy::message
