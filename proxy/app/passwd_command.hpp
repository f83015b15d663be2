// `pullgate passwd USER`: prints a users-file line for USER.
#pragma once

#include <string>

namespace pullgate::app {

// Reads a password from standard input (without echo, asked twice, when
// it is a terminal; one line when it is piped), and prints
// "USER:$scrypt$…" on standard output. Messages go to standard error.
// Returns the exit status: 0, or 1 when the name or password is refused.
int passwd_command(const std::string& user);

} // namespace pullgate::app
