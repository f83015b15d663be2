// Reads one request header block, checks its raw bytes strictly
// (request/header_block.hpp), then lets Beast parse it. The body, and any
// pipelined request after it, stay in the buffer for whoever reads next.
#pragma once

#include "config/config.hpp"
#include "net/asio.hpp"
#include "net/read_deadline.hpp"
#include "request/header_block.hpp"

#include <memory>
#include <string>

namespace pullgate::net {

using request_parser = http::request_parser<http::buffer_body>;

enum class head_status {
    ok,      // parser holds a complete header
    closed,  // the peer closed (or reset) cleanly between requests
    timeout, // no complete header within the deadline
    refused, // bytes arrived, but not an acceptable request
};

struct request_head {
    head_status status = head_status::closed;
    std::unique_ptr<request_parser> parser;
    int refusal_status = 400; // 400, 408, 431, 505
    std::string refusal_reason;
    // What the refused request looked like, for its audit record: the first
    // two words of its first line, at most 256 bytes each, when they exist.
    std::string method;
    std::string target;
    bool received_bytes = false; // anything at all arrived for this request
};

// The method and target of a request line, best effort, for the audit
// record of a request that was refused before it could be parsed.
void describe_refused_request(std::string_view data, request_head& head);

// The canonical host a proxy request target names ("http://Host:80/x?q" or
// "host:443"), or "" when it names none that can be read: a refused
// request's record never carries its raw URL, whose query may hold tokens.
std::string host_of_target(std::string_view target);

// `first` selects the deadline for the first byte: header_timeout on a new
// connection, idle_timeout between keep-alive requests. The whole header
// must then arrive within header_timeout (slow-header clients are cut off).
template <class Stream>
task<request_head> read_request_head(Stream& stream, beast::flat_buffer& buffer,
                                     const config::limits_config& limits, bool first) {
    request_head head;
    const request::header_block_limits block_limits{limits.max_header_bytes, limits.max_headers};

    if (buffer.size() == 0) {
        // Nothing pending: an idle keep-alive connection keeps no buffer.
        buffer.shrink_to_fit();
        read_deadline idle(stream, first ? limits.header_timeout : limits.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_nothrow);
        buffer.commit(n);
        if (ec) {
            // A keep-alive connection that stays quiet is simply closed; a
            // new one that never sends a request gets a 408 and a record.
            head.status = idle.expired() && first ? head_status::timeout : head_status::closed;
            co_return head;
        }
    }
    head.received_bytes = true;
    // One deadline for the whole header: a client that sends it a byte at a
    // time is cut off all the same, and still gets its 408.
    read_deadline whole_header(stream, limits.header_timeout);
    std::size_t length = 0;
    for (;;) {
        const std::string_view data(static_cast<const char*>(buffer.data().data()), buffer.size());
        length = request::header_block_length(data);
        if (length != 0)
            break;
        if (buffer.size() > limits.max_header_bytes) {
            describe_refused_request(data, head);
            head.status = head_status::refused;
            head.refusal_status = 431;
            head.refusal_reason = "request header block too large";
            co_return head;
        }
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_nothrow);
        buffer.commit(n);
        if (ec) {
            head.status = whole_header.expired() ? head_status::timeout : head_status::closed;
            if (whole_header.expired())
                describe_refused_request(
                    {static_cast<const char*>(buffer.data().data()), buffer.size()}, head);
            co_return head;
        }
    }

    const std::string_view block(static_cast<const char*>(buffer.data().data()), length);
    if (auto refusal = request::check_request_header_block(block, block_limits)) {
        describe_refused_request(block, head);
        head.status = head_status::refused;
        head.refusal_status = refusal->status;
        head.refusal_reason = std::move(refusal->reason);
        co_return head;
    }
    head.parser = std::make_unique<request_parser>();
    head.parser->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    head.parser->body_limit(boost::none); // blobs are streamed, of any size
    error_code ec;
    const std::size_t used = head.parser->put(asio::buffer(block.data(), block.size()), ec);
    if (ec || !head.parser->is_header_done() || used != length) {
        describe_refused_request(block, head);
        head.status = head_status::refused;
        head.refusal_reason =
            "malformed request header" + (ec ? ": " + ec.message() : std::string());
        co_return head;
    }
    buffer.consume(length);
    head.status = head_status::ok;
    co_return head;
}

} // namespace pullgate::net
