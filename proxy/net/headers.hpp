// Header handling at the proxy boundary (RFC 9110 7.6.1): hop-by-hop
// fields describe one connection and are never forwarded; credentials for
// the proxy never leave it.
#pragma once

#include "net/asio.hpp"

namespace pullgate::net {

// Removes Connection and every field it names, Keep-Alive,
// Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE, Trailer,
// Transfer-Encoding, Upgrade and Expect. The caller re-frames the body.
void strip_hop_by_hop(http::fields& fields);

// Adds "Via: 1.1 pullgate" (RFC 9110 7.6.3), after any Via already there.
void add_via(http::fields& fields);

} // namespace pullgate::net
