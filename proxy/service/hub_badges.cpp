#include "service/hub_badges.hpp"

#include "util/utc_time.hpp"

#include <boost/json.hpp>

#include <ctime>

namespace pullgate::service {
namespace json = boost::json;
namespace {

policy::category from_badge(std::string_view badge) {
    if (badge == "official")
        return policy::category::official;
    if (badge == "verified_publisher")
        return policy::category::verified_publisher;
    if (badge == "open_source")
        return policy::category::sponsored_oss;
    return policy::category::community;
}

std::optional<policy::category> from_name(std::string_view name) {
    for (const auto c : {policy::category::official, policy::category::verified_publisher,
                         policy::category::sponsored_oss, policy::category::community})
        if (policy::to_string(c) == name)
            return c;
    return std::nullopt;
}

std::string_view string_field(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_string())
        return v->get_string();
    return {};
}

std::optional<wall_clock::time_point> parse_utc(std::string_view text) {
    std::tm tm{};
    const std::string s(text);
    // Years past 2200 would overflow the clock's nanoseconds: refused.
    if (!strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) || tm.tm_year > 300)
        return std::nullopt;
    return wall_clock::from_time_t(timegm(&tm));
}

} // namespace

result<policy::category> parse_hub_search(std::string_view text, std::string_view repository) {
    json::error_code ec;
    const json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object())
        return refuse("Docker Hub search answer is not a JSON object");
    const auto* results = doc.as_object().if_contains("results");
    if (!results || !results->is_array())
        return refuse("Docker Hub search answer has no results array");
    const auto name_space = repository.substr(0, repository.find('/'));
    std::optional<policy::category> same_namespace;
    for (const auto& item : results->as_array()) {
        if (!item.is_object())
            continue;
        const auto& o = item.as_object();
        const auto name = string_field(o, "name");
        if (name == repository)
            return from_badge(string_field(o, "badge"));
        if (!same_namespace && name.substr(0, name.find('/')) == name_space)
            same_namespace = from_badge(string_field(o, "badge"));
    }
    return same_namespace.value_or(policy::category::community);
}

std::string hub_search_target(std::string_view base_path, std::string_view repository) {
    std::string target(base_path);
    while (!target.empty() && target.back() == '/')
        target.pop_back();
    // Repository names are [a-z0-9._/-]: only '/' needs encoding in a query.
    target += "/api/search/v4?query=";
    for (const char c : repository)
        target += c == '/' ? std::string("%2F") : std::string(1, c);
    target += "&type=image";
    return target;
}

std::optional<policy::category> badge_cache::find(std::string_view name_space,
                                                  wall_clock::time_point now) const {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(name_space); it != entries_.end() && it->second.expires > now)
        return it->second.category;
    return std::nullopt;
}

void badge_cache::store(const std::string& name_space, policy::category c,
                        wall_clock::time_point expires) {
    std::lock_guard lock(mutex_);
    entries_.insert_or_assign(name_space, entry{c, expires});
}

policy::badge_map badge_cache::snapshot(wall_clock::time_point now) const {
    std::lock_guard lock(mutex_);
    policy::badge_map out;
    for (const auto& [name, e] : entries_)
        if (e.expires > now)
            out.emplace(name, e.category);
    return out;
}

std::string badge_cache::to_json(wall_clock::time_point now) const {
    json::object out;
    std::lock_guard lock(mutex_);
    for (const auto& [name, e] : entries_)
        if (e.expires > now)
            out[name] = json::object{{"category", policy::to_string(e.category)},
                                     {"expires", format_utc_millis(e.expires)}};
    return json::serialize(out) + "\n";
}

result<std::size_t> badge_cache::load_json(std::string_view text, wall_clock::time_point now) {
    json::error_code ec;
    const json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object())
        return refuse("not a JSON object");
    std::size_t loaded = 0;
    for (const auto& [name, value] : doc.as_object()) {
        if (!value.is_object())
            continue;
        const auto c = from_name(string_field(value.as_object(), "category"));
        const auto expires = parse_utc(string_field(value.as_object(), "expires"));
        if (!c || !expires || *expires <= now)
            continue;
        store(std::string(name), *c, *expires);
        ++loaded;
    }
    return loaded;
}

std::size_t badge_cache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

} // namespace pullgate::service
