#include "auth/base64.hpp"

#include <array>
#include <cstdint>

namespace pullgate::auth {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_decode_table() {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}

constexpr auto decode_table = make_decode_table();

} // namespace

std::string encode_base64(std::span<const unsigned char> bytes, base64_padding padding) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v =
            (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 0)
        return out;
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    if (rest == 2)
        v |= std::uint32_t{bytes[i + 1]} << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2)
        out += alphabet[(v >> 6) & 63];
    if (padding == base64_padding::required)
        out.append(rest == 1 ? "==" : "=");
    return out;
}

std::optional<std::vector<unsigned char>> decode_base64(std::string_view text,
                                                        base64_padding padding) {
    if (padding == base64_padding::required) {
        if (text.size() % 4 != 0)
            return std::nullopt;
        // Strip at most two '=' from the end; any other '=' is refused
        // below as a character outside the alphabet.
        for (int n = 0; n < 2 && !text.empty() && text.back() == '='; ++n)
            text.remove_suffix(1);
    }
    // One character left over carries only six bits: never a whole byte.
    if (text.size() % 4 == 1)
        return std::nullopt;

    std::vector<unsigned char> out;
    out.reserve(text.size() / 4 * 3 + 2);
    std::uint32_t bits = 0;
    int count = 0;
    for (const char c : text) {
        const std::int8_t d = decode_table[static_cast<unsigned char>(c)];
        if (d < 0)
            return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(d);
        if (++count == 4) {
            out.push_back(static_cast<unsigned char>(bits >> 16));
            out.push_back(static_cast<unsigned char>(bits >> 8));
            out.push_back(static_cast<unsigned char>(bits));
            bits = 0;
            count = 0;
        }
    }
    // A final group of two or three characters: its unused low bits must be
    // zero (RFC 4648 section 3.5), or two spellings would decode alike.
    if (count == 2) {
        if ((bits & 0xF) != 0)
            return std::nullopt;
        out.push_back(static_cast<unsigned char>(bits >> 4));
    } else if (count == 3) {
        if ((bits & 0x3) != 0)
            return std::nullopt;
        out.push_back(static_cast<unsigned char>(bits >> 10));
        out.push_back(static_cast<unsigned char>(bits >> 2));
    }
    return out;
}

} // namespace pullgate::auth
