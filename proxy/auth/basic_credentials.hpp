// HTTP Basic credentials (RFC 7617): the value of a Proxy-Authorization
// header (proxy authentication, RFC 9110 section 11.7.2) or of an
// Authorization header sent to a registry's token endpoint (the Docker Hub
// account name, `hub_user` in the audit log).
//
// Strict, and total: every input gives credentials or a refusal, never an
// exception. A refusal never quotes the input, which holds a password.
#pragma once

#include "util/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace pullgate::auth {

// The longest user-id accepted; the password is bounded by
// max_password_bytes (password_hash.hpp).
inline constexpr std::size_t max_basic_user_bytes = 256;

struct basic_credentials {
    std::string user;
    std::string password;

    basic_credentials() = default;
    basic_credentials(std::string u, std::string p) : user(std::move(u)), password(std::move(p)) {}
    basic_credentials(const basic_credentials&) = default;
    basic_credentials(basic_credentials&&) noexcept = default;
    basic_credentials& operator=(const basic_credentials&) = default;
    basic_credentials& operator=(basic_credentials&&) noexcept = default;
    // Best effort: wipes this copy of the password (copies the standard
    // library made while moving are beyond reach).
    ~basic_credentials();
};

// Parses `Basic <token68>`: the scheme case-insensitively (RFC 9110
// section 11.1), one or more spaces, then padded base64 with no other
// characters (RFC 4648 section 4). The decoded text is user-id ":"
// password, split at the first colon since a user-id cannot hold one
// (RFC 7617 section 2). Neither part may hold a control character (same
// section); the user-id may not be empty.
result<basic_credentials> parse_basic_credentials(std::string_view header_value);

// Only the user-id of Basic credentials, for logging who logged in to a
// registry (`hub_user`): the password is decoded, checked and wiped, never
// returned. Refused unless the user-id is 1 to 256 visible ASCII
// characters (0x21 to 0x7E), so what reaches a log is printable and short.
result<std::string> basic_user_name(std::string_view header_value);

// The Proxy-Authenticate value of a 407: `Basic realm="REALM",
// charset="UTF-8"`. `realm` is trusted configuration, already checked to
// be printable ASCII without '"' or '\'.
std::string basic_challenge(std::string_view realm);

} // namespace pullgate::auth
