// Caps on client connections, in total and per client address, so that one
// client (or a flood of half-open handshakes) cannot take every descriptor.
#pragma once

#include "request/ip_network.hpp"

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace pullgate::net {

class connection_limits {
public:
    class ticket {
    public:
        ticket() = default;
        ticket(connection_limits* owner, request::ip_address address)
            : owner_(owner), address_(address) {}
        ticket(ticket&& other) noexcept : owner_(other.owner_), address_(other.address_) {
            other.owner_ = nullptr;
        }
        ticket& operator=(ticket&&) = delete;
        ~ticket() {
            if (owner_)
                owner_->release(address_);
        }

    private:
        connection_limits* owner_ = nullptr;
        request::ip_address address_;
    };

    // A ticket, or why the connection is refused.
    std::optional<ticket> admit(const request::ip_address& client, std::size_t max_total,
                                std::size_t max_per_client, std::string& refusal);
    std::size_t active() const;

private:
    void release(const request::ip_address& client);

    mutable std::mutex mutex_;
    std::size_t total_ = 0;
    std::map<std::array<std::uint8_t, 16>, std::size_t> per_client_;
};

} // namespace pullgate::net
