// UTF-8 well-formedness, for the writers of untrusted text into logs and
// metrics: a byte that does not start a well-formed sequence is replaced,
// never copied through.
#pragma once

#include <cstddef>
#include <string_view>

namespace pullgate {

// Length of the well-formed UTF-8 sequence that starts `s` (a lead byte of
// 0x80 or more), or 0 (RFC 3629 section 4: no overlong forms, no
// surrogates, nothing past U+10FFFF).
std::size_t utf8_sequence_length(std::string_view s);

} // namespace pullgate
