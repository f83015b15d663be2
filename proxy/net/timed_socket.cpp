#include "net/timed_socket.hpp"

namespace pullgate::net {

timed_socket::timed_socket(tcp::socket socket)
    : socket_(std::move(socket)), state_(std::make_shared<state>()),
      timer_(socket_.get_executor()) {
    state_->socket = &socket_;
}

timed_socket::~timed_socket() {
    state_->socket = nullptr;
}

void timed_socket::expires_after(std::chrono::steady_clock::duration after) {
    state_->timed_out = false;
    timer_.expires_after(after);
    // Only a wait pending when the deadline passes is cut off, as with
    // beast::tcp_stream: an idle socket is not closed behind our back.
    timer_.async_wait([s = state_](const error_code& ec) {
        if (ec || !s->socket || s->pending == 0)
            return;
        s->timed_out = true;
        error_code ignored;
        s->socket->close(ignored);
    });
}

void timed_socket::expires_never() {
    state_->timed_out = false;
    timer_.cancel();
}

void timed_socket::cancel() {
    error_code ignored;
    socket_.cancel(ignored);
}

void timed_socket::close() {
    error_code ignored;
    socket_.close(ignored);
}

} // namespace pullgate::net
