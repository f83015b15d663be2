// The subcommands behind the command line.
#pragma once

#include <optional>
#include <string>

namespace pullgate::app {

int serve_command(const std::optional<std::string>& config_path);
int check_command(const std::optional<std::string>& config_path);
int ca_init_command(const std::string& dir);
int health_command(const std::optional<std::string>& config_path,
                   const std::optional<std::string>& admin_address);
int explain_command(const std::optional<std::string>& config_path, const std::string& image,
                    const std::optional<std::string>& user);

} // namespace pullgate::app
