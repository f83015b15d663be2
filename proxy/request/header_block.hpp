// Strict checks on the raw bytes of a request header block, made before
// Beast parses it. Beast is lenient where a proxy must not be: it unfolds
// obsolete line folding and accepts comma lists in Content-Length. A proxy
// that reads a request differently from the server behind it can be made
// to smuggle a second, undecided request (RFC 9112 section 11.2), so every
// ambiguous framing is refused here instead.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pullgate::request {

struct header_block_limits {
    std::size_t max_bytes = 16 * 1024;
    std::size_t max_fields = 100;
};

struct framing_refusal {
    int status; // 400, 431, 505
    std::string reason;
};

// Length of the header block at the start of `data` (through the empty
// line), 0 when it is not complete yet. A bare LF ends a line too, so that
// a block using bare LFs is found (and then refused) instead of waiting.
std::size_t header_block_length(std::string_view data);

// Checks a complete request header block:
// - request line: token SP target SP "HTTP/1.1" or "HTTP/1.0", nothing else;
// - every line ends in CRLF: no bare CR or LF (RFC 9112 2.2);
// - no obsolete line folding (RFC 9112 5.2);
// - field names are tokens followed directly by ':' (RFC 9112 5.1);
// - field values hold no control characters;
// - at most one Content-Length, plain digits; at most one Transfer-Encoding,
//   exactly "chunked", never together with Content-Length (RFC 9112 6.1,
//   6.3); exactly one Host in HTTP/1.1, at most one in HTTP/1.0;
// - size and field count within `limits` (431 when over).
std::optional<framing_refusal> check_request_header_block(std::string_view block,
                                                          const header_block_limits& limits);

} // namespace pullgate::request
