// The configuration file as a whole: YAML syntax, the top-level keys, the
// checks that span sections, and reading the file from disk.
#include "config/load.hpp"

#include "config/sections.hpp"
#include "config/yaml_reader.hpp"
#include "request/host.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <sstream>
#include <system_error>

namespace pullgate::config {
namespace {

// A configuration is a few kilobytes; anything this large is the wrong file
// (or /dev/zero), and reading it whole would only exhaust memory.
constexpr std::size_t max_file_bytes = 4 * 1024 * 1024;

// The top-level values, captured first and read afterwards in dependency
// order (groups before the rules that name them).
struct top_level {
    std::optional<located> listen, admin, clients, tls, upstream, audit_log, policy, groups, limits,
        auth, threads;
};

// Where the first `limit` documents of `text` start. Counted with the event
// parser, a bounded number of times, instead of YAML::LoadAll, which never
// returns on some malformed input.
std::vector<YAML::Mark> document_starts(std::string_view text, std::size_t limit) {
    struct starts_only : YAML::EventHandler {
        std::vector<YAML::Mark> starts;
        void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
        void OnDocumentEnd() override {}
        void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
        void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
        void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                      const std::string&) override {}
        void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                             YAML::EmitterStyle::value) override {}
        void OnSequenceEnd() override {}
        void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                        YAML::EmitterStyle::value) override {}
        void OnMapEnd() override {}
    } handler;
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    while (handler.starts.size() < limit && parser.HandleNextDocument(handler)) {
    }
    return handler.starts;
}

// The one document of the file, or nothing (empty file, only comments, or
// an error already reported).
std::optional<YAML::Node> load_document(yaml_reader& r, std::string_view text) {
    YAML::Node document;
    std::vector<YAML::Mark> starts;
    try {
        document = YAML::Load(std::string(text));
        starts = document_starts(text, 2);
    } catch (const YAML::Exception& e) {
        r.error(e.mark, fmt::format("YAML syntax error: {}", e.msg));
        return std::nullopt;
    }
    if (starts.empty() || !document)
        return std::nullopt;
    // A second document would be ignored by every YAML reader that loads
    // one: refuse it rather than let half a file silently not apply.
    if (starts.size() > 1) {
        if (starts[1].pos <= starts[0].pos) {
            // yaml-cpp 0.7 reports a document it has not read past (a stray
            // ','); LoadAll would spin on it forever (jbeder/yaml-cpp#1040).
            r.error(starts[1], "YAML syntax error: unexpected character");
            return std::nullopt;
        }
        r.error(starts[1], "a configuration file holds one YAML document; remove this "
                           "'---' and everything after it, or merge it into the first");
    }
    return document;
}

// Two listeners on one port would fail to bind, the second at start-up;
// say so in `check` instead. 0.0.0.0 and :: overlap every address.
void check_listeners(yaml_reader& r, const config& c, const top_level& t) {
    if (!c.admin)
        return;
    const auto proxy = request::parse_socket_address(c.listen);
    const auto admin = request::parse_socket_address(*c.admin);
    if (!proxy || !admin || proxy->port != admin->port || proxy->port == 0)
        return;
    auto wildcard = [](const request::authority& a) {
        return a.host == "0.0.0.0" || a.host == "::";
    };
    if (proxy->host == admin->host || wildcard(*proxy) || wildcard(*admin)) {
        const YAML::Mark at = t.admin    ? t.admin->mark
                              : t.listen ? t.listen->mark
                                         : YAML::Mark::null_mark();
        r.error(at, fmt::format("admin ({}) and listen ({}) share a port; give the admin "
                                "listener its own port, or set admin: null",
                                *c.admin, c.listen));
    }
}

// A rule for users or groups can only match a request that has a user, and
// only proxy authentication gives one.
void check_rule_principals(yaml_reader& r, const config& c) {
    if (c.auth)
        return;
    for (std::size_t i = 0; i < c.policy.rules.size(); ++i) {
        const rule_config& rule = c.policy.rules[i];
        if (rule.users.empty() && rule.groups.empty())
            continue;
        r.warning(rule.where,
                  fmt::format("policy.rules[{}] is limited to users or groups, but auth is not "
                              "configured, so no request has a user and the rule never "
                              "matches; add an auth: section",
                              i));
    }
}

void read_top_level(yaml_reader& r, const top_level& t, config& c) {
    // Each reader leaves the default in place when the key is absent.
    if (t.listen)
        read_listen(r, *t.listen, c.listen);
    if (t.admin)
        read_admin(r, *t.admin, c.admin);
    if (t.clients)
        read_clients(r, *t.clients, c.clients);
    if (t.tls)
        read_tls(r, *t.tls, c.tls);
    if (t.upstream)
        read_upstream(r, *t.upstream, c.upstream);
    if (t.audit_log)
        read_audit_log(r, *t.audit_log, c.audit_log);
    const bool groups_readable = !t.groups || read_groups(r, *t.groups, c.groups);
    if (t.policy)
        read_policy(r, *t.policy, groups_readable ? &c.groups : nullptr, c.policy);
    if (t.limits)
        read_limits(r, *t.limits, c.limits);
    if (t.auth)
        read_auth(r, *t.auth, c.auth);
    if (t.threads)
        read_threads(r, *t.threads, c.threads);
}

void read_config(yaml_reader& r, const YAML::Node& root, config& c) {
    if (root.IsNull())
        return; // "---" alone: no keys, all defaults
    top_level t;
    auto keep = [](std::optional<located>& slot) {
        return [&slot](const located& v) {
            slot = v;
        };
    };
    const bool is_mapping =
        r.fields(located{root, "", root.Mark()}, {
                                                     {"listen", keep(t.listen)},
                                                     {"admin", keep(t.admin)},
                                                     {"clients", keep(t.clients)},
                                                     {"tls", keep(t.tls)},
                                                     {"upstream", keep(t.upstream)},
                                                     {"audit_log", keep(t.audit_log)},
                                                     {"policy", keep(t.policy)},
                                                     {"groups", keep(t.groups)},
                                                     {"limits", keep(t.limits)},
                                                     {"auth", keep(t.auth)},
                                                     {"threads", keep(t.threads)},
                                                 });
    if (!is_mapping)
        return;
    read_top_level(r, t, c);
    check_listeners(r, c, t);
    check_rule_principals(r, c);
}

} // namespace

load_result parse_config(std::string_view yaml_text, std::string_view file_name) {
    load_result out;
    yaml_reader reader(std::string(file_name), out.diagnostics);
    config value;
    if (const auto root = load_document(reader, yaml_text))
        read_config(reader, *root, value);
    // Sections are read in dependency order, not file order; people read
    // diagnostics top to bottom.
    std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(),
                     [](const diagnostic& a, const diagnostic& b) {
                         return std::pair(a.line, a.column) < std::pair(b.line, b.column);
                     });
    if (!reader.has_errors())
        out.value = std::move(value);
    return out;
}

load_result load_config_file(const std::string& path) {
    auto cannot_read = [&](int error) {
        load_result out;
        out.diagnostics.push_back(
            {path, 0, 0, severity::error,
             fmt::format("cannot read {}: {}", path, std::generic_category().message(error))});
        return out;
    };
    errno = 0;
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                               &std::fclose);
    if (!file)
        return cannot_read(errno);
    std::string text;
    char buffer[16 * 1024];
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get())) {
        text.append(buffer, n);
        if (text.size() > max_file_bytes)
            return cannot_read(EFBIG);
    }
    // fopen succeeds on a directory; the read then fails with EISDIR.
    if (std::ferror(file.get()))
        return cannot_read(errno != 0 ? errno : EIO);
    return parse_config(text, path);
}

} // namespace pullgate::config
