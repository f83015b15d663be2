// One request and its response, from the client's header to the last byte
// of the upstream's body: read, route, classify, decide, then either answer
// locally or forward and relay. Every request that arrives ends in exactly
// one audit record.
#pragma once

#include "net/body_relay.hpp"
#include "net/exchange_record.hpp"
#include "net/headers.hpp"
#include "net/local_response.hpp"
#include "net/proxy_context.hpp"
#include "net/request_head.hpp"
#include "net/session_info.hpp"
#include "request/classify.hpp"
#include "request/proxy_target.hpp"

#include <optional>
#include <string>

namespace pullgate::net {

// Reads a small request body whole (OAuth2 token forms); nothing when it is
// larger than `limit` or cannot be read.
template <class Stream>
task<std::optional<std::string>> read_small_body(Stream& stream, beast::flat_buffer& buffer,
                                                 request_parser& parser, std::size_t limit,
                                                 std::chrono::milliseconds timeout) {
    std::string body;
    char chunk[4096];
    while (!parser.is_done()) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof chunk;
        beast::get_lowest_layer(stream).expires_after(timeout);
        auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, use_nothrow);
        if (ec && ec != http::error::need_buffer)
            co_return std::nullopt;
        body.append(chunk, sizeof chunk - parser.get().body().size);
        if (body.size() > limit)
            co_return std::nullopt;
    }
    co_return body;
}

// What pullgate answers by itself. Built as a named value before any
// co_await: GCC 12 can destroy a temporary twice when it is part of a
// co_await expression (a double free seen here with a conditional
// operator), so no co_await in net/ takes a temporary string.
struct local_answer {
    int status;
    std::string code;
    std::string message;
};

// Answers locally and finishes the record. Returns whether the connection
// may carry another request.
template <class Client>
task<bool> answer_locally(Client& client, exchange_record& record, const local_answer& answer,
                          bool head_request, bool keep_alive, std::chrono::milliseconds timeout) {
    const int status = answer.status;
    auto response =
        make_error_response(status, answer.code, answer.message, head_request, keep_alive);
    const bool sent = co_await send_local_response(client, response, timeout);
    record.finish(status, response.body().size());
    co_return keep_alive&& sent;
}

// Reads the upstream's final response header, skipping interim 1xx
// responses (the client's Expect was answered by pullgate itself).
template <class Upstream>
task<error_code>
read_response_head(Upstream& upstream, beast::flat_buffer& buffer,
                   std::unique_ptr<http::response_parser<http::buffer_body>>& parser,
                   bool head_request, std::chrono::milliseconds timeout) {
    for (;;) {
        parser = std::make_unique<http::response_parser<http::buffer_body>>();
        parser->body_limit(boost::none);
        parser->header_limit(64 * 1024);
        parser->skip(head_request);
        beast::get_lowest_layer(upstream).expires_after(timeout);
        auto [ec, n] = co_await http::async_read_header(upstream, buffer, *parser, use_nothrow);
        if (ec)
            co_return ec;
        const unsigned status = parser->get().result_int();
        if (status == 101)
            co_return http::error::bad_status; // we never forward Upgrade
        if (status >= 200 || status < 100)
            co_return error_code{};
    }
}

framing response_framing(const http::response_parser<http::buffer_body>& parser, bool head_request,
                         unsigned client_version);

// The answer to a client whose request body failed: 408 when it stopped
// sending, 400 when what it sent does not parse (a bad chunk size, say),
// nothing when it broke the connection off.
std::optional<local_answer> body_refusal(const relay_result& sent);

template <class Client, class Slot>
task<bool> forward_exchange(proxy_context& px, Client& client, beast::flat_buffer& buffer,
                            request_parser& parser, const request::routed_target& route,
                            const request::request_info& info,
                            const std::optional<std::string>& form_body, Slot& upstream,
                            exchange_record& record, const config::limits_config& limits) {
    auto& req = parser.get();
    const bool head_request = req.method() == http::verb::head;
    const bool client_keep_alive = parser.keep_alive() && !px.draining.load();

    http::request<http::buffer_body> out{req.base()};
    strip_hop_by_hop(out);
    add_via(out);
    out.target(route.origin_target);
    out.version(11);
    framing request_framing = framing::length;
    if (form_body) {
        out.content_length(form_body->size());
    } else if (parser.chunked()) {
        out.chunked(true);
        request_framing = framing::chunked;
    }
    const bool body_follows = !parser.is_done() && !form_body;
    if (body_follows && beast::iequals(req[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        beast::get_lowest_layer(client).expires_after(limits.upstream_timeout);
        auto [ec, n] = co_await http::async_write(client, go_on, use_nothrow);
        if (ec)
            co_return record.fail_closed(0, "client went away before sending the body");
    }

    auto& up = upstream.stream();
    http::request_serializer<http::buffer_body> request_writer{out};
    beast::get_lowest_layer(up).expires_after(limits.upstream_timeout);
    auto [head_error, head_bytes] =
        co_await http::async_write_header(up, request_writer, use_nothrow);
    error_code send_error = head_error;
    if (!send_error && form_body) {
        beast::get_lowest_layer(up).expires_after(limits.upstream_timeout);
        std::tie(send_error, std::ignore) =
            co_await asio::async_write(up, asio::buffer(*form_body), use_nothrow);
        px.metrics.add_relayed_bytes(metrics::direction::upstream, form_body->size());
    } else if (!send_error && body_follows) {
        const auto sent = co_await relay_body(client, buffer, parser, up, request_framing,
                                              limits.upstream_timeout);
        px.metrics.add_relayed_bytes(metrics::direction::upstream, sent.bytes);
        if (sent.status == relay_status::read_failed || sent.status == relay_status::read_timeout) {
            // The client's fault, not the upstream's: the half-sent request
            // dies with the upstream connection, and the client is told why
            // when its connection can still carry an answer.
            upstream.discard();
            const auto answer = body_refusal(sent);
            if (!answer)
                co_return record.fail_closed(0, "client stopped sending the request body: " +
                                                    sent.error.message());
            const bool stalled = sent.status == relay_status::read_timeout;
            record.refused(stalled ? "limits.upstream_timeout" : "request.invalid",
                           stalled ? "request body timeout" : "malformed request",
                           stalled
                               ? "client stopped sending the request body "
                                 "(limits.upstream_timeout)"
                               : "client sent a malformed request body: " + sent.error.message());
            co_return co_await answer_locally(client, record, *answer, false, false,
                                              limits.header_timeout);
        }
        send_error = sent.error;
    }
    if (send_error) {
        upstream.discard();
        const local_answer answer{502, "UNAVAILABLE",
                                  "pullgate: cannot send the request to " +
                                      route.where.to_string() + ": " + send_error.message()};
        co_return co_await answer_locally(client, record, answer, head_request, false,
                                          limits.upstream_timeout);
    }

    std::unique_ptr<http::response_parser<http::buffer_body>> response_parser;
    const auto read_error = co_await read_response_head(up, upstream.buffer(), response_parser,
                                                        head_request, limits.upstream_timeout);
    if (read_error) {
        upstream.discard();
        const bool timed_out = read_error == beast::error::timeout;
        record.refused("upstream", timed_out ? "upstream timeout" : "upstream response invalid",
                       read_error.message());
        std::string message = "pullgate: " + route.where.to_string();
        message += timed_out ? " did not answer in time"
                             : " sent no valid response: " + read_error.message();
        const local_answer answer{timed_out ? 504 : 502, "UNAVAILABLE", std::move(message)};
        co_return co_await answer_locally(client, record, answer, head_request, false,
                                          limits.upstream_timeout);
    }

    auto& response = response_parser->get();
    // A registry names its token realm in the 401 of any /v2/ request, not
    // only the ping: containerd never pings, its first 401 answers a
    // manifest HEAD.
    if (response.result_int() == 401 && info.what != request::kind::other &&
        info.what != request::kind::token && !info.invalid)
        for (auto it = response.find(http::field::www_authenticate);
             it != response.end() && it->name() == http::field::www_authenticate; ++it)
            px.realms.learn(info.registry, it->value());

    const framing body_framing = response_framing(*response_parser, head_request, req.version());
    const bool keep_client = client_keep_alive && body_framing != framing::until_close;
    http::response<http::buffer_body> reply{response.base()};
    strip_hop_by_hop(reply);
    add_via(reply);
    reply.version(req.version() == 10 ? 10 : 11);
    if (body_framing == framing::chunked)
        reply.chunked(true);
    reply.keep_alive(keep_client);

    http::response_serializer<http::buffer_body> reply_writer{reply};
    beast::get_lowest_layer(client).expires_after(limits.upstream_timeout);
    auto [reply_error, reply_head] =
        co_await http::async_write_header(client, reply_writer, use_nothrow);
    if (reply_error) {
        upstream.discard();
        co_return record.fail_closed(response.result_int(),
                                     "client went away: " + reply_error.message());
    }
    relay_result relayed;
    if (!response_parser->is_done())
        relayed = co_await relay_body(up, upstream.buffer(), *response_parser, client, body_framing,
                                      limits.upstream_timeout);
    px.metrics.add_relayed_bytes(metrics::direction::client, relayed.bytes);
    if (relayed.status != relay_status::done || !response_parser->keep_alive())
        upstream.discard();
    if (relayed.status != relay_status::done) {
        record.error("response body interrupted: " + relayed.error.message());
        record.finish(response.result_int(), relayed.bytes);
        co_return false;
    }
    record.finish(response.result_int(), relayed.bytes);
    co_return keep_client;
}

} // namespace pullgate::net
