// An intercepted CONNECT tunnel. Upstream first: the upstream is resolved,
// connected and its certificate verified before the CONNECT is answered,
// so pullgate never presents a valid certificate for an upstream it could
// not verify. Then the client's TLS is terminated with a leaf minted for
// the CONNECT host, and every request inside is decided on its own.
#pragma once

#include "net/connection_registry.hpp"
#include "net/proxy_context.hpp"
#include "net/request_head.hpp"
#include "net/session_info.hpp"

namespace pullgate::net {

task<void> run_tunnel(proxy_context& px, beast::tcp_stream& client, beast::flat_buffer& buffer,
                      session_info session, request_head connect_head, connection_handle& handle);

} // namespace pullgate::net
