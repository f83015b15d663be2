// The upstream side of a client connection. Inside a CONNECT tunnel there
// is one authority, reached over verified TLS; a plain-HTTP client may
// name a different host in each request. Between requests the connection
// waits in the thread's pool (upstream_pool.hpp), so an idle client holds
// no upstream connection and the next request, of this client or another,
// reuses it; when none is pooled a new one is made and verified.
#pragma once

#include "net/upstream.hpp"
#include "net/upstream_pool.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace pullgate::net {

template <class Stream> class basic_upstream_slot {
public:
    using stream_type = Stream;

    Stream& stream() { return *connection_.stream; }
    beast::flat_buffer& buffer() { return buffer_; }
    const std::string& address() const { return connection_.address; }

    // The last exchange failed, or the upstream closes: never reuse it.
    void discard() {
        connection_.stream.reset();
        connection_.gauge.reset();
    }

    // The exchange ended cleanly and the upstream keeps the connection
    // open: hand it to the pool until a request needs it.
    void park() {
        if (connection_.stream && buffer_.size() == 0 && !key_.empty())
            connection_pool<Stream>::here().give(key_, std::move(connection_), idle_limit_);
        discard();
    }

protected:
    bool connected() const { return connection_.stream != nullptr; }

    bool take_pooled(const runtime& rt, std::string key) {
        auto pooled = connection_pool<Stream>::here().take(key);
        if (!pooled)
            return false;
        adopt(rt, std::move(key), std::move(pooled->stream), std::move(pooled->gauge),
              std::move(pooled->address));
        return true;
    }

    void adopt(const runtime& rt, std::string key, std::unique_ptr<Stream> stream,
               upstream_gauge gauge, std::string address) {
        idle_limit_ = rt.settings->cfg.limits.upstream_idle_timeout;
        key_ = std::move(key);
        connection_ = {std::move(stream), std::move(gauge), std::move(address), {}};
        buffer_.clear();
    }

private:
    idle_connection<Stream> connection_;
    std::string key_;
    std::chrono::milliseconds idle_limit_{0};
    beast::flat_buffer buffer_;
};

class tls_upstream_slot : public basic_upstream_slot<tls_stream> {
public:
    // `first` is the connection verified before the CONNECT was answered.
    tls_upstream_slot(metrics::registry& metrics, const runtime& rt, request::authority where,
                      tls_connection first)
        : metrics_(metrics), where_(std::move(where)) {
        adopt(rt, pool_key(rt, where_, true), std::move(first.stream), std::move(first.gauge),
              std::move(first.address));
    }

    task<std::optional<upstream_failure>> ready(const runtime& rt,
                                                const request::authority& where) {
        if (!(where == where_))
            co_return upstream_failure{400, "request for another host inside a tunnel",
                                       "request.invalid", "malformed request"};
        if (connected() || take_pooled(rt, pool_key(rt, where_, true)))
            co_return std::nullopt;
        auto connection = co_await connect_tls(rt, metrics_, where_);
        if (connection.failure)
            co_return std::move(connection.failure);
        adopt(rt, pool_key(rt, where_, true), std::move(connection.stream),
              std::move(connection.gauge), std::move(connection.address));
        co_return std::nullopt;
    }

private:
    metrics::registry& metrics_;
    request::authority where_;
};

class plain_upstream_slot : public basic_upstream_slot<beast::tcp_stream> {
public:
    explicit plain_upstream_slot(metrics::registry& metrics) : metrics_(metrics) {}

    task<std::optional<upstream_failure>> ready(const runtime& rt,
                                                const request::authority& where) {
        if (connected() && where_ && *where_ == where)
            co_return std::nullopt;
        park(); // another host: the current connection may serve someone else
        where_ = where;
        if (take_pooled(rt, pool_key(rt, where, false)))
            co_return std::nullopt;
        auto connection = co_await connect_tcp(rt, metrics_, where);
        if (connection.failure)
            co_return std::move(connection.failure);
        adopt(rt, pool_key(rt, where, false), std::move(connection.stream),
              std::move(connection.gauge), std::move(connection.address));
        co_return std::nullopt;
    }

private:
    metrics::registry& metrics_;
    std::optional<request::authority> where_;
};

} // namespace pullgate::net
