// Docker Hub's search answers become categories; the badge cache expires
// and persists.
#include "service/hub_badges.hpp"

#include <doctest/doctest.h>

using namespace pullgate;
using policy::category;
using namespace std::chrono_literals;

TEST_CASE("the badge of the named repository decides its namespace's category") {
    struct row {
        std::string body;
        std::string repository;
        category expected;
    };
    const row rows[] = {
        {R"({"results":[{"name":"bitnami/redis","badge":"verified_publisher"}]})", "bitnami/redis",
         category::verified_publisher},
        {R"({"results":[{"name":"jenkins/jenkins","badge":"open_source"}]})", "jenkins/jenkins",
         category::sponsored_oss},
        {R"({"results":[{"name":"grafana/x","badge":"none"},{"name":"grafana/grafana","badge":"verified_publisher"}]})",
         "grafana/grafana", category::verified_publisher},
        {R"({"results":[{"name":"grafana/loki","badge":"verified_publisher"}]})", "grafana/grafana",
         category::verified_publisher},
        {R"({"results":[{"name":"randomuser/tool"}]})", "randomuser/tool", category::community},
        {R"({"results":[{"name":"other/tool","badge":"verified_publisher"}]})", "randomuser/tool",
         category::community},
        {R"({"results":[]})", "randomuser/tool", category::community},
        {R"({"results":[{"name":"x/y","badge":"organization"}]})", "x/y", category::community},
    };
    for (const auto& r : rows) {
        CAPTURE(r.body);
        const auto got = service::parse_hub_search(r.body, r.repository);
        REQUIRE(got);
        CHECK(*got == r.expected);
    }
}

TEST_CASE("answers that are not the search API's JSON are refused, never guessed") {
    for (const std::string body :
         {"", "<html>", "[]", R"({"results":{}})", R"({"total":1})", "{\"results\":["}) {
        CAPTURE(body);
        CHECK_FALSE(service::parse_hub_search(body, "a/b"));
    }
}

TEST_CASE("the search target encodes the repository and keeps the base path") {
    CHECK(service::hub_search_target("", "bitnami/redis") ==
          "/api/search/v4?query=bitnami%2Fredis&type=image");
    CHECK(service::hub_search_target("/hub/", "a/b") ==
          "/hub/api/search/v4?query=a%2Fb&type=image");
}

TEST_CASE("cached badges expire and survive a round trip through the cache file") {
    const auto now = service::wall_clock::now();
    service::badge_cache cache;
    cache.store("bitnami", category::verified_publisher, now + 1h);
    cache.store("old", category::sponsored_oss, now - 1s);
    CHECK(cache.find("bitnami", now) == category::verified_publisher);
    CHECK_FALSE(cache.find("old", now));
    CHECK_FALSE(cache.find("bitnami", now + 2h));
    CHECK(cache.snapshot(now).size() == 1);

    service::badge_cache restored;
    const auto loaded = restored.load_json(cache.to_json(now), now);
    REQUIRE(loaded);
    CHECK(*loaded == 1);
    CHECK(restored.find("bitnami", now) == category::verified_publisher);
    CHECK_FALSE(restored.find("bitnami", now + 2h));
}

TEST_CASE("a damaged cache file loads what it can and refuses what it cannot") {
    service::badge_cache cache;
    const auto now = service::wall_clock::now();
    CHECK_FALSE(cache.load_json("not json", now));
    const auto loaded = cache.load_json(
        R"({"a":{"category":"nonsense","expires":"2199-01-01T00:00:00.000Z"},)"
        R"("b":{"category":"official","expires":"garbage"},)"
        R"("c":{"category":"verified_publisher","expires":"2199-01-01T00:00:00.000Z"},"d":3,)"
        R"("e":{"category":"official","expires":"9999-01-01T00:00:00.000Z"}})",
        now);
    REQUIRE(loaded);
    CHECK(*loaded == 1);
    CHECK(cache.find("c", now) == category::verified_publisher);
}
