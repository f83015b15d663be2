#include "net/exchange.hpp"

#include "net/request_head.hpp"
#include "request/proxy_target.hpp"

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

void describe_refused_request(std::string_view data, request_head& head) {
    const auto line = data.substr(0, data.find_first_of("\r\n"));
    const auto first_space = line.find(' ');
    head.method = std::string(line.substr(0, std::min<std::size_t>(first_space, 256)));
    if (first_space == std::string_view::npos)
        return;
    const auto rest = line.substr(first_space + 1);
    head.target = std::string(rest.substr(0, std::min<std::size_t>(rest.find(' '), 256)));
}

std::optional<local_answer> body_refusal(const relay_result& sent) {
    if (sent.status == relay_status::read_timeout)
        return local_answer{408, "TIMEOUT",
                            "pullgate: request body not received in time "
                            "(rule: limits.upstream_timeout)"};
    if (sent.error.category() == http::make_error_code(http::error::bad_chunk).category())
        return local_answer{400, "UNSUPPORTED",
                            "pullgate: malformed request body: " + sent.error.message() +
                                " (rule: request.invalid)"};
    return std::nullopt;
}

std::string host_of_target(std::string_view target) {
    if (auto routed = request::route_absolute_http(target, std::nullopt))
        return routed->where.host;
    if (auto where = request::parse_connect_authority(target))
        return where->host;
    return {};
}

} // namespace pullgate::net
