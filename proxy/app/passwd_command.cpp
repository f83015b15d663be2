// `pullgate passwd USER`: the only way pullgate turns a password into a
// users-file line. The password is read into a fixed buffer that is wiped
// before returning; it is never printed, logged or kept.
#include "app/passwd_command.hpp"

#include "auth/password_hash.hpp"
#include "auth/users_file.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <iterator>
#include <optional>
#include <string_view>
#include <termios.h>
#include <unistd.h>

namespace pullgate::app {
namespace {

// One more than the longest password, to tell "too long" from "just fits".
using password_buffer = std::array<char, auth::max_password_bytes + 2>;

// The terminal's settings while echo is off, restored on any exit,
// including Ctrl-C: a shell left without echo is a poor way to end.
struct termios saved_terminal;
volatile std::sig_atomic_t echo_is_off = 0;

void restore_and_reraise(int signal_number) {
    if (echo_is_off)
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
}

constexpr int terminal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
struct sigaction saved_actions[std::size(terminal_signals)];

class echo_off {
public:
    echo_off() {
        if (::tcgetattr(STDIN_FILENO, &saved_terminal) != 0)
            return;
        // A signal the caller ignores (nohup, a shell's trap '') stays
        // ignored; the others restore the terminal before they act.
        for (std::size_t i = 0; i < std::size(terminal_signals); ++i) {
            ::sigaction(terminal_signals[i], nullptr, &saved_actions[i]);
            if (saved_actions[i].sa_handler == SIG_IGN)
                continue;
            struct sigaction restore {};
            restore.sa_handler = restore_and_reraise;
            ::sigemptyset(&restore.sa_mask);
            ::sigaction(terminal_signals[i], &restore, nullptr);
        }
        struct termios quiet = saved_terminal;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL; // the newline the user types still shows
        echo_is_off = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
    ~echo_off() {
        if (echo_is_off)
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
        echo_is_off = 0;
        for (std::size_t i = 0; i < std::size(terminal_signals); ++i)
            ::sigaction(terminal_signals[i], &saved_actions[i], nullptr);
    }
    echo_off(const echo_off&) = delete;
    echo_off& operator=(const echo_off&) = delete;
};

// One byte of standard input, or nullopt at its end (or on an error).
// read(2) a byte at a time rather than stdio: no copy of the password in a
// library buffer, and nothing after the first line is consumed.
std::optional<char> read_byte() {
    char c = 0;
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n == 1)
            return c;
        if (n < 0 && errno == EINTR)
            continue;
        return std::nullopt;
    }
}

// Reads one line into `buffer` without its line end ("\n" or "\r\n").
// Returns its length, or nullopt at end of input before any character or
// when the line is longer than max_password_bytes.
std::optional<std::size_t> read_line(password_buffer& buffer, bool& too_long) {
    std::size_t length = 0;
    too_long = false;
    std::optional<char> c;
    while ((c = read_byte()) && *c != '\n') {
        if (length < buffer.size())
            buffer[length] = *c;
        ++length;
    }
    if (!c && length == 0)
        return std::nullopt;
    if (length > auth::max_password_bytes + 1) {
        too_long = true;
        return std::nullopt;
    }
    if (length > 0 && buffer[length - 1] == '\r')
        --length;
    if (length > auth::max_password_bytes) {
        too_long = true;
        return std::nullopt;
    }
    return length;
}

// The password, asked on the terminal or read from a pipe; the caller
// wipes `buffer`.
std::optional<std::string_view> read_password(const std::string& user, password_buffer& buffer,
                                              password_buffer& again) {
    const bool terminal = ::isatty(STDIN_FILENO) == 1;
    bool too_long = false;
    std::optional<std::size_t> length;
    if (terminal) {
        const echo_off quiet;
        std::fprintf(stderr, "Password for %s: ", user.c_str());
        std::fflush(stderr);
        length = read_line(buffer, too_long);
        if (length && !too_long) {
            std::fprintf(stderr, "Repeat the password: ");
            std::fflush(stderr);
            bool again_too_long = false;
            const auto again_length = read_line(again, again_too_long);
            if (!again_length || *again_length != *length ||
                CRYPTO_memcmp(buffer.data(), again.data(), *length) != 0) {
                std::fprintf(stderr, "pullgate passwd: the passwords differ\n");
                return std::nullopt;
            }
        }
    } else {
        length = read_line(buffer, too_long);
    }
    if (too_long) {
        std::fprintf(stderr, "pullgate passwd: the password is longer than %zu bytes\n",
                     auth::max_password_bytes);
        return std::nullopt;
    }
    if (!length || *length == 0) {
        std::fprintf(stderr, "pullgate passwd: the password is empty\n");
        return std::nullopt;
    }
    return std::string_view(buffer.data(), *length);
}

} // namespace

int passwd_command(const std::string& user) {
    // Check the name before asking for a password that would be wasted.
    if (!auth::valid_user_name(user)) {
        std::fprintf(stderr,
                     "pullgate passwd: the user name must be 1 to %zu characters from A-Z a-z "
                     "0-9 . _ @ -\n",
                     auth::max_user_name_length);
        return 1;
    }
    password_buffer buffer{};
    password_buffer again{};
    const auto password = read_password(user, buffer, again);
    std::optional<std::string> line;
    std::string error;
    if (password) {
        auto made = auth::make_users_line(user, *password);
        if (made)
            line = std::move(*made);
        else
            error = made.error();
    }
    OPENSSL_cleanse(buffer.data(), buffer.size());
    OPENSSL_cleanse(again.data(), again.size());
    if (!password)
        return 1;
    if (!line) {
        std::fprintf(stderr, "pullgate passwd: %s\n", error.c_str());
        return 1;
    }
    std::printf("%s\n", line->c_str());
    return std::fflush(stdout) == 0 ? 0 : 1;
}

} // namespace pullgate::app
