// pullgate: a registry-aware, TLS-terminating HTTPS forward proxy.
#include "app/cli.hpp"

#include <string>
#include <vector>

int main(int argc, char** argv) {
    return pullgate::app::run_cli(std::vector<std::string>(argv + 1, argv + argc));
}
