// Audit records serialise byte for byte as the SPEC's JSON lines.
#include "audit/json.hpp"
#include "audit/record.hpp"

#include <doctest/doctest.h>

using namespace pullgate::audit;

namespace {

record sample() {
    record r;
    r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796396645123));
    r.client = "10.1.2.3:53122";
    r.method = "GET";
    r.host = "registry-1.docker.io";
    r.registry = "docker.io";
    r.kind = "manifest";
    r.action = "pull";
    r.repository = "library/alpine";
    r.reference = "3.19";
    r.image = "docker.io/library/alpine:3.19";
    r.category = "official";
    r.decision = "allow";
    r.enforced = true;
    r.rule = "docker_hub.official";
    r.reason = "official image";
    r.status = 200;
    r.bytes = 2814;
    r.duration_ms = 12.44;
    return r;
}

std::string quoted(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

} // namespace

TEST_CASE("a record serialises every SPEC field in order, unset optionals as null") {
    CHECK(to_json_line(sample()) ==
          R"({"time":"2026-12-04T15:04:05.123Z","client":"10.1.2.3:53122","user":null,)"
          R"("method":"GET","host":"registry-1.docker.io","registry":"docker.io",)"
          R"("kind":"manifest","action":"pull","repository":"library/alpine","reference":"3.19",)"
          R"("image":"docker.io/library/alpine:3.19","category":"official","decision":"allow",)"
          R"("enforced":true,"rule":"docker_hub.official","reason":"official image","status":200,)"
          R"("bytes":2814,"duration_ms":12.4,"hub_user":null,"error":null,"upstream":null,)"
          R"("user_agent":null})"
          "\n");
}

TEST_CASE("a record is one line whatever its strings contain") {
    auto r = sample();
    r.host = "evil\r\nhost\"\\";
    r.error = std::string("nul\0byte", 8);
    const auto line = to_json_line(r);
    CHECK(line.find('\n') == line.size() - 1);
    CHECK(line.find('\r') == std::string::npos);
    CHECK(line.find(R"("host":"evil\r\nhost\"\\")") != std::string::npos);
    CHECK(line.find(R"("error":"nul\u0000byte")") != std::string::npos);
}

TEST_CASE("JSON strings escape control characters and keep valid UTF-8") {
    struct row {
        std::string_view in;
        std::string_view out;
    };
    const row rows[] = {
        {"plain", R"("plain")"},
        {"tab\there", R"("tab\there")"},
        {"\x01\x1f\x7f", R"("\u0001\u001f\u007f")"},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
        {"\xe2\x82\xac", "\"\xe2\x82\xac\""},
        {"\xf0\x9f\x90\xb3", "\"\xf0\x9f\x90\xb3\""},
    };
    for (const auto& r : rows) {
        CAPTURE(r.in);
        CHECK(quoted(r.in) == r.out);
    }
}

TEST_CASE("bytes that are not UTF-8 become U+FFFD, never raw") {
    const std::string_view rows[] = {
        "\xff",             // never valid
        "\xc0\xaf",         // overlong '/'
        "\xed\xa0\x80",     // surrogate
        "\xe2\x82",         // truncated
        "\xf4\x90\x80\x80", // above U+10FFFF
    };
    for (const auto in : rows) {
        CAPTURE(in);
        const auto out = quoted(in);
        CHECK(out.find("\\ufffd") != std::string::npos);
        for (const char c : out)
            CHECK(static_cast<unsigned char>(c) < 0x80);
    }
}
