// Fills the policy half of an audit record from what a request means and
// what the policy decided; the transport fills in client, status, bytes
// and timing.
#pragma once

#include "audit/record.hpp"
#include "policy/decision.hpp"
#include "request/request_info.hpp"

namespace pullgate::service {

void describe_request(audit::record& r, const request::request_info& info);
void describe_decision(audit::record& r, const policy::decision& d);

} // namespace pullgate::service
