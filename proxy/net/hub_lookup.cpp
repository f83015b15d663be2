#include "net/hub_lookup.hpp"

#include "log/log.hpp"
#include "net/upstream.hpp"
#include "version.hpp"

#include <boost/asio/post.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pullgate::net {
namespace {

std::string namespace_of(const std::string& repository) {
    return repository.substr(0, repository.find('/'));
}

struct hub_url {
    request::authority where;
    std::string base_path;
};

// lookup.url is validated as https:// by the configuration loader.
std::optional<hub_url> parse_url(const std::string& url) {
    constexpr std::string_view scheme = "https://";
    if (url.rfind(scheme, 0) != 0)
        return std::nullopt;
    const auto rest = std::string_view(url).substr(scheme.size());
    const auto slash = rest.find('/');
    auto where = request::parse_authority(rest.substr(0, slash), 443);
    if (!where)
        return std::nullopt;
    return hub_url{*where, slash == std::string_view::npos ? "" : std::string(rest.substr(slash))};
}

void write_file_atomically(const std::string& path, const std::string& text) {
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << text;
        if (!out.flush()) {
            log::warning("cannot write the Docker Hub badge cache {}", temporary);
            return;
        }
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec)
        log::warning("cannot replace the Docker Hub badge cache {}: {}", path, ec.message());
}

} // namespace

hub_lookup::hub_lookup(metrics::registry& metrics, asio::thread_pool& blocking)
    : metrics_(metrics), blocking_(blocking) {
}

std::string hub_lookup::load_cache_file(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return "no Docker Hub badge cache at " + path + " yet";
    std::ostringstream text;
    text << in.rdbuf();
    const auto loaded = cache_.load_json(text.str(), service::wall_clock::now());
    if (!loaded)
        return "ignored the Docker Hub badge cache " + path + ": " + loaded.error();
    return "loaded " + std::to_string(*loaded) + " Docker Hub badges from " + path;
}

task<hub_lookup::answer> hub_lookup::badges_for(std::shared_ptr<const runtime> rt,
                                                std::vector<std::string> repositories) {
    const auto& lookup = *rt->settings->cfg.policy.docker_hub.lookup;
    auto executor = co_await asio::this_coro::executor;
    auto wake_up = std::make_shared<asio::steady_timer>(executor, lookup.timeout);
    const waker wake = [wake_up, executor] {
        asio::post(executor, [wake_up] { wake_up->cancel(); });
    };

    std::vector<std::string> missing;
    std::vector<std::string> failed;
    {
        std::lock_guard lock(mutex_);
        const auto now = service::wall_clock::now();
        for (const auto& repository : repositories) {
            const auto ns = namespace_of(repository);
            if (cache_.find(ns, now))
                continue;
            if (auto f = last_error_.find(ns);
                f != last_error_.end() && !in_flight_.contains(ns) &&
                std::chrono::steady_clock::now() - f->second.when < retry_after) {
                failed.push_back(ns);
                continue;
            }
            missing.push_back(ns);
            auto [entry, fresh] = in_flight_.try_emplace(ns);
            entry->second.push_back(wake);
            if (fresh)
                asio::co_spawn(executor, fetch(rt, repository), asio::detached);
        }
    }
    // Woken by each finished look-up (answered or failed), or by the
    // deadline, whichever comes first for the last namespace.
    while (!missing.empty()) {
        auto [ec] = co_await wake_up->async_wait(use_nothrow);
        {
            std::lock_guard lock(mutex_);
            std::erase_if(missing, [&](const std::string& ns) {
                if (in_flight_.contains(ns))
                    return false;
                if (!cache_.find(ns, service::wall_clock::now()))
                    failed.push_back(ns);
                return true;
            });
        }
        if (!ec)
            break; // the deadline passed
    }

    answer out;
    out.badges = cache_.snapshot(service::wall_clock::now());
    std::lock_guard lock(mutex_);
    if (!failed.empty()) {
        const auto it = last_error_.find(failed.front());
        out.note = "Docker Hub badge of " + failed.front() +
                   " unknown: " + (it != last_error_.end() ? it->second.why : "look-up failed");
    } else if (!missing.empty()) {
        out.note = "Docker Hub badge of " + missing.front() + " unknown: look-up timed out";
    }
    co_return out;
}

policy::badge_map hub_lookup::cached() const {
    return cache_.snapshot(service::wall_clock::now());
}

task<void> hub_lookup::fetch(std::shared_ptr<const runtime> rt, std::string repository) {
    const auto ns = namespace_of(repository);
    const auto& lookup = *rt->settings->cfg.policy.docker_hub.lookup;
    const auto url = parse_url(lookup.url);
    if (!url) {
        finish(ns, "docker_hub.lookup.url is not an https URL");
        co_return;
    }
    auto connection = co_await connect_tls(*rt, metrics_, url->where);
    if (connection.failure) {
        finish(ns, connection.failure->reason);
        co_return;
    }
    auto& stream = *connection.stream;
    http::request<http::empty_body> request{
        http::verb::get, service::hub_search_target(url->base_path, repository), 11};
    request.set(http::field::host, url->where.host);
    request.set(http::field::user_agent, std::string("pullgate/") + version);
    request.set(http::field::accept, "application/json");
    // The look-up may finish after the request that asked has moved on: its
    // answer is cached for the next one. Bounded all the same.
    const auto patience =
        std::max<std::chrono::milliseconds>(lookup.timeout, std::chrono::seconds(10));
    beast::get_lowest_layer(stream).expires_after(patience);
    auto [write_error, written] = co_await http::async_write(stream, request, use_nothrow);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    error_code read_error = write_error;
    if (!read_error)
        std::tie(read_error, std::ignore) =
            co_await http::async_read(stream, buffer, parser, use_nothrow);
    if (read_error) {
        finish(ns, "Docker Hub search failed: " + read_error.message());
        co_return;
    }
    if (parser.get().result() != http::status::ok) {
        finish(ns, "Docker Hub search answered " + std::to_string(parser.get().result_int()));
        co_return;
    }
    const auto category = service::parse_hub_search(parser.get().body(), repository);
    if (!category) {
        finish(ns, category.error());
        co_return;
    }
    cache_.store(ns, *category, service::wall_clock::now() + lookup.ttl);
    finish(ns, {});
    save_soon(rt);
}

void hub_lookup::finish(const std::string& name_space, std::string error) {
    std::vector<waker> waiting;
    {
        std::lock_guard lock(mutex_);
        if (auto it = in_flight_.find(name_space); it != in_flight_.end()) {
            waiting = std::move(it->second);
            in_flight_.erase(it);
        }
        if (error.empty())
            last_error_.erase(name_space);
        else
            last_error_[name_space] = failure{std::move(error), std::chrono::steady_clock::now()};
    }
    for (const auto& wake : waiting)
        wake();
}

void hub_lookup::save_soon(std::shared_ptr<const runtime> rt) {
    const auto& path = rt->settings->cfg.policy.docker_hub.lookup->cache_file;
    if (!path || save_pending_.exchange(true))
        return;
    asio::post(blocking_, [this, file = *path] {
        save_pending_.store(false);
        write_file_atomically(file, cache_.to_json(service::wall_clock::now()));
    });
}

} // namespace pullgate::net
