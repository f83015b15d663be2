// What the admin listener answers. Pure: takes the request and the state
// it reports on, returns the response.
#pragma once

#include "net/admin_server.hpp"

#include <functional>
#include <string>

namespace pullgate::app {

struct admin_state {
    std::function<bool()> ready; // configuration and CA loaded, listener up, not draining
    std::string ca_pem;
    std::function<std::string()> metrics; // Prometheus exposition
    // The PAC file for a client that fetched it from `host` (Host header).
    std::function<std::string(std::string_view host)> pac;
};

net::admin_response answer_admin(const net::admin_request& request, const admin_state& state);

} // namespace pullgate::app
