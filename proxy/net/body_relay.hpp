// Streams a message body from a parser on one stream to another stream
// through one fixed buffer (house style rule 8): a 1 GiB blob passes with
// the same memory as a 1 KiB manifest. Content-Length bodies go through as
// they are; chunked bodies are re-chunked (chunk extensions and trailers
// are dropped, RFC 9112 7.1.1-7.1.2 allow a proxy to do so).
#pragma once

#include "net/asio.hpp"

#include <chrono>
#include <cstdint>
#include <memory>

namespace pullgate::net {

// Large enough that one read moves a full TLS record (16 KiB) several
// times over, small enough to keep an active transfer cheap.
inline constexpr std::size_t relay_buffer_size = 64 * 1024;

enum class relay_status { done, read_failed, write_failed, timeout };

struct relay_result {
    relay_status status = relay_status::done;
    std::uint64_t bytes = 0; // body bytes written to `out`
    error_code error;
};

enum class framing { length, chunked, until_close };

template <class In, class Out, bool IsRequest>
task<relay_result> relay_body(In& in, beast::flat_buffer& in_buffer,
                              http::parser<IsRequest, http::buffer_body>& parser, Out& out,
                              framing out_framing, std::chrono::milliseconds progress_timeout) {
    relay_result result;
    auto chunk = std::make_unique<char[]>(relay_buffer_size);
    while (!parser.is_done()) {
        auto& body = parser.get().body();
        body.data = chunk.get();
        body.size = relay_buffer_size;
        beast::get_lowest_layer(in).expires_after(progress_timeout);
        auto [read_error, unused] = co_await http::async_read_some(in, in_buffer, parser, use_nothrow);
        // need_buffer only says that our buffer is full: not an error.
        if (read_error && read_error != http::error::need_buffer) {
            result.status = read_error == beast::error::timeout ? relay_status::timeout
                                                                : relay_status::read_failed;
            result.error = read_error;
            co_return result;
        }
        const std::size_t got = relay_buffer_size - body.size;
        if (got == 0)
            continue;
        beast::get_lowest_layer(out).expires_after(progress_timeout);
        const auto data = asio::buffer(chunk.get(), got);
        error_code write_error;
        if (out_framing == framing::chunked)
            std::tie(write_error, std::ignore) =
                co_await asio::async_write(out, http::make_chunk(data), use_nothrow);
        else
            std::tie(write_error, std::ignore) = co_await asio::async_write(out, data, use_nothrow);
        if (write_error) {
            result.status = write_error == beast::error::timeout ? relay_status::timeout
                                                                 : relay_status::write_failed;
            result.error = write_error;
            co_return result;
        }
        result.bytes += got;
    }
    if (out_framing == framing::chunked) {
        beast::get_lowest_layer(out).expires_after(progress_timeout);
        auto [ec, n] = co_await asio::async_write(out, http::make_chunk_last(), use_nothrow);
        if (ec) {
            result.status = relay_status::write_failed;
            result.error = ec;
        }
    }
    co_return result;
}

} // namespace pullgate::net
