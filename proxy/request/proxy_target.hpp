// Which upstream a proxied request goes to, and the origin-form target to
// send it with. One authority per request, never two: a Host header that
// names another host than the CONNECT (or the absolute URI) is refused,
// because policy decides on one name and the upstream might route on the
// other.
#pragma once

#include "request/host.hpp"
#include "util/result.hpp"

#include <string>
#include <string_view>

namespace pullgate::request {

struct routed_target {
    authority where;
    std::string origin_target; // "/v2/…?…"
};

// A request inside an intercepted tunnel to `tunnel`: origin-form only
// (absolute-form, authority-form and "*" are refused), and a Host header
// naming the tunnel's host and port (default 443 when it has none).
result<routed_target> route_in_tunnel(const authority& tunnel, std::string_view target,
                                      std::string_view host_header);

// A plain-HTTP proxy request: absolute-form "http://host[:port]/path?query"
// (an "https://" absolute URI is refused: HTTPS goes through CONNECT), with
// a Host header naming the same authority.
result<routed_target> route_absolute_http(std::string_view target, std::string_view host_header);

} // namespace pullgate::request
