// Where audit lines go: stdout or an append-only file, written by one
// background thread so that a slow disk never stalls a transfer (the I/O
// threads only move a string into a queue). Each line is written whole by
// that one thread, so lines never interleave. Nothing is dropped: if the
// writer falls more than `max_pending_bytes` behind, producers wait for it
// (a stuck disk must not turn into unbounded memory or lost records).
#pragma once

#include "audit/record.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace pullgate::audit {

class sink {
public:
    // "-" writes to stdout; anything else is a file opened for appending
    // (created 0640 when missing). Throws std::runtime_error when the file
    // cannot be opened, naming the file and the reason (start-up only).
    explicit sink(std::string destination, std::size_t max_pending_bytes = 64 << 20);
    ~sink(); // flushes everything queued, then stops the writer
    sink(const sink&) = delete;
    sink& operator=(const sink&) = delete;

    void write(const record& r);
    void write_line(std::string line); // one complete line, newline included

    // Reopens the file at the next write (SIGUSR1, after log rotation).
    void reopen();
    // Blocks until every line queued so far is written.
    void flush();

    const std::string& destination() const { return destination_; }

private:
    void run();
    void open_file();
    void write_all(const std::string& text);

    std::string destination_;
    std::size_t max_pending_bytes_;
    int fd_ = -1;
    bool owns_fd_ = false;

    std::mutex mutex_;
    std::condition_variable wake_writer_;
    std::condition_variable wake_producers_;
    std::deque<std::string> queue_;
    std::size_t pending_bytes_ = 0;
    std::size_t written_generation_ = 0; // lines written so far
    std::size_t queued_generation_ = 0;  // lines queued so far
    bool reopen_requested_ = false;
    bool stopping_ = false;
    std::thread writer_;
};

} // namespace pullgate::audit
