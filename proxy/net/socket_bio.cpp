#include "net/socket_bio.hpp"

#include <openssl/bio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>

namespace pullgate::net {
namespace {

struct bio_state {
    int fd;
    std::string prefix;
    std::size_t prefix_used = 0;
};

bio_state* state_of(BIO* bio) {
    return static_cast<bio_state*>(BIO_get_data(bio));
}

bool would_block(int error) {
    return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

int bio_read(BIO* bio, char* out, int size) {
    auto* s = state_of(bio);
    BIO_clear_retry_flags(bio);
    if (s->prefix_used < s->prefix.size()) {
        const auto n = std::min<std::size_t>(static_cast<std::size_t>(size),
                                             s->prefix.size() - s->prefix_used);
        std::memcpy(out, s->prefix.data() + s->prefix_used, n);
        s->prefix_used += n;
        if (s->prefix_used == s->prefix.size())
            std::string().swap(s->prefix);
        return static_cast<int>(n);
    }
    const ssize_t n = ::recv(s->fd, out, static_cast<std::size_t>(size), MSG_DONTWAIT);
    if (n < 0 && would_block(errno))
        BIO_set_retry_read(bio);
    return static_cast<int>(n);
}

int bio_write(BIO* bio, const char* in, int size) {
    auto* s = state_of(bio);
    BIO_clear_retry_flags(bio);
    const ssize_t n =
        ::send(s->fd, in, static_cast<std::size_t>(size), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && would_block(errno))
        BIO_set_retry_write(bio);
    return static_cast<int>(n);
}

long bio_ctrl(BIO*, int command, long, void*) {
    // OpenSSL asks to flush after each flight: writes are unbuffered here.
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

int bio_destroy(BIO* bio) {
    delete state_of(bio);
    BIO_set_data(bio, nullptr);
    return 1;
}

BIO_METHOD* method() {
    static BIO_METHOD* const m = [] {
        BIO_METHOD* made =
            BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "pullgate socket");
        BIO_meth_set_read(made, bio_read);
        BIO_meth_set_write(made, bio_write);
        BIO_meth_set_ctrl(made, bio_ctrl);
        BIO_meth_set_create(made, bio_create);
        BIO_meth_set_destroy(made, bio_destroy);
        return made;
    }();
    return m;
}

} // namespace

BIO* make_socket_bio(int fd, std::string_view prefix) {
    BIO* bio = BIO_new(method());
    if (bio)
        BIO_set_data(bio, new bio_state{fd, std::string(prefix)});
    return bio;
}

} // namespace pullgate::net
