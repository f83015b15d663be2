#include "config/yaml_reader.hpp"

#include "config/load.hpp"
#include "config/suggest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <vector>

namespace pullgate::config {
namespace {

// Plain (unquoted, untagged) scalars are the only ones YAML would read as
// booleans or numbers; yaml-cpp marks them with the non-specific tag "?".
bool is_plain(const YAML::Node& n) {
    return n.IsScalar() && n.Tag() == "?";
}

YAML::Mark value_mark(const YAML::Node& key, const YAML::Node& value) {
    return value.IsNull() ? key.Mark() : value.Mark();
}

std::string in_section(std::string_view path) {
    return path.empty() ? std::string() : fmt::format(" in {}", path);
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string format_size(std::size_t bytes) {
    if (bytes % (1024 * 1024) == 0)
        return fmt::format("{}MiB", bytes / (1024 * 1024));
    if (bytes % 1024 == 0)
        return fmt::format("{}KiB", bytes / 1024);
    return fmt::format("{} bytes", bytes);
}

std::string duration_problem(std::string_view path, const std::string& text) {
    if (all_digits(text))
        return fmt::format("{}: a duration needs a unit, like 30s or 250ms, not {}", path,
                           quote(text));
    if (text.find('.') != std::string::npos)
        return fmt::format("{}: a duration takes whole numbers (write 1500ms, not 1.5s), not {}",
                           path, quote(text));
    if (!text.empty() && (text.front() == '-' || text.front() == '+'))
        return fmt::format("{} must be a duration without a sign, like 30s, not {}", path,
                           quote(text));
    return fmt::format("{} must be a duration like 30s, 250ms, 5m or 1h30m (units ms, s, m, h, "
                       "largest first), not {}",
                       path, quote(text));
}

} // namespace

source_location to_location(const YAML::Mark& mark) {
    // yaml-cpp counts from 0 and uses -1 for "no place"; editors count from 1.
    if (mark.is_null() || mark.line < 0)
        return {};
    return {mark.line + 1, mark.column + 1};
}

std::string quote(std::string_view text) {
    // One line, printable, short: the text goes into a terminal and a log.
    std::string shown;
    for (unsigned char c : text) {
        // Cut only before the first byte of a character, never inside one.
        if (shown.size() >= 60 && (c & 0xc0) != 0x80) {
            shown += "...";
            break;
        }
        if (c < 0x20 || c == 0x7f)
            shown += fmt::format("\\x{:02x}", c);
        else
            shown += static_cast<char>(c);
    }
    return fmt::format("'{}'", shown);
}

std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Map:
        return "a mapping";
    case YAML::NodeType::Scalar:
        return is_plain(node) ? quote(node.Scalar()) : "the string " + quote(node.Scalar());
    default:
        return "empty";
    }
}

std::string one_of(std::initializer_list<std::string_view> words) {
    std::string out;
    std::size_t i = 0;
    for (std::string_view w : words) {
        if (i != 0)
            out += i + 1 == words.size() ? " or " : ", ";
        out += w;
        ++i;
    }
    return out;
}

std::string child_path(std::string_view parent, std::string_view key) {
    return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

yaml_reader::yaml_reader(std::string file, std::vector<diagnostic>& out)
    : file_(std::move(file)), out_(out) {
}

void yaml_reader::error(source_location at, std::string message) {
    out_.push_back({file_, at.line, at.column, severity::error, std::move(message)});
    ++errors_;
}

void yaml_reader::warning(source_location at, std::string message) {
    out_.push_back({file_, at.line, at.column, severity::warning, std::move(message)});
}

bool yaml_reader::expect_mapping(const located& n) {
    if (n.node.IsMap())
        return true;
    if (n.path.empty())
        error(n.mark, fmt::format("the configuration must be a mapping of keys such as "
                                  "'listen:' and 'policy:', not {}",
                                  describe(n.node)));
    else
        error(n.mark,
              fmt::format("{} must be a mapping of keys, not {}", n.path, describe(n.node)));
    return false;
}

std::optional<std::string> yaml_reader::key_text(const YAML::Node& key, const located& parent) {
    if (key.IsScalar() && !key.Scalar().empty())
        return key.Scalar();
    error(key.IsNull() ? parent.mark : key.Mark(),
          fmt::format("keys{} must be names, not {}", in_section(parent.path),
                      key.IsScalar() ? "an empty string" : describe(key)));
    return std::nullopt;
}

void yaml_reader::unknown_key(const YAML::Node& key, const std::string& name, const located& parent,
                              std::initializer_list<field> known) {
    std::vector<std::string_view> names;
    for (const field& f : known)
        names.push_back(f.key);
    std::string message = fmt::format("unknown key {}{}", quote(name), in_section(parent.path));
    if (auto guess = closest_match(name, names))
        message += fmt::format("; did you mean '{}'?", *guess);
    else
        message += fmt::format(" (known keys: {})", fmt::join(names, ", "));
    error(key.Mark(), std::move(message));
}

bool yaml_reader::each_pair(const located& n, const pair_visitor& visit) {
    if (!expect_mapping(n))
        return false;
    // yaml-cpp keeps every pair of a mapping, duplicates included, and
    // node["key"] would silently pick one: iterate and refuse the second.
    std::map<std::string, YAML::Mark, std::less<>> seen;
    for (const auto& pair : n.node) {
        const auto name = key_text(pair.first, n);
        if (!name)
            continue;
        const auto [first, inserted] = seen.emplace(*name, pair.first.Mark());
        if (!inserted) {
            error(pair.first.Mark(),
                  fmt::format("duplicate key {}{} (first at line {}); remove one of them",
                              quote(*name), in_section(n.path), to_location(first->second).line));
            continue;
        }
        visit(pair.first, *name, pair.second);
    }
    return true;
}

bool yaml_reader::fields(const located& n, std::initializer_list<field> known) {
    return each_pair(n, [&](const YAML::Node& key, const std::string& name,
                            const YAML::Node& value) {
        const auto f =
            std::find_if(known.begin(), known.end(), [&](const field& k) { return k.key == name; });
        if (f == known.end())
            unknown_key(key, name, n, known);
        else
            f->read(located{value, child_path(n.path, name), value_mark(key, value)});
    });
}

bool yaml_reader::entries(const located& n, const entry_reader& read) {
    return each_pair(
        n, [&](const YAML::Node& key, const std::string& name, const YAML::Node& value) {
            const std::string path = child_path(n.path, name);
            read(located{key, path, key.Mark()}, located{value, path, value_mark(key, value)});
        });
}

std::optional<std::vector<located>> yaml_reader::items(const located& n) {
    if (!n.node.IsSequence()) {
        error(n.mark, fmt::format("{} must be a list, not {}{}", n.path, describe(n.node),
                                  n.node.IsNull() ? " (write [] for an empty list)" : ""));
        return std::nullopt;
    }
    std::vector<located> out;
    std::size_t i = 0;
    for (const auto& item : n.node) {
        out.push_back(
            {item, fmt::format("{}[{}]", n.path, i++), item.IsNull() ? n.mark : item.Mark()});
    }
    return out;
}

std::optional<std::string> yaml_reader::text(const located& n, std::string_view what) {
    if (n.node.IsScalar() && !n.node.Scalar().empty())
        return n.node.Scalar();
    error(n.mark, fmt::format("{} must be {}, not {}", n.path, what,
                              n.node.IsScalar() ? "an empty string" : describe(n.node)));
    return std::nullopt;
}

std::optional<bool> yaml_reader::boolean(const located& n) {
    const bool spelt =
        n.node.IsScalar() && (n.node.Scalar() == "true" || n.node.Scalar() == "false");
    if (spelt && is_plain(n.node))
        return n.node.Scalar() == "true";
    // YAML 1.1 also read yes/no/on/off as booleans and yaml-cpp still does;
    // accepting only true/false means no reader can disagree with us.
    error(n.mark, fmt::format("{} must be true or false{}, not {}", n.path,
                              spelt ? " without quotes" : "", describe(n.node)));
    return std::nullopt;
}

std::optional<std::uint64_t> yaml_reader::integer(const located& n, std::uint64_t min,
                                                  std::uint64_t max) {
    std::uint64_t value = 0;
    if (is_plain(n.node) && all_digits(n.node.Scalar())) {
        const std::string& s = n.node.Scalar();
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (ec == std::errc{} && end == s.data() + s.size() && value >= min && value <= max)
            return value;
    }
    error(n.mark, fmt::format("{} must be an integer from {} to {}{}, not {}", n.path, min, max,
                              n.node.IsScalar() && !is_plain(n.node) ? " without quotes" : "",
                              describe(n.node)));
    return std::nullopt;
}

std::optional<milliseconds> yaml_reader::duration(const located& n) {
    if (!n.node.IsScalar()) {
        error(n.mark,
              fmt::format("{} must be a duration like 30s, not {}", n.path, describe(n.node)));
        return std::nullopt;
    }
    const std::string& s = n.node.Scalar();
    const auto value = parse_duration(s);
    if (!value) {
        error(n.mark, duration_problem(n.path, s));
        return std::nullopt;
    }
    if (value->count() == 0) {
        error(n.mark, fmt::format("{} must be longer than zero, not {}", n.path, quote(s)));
        return std::nullopt;
    }
    return value;
}

std::optional<std::size_t> yaml_reader::size(const located& n, std::size_t min, std::size_t max) {
    const auto value = n.node.IsScalar() ? parse_size(n.node.Scalar()) : std::nullopt;
    if (!value) {
        error(n.mark, fmt::format("{} must be a size in bytes like 16384, 16KiB or 1MiB, not {}",
                                  n.path, describe(n.node)));
        return std::nullopt;
    }
    if (*value < min || *value > max) {
        error(n.mark, fmt::format("{} must be from {} to {}, not {}", n.path, format_size(min),
                                  format_size(max), describe(n.node)));
        return std::nullopt;
    }
    return value;
}

std::optional<std::vector<std::string>> yaml_reader::texts(const located& n) {
    const auto list = items(n);
    if (!list)
        return std::nullopt;
    std::vector<std::string> out;
    bool ok = true;
    for (const located& item : *list) {
        if (auto t = text(item))
            out.push_back(std::move(*t));
        else
            ok = false;
    }
    return ok ? std::optional(std::move(out)) : std::nullopt;
}

std::optional<std::size_t> yaml_reader::choice(const located& n,
                                               std::initializer_list<std::string_view> options) {
    if (n.node.IsScalar()) {
        const auto match = std::find(options.begin(), options.end(), n.node.Scalar());
        if (match != options.end())
            return static_cast<std::size_t>(match - options.begin());
    }
    std::string message =
        fmt::format("{} must be {}, not {}", n.path, one_of(options), describe(n.node));
    const std::vector<std::string_view> names(options);
    if (n.node.IsScalar()) {
        if (auto guess = closest_match(n.node.Scalar(), names))
            message += fmt::format("; did you mean '{}'?", *guess);
    }
    error(n.mark, std::move(message));
    return std::nullopt;
}

} // namespace pullgate::config
