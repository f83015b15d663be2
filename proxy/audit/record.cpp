#include "audit/record.hpp"

#include "audit/json.hpp"
#include "util/utc_time.hpp"

#include <fmt/format.h>

namespace pullgate::audit {
namespace {

// Builds `"key":value,` pairs; the caller closes the object.
class object_writer {
public:
    object_writer() {
        out_.reserve(512);
        out_.push_back('{');
    }
    void field(std::string_view key, std::string_view value) {
        key_(key);
        append_json_string(out_, value);
    }
    void optional_field(std::string_view key, const std::optional<std::string>& value) {
        key_(key);
        if (value)
            append_json_string(out_, *value);
        else
            out_ += "null";
    }
    void raw(std::string_view key, std::string_view literal) {
        key_(key);
        out_ += literal;
    }
    std::string finish() && {
        out_ += "}\n";
        return std::move(out_);
    }

private:
    void key_(std::string_view key) {
        if (out_.size() > 1)
            out_.push_back(',');
        append_json_string(out_, key);
        out_.push_back(':');
    }
    std::string out_;
};

} // namespace

std::string to_json_line(const record& r) {
    object_writer w;
    w.field("time", format_utc_millis(r.time));
    w.field("client", r.client);
    w.optional_field("user", r.user);
    w.optional_field("method", r.method);
    w.field("host", r.host);
    w.optional_field("registry", r.registry);
    w.field("kind", r.kind);
    w.field("action", r.action);
    w.optional_field("repository", r.repository);
    w.optional_field("reference", r.reference);
    w.optional_field("image", r.image);
    w.optional_field("category", r.category);
    w.field("decision", r.decision);
    w.raw("enforced", r.enforced ? "true" : "false");
    w.field("rule", r.rule);
    w.field("reason", r.reason);
    w.raw("status", fmt::format("{}", r.status));
    w.raw("bytes", fmt::format("{}", r.bytes));
    w.raw("duration_ms", fmt::format("{:.1f}", r.duration_ms));
    w.optional_field("hub_user", r.hub_user);
    w.optional_field("error", r.error);
    w.optional_field("upstream", r.upstream);
    w.optional_field("user_agent", r.user_agent);
    return std::move(w).finish();
}

} // namespace pullgate::audit
