// Streams a message body from a parser on one stream to another stream
// through one fixed buffer (house style rule 8): a 1 GiB blob passes with
// the same memory as a 1 KiB manifest. Content-Length bodies go through as
// they are, byte for byte without a parser; chunked bodies are re-chunked (chunk extensions and
// trailers are dropped, RFC 9112 7.1.1-7.1.2 allow a proxy to do so).
#pragma once

#include "net/asio.hpp"
#include "net/read_deadline.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>

namespace pullgate::net {

// Large enough that one read moves a full TLS record (16 KiB) several
// times over, small enough to keep an active transfer cheap.
inline constexpr std::size_t relay_buffer_size = 64 * 1024;

enum class relay_status {
    done,
    read_failed,  // the sender broke off, or sent a body that does not parse
    read_timeout, // the sender stopped sending (its socket is still open)
    write_failed, // the receiver went away or stopped reading
};

struct relay_result {
    relay_status status = relay_status::done;
    std::uint64_t bytes = 0; // body bytes written to `out`
    error_code error;
};

enum class framing { length, chunked, until_close };

// Writes one piece of body with the progress deadline. Every buffer
// sequence is a named value: no temporary lives in a co_await expression
// (see local_answer in exchange.hpp).
template <class Out, class Buffers>
task<error_code> write_body_piece(Out& out, const Buffers& buffers,
                                  std::chrono::milliseconds progress_timeout) {
    beast::get_lowest_layer(out).expires_after(progress_timeout);
    auto [ec, n] = co_await asio::async_write(out, buffers, use_nothrow);
    co_return ec;
}

// A Content-Length body passed on as it is: there is nothing to parse in
// it, so its bytes go from the sender's stream through `chunk` to the
// receiver, and never more of them than the length says: whatever follows
// (a pipelined request, or garbage from an upstream) stays in `in_buffer`
// for the next message or for the decision not to reuse the connection.
template <class In, class Out>
task<relay_result> relay_counted_body(In& in, beast::flat_buffer& in_buffer,
                                      std::uint64_t remaining, Out& out,
                                      std::chrono::milliseconds progress_timeout) {
    relay_result result;
    // Body bytes that arrived with the header.
    if (const auto early = std::min<std::uint64_t>(in_buffer.size(), remaining); early > 0) {
        const auto data = asio::buffer(in_buffer.data().data(), static_cast<std::size_t>(early));
        if (const auto ec = co_await write_body_piece(out, data, progress_timeout)) {
            result.status = relay_status::write_failed;
            result.error = ec;
            co_return result;
        }
        in_buffer.consume(static_cast<std::size_t>(early));
        remaining -= early;
        result.bytes += early;
    }
    if (remaining == 0)
        co_return result;
    auto chunk = std::make_unique<char[]>(relay_buffer_size);
    read_deadline deadline(in, progress_timeout);
    while (remaining > 0) {
        const auto space = asio::buffer(
            chunk.get(),
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining, relay_buffer_size)));
        auto [read_error, got] = co_await in.async_read_some(space, use_nothrow);
        if (read_error) {
            result.status =
                deadline.expired() ? relay_status::read_timeout : relay_status::read_failed;
            // The sender closed before the length was reached: the same
            // error Beast's parser gives for a message cut short.
            result.error =
                read_error == asio::error::eof || read_error == ssl::error::stream_truncated
                    ? error_code(http::error::partial_message)
                    : read_error;
            co_return result;
        }
        const auto data = asio::buffer(chunk.get(), got);
        if (const auto ec = co_await write_body_piece(out, data, progress_timeout)) {
            result.status = relay_status::write_failed;
            result.error = ec;
            co_return result;
        }
        remaining -= got;
        result.bytes += got;
        deadline.restart(progress_timeout);
    }
    co_return result;
}

template <class In, class Out, bool IsRequest>
task<relay_result> relay_body(In& in, beast::flat_buffer& in_buffer,
                              http::parser<IsRequest, http::buffer_body>& parser, Out& out,
                              framing out_framing, std::chrono::milliseconds progress_timeout) {
    if (out_framing == framing::length && !parser.chunked())
        if (const auto remaining = parser.content_length_remaining())
            co_return co_await relay_counted_body(in, in_buffer, *remaining, out, progress_timeout);
    // Chunked or close-delimited: Beast's parser finds the body's end.
    relay_result result;
    auto chunk = std::make_unique<char[]>(relay_buffer_size);
    // Beast reads into `in_buffer` as much as its capacity allows: sized
    // for headers, that is 512 bytes a read and a TLS record per 512 bytes
    // written. Room for a whole chunk while the body moves, given back
    // afterwards so that an idle connection stays small.
    in_buffer.reserve(relay_buffer_size);
    struct give_back {
        beast::flat_buffer& buffer;
        ~give_back() { buffer.shrink_to_fit(); }
    } shrink_after{in_buffer};
    read_deadline deadline(in, progress_timeout);
    while (!parser.is_done()) {
        auto& body = parser.get().body();
        body.data = chunk.get();
        body.size = relay_buffer_size;
        auto [read_error, unused] =
            co_await http::async_read_some(in, in_buffer, parser, use_nothrow);
        // need_buffer only says that our buffer is full: not an error.
        if (read_error && read_error != http::error::need_buffer) {
            result.status =
                deadline.expired() ? relay_status::read_timeout : relay_status::read_failed;
            result.error = read_error;
            co_return result;
        }
        const std::size_t got = relay_buffer_size - body.size;
        if (got == 0)
            continue;
        const auto data = asio::buffer(chunk.get(), got);
        error_code write_error;
        if (out_framing == framing::chunked) {
            const auto framed = http::make_chunk(data);
            write_error = co_await write_body_piece(out, framed, progress_timeout);
        } else {
            write_error = co_await write_body_piece(out, data, progress_timeout);
        }
        if (write_error) {
            result.status = relay_status::write_failed;
            result.error = write_error;
            co_return result;
        }
        result.bytes += got;
        deadline.restart(progress_timeout);
    }
    if (out_framing == framing::chunked) {
        const auto last = http::make_chunk_last();
        if (const auto ec = co_await write_body_piece(out, last, progress_timeout)) {
            result.status = relay_status::write_failed;
            result.error = ec;
        }
    }
    co_return result;
}

} // namespace pullgate::net
