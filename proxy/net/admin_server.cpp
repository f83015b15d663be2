#include "net/admin_server.hpp"

#include "log/log.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace pullgate::net {

admin_server::admin_server(asio::io_context& context, const tcp::endpoint& where,
                           admin_handler handler)
    : acceptor_(context), handler_(std::move(handler)) {
    error_code ec;
    acceptor_.open(where.protocol(), ec);
    if (!ec)
        acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
        acceptor_.bind(where, ec);
    if (!ec)
        acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error(fmt::format("cannot listen on {}:{}: {} (check `admin`)",
                                             where.address().to_string(), where.port(),
                                             ec.message()));
    asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

task<void> admin_server::accept_loop() {
    for (;;) {
        auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
        if (ec == asio::error::operation_aborted)
            co_return;
        if (ec)
            continue;
        asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)),
                       [](std::exception_ptr e) {
                           if (e)
                               log::warning("admin connection ended by an exception");
                       });
    }
}

task<void> admin_server::serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(16 * 1024);
    for (;;) {
        http::request_parser<http::empty_body> parser;
        parser.header_limit(8 * 1024);
        stream.expires_after(std::chrono::seconds(30));
        auto [read_error, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
        if (read_error)
            break;
        auto response = handler_(parser.get());
        response.version(11);
        response.keep_alive(parser.get().keep_alive());
        response.set(http::field::cache_control, "no-store");
        response.prepare_payload();
        if (parser.get().method() == http::verb::head)
            response.body().clear(); // the headers still announce the GET body
        stream.expires_after(std::chrono::seconds(30));
        auto [write_error, written] = co_await http::async_write(stream, response, use_nothrow);
        if (write_error || !response.keep_alive())
            break;
    }
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

} // namespace pullgate::net
