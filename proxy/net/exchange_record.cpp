#include "net/exchange_record.hpp"

namespace pullgate::net {

exchange_record::exchange_record(audit::sink& sink, metrics::registry& metrics,
                                 const session_info& session)
    : sink_(sink), metrics_(metrics), started_(std::chrono::steady_clock::now()) {
    record_.time = std::chrono::system_clock::now();
    record_.client = session.client;
    record_.user = session.user;
    if (session.tunnel)
        record_.host = session.tunnel->host;
    // Until a decision is made, the request is undecided, which is a denial.
    record_.kind = "other";
    record_.action = "other";
    record_.decision = "deny";
    record_.rule = "request.invalid";
}

exchange_record::~exchange_record() {
    if (!written_) {
        if (!record_.error)
            record_.error = "connection ended before a response was sent";
        finish(record_.status, record_.bytes);
    }
}

void exchange_record::finish(int status, std::uint64_t bytes) {
    if (written_)
        return;
    written_ = true;
    record_.status = status;
    record_.bytes = bytes;
    record_.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
            .count();
    metrics_.observe_request(record_);
    sink_.write(record_);
}

bool exchange_record::fail_closed(int status, std::string what) {
    error(std::move(what));
    finish(status, 0);
    return false;
}

} // namespace pullgate::net
