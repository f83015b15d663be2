// `pullgate serve`: start-up, signals, reload, drain.
#include "app/admin_routes.hpp"
#include "app/commands.hpp"
#include "app/config_source.hpp"
#include "auth/users_file.hpp"
#include "log/log.hpp"
#include "net/server.hpp"
#include "net/tls_contexts.hpp"
#include "service/pac_file.hpp"
#include "tls/ca.hpp"
#include "version.hpp"

#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>

namespace pullgate::app {
namespace {

namespace asio = net::asio;

net::tcp::endpoint to_endpoint(const std::string& text) {
    const auto address = request::parse_socket_address(text);
    return {asio::ip::make_address(address->host), address->port};
}

// Throws std::runtime_error naming the file when upstream.ca_file or the
// users file cannot be loaded: the whole configuration is then rejected.
std::shared_ptr<const net::runtime> make_runtime(std::shared_ptr<const service::settings> s) {
    auto upstream_tls = net::make_upstream_context(s->cfg.upstream.ca_file);
    std::shared_ptr<auth::verifier> proxy_auth;
    if (s->cfg.auth) {
        auto users = auth::load_users_file(s->cfg.auth->users_file);
        if (!users)
            throw std::runtime_error("cannot use auth.users_file: " + users.error());
        for (const auto& warning : users->warnings)
            log::warning("{}", warning);
        log::info("proxy authentication on: {} users from {}", users->users.size(),
                  s->cfg.auth->users_file);
        proxy_auth = std::make_shared<auth::verifier>(std::move(*users));
    }
    static std::atomic<std::uint64_t> loads{0};
    return std::make_shared<const net::runtime>(
        net::runtime{std::move(s), std::move(upstream_tls), std::move(proxy_auth), ++loads});
}

void log_diagnostics(const std::vector<config::diagnostic>& diagnostics) {
    for (const auto& d : diagnostics) {
        if (d.level == config::severity::error)
            log::error("{}", d.to_string());
        else
            log::warning("{}", d.to_string());
    }
}

// Settings that only take effect at start.
void warn_about_restart_only_changes(const config::config& before, const config::config& after) {
    if (before.listen != after.listen || before.admin != after.admin ||
        before.threads != after.threads || before.audit_log != after.audit_log ||
        before.tls.ca_cert != after.tls.ca_cert || before.tls.ca_key != after.tls.ca_key)
        log::warning("listen, admin, threads, audit_log and tls changes take effect only after a "
                     "restart; the rest of the new configuration is in force");
}

class reloader {
public:
    reloader(std::optional<std::string> path, net::proxy_context& px)
        : path_(std::move(path)), px_(px) {}

    void reload() {
        const bool ok = try_reload();
        px_.metrics.config_reload(ok);
    }

private:
    bool try_reload() {
        auto loaded = load_settings(path_);
        log_diagnostics(loaded.diagnostics);
        if (!loaded.settings) {
            log::error("configuration reload from {} rejected; the previous configuration stays "
                       "in force",
                       loaded.label);
            return false;
        }
        try {
            auto next = make_runtime(loaded.settings);
            warn_about_restart_only_changes(px_.current()->settings->cfg, loaded.settings->cfg);
            px_.replace(std::move(next));
            log::info("configuration reloaded from {}", loaded.label);
            return true;
        } catch (const std::exception& e) {
            log::error("configuration reload rejected: {}; the previous configuration stays in "
                       "force",
                       e.what());
            return false;
        }
    }

    std::optional<std::string> path_;
    net::proxy_context& px_;
};

void announce_ca(const std::string& cert_path, bool created, X509* cert) {
    log::info("{} organization CA {} (SHA-256 {})", created ? "created" : "loaded", cert_path,
              tls::sha256_fingerprint(cert));
    if (created)
        log::info("clients must trust {} before pulling through pullgate: Docker Desktop on "
                  "macOS and Windows uses the system store (see certs/README.md); on Linux copy it "
                  "to /usr/local/share/ca-certificates/pullgate.crt and run update-ca-certificates",
                  cert_path);
}

} // namespace

int serve_command(const std::optional<std::string>& config_path) {
    std::signal(SIGPIPE, SIG_IGN);
    auto loaded = load_settings(config_path);
    log_diagnostics(loaded.diagnostics);
    if (!loaded.settings) {
        log::error("{}: invalid configuration; nothing started (run `pullgate check` for details)",
                   loaded.label);
        return 1;
    }
    const auto& cfg = loaded.settings->cfg;
    auto ca = tls::load_or_create_ca(cfg.tls.ca_cert, cfg.tls.ca_key);
    announce_ca(cfg.tls.ca_cert, ca.created, ca.ca.cert.get());
    const std::string ca_pem = tls::certificate_pem(ca.ca.cert.get());
    tls::leaf_cache leaves(std::make_shared<tls::certificate_authority>(std::move(ca.ca)),
                           cfg.limits.certificate_cache);
    auto client_tls = net::make_client_facing_context();
    audit::sink audit(cfg.audit_log);
    metrics::registry metrics({version, std::chrono::system_clock::now()});
    metrics.set_certificate_cache([&leaves] {
        return metrics::certificate_cache_counts{leaves.hits(), leaves.misses()};
    });
    asio::thread_pool auth_pool(2);
    net::proxy_context px(make_runtime(loaded.settings), leaves, *client_tls, audit, metrics,
                          auth_pool);
    net::hub_lookup hub(metrics, auth_pool);
    px.hub = &hub;
    if (const auto& lookup = cfg.policy.docker_hub.lookup) {
        log::info("Docker Hub badge look-ups on: {} (ttl {} s, timeout {} ms)", lookup->url,
                  std::chrono::duration_cast<std::chrono::seconds>(lookup->ttl).count(),
                  lookup->timeout.count());
        if (lookup->cache_file)
            log::info("{}", hub.load_cache_file(*lookup->cache_file));
    }

    net::server server(px, cfg.threads);
    server.listen(to_endpoint(cfg.listen));
    if (cfg.admin) {
        admin_state state{[&] { return server.listening() && !px.draining.load(); }, ca_pem,
                          [&] { return metrics.exposition(); },
                          [&](std::string_view host) {
                              const auto settings = px.current()->settings;
                              return service::make_pac_file(
                                  settings->cfg.policy,
                                  service::advertised_proxy(settings->cfg.listen, host));
                          }};
        server.listen_admin(to_endpoint(*cfg.admin), [state](const net::admin_request& r) {
            return answer_admin(r, state);
        });
    }

    reloader reload(config_path, px);
    asio::signal_set signals(server.main_context(), SIGHUP, SIGUSR1, SIGTERM);
    signals.add(SIGINT);
    std::function<void(const net::error_code&, int)> on_signal = [&](const net::error_code& ec,
                                                                     int signal) {
        if (ec)
            return;
        if (signal == SIGHUP) {
            reload.reload();
        } else if (signal == SIGUSR1) {
            audit.reopen();
        } else {
            const auto limit = px.current()->settings->cfg.limits.drain;
            log::info("{} received: draining for at most {} ms",
                      signal == SIGTERM ? "SIGTERM" : "SIGINT", limit.count());
            server.drain(limit);
            return; // a second signal is not needed: the drain ends the process
        }
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);

    log::info("pullgate {} listening on {} (admin {}), {} registries, policy mode {}, audit log {}",
              version, cfg.listen, cfg.admin.value_or("off"),
              loaded.settings->decider.registries().size(),
              cfg.policy.mode == config::enforcement_mode::enforce ? "enforce" : "audit",
              cfg.audit_log == "-" ? "stdout" : cfg.audit_log);
    server.run();
    audit.flush();
    log::info("stopped");
    return 0;
}

} // namespace pullgate::app
