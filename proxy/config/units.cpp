// Durations and sizes as operators write them in the configuration.
#include "config/load.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>

namespace pullgate::config {
namespace {

// Reads the leading decimal digits of `text` into `value`; returns how many
// characters it used (0 when there is no digit or the number overflows).
std::size_t read_digits(std::string_view text, std::uint64_t& value) {
    const char* end = text.data();
    while (end != text.data() + text.size() && *end >= '0' && *end <= '9')
        ++end;
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{})
        return 0;
    return static_cast<std::size_t>(ptr - text.data());
}

struct duration_unit {
    std::string_view suffix;
    std::uint64_t ms;
};

// Longest suffix first so that "ms" is not read as minutes; the index is
// also the order units must appear in ("1h30m", never "30m1h").
constexpr std::array<duration_unit, 4> units{{
    {"h", 3'600'000},
    {"ms", 1},
    {"m", 60'000},
    {"s", 1'000},
}};
constexpr std::array<int, 4> unit_rank{0, 3, 1, 2};

bool checked_add(std::uint64_t& total, std::uint64_t amount, std::uint64_t scale) {
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<milliseconds::rep>::max());
    if (amount != 0 && scale > max / amount)
        return false;
    if (amount * scale > max - total)
        return false;
    total += amount * scale;
    return true;
}

} // namespace

std::optional<milliseconds> parse_duration(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    std::uint64_t total = 0;
    int last_rank = -1;
    while (!text.empty()) {
        std::uint64_t amount = 0;
        const std::size_t used = read_digits(text, amount);
        if (used == 0)
            return std::nullopt;
        text.remove_prefix(used);
        std::size_t unit = 0;
        while (unit < units.size() && !text.starts_with(units[unit].suffix))
            ++unit;
        // A missing unit, an unknown one, or a unit out of order or repeated.
        if (unit == units.size() || unit_rank[unit] <= last_rank)
            return std::nullopt;
        last_rank = unit_rank[unit];
        text.remove_prefix(units[unit].suffix.size());
        if (!checked_add(total, amount, units[unit].ms))
            return std::nullopt;
    }
    return milliseconds(static_cast<milliseconds::rep>(total));
}

std::optional<std::size_t> parse_size(std::string_view text) {
    std::uint64_t amount = 0;
    const std::size_t used = read_digits(text, amount);
    if (used == 0)
        return std::nullopt;
    text.remove_prefix(used);
    std::uint64_t scale = 1;
    // Binary units only, spelt as IEC does: "16KiB" is unambiguous where
    // "16KB" and "16K" are not.
    if (text == "KiB")
        scale = 1024;
    else if (text == "MiB")
        scale = 1024 * 1024;
    else if (!text.empty())
        return std::nullopt;
    if (amount > std::numeric_limits<std::size_t>::max() / scale)
        return std::nullopt;
    return static_cast<std::size_t>(amount * scale);
}

} // namespace pullgate::config
