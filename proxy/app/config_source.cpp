#include "app/config_source.hpp"

#include "config/load.hpp"

#include <filesystem>

namespace pullgate::app {

std::optional<std::string> default_config_path() {
    const std::string path = "config/pullgate.yaml";
    if (std::filesystem::exists(path))
        return path;
    return std::nullopt;
}

loaded_settings load_settings(const std::optional<std::string>& explicit_path) {
    loaded_settings out;
    const auto path = explicit_path ? explicit_path : default_config_path();
    out.label = path ? *path : "<embedded defaults>";
    auto loaded = path ? config::load_config_file(*path)
                       : config::parse_config(config::embedded_default_yaml(), out.label);
    out.diagnostics = std::move(loaded.diagnostics);
    if (loaded.value)
        out.settings =
            service::compile_settings(std::move(*loaded.value), out.label, out.diagnostics);
    return out;
}

} // namespace pullgate::app
