#include "tls/x509_builder.hpp"

#include "tls/openssl_error.hpp"

#include <openssl/bn.h>
#include <openssl/rand.h>

#include <string>

namespace pullgate::tls {

x509_builder::x509_builder() : cert_(X509_new()) {
    if (!cert_)
        throw_openssl_error("cannot allocate a certificate");
    X509_set_version(cert_.get(), X509_VERSION_3);
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1)
        throw_openssl_error("cannot draw a random serial number");
    serial[0] &= 0x7F; // positive
    serial[0] |= 0x01; // and never zero-led, so always 16 bytes
    std::unique_ptr<BIGNUM, openssl_deleter<BN_free>> number(
        BN_bin2bn(serial, sizeof serial, nullptr));
    BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(cert_.get()));
}

void x509_builder::set_validity_days(double not_before_days, double not_after_days) {
    constexpr double seconds_per_day = 86400;
    X509_gmtime_adj(X509_getm_notBefore(cert_.get()),
                    static_cast<long>(not_before_days * seconds_per_day));
    X509_gmtime_adj(X509_getm_notAfter(cert_.get()),
                    static_cast<long>(not_after_days * seconds_per_day));
}

void x509_builder::cap_not_after(const ASN1_TIME* limit) {
    if (ASN1_TIME_compare(X509_get0_notAfter(cert_.get()), limit) > 0)
        X509_set1_notAfter(cert_.get(), limit);
}

void x509_builder::set_subject_common_name(std::string_view common_name,
                                           std::string_view organization) {
    X509_NAME* name = X509_get_subject_name(cert_.get());
    // ub-common-name is 64 (RFC 5280 appendix A); the SAN carries the
    // full host name, the CN is only for people reading the certificate.
    const std::string cn(common_name.substr(0, 64));
    const std::string org(organization);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
}

void x509_builder::set_issuer_from_subject() {
    X509_set_issuer_name(cert_.get(), X509_get_subject_name(cert_.get()));
}

void x509_builder::set_issuer(X509* issuer) {
    X509_set_issuer_name(cert_.get(), X509_get_subject_name(issuer));
}

void x509_builder::set_public_key(EVP_PKEY* key) {
    X509_set_pubkey(cert_.get(), key);
}

void x509_builder::add_extension(X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : cert_.get(), cert_.get(), nullptr, nullptr, 0);
    x509_ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert_.get(), ext.get(), -1) != 1)
        throw_openssl_error(std::string("cannot add certificate extension ") + value);
}

x509_ptr x509_builder::sign(EVP_PKEY* issuer_key) {
    if (X509_sign(cert_.get(), issuer_key, EVP_sha256()) == 0)
        throw_openssl_error("cannot sign certificate");
    return std::move(cert_);
}

} // namespace pullgate::tls
