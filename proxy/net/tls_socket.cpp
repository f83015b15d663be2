#include "net/tls_socket.hpp"

#include "net/socket_bio.hpp"
#include "tls/openssl_error.hpp"

#include <boost/asio/ssl/error.hpp>

#include <stdexcept>

namespace pullgate::net {

tls_socket::tls_socket(tcp::socket socket, SSL_CTX* ctx, role r, std::string_view prefix)
    : lower_(std::move(socket)), ssl_(SSL_new(ctx)) {
    if (!ssl_)
        tls::throw_openssl_error("cannot create a TLS connection");
    // OpenSSL drives the socket itself and must never block in it.
    lower_.socket().non_blocking(true);
    BIO* bio = make_socket_bio(lower_.socket().native_handle(), prefix);
    SSL_set_bio(ssl_, bio, bio);
    if (r == role::client)
        SSL_set_connect_state(ssl_);
    else
        SSL_set_accept_state(ssl_);
}

tls_socket::~tls_socket() {
    SSL_free(ssl_);
}

tls_socket::next_step tls_socket::after_failure(int ret, error_code& ec) {
    const int saved_errno = errno;
    switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
        return next_step::wait_read;
    case SSL_ERROR_WANT_WRITE:
        return next_step::wait_write;
    case SSL_ERROR_ZERO_RETURN:
        ec = asio::error::eof; // the peer's close_notify: a clean end
        return next_step::fail;
    case SSL_ERROR_SYSCALL:
        if (const unsigned long e = ERR_get_error())
            ec = error_code(static_cast<int>(e), asio::error::get_ssl_category());
        else if (saved_errno != 0)
            ec = error_code(saved_errno, boost::system::system_category());
        else
            ec = ssl::error::stream_truncated;
        return next_step::fail;
    default: {
        const unsigned long e = ERR_get_error();
        if (e == 0) {
            ec = ssl::error::stream_truncated; // a failure OpenSSL did not explain
            return next_step::fail;
        }
        // A peer that closed without close_notify: what asio reports as
        // stream_truncated, which the callers already treat as an end.
        if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
            ec = ssl::error::stream_truncated;
        else
            ec = error_code(static_cast<int>(e), asio::error::get_ssl_category());
        return next_step::fail;
    }
    }
}

} // namespace pullgate::net
