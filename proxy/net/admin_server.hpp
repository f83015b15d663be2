// The admin listener (/healthz, /readyz, /metrics, /ca.crt, /proxy.pac).
// It only transports: what each path answers is the handler's business.
#pragma once

#include "net/asio.hpp"

#include <functional>

namespace pullgate::net {

using admin_request = http::request<http::empty_body>;
using admin_response = http::response<http::string_body>;
using admin_handler = std::function<admin_response(const admin_request&)>;

class admin_server {
public:
    // Binds and listens; throws std::runtime_error naming the address.
    admin_server(asio::io_context& context, const tcp::endpoint& where, admin_handler handler);

private:
    task<void> accept_loop();
    task<void> serve(tcp::socket socket);

    tcp::acceptor acceptor_;
    admin_handler handler_;
};

} // namespace pullgate::net
