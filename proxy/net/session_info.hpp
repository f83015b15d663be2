// Who is on the other end of a client connection, and how it reached us.
#pragma once

#include "request/host.hpp"
#include "request/registry.hpp"

#include <optional>
#include <string>

namespace pullgate::net {

struct session_info {
    std::string client; // "10.1.2.3:53122"
    std::optional<std::string> user;
    request::scheme over = request::scheme::http;
    // Set inside an intercepted CONNECT tunnel: the only authority its
    // requests may address.
    std::optional<request::authority> tunnel;
};

} // namespace pullgate::net
