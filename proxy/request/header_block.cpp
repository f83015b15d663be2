#include "request/header_block.hpp"

#include <algorithm>
#include <cctype>

namespace pullgate::request {
namespace {

// tchar (RFC 9110 5.6.2)
bool is_tchar(char c) {
    if (std::isalnum(static_cast<unsigned char>(c)))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

framing_refusal bad(std::string reason) {
    return {400, std::move(reason)};
}

std::optional<framing_refusal> check_request_line(std::string_view line) {
    const auto first = line.find(' ');
    const auto last = line.rfind(' ');
    if (first == std::string_view::npos || first == last)
        return bad("malformed request line");
    const auto method = line.substr(0, first);
    const auto target = line.substr(first + 1, last - first - 1);
    const auto version = line.substr(last + 1);
    if (!is_token(method))
        return bad("malformed request method");
    if (target.empty())
        return bad("empty request target");
    for (const char c : target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f)
            return bad("control, space or non-ASCII character in the request target");
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return framing_refusal{505, "only HTTP/1.0 and HTTP/1.1 are spoken here"};
    return std::nullopt;
}

struct framing_fields {
    int content_length = 0;
    int transfer_encoding = 0;
    int host = 0;
    std::size_t count = 0;
};

std::optional<framing_refusal> check_field_line(std::string_view line, framing_fields& seen) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos)
        return bad("header line without a colon");
    const auto name = line.substr(0, colon);
    if (!is_token(name))
        return bad("malformed header name (whitespace before the colon is not allowed)");
    const auto value = trim_ows(line.substr(colon + 1));
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)
            return bad("control character in a header value");
    }
    ++seen.count;
    if (iequals(name, "content-length")) {
        if (++seen.content_length > 1)
            return bad("more than one Content-Length");
        if (value.empty() || value.size() > 18 ||
            !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return bad("Content-Length is not a plain decimal number");
    } else if (iequals(name, "transfer-encoding")) {
        if (++seen.transfer_encoding > 1)
            return bad("more than one Transfer-Encoding");
        if (!iequals(value, "chunked"))
            return bad("Transfer-Encoding other than chunked");
    } else if (iequals(name, "host")) {
        ++seen.host;
    }
    return std::nullopt;
}

} // namespace

std::size_t header_block_length(std::string_view data) {
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (data[i] != '\n')
            continue;
        // An empty line: LF right after the previous line's LF, optionally
        // with one CR between them.
        if (i >= 1 && data[i - 1] == '\n')
            return i + 1;
        if (i >= 2 && data[i - 1] == '\r' && data[i - 2] == '\n')
            return i + 1;
    }
    return 0;
}

std::optional<framing_refusal> check_request_header_block(std::string_view block,
                                                          const header_block_limits& limits) {
    if (block.size() > limits.max_bytes)
        return framing_refusal{431, "request header block too large"};
    framing_fields seen;
    bool request_line = true;
    bool terminated = false;
    std::size_t start = 0;
    while (start < block.size()) {
        const auto lf = block.find('\n', start);
        if (lf == std::string_view::npos || lf == start || block[lf - 1] != '\r')
            return bad("line not terminated by CRLF");
        const auto line = block.substr(start, lf - 1 - start);
        start = lf + 1;
        if (line.find('\r') != std::string_view::npos)
            return bad("bare CR in the header block");
        if (line.empty()) {
            terminated = true;
            break; // the empty line that ends the block
        }
        if (request_line) {
            if (auto refusal = check_request_line(line))
                return refusal;
            request_line = false;
            continue;
        }
        if (line.front() == ' ' || line.front() == '\t')
            return bad("obsolete line folding");
        if (auto refusal = check_field_line(line, seen))
            return refusal;
        if (seen.count > limits.max_fields)
            return framing_refusal{431, "too many header fields"};
    }
    if (request_line)
        return bad("empty request");
    if (!terminated)
        return bad("header block without the empty line that ends it");
    if (start != block.size())
        return bad("data after the end of the header block");
    if (seen.content_length && seen.transfer_encoding)
        return bad("both Content-Length and Transfer-Encoding");
    // RFC 9112 3.2: an HTTP/1.1 request carries exactly one Host; HTTP/1.0
    // clients (openssl s_client's CONNECT) may leave it out.
    if (seen.host > 1)
        return bad("more than one Host header");
    if (seen.host == 0 && block.find(" HTTP/1.1\r\n") < block.find('\n'))
        return bad("missing Host header");
    return std::nullopt;
}

} // namespace pullgate::request
