#include "net/client_connection.hpp"

#include "net/connection_registry.hpp"
#include "net/exchange_record.hpp"
#include "net/local_response.hpp"
#include "net/proxy_auth.hpp"
#include "net/serve_request.hpp"
#include "net/tunnel.hpp"
#include "net/upstream_slot.hpp"

#include <fmt/format.h>

namespace pullgate::net {
namespace {

std::string endpoint_text(const tcp::endpoint& e) {
    return e.address().is_v6() ? fmt::format("[{}]:{}", e.address().to_string(), e.port())
                               : fmt::format("{}:{}", e.address().to_string(), e.port());
}

struct connection_refusal {
    int status;
    std::string why;
    std::string rule;
    std::string reason;
};

// Refuses a connection without reading from it.
task<void> refuse_client(proxy_context& px, beast::tcp_stream& stream, const session_info& session,
                         const connection_refusal& refusal, std::chrono::milliseconds timeout) {
    exchange_record record(px.audit, px.metrics, session);
    record.fields().kind = "connect";
    record.refused(refusal.rule, refusal.reason, refusal.why);
    auto response = make_error_response(
        refusal.status, "DENIED", "pullgate: " + refusal.why + " (rule: " + refusal.rule + ")",
        false, false);
    co_await send_local_response(stream, response, timeout);
    record.finish(refusal.status, response.body().size());
}

} // namespace

task<void> serve_client(proxy_context& px, tcp::socket socket) {
    error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec)
        co_return; // already gone
    socket.set_option(tcp::no_delay(true), ec);
    beast::tcp_stream stream(std::move(socket));
    session_info session;
    session.client = endpoint_text(peer);

    const auto rt = px.current();
    const auto& limits = rt->settings->cfg.limits;
    const auto address = *request::parse_ip_address(peer.address().to_string());
    if (!rt->settings->client_allowed(address)) {
        const connection_refusal refusal{
            403, "client " + address.to_string() + " is not allowed to use this proxy", "clients",
            "client not allowed"};
        co_return co_await refuse_client(px, stream, session, refusal, limits.header_timeout);
    }
    std::string why;
    auto ticket = px.connections.admit(address, limits.max_connections,
                                       limits.max_connections_per_client, why);
    if (!ticket) {
        const connection_refusal refusal{503, std::move(why), "limits", "connection limit reached"};
        co_return co_await refuse_client(px, stream, session, refusal, limits.header_timeout);
    }

    const auto gauge = px.metrics.track_connection(metrics::peer::client);
    connection_handle handle(stream.socket());
    beast::flat_buffer buffer;
    plain_upstream_slot upstream(px.metrics);
    for (bool first = true; !px.draining.load(); first = false) {
        handle.set_idle(true);
        const auto rt_now = px.current();
        auto head = co_await read_request_head(stream, buffer, rt_now->settings->cfg.limits, first);
        handle.set_idle(false);
        if (head.status == head_status::ok) {
            const auto& req = head.parser->get();
            auto who =
                co_await check_proxy_auth(px, *rt_now, req[http::field::proxy_authorization]);
            if (!who.allowed) {
                const bool keep = head.parser->keep_alive() && head.parser->is_done();
                if (co_await refuse_proxy_auth(px, stream, session, req, keep, who))
                    continue;
                break;
            }
            session.user = std::move(who.user);
        }
        if (head.status == head_status::ok && head.parser->get().method() == http::verb::connect) {
            co_await run_tunnel(px, stream, buffer, session, std::move(head), handle);
            co_return;
        }
        if (!co_await serve_request(px, stream, buffer, session, upstream, std::move(head)))
            break;
        upstream.park();
    }
    upstream.park();
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

} // namespace pullgate::net
