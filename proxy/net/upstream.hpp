// Connecting to upstreams: resolve (upstream.resolve first, then DNS),
// refuse special-purpose addresses that were not asked for, connect with a
// deadline and, for HTTPS, complete a verified TLS handshake. Failures come
// back as values with the status and reason the client will see.
#pragma once

#include "net/proxy_context.hpp"
#include "net/tls_socket.hpp"
#include "request/host.hpp"

#include <memory>
#include <optional>
#include <string>

namespace pullgate::net {

struct upstream_failure {
    int status = 502;              // 502, 504 for a timeout, 403 for a refused destination
    std::string reason;            // names the host and what went wrong
    std::string rule = "upstream"; // audit `rule`: "upstream", "egress"
    std::string summary = "upstream unreachable"; // audit `reason`
};

// Counts the connection in pullgate_upstream_connections while it lives.
using upstream_gauge = std::unique_ptr<metrics::connection_gauge>;

struct tcp_connection {
    std::unique_ptr<beast::tcp_stream> stream;
    upstream_gauge gauge;
    std::string address; // "10.0.0.5:443", for the audit record
    std::optional<upstream_failure> failure;
};

struct tls_connection {
    std::unique_ptr<tls_stream> stream;
    upstream_gauge gauge;
    std::string address;
    std::optional<upstream_failure> failure;
    // The upstream answered the ClientHello with something that is not TLS
    // (a plain-HTTP registry). Failure is set too.
    bool not_tls = false;
};

// Both observe pullgate_upstream_connect_seconds once per connection made
// (for TLS: TCP connect plus handshake).
task<tcp_connection> connect_tcp(const runtime& rt, metrics::registry& metrics,
                                 const request::authority& where);
task<tls_connection> connect_tls(const runtime& rt, metrics::registry& metrics,
                                 const request::authority& where);

} // namespace pullgate::net
