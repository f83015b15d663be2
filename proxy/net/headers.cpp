#include "net/headers.hpp"

#include <string>
#include <vector>

namespace pullgate::net {

void strip_hop_by_hop(http::fields& fields) {
    // Fields named by Connection are hop-by-hop too; collect them before
    // erasing Connection itself.
    std::vector<std::string> named;
    for (auto it = fields.find(http::field::connection);
         it != fields.end() && it->name() == http::field::connection; ++it)
        for (const auto token : http::token_list{it->value()})
            named.emplace_back(token);
    for (const auto& name : named)
        fields.erase(name);
    for (const auto field :
         {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
          http::field::proxy_authenticate, http::field::proxy_authorization, http::field::te,
          http::field::trailer, http::field::transfer_encoding, http::field::upgrade,
          http::field::expect})
        fields.erase(field);
}

void add_via(http::fields& fields) {
    fields.insert(http::field::via, "1.1 pullgate");
}

} // namespace pullgate::net
