#include "net/tls_sessions.hpp"

#include <map>
#include <memory>
#include <mutex>

namespace pullgate::net {
namespace {

using session_ptr = std::unique_ptr<SSL_SESSION, decltype(&SSL_SESSION_free)>;

// Shared by every I/O thread; only a new upstream connection touches it,
// never a request on an existing one.
class session_cache {
public:
    void put(const std::string& key, SSL_SESSION* session) {
        std::lock_guard lock(mutex_);
        if (sessions_.size() >= capacity && !sessions_.contains(key))
            sessions_.erase(sessions_.begin()); // bounded; any victim will do
        sessions_.insert_or_assign(key, session_ptr(session, SSL_SESSION_free));
    }
    // A new reference to the session for `key`, or null.
    SSL_SESSION* get(const std::string& key) {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(key);
        if (it == sessions_.end())
            return nullptr;
        if (!SSL_SESSION_is_resumable(it->second.get())) {
            sessions_.erase(it);
            return nullptr;
        }
        SSL_SESSION_up_ref(it->second.get());
        return it->second.get();
    }

private:
    static constexpr std::size_t capacity = 4096;
    std::mutex mutex_;
    std::map<std::string, session_ptr> sessions_;
};

session_cache& cache() {
    static session_cache instance;
    return instance;
}

// The key travels with the SSL, and is freed with it.
void free_key(void*, void* key, CRYPTO_EX_DATA*, int, long, void*) {
    delete static_cast<std::string*>(key);
}

int key_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_key);
    return index;
}

// OpenSSL's new-session callback: returning 1 keeps our reference.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
    const auto* key = static_cast<const std::string*>(SSL_get_ex_data(ssl, key_index()));
    if (!key)
        return 0;
    cache().put(*key, session);
    return 1;
}

} // namespace

void enable_session_resumption(SSL_CTX* ctx) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
}

void offer_session(SSL* ssl, const std::string& key) {
    SSL_set_ex_data(ssl, key_index(), new std::string(key)); // freed by free_key
    if (SSL_SESSION* session = cache().get(key)) {
        SSL_set_session(ssl, session);
        SSL_SESSION_free(session);
    }
}

} // namespace pullgate::net
