// Proxy authentication (proxy/auth/): base64, scrypt password hashes, the
// users file, Basic credentials and the caching verifier.
#include "auth/base64.hpp"
#include "auth/basic_credentials.hpp"
#include "auth/password_hash.hpp"
#include "auth/users_file.hpp"
#include "auth/verifier.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latch>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace pullgate::auth;

namespace {

using bytes = std::vector<unsigned char>;

// Cheap parameters for tests that only need a hash: 1 MiB, a few ms.
constexpr scrypt_params fast{10, 8, 1};

bytes to_bytes(std::string_view s) {
    return bytes(s.begin(), s.end());
}

bytes from_hex(std::string_view hex) {
    bytes out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(
            static_cast<unsigned char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

std::string b64(std::string_view s) {
    return encode_base64(to_bytes(s), base64_padding::required);
}

std::string basic(std::string_view user_colon_password) {
    return "Basic " + b64(user_colon_password);
}

std::string line_for(std::string_view name, std::string_view password) {
    auto line = make_users_line(name, password, fast);
    REQUIRE_MESSAGE(line.ok(), line.error());
    return *line;
}

users_file users(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string text;
    for (const auto& [name, password] : entries)
        text += line_for(name, password) + "\n";
    auto parsed = parse_users_file(text);
    REQUIRE_MESSAGE(parsed.ok(), parsed.error());
    return std::move(*parsed);
}

// A fresh directory under the system temporary directory, removed after.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        path = std::filesystem::temp_directory_path() /
               ("pullgate-auth-test-" + std::to_string(::getpid()));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text, mode_t mode) const {
        const auto file = path / name;
        std::ofstream(file, std::ios::binary) << text;
        ::chmod(file.c_str(), mode);
        return file.string();
    }
};

const std::string alice_hash_salt = encode_base64(bytes(16, 1), base64_padding::none);
const std::string alice_hash_digest = encode_base64(bytes(32, 2), base64_padding::none);
const std::string valid_hash = "$scrypt$ln=14,r=8,p=1$" + alice_hash_salt + "$" + alice_hash_digest;

} // namespace

// ---- base64 ----------------------------------------------------------------

TEST_CASE("base64 encodes and decodes the RFC 4648 test vectors in both forms") {
    const std::tuple<std::string, std::string, std::string> cases[] = {
        {"", "", ""},
        {"f", "Zg==", "Zg"},
        {"fo", "Zm8=", "Zm8"},
        {"foo", "Zm9v", "Zm9v"},
        {"foob", "Zm9vYg==", "Zm9vYg"},
        {"fooba", "Zm9vYmE=", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
        {"\xff\xfe\xfd", "//79", "//79"},
    };
    for (const auto& [plain, padded, unpadded] : cases) {
        CAPTURE(plain);
        CHECK(encode_base64(to_bytes(plain), base64_padding::required) == padded);
        CHECK(encode_base64(to_bytes(plain), base64_padding::none) == unpadded);
        CHECK(decode_base64(padded, base64_padding::required) == to_bytes(plain));
        CHECK(decode_base64(unpadded, base64_padding::none) == to_bytes(plain));
    }
}

TEST_CASE("strict base64 refuses every other spelling") {
    const std::pair<std::string, base64_padding> cases[] = {
        {"Zg", base64_padding::required},       // padding missing
        {"Zg=", base64_padding::required},      // padding short
        {"Zg===", base64_padding::required},    // padding long
        {"Z===", base64_padding::required},     // six bits only
        {"Zh==", base64_padding::required},     // non-zero unused bits
        {"Zm9=", base64_padding::required},     // non-zero unused bits
        {"=Zg=", base64_padding::required},     // '=' first
        {"Zg==Zg==", base64_padding::required}, // '=' inside
        {"Zm 9v", base64_padding::required},    // space
        {"Zm9v\n", base64_padding::required},   // line end
        {"Zm9v\r\n", base64_padding::required}, // line end
        {"Zm-_", base64_padding::required},     // URL-safe alphabet
        {"Zm9v.", base64_padding::required},    {std::string("Zm\0v", 4), base64_padding::required},
        {"Zg==", base64_padding::none}, // padding where none belongs
        {"Zg=", base64_padding::none},          {"Z", base64_padding::none}, // six bits only
        {"Zh", base64_padding::none},           {"Zm9", base64_padding::none},
        {"Zm9v\n", base64_padding::none},
    };
    for (const auto& [text, padding] : cases) {
        CAPTURE(text);
        CAPTURE(padding == base64_padding::required);
        CHECK_FALSE(decode_base64(text, padding).has_value());
    }
}

// ---- scrypt and password hashes ---------------------------------------------

TEST_CASE("scrypt derives the RFC 7914 test vectors") {
    struct vector_case {
        std::string password, salt;
        scrypt_params params;
        std::string hex;
    };
    const vector_case cases[] = {
        {"password",
         "NaCl",
         {10, 8, 16},
         "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff10927"
         "9d9830dac727afb94a83ee6d8360cbdfa2cc0640"},
        {"pleaseletmein",
         "SodiumChloride",
         {14, 8, 1},
         "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705"
         "242a9af9e61e85dc0d651e40dfcf017b45575887"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.password);
        auto derived = scrypt_derive(c.password, to_bytes(c.salt), c.params, 64);
        REQUIRE_MESSAGE(derived.ok(), derived.error());
        CHECK(*derived == from_hex(c.hex));
    }
}

TEST_CASE("scrypt refuses the RFC 7914 vectors that are outside the bounds") {
    // Vector 1 is too cheap to be a password hash; vector 4 needs 1 GiB.
    const std::pair<scrypt_params, std::string> cases[] = {
        {{4, 1, 1}, "ln must be from 10 to 20"},
        {{20, 8, 1}, "1024 MiB"},
    };
    for (const auto& [params, reason] : cases) {
        CAPTURE(params.log2_n);
        auto derived = scrypt_derive("pleaseletmein", to_bytes("SodiumChloride"), params, 64);
        REQUIRE_FALSE(derived.ok());
        CHECK(derived.error().find(reason) != std::string::npos);
    }
}

TEST_CASE("a hash written by passlib verifies") {
    // From passlib's documentation of passlib.hash.scrypt (ln=16 is its
    // default), checked with Python's hashlib.scrypt.
    const std::string passlib_hash =
        "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E";
    auto hash = parse_password_hash(passlib_hash);
    REQUIRE_MESSAGE(hash.ok(), hash.error());
    CHECK(hash->params == scrypt_params{16, 8, 1});
    CHECK(to_string(*hash) == passlib_hash);
    CHECK(verify_password("password", *hash));
    CHECK_FALSE(verify_password("Password", *hash));
}

TEST_CASE("a new hash has the documented layout and round-trips through its text") {
    auto hash = hash_password("correct horse battery staple", fast);
    REQUIRE_MESSAGE(hash.ok(), hash.error());
    CHECK(hash->salt.size() == salt_bytes);
    CHECK(hash->digest.size() == digest_bytes);
    const std::string text = to_string(*hash);
    CHECK(text.starts_with("$scrypt$ln=10,r=8,p=1$"));
    CHECK(text.size() == std::string("$scrypt$ln=10,r=8,p=1$").size() + 22 + 1 + 43);
    auto parsed = parse_password_hash(text);
    REQUIRE_MESSAGE(parsed.ok(), parsed.error());
    CHECK(to_string(*parsed) == text);
    CHECK(verify_password("correct horse battery staple", *parsed));
}

TEST_CASE("a hash verifies its own password and no other") {
    const std::string password = "s3cret:with colon";
    auto hash = hash_password(password, fast);
    REQUIRE(hash.ok());
    CHECK(verify_password(password, *hash));
    const std::string others[] = {
        "",
        "s3cret",
        "s3cret:with colo",
        "s3cret:with colonX",
        "S3cret:with colon",
        "s3cret:with colon\n",
        // Not std::string("s3cret:with colon\0", 18): PBKDF2's HMAC pads the
        // password with zero bytes, so scrypt cannot tell a trailing NUL
        // apart. The verifier refuses control characters for that reason.
    };
    for (const auto& other : others) {
        CAPTURE(other);
        CHECK_FALSE(verify_password(other, *hash));
    }
}

TEST_CASE("two hashes of one password have different salts and digests") {
    auto a = hash_password("same", fast);
    auto b = hash_password("same", fast);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a->salt != b->salt);
    CHECK(a->digest != b->digest);
}

TEST_CASE("hashing refuses an empty or over-long password and parameters out of bounds") {
    CHECK(hash_password("", fast).error().find("empty") != std::string::npos);
    CHECK(hash_password(std::string(max_password_bytes + 1, 'x'), fast).error().find("longer") !=
          std::string::npos);
    CHECK(hash_password(std::string(max_password_bytes, 'x'), fast).ok());
    CHECK_FALSE(hash_password("pw", {30, 8, 1}).ok());
}

TEST_CASE("scrypt parameters within the bounds are accepted") {
    const scrypt_params cases[] = {
        {10, 1, 1}, {14, 8, 1}, {15, 8, 1},   {16, 8, 1},  {15, 16, 1},
        {14, 8, 8}, {19, 1, 1}, {10, 32, 16}, {13, 32, 1},
    };
    for (const auto& p : cases) {
        CAPTURE(p.log2_n);
        CAPTURE(p.r);
        CAPTURE(p.p);
        CHECK(check_scrypt_params(p).ok());
    }
    CHECK(check_scrypt_params(recommended_scrypt_params).ok());
    CHECK_FALSE(below_recommended_cost(recommended_scrypt_params));
    CHECK(below_recommended_cost(fast));
    CHECK(below_recommended_cost({13, 8, 4})); // the time, but less memory
}

TEST_CASE("scrypt parameters beyond the bounds are refused with the reason") {
    const std::pair<scrypt_params, std::string> cases[] = {
        {{9, 8, 1}, "ln must be"},  {{21, 1, 1}, "ln must be"}, {{64, 1, 1}, "ln must be"},
        {{14, 0, 1}, "r must be"},  {{10, 33, 1}, "r must be"}, {{14, 8, 0}, "p must be"},
        {{10, 8, 17}, "p must be"}, {{17, 8, 1}, "128 MiB"},    {{20, 1, 1}, "128 MiB"},
        {{16, 16, 1}, "128 MiB"},   {{15, 8, 5}, "times"},      {{14, 8, 9}, "times"},
        {{16, 8, 3}, "times"},
    };
    for (const auto& [p, reason] : cases) {
        CAPTURE(p.log2_n);
        CAPTURE(p.r);
        CAPTURE(p.p);
        auto checked = check_scrypt_params(p);
        REQUIRE_FALSE(checked.ok());
        CHECK(checked.error().find(reason) != std::string::npos);
    }
}

TEST_CASE("malformed password hashes are refused without quoting them") {
    const std::string salt = alice_hash_salt;
    const std::string digest = alice_hash_digest;
    const std::string p = "ln=14,r=8,p=1";
    const std::pair<std::string, std::string> cases[] = {
        {"", "must start with $scrypt$"},
        {"hunter2", "must start with $scrypt$"},
        {"$2y$10$abcdefghijklmnopqrstuu", "must start with $scrypt$"},
        {"$SCRYPT$" + p + "$" + salt + "$" + digest, "must start with $scrypt$"},
        {" $scrypt$" + p + "$" + salt + "$" + digest, "must start with $scrypt$"},
        {"$scrypt$" + p + "$" + salt, "four parts"},
        {"$scrypt$" + p + "$" + salt + "$", "four parts"},
        {"$scrypt$" + p + "$" + salt + "$" + digest + "$", "four parts"},
        {"$scrypt$" + p + "$" + salt + "$" + digest + "$x", "four parts"},
        {"$scrypt$r=8,ln=14,p=1$" + salt + "$" + digest, "ln=N,r=N,p=N"},
        {"$scrypt$ln=14,r=8$" + salt + "$" + digest, "ln=N,r=N,p=N"},
        {"$scrypt$ln=14;r=8;p=1$" + salt + "$" + digest, "ln=N,r=N,p=N"},
        {"$scrypt$$" + salt + "$" + digest, "ln=N,r=N,p=N"},
        {"$scrypt$ln=014,r=8,p=1$" + salt + "$" + digest, "decimal"},
        {"$scrypt$ln=+14,r=8,p=1$" + salt + "$" + digest, "decimal"},
        {"$scrypt$ln=14 ,r=8,p=1$" + salt + "$" + digest, "decimal"},
        {"$scrypt$ln=,r=8,p=1$" + salt + "$" + digest, "decimal"},
        {"$scrypt$ln=14,r=8,p=1,x=2$" + salt + "$" + digest, "decimal"},
        {"$scrypt$ln=14,r=8,p=0x1$" + salt + "$" + digest, "decimal"},
        {"$scrypt$ln=4294967310,r=8,p=1$" + salt + "$" + digest, "decimal"},
        {"$scrypt$ln=30,r=8,p=1$" + salt + "$" + digest, "ln must be"},
        {"$scrypt$ln=20,r=8,p=1$" + salt + "$" + digest, "MiB"},
        {"$scrypt$" + p + "$" + salt + "==$" + digest, "salt is not canonical"},
        {"$scrypt$" + p + "$" + salt + "$" + digest + "=", "hash is not canonical"},
        {"$scrypt$" + p + "$" + salt + "$" + digest + "\n", "hash is not canonical"},
        {"$scrypt$" + p + "$-_" + salt + "$" + digest, "salt is not canonical"},
        {"$scrypt$" + p + "$$" + digest, "salt must be 16 to 64 bytes, not 0"},
        {"$scrypt$" + p + "$" + encode_base64(bytes(8, 1), base64_padding::none) + "$" + digest,
         "salt must be 16 to 64 bytes, not 8"},
        {"$scrypt$" + p + "$" + encode_base64(bytes(65, 1), base64_padding::none) + "$" + digest,
         "salt must be 16 to 64 bytes, not 65"},
        {"$scrypt$" + p + "$" + salt + "$" + encode_base64(bytes(8, 1), base64_padding::none),
         "hash must be 16 to 64 bytes, not 8"},
        {"$scrypt$" + p + "$" + salt + "$" + encode_base64(bytes(65, 1), base64_padding::none),
         "hash must be 16 to 64 bytes, not 65"},
    };
    for (const auto& [text, reason] : cases) {
        CAPTURE(text);
        auto parsed = parse_password_hash(text);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().find(reason) != std::string::npos);
        CHECK(parsed.error().find(salt) == std::string::npos);
        CHECK(parsed.error().find(digest) == std::string::npos);
        CHECK(parsed.error().find("hunter2") == std::string::npos);
    }
    CHECK(parse_password_hash(valid_hash).ok());
}

// ---- users file -------------------------------------------------------------

TEST_CASE("a users file with comments, blank lines and CRLF line ends parses") {
    const std::string text = "# pullgate users\n"
                             "\n" +
                             line_for("alice", "pw-a") + "\n" +
                             "   # indented comment\r\n"
                             "  \t \n" +
                             line_for("bob.smith@acme-corp_1", "pw-b") + "\r\n" +
                             line_for("carol", "pw-c"); // no final line end
    auto parsed = parse_users_file(text);
    REQUIRE_MESSAGE(parsed.ok(), parsed.error());
    CHECK(parsed->users.size() == 3);
    REQUIRE(parsed->find("alice") != nullptr);
    CHECK(parsed->find("alice")->line == 3);
    CHECK(parsed->find("bob.smith@acme-corp_1")->line == 6);
    CHECK(parsed->find("carol")->line == 7);
    CHECK(parsed->find("Alice") == nullptr); // names compare exactly
    CHECK(parsed->find("dave") == nullptr);
    CHECK(verify_password("pw-b", parsed->find("bob.smith@acme-corp_1")->hash));
}

TEST_CASE("every error in a users file names its line and never quotes a hash") {
    const std::string good = "$scrypt$ln=14,r=8,p=1$" + alice_hash_salt + "$" + alice_hash_digest;
    const std::pair<std::string, std::string> cases[] = {
        {"alice", "users file:1: expected NAME:HASH"},
        {"#c\nalice " + good, "users file:2: expected NAME:HASH"},
        {"alice:hunter2", "users file:1: user alice: not a password hash"},
        {":" + good, "users file:1: the user name must be 1 to 64"},
        {"al ice:" + good, "users file:1: the user name must be"},
        {"al:ice:" + good, "users file:1: user al: not a password hash"},
        {std::string(65, 'a') + ":" + good, "users file:1: the user name must be"},
        {"\xef\xbb\xbf"
         "alice:" +
             good,
         "users file:1: the user name must be"},
        {"ålice:" + good, "users file:1: the user name must be"},
        {"\n\n alice:" + good, "users file:3: white space before or after NAME:HASH"},
        {"alice:" + good + " ", "users file:1: white space before or after NAME:HASH"},
        {"alice:" + good + "\t# comment", "users file:1: user alice: the hash is not canonical"},
        {"alice:" + good + "\r\r", "users file:1: user alice: the hash is not canonical"},
        {"alice:" + good + "\n" + "alice:" + good, "users file:2: user alice is defined twice "
                                                   "(first on line 1)"},
        {"alice:$scrypt$ln=20,r=8,p=1$" + alice_hash_salt + "$" + alice_hash_digest,
         "users file:1: user alice: scrypt ln=20,r=8 needs 1024 MiB"},
    };
    for (const auto& [text, message] : cases) {
        CAPTURE(text);
        auto parsed = parse_users_file(text);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().find(message) == 0);
        CHECK(parsed.error().find(alice_hash_digest) == std::string::npos);
        CHECK(parsed.error().find("hunter2") == std::string::npos);
    }
}

TEST_CASE("a users file reports all its errors at once, then a count of the rest") {
    std::string text = "bad line one\n" + line_for("ok", "pw") + "\nbad line three\n";
    auto parsed = parse_users_file(text, "/etc/pullgate/users");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error() == "/etc/pullgate/users:1: expected NAME:HASH (print a line with "
                            "`pullgate passwd NAME`)\n"
                            "/etc/pullgate/users:3: expected NAME:HASH (print a line with "
                            "`pullgate passwd NAME`)");

    std::string many;
    for (int i = 0; i < 25; ++i)
        many += "x\n";
    auto cut = parse_users_file(many);
    REQUIRE_FALSE(cut.ok());
    CHECK(cut.error().find("users file:20:") != std::string::npos);
    CHECK(cut.error().find("users file:21:") == std::string::npos);
    CHECK(cut.error().ends_with("\n…and 5 more errors"));
}

TEST_CASE("weak hashes and a file without users are accepted with a warning") {
    auto weak = parse_users_file(line_for("alice", "pw"));
    REQUIRE(weak.ok());
    REQUIRE(weak->warnings.size() == 1);
    CHECK(weak->warnings[0].starts_with("users file:1: user alice: the hash costs less than the "
                                        "recommended ln=14,r=8,p=1"));

    auto strong = parse_users_file("alice:" + valid_hash);
    REQUIRE(strong.ok());
    CHECK(strong->warnings.empty());

    auto empty = parse_users_file("# nobody yet\n");
    REQUIRE(empty.ok());
    CHECK(empty->users.empty());
    REQUIRE(empty->warnings.size() == 1);
    CHECK(empty->warnings[0] == "users file: no users: every request will be refused with 407");
}

TEST_CASE("loading a users file refuses what is not a private regular file") {
    const temp_dir dir;
    const std::string good = "alice:" + valid_hash + "\n";

    auto ok = load_users_file(dir.write("users", good, 0600));
    REQUIRE_MESSAGE(ok.ok(), ok.error());
    CHECK(ok->users.size() == 1);
    CHECK(ok->warnings.empty());

    auto readable = load_users_file(dir.write("readable", good, 0644));
    REQUIRE(readable.ok());
    REQUIRE(readable->warnings.size() == 1);
    CHECK(readable->warnings[0].find("readable by every user (mode 0644)") != std::string::npos);

    const std::pair<std::string, std::string> refusals[] = {
        {dir.write("writable", good, 0666), "writable by every user (mode 0666)"},
        {(dir.path / "missing").string(), "cannot open the users file: No such file"},
        {dir.path.string(), "not a regular file"},
        {dir.write("big", std::string(max_users_file_bytes + 1, '#'), 0600), "larger than 4 MiB"},
        {dir.write("broken", "alice\n", 0600), "/broken:1: expected NAME:HASH"},
    };
    for (const auto& [path, reason] : refusals) {
        CAPTURE(path);
        auto loaded = load_users_file(path);
        REQUIRE_FALSE(loaded.ok());
        CHECK(loaded.error().starts_with(path));
        CHECK(loaded.error().find(reason) != std::string::npos);
    }
}

TEST_CASE("a users line is made for a valid name and a sendable password only") {
    auto line = make_users_line("alice", "pw", fast);
    REQUIRE(line.ok());
    CHECK(line->starts_with("alice:$scrypt$ln=10,r=8,p=1$"));
    auto parsed = parse_users_file(*line);
    REQUIRE(parsed.ok());
    CHECK(verify_password("pw", parsed->find("alice")->hash));
    CHECK(make_users_line("bob", "pw")->starts_with("bob:$scrypt$ln=14,r=8,p=1$"));

    const std::tuple<std::string, std::string, std::string> refusals[] = {
        {"", "pw", "user name"},
        {"al ice", "pw", "user name"},
        {"al:ice", "pw", "user name"},
        {std::string(65, 'a'), "pw", "user name"},
        {"alice", "", "empty"},
        {"alice", "p\tw", "control character"},
        {"alice", "pw\n", "control character"},
        {"alice", std::string("p\0w", 3), "control character"},
        {"alice", "pw\x7f", "control character"},
        {"alice", std::string(max_password_bytes + 1, 'x'), "longer than 1024 bytes"},
    };
    for (const auto& [name, password, reason] : refusals) {
        CAPTURE(name);
        auto made = make_users_line(name, password, fast);
        REQUIRE_FALSE(made.ok());
        CHECK(made.error().find(reason) != std::string::npos);
    }
}

// ---- Basic credentials ------------------------------------------------------

TEST_CASE("Basic credentials parse as RFC 7617 describes") {
    const std::tuple<std::string, std::string, std::string> cases[] = {
        {"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame"}, // RFC 7617 section 2
        {"basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame"},
        {"BASIC QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame"},
        {"bAsIc   QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame"},
        {" \tBasic QWxhZGRpbjpvcGVuIHNlc2FtZQ== \t", "Aladdin", "open sesame"},
        {"Basic dGVzdDoxMjPCow==", "test", "123\xc2\xa3"}, // RFC 7617 section 2.1, UTF-8
        {basic("alice:a:b:c"), "alice", "a:b:c"},          // the first colon ends the user-id
        {basic("alice:"), "alice", ""}, // an empty password is the verifier's business
        {basic("alice: spaced "), "alice", " spaced "},
        {basic("jörg:pw"), "jörg", "pw"},
        {basic(std::string(max_basic_user_bytes, 'u') + ":" + std::string(max_password_bytes, 'p')),
         std::string(max_basic_user_bytes, 'u'), std::string(max_password_bytes, 'p')},
    };
    for (const auto& [header, user, password] : cases) {
        CAPTURE(header);
        auto parsed = parse_basic_credentials(header);
        REQUIRE_MESSAGE(parsed.ok(), parsed.error());
        CHECK(parsed->user == user);
        CHECK(parsed->password == password);
    }
}

TEST_CASE("malformed Basic credentials are refused without quoting them") {
    const std::string secret = "Sup3rSecret";
    const std::pair<std::string, std::string> cases[] = {
        {"", "empty"},
        {" \t ", "empty"},
        {"Basic", "without a token"},
        {"Basic ", "without a token"},
        {"Bearer " + b64("alice:" + secret), "not Basic"},
        {"Digest username=\"alice\", response=\"" + secret + "\"", "not Basic"},
        {"Basicx " + b64("alice:" + secret), "not Basic"},
        {"Basic\t" + b64("alice:" + secret), "not Basic"},
        {b64("alice:" + secret), "not Basic"},
        {"Basic " + b64("alice:" + secret) + ",", "base64"},
        {"Basic " + b64("alice:" + secret) + " x", "base64"},
        {"Basic realm=\"" + secret + "\"", "base64"},
        {"Basic YWxpY2U6U3VwM3JTZWNyZXQ", "base64"},   // padding missing
        {"Basic YWxpY2U6U3VwM3JTZWNyZXR=", "base64"},  // non-canonical bits
        {"Basic YWxp Y2U6U3VwM3JTZWNyZXQ=", "base64"}, // space inside
        {"Basic " + encode_base64(to_bytes("\xfb\xff:" + secret), base64_padding::required)
                        .replace(0, 2, "-_"),
         "base64"}, // URL-safe alphabet
        {basic("alice" + secret), "without the ':'"},
        {basic(":" + secret), "empty user-id"},
        {basic(std::string("al\0ice:", 7) + secret), "control character"},
        {basic("al\tice:" + secret), "control character"},
        {basic("alice:" + secret + "\n"), "control character"},
        {basic("alice:" + secret + "\r"), "control character"},
        {basic("alice:" + secret + "\x7f"), "control character"},
        {basic(std::string(max_basic_user_bytes + 1, 'u') + ":" + secret), "user-id longer"},
        {basic("alice:" + std::string(max_password_bytes + 1, 'p')), "password longer"},
        {"Basic " + std::string(8192, 'A'), "longer than pullgate accepts"},
    };
    for (const auto& [header, reason] : cases) {
        CAPTURE(header);
        auto parsed = parse_basic_credentials(header);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().find(reason) != std::string::npos);
        CHECK(parsed.error().find(secret) == std::string::npos);
        CHECK(parsed.error().find("alice") == std::string::npos);
        CHECK(parsed.error().find("YWxpY2") == std::string::npos);
    }
}

TEST_CASE("only the user name of Basic credentials is taken for hub_user") {
    const std::pair<std::string, std::string> names[] = {
        {basic("acmebot:dckr_pat_0123456789"), "acmebot"},
        {basic("alice@example.com:pw"), "alice@example.com"},
        {basic("_json_key:{\"type\": \"service_account\"}"), "_json_key"},
        {basic("oauth2accesstoken:ya29.token"), "oauth2accesstoken"},
    };
    for (const auto& [header, name] : names) {
        CAPTURE(name);
        auto user = basic_user_name(header);
        REQUIRE_MESSAGE(user.ok(), user.error());
        CHECK(*user == name);
    }
    const std::pair<std::string, std::string> refusals[] = {
        {basic("jörg:pw"), "visible ASCII"},
        {basic("two words:pw"), "visible ASCII"},
        {basic(":dckr_pat_0123456789"), "empty user-id"},
        {"Bearer eyJhbGciOi", "not Basic"},
        {"Basic !!!!", "base64"},
    };
    for (const auto& [header, reason] : refusals) {
        CAPTURE(header);
        auto user = basic_user_name(header);
        REQUIRE_FALSE(user.ok());
        CHECK(user.error().find(reason) != std::string::npos);
        CHECK(user.error().find("dckr_pat") == std::string::npos);
    }
}

TEST_CASE("the challenge names the realm and the UTF-8 charset") {
    CHECK(basic_challenge("pullgate") == "Basic realm=\"pullgate\", charset=\"UTF-8\"");
    CHECK(basic_challenge("pullgate at acme") ==
          "Basic realm=\"pullgate at acme\", charset=\"UTF-8\"");
}

TEST_CASE("arbitrary bytes never crash or throw in any parser") {
    // A small deterministic fuzz: random bytes, and valid inputs with one
    // byte changed. Run under ASan and UBSan, this finds what tables miss.
    std::uint64_t state = 0x9e3779b97f4a7c15;
    const auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    const std::string seeds[] = {
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        valid_hash,
        "# c\nalice:" + valid_hash + "\r\nbob:" + valid_hash + "\n",
        "Zm9vYmE=",
    };
    for (int i = 0; i < 4000; ++i) {
        std::string input;
        if (i % 2 == 0) {
            input.resize(next() % 96);
            for (auto& c : input)
                c = static_cast<char>(next());
        } else {
            input = seeds[next() % std::size(seeds)];
            input[next() % input.size()] = static_cast<char>(next());
        }
        CAPTURE(input);
        CHECK_NOTHROW((void)parse_basic_credentials(input));
        CHECK_NOTHROW((void)basic_user_name(input));
        CHECK_NOTHROW((void)parse_password_hash(input));
        CHECK_NOTHROW((void)parse_users_file(input));
        CHECK_NOTHROW((void)decode_base64(input, base64_padding::required));
        CHECK_NOTHROW((void)decode_base64(input, base64_padding::none));
    }
}

// ---- verifier ---------------------------------------------------------------

TEST_CASE("the verifier tells a right password from a wrong one and an unknown user") {
    verifier v(users({{"alice", "pw-a"}, {"bob", "pw-b"}}));
    CHECK(v.user_count() == 2);
    const std::tuple<std::string, std::string, verify_outcome> cases[] = {
        {"alice", "pw-a", verify_outcome::ok},
        {"bob", "pw-b", verify_outcome::ok},
        {"alice", "pw-b", verify_outcome::wrong_password},
        {"bob", "pw-a", verify_outcome::wrong_password},
        {"alice", "PW-A", verify_outcome::wrong_password},
        {"alice", "", verify_outcome::wrong_password},
        {"alice", std::string(max_password_bytes + 1, 'x'), verify_outcome::wrong_password},
        {"Alice", "pw-a", verify_outcome::unknown_user},
        {"carol", "pw-a", verify_outcome::unknown_user},
        {"", "pw-a", verify_outcome::unknown_user},
        {"al ice", "pw-a", verify_outcome::unknown_user},
        {"carol", "", verify_outcome::unknown_user},
        // scrypt alone would accept these (HMAC zero-pads its key); Basic
        // credentials cannot carry them anyway (RFC 7617 section 2).
        {"alice", std::string("pw-a\0", 5), verify_outcome::wrong_password},
        {"alice", "pw-a\n", verify_outcome::wrong_password},
    };
    for (const auto& [user, password, expected] : cases) {
        CAPTURE(user);
        CAPTURE(password);
        CHECK(v.verify(user, password) == expected);
    }
}

TEST_CASE("a successful verification is cached, so a repeat costs no scrypt run") {
    verifier v(users({{"alice", "pw-a"}}));
    const auto t0 = verifier::clock::now();
    CHECK(v.verify("alice", "pw-a", t0) == verify_outcome::ok);
    CHECK(v.stats().scrypt_runs == 1);
    for (int i = 1; i <= 100; ++i)
        CHECK(v.verify("alice", "pw-a", t0 + std::chrono::seconds(i)) == verify_outcome::ok);
    CHECK(v.stats().scrypt_runs == 1);
    CHECK(v.stats().cache_hits == 100);
    CHECK(v.cached() == 1);
}

TEST_CASE("failed verifications are never cached") {
    verifier v(users({{"alice", "pw-a"}}));
    for (int i = 0; i < 3; ++i) {
        CHECK(v.verify("alice", "wrong") == verify_outcome::wrong_password);
        CHECK(v.verify("nobody", "wrong") == verify_outcome::unknown_user);
    }
    CHECK(v.stats().scrypt_runs == 6); // unknown names cost a decoy run too
    CHECK(v.stats().failures == 6);
    CHECK(v.stats().cache_hits == 0);
    CHECK(v.cached() == 0);
}

TEST_CASE("a cached user with another password is verified in full and keeps the right one") {
    verifier v(users({{"alice", "pw-a"}}));
    const auto t0 = verifier::clock::now();
    REQUIRE(v.verify("alice", "pw-a", t0) == verify_outcome::ok);
    CHECK(v.verify("alice", "pw-b", t0) == verify_outcome::wrong_password);
    CHECK(v.stats().scrypt_runs == 2);
    CHECK(v.verify("alice", "pw-a", t0) == verify_outcome::ok);
    CHECK(v.stats().scrypt_runs == 2);
}

TEST_CASE("a cached verification expires after the TTL") {
    verifier v(users({{"alice", "pw-a"}}),
               {.cache_capacity = 16, .cache_ttl = std::chrono::seconds(60)});
    const auto t0 = verifier::clock::now();
    REQUIRE(v.verify("alice", "pw-a", t0) == verify_outcome::ok);
    CHECK(v.verify("alice", "pw-a", t0 + std::chrono::seconds(59)) == verify_outcome::ok);
    CHECK(v.stats().scrypt_runs == 1);
    // The TTL runs from the verification, not from the last use.
    CHECK(v.verify("alice", "pw-a", t0 + std::chrono::seconds(60)) == verify_outcome::ok);
    CHECK(v.stats().scrypt_runs == 2);
    CHECK(v.verify("alice", "pw-a", t0 + std::chrono::seconds(119)) == verify_outcome::ok);
    CHECK(v.stats().scrypt_runs == 2);
}

TEST_CASE("reload replaces the users at once and forgets cached verifications") {
    verifier v(users({{"alice", "old"}, {"bob", "pw-b"}}));
    REQUIRE(v.verify("alice", "old") == verify_outcome::ok);
    REQUIRE(v.verify("bob", "pw-b") == verify_outcome::ok);
    REQUIRE(v.cached() == 2);

    v.reload(users({{"alice", "new"}, {"carol", "pw-c"}}));
    CHECK(v.cached() == 0);
    CHECK(v.user_count() == 2);
    CHECK(v.verify("alice", "old") == verify_outcome::wrong_password);
    CHECK(v.verify("alice", "new") == verify_outcome::ok);
    CHECK(v.verify("bob", "pw-b") == verify_outcome::unknown_user);
    CHECK(v.verify("carol", "pw-c") == verify_outcome::ok);
}

TEST_CASE("the cache holds at most its capacity and evicts the least recently used") {
    verifier v(users({{"u1", "p1"}, {"u2", "p2"}, {"u3", "p3"}}), {.cache_capacity = 2});
    const auto t0 = verifier::clock::now();
    REQUIRE(v.verify("u1", "p1", t0) == verify_outcome::ok);
    REQUIRE(v.verify("u2", "p2", t0) == verify_outcome::ok);
    REQUIRE(v.verify("u1", "p1", t0) == verify_outcome::ok); // u1 now most recent
    REQUIRE(v.verify("u3", "p3", t0) == verify_outcome::ok); // evicts u2
    CHECK(v.cached() == 2);
    const auto runs = v.stats().scrypt_runs;
    CHECK(v.verify("u1", "p1", t0) == verify_outcome::ok);
    CHECK(v.verify("u3", "p3", t0) == verify_outcome::ok);
    CHECK(v.stats().scrypt_runs == runs);
    CHECK(v.verify("u2", "p2", t0) == verify_outcome::ok);
    CHECK(v.stats().scrypt_runs == runs + 1);

    verifier uncached(users({{"u1", "p1"}}), {.cache_capacity = 0});
    CHECK(uncached.verify("u1", "p1") == verify_outcome::ok);
    CHECK(uncached.verify("u1", "p1") == verify_outcome::ok);
    CHECK(uncached.stats().scrypt_runs == 2);
}

TEST_CASE("concurrent identical attempts share one scrypt run" * doctest::timeout(60)) {
    // Docker opens several connections at once for one pull: they arrive
    // together, before any verification has finished.
    struct attempt {
        std::string password;
        verify_outcome expected;
        std::uint64_t runs;
    };
    const attempt cases[] = {
        {"pw-a", verify_outcome::ok, 1},
        {"wrong", verify_outcome::wrong_password, 1},
    };
    for (const auto& c : cases) {
        CAPTURE(c.password);
        verifier v(users({{"alice", "pw-a"}}));
        constexpr int threads = 12;
        std::latch start(threads);
        std::vector<verify_outcome> outcomes(threads);
        std::vector<std::thread> pool;
        for (int i = 0; i < threads; ++i)
            pool.emplace_back([&, i] {
                start.arrive_and_wait();
                outcomes[static_cast<std::size_t>(i)] = v.verify("alice", c.password);
            });
        for (auto& t : pool)
            t.join();
        for (const auto o : outcomes)
            CHECK(o == c.expected);
        // Every thread either ran scrypt, waited for the one that did, or
        // (for a success) found the result cached; at least one ran it.
        const auto s = v.stats();
        CHECK(s.scrypt_runs >= 1);
        CHECK(s.scrypt_runs + s.shared_runs + s.cache_hits == threads);
        if (c.expected == verify_outcome::ok)
            CHECK(s.scrypt_runs == c.runs);
        CHECK(v.cached() == (c.expected == verify_outcome::ok ? 1u : 0u));
    }
}

TEST_CASE("authenticate names the user only when the header verifies") {
    verifier v(users({{"alice", "pw-a"}}));
    using status = authentication::status;
    const std::tuple<std::string, status, std::string, std::string> cases[] = {
        {basic("alice:pw-a"), status::ok, "alice", ""},
        {"basic " + b64("alice:pw-a"), status::ok, "alice", ""},
        {basic("alice:pw-x"), status::wrong_password, "", "wrong password for user alice"},
        {basic("mallory:pw-a"), status::unknown_user, "", "unknown user name"},
        {basic("pw-a:alice"), status::unknown_user, "", "unknown user name"},
        {"Bearer abc", status::malformed, "", "malformed Proxy-Authorization: not Basic"},
        {"Basic " + b64("alice:pw-a").substr(1), status::malformed, "",
         "malformed Proxy-Authorization: Basic credentials that are not strict"},
        {"", status::malformed, "", "malformed Proxy-Authorization: empty credentials"},
    };
    for (const auto& [header, expected, user, reason] : cases) {
        CAPTURE(header);
        const auto got = v.authenticate(header);
        CHECK(got.outcome == expected);
        CHECK(got.user == user);
        CHECK(got.reason.find(reason) == 0);
        CHECK(got.reason.find("pw-") == std::string::npos);
        CHECK(got.reason.find("mallory") == std::string::npos);
    }
}
