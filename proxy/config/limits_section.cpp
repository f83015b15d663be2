// limits: timeouts, header sizes and connection caps. Every one has a safe
// default (config.hpp); they exist so an operator can tune, never so that a
// limit can be switched off, hence positive values only.
#include "config/sections.hpp"

#include <fmt/format.h>

namespace pullgate::config {
namespace {

// Counts above this are typos, not capacity plans.
constexpr std::uint64_t max_count = 1'000'000'000;

void read_count(yaml_reader& r, const located& n, std::size_t& out) {
    if (auto count = r.integer(n, 1, max_count))
        out = static_cast<std::size_t>(*count);
}

} // namespace

void read_limits(yaml_reader& r, const located& n, limits_config& out) {
    std::optional<YAML::Mark> per_client_mark;
    auto duration = [&](milliseconds& target) {
        return [&r, &target](const located& v) {
            assign(target, r.duration(v));
        };
    };
    auto count = [&](std::size_t& target) {
        return [&r, &target](const located& v) {
            read_count(r, v, target);
        };
    };
    r.fields(n, {
                    {"connect_timeout", duration(out.connect_timeout)},
                    {"handshake_timeout", duration(out.handshake_timeout)},
                    {"header_timeout", duration(out.header_timeout)},
                    {"idle_timeout", duration(out.idle_timeout)},
                    {"upstream_timeout", duration(out.upstream_timeout)},
                    {"drain", duration(out.drain)},
                    {"upstream_idle_timeout", duration(out.upstream_idle_timeout)},
                    // A request line plus headers below 1 KiB cannot carry a
                    // registry token; above 1 MiB it is an attack on memory.
                    {"max_header_bytes",
                     [&](const located& v) {
                         assign(out.max_header_bytes, r.size(v, 1024, 1024 * 1024));
                     }},
                    {"max_headers", count(out.max_headers)},
                    {"max_connections", count(out.max_connections)},
                    {"max_connections_per_client",
                     [&](const located& v) {
                         per_client_mark = v.mark;
                         read_count(r, v, out.max_connections_per_client);
                     }},
                    {"certificate_cache", count(out.certificate_cache)},
                });
    if (per_client_mark && out.max_connections_per_client > out.max_connections)
        r.warning(*per_client_mark,
                  fmt::format("limits.max_connections_per_client ({}) is above "
                              "limits.max_connections ({}), so it never applies",
                              out.max_connections_per_client, out.max_connections));
}

} // namespace pullgate::config
