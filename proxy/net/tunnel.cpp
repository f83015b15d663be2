#include "net/tunnel.hpp"

#include "net/exchange_record.hpp"
#include "net/local_response.hpp"
#include "net/serve_request.hpp"
#include "net/tls_contexts.hpp"
#include "net/tls_socket.hpp"
#include "net/upstream_slot.hpp"

#include <openssl/ssl.h>

namespace pullgate::net {
namespace {

// A fatal handshake_failure alert (RFC 8446 6, RFC 5246 7.2): what a
// client that tried TLS towards a plain-HTTP registry gets, so that it
// falls back to plain HTTP, which then comes through the proxy in the open
// and is decided like every other request.
constexpr unsigned char handshake_failure_alert[] = {21, 3, 3, 0, 2, 2, 40};

void describe_connect(audit::record& r, const request::authority& where) {
    r.method = "CONNECT";
    r.host = where.host;
    r.registry = request::registry_name(where, request::scheme::https);
    r.kind = "connect";
    r.action = "other";
}

task<void> refuse_connect(beast::tcp_stream& client, exchange_record& record,
                          const local_answer& answer, std::chrono::milliseconds timeout) {
    record.fields().decision = "deny";
    auto response = make_error_response(answer.status, answer.code, answer.message, false, false);
    co_await send_local_response(client, response, timeout);
    record.finish(answer.status, response.body().size());
}

task<bool> answer_connect(beast::tcp_stream& client, std::chrono::milliseconds timeout) {
    static constexpr std::string_view established = "HTTP/1.1 200 Connection established\r\n\r\n";
    client.expires_after(timeout);
    auto [ec, n] = co_await asio::async_write(client, asio::buffer(established), use_nothrow);
    co_return !ec;
}

task<void> refuse_client_tls(beast::tcp_stream& client, beast::flat_buffer& buffer,
                             std::chrono::milliseconds timeout) {
    if (buffer.size() == 0) {
        client.expires_after(timeout);
        auto [ec, n] = co_await client.async_read_some(buffer.prepare(4096), use_nothrow);
        buffer.commit(n);
    }
    client.expires_after(timeout);
    co_await asio::async_write(client, asio::buffer(handshake_failure_alert), use_nothrow);
}

} // namespace

task<void> run_tunnel(proxy_context& px, beast::tcp_stream& client, beast::flat_buffer& buffer,
                      session_info session, request_head connect_head, connection_handle& handle) {
    const auto rt = px.current();
    const auto& limits = rt->settings->cfg.limits;
    exchange_record record(px.audit, px.metrics, session);
    record.fields().method = "CONNECT";
    record.fields().kind = "connect";

    auto where = request::parse_connect_authority(connect_head.parser->get().target());
    if (!where) {
        // An authority-form target holds no path or query: kept as sent (at
        // most 256 bytes), it shows which spelling was tried.
        record.fields().host = std::string(connect_head.parser->get().target().substr(0, 256));
        record.refused("request.invalid", "malformed request", where.error());
        const local_answer answer{400, "UNSUPPORTED",
                                  "pullgate: bad CONNECT target: " + where.error() +
                                      " (rule: request.invalid)"};
        co_return co_await refuse_connect(client, record, answer, limits.header_timeout);
    }
    describe_connect(record.fields(), *where);
    if (!rt->settings->port_allowed(*where, request::scheme::https)) {
        record.refused("upstream.connect_ports", "port not allowed", "port not allowed");
        const local_answer answer{403, "DENIED",
                                  "pullgate: CONNECT to " + where->to_string() +
                                      " refused: port not allowed (rule: upstream.connect_ports)"};
        co_return co_await refuse_connect(client, record, answer, limits.header_timeout);
    }

    auto upstream = co_await connect_tunnel_upstream(*rt, px.metrics, *where);
    if (!upstream.address.empty())
        record.fields().upstream = upstream.address;
    if (upstream.not_tls) {
        record.refused("default", upstream.failure->summary,
                       upstream.failure->reason +
                           "; refused the client's TLS so it can fall back to plain HTTP");
        record.fields().decision = "allow";
        if (co_await answer_connect(client, limits.header_timeout))
            co_await refuse_client_tls(client, buffer, limits.handshake_timeout);
        record.finish(200, 0);
        co_return;
    }
    if (upstream.failure) {
        record.refused(upstream.failure->rule, upstream.failure->summary, upstream.failure->reason);
        const local_answer answer{upstream.failure->status, "UNAVAILABLE",
                                  "pullgate: " + upstream.failure->reason +
                                      " (rule: " + upstream.failure->rule + ")"};
        co_return co_await refuse_connect(client, record, answer, limits.header_timeout);
    }
    if (!co_await answer_connect(client, limits.header_timeout)) {
        record.fields().decision = "allow";
        co_return (void) record.fail_closed(200, "client went away after CONNECT");
    }

    // Whatever the client sent behind the CONNECT is the start of its TLS.
    const std::string early(static_cast<const char*>(buffer.data().data()), buffer.size());
    buffer.clear();
    tls_stream tls(client.release_socket(), px.client_tls.native_handle(), tls_socket::role::server,
                   early);
    handle.rebind(beast::get_lowest_layer(tls).socket());
    SSL* ssl = tls.native_handle();
    const auto leaf =
        px.leaves.get(where->host, where->kind == request::host_kind::dns ? tls::san_type::dns
                                                                          : tls::san_type::ip);
    SSL_use_certificate(ssl, leaf->cert.get());
    SSL_use_PrivateKey(ssl, px.leaves.key());
    server_name_check sni{where->host, {}, false};
    expect_server_name(ssl, &sni);
    beast::get_lowest_layer(tls).expires_after(limits.handshake_timeout);
    const auto handshake_started = std::chrono::steady_clock::now();
    auto [handshake_error] = co_await tls.async_handshake(use_nothrow);
    expect_server_name(ssl, nullptr);
    if (handshake_error) {
        if (sni.mismatch) {
            record.refused("tunnel.sni", "TLS server name is not the CONNECT host",
                           "TLS server name " + sni.offered + " does not match the CONNECT host " +
                               where->host);
        } else {
            record.refused("default", "client TLS handshake failed",
                           "client TLS handshake failed: " + handshake_error.message());
            record.fields().decision = "allow";
        }
        record.finish(200, 0);
        co_return;
    }
    px.metrics.observe_tls_handshake(std::chrono::steady_clock::now() - handshake_started);
    // An established tunnel is not logged by itself: each request inside
    // it gets its own record.
    record.discard();

    session.over = request::scheme::https;
    session.tunnel = *where;
    tls_upstream_slot slot(px.metrics, *rt, *where, std::move(upstream));
    for (bool first = true; !px.draining.load(); first = false) {
        handle.set_idle(true);
        auto head = co_await read_request_head(tls, buffer, rt->settings->cfg.limits, first);
        handle.set_idle(false);
        if (!co_await serve_request(px, tls, buffer, session, slot, std::move(head)))
            break;
        slot.park();
    }
    slot.park(); // a clean upstream connection outlives the tunnel in the pool
    beast::get_lowest_layer(tls).expires_after(limits.handshake_timeout);
    co_await tls.async_shutdown(use_nothrow);
}

} // namespace pullgate::net
