// The raw header-block checks refuse every ambiguous framing a smuggler
// would use, and accept what real clients send.
#include "request/header_block.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace pullgate::request;

namespace {

std::optional<framing_refusal> check(const std::string& block, header_block_limits limits = {}) {
    return check_request_header_block(block, limits);
}

} // namespace

TEST_CASE("requests real clients send are accepted") {
    const std::string rows[] = {
        "GET /v2/ HTTP/1.1\r\nHost: registry-1.docker.io\r\nUser-Agent: docker/20.10\r\n\r\n",
        "HEAD /v2/library/alpine/manifests/3.19 HTTP/1.1\r\nHost: r\r\nAccept: a, b\r\n\r\n",
        "CONNECT ghcr.io:443 HTTP/1.1\r\nHost: ghcr.io:443\r\n\r\n",
        "PATCH /v2/a/blobs/uploads/x HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n",
        "PUT /v2/a/manifests/t HTTP/1.1\r\nHost: r\r\nContent-Length: 12\r\n\r\n",
        "GET http://plain.test/v2/ HTTP/1.0\r\nHost: plain.test\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: r\r\nX-Empty:\r\nX-Tab:\tv\r\n\r\n",
        // openssl s_client -proxy: HTTP/1.0 may leave Host out (RFC 9112 3.2)
        "CONNECT registry-1.docker.io:443 HTTP/1.0\r\nProxy-Connection: Keep-Alive\r\n\r\n",
    };
    for (const auto& block : rows) {
        CAPTURE(block);
        CHECK_FALSE(check(block).has_value());
    }
}

TEST_CASE("smuggling-prone framings are refused with 400") {
    struct row {
        std::string block;
        std::string why;
    };
    const row rows[] = {
        {"GET / HTTP/1.1\r\nHost: r\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
         "both Content-Length and Transfer-Encoding"},
        {"GET / HTTP/1.1\r\nHost: r\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
         "more than one Content-Length"},
        {"GET / HTTP/1.1\r\nHost: r\r\nContent-Length: 5, 5\r\n\r\n", "plain decimal"},
        {"GET / HTTP/1.1\r\nHost: r\r\nContent-Length: +5\r\n\r\n", "plain decimal"},
        {"GET / HTTP/1.1\r\nHost: r\r\nContent-Length: 0x10\r\n\r\n", "plain decimal"},
        {"GET / HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
         "other than chunked"},
        {"GET / HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
         "chunked\r\n\r\n",
         "more than one Transfer-Encoding"},
        {"GET / HTTP/1.1\r\nHost: r\r\nTransfer-Encoding : chunked\r\n\r\n",
         "malformed header name"},
        {"GET / HTTP/1.1\r\nHost: r\r\nX-A: 1\r\n folded\r\n\r\n", "obsolete line folding"},
        {"GET / HTTP/1.1\nHost: r\n\n", "CRLF"},
        {"GET / HTTP/1.1\r\nHost: r\nX: y\r\n\r\n", "CRLF"},
        {"GET / HTTP/1.1\r\nHost: r\rX: y\r\n\r\n", "bare CR"},
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "more than one Host"},
        {"GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n", "missing Host"},
        {"GET / HTTP/1.1\r\nX: HTTP/1.0\r\n\r\n", "missing Host"},
        {"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", "more than one Host"},
        {"GET  / HTTP/1.1\r\nHost: r\r\n\r\n", "request"},
        {"GET /a b HTTP/1.1\r\nHost: r\r\n\r\n", "request"},
        {"GET /\x01 HTTP/1.1\r\nHost: r\r\n\r\n", "control"},
        {"G(T / HTTP/1.1\r\nHost: r\r\n\r\n", "method"},
        {"GET / HTTP/1.1\r\nHost: r\r\nX: a\x01b\r\n\r\n", "control character"},
        {"GET / HTTP/1.1\r\nHost: r\r\nNoColon\r\n\r\n", "colon"},
        {"\r\n", "empty request"},
        {"GET / HTTP/1.1\r\nHost: r\r\n", "without the empty line"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.block);
        const auto refusal = check(r.block);
        REQUIRE(refusal.has_value());
        CHECK(refusal->status == 400);
        CHECK(refusal->reason.find(r.why) != std::string::npos);
    }
}

TEST_CASE("versions other than HTTP/1.0 and 1.1 get 505, HTTP/2's preface included") {
    for (const std::string block : {"PRI * HTTP/2.0\r\n\r\n", "GET / HTTP/0.9\r\nHost: r\r\n\r\n",
                                    "GET / HTTP/1.2\r\nHost: r\r\n\r\n"}) {
        CAPTURE(block);
        const auto refusal = check(block);
        REQUIRE(refusal.has_value());
        CHECK(refusal->status == 505);
    }
}

TEST_CASE("oversized blocks and too many fields get 431") {
    std::string many = "GET / HTTP/1.1\r\nHost: r\r\n";
    for (int i = 0; i < 101; ++i)
        many += "X-" + std::to_string(i) + ": v\r\n";
    many += "\r\n";
    REQUIRE(check(many).has_value());
    CHECK(check(many)->status == 431);
    const std::string big = "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: r\r\n\r\n";
    REQUIRE(check(big).has_value());
    CHECK(check(big)->status == 431);
    CHECK_FALSE(check(big, {32 * 1024, 100}).has_value());
}

TEST_CASE("the end of a header block is found with CRLF or bare LF line ends") {
    CHECK(header_block_length("GET / HTTP/1.1\r\nHost: r\r\n\r\nBODY") == 27);
    CHECK(header_block_length("GET / HTTP/1.1\nHost: r\n\nBODY") == 24);
    CHECK(header_block_length("GET / HTTP/1.1\r\nHost: r\r\n") == 0);
    CHECK(header_block_length("") == 0);
    CHECK(header_block_length("\r\n") == 0);
}
