// A Prometheus histogram whose observations are lock-free: one atomic
// counter per bucket and an atomic sum. Buckets are stored per interval
// and made cumulative when read, so that a scrape racing with observations
// still sees counts that never decrease from one bucket to the next and a
// "+Inf" bucket equal to _count (both are derived from the same snapshot).
#pragma once

#include "metrics/exposition.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace pullgate::metrics {

// Upper bounds for network latencies in seconds, from half a millisecond
// (a TLS resumption on loopback) to ten seconds (beyond which a connect
// has as good as failed).
inline constexpr double latency_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};

class histogram {
public:
    // `upper_bounds`: finite and strictly increasing; "+Inf" is implied.
    explicit histogram(std::span<const double> upper_bounds);

    // Counts `value` in the first bucket whose bound is at least `value`
    // (the `le` of the format). NaN is not counted.
    void observe(double value);

    struct snapshot {
        std::vector<std::uint64_t> cumulative; // one per bound, then +Inf
        std::uint64_t count = 0;               // == cumulative.back()
        double sum = 0;
    };
    snapshot read() const;

    // The family: _bucket lines with `le`, then _sum and _count.
    void write(exposition_writer& w, std::string_view name, std::string_view help) const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_; // bounds_.size() + 1
    std::atomic<double> sum_{0};
};

} // namespace pullgate::metrics
