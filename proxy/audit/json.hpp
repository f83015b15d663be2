// The little JSON the audit log needs: string escaping (RFC 8259 section 7)
// into a caller's buffer. Bytes that are not valid UTF-8 are replaced by
// U+FFFD so that a hostile request target can never break a log line.
#pragma once

#include <string>
#include <string_view>

namespace pullgate::audit {

// Appends `text` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view text);

} // namespace pullgate::audit
