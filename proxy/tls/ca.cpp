#include "tls/ca.hpp"

#include "tls/openssl_error.hpp"
#include "tls/x509_builder.hpp"

#include <fmt/format.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace pullgate::tls {
namespace {

constexpr long ca_validity_days = 3650;

// Writes `text` to a new file with `mode`; O_EXCL so an existing CA is
// never overwritten, even by a race between two processes.
void write_new_file(const std::string& path, const std::string& text, mode_t mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        throw std::runtime_error(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
    // The umask may have narrowed the mode; the key must be exactly 0600.
    ::fchmod(fd, mode);
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            const int saved = errno;
            ::close(fd);
            throw std::runtime_error(
                fmt::format("cannot write {}: {}", path, std::strerror(saved)));
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

std::string read_file(const std::string& path, std::string_view what) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(
            fmt::format("cannot read {} {}: {}", what, path, std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string key_pem(EVP_PKEY* key) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
        throw_openssl_error("cannot encode private key");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

pkey_ptr key_from_pem(std::string_view pem) {
    bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return pkey_ptr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

} // namespace

pkey_ptr generate_p256_key() {
    pkey_ptr key(EVP_EC_gen("P-256"));
    if (!key)
        throw_openssl_error("cannot generate an ECDSA P-256 key");
    return key;
}

certificate_authority generate_ca(std::string_view common_name) {
    certificate_authority ca{nullptr, generate_p256_key()};
    x509_builder builder;
    builder.set_validity_days(-1.0 / 24, ca_validity_days);
    builder.set_subject_common_name(common_name, "pullgate");
    builder.set_issuer_from_subject();
    builder.set_public_key(ca.key.get());
    builder.add_extension(nullptr, NID_basic_constraints, "critical,CA:TRUE");
    builder.add_extension(nullptr, NID_key_usage, "critical,keyCertSign,cRLSign");
    builder.add_extension(nullptr, NID_subject_key_identifier, "hash");
    builder.add_extension(nullptr, NID_authority_key_identifier, "keyid:always");
    ca.cert = builder.sign(ca.key.get());
    return ca;
}

void write_ca(const certificate_authority& ca, const std::string& cert_path,
              const std::string& key_path) {
    for (const auto& path : {cert_path, key_path})
        if (std::filesystem::exists(path))
            throw std::runtime_error(fmt::format(
                "{} already exists; pullgate never overwrites a CA that clients may trust "
                "(move it away first, or use --dir for another directory)",
                path));
    write_new_file(key_path, key_pem(ca.key.get()), 0600);
    write_new_file(cert_path, certificate_pem(ca.cert.get()), 0644);
}

certificate_authority load_ca(const std::string& cert_path, const std::string& key_path) {
    certificate_authority ca;
    ca.cert = certificate_from_pem(read_file(cert_path, "CA certificate"));
    if (!ca.cert)
        throw_openssl_error(fmt::format("{} is not a PEM certificate (tls.ca_cert)", cert_path));
    ca.key = key_from_pem(read_file(key_path, "CA key"));
    if (!ca.key)
        throw_openssl_error(fmt::format("{} is not a PEM private key (tls.ca_key)", key_path));
    if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1)
        throw_openssl_error(fmt::format("the key in {} does not belong to the certificate in {}",
                                        key_path, cert_path));
    if (X509_check_ca(ca.cert.get()) == 0)
        throw std::runtime_error(
            fmt::format("{} is not a CA certificate (it needs basicConstraints CA:TRUE); "
                        "create one with `pullgate ca init`",
                        cert_path));
    return ca;
}

loaded_ca load_or_create_ca(const std::string& cert_path, const std::string& key_path) {
    const bool have_cert = std::filesystem::exists(cert_path);
    const bool have_key = std::filesystem::exists(key_path);
    if (!have_cert && !have_key) {
        for (const auto& file : {cert_path, key_path}) {
            const auto dir = std::filesystem::path(file).parent_path();
            std::error_code ec;
            if (!dir.empty() && !std::filesystem::create_directories(dir, ec) && ec)
                throw std::runtime_error(fmt::format(
                    "cannot create directory {} for the organization CA: {} (check tls.ca_cert "
                    "and tls.ca_key)",
                    dir.string(), ec.message()));
        }
        loaded_ca result{generate_ca("pullgate organization CA"), true};
        try {
            write_ca(result.ca, cert_path, key_path);
        } catch (const std::exception& e) {
            throw std::runtime_error(fmt::format(
                "{}; pullgate creates the organization CA at tls.ca_cert and tls.ca_key on first "
                "start: make that directory writable, or create the CA elsewhere with `pullgate "
                "ca init --dir DIR` and point tls.ca_cert and tls.ca_key at it",
                e.what()));
        }
        return result;
    }
    if (have_cert != have_key)
        throw std::runtime_error(fmt::format(
            "found {} but not {}; restore the missing file, or remove both to create a new CA "
            "(clients will then have to trust the new one)",
            have_cert ? cert_path : key_path, have_cert ? key_path : cert_path));
    return {load_ca(cert_path, key_path), false};
}

std::string certificate_pem(X509* cert) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_X509(bio.get(), cert))
        throw_openssl_error("cannot encode certificate");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

x509_ptr certificate_from_pem(std::string_view pem) {
    bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return x509_ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::string sha256_fingerprint(X509* cert) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    X509_digest(cert, EVP_sha256(), digest, &size);
    std::string text;
    for (unsigned int i = 0; i < size; ++i)
        text += fmt::format("{}{:02X}", i ? ":" : "", digest[i]);
    return text;
}

} // namespace pullgate::tls
