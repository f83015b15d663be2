// check, ca init and explain: the commands that do not serve.
#include "app/commands.hpp"

#include "app/config_source.hpp"
#include "request/classify.hpp"
#include "request/reference.hpp"
#include "tls/ca.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

namespace pullgate::app {
namespace {

// Prints diagnostics; returns true when any is an error.
bool print_diagnostics(const std::vector<config::diagnostic>& diagnostics) {
    bool errors = false;
    for (const auto& d : diagnostics) {
        std::fprintf(stderr, "%s\n", d.to_string().c_str());
        errors = errors || d.level == config::severity::error;
    }
    return errors;
}

// The host a client would contact for `registry`: Docker Hub's API host for
// docker.io, otherwise the registry's own name.
request::authority registry_authority(const std::string& registry) {
    if (registry == request::docker_hub)
        return *request::parse_connect_authority("registry-1.docker.io:443");
    return *request::parse_authority(registry, 443);
}

} // namespace

int check_command(const std::optional<std::string>& config_path) {
    const auto loaded = load_settings(config_path);
    const bool errors = print_diagnostics(loaded.diagnostics);
    if (errors || !loaded.settings) {
        std::fprintf(stderr, "%s: invalid configuration\n", loaded.label.c_str());
        return 1;
    }
    std::printf("%s: configuration is valid\n", loaded.label.c_str());
    return 0;
}

int ca_init_command(const std::string& dir) {
    std::filesystem::create_directories(dir);
    const std::string cert = (std::filesystem::path(dir) / "ca.crt").string();
    const std::string key = (std::filesystem::path(dir) / "ca.key").string();
    const auto ca = tls::generate_ca("pullgate organization CA");
    tls::write_ca(ca, cert, key);
    std::printf("created %s (certificate) and %s (private key, mode 0600)\n", cert.c_str(),
                key.c_str());
    std::printf("SHA-256 fingerprint: %s\n", tls::sha256_fingerprint(ca.cert.get()).c_str());
    std::printf("Distribute %s to clients as a trusted root (see certs/README.md); keep %s "
                "secret.\n",
                cert.c_str(), key.c_str());
    return 0;
}

int explain_command(const std::optional<std::string>& config_path, const std::string& image,
                    const std::optional<std::string>& user) {
    const auto loaded = load_settings(config_path);
    if (print_diagnostics(loaded.diagnostics) || !loaded.settings) {
        std::fprintf(stderr, "%s: invalid configuration\n", loaded.label.c_str());
        return 1;
    }
    const auto reference = request::parse_image_reference(image);
    if (!reference) {
        std::fprintf(stderr, "pullgate: %s is not an image reference: %s\n", image.c_str(),
                     reference.error().c_str());
        return 2;
    }
    // Decide exactly what `docker pull` sends first: a manifest request,
    // classified by the same code as live traffic.
    const std::string ref = reference->digest.empty() ? reference->tag : reference->digest;
    const std::string target = "/v2/" + reference->repository + "/manifests/" + ref;
    const request::token_realms no_realms;
    const request::http_request_view view{
        "GET", registry_authority(reference->registry), request::scheme::https, target, {}};
    const auto info = request::classify(view, no_realms);
    const auto decision = loaded.settings->decider.decide(info, policy::identity{user});

    std::printf("image:    %s\n", reference->to_string().c_str());
    std::printf("decision: %s%s\n", std::string(policy::to_string(decision.outcome)).c_str(),
                decision.enforced ? "" : " (not enforced: audit)");
    const auto category = policy::to_string(decision.image_category);
    std::printf("category: %s\n", category.empty() ? "-" : std::string(category).c_str());
    std::printf("rule:     %s\n", decision.rule.c_str());
    std::printf("reason:   %s\n", decision.reason.c_str());
    if (!decision.message.empty())
        std::printf("message:  %s\n", decision.message.c_str());
    return decision.outcome == policy::verdict::allow ? 0 : 3;
}

} // namespace pullgate::app
