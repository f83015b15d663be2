#include "net/proxy_auth.hpp"

#include "auth/basic_credentials.hpp"
#include "log/log.hpp"
#include "net/local_response.hpp"
#include "request/proxy_target.hpp"
#include "request/registry.hpp"

#include <boost/asio/post.hpp>

namespace pullgate::net {

task<auth_check> check_proxy_auth(proxy_context& px, const runtime& rt,
                                  std::string_view proxy_authorization) {
    auth_check out;
    if (!rt.proxy_auth) {
        out.allowed = true;
        co_return out;
    }
    const std::string header(proxy_authorization);
    auto io_executor = co_await asio::this_coro::executor;
    // Hop to the verification pool and back: the coroutine resumes on the
    // I/O thread before it touches its connection again.
    co_await asio::post(px.auth_pool, asio::use_awaitable);
    const auto result = rt.proxy_auth->authenticate(header);
    co_await asio::post(io_executor, asio::use_awaitable);
    out.allowed = result.outcome == auth::authentication::status::ok;
    if (out.allowed)
        out.user = result.user;
    out.reason = result.reason;
    co_return out;
}

task<bool> refuse_proxy_auth(proxy_context& px, beast::tcp_stream& client,
                             const session_info& session, const http::request_header<>& request,
                             bool keep_alive, const auth_check& check) {
    const auto rt = px.current();
    exchange_record record(px.audit, px.metrics, session);
    record.fields().method = std::string(request.method_string());
    // The host only, canonical when it can be read: a plain-HTTP request's
    // URL may carry tokens in its query, which never go into the log.
    const bool connect = request.method() == http::verb::connect;
    std::optional<request::authority> where;
    if (connect) {
        if (auto a = request::parse_connect_authority(request.target()))
            where = std::move(*a);
    } else if (auto routed = request::route_absolute_http(request.target(), std::nullopt)) {
        where = std::move(routed->where);
    }
    if (where) {
        record.fields().host = where->host;
        record.fields().registry = request::registry_name(*where, connect ? request::scheme::https
                                                                          : request::scheme::http);
    }
    if (const auto agent = request[http::field::user_agent]; !agent.empty())
        record.fields().user_agent = std::string(agent.substr(0, 256));
    record.fields().kind = request.method() == http::verb::connect ? "connect" : "other";
    record.refused("auth", "proxy authentication required", check.reason);
    log::info("proxy authentication refused for {}: {}", session.client, check.reason);
    auto response = make_error_response(407, "UNAUTHORIZED",
                                        "pullgate: proxy authentication required (rule: auth)",
                                        request.method() == http::verb::head, keep_alive);
    response.set(
        http::field::proxy_authenticate,
        auth::basic_challenge(rt->settings->cfg.auth ? rt->settings->cfg.auth->realm : "pullgate"));
    const bool sent =
        co_await send_local_response(client, response, rt->settings->cfg.limits.header_timeout);
    record.finish(407, response.body().size());
    co_return sent&& keep_alive;
}

} // namespace pullgate::net
