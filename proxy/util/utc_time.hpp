// RFC 3339 UTC timestamps with milliseconds ("2026-12-04T15:04:05.123Z"),
// the form of the audit log's `time` field and of diagnostic lines.
#pragma once

#include <chrono>
#include <string>

namespace pullgate {

std::string format_utc_millis(std::chrono::system_clock::time_point when);

} // namespace pullgate
