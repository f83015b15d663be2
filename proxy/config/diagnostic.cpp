#include "config/diagnostic.hpp"

#include <fmt/format.h>

namespace pullgate::config {

std::string diagnostic::to_string() const {
    const std::string_view label = level == severity::warning ? "warning: " : "";
    // Line 0 means the problem has no place in the file (it could not be
    // read at all): "FILE: message", the form compilers use for such errors.
    if (line <= 0)
        return fmt::format("{}: {}{}", file, label, message);
    return fmt::format("{}:{}:{}: {}{}", file, line, column, label, message);
}

} // namespace pullgate::config
