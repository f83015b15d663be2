#include "log/log.hpp"

#include "util/utc_time.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace pullgate::log {
namespace {

std::atomic<level> threshold{level::info};
std::mutex write_mutex;

std::string_view name(level l) {
    switch (l) {
    case level::debug:
        return "debug";
    case level::info:
        return "info";
    case level::warning:
        return "warning";
    case level::error:
        return "error";
    }
    return "?";
}

} // namespace

void set_threshold(level l) {
    threshold.store(l, std::memory_order_relaxed);
}

bool enabled(level l) {
    return l >= threshold.load(std::memory_order_relaxed);
}

void write(level l, std::string_view message) {
    const std::string line =
        fmt::format("{} pullgate {}: {}\n", format_utc_millis(std::chrono::system_clock::now()),
                    name(l), message);
    std::lock_guard lock(write_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

} // namespace pullgate::log
