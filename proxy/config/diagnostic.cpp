#include "config/diagnostic.hpp"

#include <fmt/format.h>

namespace pullgate::config {
namespace {

// Messages quote configured values and parser errors, which may hold any
// byte: a newline or an escape sequence must not reach the terminal or the
// log as is (one diagnostic, one line).
std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\n')
            out += "\\n";
        else if (u < 0x20 || u == 0x7f)
            out += fmt::format("\\x{:02x}", u);
        else
            out.push_back(c);
    }
    return out;
}

} // namespace

std::string diagnostic::to_string() const {
    const std::string_view label = level == severity::warning ? "warning: " : "";
    // Line 0 means the problem has no place in the file (it could not be
    // read at all): "FILE: message", the form compilers use for such errors.
    if (line <= 0)
        return fmt::format("{}: {}{}", printable(file), label, printable(message));
    return fmt::format("{}:{}:{}: {}{}", printable(file), line, column, label, printable(message));
}

} // namespace pullgate::config
