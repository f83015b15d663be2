// Writing the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): one
// "# HELP" and one "# TYPE" line per family, then its samples, each
// `name{label="value",...} value` on a line of its own.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace pullgate::metrics {

// The Content-Type of a /metrics response in this format.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

enum class metric_type { counter, gauge, histogram };

struct label {
    std::string_view name;
    std::string_view value;
};

// Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__" (reserved by Prometheus).
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

// A label value between its quotes: backslash, double quote and line feed
// escaped as the format requires, and bytes that are not UTF-8 (the format
// requires it) replaced by U+FFFD, so that no value can end a line or a label.
void append_label_value(std::string& out, std::string_view value);

// A HELP text: backslash and line feed escaped (quotes are literal there).
void append_help_text(std::string& out, std::string_view text);

// A sample value as Prometheus writes it: shortest round-trip decimal,
// "+Inf", "-Inf" or "NaN".
std::string format_value(double value);

// Appends families to a text. Names are constants of the caller's code, so
// they are checked by assertion, not at run time; the caller writes each
// family once, its family() line before its samples.
class exposition_writer {
public:
    void family(std::string_view name, metric_type type, std::string_view help);

    void sample(std::string_view name, std::span<const label> labels, std::uint64_t value);
    void sample(std::string_view name, std::span<const label> labels, std::int64_t value);
    void sample(std::string_view name, std::span<const label> labels, double value);

    // A family of one unlabelled sample.
    void counter(std::string_view name, std::string_view help, std::uint64_t value);
    void gauge(std::string_view name, std::string_view help, std::int64_t value);
    void gauge(std::string_view name, std::string_view help, double value);

    const std::string& text() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    void sample_head(std::string_view name, std::span<const label> labels);

    std::string out_;
};

} // namespace pullgate::metrics
