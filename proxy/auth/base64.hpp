// Base64 with the standard alphabet (RFC 4648 section 4), decoded
// strictly: no whitespace, no characters outside the alphabet, padding
// exactly as requested, and zero bits after the last byte. A credential or
// a hash has one spelling, so two different strings never mean the same
// secret and a mangled one is refused rather than guessed at.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pullgate::auth {

// required: RFC 4648's padded form, as RFC 7617 Basic credentials use it.
// none: no '=' at all, as in passlib-style `$scrypt$` hashes.
enum class base64_padding { required, none };

std::string encode_base64(std::span<const unsigned char> bytes, base64_padding padding);

// The bytes, or nullopt when `text` is not strict base64 in that form. The
// caller owns the result and should wipe it (OPENSSL_cleanse) when it held
// a secret.
std::optional<std::vector<unsigned char>> decode_base64(std::string_view text,
                                                        base64_padding padding);

} // namespace pullgate::auth
