#include "auth/password_hash.hpp"

#include "auth/base64.hpp"
#include "tls/openssl_error.hpp"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <memory>
#include <optional>

namespace pullgate::auth {
namespace {

constexpr std::string_view prefix = "$scrypt$";
constexpr std::uint64_t recommended_work = (std::uint64_t{1} << recommended_scrypt_params.log2_n) *
                                           recommended_scrypt_params.r *
                                           recommended_scrypt_params.p;

struct kdf_free {
    void operator()(EVP_KDF* k) const noexcept { EVP_KDF_free(k); }
    void operator()(EVP_KDF_CTX* c) const noexcept { EVP_KDF_CTX_free(c); }
};

// Plain decimal, 1 to 6 digits, no sign, no leading zero: one spelling per
// number, and no overflow before the bounds are checked.
std::optional<unsigned> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 6 || (text.size() > 1 && text[0] == '0'))
        return std::nullopt;
    unsigned value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value;
}

// "ln=14,r=8,p=1", in that order, as passlib writes it.
result<scrypt_params> parse_params(std::string_view text) {
    const std::string_view names[] = {"ln=", "r=", "p="};
    unsigned values[3] = {};
    for (std::size_t i = 0; i < 3; ++i) {
        if (!text.starts_with(names[i]))
            return refuse("the parameters must read ln=N,r=N,p=N");
        text.remove_prefix(names[i].size());
        const std::size_t end = i < 2 ? text.find(',') : text.size();
        if (end == std::string_view::npos)
            return refuse("the parameters must read ln=N,r=N,p=N");
        const auto value = parse_decimal(text.substr(0, end));
        if (!value)
            return refuse("the parameters must read ln=N,r=N,p=N with decimal numbers");
        values[i] = *value;
        text.remove_prefix(i < 2 ? end + 1 : end);
    }
    return check_scrypt_params({values[0], values[1], values[2]});
}

// Splits off the text up to the next '$' (or the end).
std::string_view next_field(std::string_view& text) {
    const std::size_t end = text.find('$');
    const std::string_view field = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    return field;
}

} // namespace

result<scrypt_params> check_scrypt_params(const scrypt_params& params) {
    const auto [ln, r, p] = params;
    if (ln < min_scrypt_log2_n || ln > max_scrypt_log2_n)
        return refuse(fmt::format("scrypt ln must be from {} to {}, not {}", min_scrypt_log2_n,
                                  max_scrypt_log2_n, ln));
    if (r < 1 || r > max_scrypt_r)
        return refuse(fmt::format("scrypt r must be from 1 to {}, not {}", max_scrypt_r, r));
    if (p < 1 || p > max_scrypt_p)
        return refuse(fmt::format("scrypt p must be from 1 to {}, not {}", max_scrypt_p, p));
    const std::uint64_t n = std::uint64_t{1} << ln;
    const std::uint64_t memory = 128 * std::uint64_t{r} * n;
    if (memory > max_scrypt_memory)
        return refuse(fmt::format("scrypt ln={},r={} needs {} MiB of memory per verification; "
                                  "at most {} MiB is allowed",
                                  ln, r, memory >> 20, max_scrypt_memory >> 20));
    const std::uint64_t work = n * r * p;
    if (work > max_scrypt_work)
        return refuse(fmt::format("scrypt ln={},r={},p={} costs {} times the recommended "
                                  "ln={},r={},p={}; at most {} times is allowed",
                                  ln, r, p, work / recommended_work,
                                  recommended_scrypt_params.log2_n, recommended_scrypt_params.r,
                                  recommended_scrypt_params.p, max_scrypt_work / recommended_work));
    return params;
}

bool below_recommended_cost(const scrypt_params& params) {
    const auto cost = [](const scrypt_params& s) {
        return (std::uint64_t{1} << s.log2_n) * s.r * s.p;
    };
    // Memory hardness is what makes scrypt expensive to attack on GPUs, so
    // less memory than recommended is weak even when p makes up the time.
    const auto memory = [](const scrypt_params& s) {
        return (std::uint64_t{1} << s.log2_n) * s.r;
    };
    return cost(params) < cost(recommended_scrypt_params) ||
           memory(params) < memory(recommended_scrypt_params);
}

result<password_hash> parse_password_hash(std::string_view text) {
    if (!text.starts_with(prefix))
        return refuse("not a password hash: it must start with $scrypt$ (create one with "
                      "`pullgate passwd USER`)");
    text.remove_prefix(prefix.size());
    const std::string_view params_text = next_field(text);
    const std::string_view salt_text = next_field(text);
    const std::string_view digest_text = text;
    if (digest_text.find('$') != std::string_view::npos || digest_text.empty())
        return refuse("a password hash has exactly four parts: $scrypt$PARAMETERS$SALT$HASH");

    auto params = parse_params(params_text);
    if (!params)
        return refuse(params.error());
    auto salt = decode_base64(salt_text, base64_padding::none);
    if (!salt)
        return refuse("the salt is not canonical base64 without padding");
    if (salt->size() < min_salt_bytes || salt->size() > max_salt_bytes)
        return refuse(fmt::format("the salt must be {} to {} bytes, not {}", min_salt_bytes,
                                  max_salt_bytes, salt->size()));
    auto digest = decode_base64(digest_text, base64_padding::none);
    if (!digest)
        return refuse("the hash is not canonical base64 without padding");
    if (digest->size() < min_digest_bytes || digest->size() > max_digest_bytes)
        return refuse(fmt::format("the hash must be {} to {} bytes, not {}", min_digest_bytes,
                                  max_digest_bytes, digest->size()));
    return password_hash{*params, std::move(*salt), std::move(*digest)};
}

std::string to_string(const password_hash& hash) {
    return fmt::format("{}ln={},r={},p={}${}${}", prefix, hash.params.log2_n, hash.params.r,
                       hash.params.p, encode_base64(hash.salt, base64_padding::none),
                       encode_base64(hash.digest, base64_padding::none));
}

result<std::vector<unsigned char>> scrypt_derive(std::string_view password,
                                                 const std::vector<unsigned char>& salt,
                                                 const scrypt_params& params, std::size_t length) {
    if (auto checked = check_scrypt_params(params); !checked)
        return refuse(checked.error());
    if (length < 1 || length > max_digest_bytes)
        return refuse(fmt::format("scrypt output must be 1 to {} bytes", max_digest_bytes));

    const std::unique_ptr<EVP_KDF, kdf_free> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
    if (!kdf)
        return refuse("OpenSSL has no SCRYPT KDF: " + tls::drain_openssl_errors());
    const std::unique_ptr<EVP_KDF_CTX, kdf_free> ctx(EVP_KDF_CTX_new(kdf.get()));
    if (!ctx)
        return refuse("cannot create a SCRYPT context: " + tls::drain_openssl_errors());

    std::uint64_t n = std::uint64_t{1} << params.log2_n;
    std::uint32_t r = params.r;
    std::uint32_t p = params.p;
    // OpenSSL needs 128*r*(N+p+2) bytes; the bounds above keep 128*r*N
    // within max_scrypt_memory, and r*(p+2)*128 adds at most 72 KiB.
    std::uint64_t maxmem = max_scrypt_memory + (std::uint64_t{1} << 20);
    // OSSL_PARAM takes non-const pointers but only reads them here.
    static char empty = 0;
    char* pass = password.empty() ? &empty : const_cast<char*>(password.data());
    unsigned char* salt_data = const_cast<unsigned char*>(salt.data());
    const OSSL_PARAM ossl_params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, pass, password.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_data, salt.size()),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    std::vector<unsigned char> out(length);
    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), ossl_params) != 1)
        return refuse("scrypt failed: " + tls::drain_openssl_errors());
    return out;
}

result<password_hash> hash_password(std::string_view password, const scrypt_params& params) {
    if (password.empty())
        return refuse("the password is empty");
    if (password.size() > max_password_bytes)
        return refuse(fmt::format("the password is longer than {} bytes", max_password_bytes));
    password_hash hash{params, std::vector<unsigned char>(salt_bytes), {}};
    if (RAND_bytes(hash.salt.data(), static_cast<int>(hash.salt.size())) != 1)
        return refuse("no random salt: " + tls::drain_openssl_errors());
    auto digest = scrypt_derive(password, hash.salt, params, digest_bytes);
    if (!digest)
        return refuse(digest.error());
    hash.digest = std::move(*digest);
    return hash;
}

bool verify_password(std::string_view password, const password_hash& hash) {
    auto derived = scrypt_derive(password, hash.salt, hash.params, hash.digest.size());
    if (!derived) {
        ERR_clear_error();
        return false;
    }
    // CRYPTO_memcmp takes time independent of where the bytes differ, so
    // response times tell an attacker nothing about the stored hash.
    const bool match = CRYPTO_memcmp(derived->data(), hash.digest.data(), derived->size()) == 0;
    OPENSSL_cleanse(derived->data(), derived->size());
    return match;
}

} // namespace pullgate::auth
