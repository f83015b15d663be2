// The decision half of an exchange: route the request to one authority,
// classify it, ask the policy, and either answer locally or hand it to
// forward_exchange. Used by plain-HTTP connections and by tunnels alike, so
// both get exactly the same rules.
#pragma once

#include "net/exchange.hpp"
#include "auth/basic_credentials.hpp"
#include "service/audit_entry.hpp"
#include "service/denial_status.hpp"

namespace pullgate::net {

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
        record.refused("limits.header_timeout", "request header timeout",
                       "no complete request header within limits.header_timeout");
        co_return co_await answer_locally(client, record, 408, "TIMEOUT",
                                          "pullgate: request header not received in time", false,
                                          false, limits.header_timeout);
    }
    if (head.status == head_status::refused) {
        record.fields().method = std::move(head.method);
        if (!session.tunnel)
            record.fields().host = std::move(head.target);
        record.refused("request.invalid", "malformed request", head.refusal_reason);
        co_return co_await answer_locally(client, record, head.refusal_status, "UNSUPPORTED",
                                          "pullgate: refused a malformed request: " +
                                              head.refusal_reason + " (rule: request.invalid)",
                                          false, false, limits.header_timeout);
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
    auto route = session.tunnel ? request::route_in_tunnel(*session.tunnel, req.target(), host_header)
                                : request::route_absolute_http(req.target(), host_header);
    if (!route || req.find(http::field::upgrade) != req.end()) {
        const std::string why = route ? "protocol upgrades (WebSocket, h2c) are not relayed"
                                      : route.error();
        record.fields().host = session.tunnel ? session.tunnel->host
                                              : std::string(host_header.value_or(""));
        record.refused("request.invalid", "malformed request", why);
        co_return co_await answer_locally(client, record, 400, "UNSUPPORTED",
                                          "pullgate: refused: " + why + " (rule: request.invalid)",
                                          head_request, false, limits.header_timeout);
    }
    record.fields().host = route->where.host;
    if (!session.tunnel && !settings.plain_http_ports.contains(route->where.port)) {
        record.refused("upstream.connect_ports", "port not allowed", "port not allowed");
        co_return co_await answer_locally(
            client, record, 403, "DENIED",
            "pullgate: port " + std::to_string(route->where.port) +
                " is not an allowed destination port (rule: upstream.connect_ports)",
            head_request, false, limits.header_timeout);
    }

    request::http_request_view view{req.method_string(), route->where, session.over,
                                    route->origin_target, {}};
    std::optional<std::string> form_body;
    if (request::is_token_form_post(view, px.realms)) {
        form_body = co_await read_small_body(client, buffer, parser, 64 * 1024, limits.header_timeout);
        if (!form_body) {
            record.refused("request.invalid", "malformed request",
                           "token request body too large or unreadable");
            co_return co_await answer_locally(client, record, 400, "UNSUPPORTED",
                                              "pullgate: token request body too large or "
                                              "unreadable (rule: request.invalid)",
                                              false, false, limits.header_timeout);
        }
        view.form_body = *form_body;
    }
    const auto info = request::classify(view, px.realms);
    hub_lookup::answer hub;
    if (px.hub && settings.cfg.policy.docker_hub.lookup) {
        auto unknown = settings.decider.repositories_needing_badges(info);
        if (!unknown.empty())
            hub = co_await px.hub->badges_for(rt, std::move(unknown));
    }
    const auto decision = settings.decider.decide(info, policy::identity{session.user}, hub.badges);
    service::describe_request(record.fields(), info);
    service::describe_decision(record.fields(), decision);
    if (decision.image_category == policy::category::community && !hub.note.empty())
        record.fields().reason += " (" + hub.note + ")"; // the record says why it failed closed
    if (info.what == request::kind::token) {
        // The Docker Hub account a login names: the user name only, never
        // the secret (the header itself is never logged).
        if (auto account = auth::basic_user_name(req[http::field::authorization]))
            record.fields().hub_user = std::move(*account);
    }

    if (decision.blocks()) {
        // A refused request's body is never read: close rather than skip it.
        const bool keep = parser.keep_alive() && parser.is_done() && !px.draining.load();
        const int status = service::denial_status(decision, info, req.method_string(),
                                                  req[http::field::user_agent]);
        co_return co_await answer_locally(client, record, status, decision.error_code,
                                          decision.message, head_request, keep,
                                          limits.header_timeout);
    }
    if (auto failure = co_await upstream.ready(*rt, route->where)) {
        record.refused(failure->rule, failure->summary, failure->reason);
        co_return co_await answer_locally(client, record, failure->status, "UNAVAILABLE",
                                          "pullgate: " + failure->reason, head_request, false,
                                          limits.header_timeout);
    }
    record.fields().upstream = upstream.address();
    co_return co_await forward_exchange(px, client, buffer, parser, *route, info, form_body,
                                        upstream, record, limits);
}

} // namespace pullgate::net
