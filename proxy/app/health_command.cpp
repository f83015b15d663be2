// `pullgate health`: asks a running pullgate's admin listener for /healthz,
// for container HEALTHCHECKs that should not need curl in the image.
#include "app/commands.hpp"

#include "app/config_source.hpp"
#include "request/host.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace pullgate::app {
namespace {

// A plain blocking exchange with a two-second budget per step: this
// command runs once and exits.
bool wait_for(int fd, short events) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, 2000) == 1;
}

std::optional<std::string> fetch_healthz(const request::authority& admin) {
    sockaddr_storage address{};
    socklen_t length = 0;
    if (admin.kind == request::host_kind::ipv6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&address);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(admin.port);
        inet_pton(AF_INET6, admin.host.c_str(), &a->sin6_addr);
        length = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&address);
        a->sin_family = AF_INET;
        a->sin_port = htons(admin.port);
        inet_pton(AF_INET, admin.host.c_str(), &a->sin_addr);
        length = sizeof *a;
    }
    const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return std::nullopt;
    std::string answer;
    const std::string ask =
        "GET /healthz HTTP/1.1\r\nHost: " + admin.to_string() + "\r\nConnection: close\r\n\r\n";
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
        ::send(fd, ask.data(), ask.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(ask.size())) {
        char chunk[512];
        while (answer.size() < 4096 && wait_for(fd, POLLIN)) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0)
                break;
            answer.append(chunk, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return answer;
}

} // namespace

int health_command(const std::optional<std::string>& config_path,
                   const std::optional<std::string>& admin_address) {
    std::string address;
    if (admin_address) {
        address = *admin_address;
    } else {
        const auto loaded = load_settings(config_path);
        if (!loaded.settings || !loaded.settings->cfg.admin) {
            std::fprintf(stderr,
                         "pullgate health: no admin listener configured in %s; pass "
                         "--admin ADDRESS:PORT\n",
                         loaded.label.c_str());
            return 1;
        }
        address = *loaded.settings->cfg.admin;
    }
    auto admin = request::parse_socket_address(address);
    if (!admin) {
        std::fprintf(stderr, "pullgate health: %s is not an ADDRESS:PORT: %s\n", address.c_str(),
                     admin.error().c_str());
        return 2;
    }
    // A wildcard listener is reached on loopback.
    if (admin->host == "0.0.0.0")
        admin->host = "127.0.0.1";
    else if (admin->host == "::")
        admin->host = "::1";
    const auto answer = fetch_healthz(*admin);
    if (answer && answer->rfind("HTTP/1.1 200", 0) == 0) {
        std::printf("healthy\n");
        return 0;
    }
    std::fprintf(stderr, "pullgate health: %s did not answer /healthz with 200\n",
                 admin->to_string().c_str());
    return 1;
}

} // namespace pullgate::app
