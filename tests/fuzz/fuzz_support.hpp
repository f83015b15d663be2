// Shared by the libFuzzer targets: input splitting and invariant checks.
//
// A target asserts more than "does not crash": every invariant that the
// headers promise (canonical forms are idempotent, what is accepted is
// well-formed, round trips hold). FUZZ_CHECK stays active in every build
// type and aborts with the condition and place, which libFuzzer reports as
// a crash and saves the input for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace pullgate::fuzz {

[[noreturn]] inline void check_failed(const char* condition, const char* file, int line,
                                      std::string_view context = {}) {
    std::fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, condition);
    if (!context.empty()) {
        // Escaped, so that the report shows exactly which bytes were involved.
        std::fputs("  context: \"", stderr);
        for (const char c : context) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\')
                std::fprintf(stderr, "\\x%02x", u);
            else
                std::fputc(c, stderr);
        }
        std::fputs("\"\n", stderr);
    }
    std::abort();
}

#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition))                                                                          \
            ::pullgate::fuzz::check_failed(#condition, __FILE__, __LINE__);                        \
    } while (false)

// FUZZ_CHECK that also prints `context` (a string) when it fails.
#define FUZZ_CHECK_AT(condition, context)                                                          \
    do {                                                                                           \
        if (!(condition))                                                                          \
            ::pullgate::fuzz::check_failed(#condition, __FILE__, __LINE__, (context));             \
    } while (false)

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Exactly `count` fields: the input split at its first count-1 newlines,
// the last field taking the rest (newlines included). Missing fields are
// empty, so every input is usable and the seeds stay readable.
inline std::vector<std::string_view> split_fields(std::string_view data, std::size_t count) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i + 1 < count; ++i) {
        const auto newline = data.find('\n');
        if (newline == std::string_view::npos) {
            out.push_back(data);
            data = {};
            continue;
        }
        out.push_back(data.substr(0, newline));
        data.remove_prefix(newline + 1);
    }
    out.push_back(data);
    return out;
}

// Every byte in 0x21..0x7e: no space, no control character (CR, LF, NUL,
// ESC), nothing outside ASCII.
inline bool is_visible_ascii(std::string_view text) {
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f)
            return false;
    }
    return true;
}

// Every byte in 0x20..0x7e.
inline bool is_printable_ascii(std::string_view text) {
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f)
            return false;
    }
    return true;
}

} // namespace pullgate::fuzz
