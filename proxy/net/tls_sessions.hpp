// TLS session resumption towards upstreams: a new connection to a registry
// pullgate has talked to resumes the earlier session (an abbreviated
// handshake, no certificate chain to send and verify again). Sessions are
// remembered per upstream TLS context and authority; the chain was
// verified when the session was made.
#pragma once

#include <openssl/ssl.h>

#include <string>

namespace pullgate::net {

// Makes `ctx` hand new client sessions to the cache (TLS 1.3 tickets
// arrive after the handshake, so a callback is the only reliable way).
void enable_session_resumption(SSL_CTX* ctx);

// Before the handshake: names the session's key and offers a remembered
// session for it, if any.
void offer_session(SSL* ssl, const std::string& key);

} // namespace pullgate::net
