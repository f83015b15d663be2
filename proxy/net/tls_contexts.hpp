// The two TLS contexts of the proxy: the server side that intercepted
// clients talk to (minted leaves, SNI checked against the CONNECT
// authority, ALPN http/1.1 only) and the client side towards upstreams
// (always verified: chain against the system store plus upstream.ca_file,
// and the host name).
#pragma once

#include "net/asio.hpp"
#include "request/host.hpp"

#include <memory>
#include <optional>
#include <string>

namespace pullgate::net {

// Client-facing context. Its servername callback refuses a handshake whose
// SNI names another host than the one set with expect_server_name.
std::unique_ptr<ssl::context> make_client_facing_context();

// What a tunnel expects of its client's handshake, and what it saw. Lives
// in the tunnel's frame for the duration of the handshake.
struct server_name_check {
    std::string expected_host; // canonical CONNECT host
    std::string offered;       // SNI as sent, empty when none
    bool mismatch = false;
};
void expect_server_name(SSL* ssl, server_name_check* check);

// Upstream context; throws std::runtime_error naming the file when
// upstream.ca_file cannot be loaded.
std::shared_ptr<ssl::context> make_upstream_context(const std::optional<std::string>& ca_file);

// SNI, host name verification and ALPN for one upstream connection.
void prepare_upstream_ssl(SSL* ssl, const request::authority& where);

} // namespace pullgate::net
