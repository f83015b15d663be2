// Fuzzes the distribution reference grammar (request/reference.hpp) and the
// request target (request/target.hpp), including the questions that keep
// registry policy from being bypassed: does a path reach /v2/ (or a token
// realm's /token) on some upstream's normalisation? Those answers are
// checked against an independent normaliser written here.
//
// Input: the whole text, given to every parser.
#include "fuzz_support.hpp"

#include "request/reference.hpp"
#include "request/registry.hpp"
#include "request/target.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace pullgate;

namespace {

bool is_repository_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
           c == '/';
}

void check_grammar(std::string_view text) {
    const bool repository = request::is_repository_name(text);
    FUZZ_CHECK(repository == !request::repository_name_problem(text).has_value());
    if (repository) {
        FUZZ_CHECK(text.size() <= 255 && std::all_of(text.begin(), text.end(), is_repository_char));
        FUZZ_CHECK(text.front() != '/' && text.back() != '/' &&
                   text.find("//") == std::string_view::npos);
    }
    if (request::is_tag(text)) {
        FUZZ_CHECK(text.size() <= 128 && fuzz::is_visible_ascii(text));
        FUZZ_CHECK(text.find_first_of(":/@") == std::string_view::npos);
    }
    if (request::is_digest(text)) {
        FUZZ_CHECK(fuzz::is_visible_ascii(text) &&
                   text.find_first_of("/@") == std::string_view::npos);
        const auto algorithm = text.substr(0, text.find(':'));
        if (algorithm == "sha256")
            FUZZ_CHECK(text.size() == 7 + 64);
        if (algorithm == "sha512")
            FUZZ_CHECK(text.size() == 7 + 128);
    }
    // A tag never looks like a digest, so image() and to_string() can tell them apart.
    FUZZ_CHECK(!(request::is_tag(text) && request::is_digest(text)));
}

void check_reference(std::string_view text) {
    const auto ref = request::parse_image_reference(text);
    if (!ref)
        return;
    FUZZ_CHECK(!ref->registry.empty() && request::is_repository_name(ref->repository));
    FUZZ_CHECK(!ref->tag.empty() || !ref->digest.empty());
    FUZZ_CHECK(ref->tag.empty() || request::is_tag(ref->tag));
    FUZZ_CHECK(ref->digest.empty() || request::is_digest(ref->digest));
    if (ref->registry == request::docker_hub)
        FUZZ_CHECK(ref->repository.find('/') != std::string::npos);
    // The registry is named as classify() names it.
    const auto where = request::parse_authority(ref->registry, 443);
    FUZZ_CHECK(where && request::registry_name(*where, request::scheme::https) == ref->registry);
    // The printed reference means the same image.
    const auto printed = ref->to_string();
    FUZZ_CHECK(fuzz::is_visible_ascii(printed));
    const auto again = request::parse_image_reference(printed);
    FUZZ_CHECK_AT(again.ok(), printed);
    FUZZ_CHECK_AT(again->registry == ref->registry, printed + " reads as " + again->to_string());
    FUZZ_CHECK_AT(again->repository == ref->repository,
                  printed + " reads as " + again->to_string());
    FUZZ_CHECK_AT(again->digest == ref->digest, printed);
    FUZZ_CHECK_AT(again->to_string() == printed, printed + " reads as " + again->to_string());
}

void check_target(std::string_view text) {
    const auto target = request::parse_target(text);
    if (!target)
        return;
    FUZZ_CHECK(target->path.starts_with("/"));
    FUZZ_CHECK(fuzz::is_visible_ascii(target->path) &&
               target->path.find_first_of("?#") == std::string::npos);
    FUZZ_CHECK(text == target->path || text == target->path + "?" + target->query);
    const auto form = request::parse_form(target->query);
    FUZZ_CHECK(form && *form == target->params);
}

// ---- an independent model of what upstream servers route on ----

int hex(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = static_cast<char>(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string ascii_lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// RFC 3986 5.2.4 remove_dot_segments, on a string.
std::string remove_dot_segments(std::string in) {
    std::string out;
    while (!in.empty()) {
        if (in.starts_with("../"))
            in.erase(0, 3);
        else if (in.starts_with("./"))
            in.erase(0, 2);
        else if (in.starts_with("/./"))
            in.erase(0, 2);
        else if (in == "/.")
            in = "/";
        else if (in.starts_with("/../") || in == "/..") {
            in = in.size() == 3 ? "/" : in.substr(3);
            const auto slash = out.rfind('/');
            out.erase(slash == std::string::npos ? 0 : slash);
        } else if (in == "." || in == "..")
            in.clear();
        else {
            const auto next = in.find('/', in[0] == '/' ? 1 : 0);
            out += in.substr(0, next);
            in.erase(0, next == std::string::npos ? in.size() : next);
        }
    }
    return out;
}

struct upstream_model {
    bool backslash;   // "\" is "/" (IIS, some Go and Node routers)
    bool parameters;  // ";params" dropped from each segment (Tomcat, Jetty)
    bool merge_first; // "//" merged before dot segments are removed (nginx)
    bool nul;         // a C server stops at a decoded NUL
    bool overlong;    // "\xc0\xaf" read as "/"
};

std::string decode(std::string_view raw, int passes) {
    std::string s = ascii_lower(std::string(raw));
    for (int i = 0; i < passes; ++i)
        s = ascii_lower(percent_decode(s));
    return s;
}

std::string apply(std::string s, const upstream_model& m) {
    if (m.overlong) {
        std::string folded;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const auto b = static_cast<unsigned char>(s[i]);
            if ((b == 0xc0 || b == 0xc1) && i + 1 < s.size() &&
                (static_cast<unsigned char>(s[i + 1]) & 0xc0) == 0x80) {
                folded += ascii_lower(
                    std::string(1, static_cast<char>(((b & 1) << 6) | (s[i + 1] & 0x3f))));
                ++i;
            } else {
                folded += s[i];
            }
        }
        s = folded;
    }
    if (m.nul)
        s = s.substr(0, s.find('\0'));
    if (m.backslash)
        std::replace(s.begin(), s.end(), '\\', '/');
    if (m.parameters) {
        std::string stripped;
        bool in_parameter = false;
        for (const char c : s) {
            if (c == '/')
                in_parameter = false;
            else if (c == ';')
                in_parameter = true;
            if (!in_parameter)
                stripped += c;
        }
        s = stripped;
    }
    auto merge = [](std::string t) {
        std::string out;
        for (const char c : t)
            if (!(c == '/' && !out.empty() && out.back() == '/'))
                out += c;
        return out;
    };
    if (m.merge_first)
        s = merge(s);
    s = remove_dot_segments(s);
    return merge(s);
}

// Is `wanted` true of the path any modelled upstream routes `raw` on?
// `word` is what `wanted` looks for: every step below only removes or
// rewrites separators (overlong UTF-8 aside), so without `word` in the
// decoded text no model can produce it.
template <class Predicate>
bool model_any(std::string_view raw, std::string_view word, Predicate wanted) {
    for (int decodes = 0; decodes <= 3; ++decodes) {
        const std::string decoded = decode(raw, decodes);
        const auto has = [&](std::string_view chars) {
            return decoded.find_first_of(chars) != std::string::npos;
        };
        if (decoded.find(word) == std::string::npos && !has("\xc0\xc1"))
            continue;
        // Options that change nothing on this text are not tried.
        const int usable = (has("\\") ? 1 : 0) | (has(";") ? 2 : 0) | 4 |
                           (has(std::string_view("\0", 1)) ? 8 : 0) | (has("\xc0\xc1") ? 16 : 0);
        for (int bits = 0; bits < 32; ++bits) {
            if ((bits & ~usable) != 0)
                continue;
            const upstream_model m{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0,
                                   (bits & 8) != 0, (bits & 16) != 0};
            if (wanted(apply(decoded, m)))
                return true;
        }
    }
    return false;
}

bool model_reaches_v2(std::string_view raw) {
    return model_any(raw, "v2", [](const std::string& path) {
        return path == "/v2" || path.starts_with("/v2/") || path == "v2" || path.starts_with("v2/");
    });
}

// The path is the one segment "token" (with or without slashes around it).
bool model_resolves_to_token(std::string_view raw) {
    return model_any(raw, "token", [](const std::string& path) {
        return path == "/token" || path == "/token/" || path == "token" || path == "token/";
    });
}

void check_registry_path(std::string_view text) {
    const bool looks = request::looks_like_registry_path(text);
    const auto problem = request::registry_path_problem(text);
    if (!problem)
        FUZZ_CHECK(looks && (text == "/v2" || text.starts_with("/v2/")));
    if (text == "/v2" || text.starts_with("/v2/"))
        FUZZ_CHECK(looks);
    // The rest holds for the paths classify() asks about: what parse_target
    // leaves of a request target (visible ASCII, no query, no fragment).
    if (text.size() > 512 || !text.starts_with("/") || !fuzz::is_visible_ascii(text) ||
        text.find_first_of("?#") != std::string_view::npos)
        return;
    // The bypass invariant: a path some upstream routes to /v2/ is a
    // registry path here too.
    if (!looks)
        FUZZ_CHECK_AT(!model_reaches_v2(text), text);
    // The same for a token realm's path: a token request spelled another
    // way is still a token request, decided by its scopes.
    if (!request::may_resolve_to(text, "/token"))
        FUZZ_CHECK_AT(!model_resolves_to_token(text), text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::as_text(data, size);
    check_grammar(text);
    check_reference(text);
    check_target(text);
    check_registry_path(text);
    return 0;
}
