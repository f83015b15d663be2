// Metrics: the exposition text byte for byte, label escaping, histogram
// and cardinality rules, exact totals under concurrent updates, and the
// text accepted by tests/tools/promcheck.py.
#include "metrics/metrics.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef PULLGATE_SOURCE_DIR
#error "compile with -DPULLGATE_SOURCE_DIR=\"/path/to/source\""
#endif

using namespace pullgate::metrics;
using pullgate::audit::record;
using namespace std::chrono_literals;

namespace {

registry_options options(std::size_t max_series = 2000) {
    return {"1.2.3",
            std::chrono::system_clock::time_point(std::chrono::milliseconds(1796396645123)),
            max_series};
}

record request(std::optional<std::string> registry_name, std::string kind,
               std::optional<std::string> category, std::uint64_t bytes) {
    record r;
    r.registry = std::move(registry_name);
    r.kind = std::move(kind);
    r.action = "pull";
    r.category = std::move(category);
    r.decision = "allow";
    r.enforced = true;
    r.bytes = bytes;
    return r;
}

// The value of the sample whose name and labels are exactly `series`, or
// "absent".
std::string value_of(const std::string& text, std::string_view series) {
    const std::string head = "\n" + std::string(series) + " ";
    const auto at = text.find(head);
    if (at == std::string::npos)
        return "absent";
    const auto from = at + head.size();
    return text.substr(from, text.find('\n', from) - from);
}

std::string label_value(std::string_view value) {
    std::string out;
    append_label_value(out, value);
    return out;
}

// Runs promcheck.py on `text`; its exit status.
int promcheck(const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("pullgate-metrics-" + std::to_string(::getpid()) + ".txt");
    std::ofstream(path, std::ios::binary) << text;
    const std::string command = "python3 " PULLGATE_SOURCE_DIR "/tests/tools/promcheck.py " +
                                path.string() + " >/dev/null 2>&1";
    const int status = std::system(command.c_str());
    std::filesystem::remove(path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

TEST_CASE("a small scenario exposes exactly this text") {
    registry m(options());
    m.observe_request(request("docker.io", "manifest", "official", 2814));
    m.observe_request(request("docker.io", "blob", "official", 1000));
    record refused = request(std::nullopt, "connect", std::nullopt, 0);
    refused.action = "other";
    refused.decision = "deny";
    refused.enforced = false;
    m.observe_request(refused);
    m.add_relayed_bytes(direction::upstream, 512);
    m.add_relayed_bytes(direction::client, 3814);
    m.connection_opened(peer::client);
    m.connection_opened(peer::client);
    m.connection_closed(peer::client);
    m.connection_opened(peer::upstream);
    m.observe_tls_handshake(3ms);
    m.observe_upstream_connect(200ms);
    m.observe_upstream_connect(500us); // on a bound: counted in that bucket
    m.config_reload(true);
    m.config_reload(false);
    m.config_reload(true);
    m.set_certificate_cache([] { return certificate_cache_counts{5, 2}; });

    CHECK(m.exposition() ==
          R"(# HELP pullgate_build_info Always 1; the version label names the running build.
# TYPE pullgate_build_info gauge
pullgate_build_info{version="1.2.3"} 1
# HELP process_start_time_seconds Start time of the process since the Unix epoch.
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1796396645.123
# HELP pullgate_requests_total Requests by registry, kind, action, category, decision and whether the decision was enforced; one per audit record.
# TYPE pullgate_requests_total counter
pullgate_requests_total{registry="_none",kind="connect",action="other",category="none",decision="deny",enforced="false"} 1
pullgate_requests_total{registry="docker.io",kind="blob",action="pull",category="official",decision="allow",enforced="true"} 1
pullgate_requests_total{registry="docker.io",kind="manifest",action="pull",category="official",decision="allow",enforced="true"} 1
# HELP pullgate_response_bytes_total Response body bytes sent to clients, by registry.
# TYPE pullgate_response_bytes_total counter
pullgate_response_bytes_total{registry="_none"} 0
pullgate_response_bytes_total{registry="docker.io"} 3814
# HELP pullgate_relayed_bytes_total Body bytes relayed, by direction: to the upstream or to the client.
# TYPE pullgate_relayed_bytes_total counter
pullgate_relayed_bytes_total{direction="upstream"} 512
pullgate_relayed_bytes_total{direction="client"} 3814
# HELP pullgate_config_reloads_total Configuration reloads after start-up, by outcome.
# TYPE pullgate_config_reloads_total counter
pullgate_config_reloads_total{outcome="success"} 2
pullgate_config_reloads_total{outcome="failure"} 1
# HELP pullgate_client_connections Client connections open now.
# TYPE pullgate_client_connections gauge
pullgate_client_connections 1
# HELP pullgate_upstream_connections Upstream connections open now.
# TYPE pullgate_upstream_connections gauge
pullgate_upstream_connections 1
# HELP pullgate_tls_handshake_seconds Time to complete TLS handshakes with clients.
# TYPE pullgate_tls_handshake_seconds histogram
pullgate_tls_handshake_seconds_bucket{le="0.0005"} 0
pullgate_tls_handshake_seconds_bucket{le="0.001"} 0
pullgate_tls_handshake_seconds_bucket{le="0.0025"} 0
pullgate_tls_handshake_seconds_bucket{le="0.005"} 1
pullgate_tls_handshake_seconds_bucket{le="0.01"} 1
pullgate_tls_handshake_seconds_bucket{le="0.025"} 1
pullgate_tls_handshake_seconds_bucket{le="0.05"} 1
pullgate_tls_handshake_seconds_bucket{le="0.1"} 1
pullgate_tls_handshake_seconds_bucket{le="0.25"} 1
pullgate_tls_handshake_seconds_bucket{le="0.5"} 1
pullgate_tls_handshake_seconds_bucket{le="1"} 1
pullgate_tls_handshake_seconds_bucket{le="2.5"} 1
pullgate_tls_handshake_seconds_bucket{le="5"} 1
pullgate_tls_handshake_seconds_bucket{le="10"} 1
pullgate_tls_handshake_seconds_bucket{le="+Inf"} 1
pullgate_tls_handshake_seconds_sum 0.003
pullgate_tls_handshake_seconds_count 1
# HELP pullgate_upstream_connect_seconds Time to connect to an upstream: TCP connect and TLS handshake.
# TYPE pullgate_upstream_connect_seconds histogram
pullgate_upstream_connect_seconds_bucket{le="0.0005"} 1
pullgate_upstream_connect_seconds_bucket{le="0.001"} 1
pullgate_upstream_connect_seconds_bucket{le="0.0025"} 1
pullgate_upstream_connect_seconds_bucket{le="0.005"} 1
pullgate_upstream_connect_seconds_bucket{le="0.01"} 1
pullgate_upstream_connect_seconds_bucket{le="0.025"} 1
pullgate_upstream_connect_seconds_bucket{le="0.05"} 1
pullgate_upstream_connect_seconds_bucket{le="0.1"} 1
pullgate_upstream_connect_seconds_bucket{le="0.25"} 2
pullgate_upstream_connect_seconds_bucket{le="0.5"} 2
pullgate_upstream_connect_seconds_bucket{le="1"} 2
pullgate_upstream_connect_seconds_bucket{le="2.5"} 2
pullgate_upstream_connect_seconds_bucket{le="5"} 2
pullgate_upstream_connect_seconds_bucket{le="10"} 2
pullgate_upstream_connect_seconds_bucket{le="+Inf"} 2
pullgate_upstream_connect_seconds_sum 0.2005
pullgate_upstream_connect_seconds_count 2
# HELP pullgate_certificate_cache_hits_total Leaf certificates served from the cache.
# TYPE pullgate_certificate_cache_hits_total counter
pullgate_certificate_cache_hits_total 5
# HELP pullgate_certificate_cache_misses_total Leaf certificates minted because the cache had none or an expiring one.
# TYPE pullgate_certificate_cache_misses_total counter
pullgate_certificate_cache_misses_total 2
)");
}

TEST_CASE("label values escape backslash, double quote and line feed, and only those") {
    struct row {
        std::string_view in;
        std::string_view out;
    };
    const row rows[] = {
        {"docker.io", "docker.io"},
        {"", ""},
        {R"(a\b)", R"(a\\b)"},
        {R"(say "hi")", R"(say \"hi\")"},
        {"two\nlines", R"(two\nlines)"},
        {"\\n", R"(\\n)"}, // a backslash and an n stay two characters
        {"tab\there\rcr", "tab\there\rcr"},
        {"caf\xc3\xa9 \xf0\x9f\x90\xb3", "caf\xc3\xa9 \xf0\x9f\x90\xb3"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.in);
        CHECK(label_value(r.in) == r.out);
    }
}

TEST_CASE("bytes that are not UTF-8 become U+FFFD in a label value") {
    struct row {
        std::string_view in;
        std::string_view out;
    };
    const row rows[] = {
        {"\xff", "\xEF\xBF\xBD"},
        {"a\x80z", "a\xEF\xBF\xBDz"},
        {"\xc0\xaf", "\xEF\xBF\xBD\xEF\xBF\xBD"},                                 // overlong "/"
        {"\xed\xa0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},                 // a surrogate
        {"\xf4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, // past U+10FFFF
        {"\xe2\x82", "\xEF\xBF\xBD\xEF\xBF\xBD"},                                 // cut short
    };
    for (const auto& r : rows) {
        CAPTURE(r.in);
        CHECK(label_value(r.in) == r.out);
    }
}

TEST_CASE("a hostile registry name stays inside its label on one line") {
    registry m(options());
    m.observe_request(request("evil\"}\n# TYPE x counter\nx 1\\", "ping", std::nullopt, 0));
    const std::string text = m.exposition();
    CHECK(
        value_of(text,
                 R"(pullgate_response_bytes_total{registry="evil\"}\n# TYPE x counter\nx 1\\"})") ==
        "0");
    CHECK(text.find("\n# TYPE x") == std::string::npos);
    CHECK(text.find("\nx 1") == std::string::npos);
}

TEST_CASE("HELP text escapes backslash and line feed but not quotes") {
    std::string out;
    append_help_text(out, "a \"b\" \\ c\nd");
    CHECK(out == R"(a "b" \\ c\nd)");
}

TEST_CASE("sample values are written as Prometheus reads them") {
    struct row {
        double in;
        std::string_view out;
    };
    const row rows[] = {
        {0, "0"},
        {1, "1"},
        {0.0005, "0.0005"},
        {2.5, "2.5"},
        {1e-7, "1e-07"},
        {-3.25, "-3.25"},
        {std::numeric_limits<double>::infinity(), "+Inf"},
        {-std::numeric_limits<double>::infinity(), "-Inf"},
        {std::numeric_limits<double>::quiet_NaN(), "NaN"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.out);
        CHECK(format_value(r.in) == r.out);
    }
}

TEST_CASE("metric and label names follow the Prometheus grammar") {
    struct row {
        std::string_view name;
        bool metric;
        bool label;
    };
    const row rows[] = {
        {"pullgate_requests_total", true, true},
        {"_x", true, true},
        {"a:b", true, false},
        {"__name__", true, false}, // reserved for Prometheus itself
        {"9lives", false, false},
        {"", false, false},
        {"dash-ed", false, false},
        {"caf\xc3\xa9", false, false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        CHECK(valid_metric_name(r.name) == r.metric);
        CHECK(valid_label_name(r.name) == r.label);
    }
}

TEST_CASE("histogram buckets are cumulative and +Inf equals the count") {
    static constexpr double bounds[] = {1, 2, 5};
    struct row {
        std::string_view name;
        std::vector<double> observations;
        std::vector<std::uint64_t> cumulative; // le 1, 2, 5, +Inf
        double sum;
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    const row rows[] = {
        {"nothing observed", {}, {0, 0, 0, 0}, 0},
        {"a value on a bound counts in that bound", {1, 2, 5}, {1, 2, 3, 3}, 8},
        {"values between bounds count in the next", {0.5, 1.5, 3}, {1, 2, 3, 3}, 5},
        {"values past the last bound count only in +Inf", {6, 100}, {0, 0, 0, 2}, 106},
        {"negative values count in the first bucket", {-1}, {1, 1, 1, 1}, -1},
        {"infinity counts in +Inf", {inf}, {0, 0, 0, 1}, inf},
        {"NaN is not counted", {nan, 1}, {1, 1, 1, 1}, 1},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        histogram h(bounds);
        for (const double v : r.observations)
            h.observe(v);
        const auto s = h.read();
        CHECK(s.cumulative == r.cumulative);
        CHECK(s.count == s.cumulative.back());
        CHECK(s.sum == r.sum);
    }
}

TEST_CASE("a histogram family writes le buckets, then _sum and _count") {
    static constexpr double bounds[] = {0.5, 1};
    histogram h(bounds);
    h.observe(0.25);
    h.observe(0.75);
    h.observe(3);
    exposition_writer w;
    h.write(w, "x_seconds", "X.");
    CHECK(w.text() == "# HELP x_seconds X.\n"
                      "# TYPE x_seconds histogram\n"
                      "x_seconds_bucket{le=\"0.5\"} 1\n"
                      "x_seconds_bucket{le=\"1\"} 2\n"
                      "x_seconds_bucket{le=\"+Inf\"} 3\n"
                      "x_seconds_sum 4\n"
                      "x_seconds_count 3\n");
}

TEST_CASE("past the cap, new registries are counted as _other and then as all _other") {
    counter_family f({"registry", "kind"}, 2);
    struct row {
        std::string_view registry;
        std::string_view kind;
    };
    const row adds[] = {
        {"a.io", "blob"},  // 1st series
        {"b.io", "blob"},  // 2nd: the cap
        {"a.io", "blob"},  // existing series still count
        {"c.io", "blob"},  // over: _other,blob (3rd series)
        {"d.io", "blob"},  // _other,blob again
        {"c.io", "ping"},  // _other,ping (4th: twice the cap)
        {"e.io", "token"}, // _other,token would be a 5th: _other,_other
        {"f.io", "tags"},  // _other,_other again
    };
    for (const auto& a : adds) {
        const std::string_view values[] = {a.registry, a.kind};
        f.add(values, 1);
    }
    using s = counter_family::series;
    const std::vector<s> expected = {
        {{"_other", "_other"}, 2}, {{"_other", "blob"}, 2}, {{"_other", "ping"}, 1},
        {{"a.io", "blob"}, 2},     {{"b.io", "blob"}, 1},
    };
    const auto got = f.read();
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        CHECK(got[i].values == expected[i].values);
        CHECK(got[i].count == expected[i].count);
    }
    CHECK(f.series_count() == 5);
}

TEST_CASE("2,000 registries keep their own series; the 2,001st and later count as _other") {
    registry m(options());
    for (int i = 0; i < 2100; ++i)
        m.observe_request(
            request("host" + std::to_string(i) + ".example", "ping", std::nullopt, 1));
    const std::string text = m.exposition();
    CHECK(value_of(text, R"(pullgate_response_bytes_total{registry="host1999.example"})") == "1");
    CHECK(value_of(text, R"(pullgate_response_bytes_total{registry="host2000.example"})") ==
          "absent");
    CHECK(value_of(text, R"(pullgate_response_bytes_total{registry="_other"})") == "100");
    CHECK(value_of(text, R"(pullgate_requests_total{registry="_other",kind="ping",action="pull",)"
                         R"(category="none",decision="allow",enforced="true"})") == "100");
}

TEST_CASE("a connection gauge closes what it opened, also when moved") {
    registry m(options());
    const auto gauge = [&] {
        return value_of(m.exposition(), "pullgate_client_connections");
    };
    {
        auto outer = m.track_connection(peer::client);
        CHECK(gauge() == "1");
        {
            auto inner = m.track_connection(peer::client);
            auto moved = std::move(inner);
            CHECK(gauge() == "2");
        }
        CHECK(gauge() == "1");
    }
    CHECK(gauge() == "0");
}

TEST_CASE("collectors add their families after the registry's own") {
    registry m(options());
    m.add_collector([](exposition_writer& w) { w.gauge("pullgate_ready", "1 when ready.", 1.0); });
    const std::string text = m.exposition();
    CHECK(text.ends_with("# HELP pullgate_ready 1 when ready.\n"
                         "# TYPE pullgate_ready gauge\n"
                         "pullgate_ready 1\n"));
}

TEST_CASE("counts from many threads add up exactly" * doctest::timeout(60)) {
    registry m(options());
    constexpr int threads = 8;
    constexpr int per_thread = 5000;
    const std::string registries[] = {"docker.io", "ghcr.io", "quay.io"};
    std::atomic<bool> done{false};
    int inconsistent_scrapes = 0;
    std::thread scraper([&] {
        // Scrapes race with updates: every one must still be consistent.
        while (!done.load()) {
            const std::string text = m.exposition();
            if (value_of(text, R"(pullgate_tls_handshake_seconds_bucket{le="+Inf"})") !=
                value_of(text, "pullgate_tls_handshake_seconds_count"))
                ++inconsistent_scrapes;
        }
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                const auto connection = m.track_connection(peer::upstream);
                m.observe_request(request(registries[(t + i) % 3], "blob", "official", 10));
                m.add_relayed_bytes(direction::client, 3);
                m.add_relayed_bytes(direction::upstream, 1);
                m.observe_tls_handshake(250ms);
                m.observe_upstream_connect(2s);
                m.config_reload(i % 2 == 0);
            }
        });
    }
    for (auto& w : workers)
        w.join();
    done = true;
    scraper.join();
    CHECK(inconsistent_scrapes == 0);

    constexpr std::uint64_t n = threads * per_thread;
    const std::string text = m.exposition();
    std::uint64_t requests = 0;
    for (const auto& r : registries) {
        CAPTURE(r);
        const std::string bytes =
            value_of(text, "pullgate_response_bytes_total{registry=\"" + r + "\"}");
        REQUIRE(bytes != "absent");
        requests += std::stoull(bytes) / 10;
    }
    CHECK(requests == n);
    CHECK(value_of(text, R"(pullgate_relayed_bytes_total{direction="client"})") ==
          std::to_string(3 * n));
    CHECK(value_of(text, R"(pullgate_relayed_bytes_total{direction="upstream"})") ==
          std::to_string(n));
    CHECK(value_of(text, "pullgate_upstream_connections") == "0");
    CHECK(value_of(text, R"(pullgate_tls_handshake_seconds_bucket{le="0.1"})") == "0");
    CHECK(value_of(text, R"(pullgate_tls_handshake_seconds_bucket{le="0.25"})") ==
          std::to_string(n));
    CHECK(value_of(text, "pullgate_tls_handshake_seconds_sum") == std::to_string(n / 4));
    CHECK(value_of(text, "pullgate_upstream_connect_seconds_sum") == std::to_string(2 * n));
    CHECK(value_of(text, R"(pullgate_config_reloads_total{outcome="success"})") ==
          std::to_string(n / 2));
    CHECK(value_of(text, R"(pullgate_config_reloads_total{outcome="failure"})") ==
          std::to_string(n / 2));
}

TEST_CASE("promcheck.py accepts the exposition and rejects a broken one") {
    registry m(options());
    m.observe_request(request("docker.io", "manifest", "official", 2814));
    m.observe_request(request("weird\"host\\\n", "ping", std::nullopt, 0));
    m.observe_request(request(std::nullopt, "connect", std::nullopt, 0));
    m.observe_tls_handshake(3ms);
    m.add_collector([](exposition_writer& w) { w.gauge("pullgate_ready", "1 when ready.", 1.0); });
    const std::string text = m.exposition();
    CHECK(promcheck(text) == 0);
    // The same text with its +Inf bucket off by one: proof that the check runs.
    std::string broken = text;
    const std::string inf = "pullgate_tls_handshake_seconds_bucket{le=\"+Inf\"} 1\n";
    REQUIRE(broken.find(inf) != std::string::npos);
    broken.replace(broken.find(inf), inf.size(),
                   "pullgate_tls_handshake_seconds_bucket{le=\"+Inf\"} 2\n");
    CHECK(promcheck(broken) == 1);
}
