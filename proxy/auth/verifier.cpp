#include "auth/verifier.hpp"

#include "auth/basic_credentials.hpp"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <optional>
#include <stdexcept>
#include <vector>

namespace pullgate::auth {

struct verifier::flight {
    bool done = false;
    verify_outcome outcome = verify_outcome::wrong_password;
};

namespace {

struct mac_free {
    void operator()(EVP_MAC* m) const noexcept { EVP_MAC_free(m); }
    void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};

// What no users-file hash can be a hash of. Control characters matter
// beyond RFC 7617: PBKDF2-HMAC, inside scrypt, zero-pads the password, so
// "pw\0" would verify as "pw".
bool acceptable_password(std::string_view password) {
    if (password.empty() || password.size() > max_password_bytes)
        return false;
    for (const char c : password)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
            return false;
    return true;
}

} // namespace

verifier::verifier(users_file users, verifier_options options)
    : options_(options), users_(std::make_shared<const users_file>(std::move(users))) {
    if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1)
        throw std::runtime_error("proxy authentication: no random key for the verification "
                                 "cache");
}

verifier::~verifier() {
    OPENSSL_cleanse(key_.data(), key_.size());
}

// HMAC-SHA256(key, len(user) || user || password). The length prefix
// keeps ("ab", "c") and ("a", "bc") apart. The key makes the tag useless
// outside this process: a dump of the cache alone cannot be searched with
// a dictionary, and the tag never equals any other system's hash.
std::optional<verifier::mac> verifier::tag(std::string_view user, std::string_view password) const {
    mac out{};
    const std::unique_ptr<EVP_MAC, mac_free> hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    const std::unique_ptr<EVP_MAC_CTX, mac_free> ctx(hmac ? EVP_MAC_CTX_new(hmac.get()) : nullptr);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    const unsigned char length = static_cast<unsigned char>(user.size()); // names are <= 64
    std::size_t written = 0;
    const auto bytes = [](std::string_view s) {
        return reinterpret_cast<const unsigned char*>(s.data());
    };
    const bool ok = ctx && EVP_MAC_init(ctx.get(), key_.data(), key_.size(), params) == 1 &&
                    EVP_MAC_update(ctx.get(), &length, 1) == 1 &&
                    EVP_MAC_update(ctx.get(), bytes(user), user.size()) == 1 &&
                    EVP_MAC_update(ctx.get(), bytes(password), password.size()) == 1 &&
                    EVP_MAC_final(ctx.get(), out.data(), &written, out.size()) == 1 &&
                    written == out.size();
    if (!ok) {
        ERR_clear_error();
        return std::nullopt;
    }
    return out;
}

verify_outcome verifier::run(const users_file& users, std::string_view user,
                             std::string_view password) {
    scrypt_runs_.fetch_add(1, std::memory_order_relaxed);
    const user_entry* entry = users.find(user);
    if (!entry) {
        // A decoy run, so that an unknown name takes as long as a known
        // one with the recommended parameters: response times do not tell
        // which names exist.
        static const std::vector<unsigned char> decoy_salt(salt_bytes, 0x5a);
        auto ignored = scrypt_derive(password, decoy_salt, recommended_scrypt_params, digest_bytes);
        if (ignored)
            OPENSSL_cleanse(ignored->data(), ignored->size());
        ERR_clear_error();
        return verify_outcome::unknown_user;
    }
    return verify_password(password, entry->hash) ? verify_outcome::ok
                                                  : verify_outcome::wrong_password;
}

void verifier::remember(const std::string& user, const mac& t, clock::time_point now) {
    if (options_.cache_capacity == 0)
        return;
    const clock::time_point expires = now + options_.cache_ttl;
    if (const auto it = cache_.find(user); it != cache_.end()) {
        it->second.tag = t;
        it->second.expires = expires;
        recency_.splice(recency_.begin(), recency_, it->second.position);
        return;
    }
    if (cache_.size() >= options_.cache_capacity) {
        cache_.erase(recency_.back());
        recency_.pop_back();
    }
    recency_.push_front(user);
    cache_.emplace(user, cache_entry{t, expires, recency_.begin()});
}

// Whether `t` is remembered for `user` and still fresh. Another password
// for a cached user is not a hit (it is verified in full) and leaves the
// cached one in place. Called with mutex_ held.
bool verifier::fresh_in_cache(const std::string& user, const mac& t, clock::time_point now) {
    const auto it = cache_.find(user);
    if (it == cache_.end())
        return false;
    if (now >= it->second.expires) {
        recency_.erase(it->second.position);
        cache_.erase(it);
        return false;
    }
    if (CRYPTO_memcmp(it->second.tag.data(), t.data(), t.size()) != 0)
        return false;
    recency_.splice(recency_.begin(), recency_, it->second.position);
    return true;
}

verify_outcome verifier::verify(std::string_view user, std::string_view password) {
    return verify(user, password, clock::now());
}

verify_outcome verifier::verify(std::string_view user, std::string_view password,
                                clock::time_point now) {
    const auto fail = [this](verify_outcome o) {
        failures_.fetch_add(1, std::memory_order_relaxed);
        return o;
    };
    if (!valid_user_name(user))
        return fail(verify_outcome::unknown_user);
    if (!acceptable_password(password)) { // no hash can match; nothing to run
        const std::lock_guard lock(mutex_);
        return fail(users_->find(user) ? verify_outcome::wrong_password
                                       : verify_outcome::unknown_user);
    }
    const std::string name(user);
    // Without a tag (OpenSSL failed to compute it) the attempt neither uses
    // the cache nor joins another: it is verified alone, in full.
    const std::optional<mac> t = tag(user, password);
    const std::string flight_key = t ? name + '\0' + std::string(t->begin(), t->end()) : "";

    std::shared_ptr<const users_file> users;
    std::uint64_t generation = 0;
    auto mine = std::make_shared<flight>();
    {
        std::unique_lock lock(mutex_);
        if (t && fresh_in_cache(name, *t, now)) {
            cache_hits_.fetch_add(1, std::memory_order_relaxed);
            return verify_outcome::ok;
        }
        if (const auto it = flights_.find(flight_key); t && it != flights_.end()) {
            const std::shared_ptr<flight> theirs = it->second;
            shared_runs_.fetch_add(1, std::memory_order_relaxed);
            done_.wait(lock, [&] { return theirs->done; });
            return theirs->outcome == verify_outcome::ok ? verify_outcome::ok
                                                         : fail(theirs->outcome);
        }
        if (t)
            flights_.emplace(flight_key, mine);
        users = users_;
        generation = generation_;
    }

    // The scrypt run, outside the lock. Whatever happens, the flight ends,
    // or those waiting for it would wait forever.
    verify_outcome outcome = verify_outcome::wrong_password;
    const auto land = [&] {
        {
            const std::lock_guard lock(mutex_);
            if (outcome == verify_outcome::ok && t && generation == generation_)
                remember(name, *t, now);
            mine->outcome = outcome;
            mine->done = true;
            if (t)
                flights_.erase(flight_key);
        }
        done_.notify_all();
    };
    try {
        outcome = run(*users, user, password);
    } catch (...) {
        outcome = verify_outcome::wrong_password;
        land();
        throw;
    }
    land();
    return outcome == verify_outcome::ok ? outcome : fail(outcome);
}

authentication verifier::authenticate(std::string_view proxy_authorization) {
    return authenticate(proxy_authorization, clock::now());
}

authentication verifier::authenticate(std::string_view proxy_authorization, clock::time_point now) {
    using status = authentication::status;
    auto credentials = parse_basic_credentials(proxy_authorization);
    if (!credentials)
        return {status::malformed, "", "malformed Proxy-Authorization: " + credentials.error()};
    switch (verify(credentials->user, credentials->password, now)) {
    case verify_outcome::ok:
        return {status::ok, std::move(credentials->user), ""};
    case verify_outcome::unknown_user:
        // The name is not quoted: it may be a password typed in the wrong
        // field.
        return {status::unknown_user, "", "unknown user name"};
    case verify_outcome::wrong_password:
        break;
    }
    return {status::wrong_password, "",
            fmt::format("wrong password for user {}", credentials->user)};
}

void verifier::reload(users_file users) {
    auto replacement = std::make_shared<const users_file>(std::move(users));
    const std::lock_guard lock(mutex_);
    users_ = std::move(replacement);
    ++generation_;
    cache_.clear();
    recency_.clear();
}

std::size_t verifier::user_count() const {
    const std::lock_guard lock(mutex_);
    return users_->users.size();
}

std::size_t verifier::cached() const {
    const std::lock_guard lock(mutex_);
    return cache_.size();
}

verifier_stats verifier::stats() const {
    return {
        cache_hits_.load(std::memory_order_relaxed), shared_runs_.load(std::memory_order_relaxed),
        scrypt_runs_.load(std::memory_order_relaxed), failures_.load(std::memory_order_relaxed)};
}

} // namespace pullgate::auth
