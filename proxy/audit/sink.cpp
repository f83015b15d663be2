#include "audit/sink.hpp"

#include "log/log.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace pullgate::audit {

sink::sink(std::string destination, std::size_t max_pending_bytes)
    : destination_(std::move(destination)), max_pending_bytes_(max_pending_bytes) {
    open_file();
    writer_ = std::thread([this] { run(); });
}

sink::~sink() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_writer_.notify_one();
    writer_.join();
    if (owns_fd_)
        ::close(fd_);
}

void sink::open_file() {
    if (destination_ == "-") {
        fd_ = STDOUT_FILENO;
        owns_fd_ = false;
        return;
    }
    const int fd = ::open(destination_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        throw std::runtime_error("cannot open audit log " + destination_ + ": " +
                                 std::strerror(errno) + " (check audit_log in the configuration)");
    if (owns_fd_)
        ::close(fd_);
    fd_ = fd;
    owns_fd_ = true;
}

void sink::write(const record& r) {
    write_line(to_json_line(r));
}

void sink::write_line(std::string line) {
    std::unique_lock lock(mutex_);
    wake_producers_.wait(lock, [&] { return pending_bytes_ < max_pending_bytes_ || stopping_; });
    pending_bytes_ += line.size();
    queue_.push_back(std::move(line));
    ++queued_generation_;
    lock.unlock();
    wake_writer_.notify_one();
}

void sink::reopen() {
    {
        std::lock_guard lock(mutex_);
        reopen_requested_ = true;
    }
    wake_writer_.notify_one();
}

void sink::flush() {
    std::unique_lock lock(mutex_);
    const std::size_t target = queued_generation_;
    wake_producers_.wait(lock, [&] { return written_generation_ >= target; });
}

void sink::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_writer_.wait(lock, [&] { return !queue_.empty() || reopen_requested_ || stopping_; });
        if (reopen_requested_) {
            reopen_requested_ = false;
            try {
                if (destination_ != "-")
                    open_file();
                log::info("audit log {} reopened", destination_);
            } catch (const std::exception& e) {
                // Keep writing to the old file: losing records is worse than
                // writing them to the rotated name.
                log::error("{}; still writing to the previous file", e.what());
            }
        }
        if (queue_.empty()) {
            if (stopping_)
                return;
            continue;
        }
        std::deque<std::string> batch;
        batch.swap(queue_);
        lock.unlock();
        std::string text;
        for (const auto& line : batch)
            text += line;
        write_all(text);
        lock.lock();
        pending_bytes_ -= text.size();
        written_generation_ += batch.size();
        wake_producers_.notify_all();
    }
}

void sink::write_all(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log::error("cannot write audit log {}: {}; {} bytes of records lost", destination_,
                       std::strerror(errno), text.size() - done);
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

} // namespace pullgate::audit
