// The status a denial is answered with, so that the person at the client
// sees pullgate's message.
//
// The SPEC's answer is 403 with the OCI error body and the message as the
// reason phrase; docker, containerd and curl show it. Clients built on
// containers/image (podman, skopeo, buildah, CRI-O) drop both the body and
// the reason phrase in three places (containers/image 5.23,
// docker/docker_client.go):
//   - a /v2/ ping answered with anything but 200 or 401 ("pinging container
//     registry …: invalid status code from registry 403 (Forbidden)");
//   - a token request answered with anything but 200 or 401;
//   - a HEAD of a blob (a push checking what the registry has) answered 403
//     (a HEAD has no body to read).
// For those clients only, and only there, pullgate answers 401 (ping,
// token: containers/image then prints the body) or 404 (blob HEAD: the
// client goes on to the upload request, whose 403 body it prints). The
// decision is the same and is logged the same; only the status differs.
// See docs/denials.md for what each client prints.
#pragma once

#include "policy/decision.hpp"
#include "request/request_info.hpp"

#include <string_view>

namespace pullgate::service {

bool is_containers_image_client(std::string_view user_agent);

int denial_status(const policy::decision& d, const request::request_info& info,
                  std::string_view method, std::string_view user_agent);

} // namespace pullgate::service
