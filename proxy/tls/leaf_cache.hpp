// Leaf certificates minted from the organization CA, one per host, kept in
// a bounded LRU cache. All leaves share one ECDSA P-256 key generated at
// start (a key per host would cost a key generation per new host and buy
// nothing: the key never leaves the process).
#pragma once

#include "tls/ca.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace pullgate::tls {

struct minted_leaf {
    x509_ptr cert;
    std::chrono::system_clock::time_point not_after;
};

enum class san_type { dns, ip };

// Mints a leaf for `host` (a canonical host name or IP literal, as
// produced by request::canonical_host): SAN DNS or IP, serverAuth,
// digitalSignature, valid from one hour ago for `validity` but never past
// the CA's own expiry.
x509_ptr mint_leaf(const certificate_authority& ca, EVP_PKEY* leaf_key, const std::string& host,
                   san_type type, std::chrono::hours validity = std::chrono::hours(24 * 30));

class leaf_cache {
public:
    leaf_cache(std::shared_ptr<const certificate_authority> ca, std::size_t capacity);

    // The leaf for `host`, minted on a miss or when the cached one expires
    // within a day.
    std::shared_ptr<const minted_leaf> get(const std::string& host, san_type type);

    EVP_PKEY* key() const { return key_.get(); }
    X509* ca_certificate() const { return ca_->cert.get(); }
    std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
    std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

private:
    using lru_list = std::list<std::string>;
    struct entry {
        std::shared_ptr<const minted_leaf> leaf;
        lru_list::iterator position;
    };

    std::shared_ptr<const certificate_authority> ca_;
    pkey_ptr key_;
    std::size_t capacity_;
    std::mutex mutex_;
    lru_list recency_; // most recent first
    std::unordered_map<std::string, entry> entries_;
    std::atomic<std::uint64_t> hits_{0};
    std::atomic<std::uint64_t> misses_{0};
};

} // namespace pullgate::tls
