#include "metrics/metrics.hpp"

#include <utility>

namespace pullgate::metrics {

connection_gauge::connection_gauge(registry& r, peer p) : registry_(&r), peer_(p) {
    registry_->connection_opened(peer_);
}

connection_gauge::connection_gauge(connection_gauge&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)), peer_(other.peer_) {
}

connection_gauge::~connection_gauge() {
    if (registry_ != nullptr)
        registry_->connection_closed(peer_);
}

registry::registry(registry_options options)
    : options_(std::move(options)),
      requests_({"registry", "kind", "action", "category", "decision", "enforced"},
                options_.max_series_per_family),
      response_bytes_({"registry"}, options_.max_series_per_family) {
}

void registry::observe_request(const audit::record& r) {
    const std::string_view registry_value =
        r.registry ? std::string_view(*r.registry) : no_registry;
    const std::string_view category = r.category ? std::string_view(*r.category) : no_category;
    const std::string_view enforced = r.enforced ? "true" : "false";
    // In the order of the family's label names (see the constructor).
    const std::string_view labels[] = {registry_value, r.kind,     r.action,
                                       category,       r.decision, enforced};
    requests_.add(labels, 1);
    const std::string_view registry_only[] = {registry_value};
    response_bytes_.add(registry_only, r.bytes);
}

void registry::add_relayed_bytes(direction d, std::uint64_t n) {
    auto& counter = d == direction::upstream ? relayed_to_upstream_ : relayed_to_client_;
    counter.fetch_add(n, std::memory_order_relaxed);
}

void registry::connection_opened(peer p) {
    auto& gauge = p == peer::client ? client_connections_ : upstream_connections_;
    gauge.fetch_add(1, std::memory_order_relaxed);
}

void registry::connection_closed(peer p) {
    auto& gauge = p == peer::client ? client_connections_ : upstream_connections_;
    gauge.fetch_sub(1, std::memory_order_relaxed);
}

void registry::observe_tls_handshake(std::chrono::duration<double> elapsed) {
    tls_handshake_.observe(elapsed.count());
}

void registry::observe_upstream_connect(std::chrono::duration<double> elapsed) {
    upstream_connect_.observe(elapsed.count());
}

void registry::config_reload(bool ok) {
    (ok ? reloads_succeeded_ : reloads_failed_).fetch_add(1, std::memory_order_relaxed);
}

void registry::set_certificate_cache(std::function<certificate_cache_counts()> read) {
    const std::lock_guard lock(sources_mutex_);
    certificate_cache_ = std::move(read);
}

void registry::add_collector(std::function<void(exposition_writer&)> collect) {
    const std::lock_guard lock(sources_mutex_);
    collectors_.push_back(std::move(collect));
}

// The families in a fixed order, so that a scrape reads like the previous one.
std::string registry::exposition() const {
    exposition_writer w;
    const label version[] = {{"version", options_.version}};
    w.family("pullgate_build_info", metric_type::gauge,
             "Always 1; the version label names the running build.");
    w.sample("pullgate_build_info", version, std::uint64_t{1});
    // Milliseconds divided once, so that the text reads "1796396645.123",
    // not the nearest double to a nanosecond count.
    const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(
        options_.start_time.time_since_epoch());
    w.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch.",
            static_cast<double>(since_epoch.count()) / 1000.0);
    write_traffic(w);
    write_connections(w);
    write_scraped(w);
    return w.take();
}

void registry::write_traffic(exposition_writer& w) const {
    requests_.write(w, "pullgate_requests_total",
                    "Requests by registry, kind, action, category, decision and whether the "
                    "decision was enforced; one per audit record.");
    response_bytes_.write(w, "pullgate_response_bytes_total",
                          "Response body bytes sent to clients, by registry.");
    w.family("pullgate_relayed_bytes_total", metric_type::counter,
             "Body bytes relayed, by direction: to the upstream or to the client.");
    const label to_upstream[] = {{"direction", "upstream"}};
    const label to_client[] = {{"direction", "client"}};
    w.sample("pullgate_relayed_bytes_total", to_upstream,
             relayed_to_upstream_.load(std::memory_order_relaxed));
    w.sample("pullgate_relayed_bytes_total", to_client,
             relayed_to_client_.load(std::memory_order_relaxed));

    w.family("pullgate_config_reloads_total", metric_type::counter,
             "Configuration reloads after start-up, by outcome.");
    const label success[] = {{"outcome", "success"}};
    const label failure[] = {{"outcome", "failure"}};
    w.sample("pullgate_config_reloads_total", success,
             reloads_succeeded_.load(std::memory_order_relaxed));
    w.sample("pullgate_config_reloads_total", failure,
             reloads_failed_.load(std::memory_order_relaxed));
}

void registry::write_connections(exposition_writer& w) const {
    w.gauge("pullgate_client_connections", "Client connections open now.",
            client_connections_.load(std::memory_order_relaxed));
    w.gauge("pullgate_upstream_connections", "Upstream connections open now.",
            upstream_connections_.load(std::memory_order_relaxed));
    tls_handshake_.write(w, "pullgate_tls_handshake_seconds",
                         "Time to complete TLS handshakes with clients.");
    upstream_connect_.write(w, "pullgate_upstream_connect_seconds",
                            "Time to connect to an upstream: TCP connect and TLS handshake.");
}

void registry::write_scraped(exposition_writer& w) const {
    const std::lock_guard lock(sources_mutex_);
    const certificate_cache_counts cache =
        certificate_cache_ ? certificate_cache_() : certificate_cache_counts{};
    w.counter("pullgate_certificate_cache_hits_total", "Leaf certificates served from the cache.",
              cache.hits);
    w.counter("pullgate_certificate_cache_misses_total",
              "Leaf certificates minted because the cache had none or an expiring one.",
              cache.misses);
    for (const auto& collect : collectors_)
        collect(w);
}

} // namespace pullgate::metrics
