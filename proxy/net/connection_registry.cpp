#include "net/connection_registry.hpp"

namespace pullgate::net {
namespace {

thread_local std::list<connection_handle*> connections;

} // namespace

connection_handle::connection_handle(beast::tcp_stream& socket) : socket_(&socket) {
    connections.push_front(this);
    position_ = connections.begin();
}

connection_handle::~connection_handle() {
    connections.erase(position_);
}

void close_idle_connections() {
    for (auto* handle : connections)
        if (handle->idle_)
            handle->socket_->cancel();
}

} // namespace pullgate::net
