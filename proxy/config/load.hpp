// YAML to config values, with every error located in the file.
//
// An unknown key is an error, never ignored: a typo in a security
// configuration must not silently disable a rule. Structural checks live
// here (types, keys, durations, addresses, CIDRs, enums); policy-level
// checks (globs, contradictions, rules that never match) are made by
// policy::policy::compile.
#pragma once

#include "config/config.hpp"
#include "config/diagnostic.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pullgate::config {

struct load_result {
    std::optional<config> value; // set when there is no error
    std::vector<diagnostic> diagnostics;
};

// Parses YAML text; `file_name` only labels diagnostics.
load_result parse_config(std::string_view yaml_text, std::string_view file_name);

// Reads and parses a file; a missing or unreadable file is a diagnostic.
load_result load_config_file(const std::string& path);

// The embedded defaults (SPEC "Embedded defaults"), as YAML text, so that
// `serve` with no file runs exactly what this text says.
std::string_view embedded_default_yaml();

// Parses "250ms", "2s", "5m", "24h", "1h30m". Refused when malformed.
// Units ms, s, m, h, each at most once and largest first; integer amounts;
// no sign, no spaces, and a bare number is refused (its unit is a guess).
std::optional<milliseconds> parse_duration(std::string_view text);

// Parses a size in bytes: "16384", "16KiB", "1MiB". Refused when malformed.
std::optional<std::size_t> parse_size(std::string_view text);

} // namespace pullgate::config
