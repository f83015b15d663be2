#include "net/tls_contexts.hpp"

#include "net/tls_sessions.hpp"
#include "tls/openssl_error.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace pullgate::net {
namespace {

constexpr unsigned char alpn_http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

int server_name_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// The SNI must name the CONNECT host: one authority per tunnel. A client
// that sends no SNI (IP literals, some tools) gets the CONNECT host's leaf.
int on_server_name(SSL* ssl, int* alert, void*) {
    auto* check = static_cast<server_name_check*>(SSL_get_ex_data(ssl, server_name_index()));
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!check || !name)
        return SSL_TLSEXT_ERR_OK;
    check->offered = name;
    const auto canonical = request::canonical_host(name);
    if (canonical && canonical->host == check->expected_host)
        return SSL_TLSEXT_ERR_OK;
    check->mismatch = true;
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// http/1.1 when offered; otherwise no ALPN at all. A client that offers
// only h2 then speaks HTTP/2, which the request reader refuses with a
// logged 505 rather than passing bytes it cannot parse.
int on_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
            unsigned int in_len, void*) {
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, out_len, alpn_http11, sizeof alpn_http11, in, in_len) ==
        OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

void restrict_protocols(SSL_CTX* ctx) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // Idle connections give their 34 KiB of record buffers back.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    // OpenSSL reads the socket itself (tls_socket): let it take what is
    // there in one recv rather than a record header and then its body, up
    // to four full records a call while a blob streams in.
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ctx, 4 * (16 * 1024 + 512));
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
}

} // namespace

std::unique_ptr<ssl::context> make_client_facing_context() {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    restrict_protocols(native);
    // The SSL_CTX_set_tlsext_servername_callback macro hides a C cast.
    SSL_CTX_callback_ctrl(native, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                          reinterpret_cast<void (*)()>(on_server_name));
    SSL_CTX_set_alpn_select_cb(native, on_alpn, nullptr);
    return ctx;
}

void expect_server_name(SSL* ssl, server_name_check* check) {
    SSL_set_ex_data(ssl, server_name_index(), check);
}

std::shared_ptr<ssl::context> make_upstream_context(const std::optional<std::string>& ca_file) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();
    restrict_protocols(native);
    if (SSL_CTX_set_default_verify_paths(native) != 1)
        tls::throw_openssl_error("cannot load the system trust store");
    if (ca_file && SSL_CTX_load_verify_locations(native, ca_file->c_str(), nullptr) != 1)
        tls::throw_openssl_error("cannot load upstream.ca_file " + *ca_file +
                                 " (it must hold PEM CA certificates)");
    // Verification is never optional: there is no setting that turns it off.
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
    enable_session_resumption(native);
    return ctx;
}

void prepare_upstream_ssl(SSL* ssl, const request::authority& where) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (where.kind == request::host_kind::dns) {
        // RFC 6066 3: SNI carries DNS names only, never IP literals.
        SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(where.host.c_str()));
        X509_VERIFY_PARAM_set1_host(param, where.host.c_str(), where.host.size());
    } else {
        X509_VERIFY_PARAM_set1_ip_asc(param, where.host.c_str());
    }
    SSL_set_alpn_protos(ssl, alpn_http11, sizeof alpn_http11);
}

} // namespace pullgate::net
