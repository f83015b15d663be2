// A TLS stream over a socket, for both sides of an intercepted tunnel.
//
// OpenSSL reads and writes the non-blocking socket itself (socket_bio.hpp);
// when it wants the socket, the operation waits for readiness and tries
// again. Compared with asio's ssl::stream this copies every byte once less
// and holds no buffers of its own: with SSL_MODE_RELEASE_BUFFERS an idle
// connection keeps little more than its SSL object. It models Beast's
// AsyncReadStream and AsyncWriteStream, so Beast's HTTP algorithms run on
// it; its lowest layer is a timed_socket.
#pragma once

#include "net/asio.hpp"
#include "net/timed_socket.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace pullgate::net {

class tls_socket {
public:
    using executor_type = timed_socket::executor_type;
    using next_layer_type = timed_socket;

    enum class role { client, server };

    // `prefix`: bytes already read from the socket that belong to the TLS
    // stream (a ClientHello sent right behind the CONNECT).
    tls_socket(tcp::socket socket, SSL_CTX* ctx, role r, std::string_view prefix = {});
    ~tls_socket();
    tls_socket(const tls_socket&) = delete;
    tls_socket& operator=(const tls_socket&) = delete;

    executor_type get_executor() { return lower_.get_executor(); }
    timed_socket& next_layer() { return lower_; }
    SSL* native_handle() { return ssl_; }

    // Handler: void(error_code).
    template <class Token> auto async_handshake(Token&& token) {
        return async_run(
            [](SSL* ssl, std::size_t& n) {
                n = 0;
                return SSL_do_handshake(ssl);
            },
            std::forward<Token>(token), discard_count{});
    }

    // Handler: void(error_code). Sends close_notify; does not wait for the
    // peer's (a proxy has nothing more to read).
    template <class Token> auto async_shutdown(Token&& token) {
        return async_run(
            [](SSL* ssl, std::size_t& n) {
                n = 0;
                const int r = SSL_shutdown(ssl);
                return r < 0 ? r : 1;
            },
            std::forward<Token>(token), discard_count{});
    }

    // Handler: void(error_code, std::size_t).
    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        const auto first = first_buffer<asio::mutable_buffer>(buffers);
        return async_run(
            [first](SSL* ssl, std::size_t& n) {
                return first.size() == 0 ? 1 : SSL_read_ex(ssl, first.data(), first.size(), &n);
            },
            std::forward<Token>(token), keep_count{});
    }

    // Handler: void(error_code, std::size_t). Small pieces (an HTTP header
    // is a dozen buffers) are gathered into one TLS record, as
    // beast::flat_stream does, rather than a record each.
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        auto first = first_buffer<asio::const_buffer>(buffers);
        std::shared_ptr<std::string> gathered;
        if (first.size() < coalesce_limit && beast::buffer_bytes(buffers) > first.size()) {
            gathered = std::make_shared<std::string>(
                std::min<std::size_t>(beast::buffer_bytes(buffers), coalesce_limit), '\0');
            asio::buffer_copy(asio::buffer(*gathered), buffers);
            first = asio::buffer(*gathered);
        }
        return async_run(
            [first, gathered](SSL* ssl, std::size_t& n) {
                return first.size() == 0 ? 1 : SSL_write_ex(ssl, first.data(), first.size(), &n);
            },
            std::forward<Token>(token), keep_count{});
    }

private:
    struct keep_count {};
    struct discard_count {};
    static constexpr std::size_t coalesce_limit = 16 * 1024;

    template <class Buffer, class Buffers> static Buffer first_buffer(const Buffers& buffers) {
        for (auto it = asio::buffer_sequence_begin(buffers);
             it != asio::buffer_sequence_end(buffers); ++it) {
            const Buffer b(*it);
            if (b.size() != 0)
                return b;
        }
        return Buffer();
    }

    // What an SSL call's failure means to the caller.
    enum class next_step { wait_read, wait_write, fail };
    next_step after_failure(int ret, error_code& ec);

    // Runs `action` until it succeeds, waiting for the socket whenever
    // OpenSSL wants it. Completions never run inside the initiating call:
    // a read that OpenSSL can serve from its buffer is posted, so a long
    // transfer cannot recurse.
    template <class Action, class Token, class Count>
    auto async_run(Action action, Token&& token, Count) {
        using signature = std::conditional_t<std::is_same_v<Count, keep_count>,
                                             void(error_code, std::size_t), void(error_code)>;
        return asio::async_compose<Token, signature>(
            [this, action, waited = false](auto& self, error_code ec = {}) mutable {
                std::size_t n = 0;
                if (!ec) {
                    ERR_clear_error();
                    errno = 0;
                    const int ret = action(ssl_, n);
                    if (ret > 0) {
                        finish<Count>(self, waited, error_code{}, n);
                        return;
                    }
                    switch (after_failure(ret, ec)) {
                    case next_step::wait_read:
                        waited = true;
                        lower_.async_wait(tcp::socket::wait_read, std::move(self));
                        return;
                    case next_step::wait_write:
                        waited = true;
                        lower_.async_wait(tcp::socket::wait_write, std::move(self));
                        return;
                    case next_step::fail:
                        break;
                    }
                }
                finish<Count>(self, waited, ec, 0);
            },
            token, lower_);
    }

    template <class Count, class Self>
    void finish(Self& self, bool waited, error_code ec, std::size_t n) {
        auto done = [self = std::move(self), ec, n]() mutable {
            if constexpr (std::is_same_v<Count, keep_count>)
                self.complete(ec, n);
            else
                self.complete(ec);
        };
        if (waited)
            done();
        else
            asio::post(lower_.get_executor(), std::move(done));
    }

    timed_socket lower_;
    SSL* ssl_ = nullptr;
};

// The TLS stream of intercepted tunnels and of upstream connections.
using tls_stream = tls_socket;

} // namespace pullgate::net
