// Builds an X.509 v3 certificate step by step; shared by CA creation and
// leaf minting so that both get the same serial and validity handling.
#pragma once

#include "tls/openssl_ptr.hpp"

#include <string_view>

namespace pullgate::tls {

class x509_builder {
public:
    x509_builder(); // v3, random 127-bit positive serial (RFC 5280 4.1.2.2)

    // Validity relative to now, in days (fractions allowed: -1/24 is one
    // hour ago, which absorbs clock skew between proxy and clients).
    void set_validity_days(double not_before_days, double not_after_days);
    // Caps notAfter at `limit` (a leaf must not outlive its CA).
    void cap_not_after(const ASN1_TIME* limit);
    void set_subject_common_name(std::string_view common_name, std::string_view organization);
    void set_issuer_from_subject();
    void set_issuer(X509* issuer);
    void set_public_key(EVP_PKEY* key);
    // `issuer` is the CA for authority key identifiers; nullptr for a
    // self-signed certificate. `value` in OpenSSL's config syntax.
    void add_extension(X509* issuer, int nid, const char* value);
    // Signs with SHA-256 and hands the certificate over.
    x509_ptr sign(EVP_PKEY* issuer_key);

private:
    x509_ptr cert_;
};

} // namespace pullgate::tls
