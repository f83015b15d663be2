// loadgen: the benchmark's HTTPS client (tests/bench/README.md).
//
// curl cannot keep 32 keep-alive tunnels busy for a fixed time or report
// latency percentiles, and Python is too slow to drive 1,000+ requests a
// second on the two cores the proxy also uses, so the workloads that need
// many connections use this small client: one thread, one coroutine per
// connection, latency measured on the client side.
//
// Each connection is what a registry client opens: TCP to the proxy,
// `CONNECT host:port`, TLS with SNI and full verification (chain and host
// name) against --cafile, then HTTP/1.1 GETs. With --direct it skips the
// CONNECT and talks to the registry itself. TLS sessions are never resumed:
// a new connection costs a full handshake, as for a fresh `docker pull`.
//
// Modes (one JSON object on stdout per phase):
//   keepalive  --clients N connections, each sending GETs back to back for
//              --duration seconds: requests/s, p50, p99.
//   newconn    --clients N loops of connect + CONNECT + TLS + one GET +
//              close for --duration seconds: connections/s, p50, p99.
//   idle       --connections N tunnels, one GET each, then held open; prints
//              {"opened":…}, waits for a line on stdin, sends one more GET on
//              every connection, prints {"alive":…} and exits.
//   handshake  for each of --hosts (comma-separated), one connection after
//              another, twice: the first pass meets each name for the first
//              time, the second again; medians of each step's time.
//
// Build: g++ -O2 -std=c++20 loadgen.cpp -o loadgen -lssl -lcrypto -pthread

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto io_timeout = std::chrono::seconds(60);

struct options {
    std::string mode;
    std::string host;         // CONNECT target, SNI, Host header
    std::string port = "443"; // the target's port
    std::string proxy;        // ADDR:PORT of the proxy, or empty
    std::string direct;       // ADDR:PORT of the registry when no proxy
    std::string cafile;
    std::string path = "/v2/";
    std::string accept = "*/*";
    int clients = 1;
    double duration = 5;
    int connections = 1000;
    int parallel = 32;        // idle: connections being opened at once
    int source_addresses = 0; // spread client addresses over 127.77.0.1..N
    std::vector<std::string> hosts;
};

double ms_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    auto rank = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(rank, v.size() - 1)];
}

tcp::endpoint parse_endpoint(const std::string& text) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos)
        throw std::runtime_error("expected ADDR:PORT, got " + text);
    return {asio::ip::make_address(text.substr(0, colon)),
            static_cast<unsigned short>(std::stoi(text.substr(colon + 1)))};
}

// Where each step of opening a connection went, in milliseconds.
struct open_timings {
    double tcp = 0, tunnel = 0, tls = 0;
};

class connection {
public:
    connection(asio::any_io_executor ex, asio::ssl::context& ctx) : stream_(ex, ctx) {}

    // TCP, then CONNECT (unless direct), then the TLS handshake.
    asio::awaitable<error_code> open(const options& o, std::string host, int index,
                                     open_timings* t) {
        auto& layer = beast::get_lowest_layer(stream_);
        layer.expires_after(io_timeout);
        auto proxied = !o.proxy.empty();
        auto endpoint = parse_endpoint(proxied ? o.proxy : o.direct);
        if (o.source_addresses > 0) {
            // Many client addresses, as in an office: a proxy may cap the
            // connections one address can hold.
            auto last = static_cast<unsigned>(index % o.source_addresses + 1);
            asio::ip::address_v4 source((127u << 24) | (77u << 16) | last);
            layer.socket().open(tcp::v4());
            layer.socket().bind({source, 0});
        }
        auto start = clock_type::now();
        auto [ec] = co_await layer.async_connect(endpoint, use_tuple);
        if (ec)
            co_return ec;
        if (t)
            t->tcp = ms_since(start);
        start = clock_type::now();
        if (proxied) {
            if (auto e = co_await tunnel(host + ":" + o.port))
                co_return e;
        }
        if (t)
            t->tunnel = ms_since(start);
        start = clock_type::now();
        if (!SSL_set_tlsext_host_name(stream_.native_handle(), host.c_str()))
            co_return error_code(static_cast<int>(ERR_get_error()),
                                 asio::error::get_ssl_category());
        stream_.set_verify_callback(asio::ssl::host_name_verification(host));
        std::tie(ec) = co_await stream_.async_handshake(asio::ssl::stream_base::client, use_tuple);
        if (t)
            t->tls = ms_since(start);
        co_return ec;
    }

    // One GET; an answer other than 200 is an error.
    asio::awaitable<error_code> get(const options& o, const std::string& host) {
        http::request<http::empty_body> req{http::verb::get, o.path, 11};
        req.set(http::field::host, host);
        req.set(http::field::accept, o.accept);
        req.set(http::field::user_agent, "pullgate-bench-loadgen");
        beast::get_lowest_layer(stream_).expires_after(io_timeout);
        auto [ec, n] = co_await http::async_write(stream_, req, use_tuple);
        if (ec)
            co_return ec;
        http::response<http::string_body> res;
        std::tie(ec, n) = co_await http::async_read(stream_, buffer_, res, use_tuple);
        if (ec)
            co_return ec;
        if (res.result() != http::status::ok || !res.keep_alive())
            co_return asio::error::make_error_code(asio::error::connection_aborted);
        co_return error_code{};
    }

    void close() {
        error_code ignored;
        beast::get_lowest_layer(stream_).socket().close(ignored);
    }

private:
    asio::awaitable<error_code> tunnel(const std::string& target) {
        auto& layer = beast::get_lowest_layer(stream_);
        auto request = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n";
        auto [ec, n] = co_await asio::async_write(layer, asio::buffer(request), use_tuple);
        if (ec)
            co_return ec;
        // A 2xx answer to CONNECT has no body (RFC 9110 9.3.6): skip it.
        http::response_parser<http::empty_body> parser;
        parser.skip(true);
        std::tie(ec, n) = co_await http::async_read(layer, buffer_, parser, use_tuple);
        if (ec)
            co_return ec;
        if (parser.get().result() != http::status::ok || buffer_.size() != 0)
            co_return asio::error::make_error_code(asio::error::connection_refused);
        co_return error_code{};
    }

    beast::ssl_stream<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
};

struct tally {
    std::vector<double> latencies_ms;
    long errors = 0;
    std::string first_error;

    void fail(const error_code& ec) {
        if (errors++ != 0)
            return;
        first_error = ec.message();
        // It goes into a JSON string.
        std::replace(first_error.begin(), first_error.end(), '"', '\'');
        std::replace(first_error.begin(), first_error.end(), '\\', '/');
    }
};

void print_rate(const char* unit, const tally& t, double seconds) {
    auto n = t.latencies_ms.size();
    std::printf("{\"%s\": %zu, \"errors\": %ld, \"first_error\": \"%s\", \"seconds\": %.3f, "
                "\"per_second\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f}\n",
                unit, n, t.errors, t.first_error.c_str(), seconds,
                seconds > 0 ? static_cast<double>(n) / seconds : 0.0,
                percentile(t.latencies_ms, 0.50), percentile(t.latencies_ms, 0.99));
    std::fflush(stdout);
}

void print_count(const char* what, const std::vector<char>& ok, const tally& t) {
    std::printf("{\"%s\": %ld, \"errors\": %ld, \"first_error\": \"%s\"}\n", what,
                static_cast<long>(std::count(ok.begin(), ok.end(), 1)), t.errors,
                t.first_error.c_str());
    std::fflush(stdout);
}

class runner {
public:
    explicit runner(options o) : o_(std::move(o)), tls_(asio::ssl::context::tls_client) {
        tls_.set_verify_mode(asio::ssl::verify_peer);
        tls_.load_verify_file(o_.cafile);
        // Never resume: every handshake in the benchmark is a full one.
        SSL_CTX_set_session_cache_mode(tls_.native_handle(), SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(tls_.native_handle(), SSL_OP_NO_TICKET);
    }

    void keepalive() {
        std::vector<std::unique_ptr<connection>> conns;
        for (int i = 0; i < o_.clients; ++i)
            conns.push_back(std::make_unique<connection>(io_.get_executor(), tls_));
        tally t;
        for (int i = 0; i < o_.clients; ++i)
            spawn(open_one(*conns[i], i, t));
        run();
        start_ = end_ = clock_type::now();
        deadline_ = start_ + seconds(o_.duration);
        for (int i = 0; i < o_.clients; ++i)
            spawn(keepalive_loop(std::move(conns[i]), i, t));
        run();
        print_rate("requests", t, std::chrono::duration<double>(end_ - start_).count());
    }

    void newconn() {
        tally t;
        start_ = end_ = clock_type::now();
        deadline_ = start_ + seconds(o_.duration);
        for (int i = 0; i < o_.clients; ++i)
            spawn(newconn_loop(i, t));
        run();
        print_rate("connections", t, std::chrono::duration<double>(end_ - start_).count());
    }

    void idle() {
        std::vector<std::unique_ptr<connection>> conns;
        for (int i = 0; i < o_.connections; ++i)
            conns.push_back(std::make_unique<connection>(io_.get_executor(), tls_));
        std::vector<char> ok(conns.size(), 0);
        tally t;
        run_bounded(conns.size(), [&](size_t i) { return open_and_get(*conns[i], i, ok[i], t); });
        print_count("opened", ok, t);
        std::string line;
        std::getline(std::cin, line); // the driver measures while we wait here
        t = tally{};
        run_bounded(conns.size(), [&](size_t i) { return get_again(*conns[i], ok[i], t); });
        print_count("alive", ok, t);
    }

    void handshake() {
        for (const char* pass : {"new", "seen"}) {
            step_times times;
            tally t;
            for (const auto& host : o_.hosts) {
                spawn(timed_connection(host, times, t)); // one after another
                run();
            }
            std::printf("{\"pass\": \"%s\", \"hosts\": %zu, \"errors\": %ld, "
                        "\"first_error\": \"%s\", \"tcp_ms\": %.3f, \"tunnel_ms\": %.3f, "
                        "\"tls_ms\": %.3f, \"total_ms\": %.3f}\n",
                        pass, times.total.size(), t.errors, t.first_error.c_str(),
                        percentile(times.tcp, 0.5), percentile(times.tunnel, 0.5),
                        percentile(times.tls, 0.5), percentile(times.total, 0.5));
            std::fflush(stdout);
        }
    }

private:
    static clock_type::duration seconds(double s) {
        return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
    }

    void spawn(asio::awaitable<void> a) {
        asio::co_spawn(io_, std::move(a), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
    }

    void run() {
        io_.restart();
        io_.run();
    }

    // Runs make_job(0..n-1) with at most o_.parallel at a time.
    template <class F> void run_bounded(size_t n, F make_job) {
        size_t next = 0;
        auto worker = [&]() -> asio::awaitable<void> {
            while (next < n)
                co_await make_job(next++);
        };
        for (int w = 0; w < o_.parallel; ++w)
            spawn(worker());
        run();
    }

    asio::awaitable<void> open_one(connection& c, int index, tally& t) {
        if (auto ec = co_await c.open(o_, o_.host, index, nullptr))
            t.fail(ec);
    }

    asio::awaitable<void> open_and_get(connection& c, size_t index, char& ok, tally& t) {
        auto ec = co_await c.open(o_, o_.host, static_cast<int>(index), nullptr);
        if (!ec)
            ec = co_await c.get(o_, o_.host);
        if (ec)
            t.fail(ec);
        ok = !ec;
    }

    asio::awaitable<void> get_again(connection& c, char& ok, tally& t) {
        if (!ok)
            co_return;
        if (auto ec = co_await c.get(o_, o_.host)) {
            t.fail(ec);
            ok = 0;
        }
    }

    struct step_times {
        std::vector<double> tcp, tunnel, tls, total;
    };

    asio::awaitable<void> timed_connection(std::string host, step_times& times, tally& t) {
        connection c(io_.get_executor(), tls_);
        open_timings steps;
        auto start = clock_type::now();
        auto ec = co_await c.open(o_, host, 0, &steps);
        auto total = ms_since(start);
        if (!ec)
            ec = co_await c.get(o_, host);
        c.close();
        if (ec) {
            t.fail(ec);
            co_return;
        }
        times.tcp.push_back(steps.tcp);
        times.tunnel.push_back(steps.tunnel);
        times.tls.push_back(steps.tls);
        times.total.push_back(total);
    }

    asio::awaitable<void> keepalive_loop(std::unique_ptr<connection> c, int index, tally& t) {
        while (clock_type::now() < deadline_) {
            auto start = clock_type::now();
            auto ec = co_await c->get(o_, o_.host);
            if (!ec) {
                t.latencies_ms.push_back(ms_since(start));
                end_ = std::max(end_, clock_type::now());
                continue;
            }
            // A broken connection is counted and replaced, as a client would.
            t.fail(ec);
            c->close();
            c = std::make_unique<connection>(io_.get_executor(), tls_);
            if (auto e = co_await c->open(o_, o_.host, index, nullptr)) {
                t.fail(e);
                co_return;
            }
        }
    }

    asio::awaitable<void> newconn_loop(int index, tally& t) {
        while (clock_type::now() < deadline_) {
            auto start = clock_type::now();
            connection c(io_.get_executor(), tls_);
            auto ec = co_await c.open(o_, o_.host, index, nullptr);
            if (!ec)
                ec = co_await c.get(o_, o_.host);
            c.close();
            if (ec) {
                t.fail(ec);
                continue;
            }
            t.latencies_ms.push_back(ms_since(start));
            end_ = std::max(end_, clock_type::now());
        }
    }

    options o_;
    asio::io_context io_;
    asio::ssl::context tls_;
    clock_type::time_point start_, deadline_, end_;
};

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        auto comma = text.find(',', start);
        if (comma == std::string::npos)
            comma = text.size();
        if (comma > start)
            out.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

options parse(int argc, char** argv) {
    options o;
    using setter = std::function<void(const std::string&)>;
    auto text = [](std::string& field) -> setter {
        return [&field](auto& v) {
            field = v;
        };
    };
    auto count = [](int& field) -> setter {
        return [&field](auto& v) {
            field = std::stoi(v);
        };
    };
    const std::map<std::string, setter> setters{
        {"--mode", text(o.mode)},
        {"--host", text(o.host)},
        {"--port", text(o.port)},
        {"--proxy", text(o.proxy)},
        {"--direct", text(o.direct)},
        {"--cafile", text(o.cafile)},
        {"--path", text(o.path)},
        {"--accept", text(o.accept)},
        {"--clients", count(o.clients)},
        {"--duration",
         [&o](auto& v) {
             o.duration = std::stod(v);
         }},
        {"--connections", count(o.connections)},
        {"--parallel", count(o.parallel)},
        {"--source-addresses", count(o.source_addresses)},
        {"--hosts",
         [&o](auto& v) {
             o.hosts = split(v);
         }},
    };
    for (int i = 1; i < argc; i += 2) {
        auto found = setters.find(argv[i]);
        if (found == setters.end())
            throw std::runtime_error(std::string("unknown option ") + argv[i]);
        if (i + 1 >= argc)
            throw std::runtime_error(std::string("missing value after ") + argv[i]);
        found->second(argv[i + 1]);
    }
    if (o.cafile.empty() || (o.proxy.empty() == o.direct.empty()))
        throw std::runtime_error("need --cafile and exactly one of --proxy, --direct");
    return o;
}

} // namespace bench

int main(int argc, char** argv) {
    try {
        auto o = bench::parse(argc, argv);
        bench::runner r(o);
        if (o.mode == "keepalive")
            r.keepalive();
        else if (o.mode == "newconn")
            r.newconn();
        else if (o.mode == "idle")
            r.idle();
        else if (o.mode == "handshake")
            r.handshake();
        else
            throw std::runtime_error("unknown --mode " + o.mode);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loadgen: %s\n", e.what());
        return 2;
    }
}
