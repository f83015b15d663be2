// The command line (SPEC "Command line"): parses arguments into a command
// and runs it. Exceptions end here, as a message and an exit status.
#pragma once

#include <string>
#include <vector>

namespace pullgate::app {

// Exit statuses: 0 ok, 1 failure (invalid configuration, runtime error),
// 2 usage error, 3 `explain`: the image would be denied.
int run_cli(const std::vector<std::string>& args);

} // namespace pullgate::app
