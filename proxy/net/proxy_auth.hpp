// Proxy authentication (Basic, RFC 7617 with RFC 9110 11.7.1): every
// CONNECT and every plain-HTTP request carries Proxy-Authorization when
// `auth` is configured. Verification runs scrypt, tens of milliseconds on a
// cache miss, so it runs on a small pool of its own, never on an I/O
// thread that other connections are waiting for.
#pragma once

#include "net/exchange_record.hpp"
#include "net/proxy_context.hpp"

#include <optional>
#include <string>

namespace pullgate::net {

struct auth_check {
    bool allowed = false;
    std::optional<std::string> user;
    std::string reason; // for the operator's log; never a secret
};

// Always allowed when `rt` has no proxy authentication.
task<auth_check> check_proxy_auth(proxy_context& px, const runtime& rt,
                                  std::string_view proxy_authorization);

// 407 with Proxy-Authenticate and the record. Returns whether the
// connection may carry another request (the client retries with
// credentials on it).
task<bool> refuse_proxy_auth(proxy_context& px, beast::tcp_stream& client,
                             const session_info& session, const http::request_header<>& request,
                             bool keep_alive, const auth_check& check);

} // namespace pullgate::net
