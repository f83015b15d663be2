// Checks a user name and password against the users file, for every
// connection that brings Proxy-Authorization. Thread-safe.
//
// A verification is one scrypt run (tens of milliseconds, by design), and
// Docker Desktop opens a new CONNECT for nearly every blob, so successful
// verifications are remembered for a while: a small LRU cache keyed by
// user name that holds HMAC-SHA256(per-process random key, name,
// password), never the password, and expires entries after a fixed TTL.
// Concurrent attempts with the same name and password share one scrypt
// run. Failed attempts are never cached: each costs a full run, so
// guessing stays as slow as the hash makes it.
//
// The cost sits on the calling thread: call verify() from a thread that
// may block for one scrypt run (not an I/O thread that serves other
// connections meanwhile), or accept that stall on a cache miss.
#pragma once

#include "auth/users_file.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pullgate::auth {

enum class verify_outcome {
    ok,
    unknown_user,   // no such name (or not a valid name)
    wrong_password, // the name exists; the password does not match
};

struct verifier_options {
    std::size_t cache_capacity = 1024;                        // users remembered at once
    std::chrono::seconds cache_ttl = std::chrono::minutes(5); // from verification, not sliding
};

struct verifier_stats {
    std::uint64_t cache_hits = 0;  // verified from the cache, no scrypt run
    std::uint64_t shared_runs = 0; // waited for a concurrent identical attempt
    std::uint64_t scrypt_runs = 0; // full verifications, decoys included
    std::uint64_t failures = 0;    // unknown user or wrong password
};

// Who a Proxy-Authorization header names, when it verifies.
struct authentication {
    enum class status { ok, malformed, unknown_user, wrong_password };
    status outcome = status::malformed;
    std::string user;   // the verified name; empty unless ok
    std::string reason; // for the operator's log; no secret, and no unverified name
};

class verifier {
public:
    using clock = std::chrono::steady_clock;

    // Throws std::runtime_error when no random key can be made (start-up).
    explicit verifier(users_file users, verifier_options options = {});
    ~verifier();
    verifier(const verifier&) = delete;
    verifier& operator=(const verifier&) = delete;

    verify_outcome verify(std::string_view user, std::string_view password);
    verify_outcome verify(std::string_view user, std::string_view password, clock::time_point now);

    // Parses a Proxy-Authorization value and verifies it. The 407 that
    // follows a failure must look the same whatever the status, so that a
    // client cannot learn which names exist.
    authentication authenticate(std::string_view proxy_authorization);
    authentication authenticate(std::string_view proxy_authorization, clock::time_point now);

    // Replaces the users atomically and forgets every cached verification,
    // so a removed user or a changed password stops working at once. A
    // verification already running against the old file still completes
    // against it, but is not cached.
    void reload(users_file users);

    std::size_t user_count() const;
    std::size_t cached() const;
    verifier_stats stats() const;

private:
    using mac = std::array<unsigned char, 32>;
    using lru_list = std::list<std::string>;
    struct cache_entry {
        mac tag;
        clock::time_point expires;
        lru_list::iterator position;
    };
    struct flight; // a verification in progress, shared by identical attempts

    std::optional<mac> tag(std::string_view user, std::string_view password) const;
    verify_outcome run(const users_file& users, std::string_view user, std::string_view password);
    bool fresh_in_cache(const std::string& user, const mac& t, clock::time_point now);
    void remember(const std::string& user, const mac& t, clock::time_point now);

    verifier_options options_;
    std::array<unsigned char, 32> key_; // HMAC key, random per process
    mutable std::mutex mutex_;
    std::condition_variable done_;
    std::shared_ptr<const users_file> users_;
    std::uint64_t generation_ = 0; // bumped by reload
    lru_list recency_;             // most recent first
    std::unordered_map<std::string, cache_entry> cache_;
    std::unordered_map<std::string, std::shared_ptr<flight>> flights_; // by name '\0' tag
    std::atomic<std::uint64_t> cache_hits_{0}, shared_runs_{0}, scrypt_runs_{0}, failures_{0};
};

} // namespace pullgate::auth
