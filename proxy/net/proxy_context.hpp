// What every connection shares: the current settings snapshot, the TLS
// contexts, the leaf cache, learned token realms, the audit sink and the
// counters. Owned by the server; connections hold a reference.
#pragma once

#include "audit/sink.hpp"
#include "auth/verifier.hpp"
#include "metrics/metrics.hpp"
#include "net/asio.hpp"
#include "net/connection_limits.hpp"
#include "net/hub_lookup.hpp"
#include "request/token_realms.hpp"
#include "service/settings.hpp"
#include "tls/leaf_cache.hpp"

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstdint>
#include <memory>

namespace pullgate::net {

// A settings snapshot with the upstream TLS context built from it
// (upstream.ca_file can change on reload).
struct runtime {
    std::shared_ptr<const service::settings> settings;
    std::shared_ptr<ssl::context> upstream_tls;
    std::shared_ptr<auth::verifier> proxy_auth; // null when `auth` is not configured
    // Which configuration load this is (1, 2, ...): pooled upstream
    // connections are reused only under the load that made them, so a
    // reload's new trust or `upstream.resolve` applies to the next tunnel.
    std::uint64_t generation = 0;
};

class proxy_context {
public:
    proxy_context(std::shared_ptr<const runtime> initial, tls::leaf_cache& leaves,
                  ssl::context& client_tls, audit::sink& audit, metrics::registry& metrics,
                  asio::thread_pool& auth_pool)
        : leaves(leaves), client_tls(client_tls), audit(audit), metrics(metrics),
          auth_pool(auth_pool), current_(std::move(initial)) {}

    std::shared_ptr<const runtime> current() const { return current_.load(); }
    void replace(std::shared_ptr<const runtime> next) { current_.store(std::move(next)); }

    tls::leaf_cache& leaves;
    ssl::context& client_tls; // the server side of intercepted tunnels
    audit::sink& audit;
    metrics::registry& metrics;
    asio::thread_pool& auth_pool; // password verification, off the I/O threads
    hub_lookup* hub = nullptr;    // Docker Hub badge look-ups, when configured
    request::token_realms realms;
    connection_limits connections;
    std::atomic<bool> draining{false};

private:
    std::atomic<std::shared_ptr<const runtime>> current_;
};

} // namespace pullgate::net
