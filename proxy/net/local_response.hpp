// Responses that pullgate writes itself: denials, refusals and upstream
// failures. The message is the OCI error body (so docker, podman and
// skopeo print it) and also the reason phrase (so containerd, and every
// client of a refused CONNECT, shows it). Building them does no I/O.
#pragma once

#include "net/asio.hpp"

#include <string>
#include <string_view>

namespace pullgate::net {

using local_response = http::response<http::string_body>;

// Printable ASCII only, at most 512 characters: a reason phrase must never
// carry CR or LF into the status line.
std::string safe_reason_phrase(std::string_view text);

// `{"errors":[{"code":CODE,"message":MESSAGE}]}` as application/json.
// For a HEAD request the headers announce the body but none is sent.
local_response make_error_response(int status, std::string_view code, std::string_view message,
                                   bool head_request, bool keep_alive);

// Writes a local response with a deadline; false when it could not be
// written (the connection is then closed by the caller).
template <class Stream>
task<bool> send_local_response(Stream& stream, local_response& response,
                               std::chrono::milliseconds timeout) {
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto [ec, n] = co_await http::async_write(stream, response, use_nothrow);
    co_return !ec;
}

} // namespace pullgate::net
