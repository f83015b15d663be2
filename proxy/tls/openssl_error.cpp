#include "tls/openssl_error.hpp"

#include <openssl/err.h>

namespace pullgate::tls {

std::string drain_openssl_errors() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty())
            text += "; ";
        text += buffer;
    }
    return text;
}

void throw_openssl_error(std::string_view what) {
    std::string message(what);
    const std::string details = drain_openssl_errors();
    if (!details.empty())
        message += ": " + details;
    throw std::runtime_error(message);
}

} // namespace pullgate::tls
