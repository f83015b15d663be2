// An error or warning about a configuration, pointing at the file, line
// and column it concerns (`pullgate check` prints FILE:LINE:COL: message).
#pragma once

#include <string>

namespace pullgate::config {

enum class severity { error, warning };

struct diagnostic {
    std::string file;
    int line = 0;   // 1-based; 0 when the problem has no place in the file
    int column = 0; // 1-based
    severity level = severity::error;
    std::string message;

    // "FILE:LINE:COL: message" for errors, "FILE:LINE:COL: warning: message"
    // for warnings.
    std::string to_string() const;
};

} // namespace pullgate::config
