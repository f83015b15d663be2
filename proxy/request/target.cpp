#include "request/target.hpp"

#include <algorithm>
#include <array>

namespace pullgate::request {
namespace {

using std::string_view;

// Enough for any double- or triple-encoding a real server undoes; a path
// still decoding after this many passes is treated as reaching /v2 (fail
// closed) rather than costing quadratic time on every request.
constexpr int max_decode_passes = 8;

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool is_escape_at(string_view s, std::size_t i) {
    return i + 2 < s.size() && s[i] == '%' && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0;
}

bool is_plain_byte(char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
}

std::optional<std::string> byte_problem(string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!is_plain_byte(text[i])) {
            return "control, space or non-ASCII byte";
        }
        if (text[i] == '%' && !is_escape_at(text, i)) {
            return "malformed percent-encoding";
        }
    }
    return std::nullopt;
}

// Decodes one field of a form; the text has passed byte_problem.
std::string decode_form_text(string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%') {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::string lower_copy(string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

// One pass of percent-decoding that leaves malformed escapes alone, then
// lower case: what a lenient, case-insensitive server would route on.
std::string decode_once_lower(string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (is_escape_at(s, i)) {
            c = static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        }
        out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    return out;
}

// Overlong UTF-8 encodings of ASCII ("\xc0\xaf" for "/", the IIS
// traversal of CVE-2000-0884) folded to the ASCII byte they spell.
std::string fold_overlong(string_view s) {
    std::string out;
    out.reserve(s.size());
    auto cont = [&](std::size_t i) {
        return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto b = static_cast<unsigned char>(s[i]);
        if ((b == 0xc0 || b == 0xc1) && cont(i + 1)) {
            auto b1 = static_cast<unsigned char>(s[i + 1]);
            out.push_back(static_cast<char>(((b & 0x01) << 6) | (b1 & 0x3f)));
            i += 1;
        } else if (b == 0xe0 && cont(i + 1) && cont(i + 2) &&
                   static_cast<unsigned char>(s[i + 1]) <= 0x81) {
            auto b1 = static_cast<unsigned char>(s[i + 1]);
            auto b2 = static_cast<unsigned char>(s[i + 2]);
            out.push_back(static_cast<char>(((b1 & 0x01) << 6) | (b2 & 0x3f)));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

struct normalisation {
    bool backslash_is_slash;
    bool strip_parameters; // "seg;x" is "seg" (Tomcat, Jetty)
    bool merge_slashes_first;
};

// The segments of one normalisation of the (decoded, lower-case) path.
// Dot segments are removed as RFC 3986 5.2.4 does; servers differ on
// whether empty segments are merged before or after that. Empty segments
// are dropped from the result.
std::vector<string_view> normalised_segments(string_view path, normalisation n) {
    std::vector<string_view> segments;
    for (std::size_t start = 0; start <= path.size();) {
        auto end = n.backslash_is_slash ? path.find_first_of("/\\", start) : path.find('/', start);
        if (end == string_view::npos) {
            end = path.size();
        }
        auto segment = path.substr(start, end - start);
        if (n.strip_parameters) {
            segment = segment.substr(0, segment.find(';'));
        }
        if (!(n.merge_slashes_first && segment.empty())) {
            segments.push_back(segment);
        }
        start = end + 1;
    }
    std::vector<string_view> out;
    for (auto segment : segments) {
        if (segment == "..") {
            if (!out.empty()) {
                out.pop_back();
            }
        } else if (segment != ".") {
            out.push_back(segment);
        }
    }
    // Dropped only now: without merging, ".." after "//" pops the empty
    // segment (RFC 3986 5.2.4, WHATWG URL: "/v2//../x" is "/v2/x"), so
    // dropping it earlier would pop the "v2" before it instead.
    std::erase_if(out, [](string_view segment) { return segment.empty(); });
    return out;
}

// Is `wanted` true of any normalisation of this level of the path?
template <class Predicate> bool any_normalisation(string_view path, Predicate wanted) {
    for (bool backslash : {false, true}) {
        for (bool parameters : {false, true}) {
            for (bool merge_first : {false, true}) {
                if (wanted(normalised_segments(path, {backslash, parameters, merge_first}))) {
                    return true;
                }
            }
        }
    }
    return false;
}

// Is `wanted` true of one level of the path, or of it cut where a server
// would stop reading: at a decoded NUL (C), or at a decoded "?" or "#" (a
// server that parses the decoded path again)?
template <class Predicate> bool any_reading(string_view level, Predicate wanted) {
    if (any_normalisation(level, wanted)) {
        return true;
    }
    // Each stop is its own server: a C server does not stop at a "?" that
    // comes before the NUL, nor a re-parsing one at the NUL.
    for (const char stop : {'\0', '?', '#'}) {
        auto cut = level.find(stop);
        if (cut != string_view::npos && any_normalisation(level.substr(0, cut), wanted)) {
            return true;
        }
    }
    return false;
}

// Is `wanted` true of any spelling a server might read `raw_path` as:
// undecoded (a server that keeps "%2f" opaque still resolves "/a%2fb/../v2"),
// then one more percent-decoding pass per level, each with and without
// overlong UTF-8 folded (servers differ: nginx keeps "..\xc0\xaf" a segment
// of its own, a lenient decoder reads it as "../")? Past max_decode_passes,
// or past max_spellings distinct spellings, the answer is yes: a path that
// deep in encodings is never honest.
template <class Predicate> bool any_spelling(string_view raw_path, Predicate wanted) {
    constexpr std::size_t max_spellings = 64;
    std::vector<std::string> levels{lower_copy(raw_path)};
    for (int pass = 0; !levels.empty(); ++pass) {
        std::vector<std::string> next;
        for (const auto& level : levels) {
            if (any_reading(level, wanted)) {
                return true;
            }
            auto decoded = decode_once_lower(level);
            if (decoded == level) {
                continue; // nothing left to decode on this branch
            }
            auto folded = fold_overlong(decoded);
            for (auto* candidate : {&decoded, &folded}) {
                if (std::find(next.begin(), next.end(), *candidate) == next.end()) {
                    next.push_back(std::move(*candidate));
                }
            }
        }
        if (next.empty()) {
            return false;
        }
        if (pass == max_decode_passes || next.size() > max_spellings) {
            return true;
        }
        levels = std::move(next);
    }
    return false;
}

std::optional<std::string> segment_problem(string_view path) {
    bool trailing_slash_allowed = path == "/v2/" || path.ends_with("/blobs/uploads/");
    for (std::size_t start = 1; start <= path.size();) {
        auto end = std::min(path.find('/', start), path.size());
        auto segment = path.substr(start, end - start);
        if (segment == "." || segment == "..") {
            return "dot segment in a registry path";
        }
        if (segment.empty() && !(end == path.size() && trailing_slash_allowed)) {
            return "empty path segment in a registry path";
        }
        start = end + 1;
    }
    return std::nullopt;
}

} // namespace

result<request_target> parse_target(string_view target) {
    if (target.empty() || target.front() != '/') {
        return refuse("request target not starting with /");
    }
    if (target.find('#') != string_view::npos) {
        return refuse("fragment in the request target");
    }
    if (auto problem = byte_problem(target)) {
        return refuse(*problem + " in the request target");
    }
    request_target out;
    auto question = target.find('?');
    out.path = target.substr(0, question);
    if (question != string_view::npos) {
        out.query = target.substr(question + 1);
        auto params = parse_form(out.query);
        if (!params) {
            return refuse(params.error());
        }
        out.params = std::move(*params);
    }
    return out;
}

result<query_params> parse_form(string_view text) {
    if (auto problem = byte_problem(text)) {
        return refuse(*problem + " in a form");
    }
    query_params out;
    for (std::size_t start = 0; start <= text.size();) {
        auto end = std::min(text.find('&', start), text.size());
        auto field = text.substr(start, end - start);
        if (!field.empty()) {
            auto equals = field.find('=');
            auto value = equals == string_view::npos ? string_view{} : field.substr(equals + 1);
            out.push_back({decode_form_text(field.substr(0, equals)), decode_form_text(value)});
        }
        start = end + 1;
    }
    return out;
}

std::vector<string_view> param_values(const query_params& params, string_view key) {
    std::vector<string_view> out;
    for (const auto& param : params) {
        if (param.key == key) {
            out.push_back(param.value);
        }
    }
    return out;
}

bool looks_like_registry_path(string_view raw_path) {
    if (raw_path == "/v2" || raw_path.starts_with("/v2/")) {
        return true;
    }
    // Every normalisation keeps segments as substrings: no "v2", no /v2
    // (and no encoded one either: "%76%32" still holds no "v2").
    const bool may_hold_v2 = lower_copy(raw_path).find("v2") != std::string::npos ||
                             raw_path.find('%') != string_view::npos;
    return may_hold_v2 && any_spelling(raw_path, [](const std::vector<string_view>& segments) {
               return !segments.empty() && segments.front() == "v2";
           });
}

bool may_resolve_to(string_view raw_path, string_view canonical_path) {
    if (raw_path == canonical_path) {
        return true;
    }
    const std::string canonical = lower_copy(canonical_path);
    const auto wanted = normalised_segments(canonical, {false, false, false});
    return any_spelling(
        raw_path, [&](const std::vector<string_view>& segments) { return segments == wanted; });
}

std::optional<std::string> registry_path_problem(string_view raw_path) {
    if (raw_path.find('%') != string_view::npos) {
        return "percent-encoding in a registry path";
    }
    if (raw_path.find('\\') != string_view::npos) {
        return "backslash in a registry path";
    }
    if (raw_path.find(';') != string_view::npos) {
        return "path parameter (;) in a registry path";
    }
    if (!raw_path.starts_with("/")) {
        return "registry path not starting with /v2/";
    }
    auto first = raw_path.substr(1, raw_path.find('/', 1) - 1);
    if (first == "V2") {
        return "upper case in /v2/";
    }
    if (auto problem = segment_problem(raw_path)) {
        return problem;
    }
    if (first != "v2") {
        return "registry path not starting with /v2/";
    }
    return std::nullopt;
}

} // namespace pullgate::request
