#include "request/classify.hpp"

#include "request/reference.hpp"
#include "request/target.hpp"
#include "request/token_scope.hpp"

#include <algorithm>

namespace pullgate::request {
namespace {

using std::string_view;

enum class shape { ping, catalog, manifest, blob, upload_start, upload_session, tags, referrers };

struct method_rule {
    shape where;
    string_view method; // HTTP methods are case-sensitive (RFC 9110 9.1)
    action act;
};

// OCI distribution-spec v1.1 "Endpoints" (end-1 … end-13), plus the
// catalog that registries still serve. Anything else on a known shape is
// refused: a method the table does not know cannot be judged.
constexpr method_rule method_table[] = {
    {shape::ping, "GET", action::other},
    {shape::ping, "HEAD", action::other},
    {shape::catalog, "GET", action::pull},
    {shape::manifest, "GET", action::pull},
    {shape::manifest, "HEAD", action::pull},
    {shape::manifest, "PUT", action::push},
    {shape::manifest, "DELETE", action::del},
    {shape::blob, "GET", action::pull},
    {shape::blob, "HEAD", action::pull},
    {shape::blob, "DELETE", action::del},
    {shape::upload_start, "POST", action::push},
    {shape::upload_session, "PATCH", action::push},
    {shape::upload_session, "PUT", action::push},
    {shape::upload_session, "GET", action::push},
    {shape::upload_session, "DELETE", action::push},
    {shape::tags, "GET", action::pull},
    {shape::referrers, "GET", action::pull},
};

struct shape_info {
    kind what;
    string_view label; // for "METHOD is not allowed on …"
};

shape_info describe(shape s) {
    switch (s) {
    case shape::ping:
        return {kind::ping, "/v2/"};
    case shape::catalog:
        return {kind::catalog, "the catalog"};
    case shape::manifest:
        return {kind::manifest, "a manifest"};
    case shape::blob:
        return {kind::blob, "a blob"};
    case shape::upload_start:
        return {kind::upload, "an upload"};
    case shape::upload_session:
        return {kind::upload, "an upload session"};
    case shape::tags:
        return {kind::tags, "a tag list"};
    case shape::referrers:
        return {kind::referrers, "referrers"};
    }
    return {kind::other, "this endpoint"};
}

struct endpoint {
    shape what;
    string_view name; // the repository; empty for ping and catalog
    string_view tail; // reference, digest or upload id
};

// Matches the path after "/v2/" from its end. References, digests and
// upload ids never contain "/", so the endpoint is fixed by the last one to
// three segments and the name is everything before them: a repository may
// have components called "blobs" or "manifests" without ambiguity.
std::optional<endpoint> match_endpoint(string_view rest) {
    static constexpr string_view upload_suffix = "/blobs/uploads/";
    if (rest == "_catalog") {
        return endpoint{shape::catalog, {}, {}};
    }
    if (rest.ends_with(upload_suffix)) {
        return endpoint{
            shape::upload_start, rest.substr(0, rest.size() - upload_suffix.size()), {}};
    }
    auto last_slash = rest.rfind('/');
    if (last_slash == string_view::npos) {
        return std::nullopt;
    }
    auto tail = rest.substr(last_slash + 1);
    auto head = rest.substr(0, last_slash);
    if (tail == "list" && head.ends_with("/tags")) {
        return endpoint{shape::tags, head.substr(0, head.size() - 5), {}};
    }
    auto marker_slash = head.rfind('/');
    auto marker = marker_slash == string_view::npos ? head : head.substr(marker_slash + 1);
    auto name = marker_slash == string_view::npos ? string_view{} : head.substr(0, marker_slash);
    if (marker == "uploads" && name.ends_with("/blobs")) {
        return endpoint{shape::upload_session, name.substr(0, name.size() - 6), tail};
    }
    if (marker == "manifests") {
        return endpoint{shape::manifest, name, tail};
    }
    if (marker == "blobs") {
        return endpoint{shape::blob, name, tail};
    }
    if (marker == "referrers") {
        return endpoint{shape::referrers, name, tail};
    }
    return std::nullopt;
}

const method_rule* find_rule(shape s, string_view method) {
    auto found =
        std::find_if(std::begin(method_table), std::end(method_table),
                     [&](const method_rule& r) { return r.where == s && r.method == method; });
    return found == std::end(method_table) ? nullptr : found;
}

// The method goes into a message and a log line: only a plain one is quoted.
std::string method_text(string_view method) {
    bool plain = !method.empty() && method.size() <= 16 &&
                 std::all_of(method.begin(), method.end(), [](char c) {
                     return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
                 });
    return plain ? std::string(method) : std::string("this method");
}

request_info invalid(request_info info, std::string reason) {
    info.invalid = std::move(reason);
    return info;
}

// A repository on Docker Hub always has a namespace; "nginx" is docker's
// shorthand for "library/nginx" and the registry never sees it. Refusing
// it keeps one image from having two names that policy would tell apart.
std::optional<std::string> repository_problem(string_view name, string_view registry) {
    if (auto problem = repository_name_problem(name)) {
        return problem;
    }
    if (registry == docker_hub && name.find('/') == string_view::npos) {
        return "Docker Hub repositories have a namespace: use library/" + std::string(name);
    }
    return std::nullopt;
}

std::optional<std::string> reference_problem(string_view reference) {
    if (reference.find(':') != string_view::npos) {
        return is_digest(reference)
                   ? std::nullopt
                   : std::optional<std::string>("digest outside the reference grammar");
    }
    return is_tag(reference) ? std::nullopt
                             : std::optional<std::string>("tag outside the reference grammar");
}

// Upload session ids as distribution issues them (a UUID, or an opaque
// token of URL-safe characters).
bool is_upload_id(string_view id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               string_view("._~=+-").find(c) != string_view::npos;
    });
}

std::optional<std::string> single_param_problem(const query_params& params) {
    // Two values for one of these leave it to the registry which one it
    // uses, and policy must know which blob moves where.
    for (string_view key : {"digest", "mount", "from"}) {
        if (param_values(params, key).size() > 1) {
            return "more than one " + std::string(key) + " query parameter";
        }
    }
    return std::nullopt;
}

std::optional<std::string> page_size_problem(const query_params& params) {
    for (auto n : param_values(params, "n")) {
        if (n.empty() ||
            !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return "n query parameter not a decimal number";
        }
    }
    return std::nullopt;
}

// POST …/blobs/uploads/ (end-4a, end-4b, end-11): a monolithic upload names
// its digest; a cross-repository mount also reads `from`.
request_info finish_upload_start(request_info info, const query_params& params) {
    auto digest = param_values(params, "digest");
    auto mount = param_values(params, "mount");
    auto from = param_values(params, "from");
    if (!digest.empty() && !is_digest(digest.front())) {
        return invalid(std::move(info), "digest query parameter outside the reference grammar");
    }
    if (!mount.empty() && !is_digest(mount.front())) {
        return invalid(std::move(info), "mount query parameter outside the reference grammar");
    }
    if (!from.empty()) {
        // Checked even without `mount`: a pull access more is the safe side.
        if (auto problem = repository_problem(from.front(), info.registry)) {
            return invalid(std::move(info), "from query parameter: " + *problem);
        }
        info.accesses.push_back({std::string(from.front()), action::pull, {}});
    }
    if (!digest.empty()) {
        info.reference = digest.front();
    } else if (!mount.empty()) {
        info.reference = mount.front();
    }
    return info;
}

// What the last segments of a repository endpoint say beyond the name.
request_info finish_endpoint(request_info info, const endpoint& found, const query_params& params) {
    switch (found.what) {
    case shape::manifest:
        if (auto problem = reference_problem(found.tail)) {
            return invalid(std::move(info), *problem);
        }
        info.reference = found.tail;
        info.accesses.front().reference = found.tail;
        return info;
    case shape::referrers:
    case shape::blob:
        if (!is_digest(found.tail)) {
            return invalid(std::move(info), "digest outside the reference grammar");
        }
        info.reference = found.tail;
        // A blob digest is not an image reference; a referrers subject is.
        if (found.what == shape::referrers) {
            info.accesses.front().reference = found.tail;
        }
        return info;
    case shape::upload_session: {
        if (!is_upload_id(found.tail)) {
            return invalid(std::move(info), "upload session id outside [A-Za-z0-9._~=+-]");
        }
        auto digest = param_values(params, "digest");
        if (!digest.empty() && !is_digest(digest.front())) {
            return invalid(std::move(info), "digest query parameter outside the reference grammar");
        }
        if (!digest.empty()) {
            info.reference = digest.front();
        }
        return info;
    }
    case shape::upload_start:
        return finish_upload_start(std::move(info), params);
    case shape::tags:
        if (auto problem = page_size_problem(params)) {
            return invalid(std::move(info), *problem);
        }
        return info;
    case shape::ping:
    case shape::catalog:
        break;
    }
    return info;
}

request_info classify_registry(request_info info, string_view method,
                               const request_target& target) {
    const std::string& path = target.path;
    if (auto problem = registry_path_problem(path)) {
        return invalid(std::move(info), *problem);
    }
    auto found = (path == "/v2" || path == "/v2/") ? endpoint{shape::ping, {}, {}}
                                                   : match_endpoint(string_view(path).substr(4));
    if (!found) {
        return invalid(std::move(info), "not an OCI distribution endpoint");
    }
    auto described = describe(found->what);
    info.what = described.what;
    const auto* rule = find_rule(found->what, method);
    if (!rule) {
        return invalid(std::move(info),
                       method_text(method) + " is not allowed on " + std::string(described.label));
    }
    info.act = rule->act;
    if (auto problem = single_param_problem(target.params)) {
        return invalid(std::move(info), *problem);
    }
    if (found->what == shape::ping) {
        return info;
    }
    if (found->what == shape::catalog) {
        auto problem = page_size_problem(target.params);
        return problem ? invalid(std::move(info), *problem) : info;
    }
    if (auto problem = repository_problem(found->name, info.registry)) {
        return invalid(std::move(info), *problem);
    }
    info.repository = found->name;
    info.accesses.push_back({info.repository, info.act, {}});
    return finish_endpoint(std::move(info), *found, target.params);
}

// "a b" in one scope field is two scopes (RFC 6749 3.3: space-delimited).
void append_scopes(const std::vector<string_view>& fields, std::vector<std::string>& scopes) {
    for (auto field : fields) {
        for (std::size_t start = 0; start <= field.size();) {
            auto end = std::min(field.find(' ', start), field.size());
            if (end > start) {
                scopes.emplace_back(field.substr(start, end - start));
            }
            start = end + 1;
        }
    }
}

// A token request is decided by the repositories its scopes name: GET with
// `scope` query parameters (docker token spec), or an OAuth2 POST form.
request_info classify_token(request_info info, const http_request_view& request,
                            const request_target& target, std::string registry) {
    info.what = kind::token;
    info.registry = std::move(registry);
    std::vector<std::string> scopes;
    append_scopes(param_values(target.params, "scope"), scopes);
    if (request.method == "POST") {
        // The body's scopes count, and so do the query's: Go servers read
        // both through Request.FormValue.
        auto form = parse_form(request.form_body);
        if (!form) {
            return invalid(std::move(info), "malformed token request body: " + form.error());
        }
        append_scopes(param_values(*form, "scope"), scopes);
    } else if (request.method != "GET" && request.method != "HEAD") {
        // PUT and PATCH bodies are read as forms too, and would go unseen.
        return invalid(std::move(info),
                       method_text(request.method) + " is not allowed on a token endpoint");
    }
    auto accesses = scope_accesses(scopes);
    if (!accesses) {
        return invalid(std::move(info), accesses.error());
    }
    for (const auto& access : *accesses) {
        if (auto problem = repository_problem(access.repository, info.registry)) {
            return invalid(std::move(info), *problem);
        }
        info.act = stronger(info.act, access.act);
    }
    info.accesses = std::move(*accesses);
    if (!info.accesses.empty()) {
        info.repository = info.accesses.front().repository;
        info.reference = info.accesses.front().reference;
    }
    return info;
}

bool is_docker_hub_web_api(const authority& where) {
    return where.host == "hub.docker.com" && where.port == 443;
}

} // namespace

request_info classify(const http_request_view& request, const token_realms& realms) {
    request_info info;
    info.host = request.where.host;
    info.registry = registry_name(request.where, request.over);
    info.read_only = request.method == "GET" || request.method == "HEAD";
    // A target that cannot be read for certain might be read by the
    // upstream as a registry path: refuse it rather than call it "other".
    auto target = parse_target(request.target);
    if (!target) {
        return invalid(std::move(info), target.error());
    }
    // Realms first: some live under /v2/ (gcr.io's /v2/token, quay.io's
    // /v2/auth) and would otherwise be refused as unknown endpoints.
    if (auto registry = realms.registry_for(request.where, target->path)) {
        return classify_token(std::move(info), request, *target, std::move(*registry));
    }
    if (auto realm = realms.lookalike(request.where, target->path)) {
        return invalid(std::move(info),
                       "not the canonical spelling of the token endpoint " + *realm);
    }
    // Docker Hub's web API (sign-in, search) lives under /v2/ on
    // hub.docker.com but serves no image content: Docker Desktop needs it,
    // and it is an ordinary host for policy (other_hosts).
    if (is_docker_hub_web_api(request.where)) {
        return info;
    }
    if (looks_like_registry_path(target->path)) {
        return classify_registry(std::move(info), request.method, *target);
    }
    return info;
}

bool is_token_form_post(const http_request_view& request, const token_realms& realms) {
    if (request.method != "POST") {
        return false;
    }
    auto target = parse_target(request.target);
    return target && realms.registry_for(request.where, target->path).has_value();
}

} // namespace pullgate::request
