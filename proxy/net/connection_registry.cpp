#include "net/connection_registry.hpp"

namespace pullgate::net {
namespace {

thread_local std::list<connection_handle*> connections;

} // namespace

connection_handle::connection_handle(tcp::socket& socket) : socket_(&socket) {
    connections.push_front(this);
    position_ = connections.begin();
}

connection_handle::~connection_handle() {
    connections.erase(position_);
}

void close_idle_connections() {
    error_code ignored;
    for (auto* handle : connections)
        if (handle->idle_)
            handle->socket_->cancel(ignored);
}

} // namespace pullgate::net
