// The readers of the configuration's sections, one per top-level key (or a
// few related ones per file). Internal to the config module: load.cpp calls
// them in an order that lets later sections check references to earlier
// ones (rules name groups), whatever order the file uses.
#pragma once

#include "config/config.hpp"
#include "config/yaml_reader.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pullgate::config {

using group_map = std::map<std::string, std::vector<std::string>>;

// server_sections.cpp
void read_listen(yaml_reader& r, const located& n, std::string& out);
void read_admin(yaml_reader& r, const located& n, std::optional<std::string>& out);
void read_clients(yaml_reader& r, const located& n, std::vector<std::string>& out);
void read_tls(yaml_reader& r, const located& n, tls_config& out);
void read_audit_log(yaml_reader& r, const located& n, std::string& out);
// False when the section is not a mapping, so that rules naming groups
// are not also reported.
bool read_groups(yaml_reader& r, const located& n, group_map& out);
void read_auth(yaml_reader& r, const located& n, std::optional<auth_config>& out);
void read_threads(yaml_reader& r, const located& n, unsigned& out);

// A list of CIDRs or bare addresses, each stored as its canonical text
// ("10.1.2.3/32"); nothing when any of them is wrong.
std::optional<std::vector<std::string>> read_networks(yaml_reader& r, const located& n);

// upstream_section.cpp
void read_upstream(yaml_reader& r, const located& n, upstream_config& out);

// limits_section.cpp
void read_limits(yaml_reader& r, const located& n, limits_config& out);

// policy_section.cpp. `groups` is the groups section, already read, so
// that a rule naming a missing group is reported at the name; null when
// that section is unreadable and no name can be checked.
void read_policy(yaml_reader& r, const located& n, const group_map* groups, policy_config& out);

} // namespace pullgate::config
