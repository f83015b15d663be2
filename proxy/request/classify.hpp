// Classifies one HTTP request against the OCI distribution API v1.1
// (https://github.com/opencontainers/distribution-spec/blob/main/spec.md,
// "Endpoints" table) and the registry token protocols.
#pragma once

#include "request/host.hpp"
#include "request/registry.hpp"
#include "request/request_info.hpp"
#include "request/token_realms.hpp"

#include <string_view>

namespace pullgate::request {

struct http_request_view {
    std::string_view method; // as sent, e.g. "GET"
    authority where;         // canonical upstream host and port
    scheme over = scheme::https;
    std::string_view target; // origin-form: path and optional query
    // The request body when it is an OAuth2 token form (POST /token with
    // application/x-www-form-urlencoded): its `scope` field is decided.
    std::string_view form_body;
};

// Total: every input gives a request_info; a request that cannot be
// understood for certain is marked invalid rather than guessed at.
request_info classify(const http_request_view& request, const token_realms& realms);

// True for a POST to a token realm: its body is an OAuth2 form whose
// `scope` field classify() must see, so the net layer reads that (small)
// body into form_body before classifying.
bool is_token_form_post(const http_request_view& request, const token_realms& realms);

} // namespace pullgate::request
