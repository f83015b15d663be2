#include "auth/users_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace pullgate::auth {
namespace {

bool blank(std::string_view line) {
    return line.find_first_not_of(" \t") == std::string_view::npos;
}

bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7F;
}

// Every error in the file, so the operator fixes them in one pass, but not
// thousands when someone points auth.users_file at a binary.
std::string join_errors(const std::vector<std::string>& errors) {
    std::string text;
    const std::size_t shown = std::min(errors.size(), max_reported_errors);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0)
            text += '\n';
        text += errors[i];
    }
    if (errors.size() > shown)
        text += fmt::format("\n…and {} more errors", errors.size() - shown);
    return text;
}

class file_parser {
public:
    explicit file_parser(std::string_view label) : label_(label) {}

    void line(int number, std::string_view text) {
        if (!text.empty() && text.back() == '\r')
            text.remove_suffix(1); // a file edited on Windows
        if (blank(text) || text[text.find_first_not_of(" \t")] == '#')
            return;
        if (text.front() == ' ' || text.front() == '\t' || text.back() == ' ' ||
            text.back() == '\t')
            return error(number, "white space before or after NAME:HASH");
        const std::size_t colon = text.find(':');
        if (colon == std::string_view::npos)
            return error(number, "expected NAME:HASH (print a line with `pullgate passwd NAME`)");
        const std::string_view name = text.substr(0, colon);
        if (!valid_user_name(name))
            return error(number, fmt::format("the user name must be 1 to {} characters from "
                                             "A-Z a-z 0-9 . _ @ -",
                                             max_user_name_length));
        auto hash = parse_password_hash(text.substr(colon + 1));
        if (!hash)
            return error(number, fmt::format("user {}: {}", name, hash.error()));
        if (const auto* first = file_.find(name))
            return error(number, fmt::format("user {} is defined twice (first on line {})", name,
                                             first->line));
        if (below_recommended_cost(hash->params))
            warning(number,
                    fmt::format("user {}: the hash costs less than the recommended "
                                "ln={},r={},p={}; create it again with `pullgate passwd "
                                "{}`",
                                name, recommended_scrypt_params.log2_n, recommended_scrypt_params.r,
                                recommended_scrypt_params.p, name));
        file_.users.emplace(std::string(name), user_entry{std::move(*hash), number});
    }

    result<users_file> finish() {
        if (!errors_.empty())
            return refuse(join_errors(errors_));
        if (file_.users.empty())
            file_.warnings.push_back(fmt::format("{}: no users: every request will be refused "
                                                 "with 407",
                                                 label_));
        return std::move(file_);
    }

private:
    void error(int number, std::string message) {
        errors_.push_back(fmt::format("{}:{}: {}", label_, number, message));
    }
    void warning(int number, std::string message) {
        file_.warnings.push_back(fmt::format("{}:{}: {}", label_, number, message));
    }

    std::string_view label_;
    users_file file_;
    std::vector<std::string> errors_;
};

std::string errno_text() {
    return std::error_code(errno, std::generic_category()).message();
}

struct fd_closer {
    int fd;
    ~fd_closer() { ::close(fd); }
};

} // namespace

bool valid_user_name(std::string_view name) {
    if (name.empty() || name.size() > max_user_name_length)
        return false;
    for (const char c : name) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

result<users_file> parse_users_file(std::string_view text, std::string_view label) {
    file_parser parser(label);
    int number = 0;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        parser.line(++number, text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    }
    return parser.finish();
}

result<users_file> load_users_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return refuse(fmt::format("{}: cannot open the users file: {}", path, errno_text()));
    const fd_closer closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return refuse(fmt::format("{}: {}", path, errno_text()));
    if (!S_ISREG(st.st_mode))
        return refuse(fmt::format("{}: not a regular file", path));
    const unsigned mode = st.st_mode & 07777;
    if ((mode & S_IWOTH) != 0)
        return refuse(fmt::format("{}: writable by every user (mode {:04o}), so anyone on this "
                                  "host could add a user; run chmod o-w on it",
                                  path, mode));

    std::string text;
    char buffer[16384];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return refuse(fmt::format("{}: cannot read the users file: {}", path, errno_text()));
        if (n == 0)
            break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > max_users_file_bytes)
            return refuse(fmt::format("{}: larger than {} MiB; is auth.users_file the right "
                                      "file?",
                                      path, max_users_file_bytes >> 20));
    }
    auto parsed = parse_users_file(text, path);
    if (parsed && (mode & S_IROTH) != 0)
        parsed->warnings.push_back(fmt::format("{}: readable by every user (mode {:04o}), so "
                                               "anyone on this host can attack the hashes "
                                               "offline; run chmod o-r on it",
                                               path, mode));
    return parsed;
}

result<std::string> make_users_line(std::string_view name, std::string_view password,
                                    const scrypt_params& params) {
    if (!valid_user_name(name))
        return refuse(fmt::format("the user name must be 1 to {} characters from A-Z a-z 0-9 . "
                                  "_ @ -",
                                  max_user_name_length));
    for (const char c : password)
        if (is_control(static_cast<unsigned char>(c)))
            return refuse("the password contains a control character, which Basic "
                          "credentials cannot carry (RFC 7617)");
    auto hash = hash_password(password, params);
    if (!hash)
        return refuse(hash.error());
    return fmt::format("{}:{}", name, to_string(*hash));
}

} // namespace pullgate::auth
