#include "app/cli.hpp"

#include "app/commands.hpp"
#include "app/passwd_command.hpp"
#include "version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <optional>

namespace pullgate::app {
namespace {

constexpr std::string_view usage =
    R"(pullgate - a registry-aware, TLS-terminating HTTPS forward proxy

Usage:
  pullgate serve [--config FILE]      run the proxy in the foreground
  pullgate ca init [--dir DIR]        create the organization root CA (DIR/ca.crt,
                                      DIR/ca.key); never overwrites; DIR defaults to certs
  pullgate check [--config FILE]      validate a configuration; errors as FILE:LINE:COL
  pullgate explain [--config FILE] [--user NAME] IMAGE
                                      show the decision for `docker pull IMAGE`
                                      (exit 0 allow, 3 deny)
  pullgate health [--config FILE] [--admin ADDRESS:PORT]
                                      exit 0 when a running pullgate answers /healthz
                                      (for container health checks)
  pullgate passwd USER                read a password on stdin, print a users-file
                                      line `USER:$scrypt$…` (see docs/authentication.md)
  pullgate --version                  print the version
  pullgate --help                     print this help

Without --config, config/pullgate.yaml is used if it exists, else the embedded
defaults (listen 127.0.0.1:3128, admin 127.0.0.1:9128, CA in certs/, Docker Hub
only: official, verified publisher, sponsored OSS and organization images).

Signals (serve): SIGHUP reloads the configuration, SIGUSR1 reopens the audit
log, SIGTERM/SIGINT drain in-flight transfers (limits.drain) and exit.

Exit status: 0 success, 1 failure, 2 usage error, 3 explain: denied.
Documentation: README.md and docs/ in the source tree.
)";

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Options of the form `--name VALUE` or `--name=VALUE`; everything else is
// positional.
struct parsed_args {
    std::optional<std::string> config;
    std::optional<std::string> dir;
    std::optional<std::string> user;
    std::optional<std::string> admin;
    std::vector<std::string> positional;
};

parsed_args parse_options(const std::vector<std::string>& args, std::size_t first,
                          std::initializer_list<std::string_view> allowed) {
    parsed_args out;
    for (std::size_t i = first; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.size() < 2 || arg.compare(0, 2, "--") != 0 || arg == "--") {
            out.positional.push_back(arg);
            continue;
        }
        const auto eq = arg.find('=');
        const std::string name =
            arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
            throw usage_error(fmt::format("unknown option {}", arg));
        std::string value;
        if (eq != std::string::npos)
            value = arg.substr(eq + 1);
        else if (i + 1 < args.size())
            value = args[++i];
        else
            throw usage_error(fmt::format("{} needs a value", arg));
        if (value.empty())
            throw usage_error(fmt::format("{} needs a non-empty value", arg));
        (name == "config" ? out.config
         : name == "dir"  ? out.dir
         : name == "user" ? out.user
                          : out.admin) = value;
    }
    return out;
}

int dispatch(const std::vector<std::string>& args) {
    if (args.empty())
        throw usage_error("no command given");
    const std::string& command = args[0];
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(usage.data(), stdout);
        return 0;
    }
    if (command == "--version" || command == "-V" || command == "version") {
        std::printf("pullgate %s\n", version);
        return 0;
    }
    if (command == "serve" || command == "check") {
        const auto options = parse_options(args, 1, {"config"});
        if (!options.positional.empty())
            throw usage_error(fmt::format("unexpected argument {}", options.positional[0]));
        return command == "serve" ? serve_command(options.config) : check_command(options.config);
    }
    if (command == "ca") {
        if (args.size() < 2 || args[1] != "init")
            throw usage_error("the ca command has one subcommand: ca init [--dir DIR]");
        const auto options = parse_options(args, 2, {"dir"});
        if (!options.positional.empty())
            throw usage_error(fmt::format("unexpected argument {}", options.positional[0]));
        return ca_init_command(options.dir.value_or("certs"));
    }
    if (command == "health") {
        const auto options = parse_options(args, 1, {"config", "admin"});
        if (!options.positional.empty())
            throw usage_error(fmt::format("unexpected argument {}", options.positional[0]));
        return health_command(options.config, options.admin);
    }
    if (command == "passwd") {
        if (args.size() != 2 || args[1].rfind("--", 0) == 0)
            throw usage_error("passwd needs exactly one USER");
        return passwd_command(args[1]);
    }
    if (command == "explain") {
        const auto options = parse_options(args, 1, {"config", "user"});
        if (options.positional.size() != 1)
            throw usage_error(
                "explain needs exactly one IMAGE, like nginx or ghcr.io/acme/app:1.0");
        return explain_command(options.config, options.positional[0], options.user);
    }
    throw usage_error(fmt::format("unknown command {}", command));
}

} // namespace

int run_cli(const std::vector<std::string>& args) {
    try {
        return dispatch(args);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "pullgate: %s\nRun `pullgate --help` for usage.\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pullgate: %s\n", e.what());
        return 1;
    }
}

} // namespace pullgate::app
