#include "metrics/histogram.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace pullgate::metrics {

histogram::histogram(std::span<const double> upper_bounds)
    : bounds_(upper_bounds.begin(), upper_bounds.end()),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
    assert(std::adjacent_find(bounds_.begin(), bounds_.end(), std::greater_equal<>()) ==
           bounds_.end());
    assert(std::all_of(bounds_.begin(), bounds_.end(), [](double b) { return std::isfinite(b); }));
}

void histogram::observe(double value) {
    if (std::isnan(value))
        return;
    const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    buckets_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
    snapshot s;
    s.cumulative.reserve(bounds_.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    s.count = running;
    // Read after the buckets: an observation between the two reads shows
    // in the sum but not yet in the count, which the next scrape corrects.
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
}

void histogram::write(exposition_writer& w, std::string_view name, std::string_view help) const {
    const snapshot s = read();
    const std::string base(name);
    const std::string bucket_name = base + "_bucket";
    w.family(name, metric_type::histogram, help);
    for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
        const std::string le = i < bounds_.size() ? format_value(bounds_[i]) : "+Inf";
        const label labels[] = {{"le", le}};
        w.sample(bucket_name, labels, s.cumulative[i]);
    }
    w.sample(base + "_sum", {}, s.sum);
    w.sample(base + "_count", {}, s.count);
}

} // namespace pullgate::metrics
