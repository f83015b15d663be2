// Docker Hub's own word on a namespace: the badge its search API shows
// (docker_hub.lookup). A cache with a time to live, persisted across
// restarts as JSON, and the parser of the search answer. No I/O here: the
// transport fetches (net/hub_lookup), this decides what the bytes mean.
#pragma once

#include "policy/decision.hpp"
#include "policy/policy.hpp"
#include "util/result.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pullgate::service {

using wall_clock = std::chrono::system_clock;

// The category Docker Hub's search API (GET /api/search/v4?query=NS/REPO)
// gives `repository`'s namespace: the `badge` of the result named
// `repository`, else of the first result in its namespace. "official",
// "verified_publisher" and "open_source" map to those categories; no
// badge, or no matching result, is community. Refused when the body is not
// the JSON the API sends.
result<policy::category> parse_hub_search(std::string_view json, std::string_view repository);

// The query URL for `repository` under the configured base URL.
std::string hub_search_target(std::string_view base_path, std::string_view repository);

class badge_cache {
public:
    // Entries found and still fresh; `now` is passed in for the tests.
    std::optional<policy::category> find(std::string_view name_space,
                                         wall_clock::time_point now) const;
    void store(const std::string& name_space, policy::category c, wall_clock::time_point expires);
    policy::badge_map snapshot(wall_clock::time_point now) const;

    // {"NAMESPACE": {"category": "verified_publisher", "expires": "2026-…Z"}}
    std::string to_json(wall_clock::time_point now) const;
    // Merges a file written by to_json; expired and malformed entries are
    // skipped. Refused when the text is not a JSON object.
    result<std::size_t> load_json(std::string_view text, wall_clock::time_point now);
    std::size_t size() const;

private:
    struct entry {
        policy::category category;
        wall_clock::time_point expires;
    };
    mutable std::mutex mutex_;
    std::map<std::string, entry, std::less<>> entries_;
};

} // namespace pullgate::service
