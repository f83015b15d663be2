// Fuzzes the strict request header block checks (request/header_block.hpp)
// that keep ambiguous framing (request smuggling) from reaching Beast.
//
// Input: raw bytes as a client would send them. The first block found by
// header_block_length is checked, as the net layer does, and whatever is
// accepted is re-checked here by an independent reading of RFC 9112: CRLF
// line endings only, no obsolete line folding, exactly one Host (at most
// one in HTTP/1.0), at most one well-formed Content-Length or
// Transfer-Encoding and never both.
#include "fuzz_support.hpp"

#include "request/header_block.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

using namespace pullgate;

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_tchar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

void check_length(std::string_view data, std::size_t n) {
    if (n == 0) {
        // No empty line anywhere: no LF followed by LF or by CR LF.
        for (std::size_t i = 0; i + 1 < data.size(); ++i) {
            FUZZ_CHECK(!(data[i] == '\n' && data[i + 1] == '\n'));
            FUZZ_CHECK(!(data[i] == '\n' && data[i + 1] == '\r' && i + 2 < data.size() &&
                         data[i + 2] == '\n'));
        }
        return;
    }
    FUZZ_CHECK(n <= data.size() && data[n - 1] == '\n');
    FUZZ_CHECK((n >= 2 && data[n - 2] == '\n') ||
               (n >= 3 && data[n - 2] == '\r' && data[n - 3] == '\n'));
    // The first empty line: nothing shorter is a block, and what follows
    // the block does not change where it ends.
    FUZZ_CHECK(request::header_block_length(data.substr(0, n - 1)) == 0);
    FUZZ_CHECK(request::header_block_length(data.substr(0, n)) == n);
}

// Re-reads an accepted block without sharing code with header_block.cpp.
void check_accepted(std::string_view block, const request::header_block_limits& limits) {
    FUZZ_CHECK(block.size() <= limits.max_bytes);
    FUZZ_CHECK_AT(block.ends_with("\r\n\r\n"), block);
    for (std::size_t i = 0; i < block.size(); ++i) {
        if (block[i] == '\n')
            FUZZ_CHECK(i > 0 && block[i - 1] == '\r'); // no bare LF
        if (block[i] == '\r')
            FUZZ_CHECK(i + 1 < block.size() && block[i + 1] == '\n'); // no bare CR
        FUZZ_CHECK(block[i] != '\0');
    }
    // The block is exactly one block.
    FUZZ_CHECK(request::header_block_length(block) == block.size());

    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start < block.size();) {
        const auto end = block.find("\r\n", start);
        lines.push_back(block.substr(start, end - start));
        start = end + 2;
    }
    FUZZ_CHECK(lines.size() >= 2 && lines.back().empty());
    lines.pop_back();

    // request-line = method SP request-target SP HTTP-version
    const auto& request_line = lines.front();
    FUZZ_CHECK(std::count(request_line.begin(), request_line.end(), ' ') == 2);
    const auto sp1 = request_line.find(' ');
    const auto sp2 = request_line.rfind(' ');
    const auto method = request_line.substr(0, sp1);
    const auto target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    const auto version = request_line.substr(sp2 + 1);
    FUZZ_CHECK(!method.empty() && std::all_of(method.begin(), method.end(), is_tchar));
    FUZZ_CHECK(!target.empty() && fuzz::is_visible_ascii(target));
    FUZZ_CHECK(version == "HTTP/1.1" || version == "HTTP/1.0");

    int hosts = 0, lengths = 0, encodings = 0;
    std::size_t fields = 0;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto line = lines[i];
        FUZZ_CHECK(!line.empty());
        FUZZ_CHECK_AT(line.front() != ' ' && line.front() != '\t', block); // no obs-fold
        const auto colon = line.find(':');
        FUZZ_CHECK(colon != std::string_view::npos && colon > 0);
        const auto name = line.substr(0, colon);
        FUZZ_CHECK(std::all_of(name.begin(), name.end(), is_tchar));
        const auto value = trim(line.substr(colon + 1));
        for (const char c : value)
            FUZZ_CHECK(c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
        ++fields;
        const auto key = lower(name);
        if (key == "host")
            ++hosts;
        if (key == "content-length") {
            ++lengths;
            FUZZ_CHECK(!value.empty() && value.size() <= 18 &&
                       value.find_first_not_of("0123456789") == std::string_view::npos);
        }
        if (key == "transfer-encoding") {
            ++encodings;
            FUZZ_CHECK(lower(value) == "chunked");
        }
    }
    FUZZ_CHECK(fields <= limits.max_fields);
    // RFC 9112 3.2: exactly one Host in HTTP/1.1; HTTP/1.0 may leave it out.
    FUZZ_CHECK_AT(version == "HTTP/1.1" ? hosts == 1 : hosts <= 1, block);
    FUZZ_CHECK_AT(lengths <= 1 && encodings <= 1 && lengths + encodings <= 1, block);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::as_text(data, size);
    const auto n = request::header_block_length(text);
    check_length(text, n);
    if (n == 0) {
        // Not a complete block: the net layer reads on (or answers 431) and
        // never checks it. Only "does not crash" applies.
        (void)request::check_request_header_block(text, {});
        return 0;
    }
    const auto block = text.substr(0, n);

    const request::header_block_limits normal;
    const request::header_block_limits tight{512, 8};
    const auto refusal = request::check_request_header_block(block, normal);
    const auto tight_refusal = request::check_request_header_block(block, tight);
    if (refusal) {
        FUZZ_CHECK(refusal->status == 400 || refusal->status == 431 || refusal->status == 505);
        FUZZ_CHECK(!refusal->reason.empty() && fuzz::is_printable_ascii(refusal->reason));
        // Tighter limits never accept what the normal ones refuse.
        FUZZ_CHECK(tight_refusal.has_value());
    } else {
        check_accepted(block, normal);
        // Accepted under the normal limits: refused under tight ones only for size.
        FUZZ_CHECK(!tight_refusal || tight_refusal->status == 431);
        if (!tight_refusal)
            check_accepted(block, tight);
    }
    return 0;
}
