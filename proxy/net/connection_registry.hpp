// The client connections of the current I/O thread, so that a drain can
// close the ones that are idle between requests. Each io_context runs on
// exactly one thread, so the registry is thread-local and lock-free; a
// drain posts close_idle_connections() to every io_context.
#pragma once

#include "net/asio.hpp"

#include <list>

namespace pullgate::net {

class connection_handle {
public:
    explicit connection_handle(tcp::socket& socket);
    ~connection_handle();
    connection_handle(const connection_handle&) = delete;
    connection_handle& operator=(const connection_handle&) = delete;

    // The socket moved (into a TLS stream): follow it.
    void rebind(tcp::socket& socket) { socket_ = &socket; }
    // Idle: waiting for the next request, nothing in flight.
    void set_idle(bool idle) { idle_ = idle; }

private:
    friend void close_idle_connections();
    tcp::socket* socket_;
    bool idle_ = true;
    std::list<connection_handle*>::iterator position_;
};

// Cancels the pending reads of this thread's idle connections; they end
// as if the client had closed them.
void close_idle_connections();

} // namespace pullgate::net
