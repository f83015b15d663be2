#include "net/upstream_pool.hpp"

#include <fmt/format.h>

#include <sys/socket.h>

namespace pullgate::net {

bool still_open(tcp::socket& socket) {
    if (!socket.is_open())
        return false;
    char probe;
    const ssize_t n = ::recv(socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    // EAGAIN: open and quiet. 0: the peer closed it. Data: an answer to no
    // question (for TLS, most often the close_notify alert).
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void drop_pooled_connections() {
    connection_pool<tls_stream>::here().clear();
    connection_pool<beast::tcp_stream>::here().clear();
}

task<void> expire_pooled_connections() {
    asio::steady_timer tick(co_await asio::this_coro::executor);
    for (;;) {
        tick.expires_after(std::chrono::seconds(1));
        const auto [ec] = co_await tick.async_wait(use_nothrow);
        if (ec)
            co_return;
        connection_pool<tls_stream>::here().expire();
        connection_pool<beast::tcp_stream>::here().expire();
    }
}

std::string pool_key(const runtime& rt, const request::authority& where, bool tls) {
    return fmt::format("{}|{}|{}", tls ? "tls" : "tcp", where.to_string(), rt.generation);
}

task<tls_connection> connect_tunnel_upstream(const runtime& rt, metrics::registry& metrics,
                                             const request::authority& where) {
    if (auto pooled = connection_pool<tls_stream>::here().take(pool_key(rt, where, true)))
        co_return tls_connection{std::move(pooled->stream), std::move(pooled->gauge),
                                 std::move(pooled->address), std::nullopt, false};
    co_return co_await connect_tls(rt, metrics, where);
}

} // namespace pullgate::net
