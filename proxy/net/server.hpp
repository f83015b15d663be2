// The I/O engine: one io_context per thread (connections are spread over
// them and never change thread, so a connection's SSL* is only ever touched
// by one thread), the proxy listener and the admin listener, and the drain.
#pragma once

#include "net/admin_server.hpp"
#include "net/proxy_context.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace pullgate::net {

class server {
public:
    server(proxy_context& px, unsigned threads);
    ~server();

    // Binds and listens; throws std::runtime_error naming the address and
    // the setting when it cannot.
    void listen(const tcp::endpoint& where);
    void listen_admin(const tcp::endpoint& where, admin_handler handler);

    // The context that runs signals, timers and the listeners.
    asio::io_context& main_context() { return *contexts_.front(); }

    // Runs every I/O thread; returns when the server has stopped.
    void run();
    // Stops accepting, closes idle connections, lets the busy ones finish
    // their exchange, and stops when none is left or after `limit`.
    void drain(std::chrono::milliseconds limit);
    bool listening() const { return listening_; }

private:
    task<void> accept_loop();
    task<void> wait_for_drain(std::chrono::steady_clock::time_point deadline);
    void stop();

    proxy_context& px_;
    std::vector<std::unique_ptr<asio::io_context>> contexts_;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
    std::unique_ptr<tcp::acceptor> acceptor_;
    std::unique_ptr<admin_server> admin_;
    std::size_t next_context_ = 0;
    bool listening_ = false;
};

} // namespace pullgate::net
