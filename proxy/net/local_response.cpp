#include "net/local_response.hpp"

#include "audit/json.hpp"
#include "version.hpp"

namespace pullgate::net {

std::string safe_reason_phrase(std::string_view text) {
    std::string out;
    out.reserve(std::min<std::size_t>(text.size(), 512));
    for (const char c : text) {
        if (out.size() == 512)
            break;
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
    }
    return out;
}

local_response make_error_response(int status, std::string_view code, std::string_view message,
                                   bool head_request, bool keep_alive) {
    std::string body = "{\"errors\":[{\"code\":";
    audit::append_json_string(body, code);
    body += ",\"message\":";
    audit::append_json_string(body, message);
    body += "}]}\n";

    local_response response{static_cast<http::status>(status), 11};
    response.reason(safe_reason_phrase(message));
    response.set(http::field::server, std::string("pullgate/") + version);
    response.set(http::field::content_type, "application/json");
    response.set("Docker-Distribution-API-Version", "registry/2.0");
    response.keep_alive(keep_alive);
    response.content_length(body.size());
    if (!head_request)
        response.body() = std::move(body);
    return response;
}

} // namespace pullgate::net
