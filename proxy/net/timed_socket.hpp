// The lowest layer of a tls_socket: a TCP socket with a deadline, shaped
// like beast::tcp_stream's (expires_after, expires_never, cancel, socket)
// so that the code above, and beast::get_lowest_layer, treat both alike.
// When the deadline passes while a wait is pending the socket is closed and
// the wait ends with beast::error::timeout, as with beast::tcp_stream.
#pragma once

#include "net/asio.hpp"

#include <chrono>
#include <memory>

namespace pullgate::net {

class timed_socket {
public:
    using executor_type = tcp::socket::executor_type;

    explicit timed_socket(tcp::socket socket);
    ~timed_socket();
    timed_socket(const timed_socket&) = delete;
    timed_socket& operator=(const timed_socket&) = delete;

    executor_type get_executor() { return socket_.get_executor(); }
    tcp::socket& socket() { return socket_; }

    void expires_after(std::chrono::steady_clock::duration after);
    void expires_never();
    void cancel();
    void close();

    // Waits until the socket is ready for `what`, within the deadline.
    // Handler: void(error_code).
    template <class Token> auto async_wait(tcp::socket::wait_type what, Token&& token) {
        return asio::async_initiate<Token, void(error_code)>(
            [this, what](auto handler) {
                ++state_->pending;
                socket_.async_wait(
                    what, [state = state_, h = std::move(handler)](const error_code& ec) mutable {
                        --state->pending;
                        std::move(h)(state->timed_out ? error_code(beast::error::timeout) : ec);
                    });
            },
            token);
    }

private:
    struct state {
        tcp::socket* socket = nullptr;
        int pending = 0;
        bool timed_out = false;
    };
    tcp::socket socket_;
    std::shared_ptr<state> state_;
    asio::steady_timer timer_;
};

} // namespace pullgate::net
