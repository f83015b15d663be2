#include "metrics/exposition.hpp"

#include "util/utf8.hpp"

#include <fmt/format.h>

#include <cassert>
#include <cmath>

namespace pullgate::metrics {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD"; // U+FFFD

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::string_view type_name(metric_type type) {
    switch (type) {
    case metric_type::counter:
        return "counter";
    case metric_type::gauge:
        return "gauge";
    case metric_type::histogram:
        return "histogram";
    }
    return "untyped";
}

} // namespace

bool valid_metric_name(std::string_view name) {
    if (name.empty() || is_digit(name.front()))
        return false;
    for (const char c : name) {
        if (!is_alpha(c) && !is_digit(c) && c != '_' && c != ':')
            return false;
    }
    return true;
}

bool valid_label_name(std::string_view name) {
    if (name.empty() || is_digit(name.front()) || name.starts_with("__"))
        return false;
    for (const char c : name) {
        if (!is_alpha(c) && !is_digit(c) && c != '_')
            return false;
    }
    return true;
}

void append_label_value(std::string& out, std::string_view value) {
    std::size_t i = 0;
    while (i < value.size()) {
        const char c = value[i];
        if (static_cast<unsigned char>(c) >= 0x80) {
            const std::size_t n = utf8_sequence_length(value.substr(i));
            out += n == 0 ? replacement_character : value.substr(i, n);
            i += n == 0 ? 1 : n;
            continue;
        }
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
        ++i;
    }
}

void append_help_text(std::string& out, std::string_view text) {
    for (const char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
    }
}

std::string format_value(double value) {
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    // fmt's default is the shortest text that reads back as the same double
    // ("0.0005", "10", "1e-07"), the form Prometheus's own clients write.
    return fmt::format("{}", value);
}

void exposition_writer::family(std::string_view name, metric_type type, std::string_view help) {
    assert(valid_metric_name(name));
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    append_help_text(out_, help);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type_name(type);
    out_ += '\n';
}

void exposition_writer::sample_head(std::string_view name, std::span<const label> labels) {
    assert(valid_metric_name(name));
    out_ += name;
    if (labels.empty()) {
        out_ += ' ';
        return;
    }
    char separator = '{';
    for (const label& l : labels) {
        assert(valid_label_name(l.name));
        out_ += separator;
        out_ += l.name;
        out_ += "=\"";
        append_label_value(out_, l.value);
        out_ += '"';
        separator = ',';
    }
    out_ += "} ";
}

void exposition_writer::sample(std::string_view name, std::span<const label> labels,
                               std::uint64_t value) {
    sample_head(name, labels);
    fmt::format_to(std::back_inserter(out_), "{}\n", value);
}

void exposition_writer::sample(std::string_view name, std::span<const label> labels,
                               std::int64_t value) {
    sample_head(name, labels);
    fmt::format_to(std::back_inserter(out_), "{}\n", value);
}

void exposition_writer::sample(std::string_view name, std::span<const label> labels, double value) {
    sample_head(name, labels);
    out_ += format_value(value);
    out_ += '\n';
}

void exposition_writer::counter(std::string_view name, std::string_view help, std::uint64_t value) {
    family(name, metric_type::counter, help);
    sample(name, {}, value);
}

void exposition_writer::gauge(std::string_view name, std::string_view help, std::int64_t value) {
    family(name, metric_type::gauge, help);
    sample(name, {}, value);
}

void exposition_writer::gauge(std::string_view name, std::string_view help, double value) {
    family(name, metric_type::gauge, help);
    sample(name, {}, value);
}

} // namespace pullgate::metrics
