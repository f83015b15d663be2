// Idle upstream connections kept for reuse: the next tunnel to the same
// registry, or the next request of an idle tunnel, skips the TCP connect
// and the TLS handshake. One pool per I/O thread (a socket belongs to the
// io_context that runs that thread), so taking and giving never lock.
//
// A pooled connection was verified when it was made; the key includes the
// configuration load, so a reload that changes upstream.ca_file or
// upstream.resolve never hands out a connection made under the old one.
#pragma once

#include "net/upstream.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace pullgate::net {

// Is the connection still open and quiet? A peer that closed it (or sent
// something nobody asked for) makes it unusable.
bool still_open(tcp::socket& socket);

template <class Stream> struct idle_connection {
    std::unique_ptr<Stream> stream;
    upstream_gauge gauge;
    std::string address;
    std::chrono::steady_clock::time_point expires; // set when it is pooled
};

template <class Stream> class connection_pool {
public:
    // At most this many idle connections per key and per thread, each for
    // at most limits.upstream_idle_timeout (registries close idle
    // connections after a minute or so; reusing one they are about to
    // close costs a failed request).
    static constexpr std::size_t per_key = 8;
    static constexpr std::size_t per_thread = 256;

    std::optional<idle_connection<Stream>> take(const std::string& key) {
        auto it = idle_.find(key);
        if (it == idle_.end())
            return std::nullopt;
        auto& list = it->second;
        const auto now = std::chrono::steady_clock::now();
        while (!list.empty()) {
            auto candidate = std::move(list.back()); // the most recently used
            list.pop_back();
            --count_;
            if (now < candidate.expires &&
                still_open(beast::get_lowest_layer(*candidate.stream).socket())) {
                if (list.empty())
                    idle_.erase(it);
                return candidate;
            }
        }
        idle_.erase(it);
        return std::nullopt;
    }

    void give(const std::string& key, idle_connection<Stream> connection,
              std::chrono::milliseconds idle_limit) {
        auto& list = idle_[key];
        if (list.size() >= per_key || count_ >= per_thread) {
            if (list.empty())
                idle_.erase(key);
            return; // dropped: closing it is all there is to do
        }
        connection.expires = std::chrono::steady_clock::now() + idle_limit;
        list.push_back(std::move(connection));
        ++count_;
    }

    // Closes the connections whose idle time is up or whose peer closed
    // them, so an idle pool gives its descriptors back instead of holding
    // them until the next request for the same registry.
    void expire() {
        const auto now = std::chrono::steady_clock::now();
        for (auto it = idle_.begin(); it != idle_.end();) {
            auto& list = it->second;
            const auto before = list.size();
            std::erase_if(list, [now](idle_connection<Stream>& c) {
                return now >= c.expires || !still_open(beast::get_lowest_layer(*c.stream).socket());
            });
            count_ -= before - list.size();
            it = list.empty() ? idle_.erase(it) : std::next(it);
        }
    }

    void clear() {
        idle_.clear();
        count_ = 0;
    }

    // The pool of the calling I/O thread.
    static connection_pool& here() {
        thread_local connection_pool pool;
        return pool;
    }

private:
    std::map<std::string, std::deque<idle_connection<Stream>>> idle_;
    std::size_t count_ = 0;
};

// Closes this thread's pooled connections. Called when the thread's
// io_context stops: the sockets must go before the io_context they belong
// to (a thread_local pool would otherwise outlive it).
void drop_pooled_connections();

// Runs on one I/O thread until its io_context stops: every second, closes
// that thread's pooled connections that expired or that the peer closed.
task<void> expire_pooled_connections();

// "tls|ghcr.io:443|3": the authority, and the configuration load whose
// trust and `upstream.resolve` made the connection.
std::string pool_key(const runtime& rt, const request::authority& where, bool tls);

// The verified upstream of a new tunnel: an idle one from this thread's
// pool (verified when it was made, under the same configuration load, and
// still open), else a new one from connect_tls. Squid and every other
// pooling proxy do the same; it spares the registry and pullgate a TLS
// handshake per client connection.
task<tls_connection> connect_tunnel_upstream(const runtime& rt, metrics::registry& metrics,
                                             const request::authority& where);

} // namespace pullgate::net
