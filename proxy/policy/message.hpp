// The words of a denial (SPEC "Deny response"). The same text is the OCI
// error message, the HTTP reason phrase and the CONNECT refusal, so it must
// be one line of printable ASCII: docker, containerd and every proxy client
// show it to the person who typed the command.
#pragma once

#include "config/config.hpp"
#include "policy/decision.hpp"
#include "request/request_info.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pullgate::policy::message {

// Upper bound on a whole message, well inside any client's line limit.
inline constexpr std::size_t max_length = 400;
// A rule id (a rule's configured name) is cut to this in a message.
inline constexpr std::size_t max_rule_length = 100;

// Every byte outside 0x20..0x7e becomes '?', so neither CR/LF (response
// splitting) nor control or non-ASCII bytes reach a status line.
std::string printable(std::string_view text);

// "pullgate: TEXT (rule: RULE)", printable, at most max_length: the text is
// cut (ending in "...") so that the rule is always named.
std::string compose(std::string_view text, std::string_view rule);

// "a", "a and b", "a, b and c".
std::string join_and(const std::vector<std::string>& items);

// The texts below go into compose(); `image` is the access's
// "registry/repository[:tag|@digest]".

// "registry quay.io is not an approved registry; this organization allows
// docker.io, ghcr.io", or "push to registry quay.io is not allowed; …".
std::string registry_not_listed(std::string_view registry, request::action act,
                                const std::vector<std::string>& listed);
// "host example.com is not an allowed destination"
std::string host_not_allowed(std::string_view host);
// "docker.io/randomuser/tool is a community image; this organization allows
// official, verified publisher, sponsored open source and its own images
// from Docker Hub", or for the other categories "… is a Docker Official
// Image; this organization does not allow Docker Official Images".
std::string hub_category_denied(std::string_view image, category c,
                                const config::docker_hub_config& hub);
// "IMAGE is denied: REASON", or "IMAGE is denied by this organization's
// policy" without a reason.
std::string rule_denied(std::string_view image, std::string_view reason);
// "refused a request that is not canonical: WHY"
std::string not_canonical(std::string_view why);

} // namespace pullgate::policy::message
