#include "net/exchange.hpp"

namespace pullgate::net {

// How the response body goes to the client (RFC 9112 6.3). A body that the
// upstream ends by closing is re-chunked for HTTP/1.1 clients so their
// connection can stay open; HTTP/1.0 clients get it delimited by close.
framing response_framing(const http::response_parser<http::buffer_body>& parser, bool head_request,
                         unsigned client_version) {
    if (head_request || parser.is_done() || parser.content_length())
        return framing::length;
    if (client_version >= 11)
        return framing::chunked;
    return framing::until_close;
}

} // namespace pullgate::net
