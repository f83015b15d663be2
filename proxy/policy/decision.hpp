// A decision is a value (house style rule 2): what the policy says about one
// request, with everything the deny response and the audit record need.
#pragma once

#include <string>
#include <string_view>

namespace pullgate::policy {

enum class verdict { allow, deny };

// SPEC audit field `category`; none is JSON null.
enum class category { none, official, verified_publisher, sponsored_oss, organization, community };

std::string_view to_string(verdict v);
std::string_view to_string(category c); // "" for none

struct decision {
    verdict outcome = verdict::deny;
    // False when the request goes through although the policy denies it
    // (policy.mode audit, or a rule whose action is audit).
    bool enforced = true;
    // SPEC `rule`: "registries", "rules[2]" or the rule's name,
    // "docker_hub.community", "other_hosts", "request.invalid", "default".
    std::string rule;
    std::string reason;  // short: "community image"
    std::string message; // for a denial: "pullgate: …", one ASCII line
    category image_category = category::none;
    // The repository the decision is about (and its tag or digest, when
    // the access names one): for a request that touches several (a
    // cross-repository mount, a token request with several scopes), the
    // one that decided. Empty when no repository decided.
    std::string repository;
    std::string reference;
    // For a denial: the status and OCI error code to answer with
    // (403 DENIED; 400 NAME_INVALID for a non-canonical request).
    int status = 403;
    std::string error_code = "DENIED";

    // The request is answered by pullgate instead of being forwarded.
    bool blocks() const { return outcome == verdict::deny && enforced; }
};

} // namespace pullgate::policy
