// Which upstream a proxied request goes to, and the origin-form target to
// send it with. One authority per request, never two: a Host header that
// names another host than the CONNECT (or the absolute URI) is refused,
// because policy decides on one name and the upstream might route on the
// other.
#pragma once

#include "request/host.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace pullgate::request {

struct routed_target {
    authority where;
    std::string origin_target; // "/v2/…?…"
};

// `host_header` is empty only when the request has no Host at all (HTTP/1.0;
// the header-block check has refused an HTTP/1.1 request without one).

// A request inside an intercepted tunnel to `tunnel`: origin-form only
// (absolute-form, authority-form and "*" are refused), and a Host header,
// if any, naming the tunnel's host and port (default 443 when it has none).
result<routed_target> route_in_tunnel(const authority& tunnel, std::string_view target,
                                      std::optional<std::string_view> host_header);

// A plain-HTTP proxy request: absolute-form "http://host[:port]/path?query"
// (an "https://" absolute URI is refused: HTTPS goes through CONNECT), with
// a Host header, if any, naming the same authority.
result<routed_target> route_absolute_http(std::string_view target,
                                          std::optional<std::string_view> host_header);

} // namespace pullgate::request
