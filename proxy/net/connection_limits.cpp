#include "net/connection_limits.hpp"

namespace pullgate::net {

std::optional<connection_limits::ticket> connection_limits::admit(const request::ip_address& client,
                                                                  std::size_t max_total,
                                                                  std::size_t max_per_client,
                                                                  std::string& refusal) {
    std::lock_guard lock(mutex_);
    if (total_ >= max_total) {
        refusal = "too many connections (limits.max_connections)";
        return std::nullopt;
    }
    auto& mine = per_client_[client.bytes];
    if (mine >= max_per_client) {
        refusal = "too many connections from " + client.to_string() +
                  " (limits.max_connections_per_client)";
        if (mine == 0)
            per_client_.erase(client.bytes);
        return std::nullopt;
    }
    ++mine;
    ++total_;
    return std::optional<ticket>(std::in_place, this, client);
}

std::size_t connection_limits::active() const {
    std::lock_guard lock(mutex_);
    return total_;
}

void connection_limits::release(const request::ip_address& client) {
    std::lock_guard lock(mutex_);
    --total_;
    if (auto it = per_client_.find(client.bytes); it != per_client_.end() && --it->second == 0)
        per_client_.erase(it);
}

} // namespace pullgate::net
