// One accepted client connection: access control first (the `clients`
// allow-list and connection caps, before a byte is read), then plain-HTTP
// proxy requests until one is a CONNECT, which turns the connection into
// an intercepted tunnel.
#pragma once

#include "net/proxy_context.hpp"

namespace pullgate::net {

task<void> serve_client(proxy_context& px, tcp::socket socket);

} // namespace pullgate::net
