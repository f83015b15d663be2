// Denials keep the SPEC's 403 except where a containers/image client would
// otherwise hide the message.
#include "service/denial_status.hpp"

#include <doctest/doctest.h>

using namespace pullgate;
using request::kind;

namespace {

int status_for(kind what, std::string_view method, std::string_view agent,
               int policy_status = 403) {
    policy::decision d;
    d.outcome = policy::verdict::deny;
    d.status = policy_status;
    request::request_info info;
    info.what = what;
    return service::denial_status(d, info, method, agent);
}

constexpr std::string_view podman = "containers/5.23.1 (github.com/containers/image)";
constexpr std::string_view skopeo = "skopeo/1.9.3";
constexpr std::string_view docker = "docker/20.10.24 go/go1.19.8 git-commit/5d6db84";

} // namespace

TEST_CASE("containers/image clients are recognised by their user agents") {
    for (const auto agent : {podman, skopeo, std::string_view("libpod/4.3.1"),
                             std::string_view("Buildah/1.28.2"), std::string_view("cri-o/1.26")}) {
        CAPTURE(agent);
        CHECK(service::is_containers_image_client(agent));
    }
    for (const auto agent : {docker, std::string_view("containerd/1.6.20"),
                             std::string_view("curl/7.88.1"), std::string_view("")}) {
        CAPTURE(agent);
        CHECK_FALSE(service::is_containers_image_client(agent));
    }
}

TEST_CASE("only pings, token requests and blob HEADs change, and only for those clients") {
    struct row {
        kind what;
        std::string_view method;
        std::string_view agent;
        int expected;
    };
    const row rows[] = {
        {kind::ping, "GET", podman, 401},        {kind::token, "GET", skopeo, 401},
        {kind::blob, "HEAD", podman, 404},       {kind::blob, "GET", podman, 403},
        {kind::manifest, "HEAD", podman, 403},   {kind::manifest, "GET", skopeo, 403},
        {kind::upload, "POST", podman, 403},     {kind::ping, "GET", docker, 403},
        {kind::token, "GET", docker, 403},       {kind::blob, "HEAD", docker, 403},
        {kind::ping, "GET", "curl/7.88.1", 403},
    };
    for (const auto& r : rows) {
        CAPTURE(request::to_string(r.what));
        CAPTURE(r.method);
        CAPTURE(r.agent);
        CHECK(status_for(r.what, r.method, r.agent) == r.expected);
    }
}

TEST_CASE("a refusal of a non-canonical request keeps its 400") {
    CHECK(status_for(kind::ping, "GET", podman, 400) == 400);
    CHECK(status_for(kind::blob, "HEAD", podman, 400) == 400);
}
