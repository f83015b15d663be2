#include "tls/leaf_cache.hpp"

#include "tls/openssl_error.hpp"
#include "tls/x509_builder.hpp"

#include <openssl/asn1.h>

#include <stdexcept>

namespace pullgate::tls {
namespace {

using clock = std::chrono::system_clock;

clock::time_point to_time_point(const ASN1_TIME* t) {
    std::tm tm{};
    ASN1_TIME_to_tm(t, &tm);
    return clock::from_time_t(timegm(&tm));
}

// The SAN value goes into OpenSSL's config syntax, where ',' and ':' have
// meaning: only the characters of canonical host names and IP literals may
// reach it.
bool safe_san_text(const std::string& host) {
    if (host.empty())
        return false;
    for (const char c : host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                        c == ':' || (c >= 'A' && c <= 'F');
        if (!ok)
            return false;
    }
    return true;
}

} // namespace

x509_ptr mint_leaf(const certificate_authority& ca, EVP_PKEY* leaf_key, const std::string& host,
                   san_type type, std::chrono::hours validity) {
    if (!safe_san_text(host))
        throw std::invalid_argument("not a canonical host name: " + host);
    x509_builder builder;
    builder.set_validity_days(-1.0 / 24, static_cast<double>(validity.count()) / 24);
    builder.cap_not_after(X509_get0_notAfter(ca.cert.get()));
    builder.set_subject_common_name(host, "pullgate");
    builder.set_issuer(ca.cert.get());
    builder.set_public_key(leaf_key);
    const std::string san = (type == san_type::dns ? "DNS:" : "IP:") + host;
    builder.add_extension(ca.cert.get(), NID_subject_alt_name, san.c_str());
    builder.add_extension(ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    builder.add_extension(ca.cert.get(), NID_key_usage, "critical,digitalSignature");
    builder.add_extension(ca.cert.get(), NID_ext_key_usage, "serverAuth");
    builder.add_extension(ca.cert.get(), NID_subject_key_identifier, "hash");
    builder.add_extension(ca.cert.get(), NID_authority_key_identifier, "keyid:always");
    return builder.sign(ca.key.get());
}

leaf_cache::leaf_cache(std::shared_ptr<const certificate_authority> ca, std::size_t capacity)
    : ca_(std::move(ca)), key_(generate_p256_key()), capacity_(capacity ? capacity : 1) {
}

std::shared_ptr<const minted_leaf> leaf_cache::get(const std::string& host, san_type type) {
    const auto fresh_until = clock::now() + std::chrono::hours(24);
    {
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(host); it != entries_.end()) {
            if (it->second.leaf->not_after > fresh_until) {
                recency_.splice(recency_.begin(), recency_, it->second.position);
                hits_.fetch_add(1, std::memory_order_relaxed);
                return it->second.leaf;
            }
            recency_.erase(it->second.position);
            entries_.erase(it);
        }
    }
    misses_.fetch_add(1, std::memory_order_relaxed);
    // Minted outside the lock: signing takes tens of microseconds and
    // other hosts need not wait for it. Two connections racing for the same
    // new host both mint; the second insert wins, both leaves are valid.
    auto leaf = std::make_shared<minted_leaf>();
    leaf->cert = mint_leaf(*ca_, key_.get(), host, type);
    leaf->not_after = to_time_point(X509_get0_notAfter(leaf->cert.get()));

    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(host); it != entries_.end()) {
        recency_.erase(it->second.position);
        entries_.erase(it);
    }
    recency_.push_front(host);
    entries_.emplace(host, entry{leaf, recency_.begin()});
    while (entries_.size() > capacity_) {
        entries_.erase(recency_.back());
        recency_.pop_back();
    }
    return leaf;
}

} // namespace pullgate::tls
