// The users file of proxy authentication (config `auth.users_file`): one
// `name:HASH` line per user, HASH as written by `pullgate passwd NAME`
// (password_hash.hpp). `#` starts a comment line; blank lines are
// ignored; CRLF line ends are accepted.
//
//   # platform team
//   alice:$scrypt$ln=14,r=8,p=1$…$…
//
// Every problem names its line. Messages quote user names (they are not
// secret, and only valid ones are quoted) but never a hash or any other
// part of a line: password material stays out of logs.
#pragma once

#include "auth/password_hash.hpp"
#include "util/result.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pullgate::auth {

inline constexpr std::size_t max_user_name_length = 64;
inline constexpr std::size_t max_users_file_bytes = 4 << 20;
inline constexpr std::size_t max_reported_errors = 20;

// 1 to 64 of A-Z a-z 0-9 . _ @ - : safe in a log line, a header, a YAML
// list and a file name, and never containing the ':' that ends the name.
bool valid_user_name(std::string_view name);

struct user_entry {
    password_hash hash;
    int line = 0; // where it was defined, for messages
};

struct users_file {
    std::map<std::string, user_entry, std::less<>> users;
    // Accepted but worth fixing ("LABEL:LINE: …"): weak hashes, a file
    // that others may read.
    std::vector<std::string> warnings;

    const user_entry* find(std::string_view name) const {
        const auto it = users.find(name);
        return it == users.end() ? nullptr : &it->second;
    }
};

// Parses the text of a users file. A refusal lists every error, one per
// line, each "LABEL:LINE: message" (at most max_reported_errors of them,
// then a count of the rest).
result<users_file> parse_users_file(std::string_view text, std::string_view label = "users file");

// Reads and parses the file at `path` (labels are the path). Refuses what
// is not a regular file, a file larger than max_users_file_bytes, and a
// world-writable file (anyone on the host could add a user); warns when
// the file is readable by others (hashes can be attacked offline).
result<users_file> load_users_file(const std::string& path);

// The line `pullgate passwd` prints: "name:$scrypt$…". Refuses an invalid
// name, an empty password, and one with control characters (RFC 7617
// section 2: Basic credentials cannot carry them, so no client could send
// it).
result<std::string> make_users_line(std::string_view name, std::string_view password,
                                    const scrypt_params& params = recommended_scrypt_params);

} // namespace pullgate::auth
