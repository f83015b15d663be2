// Docker Hub badge look-ups (docker_hub.lookup): asks Docker Hub's search
// API which badge a namespace carries, caches the answer per namespace for
// lookup.ttl, persists the cache to lookup.cache_file, and never holds a
// request longer than lookup.timeout. A namespace whose badge is not known
// in time is community for that request: the decision fails closed, and
// the look-up goes on in the background so that the next request knows.
#pragma once

#include "net/asio.hpp"
#include "service/hub_badges.hpp"

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pullgate::metrics {
class registry;
}

namespace pullgate::net {

struct runtime;

class hub_lookup {
public:
    // `blocking` runs the cache-file writes.
    hub_lookup(metrics::registry& metrics, asio::thread_pool& blocking);

    // Loads a cache file written earlier; a missing file is fine. Returns a
    // line for the log.
    std::string load_cache_file(const std::string& path);

    struct answer {
        policy::badge_map badges;
        std::string note; // why some namespace's badge is unknown, or ""
    };
    // Badges for the namespaces of `repositories`, waiting at most
    // lookup.timeout for the ones not cached. A namespace whose look-up
    // failed less than `retry_after` ago is not asked again (Docker Hub
    // being down must not cost every request the whole timeout). `rt` must
    // configure a lookup.
    task<answer> badges_for(std::shared_ptr<const runtime> rt,
                            std::vector<std::string> repositories);

    // What is known now, without waiting.
    policy::badge_map cached() const;

    static constexpr std::chrono::seconds retry_after{30};

private:
    using waker = std::function<void()>;
    task<void> fetch(std::shared_ptr<const runtime> rt, std::string repository);
    void finish(const std::string& name_space, std::string error);
    void save_soon(std::shared_ptr<const runtime> rt);

    metrics::registry& metrics_;
    asio::thread_pool& blocking_;
    service::badge_cache cache_;
    mutable std::mutex mutex_;
    std::map<std::string, std::vector<waker>> in_flight_; // namespace -> waiting requests
    struct failure {
        std::string why;
        std::chrono::steady_clock::time_point when;
    };
    std::map<std::string, failure> last_error_; // namespace -> why its last look-up failed
    std::atomic<bool> save_pending_{false};
};

} // namespace pullgate::net
