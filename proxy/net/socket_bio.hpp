// An OpenSSL BIO over a non-blocking socket, that first hands out bytes
// already read from it (a ClientHello that arrived with the CONNECT). TLS
// records go straight between the socket and OpenSSL: no intermediate
// buffers per connection, which is what keeps an idle intercepted
// connection small (asio's ssl::stream holds four 17 KiB buffers each).
#pragma once

#include <openssl/bio.h>

#include <string>
#include <string_view>

namespace pullgate::net {

// A new BIO on `fd` (not owned: the socket closes it). `prefix` is read
// before the socket.
BIO* make_socket_bio(int fd, std::string_view prefix = {});

} // namespace pullgate::net
