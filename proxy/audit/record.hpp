// One audit record (SPEC "Audit log") as a struct, serialised by a pure
// function so that tests can check it byte for byte (house style rule 11).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace pullgate::audit {

struct record {
    std::chrono::system_clock::time_point time;
    std::string client; // "10.1.2.3:53122"
    std::optional<std::string> user;
    std::optional<std::string> hub_user; // Docker Hub account of a token request
    std::optional<std::string> method;   // null for a connection refused before a request
    std::string host;                    // upstream host as requested
    std::optional<std::string> registry; // canonical registry
    std::string kind;                    // ping, manifest, …, other, connect
    std::string action;                  // pull, push, delete, other
    std::optional<std::string> repository;
    std::optional<std::string> reference;
    std::optional<std::string> image;
    std::optional<std::string> category; // null when not a Docker Hub image
    std::string decision;                // allow, deny
    bool enforced = true;
    std::string rule;
    std::string reason;
    int status = 0;          // status sent to the client; 0 when none was sent
    std::uint64_t bytes = 0; // response body bytes sent to the client
    double duration_ms = 0;
    // Extensions (documented in docs/audit-log.md).
    std::optional<std::string> error;      // what went wrong, when something did
    std::optional<std::string> upstream;   // upstream address actually connected to
    std::optional<std::string> user_agent; // the client's User-Agent, at most 256 bytes
};

// One JSON object and a trailing newline. Fields in SPEC order, then the
// extensions; optional fields that are unset are written as null.
std::string to_json_line(const record& r);

} // namespace pullgate::audit
