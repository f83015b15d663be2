// OpenSSL's error queue as text, for messages that tell the operator what
// went wrong ("…: error:0480006C:PEM routines::no start line").
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace pullgate::tls {

// Drains the thread's error queue into one line; "" when it is empty.
std::string drain_openssl_errors();

// Throws std::runtime_error("what: <openssl errors>"), for start-up code.
[[noreturn]] void throw_openssl_error(std::string_view what);

} // namespace pullgate::tls
