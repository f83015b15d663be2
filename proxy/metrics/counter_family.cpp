#include "metrics/counter_family.hpp"

#include <algorithm>
#include <cassert>
#include <functional>
#include <limits>

namespace pullgate::metrics {
namespace {

// Label values as one map key: each value preceded by its length, so that
// no two lists of values share a key whatever bytes they hold.
std::string encode(std::span<const std::string_view> values) {
    std::string key;
    for (const std::string_view v : values) {
        key += std::to_string(v.size());
        key += ':';
        key += v;
    }
    return key;
}

} // namespace

counter_family::counter_family(std::vector<std::string> label_names, std::size_t max_series)
    : label_names_(std::move(label_names)), max_series_(max_series) {
    assert(!label_names_.empty());
    assert(std::all_of(label_names_.begin(), label_names_.end(),
                       [](const std::string& n) { return valid_label_name(n); }));
}

void counter_family::add(std::span<const std::string_view> values, std::uint64_t n) {
    assert(values.size() == label_names_.size());
    find_or_overflow(values).fetch_add(n, std::memory_order_relaxed);
}

std::atomic<std::uint64_t>* counter_family::find(std::span<const std::string_view> values,
                                                 std::size_t limit) {
    std::string key = encode(values);
    shard& s = shards_[std::hash<std::string>{}(key) % shard_count];
    const std::lock_guard lock(s.mutex);
    if (const auto it = s.cells.find(key); it != s.cells.end())
        return &it->second->count;
    // Claim a place under the cap before inserting. Shards insert in
    // parallel, so the claim is the atomic increment itself, undone when
    // it went past the limit.
    if (series_count_.fetch_add(1, std::memory_order_relaxed) >= limit) {
        series_count_.fetch_sub(1, std::memory_order_relaxed);
        return nullptr;
    }
    auto c = std::make_unique<cell>();
    c->values.assign(values.begin(), values.end());
    // Map nodes are never erased, so the counter outlives the lock.
    return &s.cells.emplace(std::move(key), std::move(c)).first->second->count;
}

std::atomic<std::uint64_t>&
counter_family::find_or_overflow(std::span<const std::string_view> values) {
    if (auto* c = find(values, max_series_))
        return *c;
    std::vector<std::string_view> other(values.begin(), values.end());
    other.front() = overflow_value;
    if (auto* c = find(other, 2 * max_series_))
        return *c;
    std::fill(other.begin(), other.end(), overflow_value);
    return *find(other, std::numeric_limits<std::size_t>::max());
}

std::vector<counter_family::series> counter_family::read() const {
    std::vector<series> all;
    for (const shard& s : shards_) {
        const std::lock_guard lock(s.mutex);
        for (const auto& [key, c] : s.cells)
            all.push_back({c->values, c->count.load(std::memory_order_relaxed)});
    }
    std::sort(all.begin(), all.end(),
              [](const series& a, const series& b) { return a.values < b.values; });
    return all;
}

void counter_family::write(exposition_writer& w, std::string_view name,
                           std::string_view help) const {
    w.family(name, metric_type::counter, help);
    std::vector<label> labels(label_names_.size());
    for (const series& s : read()) {
        for (std::size_t i = 0; i < labels.size(); ++i)
            labels[i] = {label_names_[i], s.values[i]};
        w.sample(name, labels, s.count);
    }
}

} // namespace pullgate::metrics
