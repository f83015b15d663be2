// Fuzzes configuration loading (config/load.hpp) on arbitrary YAML text,
// then, for a configuration that loads, policy compilation
// (policy/policy.hpp) and decisions on a fixed set of requests.
//
// Input: the YAML text of a configuration file.
#include "fuzz_support.hpp"

#include "config/load.hpp"
#include "policy/message.hpp"
#include "policy/policy.hpp"
#include "request/classify.hpp"
#include "request/host.hpp"
#include "request/ip_network.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace pullgate;
using request::kind;

namespace {

constexpr std::string_view file_name = "fuzz.yaml";

// Requests of every kind, classified as serve would classify them.
const std::vector<request::request_info>& fixed_requests() {
    static const std::vector<request::request_info> requests = [] {
        struct call {
            const char* method;
            const char* where;
            request::scheme over;
            const char* target;
        };
        const std::string digest = "sha256:" + std::string(64, 'a');
        const std::string pull = "/v2/library/alpine/manifests/3.19";
        const call calls[] = {
            {"GET", "registry-1.docker.io:443", request::scheme::https, "/v2/"},
            {"GET", "registry-1.docker.io:443", request::scheme::https,
             "/v2/library/alpine/manifests/latest"},
            {"HEAD", "registry-1.docker.io:443", request::scheme::https,
             "/v2/randomuser/tool/manifests/1.0"},
            {"GET", "registry-1.docker.io:443", request::scheme::https,
             "/v2/bitnami/redis/tags/list"},
            {"GET", "auth.docker.io:443", request::scheme::https,
             "/token?service=registry.docker.io&scope=repository:acme/"
             "app:pull,push&scope=repository:jenkins/jenkins:pull"},
            {"PUT", "ghcr.io:443", request::scheme::https, "/v2/acme/app/manifests/v1"},
            {"POST", "ghcr.io:443", request::scheme::https,
             "/v2/acme/app/blobs/uploads/"
             "?mount=sha256:0000000000000000000000000000000000000000000000000000000000000000&from="
             "other/app"},
            {"GET", "quay.io:443", request::scheme::https, "/v2/coreos/etcd/manifests/v3.5"},
            {"GET", "localhost:5000", request::scheme::http, "/v2/team/tool/manifests/dev"},
            {"GET", "registry.example.com:443", request::scheme::https,
             "/v2/legacy/app/blobs/"
             "sha256:0000000000000000000000000000000000000000000000000000000000000000"},
            {"GET", "production.cloudflare.docker.com:443", request::scheme::https,
             "/registry-v2/docker/registry/v2/blobs/x"},
            {"PUT", "production.cloudflare.docker.com:443", request::scheme::https, "/upload"},
            {"GET", "example.org:443", request::scheme::https, "/index.html"},
            {"GET", "registry-1.docker.io:443", request::scheme::https,
             "/v2/%2e%2e/library/alpine/manifests/latest"},
        };
        request::token_realms realms;
        std::vector<request::request_info> out;
        for (const auto& c : calls) {
            const auto where = request::parse_connect_authority(c.where);
            FUZZ_CHECK(where.ok());
            out.push_back(request::classify({c.method, *where, c.over, c.target, {}}, realms));
        }
        request::request_info connect;
        connect.what = kind::connect;
        connect.host = "quay.io";
        connect.registry = "quay.io";
        out.push_back(connect);
        return out;
    }();
    return requests;
}

// A diagnostic is one line in a terminal: `pullgate check` prints it as
// FILE:LINE:COL: message, and a control byte from the file (a newline, an
// escape sequence) must not forge another line.
void check_diagnostic(const config::diagnostic& d, bool from_compile) {
    FUZZ_CHECK(d.line >= 0 && d.column >= 0);
    FUZZ_CHECK_AT(!d.message.empty(), d.to_string());
    if (!from_compile) {
        FUZZ_CHECK(d.file == file_name);
        FUZZ_CHECK(d.to_string().starts_with(std::string(file_name) + ":"));
    }
    // to_string() is what `pullgate check` and the log print.
    const std::string printed = d.to_string();
    for (const char c : printed)
        FUZZ_CHECK_AT(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, printed);
}

template <class Parse> bool is_canonical(const std::string& text, Parse parse) {
    const auto parsed = parse(text);
    return parsed && parsed->to_string() == text;
}

void check_values(const config::config& c) {
    const auto socket = [](std::string_view t) {
        return request::parse_socket_address(t);
    };
    const auto network = [](std::string_view t) {
        return request::parse_ip_network(t);
    };
    const auto connect = [](std::string_view t) {
        return request::parse_connect_authority(t);
    };
    FUZZ_CHECK(is_canonical(c.listen, socket));
    if (c.admin)
        FUZZ_CHECK(is_canonical(*c.admin, socket));
    FUZZ_CHECK(!c.clients.empty());
    for (const auto& n : c.clients)
        FUZZ_CHECK(is_canonical(n, network));
    for (const auto& n : c.upstream.allow_private_networks)
        FUZZ_CHECK(is_canonical(n, network));
    for (const auto& [from, to] : c.upstream.resolve) {
        FUZZ_CHECK(is_canonical(from, connect));
        FUZZ_CHECK(is_canonical(to, socket));
    }
    for (const auto port : c.upstream.connect_ports)
        FUZZ_CHECK(port != 0);
    const auto& l = c.limits;
    for (const auto d : {l.connect_timeout, l.handshake_timeout, l.header_timeout, l.idle_timeout,
                         l.upstream_timeout, l.drain})
        FUZZ_CHECK(d.count() > 0);
    if (c.auth)
        FUZZ_CHECK(!c.auth->users_file.empty() && fuzz::is_printable_ascii(c.auth->realm) &&
                   c.auth->realm.find_first_of("\"\\") == std::string::npos);
}

void check_decisions(const policy::policy& p, const config::policy_config& settings) {
    for (const auto& request : fixed_requests()) {
        for (const policy::identity& who : {policy::identity{}, policy::identity{"alice"}}) {
            const policy::decision d = p.decide(request, who);
            FUZZ_CHECK(!d.rule.empty());
            if (request.invalid)
                FUZZ_CHECK(d.blocks() && d.status == 400 && d.error_code == "NAME_INVALID");
            if (request.what == kind::connect)
                FUZZ_CHECK(d.outcome == policy::verdict::allow);
            // RAM is absolute: no rule allows an unlisted registry.
            if (!request.invalid && request.what != kind::other && request.what != kind::connect &&
                !p.is_listed_registry(request.registry))
                FUZZ_CHECK(d.outcome == policy::verdict::deny && d.rule == "registries");
            if (d.outcome == policy::verdict::allow)
                continue;
            FUZZ_CHECK_AT(fuzz::is_printable_ascii(d.message), d.message);
            FUZZ_CHECK_AT(d.message.size() <= policy::message::max_length, d.message);
            FUZZ_CHECK_AT(d.message.starts_with("pullgate: ") && d.message.ends_with(")"),
                          d.message);
            FUZZ_CHECK(d.status == 400 || d.status == 403);
            // Audit mode only clears `enforced`, and never for an invalid request.
            if (settings.mode == config::enforcement_mode::audit && !request.invalid)
                FUZZ_CHECK(!d.enforced);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::as_text(data, size);
    const auto loaded = config::parse_config(text, file_name);
    bool has_error = false;
    for (const auto& d : loaded.diagnostics) {
        check_diagnostic(d, false);
        has_error = has_error || d.level == config::severity::error;
    }
    FUZZ_CHECK(loaded.value.has_value() == !has_error);
    // Duration and size spellings, on the text as a whole.
    if (const auto ms = config::parse_duration(text))
        FUZZ_CHECK(ms->count() >= 0 &&
                   text.find_first_not_of("0123456789hms") == std::string_view::npos);
    if (config::parse_size(text))
        FUZZ_CHECK(!text.empty() && text.front() >= '0' && text.front() <= '9');
    if (!loaded.value)
        return 0;
    check_values(*loaded.value);

    std::vector<config::diagnostic> diagnostics;
    const auto compiled =
        policy::policy::compile(loaded.value->policy, loaded.value->groups, diagnostics);
    for (const auto& d : diagnostics)
        check_diagnostic(d, true);
    const bool compile_error =
        std::any_of(diagnostics.begin(), diagnostics.end(),
                    [](const auto& d) { return d.level == config::severity::error; });
    FUZZ_CHECK(compiled.has_value() == !compile_error);
    if (compiled)
        check_decisions(*compiled, loaded.value->policy);
    return 0;
}
