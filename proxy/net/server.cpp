#include "net/server.hpp"

#include "log/log.hpp"
#include "net/client_connection.hpp"
#include "net/connection_registry.hpp"
#include "net/upstream_pool.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <thread>

namespace pullgate::net {
namespace {

void report_crash(std::exception_ptr failure) {
    if (!failure)
        return;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        log::error("connection ended by an unexpected exception: {}", e.what());
    }
}

} // namespace

server::server(proxy_context& px, unsigned threads) : px_(px) {
    if (threads == 0)
        threads = std::max(1u, std::thread::hardware_concurrency());
    // Concurrency hint 1: each context is run by exactly one thread, which
    // lets Asio skip its internal locking.
    for (unsigned i = 0; i < threads; ++i)
        contexts_.push_back(std::make_unique<asio::io_context>(1));
    for (auto& context : contexts_)
        guards_.push_back(asio::make_work_guard(*context));
    acceptor_ = std::make_unique<tcp::acceptor>(main_context());
}

server::~server() = default;

void server::listen(const tcp::endpoint& where) {
    error_code ec;
    acceptor_->open(where.protocol(), ec);
    if (!ec)
        acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
        acceptor_->bind(where, ec);
    if (!ec)
        acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error(fmt::format("cannot listen on {}:{}: {} (check `listen`)",
                                             where.address().to_string(), where.port(),
                                             ec.message()));
    listening_ = true;
    asio::co_spawn(main_context(), accept_loop(), report_crash);
}

void server::listen_admin(const tcp::endpoint& where, admin_handler handler) {
    admin_ = std::make_unique<admin_server>(main_context(), where, std::move(handler));
}

task<void> server::accept_loop() {
    for (;;) {
        auto& target = *contexts_[next_context_++ % contexts_.size()];
        auto [ec, socket] = co_await acceptor_->async_accept(target, use_nothrow);
        if (ec == asio::error::operation_aborted || !acceptor_->is_open())
            co_return;
        if (ec) {
            // Out of descriptors or memory: back off instead of spinning.
            log::warning("accept failed: {}; retrying in 100 ms", ec.message());
            asio::steady_timer pause(main_context(), std::chrono::milliseconds(100));
            co_await pause.async_wait(use_nothrow);
            continue;
        }
        asio::co_spawn(target, serve_client(px_, std::move(socket)), report_crash);
    }
}

void server::run() {
    for (auto& context : contexts_)
        asio::co_spawn(*context, expire_pooled_connections(), report_crash);
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < contexts_.size(); ++i)
        threads.emplace_back([context = contexts_[i].get()] {
            context->run();
            drop_pooled_connections();
        });
    main_context().run();
    drop_pooled_connections();
    for (auto& thread : threads)
        thread.join();
}

void server::drain(std::chrono::milliseconds limit) {
    if (px_.draining.exchange(true))
        return;
    error_code ec;
    acceptor_->close(ec);
    for (auto& context : contexts_)
        asio::post(*context, [] { close_idle_connections(); });
    asio::co_spawn(main_context(), wait_for_drain(std::chrono::steady_clock::now() + limit),
                   report_crash);
}

task<void> server::wait_for_drain(std::chrono::steady_clock::time_point deadline) {
    asio::steady_timer tick(main_context());
    while (px_.connections.active() > 0 && std::chrono::steady_clock::now() < deadline) {
        tick.expires_after(std::chrono::milliseconds(50));
        co_await tick.async_wait(use_nothrow);
    }
    if (const auto left = px_.connections.active())
        log::warning("drain limit reached with {} connections still open; closing them", left);
    stop();
}

void server::stop() {
    guards_.clear();
    for (auto& context : contexts_)
        context->stop();
}

} // namespace pullgate::net
