#include "service/denial_status.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace pullgate::service {
namespace {

bool starts_with_icase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char p, char c) {
               return p == std::tolower(static_cast<unsigned char>(c));
           });
}

} // namespace

bool is_containers_image_client(std::string_view user_agent) {
    // containers/image's own default, and the names its users set.
    static constexpr std::array<std::string_view, 6> prefixes{"containers/", "skopeo/",  "libpod/",
                                                              "podman/",     "buildah/", "cri-o/"};
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](std::string_view p) { return starts_with_icase(user_agent, p); });
}

int denial_status(const policy::decision& d, const request::request_info& info,
                  std::string_view method, std::string_view user_agent) {
    if (d.status != 403 || !is_containers_image_client(user_agent))
        return d.status;
    switch (info.what) {
    case request::kind::ping:
    case request::kind::token:
        return 401;
    case request::kind::blob:
        return method == "HEAD" ? 404 : d.status;
    default:
        return d.status;
    }
}

} // namespace pullgate::service
