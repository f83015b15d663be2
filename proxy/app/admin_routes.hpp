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
};

net::admin_response answer_admin(const net::admin_request& request, const admin_state& state);

} // namespace pullgate::app
