// CA creation and leaf minting, checked with OpenSSL's own verifier.
#include "tls/ca.hpp"
#include "tls/leaf_cache.hpp"

#include <doctest/doctest.h>
#include <openssl/x509_vfy.h>

#include <filesystem>
#include <sys/stat.h>

using namespace pullgate::tls;

namespace {

// OpenSSL's verdict on `leaf` as a TLS server certificate for `host`.
int verify(X509* ca, X509* leaf, const std::string& host, bool ip) {
    x509_store_ptr store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), ca);
    x509_store_ctx_ptr ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    if (ip)
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    else
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    X509_verify_cert(ctx.get());
    return X509_STORE_CTX_get_error(ctx.get());
}

const certificate_authority& shared_ca() {
    static const certificate_authority ca = generate_ca("test CA");
    return ca;
}

} // namespace

TEST_CASE("a generated CA is a P-256 root with CA:TRUE and certificate-signing usage") {
    const auto& ca = shared_ca();
    CHECK(X509_check_ca(ca.cert.get()) == 1);
    CHECK(EVP_PKEY_is_a(ca.key.get(), "EC"));
    char curve[64] = {};
    EVP_PKEY_get_utf8_string_param(ca.key.get(), "group", curve, sizeof curve, nullptr);
    CHECK(std::string(curve) == "prime256v1");
    const auto usage = X509_get_key_usage(ca.cert.get());
    CHECK((usage & KU_KEY_CERT_SIGN) != 0);
    CHECK((usage & KU_CRL_SIGN) != 0);
    int days = 0, seconds = 0;
    ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(ca.cert.get()),
                   X509_get0_notAfter(ca.cert.get()));
    CHECK(days >= 3650);
}

TEST_CASE("a leaf for a DNS name verifies for that name and no other") {
    const auto& ca = shared_ca();
    const auto key = generate_p256_key();
    const auto leaf = mint_leaf(ca, key.get(), "registry-1.docker.io", san_type::dns);
    CHECK(verify(ca.cert.get(), leaf.get(), "registry-1.docker.io", false) == X509_V_OK);
    CHECK(verify(ca.cert.get(), leaf.get(), "ghcr.io", false) == X509_V_ERR_HOSTNAME_MISMATCH);
    CHECK(X509_check_ca(leaf.get()) == 0);
    CHECK(X509_check_private_key(leaf.get(), key.get()) == 1);
}

TEST_CASE("a leaf for an IP literal carries an IP SAN") {
    const auto& ca = shared_ca();
    const auto key = generate_p256_key();
    for (const std::string ip : {"192.0.2.7", "2001:db8::1"}) {
        CAPTURE(ip);
        const auto leaf = mint_leaf(ca, key.get(), ip, san_type::ip);
        CHECK(verify(ca.cert.get(), leaf.get(), ip, true) == X509_V_OK);
    }
}

TEST_CASE("a leaf never outlives its CA and starts an hour in the past") {
    const auto& ca = shared_ca();
    const auto key = generate_p256_key();
    const auto leaf =
        mint_leaf(ca, key.get(), "example.com", san_type::dns, std::chrono::hours(24 * 365 * 20));
    CHECK(ASN1_TIME_compare(X509_get0_notAfter(leaf.get()), X509_get0_notAfter(ca.cert.get())) <=
          0);
    int days = 0, seconds = 0;
    ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(leaf.get()), nullptr);
    CHECK(days == 0);
    CHECK(seconds >= 3590);
}

TEST_CASE("host text that could inject into the SAN is refused") {
    const auto key = generate_p256_key();
    for (const std::string bad : {"", "a,DNS:evil.com", "x y", "EVIL.com"}) {
        CAPTURE(bad);
        CHECK_THROWS(mint_leaf(shared_ca(), key.get(), bad, san_type::dns));
    }
}

TEST_CASE("the cache returns the same leaf for a host and evicts the least recent") {
    auto ca = std::make_shared<certificate_authority>(generate_ca("cache CA"));
    leaf_cache cache(ca, 2);
    const auto a = cache.get("a.example", san_type::dns);
    CHECK(cache.get("a.example", san_type::dns) == a);
    CHECK(cache.hits() == 1);
    cache.get("b.example", san_type::dns);
    cache.get("a.example", san_type::dns); // a is now the most recent
    cache.get("c.example", san_type::dns); // evicts b
    const auto misses = cache.misses();
    CHECK(cache.get("a.example", san_type::dns) == a);
    CHECK(cache.misses() == misses);
    cache.get("b.example", san_type::dns);
    CHECK(cache.misses() == misses + 1);
}

TEST_CASE("write_ca creates a 0600 key, refuses to overwrite, and load_ca reads it back") {
    const auto dir = std::filesystem::temp_directory_path() / "pullgate-ca-test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto cert = (dir / "ca.crt").string();
    const auto key = (dir / "ca.key").string();
    write_ca(shared_ca(), cert, key);
    struct stat st {};
    REQUIRE(stat(key.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK_THROWS(write_ca(shared_ca(), cert, key));
    const auto loaded = load_ca(cert, key);
    CHECK(X509_cmp(loaded.cert.get(), shared_ca().cert.get()) == 0);
    std::filesystem::remove(key);
    CHECK_THROWS_WITH_AS(load_or_create_ca(cert, key), doctest::Contains("not"),
                         std::runtime_error);
    std::filesystem::remove_all(dir);
}
