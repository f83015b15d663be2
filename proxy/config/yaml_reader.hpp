// Typed, located reads from a yaml-cpp tree. Every refusal becomes a
// diagnostic at the offending node and reading goes on, so that one run of
// `pullgate check` lists every mistake in a file, not just the first.
#pragma once

#include "config/config.hpp"
#include "config/diagnostic.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pullgate::config {

// A node, its name in messages ("policy.rules[2].action") and where to point.
// yaml-cpp marks an empty value at the token after it (often the next line),
// so an empty value is pointed at through its key, and an empty list item
// through its list.
struct located {
    YAML::Node node;
    std::string path;
    YAML::Mark mark;
};

source_location to_location(const YAML::Mark& mark);

// 'text' in quotes, cut to a readable length, control characters escaped.
std::string quote(std::string_view text);

// 'text', "the string 'text'" (quoted in the file), "a list", "a mapping"
// or "empty": what a message says it found instead of what it wanted.
std::string describe(const YAML::Node& node);

// "a, b or c".
std::string one_of(std::initializer_list<std::string_view> words);

class yaml_reader {
public:
    yaml_reader(std::string file, std::vector<diagnostic>& out);

    void error(source_location at, std::string message);
    void warning(source_location at, std::string message);
    void error(const YAML::Mark& at, std::string message) {
        error(to_location(at), std::move(message));
    }
    void warning(const YAML::Mark& at, std::string message) {
        warning(to_location(at), std::move(message));
    }
    bool has_errors() const { return errors_ != 0; }

    struct field {
        std::string_view key;
        std::function<void(const located& value)> read;
    };
    // A mapping of known keys: calls the reader of each key present, in
    // file order. Unknown and duplicate keys are errors. False when `n` is
    // not a mapping.
    bool fields(const located& n, std::initializer_list<field> known);

    // A mapping whose keys are data (group names, resolve entries). Keys
    // must be non-empty text; a duplicate key is an error and not read twice.
    using entry_reader = std::function<void(const located& key, const located& value)>;
    bool entries(const located& n, const entry_reader& read);

    // The items of a list, or nothing after an error.
    std::optional<std::vector<located>> items(const located& n);

    // Non-empty text; `what` names the expected form in the error.
    std::optional<std::string> text(const located& n, std::string_view what = "a string");
    std::optional<bool> boolean(const located& n);
    std::optional<std::uint64_t> integer(const located& n, std::uint64_t min, std::uint64_t max);
    // Positive durations only: every duration in the file is a timeout or
    // a period, and zero would mean "never wait" or "never cache".
    std::optional<milliseconds> duration(const located& n);
    std::optional<std::size_t> size(const located& n, std::size_t min, std::size_t max);
    std::optional<std::vector<std::string>> texts(const located& n);
    // The index of the option `n` spells, exactly.
    std::optional<std::size_t> choice(const located& n,
                                      std::initializer_list<std::string_view> options);

private:
    using pair_visitor = std::function<void(const YAML::Node& key, const std::string& name,
                                            const YAML::Node& value)>;
    bool each_pair(const located& n, const pair_visitor& visit);
    bool expect_mapping(const located& n);
    std::optional<std::string> key_text(const YAML::Node& key, const located& parent);
    void unknown_key(const YAML::Node& key, const std::string& name, const located& parent,
                     std::initializer_list<field> known);

    std::string file_;
    std::vector<diagnostic>& out_;
    std::size_t errors_ = 0;
};

// Sets `target` when the read succeeded; otherwise the default stays and
// the error is already recorded.
template <class T, class U> void assign(T& target, std::optional<U> value) {
    if (value)
        target = std::move(*value);
}

// "parent.key", or "key" at the top level.
std::string child_path(std::string_view parent, std::string_view key);

} // namespace pullgate::config
