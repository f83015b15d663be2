// Which configuration a command uses (SPEC: `--config FILE`, else
// config/pullgate.yaml if it exists, else the embedded defaults), loaded,
// validated and compiled, with every diagnostic printed as FILE:LINE:COL.
#pragma once

#include "service/settings.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pullgate::app {

struct loaded_settings {
    std::string label;                                 // file name, or "<embedded defaults>"
    std::shared_ptr<const service::settings> settings; // null when invalid
    std::vector<config::diagnostic> diagnostics;
};

std::optional<std::string> default_config_path();

// `explicit_path` from --config; otherwise the default path or the
// embedded text.
loaded_settings load_settings(const std::optional<std::string>& explicit_path);

} // namespace pullgate::app
