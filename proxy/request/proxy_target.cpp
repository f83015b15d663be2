#include "request/proxy_target.hpp"

#include <algorithm>
#include <cctype>

namespace pullgate::request {
namespace {

bool same_authority(const authority& a, std::optional<std::string_view> host_header,
                    std::uint16_t default_port) {
    if (!host_header)
        return true;
    const auto host = parse_authority(*host_header, default_port);
    return host && host->host == a.host && host->port == a.port;
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), s.begin(), [](char p, char c) {
               return p == std::tolower(static_cast<unsigned char>(c));
           });
}

} // namespace

result<routed_target> route_in_tunnel(const authority& tunnel, std::string_view target,
                                      std::optional<std::string_view> host_header) {
    if (target.empty() || target.front() != '/')
        return refuse("inside a tunnel only origin-form request targets are accepted");
    if (!same_authority(tunnel, host_header, 443))
        return refuse("Host header names another host than the CONNECT request");
    return routed_target{tunnel, std::string(target)};
}

result<routed_target> route_absolute_http(std::string_view target,
                                          std::optional<std::string_view> host_header) {
    if (starts_with_icase(target, "https://"))
        return refuse("https:// URLs must be requested through CONNECT");
    if (!starts_with_icase(target, "http://"))
        return refuse("a proxy request needs an absolute http:// URL or CONNECT");
    auto rest = target.substr(7);
    const auto path_start = rest.find_first_of("/?#");
    const auto authority_text = rest.substr(0, path_start);
    auto where = parse_authority(authority_text, 80);
    if (!where)
        return refuse("bad host in the request URL: " + where.error());
    std::string origin =
        path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
    if (origin.front() == '?')
        origin.insert(origin.begin(), '/');
    // Absolute-form has no fragment (RFC 9112 3.2.2), anywhere in it.
    if (origin.front() != '/' || origin.find('#') != std::string::npos)
        return refuse("fragment in the request URL");
    if (!same_authority(*where, host_header, 80))
        return refuse("Host header names another host than the request URL");
    return routed_target{std::move(*where), std::move(origin)};
}

} // namespace pullgate::request
