// The proxy's Prometheus metrics (issue 6, "Metrics and health"): what the
// transport counts as it works, and the text a /metrics scrape returns.
// No I/O and no Asio: the transport calls in, the admin listener serves
// exposition(). Every method is safe to call from any thread; counting
// touches atomics only (labelled requests also take a short per-shard map
// look-up, see counter_family.hpp).
#pragma once

#include "audit/record.hpp"
#include "metrics/counter_family.hpp"
#include "metrics/exposition.hpp"
#include "metrics/histogram.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace pullgate::metrics {

// Label values for a record's null fields. A null category (not a Docker
// Hub image) is "none", the policy's own name for it, never a Docker Hub
// badge. A null registry (the request named no registry) is "_none", which
// no canonical host can be (host names have no underscore).
inline constexpr std::string_view no_category = "none";
inline constexpr std::string_view no_registry = "_none";

enum class direction { upstream, client }; // where relayed body bytes go
enum class peer { client, upstream };      // which side a connection is to

struct certificate_cache_counts {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
};

struct registry_options {
    std::string version;                              // pullgate_build_info{version}
    std::chrono::system_clock::time_point start_time; // process_start_time_seconds
    std::size_t max_series_per_family = 2000;         // see counter_family.hpp
};

class registry;

// Counts a connection open for its lifetime: opened on construction,
// closed on destruction, whichever way a coroutine leaves.
class connection_gauge {
public:
    connection_gauge(registry& r, peer p);
    connection_gauge(connection_gauge&& other) noexcept;
    connection_gauge& operator=(connection_gauge&&) = delete;
    ~connection_gauge();

private:
    registry* registry_;
    peer peer_;
};

class registry {
public:
    explicit registry(registry_options options);
    registry(const registry&) = delete;
    registry& operator=(const registry&) = delete;

    // Once per audit record written: pullgate_requests_total{registry, kind,
    // action, category, decision, enforced} and, by record.bytes,
    // pullgate_response_bytes_total{registry}.
    void observe_request(const audit::record& r);

    // Body bytes relayed: pullgate_relayed_bytes_total{direction}.
    void add_relayed_bytes(direction d, std::uint64_t n);

    // pullgate_client_connections and pullgate_upstream_connections.
    void connection_opened(peer p);
    void connection_closed(peer p);
    [[nodiscard]] connection_gauge track_connection(peer p) { return {*this, p}; }

    // pullgate_tls_handshake_seconds: a completed TLS handshake with a client.
    void observe_tls_handshake(std::chrono::duration<double> elapsed);
    // pullgate_upstream_connect_seconds: TCP connect and TLS handshake to an
    // upstream, together.
    void observe_upstream_connect(std::chrono::duration<double> elapsed);

    // pullgate_config_reloads_total{outcome="success"|"failure"}: one per
    // reload attempt after start-up.
    void config_reload(bool ok);

    // Scrape-time sources, set at start-up. Both are called during
    // exposition(), from the scraping thread, and must not call back in.
    // The cache counts (pullgate_certificate_cache_{hits,misses}_total) read
    // zero until a source is set.
    void set_certificate_cache(std::function<certificate_cache_counts()> read);
    // Families of other modules; each collector writes whole families
    // (family() before samples) under names no other family uses.
    void add_collector(std::function<void(exposition_writer&)> collect);

    // The whole text, format 0.0.4; serve it with `content_type`.
    std::string exposition() const;

private:
    void write_traffic(exposition_writer& w) const;
    void write_connections(exposition_writer& w) const;
    void write_scraped(exposition_writer& w) const;

    registry_options options_;
    counter_family requests_;
    counter_family response_bytes_;
    std::atomic<std::uint64_t> relayed_to_upstream_{0};
    std::atomic<std::uint64_t> relayed_to_client_{0};
    std::atomic<std::int64_t> client_connections_{0};
    std::atomic<std::int64_t> upstream_connections_{0};
    histogram tls_handshake_{latency_buckets};
    histogram upstream_connect_{latency_buckets};
    std::atomic<std::uint64_t> reloads_succeeded_{0};
    std::atomic<std::uint64_t> reloads_failed_{0};

    mutable std::mutex sources_mutex_; // set at start-up, read per scrape
    std::function<certificate_cache_counts()> certificate_cache_;
    std::vector<std::function<void(exposition_writer&)>> collectors_;
};

} // namespace pullgate::metrics
