#include "service/audit_entry.hpp"

namespace pullgate::service {
namespace {

std::optional<std::string> unless_empty(const std::string& s) {
    if (s.empty())
        return std::nullopt;
    return s;
}

} // namespace

void describe_request(audit::record& r, const request::request_info& info) {
    r.registry = unless_empty(info.registry);
    r.kind = std::string(request::to_string(info.what));
    r.action = std::string(request::to_string(info.act));
    r.repository = unless_empty(info.repository);
    r.reference = unless_empty(info.reference);
    r.image = unless_empty(info.image());
}

void describe_decision(audit::record& r, const policy::decision& d) {
    // A request that touches several repositories is recorded under the
    // one that decided it, so that the record never says "library/alpine
    // was denied as a community image" when randomuser/tool was.
    if (!d.repository.empty() && r.repository != d.repository) {
        r.repository = d.repository;
        r.reference = unless_empty(d.reference);
        r.image = r.registry.value_or("") + "/" + d.repository;
        if (!d.reference.empty())
            *r.image += (d.reference.find(':') != std::string::npos ? "@" : ":") + d.reference;
    }
    r.decision = std::string(policy::to_string(d.outcome));
    r.enforced = d.enforced;
    r.rule = d.rule;
    r.reason = d.reason;
    r.category = unless_empty(std::string(policy::to_string(d.image_category)));
}

} // namespace pullgate::service
