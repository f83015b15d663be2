// The upstream side of a client connection. Inside a CONNECT tunnel there
// is one authority, reached over verified TLS; a plain-HTTP client may
// name a different host in each request. Either way the connection is kept
// across requests while the upstream allows it and re-established (and
// re-verified) when it does not.
#pragma once

#include "net/upstream.hpp"

#include <memory>
#include <optional>
#include <string>

namespace pullgate::net {

class tls_upstream_slot {
public:
    using stream_type = tls_stream;

    tls_upstream_slot(metrics::registry& metrics, request::authority where, tls_connection first)
        : metrics_(metrics), where_(std::move(where)), stream_(std::move(first.stream)),
          gauge_(std::move(first.gauge)), address_(std::move(first.address)) {}

    task<std::optional<upstream_failure>> ready(const runtime& rt,
                                                const request::authority& where) {
        if (!(where == where_))
            co_return upstream_failure{400, "request for another host inside a tunnel",
                                       "request.invalid", "malformed request"};
        if (stream_)
            co_return std::nullopt;
        auto connection = co_await connect_tls(rt, metrics_, where_);
        if (connection.failure)
            co_return std::move(connection.failure);
        stream_ = std::move(connection.stream);
        gauge_ = std::move(connection.gauge);
        address_ = std::move(connection.address);
        buffer_.clear();
        co_return std::nullopt;
    }

    tls_stream& stream() { return *stream_; }
    beast::flat_buffer& buffer() { return buffer_; }
    const std::string& address() const { return address_; }
    void discard() {
        stream_.reset();
        gauge_.reset();
    }

private:
    metrics::registry& metrics_;
    request::authority where_;
    std::unique_ptr<tls_stream> stream_;
    upstream_gauge gauge_;
    std::string address_;
    beast::flat_buffer buffer_;
};

class plain_upstream_slot {
public:
    using stream_type = beast::tcp_stream;

    explicit plain_upstream_slot(metrics::registry& metrics) : metrics_(metrics) {}

    task<std::optional<upstream_failure>> ready(const runtime& rt,
                                                const request::authority& where) {
        if (stream_ && where_ && *where_ == where)
            co_return std::nullopt;
        discard();
        auto connection = co_await connect_tcp(rt, metrics_, where);
        if (connection.failure)
            co_return std::move(connection.failure);
        stream_ = std::move(connection.stream);
        gauge_ = std::move(connection.gauge);
        address_ = std::move(connection.address);
        where_ = where;
        buffer_.clear();
        co_return std::nullopt;
    }

    beast::tcp_stream& stream() { return *stream_; }
    beast::flat_buffer& buffer() { return buffer_; }
    const std::string& address() const { return address_; }
    void discard() {
        stream_.reset();
        gauge_.reset();
        where_.reset();
    }

private:
    metrics::registry& metrics_;
    std::optional<request::authority> where_;
    std::unique_ptr<beast::tcp_stream> stream_;
    upstream_gauge gauge_;
    std::string address_;
    beast::flat_buffer buffer_;
};

} // namespace pullgate::net
