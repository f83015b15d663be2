// "Did you mean …?" for misspelt keys and names. A typo in a security
// configuration is an error (load.hpp); naming the likely intended key turns
// it into a one-second fix.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace pullgate::config {

// The candidate closest to `word` when it is close enough to be a plausible
// typo (a few edits, transpositions counted as one), else nothing.
std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string_view> candidates);

} // namespace pullgate::config
