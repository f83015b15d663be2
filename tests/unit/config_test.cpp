// proxy/config: YAML to values, every mistake reported at its line and
// column (SPEC "Configuration"; docs/configuration.md).
#include "config/load.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

// The source tree, for the example file and the docs (tests/meson.build
// passes it; the test runs from the build directory).
#ifndef PULLGATE_SOURCE_DIR
#error "compile with -DPULLGATE_SOURCE_DIR=\"/path/to/source\""
#endif

using namespace pullgate::config;
using namespace std::chrono_literals;

namespace {

load_result parse(std::string_view yaml) {
    return parse_config(yaml, "test.yaml");
}

std::string all_messages(const load_result& r) {
    std::string out;
    for (const diagnostic& d : r.diagnostics)
        out += d.to_string() + "\n";
    return out;
}

// Parses text that must be valid, without even a warning.
config parse_valid(std::string_view yaml) {
    const load_result r = parse(yaml);
    INFO(all_messages(r));
    REQUIRE(r.diagnostics.empty());
    REQUIRE(r.value.has_value());
    return *r.value;
}

std::string read_source_file(const std::string& relative) {
    std::ifstream in(std::string(PULLGATE_SOURCE_DIR) + "/" + relative);
    REQUIRE_MESSAGE(in.good(), "cannot open " << relative << " under " << PULLGATE_SOURCE_DIR);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void check_same_rule(const rule_config& a, const rule_config& b) {
    CHECK(a.image == b.image);
    CHECK(a.name == b.name);
    CHECK(a.action == b.action);
    CHECK(a.reason == b.reason);
    CHECK(a.users == b.users);
    CHECK(a.groups == b.groups);
}

void check_same_policy(const policy_config& a, const policy_config& b) {
    CHECK(a.mode == b.mode);
    CHECK(a.registries == b.registries);
    CHECK(a.other_hosts.allow == b.other_hosts.allow);
    CHECK(a.other_hosts.allow_hosts == b.other_hosts.allow_hosts);
    const docker_hub_config& ha = a.docker_hub;
    const docker_hub_config& hb = b.docker_hub;
    CHECK(ha.official == hb.official);
    CHECK(ha.verified_publishers == hb.verified_publishers);
    CHECK(ha.sponsored_oss == hb.sponsored_oss);
    CHECK(ha.community == hb.community);
    CHECK(ha.organizations == hb.organizations);
    CHECK(ha.verified_publisher_namespaces == hb.verified_publisher_namespaces);
    CHECK(ha.sponsored_oss_namespaces == hb.sponsored_oss_namespaces);
    REQUIRE(ha.lookup.has_value() == hb.lookup.has_value());
    if (ha.lookup) {
        CHECK(ha.lookup->url == hb.lookup->url);
        CHECK(ha.lookup->ttl == hb.lookup->ttl);
        CHECK(ha.lookup->timeout == hb.lookup->timeout);
        CHECK(ha.lookup->cache_file == hb.lookup->cache_file);
    }
    REQUIRE(a.rules.size() == b.rules.size());
    for (std::size_t i = 0; i < a.rules.size(); ++i)
        check_same_rule(a.rules[i], b.rules[i]);
}

void check_same_limits(const limits_config& a, const limits_config& b) {
    CHECK(a.connect_timeout == b.connect_timeout);
    CHECK(a.handshake_timeout == b.handshake_timeout);
    CHECK(a.header_timeout == b.header_timeout);
    CHECK(a.idle_timeout == b.idle_timeout);
    CHECK(a.upstream_timeout == b.upstream_timeout);
    CHECK(a.drain == b.drain);
    CHECK(a.upstream_idle_timeout == b.upstream_idle_timeout);
    CHECK(a.max_header_bytes == b.max_header_bytes);
    CHECK(a.max_headers == b.max_headers);
    CHECK(a.max_connections == b.max_connections);
    CHECK(a.max_connections_per_client == b.max_connections_per_client);
    CHECK(a.certificate_cache == b.certificate_cache);
}

// Every value, field by field (source locations aside: a default has none).
void check_same(const config& a, const config& b) {
    CHECK(a.listen == b.listen);
    CHECK(a.admin == b.admin);
    CHECK(a.clients == b.clients);
    CHECK(a.tls.ca_cert == b.tls.ca_cert);
    CHECK(a.tls.ca_key == b.tls.ca_key);
    CHECK(a.upstream.ca_file == b.upstream.ca_file);
    CHECK(a.upstream.resolve == b.upstream.resolve);
    CHECK(a.upstream.connect_ports == b.upstream.connect_ports);
    CHECK(a.upstream.allow_private_networks == b.upstream.allow_private_networks);
    CHECK(a.audit_log == b.audit_log);
    check_same_policy(a.policy, b.policy);
    CHECK(a.groups == b.groups);
    check_same_limits(a.limits, b.limits);
    REQUIRE(a.auth.has_value() == b.auth.has_value());
    if (a.auth) {
        CHECK(a.auth->users_file == b.auth->users_file);
        CHECK(a.auth->realm == b.auth->realm);
    }
    CHECK(a.threads == b.threads);
}

struct error_case {
    const char* yaml;
    int line;
    int column;
    const char* message; // the whole message, or its start when it ends in "…"
};

// Each text must give exactly one diagnostic, an error, with this place
// and message.
void check_single_errors(const std::vector<error_case>& cases) {
    for (const error_case& c : cases) {
        CAPTURE(c.yaml);
        const load_result r = parse(c.yaml);
        INFO(all_messages(r));
        CHECK_FALSE(r.value.has_value());
        REQUIRE(r.diagnostics.size() == 1);
        const diagnostic& d = r.diagnostics.front();
        CHECK(d.level == severity::error);
        CHECK(d.file == "test.yaml");
        CHECK(d.line == c.line);
        CHECK(d.column == c.column);
        std::string_view expected = c.message;
        if (expected.ends_with("…")) {
            expected.remove_suffix(std::string_view("…").size());
            CHECK(std::string_view(d.message).substr(0, expected.size()) == expected);
        } else {
            CHECK(d.message == expected);
        }
    }
}

// Leaf key paths of a YAML tree, the way docs/configuration.md names them:
// "policy.rules[].image", "groups" and "upstream.resolve" (their keys are data).
void collect_keys(const YAML::Node& node, const std::string& path, std::set<std::string>& out) {
    for (const auto& pair : node) {
        const std::string key =
            path.empty() ? pair.first.Scalar() : path + "." + pair.first.Scalar();
        const YAML::Node& value = pair.second;
        if (key == "groups" || key == "upstream.resolve" ||
            !(value.IsMap() || value.IsSequence())) {
            out.insert(key);
        } else if (value.IsMap()) {
            collect_keys(value, key, out);
        } else if (value.size() > 0 && value[0].IsMap()) {
            for (const auto& item : value)
                collect_keys(item, key + "[]", out);
        } else {
            out.insert(key);
        }
    }
}

const std::set<std::string> every_key{
    "listen",
    "admin",
    "clients",
    "tls.ca_cert",
    "tls.ca_key",
    "upstream.ca_file",
    "upstream.resolve",
    "upstream.connect_ports",
    "upstream.allow_private_networks",
    "audit_log",
    "policy.mode",
    "policy.registries",
    "policy.other_hosts.action",
    "policy.other_hosts.allow",
    "policy.docker_hub.official",
    "policy.docker_hub.verified_publishers",
    "policy.docker_hub.sponsored_oss",
    "policy.docker_hub.organizations",
    "policy.docker_hub.community",
    "policy.docker_hub.verified_publisher_namespaces",
    "policy.docker_hub.sponsored_oss_namespaces",
    "policy.docker_hub.lookup.url",
    "policy.docker_hub.lookup.ttl",
    "policy.docker_hub.lookup.timeout",
    "policy.docker_hub.lookup.cache_file",
    "policy.rules[].image",
    "policy.rules[].name",
    "policy.rules[].action",
    "policy.rules[].reason",
    "policy.rules[].users",
    "policy.rules[].groups",
    "groups",
    "limits.connect_timeout",
    "limits.handshake_timeout",
    "limits.header_timeout",
    "limits.idle_timeout",
    "limits.upstream_timeout",
    "limits.drain",
    "limits.upstream_idle_timeout",
    "limits.max_header_bytes",
    "limits.max_headers",
    "limits.max_connections",
    "limits.max_connections_per_client",
    "limits.certificate_cache",
    "auth.users_file",
    "auth.realm",
    "threads",
};

} // namespace

// ---- files ----

TEST_CASE("a file with no keys gives the defaults") {
    for (const char* text : {"", "\n\n", "# only a comment\n", "---\n", "---\n# comment\n...\n"}) {
        CAPTURE(text);
        check_same(parse_valid(text), config{});
    }
}

TEST_CASE("the embedded defaults parse cleanly and equal a default-constructed config") {
    const load_result r = parse_config(embedded_default_yaml(), "<defaults>");
    INFO(all_messages(r));
    CHECK(r.diagnostics.empty());
    REQUIRE(r.value.has_value());
    check_same(*r.value, config{});
}

TEST_CASE("the embedded defaults are the text of config/default.yaml") {
    CHECK(embedded_default_yaml() == read_source_file("config/default.yaml"));
}

TEST_CASE("the example file parses cleanly and uses every key") {
    const std::string path = std::string(PULLGATE_SOURCE_DIR) + "/config/pullgate.example.yaml";
    const load_result r = load_config_file(path);
    INFO(all_messages(r));
    CHECK(r.diagnostics.empty());
    REQUIRE(r.value.has_value());
    const config& c = *r.value;
    CHECK(c.listen == "0.0.0.0:3128");
    CHECK(c.clients.back() == "192.0.2.10/32");
    CHECK(c.upstream.resolve.at("registry.internal.example:443") == "10.20.0.5:443");
    CHECK_FALSE(c.policy.other_hosts.allow);
    REQUIRE(c.policy.docker_hub.lookup.has_value());
    CHECK(c.policy.docker_hub.lookup->ttl == 24h);
    REQUIRE(c.policy.rules.size() == 4);
    CHECK(c.policy.rules[3].action == rule_action::audit);
    CHECK(c.limits.idle_timeout == 2min);
    REQUIRE(c.auth.has_value());
    CHECK(c.auth->realm == "pullgate at acme");

    std::set<std::string> used;
    collect_keys(YAML::LoadFile(path), "", used);
    CHECK(used == every_key);
}

TEST_CASE("the configuration reference documents every key") {
    const std::string docs = read_source_file("docs/configuration.md");
    for (const std::string& key : every_key) {
        CAPTURE(key);
        CHECK(docs.find("`" + key + "`") != std::string::npos);
    }
}

TEST_CASE("a minimal file changes only what it names") {
    const config c = parse_valid("listen: \"0.0.0.0:3128\"\nclients: [10.0.0.0/8]\n");
    config expected;
    expected.listen = "0.0.0.0:3128";
    expected.clients = {"10.0.0.0/8"};
    check_same(c, expected);
}

TEST_CASE("every kind of value is read into its field") {
    const config c = parse_valid(R"(listen: "[::1]:3128"
admin: null
clients: ["10.1.2.3", "fd00::/8"]
tls: {ca_cert: a.crt, ca_key: a.key}
upstream:
  ca_file: extra.pem
  resolve: {"Registry-1.Docker.IO:443": "10.0.0.5:8443"}
  connect_ports: [443, 5000]
  allow_private_networks: [10.0.0.0/8]
audit_log: /var/log/audit.jsonl
policy:
  mode: audit
  registries: [docker.io, "*.example.com"]
  other_hosts: {action: deny, allow: ["*.docker.com"]}
  docker_hub:
    official: false
    verified_publishers: false
    sponsored_oss: false
    community: true
    organizations: [acme]
    verified_publisher_namespaces: [bitnami]
    sponsored_oss_namespaces: [jenkins]
    lookup: {}
  rules:
    - image: "ghcr.io/acme/*"
      action: deny
      name: no-acme
      reason: because
      users: [alice]
      groups: [ops]
groups: {ops: [bob, carol]}
limits:
  connect_timeout: 250ms
  handshake_timeout: 1h30m
  header_timeout: 5m
  idle_timeout: 1s
  upstream_timeout: 24h
  drain: 2s
  upstream_idle_timeout: 3s
  max_header_bytes: 1MiB
  max_headers: 7
  max_connections: 8
  max_connections_per_client: 2
  certificate_cache: 9
auth: {users_file: users.txt}
threads: 256
)");
    CHECK(c.listen == "[::1]:3128");
    CHECK_FALSE(c.admin.has_value());
    CHECK(c.clients == std::vector<std::string>{"10.1.2.3/32", "fd00::/8"});
    CHECK(c.tls.ca_cert == "a.crt");
    CHECK(c.tls.ca_key == "a.key");
    CHECK(c.upstream.ca_file == "extra.pem");
    CHECK(c.upstream.resolve ==
          std::map<std::string, std::string>{{"registry-1.docker.io:443", "10.0.0.5:8443"}});
    CHECK(c.upstream.connect_ports == std::vector<std::uint16_t>{443, 5000});
    CHECK(c.upstream.allow_private_networks == std::vector<std::string>{"10.0.0.0/8"});
    CHECK(c.audit_log == "/var/log/audit.jsonl");
    CHECK(c.policy.mode == enforcement_mode::audit);
    CHECK(c.policy.registries == std::vector<std::string>{"docker.io", "*.example.com"});
    CHECK_FALSE(c.policy.other_hosts.allow);
    CHECK(c.policy.other_hosts.allow_hosts == std::vector<std::string>{"*.docker.com"});
    const docker_hub_config& hub = c.policy.docker_hub;
    CHECK_FALSE(hub.official);
    CHECK_FALSE(hub.verified_publishers);
    CHECK_FALSE(hub.sponsored_oss);
    CHECK(hub.community);
    CHECK(hub.organizations == std::vector<std::string>{"acme"});
    CHECK(hub.verified_publisher_namespaces == std::vector<std::string>{"bitnami"});
    CHECK(hub.sponsored_oss_namespaces == std::vector<std::string>{"jenkins"});
    REQUIRE(hub.lookup.has_value());
    CHECK(hub.lookup->url == "https://hub.docker.com");
    CHECK(hub.lookup->ttl == 24h);
    CHECK(hub.lookup->timeout == 2s);
    CHECK_FALSE(hub.lookup->cache_file.has_value());
    REQUIRE(c.policy.rules.size() == 1);
    const rule_config& rule = c.policy.rules[0];
    CHECK(rule.image == "ghcr.io/acme/*");
    CHECK(rule.action == rule_action::deny);
    CHECK(rule.name == "no-acme");
    CHECK(rule.reason == "because");
    CHECK(rule.users == std::vector<std::string>{"alice"});
    CHECK(rule.groups == std::vector<std::string>{"ops"});
    CHECK(rule.where.line == 25);
    CHECK(rule.where.column == 7);
    CHECK(c.groups.at("ops") == std::vector<std::string>{"bob", "carol"});
    CHECK(c.limits.connect_timeout == 250ms);
    CHECK(c.limits.handshake_timeout == 90min);
    CHECK(c.limits.header_timeout == 5min);
    CHECK(c.limits.idle_timeout == 1s);
    CHECK(c.limits.upstream_timeout == 24h);
    CHECK(c.limits.drain == 2s);
    CHECK(c.limits.upstream_idle_timeout == 3s);
    CHECK(c.limits.max_header_bytes == 1024 * 1024);
    CHECK(c.limits.max_headers == 7);
    CHECK(c.limits.max_connections == 8);
    CHECK(c.limits.max_connections_per_client == 2);
    CHECK(c.limits.certificate_cache == 9);
    REQUIRE(c.auth.has_value());
    CHECK(c.auth->users_file == "users.txt");
    CHECK(c.auth->realm == "pullgate");
    CHECK(c.threads == 256);
}

TEST_CASE("null turns off the optional parts") {
    const config c = parse_valid("admin: ~\nupstream: {ca_file: null}\nauth: null\n"
                                 "policy: {docker_hub: {lookup: {cache_file: null}}}\n");
    CHECK_FALSE(c.admin.has_value());
    CHECK_FALSE(c.upstream.ca_file.has_value());
    CHECK_FALSE(c.auth.has_value());
    REQUIRE(c.policy.docker_hub.lookup.has_value());
    CHECK_FALSE(c.policy.docker_hub.lookup->cache_file.has_value());
    CHECK_FALSE(parse_valid("policy: {docker_hub: {lookup: null}}\n").policy.docker_hub.lookup);
}

TEST_CASE("keys and values may come in any order") {
    const config c = parse_valid("policy:\n  rules: [{action: allow, groups: [g], image: x}]\n"
                                 "groups: {g: [u]}\nauth: {realm: r, users_file: f}\n");
    CHECK(c.policy.rules.at(0).groups == std::vector<std::string>{"g"});
    CHECK(c.auth->realm == "r");
}

// ---- errors ----

TEST_CASE("a YAML syntax error is one diagnostic at its place") {
    check_single_errors({
        {"listen: [1, 2\nadmin: x\n", 2, 6, "YAML syntax error: end of sequence flow not found"},
        {"policy:\n  mode: enforce\n mode: audit\n", 3, 2,
         "YAML syntax error: end of map not found"},
        {"clients: [a, b]]\n", 1, 16, "YAML syntax error: illegal flow end"},
        {"a: b: c\n", 1, 5, "YAML syntax error: illegal map value"},
        {"tls:\n\tca_cert: x\n", 2, 9, "YAML syntax error: illegal map value"},
        {"tls: &t {ca_cert: a}\nupstream: *u\n", 2, 11,
         "YAML syntax error: the referenced anchor is not defined"},
    });
}

TEST_CASE("the top level must be one mapping") {
    check_single_errors({
        {"- listen\n", 1, 1,
         "the configuration must be a mapping of keys such as 'listen:' and 'policy:', not a "
         "list"},
        {"just text\n", 1, 1,
         "the configuration must be a mapping of keys such as 'listen:' and 'policy:', not "
         "'just text'"},
        // located at the "---" that starts the second document
        {"listen: \"127.0.0.1:3128\"\n---\nlisten: \"0.0.0.0:3128\"\n", 2, 1,
         "a configuration file holds one YAML document; …"},
    });
}

TEST_CASE("an unknown key is an error at any depth, with a suggestion when one is close") {
    check_single_errors({
        {"lisen: \"127.0.0.1:3128\"\n", 1, 1, "unknown key 'lisen'; did you mean 'listen'?"},
        {"policy:\n  regsitries: [docker.io]\n", 2, 3,
         "unknown key 'regsitries' in policy; did you mean 'registries'?"},
        {"policy:\n  docker_hub:\n    comunity: true\n", 3, 5,
         "unknown key 'comunity' in policy.docker_hub; did you mean 'community'?"},
        {"policy:\n  docker_hub:\n    lookup:\n      TTL: 1h\n", 4, 7,
         "unknown key 'TTL' in policy.docker_hub.lookup; did you mean 'ttl'?"},
        {"policy:\n  rules:\n    - image: x\n      action: deny\n      user: [a]\n", 5, 7,
         "unknown key 'user' in policy.rules[0]; did you mean 'users'?"},
        {"limits:\n  idle: 5s\n", 2, 3,
         "unknown key 'idle' in limits (known keys: connect_timeout, handshake_timeout, "
         "header_timeout, idle_timeout, upstream_timeout, drain, upstream_idle_timeout, "
         "max_header_bytes, "
         "max_headers, "
         "max_connections, max_connections_per_client, certificate_cache)"},
        {"tls:\n  cert: a\n", 2, 3, "unknown key 'cert' in tls (known keys: ca_cert, ca_key)"},
        {"policy: {other_hosts: {allowed: []}}\n", 1, 24,
         "unknown key 'allowed' in policy.other_hosts; did you mean 'allow'?"},
        {"auth: {users_file: f, relam: x}\n", 1, 23,
         "unknown key 'relam' in auth; did you mean 'realm'?"},
        {"upstream: {resolv: {}}\n", 1, 12,
         "unknown key 'resolv' in upstream; did you mean 'resolve'?"},
    });
}

TEST_CASE("a key given twice is an error at the second") {
    check_single_errors({
        {"listen: \"127.0.0.1:1\"\nlisten: \"127.0.0.1:2\"\n", 2, 1,
         "duplicate key 'listen' (first at line 1); remove one of them"},
        {"policy:\n  mode: audit\n  registries: []\n  mode: enforce\n", 4, 3,
         "duplicate key 'mode' in policy (first at line 2); remove one of them"},
        {"groups:\n  ops: [a]\n  ops: [b]\n", 3, 3,
         "duplicate key 'ops' in groups (first at line 2); remove one of them"},
        {"upstream:\n  resolve:\n    \"a.example:443\": \"10.0.0.1:443\"\n"
         "    \"A.Example:443\": \"10.0.0.2:443\"\n",
         4, 5,
         "upstream.resolve names a.example:443 twice (first at line 3; host names ignore "
         "case); "
         "remove one of them"},
    });
}

TEST_CASE("keys must be names") {
    check_single_errors({
        {"\"\": 1\n", 1, 1, "keys must be names, not an empty string"},
        {"policy:\n  ? [a]\n  : 1\n", 2, 5, "keys in policy must be names, not a list"},
    });
}

TEST_CASE("a value of the wrong type names the key, the expected form and what it found") {
    check_single_errors({
        {"policy:\n  docker_hub:\n    community: no\n", 3, 16,
         "policy.docker_hub.community must be true or false, not 'no'"},
        {"policy: {docker_hub: {official: \"true\"}}\n", 1, 33,
         "policy.docker_hub.official must be true or false without quotes, not the string "
         "'true'"},
        {"policy: {docker_hub: {official: True}}\n", 1, 33,
         "policy.docker_hub.official must be true or false, not 'True'"},
        {"policy: {docker_hub: {official: [true]}}\n", 1, 33,
         "policy.docker_hub.official must be true or false, not a list"},
        {"policy:\n  registries: docker.io\n", 2, 15,
         "policy.registries must be a list, not 'docker.io'"},
        {"policy:\n  registries:\n", 2, 3,
         "policy.registries must be a list, not empty (write [] for an empty list)"},
        {"policy:\n  registries: [docker.io, \"\"]\n", 2, 27,
         "policy.registries[1] must be a string, not an empty string"},
        {"policy:\n  registries:\n    - docker.io\n    - {a: b}\n", 4, 7,
         "policy.registries[1] must be a string, not a mapping"},
        {"tls: certs\n", 1, 6, "tls must be a mapping of keys, not 'certs'"},
        {"policy:\n", 1, 1, "policy must be a mapping of keys, not empty"},
        {"tls:\n  ca_cert:\n", 2, 3, "tls.ca_cert must be a file path, not empty"},
        {"audit_log: \"\"\n", 1, 12,
         "audit_log must be \"-\" (standard output) or a file path, not an empty string"},
        {"threads: 257\n", 1, 10, "threads must be an integer from 0 to 256, not '257'"},
        {"threads: -1\n", 1, 10, "threads must be an integer from 0 to 256, not '-1'"},
        {"threads: \"4\"\n", 1, 10,
         "threads must be an integer from 0 to 256 without quotes, not the string '4'"},
        {"threads: 0x10\n", 1, 10, "threads must be an integer from 0 to 256, not '0x10'"},
        {"groups: [ops]\n", 1, 9, "groups must be a mapping of keys, not a list"},
        {"groups:\n  ops: alice\n", 2, 8, "groups.ops must be a list, not 'alice'"},
        {"auth: {users_file: f}\ngroups: [ops]\npolicy: {rules: [{image: x, action: allow, "
         "groups: [ops]}]}\n",
         2, 9, "groups must be a mapping of keys, not a list"},
    });
}

TEST_CASE("an enumerated value must be one of its words") {
    check_single_errors({
        {"policy: {mode: enforcing}\n", 1, 16,
         "policy.mode must be enforce or audit, not 'enforcing'; did you mean 'enforce'?"},
        {"policy: {mode: Audit}\n", 1, 16,
         "policy.mode must be enforce or audit, not 'Audit'; did you mean 'audit'?"},
        {"policy: {other_hosts: {action: block}}\n", 1, 32,
         "policy.other_hosts.action must be allow or deny, not 'block'"},
        {"policy:\n  rules:\n    - image: x\n      action: block\n", 4, 15,
         "policy.rules[0].action must be allow, deny or audit, not 'block'"},
        {"policy:\n  rules:\n    - image: x\n      action: alow\n", 4, 15,
         "policy.rules[0].action must be allow, deny or audit, not 'alow'; did you mean "
         "'allow'?"},
    });
}

TEST_CASE("a rule needs an image and an action, and its groups must exist") {
    check_single_errors({
        {"policy:\n  rules:\n    - action: deny\n", 3, 7,
         "policy.rules[0] needs an image: pattern, like image: \"ghcr.io/acme/*\""},
        {"policy:\n  rules:\n    - image: x\n      action: deny\n    - image: y\n", 5, 7,
         "policy.rules[1] needs an action: allow, deny or audit"},
        {"policy:\n  rules:\n    - deny\n", 3, 7,
         "policy.rules[0] must be a mapping of keys, not 'deny'"},
        {"policy:\n  rules: {image: x}\n", 2, 10, "policy.rules must be a list, not a mapping"},
        {"auth: {users_file: f}\ngroups: {platform: [a]}\npolicy:\n  rules:\n"
         "    - {image: x, action: allow, groups: [platform, platfrom]}\n",
         5, 52,
         "policy.rules[0].groups[1] names the group 'platfrom', which is not defined under "
         "groups; did you mean 'platform'?"},
        {"auth: {users_file: f}\npolicy:\n  rules:\n    - {image: x, action: allow, groups: "
         "[ops]}\n",
         4, 42,
         "policy.rules[0].groups[0] names the group 'ops', which is not defined under groups"},
        {"auth: {users_file: f}\npolicy:\n  rules:\n    - {image: x, action: allow, users: "
         "[]}\n",
         4, 40, "policy.rules[0].users is empty; remove it to apply the rule to everyone"},
        {"policy:\n  rules:\n    - {image: x, action: allow, name: \"\"}\n", 3, 39,
         "policy.rules[0].name must be a string, not an empty string"},
    });
}

TEST_CASE("listen and admin are IP addresses with ports") {
    check_single_errors({
        {"listen: 3128\n", 1, 9,
         "listen must be an IP address and port like 127.0.0.1:3128 or [::1]:3128, not '3128' "
         "(…"},
        {"listen: \"localhost:3128\"\n", 1, 9,
         "listen must be an IP address and port like 127.0.0.1:3128 or [::1]:3128, not "
         "'localhost:3128' (…"},
        {"admin: \"::1:9128\"\n", 1, 8,
         "admin must be an IP address and port like 127.0.0.1:3128 or [::1]:3128, not "
         "'::1:9128' (…"},
        {"admin: \"127.0.0.1:3128\"\n", 1, 8,
         "admin (127.0.0.1:3128) and listen (127.0.0.1:3128) share a port; give the admin "
         "listener its own port, or set admin: null"},
        {"listen: \"0.0.0.0:9128\"\n", 1, 9,
         "admin (127.0.0.1:9128) and listen (0.0.0.0:9128) share a port; give the admin "
         "listener its own port, or set admin: null"},
    });
    CHECK(parse_valid("listen: \"[::1]:3128\"\nadmin: \"[::1]:9128\"\n").admin == "[::1]:9128");
}

TEST_CASE("clients and private networks are CIDRs or addresses") {
    check_single_errors({
        {"clients: []\n", 1, 10,
         "clients is empty, so nobody could use the proxy; list at least one network, such as "
         "127.0.0.0/8"},
        {"clients:\n  - 10.0.0.0/8\n  - 10.0.0.1/8\n", 3, 5,
         "clients[1] must be a network like 10.0.0.0/8 or an address like 10.1.2.3, not "
         "'10.0.0.1/8' (…"},
        {"clients: [everyone]\n", 1, 11, "clients[0] must be a network like 10.0.0.0/8 …"},
        {"clients: 10.0.0.0/8\n", 1, 10, "clients must be a list, not '10.0.0.0/8'"},
        {"upstream: {allow_private_networks: [10.0.0.0/33]}\n", 1, 37,
         "upstream.allow_private_networks[0] must be a network like 10.0.0.0/8 …"},
    });
    CHECK(parse_valid("clients: [\"::1\", 127.0.0.1]\n").clients ==
          std::vector<std::string>{"::1/128", "127.0.0.1/32"});
}

TEST_CASE("resolve maps host:port to address:port") {
    check_single_errors({
        {"upstream:\n  resolve:\n    \"registry-1.docker.io\": \"10.0.0.5:443\"\n", 3, 5,
         "upstream.resolve: the key 'registry-1.docker.io' must be a host and port like "
         "registry-1.docker.io:443 (…"},
        {"upstream:\n  resolve:\n    \"registry-1.docker.io:443\": \"mirror.local:443\"\n", 3, 33,
         "upstream.resolve[registry-1.docker.io:443] must be an IP address and port like "
         "10.0.0.5:443, not 'mirror.local:443' (…"},
        {"upstream:\n  resolve:\n    \"registry-1.docker.io:443\":\n", 3, 5,
         "upstream.resolve[registry-1.docker.io:443] must be an IP address and port like "
         "10.0.0.5:443, not empty"},
        {"upstream: {resolve: [a]}\n", 1, 21,
         "upstream.resolve must be a mapping of keys, not a list"},
    });
}

TEST_CASE("connect ports are integers from 1 to 65535") {
    check_single_errors({
        {"upstream: {connect_ports: [443, 0]}\n", 1, 33,
         "upstream.connect_ports[1] must be an integer from 1 to 65535, not '0'"},
        {"upstream: {connect_ports: [65536]}\n", 1, 28,
         "upstream.connect_ports[0] must be an integer from 1 to 65535, not '65536'"},
        {"upstream: {connect_ports: [https]}\n", 1, 28,
         "upstream.connect_ports[0] must be an integer from 1 to 65535, not 'https'"},
    });
    CHECK(parse_valid("upstream: {connect_ports: []}\n").upstream.connect_ports.empty());
}

TEST_CASE("durations need a unit and must be positive") {
    check_single_errors({
        {"limits: {drain: 30}\n", 1, 17,
         "limits.drain: a duration needs a unit, like 30s or 250ms, not '30'"},
        {"limits: {drain: 1.5s}\n", 1, 17,
         "limits.drain: a duration takes whole numbers (write 1500ms, not 1.5s), not '1.5s'"},
        {"limits: {drain: -5s}\n", 1, 17,
         "limits.drain must be a duration without a sign, like 30s, not '-5s'"},
        {"limits: {drain: 0s}\n", 1, 17, "limits.drain must be longer than zero, not '0s'"},
        {"limits: {drain: 5 s}\n", 1, 17,
         "limits.drain must be a duration like 30s, 250ms, 5m or 1h30m (units ms, s, m, h, "
         "largest first), not '5 s'"},
        {"limits: {drain: [5s]}\n", 1, 17, "limits.drain must be a duration like 30s, not a list"},
        {"policy: {docker_hub: {lookup: {ttl: 1d}}}\n", 1, 37,
         "policy.docker_hub.lookup.ttl must be a duration like 30s, 250ms, 5m or 1h30m …"},
    });
}

TEST_CASE("sizes and counts have bounds") {
    check_single_errors({
        {"limits: {max_header_bytes: 512}\n", 1, 28,
         "limits.max_header_bytes must be from 1KiB to 1MiB, not '512'"},
        {"limits: {max_header_bytes: 2MiB}\n", 1, 28,
         "limits.max_header_bytes must be from 1KiB to 1MiB, not '2MiB'"},
        {"limits: {max_header_bytes: 16KB}\n", 1, 28,
         "limits.max_header_bytes must be a size in bytes like 16384, 16KiB or 1MiB, not "
         "'16KB'"},
        {"limits: {max_headers: 0}\n", 1, 23,
         "limits.max_headers must be an integer from 1 to 1000000000, not '0'"},
        {"limits: {max_connections: lots}\n", 1, 27,
         "limits.max_connections must be an integer from 1 to 1000000000, not 'lots'"},
    });
    CHECK(parse_valid("limits: {max_header_bytes: 8192}\n").limits.max_header_bytes == 8192);
}

TEST_CASE("auth needs a users file and a header-safe realm") {
    check_single_errors({
        {"auth: {realm: x}\n", 1, 7,
         "auth needs users_file: the file of user names and password hashes (see "
         "docs/authentication.md)"},
        {"auth: {users_file: f, realm: 'say \"hi\"'}\n", 1, 30,
         "auth.realm must be printable ASCII without quotes or backslashes (it is sent in the "
         "Proxy-Authenticate header), not 'say \"hi\"'"},
        {"auth: yes\n", 1, 7, "auth must be a mapping of keys, not 'yes'"},
    });
}

TEST_CASE("the CA certificate and key must be different files") {
    check_single_errors({
        {"tls:\n  ca_cert: ca.pem\n  ca_key: ca.pem\n", 3, 11,
         "tls.ca_key must be a different file from tls.ca_cert ('ca.pem')"},
    });
}

TEST_CASE("the lookup URL is https") {
    check_single_errors({
        {"policy: {docker_hub: {lookup: {url: hub.docker.com}}}\n", 1, 37,
         "policy.docker_hub.lookup.url must be an https:// URL like https://hub.docker.com, "
         "not "
         "'hub.docker.com'"},
        {"policy: {docker_hub: {lookup: {url: \"http://hub.docker.com\"}}}\n", 1, 37,
         "policy.docker_hub.lookup.url must be an https:// URL like https://hub.docker.com, "
         "not "
         "'http://hub.docker.com'"},
    });
}

TEST_CASE("every error in a file is reported, in file order") {
    const load_result r = parse("policy:\n"
                                "  rules:\n"
                                "    - {image: x, action: allow, groups: [missing]}\n"
                                "  mode: strict\n"
                                "groups: {a: [1]}\n"
                                "auth: {users_file: f}\n"
                                "listen: nowhere\n"
                                "limits: {drain: 3}\n"
                                "bogus: 1\n");
    INFO(all_messages(r));
    CHECK_FALSE(r.value.has_value());
    std::vector<std::pair<int, int>> places;
    for (const diagnostic& d : r.diagnostics)
        places.emplace_back(d.line, d.column);
    CHECK(places == std::vector<std::pair<int, int>>{{3, 42}, {4, 9}, {7, 9}, {8, 17}, {9, 1}});
}

// ---- warnings ----

TEST_CASE("warnings are reported but the configuration is still usable") {
    SUBCASE("a rule for users without auth never matches") {
        const load_result r =
            parse("policy:\n  rules:\n    - {image: x, action: allow, users: [a]}\n");
        REQUIRE(r.diagnostics.size() == 1);
        CHECK(r.diagnostics[0].level == severity::warning);
        CHECK(r.diagnostics[0].line == 3);
        CHECK(r.diagnostics[0].column == 7);
        CHECK(r.diagnostics[0].message.starts_with(
            "policy.rules[0] is limited to users or groups, but auth is not configured"));
        CHECK(r.value.has_value());
    }
    SUBCASE("a per-client cap above the total never applies") {
        const load_result r =
            parse("limits:\n  max_connections: 10\n  max_connections_per_client: 20\n");
        REQUIRE(r.diagnostics.size() == 1);
        CHECK(r.diagnostics[0].to_string() ==
              "test.yaml:3:31: warning: limits.max_connections_per_client (20) is above "
              "limits.max_connections (10), so it never applies");
        CHECK(r.value.has_value());
    }
}

// ---- units ----

TEST_CASE("durations are whole amounts of ms, s, m and h, largest first") {
    struct row {
        const char* text;
        std::optional<std::chrono::milliseconds> value;
    };
    const row rows[] = {
        {"250ms", 250ms},
        {"2s", 2s},
        {"5m", 5min},
        {"24h", 24h},
        {"1h30m", 90min},
        {"1h1m1s1ms", 3'661'001ms},
        {"0s", 0ms},
        {"007s", 7s},
        {"", std::nullopt},
        {"30", std::nullopt},
        {"s", std::nullopt},
        {"1.5s", std::nullopt},
        {"-1s", std::nullopt},
        {"+1s", std::nullopt},
        {"1 s", std::nullopt},
        {" 1s", std::nullopt},
        {"1S", std::nullopt},
        {"1d", std::nullopt},
        {"1us", std::nullopt},
        {"30m1h", std::nullopt},
        {"1s1s", std::nullopt},
        {"1h30", std::nullopt},
        {"1s ", std::nullopt},
        {"99999999999999999999h", std::nullopt},
        {"9223372036854775807h", std::nullopt},
    };
    for (const row& r : rows) {
        CAPTURE(r.text);
        CHECK(parse_duration(r.text) == r.value);
    }
    CHECK(parse_duration("9223372036854775807ms") == std::chrono::milliseconds::max());
}

TEST_CASE("sizes are bytes, KiB or MiB") {
    struct row {
        const char* text;
        std::optional<std::size_t> value;
    };
    const row rows[] = {
        {"16384", 16384},
        {"16KiB", 16 * 1024},
        {"1MiB", 1024 * 1024},
        {"0", 0},
        {"", std::nullopt},
        {"KiB", std::nullopt},
        {"16KB", std::nullopt},
        {"16K", std::nullopt},
        {"16kib", std::nullopt},
        {"16 KiB", std::nullopt},
        {"-1", std::nullopt},
        {"1.5MiB", std::nullopt},
        {"1GiB", std::nullopt},
        {"99999999999999999999", std::nullopt},
        {"18446744073709551615MiB", std::nullopt},
    };
    for (const row& r : rows) {
        CAPTURE(r.text);
        CHECK(parse_size(r.text) == r.value);
    }
}

// ---- diagnostics ----

TEST_CASE("a diagnostic prints as FILE:LINE:COL: message") {
    CHECK(diagnostic{"a.yaml", 3, 7, severity::error, "bad"}.to_string() == "a.yaml:3:7: bad");
    CHECK(diagnostic{"a.yaml", 3, 7, severity::warning, "odd"}.to_string() ==
          "a.yaml:3:7: warning: odd");
    CHECK(diagnostic{"a.yaml", 0, 0, severity::error, "gone"}.to_string() == "a.yaml: gone");
    CHECK(diagnostic{"a.yaml", 0, 0, severity::warning, "odd"}.to_string() ==
          "a.yaml: warning: odd");
}

TEST_CASE("a file that cannot be read is one diagnostic without a place") {
    const load_result missing = load_config_file("/nonexistent/pullgate.yaml");
    CHECK_FALSE(missing.value.has_value());
    REQUIRE(missing.diagnostics.size() == 1);
    CHECK(missing.diagnostics[0].to_string() ==
          "/nonexistent/pullgate.yaml: cannot read /nonexistent/pullgate.yaml: No such file or "
          "directory");

    const load_result directory = load_config_file(PULLGATE_SOURCE_DIR);
    CHECK_FALSE(directory.value.has_value());
    REQUIRE(directory.diagnostics.size() == 1);
    CHECK(directory.diagnostics[0].message.ends_with(": Is a directory"));
    CHECK(directory.diagnostics[0].line == 0);
}

TEST_CASE("a file's diagnostics carry its name") {
    const std::string path = std::string(PULLGATE_SOURCE_DIR) + "/config/default.yaml";
    const load_result r = load_config_file(path);
    CHECK(r.diagnostics.empty());
    CHECK(parse_config("x: 1\n", "other.yaml").diagnostics.at(0).file == "other.yaml");
}

TEST_CASE("messages show control characters escaped and long values cut") {
    const load_result r = parse("policy: {mode: \"a\\tb\"}\n");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message ==
          "policy.mode must be enforce or audit, not the string 'a\\x09b'");
    const load_result long_value = parse("policy: {mode: " + std::string(100, 'x') + "}\n");
    REQUIRE(long_value.diagnostics.size() == 1);
    CHECK(long_value.diagnostics[0].message ==
          "policy.mode must be enforce or audit, not '" + std::string(60, 'x') + "...'");
    std::string accents;
    for (int i = 0; i < 40; ++i)
        accents += "\u00e9";
    const load_result utf8 = parse("policy: {mode: a" + accents + "}\n");
    REQUIRE(utf8.diagnostics.size() == 1);
    CHECK(utf8.diagnostics[0].message ==
          "policy.mode must be enforce or audit, not 'a" + accents.substr(0, 60) + "...'");
}

TEST_CASE("a stray comma is a syntax error, not a parser that never returns (fuzzer regression)") {
    for (const std::string text : {",", "a: 1\n,\n", ",,,"}) {
        CAPTURE(text);
        const load_result r = parse_config(text, "comma.yaml");
        CHECK_FALSE(r.value.has_value());
        CHECK_FALSE(r.diagnostics.empty());
    }
}

TEST_CASE("diagnostics print control characters escaped, one line each") {
    diagnostic d{"f.yaml", 1, 2, severity::error, "bad \"a\nb\x1b[31m\""};
    const auto text = d.to_string();
    CHECK(text == "f.yaml:1:2: bad \"a\\nb\\x1b[31m\"");
    CHECK(text.find('\n') == std::string::npos);
}
