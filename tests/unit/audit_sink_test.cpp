// The audit sink: every line queued from any thread reaches the file whole,
// in each producer's order, by the time flush() returns or the sink is
// destroyed; a reopen after rotation moves the following lines to the new
// file.
#include "audit/sink.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

using pullgate::audit::sink;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
    fs::path path;
    temp_dir() {
        char name[] = "/tmp/pullgate-sink-test.XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        path = name;
    }
    ~temp_dir() { fs::remove_all(path); }
};

std::vector<std::string> lines_of(const fs::path& file) {
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

std::string line_for(int producer, int n) {
    // Long enough that a torn write would show.
    return "{\"producer\":" + std::to_string(producer) + ",\"n\":" + std::to_string(n) +
           ",\"pad\":\"" + std::string(200, 'x') + "\"}\n";
}

} // namespace

TEST_CASE("lines from many threads arrive whole, each producer's in order, none lost") {
    temp_dir dir;
    const auto file = dir.path / "audit.log";
    constexpr int producers = 8, per_producer = 2000;
    {
        // A small queue, so producers also wait for the writer.
        sink out(file.string(), 16 * 1024);
        std::vector<std::thread> threads;
        for (int p = 0; p < producers; ++p)
            threads.emplace_back([&out, p] {
                for (int n = 0; n < per_producer; ++n)
                    out.write_line(line_for(p, n));
            });
        for (auto& t : threads)
            t.join();
    } // the destructor writes what is still queued
    const auto lines = lines_of(file);
    REQUIRE(lines.size() == producers * per_producer);
    std::map<int, int> next;
    for (const auto& line : lines) {
        int p = -1, n = -1;
        REQUIRE(std::sscanf(line.c_str(), "{\"producer\":%d,\"n\":%d", &p, &n) == 2);
        CHECK(line + "\n" == line_for(p, n));
        CHECK(n == next[p]);
        next[p] = n + 1;
    }
}

TEST_CASE("flush returns once every line queued before it is in the file") {
    temp_dir dir;
    const auto file = dir.path / "audit.log";
    sink out(file.string());
    for (int n = 0; n < 100; ++n) {
        out.write_line(line_for(0, n));
        out.flush();
        CHECK(lines_of(file).size() == static_cast<std::size_t>(n + 1));
    }
}

TEST_CASE("after a rotation, reopen sends the next lines to a new file") {
    temp_dir dir;
    const auto file = dir.path / "audit.log";
    const auto rotated = dir.path / "audit.log.1";
    sink out(file.string());
    out.write_line(line_for(0, 0));
    out.flush();
    fs::rename(file, rotated);
    out.reopen();
    out.flush();
    out.write_line(line_for(0, 1));
    out.flush();
    CHECK(lines_of(rotated).size() == 1);
    const auto after = lines_of(file);
    REQUIRE(after.size() == 1);
    CHECK(after[0] + "\n" == line_for(0, 1));
}
