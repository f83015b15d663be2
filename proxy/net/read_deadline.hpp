// A deadline for reads that leaves the socket open when it passes.
//
// Beast's tcp_stream closes its socket when an expiry passes, which is
// right for writes (the peer is not reading) but leaves no way to answer a
// client that is too slow to send: the 408 the audit record promises would
// never reach it. This cancels the pending operations instead and
// remembers that it did, so the caller can still answer. Each connection
// lives on one thread, so the timer's handler and the read never race.
#pragma once

#include "net/asio.hpp"

#include <chrono>
#include <memory>

namespace pullgate::net {

class read_deadline {
public:
    template <class Stream>
    read_deadline(Stream& stream, std::chrono::milliseconds after)
        : state_(std::make_shared<state>()), timer_(stream.get_executor(), after) {
        auto& lowest = beast::get_lowest_layer(stream);
        lowest.expires_never();
        state_->socket = &lowest.socket();
        arm();
    }
    ~read_deadline() { state_->socket = nullptr; }
    read_deadline(const read_deadline&) = delete;
    read_deadline& operator=(const read_deadline&) = delete;

    // A new deadline `after` from now, for the next read of a long
    // transfer: one timer and no allocation per read. A wait of the old
    // deadline that already completed is recognised by its generation and
    // ignored.
    void restart(std::chrono::milliseconds after) {
        ++state_->generation;
        state_->expired = false;
        timer_.expires_after(after);
        arm();
    }

    // The deadline passed: a read that ended with operation_aborted timed
    // out.
    bool expired() const { return state_->expired; }

private:
    struct state {
        tcp::socket* socket = nullptr;
        bool expired = false;
        unsigned generation = 0;
    };

    void arm() {
        timer_.async_wait([s = state_, generation = state_->generation](const error_code& ec) {
            if (ec || !s->socket || generation != s->generation)
                return; // disarmed, or an earlier deadline
            s->expired = true;
            error_code ignored;
            s->socket->cancel(ignored);
        });
    }

    std::shared_ptr<state> state_;
    asio::steady_timer timer_;
};

} // namespace pullgate::net
