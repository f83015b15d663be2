// Owning handles for OpenSSL objects.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace pullgate::tls {

template <auto Free> struct openssl_deleter {
    template <class T> void operator()(T* p) const noexcept { Free(p); }
};

using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free_all>>;
using x509_ext_ptr = std::unique_ptr<X509_EXTENSION, openssl_deleter<X509_EXTENSION_free>>;
using x509_store_ptr = std::unique_ptr<X509_STORE, openssl_deleter<X509_STORE_free>>;
using x509_store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, openssl_deleter<X509_STORE_CTX_free>>;

// A second owner of an X509 (X509_up_ref), for handing a cached
// certificate to OpenSSL functions that take ownership.
inline x509_ptr share(X509* cert) {
    X509_up_ref(cert);
    return x509_ptr(cert);
}

} // namespace pullgate::tls
