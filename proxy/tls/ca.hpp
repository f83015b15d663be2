// The organization's root CA: creation (`pullgate ca init`, first start)
// and loading. ECDSA P-256, CA:TRUE, keyCertSign + cRLSign, 10 years.
#pragma once

#include "tls/openssl_ptr.hpp"

#include <string>
#include <string_view>

namespace pullgate::tls {

struct certificate_authority {
    x509_ptr cert;
    pkey_ptr key;
};

// A new ECDSA P-256 key pair.
pkey_ptr generate_p256_key();

// A new self-signed root: ECDSA P-256, CA:TRUE (critical), keyUsage
// keyCertSign + cRLSign (critical), subject/authority key identifiers,
// valid from one hour ago for ten years.
certificate_authority generate_ca(std::string_view common_name);

// Writes the certificate (PEM, 0644) and the key (PEM PKCS#8, 0600). Never
// overwrites: throws if either file exists, naming it.
void write_ca(const certificate_authority& ca, const std::string& cert_path,
              const std::string& key_path);

// Reads both files and checks that the key belongs to the certificate and
// that the certificate is a CA. Throws std::runtime_error naming the file
// and what to do.
certificate_authority load_ca(const std::string& cert_path, const std::string& key_path);

struct loaded_ca {
    certificate_authority ca;
    bool created = false;
};

// Loads the CA, or creates it when BOTH files are missing (first start).
// One file without the other is an error: never silently replace a CA
// that clients already trust.
loaded_ca load_or_create_ca(const std::string& cert_path, const std::string& key_path);

std::string certificate_pem(X509* cert);
x509_ptr certificate_from_pem(std::string_view pem);
std::string sha256_fingerprint(X509* cert); // "AB:CD:…"

} // namespace pullgate::tls
