// Salted, slow password hashes for the users file: scrypt (RFC 7914)
// through OpenSSL 3's EVP_KDF "SCRYPT", written in passlib's layout
//
//   $scrypt$ln=14,r=8,p=1$<salt>$<digest>
//
// (N = 2^ln; salt and digest in standard base64 without padding), so a
// hash made by passlib's `scrypt.hash()` verifies here too.
//
// The parameters come from the file, so they are bounded: memory 128*r*N
// at most 64 MiB and work N*r*p at most 2^20 (about 8 times the
// recommended cost), so no line of a hostile or mistaken users file can
// make one verification allocate gigabytes or take minutes.
#pragma once

#include "util/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pullgate::auth {

struct scrypt_params {
    unsigned log2_n = 14; // N = 2^log2_n: memory and time
    unsigned r = 8;       // block size: memory and time
    unsigned p = 1;       // sequential repetitions here: time only
    bool operator==(const scrypt_params&) const = default;
};

// What `pullgate passwd` writes. Measured on the development machine (AMD
// EPYC, 2 cores, OpenSSL 3.0): ln=14 takes 52-88 ms and 16 MiB per
// verification, ln=15 119-135 ms, ln=16 207-304 ms. 50-100 ms is the
// budget for a check that sits in front of a pull; the verifier's cache
// pays it once per user and password, not once per connection.
inline constexpr scrypt_params recommended_scrypt_params{14, 8, 1};

inline constexpr unsigned min_scrypt_log2_n = 10;
inline constexpr unsigned max_scrypt_log2_n = 20;
inline constexpr unsigned max_scrypt_r = 32;
inline constexpr unsigned max_scrypt_p = 16;
inline constexpr std::uint64_t max_scrypt_memory = std::uint64_t{64} << 20; // 128*r*N bytes
inline constexpr std::uint64_t max_scrypt_work = std::uint64_t{1} << 20;    // N*r*p

inline constexpr std::size_t salt_bytes = 16;   // what hash_password generates
inline constexpr std::size_t digest_bytes = 32; // what hash_password derives
inline constexpr std::size_t min_salt_bytes = 16, max_salt_bytes = 64;
inline constexpr std::size_t min_digest_bytes = 16, max_digest_bytes = 64;
// Longer passwords are refused everywhere (hashing, Basic credentials):
// nobody types more, and it bounds what an unauthenticated client can
// make the proxy hash.
inline constexpr std::size_t max_password_bytes = 1024;

// The params, or why they are out of bounds.
result<scrypt_params> check_scrypt_params(const scrypt_params& params);

// True when `params` cost less than recommended_scrypt_params (weak, but
// accepted: the users file says so as a warning).
bool below_recommended_cost(const scrypt_params& params);

struct password_hash {
    scrypt_params params;
    std::vector<unsigned char> salt;
    std::vector<unsigned char> digest;
};

// Parses `$scrypt$ln=…,r=…,p=…$SALT$DIGEST`. Numbers in plain decimal, the
// parameters in that order, salt and digest canonical unpadded base64 of
// the sizes above. A refusal never quotes the text: it is password
// material.
result<password_hash> parse_password_hash(std::string_view text);

std::string to_string(const password_hash& hash);

// A new hash of `password` with a random salt. Refuses an empty or
// over-long password and parameters out of bounds; an OpenSSL failure is a refusal too.
result<password_hash> hash_password(std::string_view password,
                                    const scrypt_params& params = recommended_scrypt_params);

// True when `password` matches. Costs one scrypt run; compares in constant
// time. Any failure (bounds, OpenSSL, memory) is false: fail closed.
// scrypt's inner PBKDF2-HMAC zero-pads the password, so "pw" and "pw\0"
// verify alike: callers refuse control characters first (the verifier
// does; Basic credentials cannot carry them).
bool verify_password(std::string_view password, const password_hash& hash);

// Raw scrypt, bounded like the rest: `length` bytes derived from
// `password` and `salt`. For tests (RFC 7914 section 12 vectors) and for
// running a decoy verification.
result<std::vector<unsigned char>> scrypt_derive(std::string_view password,
                                                 const std::vector<unsigned char>& salt,
                                                 const scrypt_params& params, std::size_t length);

} // namespace pullgate::auth
