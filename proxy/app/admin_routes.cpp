#include "app/admin_routes.hpp"

#include "metrics/exposition.hpp"

namespace pullgate::app {
namespace {

namespace http = net::http;

net::admin_response text(http::status status, std::string body,
                         std::string_view type = "text/plain; charset=utf-8") {
    net::admin_response response{status, 11};
    response.set(http::field::content_type, type);
    response.body() = std::move(body);
    return response;
}

} // namespace

net::admin_response answer_admin(const net::admin_request& request, const admin_state& state) {
    if (request.method() != http::verb::get && request.method() != http::verb::head)
        return text(http::status::method_not_allowed, "only GET and HEAD\n");
    auto path = std::string_view(request.target());
    path = path.substr(0, path.find('?'));
    if (path == "/healthz")
        return text(http::status::ok, "ok\n");
    if (path == "/readyz")
        return state.ready() ? text(http::status::ok, "ready\n")
                             : text(http::status::service_unavailable, "not ready\n");
    if (path == "/ca.crt")
        return text(http::status::ok, state.ca_pem, "application/x-pem-file");
    if (path == "/metrics")
        return text(http::status::ok, state.metrics(), metrics::content_type);
    if (path == "/proxy.pac")
        return text(http::status::ok, state.pac(request[http::field::host]),
                    "application/x-ns-proxy-autoconfig");
    return text(http::status::not_found, "not found\n");
}

} // namespace pullgate::app
