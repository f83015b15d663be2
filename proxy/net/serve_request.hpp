// The decision half of an exchange: route the request to one authority,
// classify it, ask the policy, and either answer locally or hand it to
// forward_exchange. Used by plain-HTTP connections and by tunnels alike, so
// both get exactly the same rules.
#pragma once

#include "auth/basic_credentials.hpp"
#include "net/exchange.hpp"
#include "request/target.hpp"
#include "service/audit_entry.hpp"
#include "service/denial_status.hpp"

namespace pullgate::net {

// The Docker Hub account a token request names: the user of Basic
// credentials (docker login), or the `username` of an OAuth2 password form
// (containerd). The name only; the secret is never read into the record.
inline std::optional<std::string> token_account(std::string_view authorization,
                                                const std::optional<std::string>& form_body) {
    if (auto account = auth::basic_user_name(authorization))
        return std::move(*account);
    if (form_body)
        if (auto form = request::parse_form(*form_body))
            if (const auto names = request::param_values(*form, "username"); !names.empty())
                return std::string(names.front().substr(0, 256));
    return std::nullopt;
}

// Serves one request whose head has been read. Returns whether the
// connection may carry another request.
template <class Client, class Slot>
task<bool> serve_request(proxy_context& px, Client& client, beast::flat_buffer& buffer,
                         const session_info& session, Slot& upstream, request_head head) {
    if (head.status == head_status::closed)
        co_return false;
    const auto rt = px.current();
    const auto& settings = *rt->settings;
    const auto& limits = settings.cfg.limits;
    exchange_record record(px.audit, px.metrics, session);

    if (head.status == head_status::timeout) {
        if (!head.method.empty())
            record.fields().method = head.method;
        if (!session.tunnel)
            record.fields().host = host_of_target(head.target);
        record.refused("limits.header_timeout", "request header timeout",
                       "no complete request header within limits.header_timeout");
        const local_answer answer{408, "TIMEOUT", "pullgate: request header not received in time"};
        co_return co_await answer_locally(client, record, answer, false, false,
                                          limits.header_timeout);
    }
    if (head.status == head_status::refused) {
        if (!head.method.empty())
            record.fields().method = std::move(head.method);
        if (!session.tunnel)
            record.fields().host = host_of_target(head.target);
        record.refused("request.invalid", "malformed request", head.refusal_reason);
        const local_answer answer{head.refusal_status, "UNSUPPORTED",
                                  "pullgate: refused a malformed request: " + head.refusal_reason +
                                      " (rule: request.invalid)"};
        co_return co_await answer_locally(client, record, answer, false, false,
                                          limits.header_timeout);
    }

    auto& parser = *head.parser;
    auto& req = parser.get();
    const bool head_request = req.method() == http::verb::head;
    record.fields().method = std::string(req.method_string());
    if (const auto agent = req[http::field::user_agent]; !agent.empty())
        record.fields().user_agent = std::string(agent.substr(0, 256));
    std::optional<std::string_view> host_header;
    if (req.find(http::field::host) != req.end())
        host_header = req[http::field::host];
    auto route = session.tunnel
                     ? request::route_in_tunnel(*session.tunnel, req.target(), host_header)
                     : request::route_absolute_http(req.target(), host_header);
    if (!route || req.find(http::field::upgrade) != req.end()) {
        const std::string why =
            route ? "protocol upgrades (WebSocket, h2c) are not relayed" : route.error();
        record.fields().host = session.tunnel ? session.tunnel->host : host_of_target(req.target());
        record.refused("request.invalid", "malformed request", why);
        const local_answer answer{400, "UNSUPPORTED",
                                  "pullgate: refused: " + why + " (rule: request.invalid)"};
        co_return co_await answer_locally(client, record, answer, head_request, false,
                                          limits.header_timeout);
    }
    record.fields().host = route->where.host;
    request::http_request_view view{
        req.method_string(), route->where, session.over, route->origin_target, {}};
    std::optional<std::string> form_body;
    if (request::is_token_form_post(view, px.realms)) {
        form_body =
            co_await read_small_body(client, buffer, parser, 64 * 1024, limits.header_timeout);
        if (!form_body) {
            record.refused("request.invalid", "malformed request",
                           "token request body too large or unreadable");
            const local_answer answer{400, "UNSUPPORTED",
                                      "pullgate: token request body too large or unreadable "
                                      "(rule: request.invalid)"};
            co_return co_await answer_locally(client, record, answer, false, false,
                                              limits.header_timeout);
        }
        view.form_body = *form_body;
    }
    const auto info = request::classify(view, px.realms);
    const policy::identity who{session.user};
    hub_lookup::answer hub;
    const bool looking_up = px.hub && settings.cfg.policy.docker_hub.lookup;
    if (looking_up)
        hub.badges = px.hub->cached();
    auto decision = settings.decider.decide(info, who, hub.badges);
    // Only a community verdict can change with a badge: a request that a
    // rule or a configured list decides never waits for Docker Hub.
    if (looking_up && decision.rule == "docker_hub.community") {
        auto unknown = settings.decider.repositories_needing_badges(info);
        if (!unknown.empty()) {
            hub = co_await px.hub->badges_for(rt, std::move(unknown));
            decision = settings.decider.decide(info, who, hub.badges);
        }
    }
    service::describe_request(record.fields(), info);
    service::describe_decision(record.fields(), decision);
    if (decision.image_category == policy::category::community && !hub.note.empty())
        record.fields().reason += " (" + hub.note + ")"; // the record says why it failed closed
    if (info.what == request::kind::token)
        record.fields().hub_user = token_account(req[http::field::authorization], form_body);

    if (decision.blocks()) {
        // A refused request's body is never read: close rather than skip it.
        const bool keep = parser.keep_alive() && parser.is_done() && !px.draining.load();
        const local_answer answer{service::denial_status(decision, info, req.method_string(),
                                                         req[http::field::user_agent]),
                                  decision.error_code, decision.message};
        co_return co_await answer_locally(client, record, answer, head_request, keep,
                                          limits.header_timeout);
    }
    // After the policy: a denied request names its rule; an allowed one
    // may still go only to an allowed port (CONNECTs were checked at once).
    if (!session.tunnel && !settings.port_allowed(route->where, request::scheme::http)) {
        record.refused("upstream.connect_ports", "port not allowed", "port not allowed");
        const local_answer answer{
            403, "DENIED",
            "pullgate: port " + std::to_string(route->where.port) + " of " + route->where.host +
                " is not an allowed destination (rule: upstream.connect_ports)"};
        co_return co_await answer_locally(client, record, answer, head_request, false,
                                          limits.header_timeout);
    }

    const auto failure = co_await upstream.ready(*rt, route->where);
    if (failure) {
        record.refused(failure->rule, failure->summary, failure->reason);
        const local_answer answer{failure->status, "UNAVAILABLE", "pullgate: " + failure->reason};
        co_return co_await answer_locally(client, record, answer, head_request, false,
                                          limits.header_timeout);
    }
    record.fields().upstream = upstream.address();
    co_return co_await forward_exchange(px, client, buffer, parser, *route, info, form_body,
                                        upstream, record, limits);
}

} // namespace pullgate::net
