// Diagnostics for the operator (house style rule 11): one small levelled
// logger on stderr, separate from the audit log. Lines are written whole
// under a lock so that threads never interleave.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace pullgate::log {

enum class level { debug, info, warning, error };

void set_threshold(level l);
bool enabled(level l);
void write(level l, std::string_view message);

template <class... Args> void debug(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level::debug))
        write(level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args> void info(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level::info))
        write(level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args> void warning(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level::warning))
        write(level::warning, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args> void error(fmt::format_string<Args...> f, Args&&... args) {
    write(level::error, fmt::format(f, std::forward<Args>(args)...));
}

} // namespace pullgate::log
