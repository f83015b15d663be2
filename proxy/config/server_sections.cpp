// The proxy's own side: where it listens, who may use it, its CA, its audit
// log, who its users are.
#include "config/sections.hpp"

#include "request/host.hpp"
#include "request/ip_network.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pullgate::config {
namespace {

// Listener addresses are stored canonical ("[::1]:3128"), so the net layer
// parses exactly what `check` accepted and messages show one spelling.
std::optional<std::string> read_socket_address(yaml_reader& r, const located& n) {
    constexpr std::string_view form = "an IP address and port like 127.0.0.1:3128 or [::1]:3128";
    const auto written = r.text(n, form);
    if (!written)
        return std::nullopt;
    const auto parsed = request::parse_socket_address(*written);
    if (!parsed) {
        r.error(n.mark, fmt::format("{} must be {}, not {} ({})", n.path, form, quote(*written),
                                    parsed.error()));
        return std::nullopt;
    }
    return parsed->to_string();
}

// The realm goes into `Proxy-Authenticate: Basic realm="…"` (RFC 9110
// 11.6.2, quoted-string); refusing quotes, backslashes and control
// characters keeps that header well-formed without escaping.
bool is_header_safe(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'; });
}

std::optional<std::string> read_network(yaml_reader& r, const located& n) {
    constexpr std::string_view form = "a network like 10.0.0.0/8 or an address like 10.1.2.3";
    const auto written = r.text(n, form);
    if (!written)
        return std::nullopt;
    const auto parsed = request::parse_ip_network(*written);
    if (!parsed) {
        r.error(n.mark, fmt::format("{} must be {}, not {} ({})", n.path, form, quote(*written),
                                    parsed.error()));
        return std::nullopt;
    }
    return parsed->to_string();
}

} // namespace

void read_listen(yaml_reader& r, const located& n, std::string& out) {
    assign(out, read_socket_address(r, n));
}

void read_admin(yaml_reader& r, const located& n, std::optional<std::string>& out) {
    if (n.node.IsNull()) {
        out.reset(); // `admin: null`: no admin listener at all
        return;
    }
    if (auto address = read_socket_address(r, n))
        out = std::move(*address);
}

std::optional<std::vector<std::string>> read_networks(yaml_reader& r, const located& n) {
    const auto list = r.items(n);
    if (!list)
        return std::nullopt;
    std::vector<std::string> networks;
    for (const located& item : *list) {
        if (auto network = read_network(r, item))
            networks.push_back(std::move(*network));
    }
    if (networks.size() != list->size())
        return std::nullopt;
    return networks;
}

void read_clients(yaml_reader& r, const located& n, std::vector<std::string>& out) {
    auto networks = read_networks(r, n);
    if (networks && networks->empty())
        r.error(n.mark, fmt::format("{} is empty, so nobody could use the proxy; list at least "
                                    "one network, such as 127.0.0.0/8",
                                    n.path));
    else
        assign(out, std::move(networks));
}

void read_tls(yaml_reader& r, const located& n, tls_config& out) {
    std::optional<YAML::Mark> key_mark;
    r.fields(n, {
                    {"ca_cert",
                     [&](const located& v) {
                         assign(out.ca_cert, r.text(v, "a file path"));
                     }},
                    {"ca_key",
                     [&](const located& v) {
                         key_mark = v.mark;
                         assign(out.ca_key, r.text(v, "a file path"));
                     }},
                });
    // One file for both would make pullgate write the key over the
    // certificate (or serve the key) on first start.
    if (key_mark && out.ca_key == out.ca_cert)
        r.error(*key_mark, fmt::format("tls.ca_key must be a different file from tls.ca_cert ({})",
                                       quote(out.ca_cert)));
}

void read_audit_log(yaml_reader& r, const located& n, std::string& out) {
    assign(out, r.text(n, "\"-\" (standard output) or a file path"));
}

bool read_groups(yaml_reader& r, const located& n, group_map& out) {
    return r.entries(n, [&](const located& name, const located& members) {
        // The group exists even when a member is wrong, so that rules naming
        // it report only the real mistake.
        auto& users = out[name.node.Scalar()];
        assign(users, r.texts(members));
    });
}

void read_auth(yaml_reader& r, const located& n, std::optional<auth_config>& out) {
    if (n.node.IsNull()) {
        out.reset(); // `auth: null`: no proxy authentication
        return;
    }
    auth_config auth;
    bool has_users_file = false;
    const bool is_mapping = r.fields(
        n, {
               {"users_file",
                [&](const located& v) {
                    has_users_file = true;
                    assign(auth.users_file, r.text(v, "a file path"));
                }},
               {"realm",
                [&](const located& v) {
                    const auto realm = r.text(v);
                    if (realm && !is_header_safe(*realm))
                        r.error(v.mark, fmt::format("auth.realm must be printable ASCII without "
                                                    "quotes or backslashes (it is sent in the "
                                                    "Proxy-Authenticate header), not {}",
                                                    quote(*realm)));
                    else
                        assign(auth.realm, realm);
                }},
           });
    if (is_mapping && !has_users_file)
        r.error(n.mark, "auth needs users_file: the file of user names and password hashes "
                        "(see docs/authentication.md)");
    out = std::move(auth);
}

void read_threads(yaml_reader& r, const located& n, unsigned& out) {
    if (auto count = r.integer(n, 0, 256))
        out = static_cast<unsigned>(*count);
}

} // namespace pullgate::config
