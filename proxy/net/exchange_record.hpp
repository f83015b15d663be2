// The audit record of one exchange, written exactly once: by finish(), or
// by the destructor if the exchange ended some other way (a cancelled
// coroutine, a dropped connection). Every request that arrived is logged.
#pragma once

#include "audit/record.hpp"
#include "audit/sink.hpp"
#include "metrics/metrics.hpp"
#include "net/session_info.hpp"

#include <chrono>
#include <string>

namespace pullgate::net {

class exchange_record {
public:
    exchange_record(audit::sink& sink, metrics::registry& metrics, const session_info& session);
    ~exchange_record();
    exchange_record(const exchange_record&) = delete;
    exchange_record& operator=(const exchange_record&) = delete;

    audit::record& fields() { return record_; }
    void error(std::string what) { record_.error = std::move(what); }
    // A refusal by pullgate itself, outside the policy (a malformed request,
    // a port or destination not allowed, an upstream that failed).
    void refused(std::string rule, std::string reason, std::string what) {
        record_.decision = "deny";
        record_.rule = std::move(rule);
        record_.reason = std::move(reason);
        record_.error = std::move(what);
    }
    void finish(int status, std::uint64_t bytes);
    // Records an error and status, writes the record, and returns false
    // (the connection closes).
    bool fail_closed(int status, std::string what);
    // Nothing worth a record happened after all (an established tunnel).
    void discard() { written_ = true; }

private:
    audit::sink& sink_;
    metrics::registry& metrics_;
    audit::record record_;
    std::chrono::steady_clock::time_point started_;
    bool written_ = false;
};

} // namespace pullgate::net
