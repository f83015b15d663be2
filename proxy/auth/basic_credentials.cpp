#include "auth/basic_credentials.hpp"

#include "auth/base64.hpp"
#include "auth/password_hash.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <vector>

namespace pullgate::auth {
namespace {

// Decoded user-id ":" password grows 4/3 in base64; anything longer than
// this is refused before decoding.
constexpr std::size_t max_token_length =
    (max_basic_user_bytes + 1 + max_password_bytes + 2) / 3 * 4;

bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7F;
}

bool has_control(std::string_view s) {
    for (const char c : s)
        if (is_control(static_cast<unsigned char>(c)))
            return true;
    return false;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        };
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

// Wipes a decoded buffer however the function leaves.
struct wipe_on_exit {
    std::vector<unsigned char>& bytes;
    ~wipe_on_exit() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

} // namespace

basic_credentials::~basic_credentials() {
    OPENSSL_cleanse(password.data(), password.size());
}

result<basic_credentials> parse_basic_credentials(std::string_view value) {
    // Header field values carry no leading or trailing white space (RFC
    // 9110 section 5.5); trim it in case the header parser kept some.
    const std::size_t first = value.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return refuse("empty credentials");
    value = value.substr(first, value.find_last_not_of(" \t") - first + 1);

    const std::size_t space = value.find(' ');
    if (!equals_ignoring_case(value.substr(0, space), "basic"))
        return refuse("not Basic credentials");
    if (space == std::string_view::npos)
        return refuse("Basic credentials without a token");
    // credentials = auth-scheme [ 1*SP token68 ] (RFC 9110 section 11.4).
    std::string_view token = value.substr(space);
    token.remove_prefix(token.find_first_not_of(' '));
    if (token.size() > max_token_length)
        return refuse("Basic credentials longer than pullgate accepts");

    auto decoded = decode_base64(token, base64_padding::required);
    if (!decoded)
        return refuse("Basic credentials that are not strict, padded base64");
    const wipe_on_exit wipe{*decoded};
    const std::string_view text(reinterpret_cast<const char*>(decoded->data()), decoded->size());

    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos)
        return refuse("Basic credentials without the ':' between user-id and password");
    const std::string_view user = text.substr(0, colon);
    const std::string_view password = text.substr(colon + 1);
    if (user.empty())
        return refuse("Basic credentials with an empty user-id");
    if (user.size() > max_basic_user_bytes)
        return refuse(fmt::format("a Basic user-id longer than {} bytes", max_basic_user_bytes));
    if (password.size() > max_password_bytes)
        return refuse(fmt::format("a Basic password longer than {} bytes", max_password_bytes));
    if (has_control(user) || has_control(password))
        return refuse("Basic credentials with a control character (RFC 7617 section 2)");
    return basic_credentials(std::string(user), std::string(password));
}

result<std::string> basic_user_name(std::string_view header_value) {
    auto credentials = parse_basic_credentials(header_value);
    if (!credentials)
        return refuse(credentials.error());
    for (const char c : credentials->user)
        if (c < 0x21 || c > 0x7E)
            return refuse("a Basic user-id that is not visible ASCII");
    return std::move(credentials->user);
}

std::string basic_challenge(std::string_view realm) {
    // charset="UTF-8" (RFC 7617 section 2.1) tells clients how to encode a
    // non-ASCII user-id or password; it is the only value allowed.
    return fmt::format("Basic realm=\"{}\", charset=\"UTF-8\"", realm);
}

} // namespace pullgate::auth
