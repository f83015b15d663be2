// A counter family with labels: one atomic counter per label set, found in
// a map. The map is split into shards, each behind its own mutex held only
// for the look-up, so connections that record at the same time rarely
// wait for each other, and never while a counter is incremented.
//
// Cardinality is capped. The first label carries values that come from
// clients (a registry is whatever host a client names in CONNECT), so a
// hostile or broken client could otherwise create a series per made-up
// host until the proxy and the Prometheus server scraping it run out of
// memory. Past `max_series`, a new label set is counted with its first
// label replaced by "_other" (the other labels take values from small
// fixed sets, so these overflow series are few); should even those reach
// another `max_series`, everything new is counted in one series with every
// label "_other". "_other" cannot be a registry: canonical host names have
// no underscore.
#pragma once

#include "metrics/exposition.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pullgate::metrics {

inline constexpr std::string_view overflow_value = "_other";

class counter_family {
public:
    counter_family(std::vector<std::string> label_names, std::size_t max_series);

    // Adds `n` to the series with these label values, one per label name.
    void add(std::span<const std::string_view> values, std::uint64_t n);

    struct series {
        std::vector<std::string> values;
        std::uint64_t count = 0;
    };
    // Every series, ordered by label values so that the text is stable.
    std::vector<series> read() const;
    std::size_t series_count() const { return series_count_.load(std::memory_order_relaxed); }

    // HELP and TYPE, then one sample per series (none before the first add).
    void write(exposition_writer& w, std::string_view name, std::string_view help) const;

private:
    struct cell {
        std::vector<std::string> values;
        std::atomic<std::uint64_t> count{0};
    };
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, std::unique_ptr<cell>> cells; // by encoded values
    };

    // The counter for `values`, created if the cap allows (`limit` series
    // in all); null when it does not.
    std::atomic<std::uint64_t>* find(std::span<const std::string_view> values, std::size_t limit);
    std::atomic<std::uint64_t>& find_or_overflow(std::span<const std::string_view> values);

    static constexpr std::size_t shard_count = 8;
    std::vector<std::string> label_names_;
    std::size_t max_series_;
    std::array<shard, shard_count> shards_;
    std::atomic<std::size_t> series_count_{0};
};

} // namespace pullgate::metrics
