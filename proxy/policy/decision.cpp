#include "policy/decision.hpp"

namespace pullgate::policy {

std::string_view to_string(verdict v) {
    switch (v) {
    case verdict::allow:
        return "allow";
    case verdict::deny:
        return "deny";
    }
    return "deny";
}

std::string_view to_string(category c) {
    switch (c) {
    case category::none:
        return "";
    case category::official:
        return "official";
    case category::verified_publisher:
        return "verified_publisher";
    case category::sponsored_oss:
        return "sponsored_oss";
    case category::organization:
        return "organization";
    case category::community:
        return "community";
    }
    return "";
}

} // namespace pullgate::policy
