#include "net/upstream.hpp"

#include "net/tls_contexts.hpp"
#include "net/tls_sessions.hpp"
#include "net/upstream_pool.hpp"

#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fmt/format.h>

namespace pullgate::net {
namespace {

using namespace asio::experimental::awaitable_operators;

struct resolved {
    std::vector<tcp::endpoint> endpoints;
    std::optional<upstream_failure> failure;
};

tcp::endpoint to_endpoint(const request::authority& a) {
    return {asio::ip::make_address(a.host), a.port};
}

request::ip_address to_ip(const asio::ip::address& address) {
    return *request::parse_ip_address(address.to_string());
}

std::string endpoint_text(const tcp::endpoint& e) {
    return e.address().is_v6() ? fmt::format("[{}]:{}", e.address().to_string(), e.port())
                               : fmt::format("{}:{}", e.address().to_string(), e.port());
}

// upstream.resolve, an IP literal, or DNS with the connect deadline. Every
// address is then checked against the egress rules.
task<resolved> resolve(const service::settings& s, const request::authority& where) {
    resolved out;
    bool pinned = false;
    if (auto it = s.resolve.find(where.to_string()); it != s.resolve.end()) {
        out.endpoints.push_back(to_endpoint(it->second));
        pinned = true;
    } else if (where.kind != request::host_kind::dns) {
        out.endpoints.push_back(to_endpoint(where));
    } else {
        auto executor = co_await asio::this_coro::executor;
        tcp::resolver resolver(executor);
        asio::steady_timer deadline(executor, s.cfg.limits.connect_timeout);
        auto outcome =
            co_await (resolver.async_resolve(where.host, std::to_string(where.port), use_nothrow) ||
                      deadline.async_wait(use_nothrow));
        if (outcome.index() == 1) {
            out.failure = upstream_failure{504, fmt::format("resolving {} timed out", where.host),
                                           "upstream", "upstream timeout"};
            co_return out;
        }
        auto [ec, results] = std::get<0>(std::move(outcome));
        if (ec) {
            out.failure = upstream_failure{
                502, fmt::format("cannot resolve {}: {}", where.host, ec.message())};
            co_return out;
        }
        for (const auto& entry : results)
            out.endpoints.push_back(entry.endpoint());
    }
    std::vector<tcp::endpoint> allowed;
    std::string refusal;
    for (const auto& endpoint : out.endpoints) {
        if (auto why = s.egress_refusal(to_ip(endpoint.address()), pinned))
            refusal = std::move(*why);
        else
            allowed.push_back(endpoint);
    }
    if (allowed.empty()) {
        out.failure =
            upstream_failure{403, fmt::format("{} resolves to a {}", where.to_string(), refusal),
                             "egress", "destination not allowed"};
    }
    out.endpoints = std::move(allowed);
    co_return out;
}

// Errors by which OpenSSL says "what came back was not TLS at all".
bool looks_like_plain_text_peer(const error_code& ec) {
    if (ec.category() != asio::error::get_ssl_category())
        return false;
    const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    return reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
           reason == SSL_R_UNKNOWN_PROTOCOL;
}

upstream_failure describe_handshake_failure(const error_code& ec, SSL* ssl,
                                            const request::authority& where) {
    const std::string host = where.to_string();
    if (ec == beast::error::timeout)
        return {504, fmt::format("TLS handshake with {} timed out", host), "upstream",
                "upstream timeout"};
    if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK)
        return {502,
                fmt::format("certificate of {} is not trusted: {}", host,
                            X509_verify_cert_error_string(verify)),
                "upstream", "upstream certificate not trusted"};
    if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof)
        return {502, fmt::format("{} closed the connection during the TLS handshake", host)};
    return {502, fmt::format("TLS handshake with {} failed: {}", host, ec.message())};
}

} // namespace

namespace {

// Resolves and connects; the callers observe the time it took.
task<tcp_connection> open_tcp(const runtime& rt, metrics::registry& metrics,
                              const request::authority& where) {
    tcp_connection out;
    const auto& s = *rt.settings;
    auto addresses = co_await resolve(s, where);
    if (addresses.failure) {
        out.failure = std::move(addresses.failure);
        co_return out;
    }
    auto executor = co_await asio::this_coro::executor;
    auto stream = std::make_unique<beast::tcp_stream>(executor);
    stream->expires_after(s.cfg.limits.connect_timeout);
    auto [ec, endpoint] = co_await stream->async_connect(addresses.endpoints, use_nothrow);
    if (ec) {
        out.failure =
            ec == beast::error::timeout
                ? upstream_failure{504,
                                   fmt::format("connecting to {} timed out", where.to_string()),
                                   "upstream", "upstream timeout"}
                : upstream_failure{502, fmt::format("cannot connect to {}: {}", where.to_string(),
                                                    ec.message())};
        co_return out;
    }
    error_code ignored;
    stream->socket().set_option(tcp::no_delay(true), ignored);
    out.address = endpoint_text(endpoint);
    out.stream = std::move(stream);
    out.gauge = std::make_unique<metrics::connection_gauge>(metrics, metrics::peer::upstream);
    co_return out;
}

} // namespace

task<tcp_connection> connect_tcp(const runtime& rt, metrics::registry& metrics,
                                 const request::authority& where) {
    const auto started = std::chrono::steady_clock::now();
    auto out = co_await open_tcp(rt, metrics, where);
    if (!out.failure)
        metrics.observe_upstream_connect(std::chrono::steady_clock::now() - started);
    co_return out;
}

task<tls_connection> connect_tls(const runtime& rt, metrics::registry& metrics,
                                 const request::authority& where) {
    const auto started = std::chrono::steady_clock::now();
    tls_connection out;
    auto tcp = co_await open_tcp(rt, metrics, where);
    out.address = tcp.address;
    if (tcp.failure) {
        out.failure = std::move(tcp.failure);
        co_return out;
    }
    auto stream = std::make_unique<tls_stream>(
        tcp.stream->release_socket(), rt.upstream_tls->native_handle(), tls_socket::role::client);
    prepare_upstream_ssl(stream->native_handle(), where);
    offer_session(stream->native_handle(), pool_key(rt, where, true));
    beast::get_lowest_layer(*stream).expires_after(rt.settings->cfg.limits.handshake_timeout);
    auto [ec] = co_await stream->async_handshake(use_nothrow);
    if (ec) {
        out.not_tls = looks_like_plain_text_peer(ec);
        out.failure = describe_handshake_failure(ec, stream->native_handle(), where);
        if (out.not_tls) {
            out.failure->reason = fmt::format("{} does not speak TLS", where.to_string());
            out.failure->summary = "upstream does not speak TLS";
        }
        co_return out;
    }
    out.stream = std::move(stream);
    out.gauge = std::move(tcp.gauge);
    metrics.observe_upstream_connect(std::chrono::steady_clock::now() - started);
    co_return out;
}

} // namespace pullgate::net
