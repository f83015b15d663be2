// The configuration as values (SPEC "Configuration"). Loaded and validated
// by load.hpp; read by everything else. Nothing here does I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pullgate::config {

using std::chrono::milliseconds;

// Where a value came from, for messages that point at the file.
struct source_location {
    int line = 0;   // 1-based; 0 when the value is a default
    int column = 0; // 1-based
};

enum class enforcement_mode { enforce, audit };
enum class rule_action { allow, deny, audit };

struct rule_config {
    std::string image; // glob: "ghcr.io/acme/*", "docker.io/library/*:latest"
    std::optional<std::string> name;
    rule_action action = rule_action::allow;
    std::optional<std::string> reason;
    std::vector<std::string> users;  // empty: everyone
    std::vector<std::string> groups; // empty: everyone
    source_location where;
};

struct hub_lookup_config {
    std::string url = "https://hub.docker.com";
    milliseconds ttl = std::chrono::hours(24);
    milliseconds timeout = std::chrono::seconds(2);
    std::optional<std::string> cache_file;
};

struct docker_hub_config {
    bool official = true;
    bool verified_publishers = true;
    bool sponsored_oss = true;
    bool community = false;
    std::vector<std::string> organizations;
    std::vector<std::string> verified_publisher_namespaces;
    std::vector<std::string> sponsored_oss_namespaces;
    std::optional<hub_lookup_config> lookup;
};

struct other_hosts_config {
    bool allow = true;                    // action: allow | deny
    std::vector<std::string> allow_hosts; // `allow:` patterns, used when action is deny
};

struct policy_config {
    enforcement_mode mode = enforcement_mode::enforce;
    std::vector<std::string> registries{"docker.io"};
    other_hosts_config other_hosts;
    docker_hub_config docker_hub;
    std::vector<rule_config> rules;
};

struct tls_config {
    std::string ca_cert = "certs/ca.crt";
    std::string ca_key = "certs/ca.key";
};

struct upstream_config {
    std::optional<std::string> ca_file;
    // "host:port" -> "address:port", like curl --resolve. Keys and values
    // are stored canonical (request::authority::to_string(), so a key
    // written "Registry-1.Docker.IO:443" is "registry-1.docker.io:443"):
    // the net layer can look up the canonical authority of a CONNECT as is.
    std::map<std::string, std::string> resolve;
    // Ports a CONNECT may name, besides those of the listed registries.
    std::vector<std::uint16_t> connect_ports{443};
    // Destination networks that may be reached although they are loopback,
    // link-local or private (CIDR, canonical text like `clients`). An
    // upstream.resolve entry is always allowed: it names its address on
    // purpose.
    std::vector<std::string> allow_private_networks;
};

// Timeouts, sizes and connection caps (SPEC leaves their names to us;
// documented in docs/configuration.md).
struct limits_config {
    milliseconds connect_timeout = std::chrono::seconds(10);
    milliseconds handshake_timeout = std::chrono::seconds(10);
    milliseconds header_timeout = std::chrono::seconds(30);
    milliseconds idle_timeout = std::chrono::seconds(120);
    // Longest wait for an upstream's response header, and for any progress
    // while a body moves in either direction.
    milliseconds upstream_timeout = std::chrono::seconds(120);
    milliseconds drain = std::chrono::seconds(30);
    // How long a verified upstream connection waits in the pool for the
    // next request to the same registry before it is closed.
    milliseconds upstream_idle_timeout = std::chrono::seconds(30);
    std::size_t max_header_bytes = 16 * 1024; // request line plus header block
    std::size_t max_headers = 100;
    std::size_t max_connections = 4096;
    std::size_t max_connections_per_client = 512;
    std::size_t certificate_cache = 1024;
};

struct auth_config {
    std::string users_file; // lines "name:$scrypt$…", see docs/authentication.md
    std::string realm = "pullgate";
};

struct config {
    // Addresses and networks are stored in canonical text (listen
    // "[::1]:3128", clients "10.1.2.3/32"), validated at load, so the net
    // layer's own parse of them cannot fail.
    std::string listen = "127.0.0.1:3128";
    std::optional<std::string> admin = "127.0.0.1:9128";
    std::vector<std::string> clients{"127.0.0.0/8", "::1/128"};
    tls_config tls;
    upstream_config upstream;
    std::string audit_log = "-";
    policy_config policy;
    std::map<std::string, std::vector<std::string>> groups;
    limits_config limits;
    std::optional<auth_config> auth;
    unsigned threads = 0; // 0: one I/O thread per core
};

} // namespace pullgate::config
