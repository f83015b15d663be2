#!/usr/bin/env python3
"""Request smuggling: a request whose framing two HTTP parsers could read
differently is refused with 400 and an audit record (rule
request.invalid), on plain HTTP and inside an intercepted tunnel, and the
request hidden behind it never reaches the upstream (issue 4, "Every
request on a connection is decided").

Each malformed request carries a second, denied request after it (a
community image's manifest with a unique tag): if pullgate or the
upstream read the framing another way, that request would surface as a
request of its own. The upstreams are witnesses (harness/hostile_upstream):
the tag must never reach them.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, raw, testing  # noqa: E402

HUB = lab.HUB
UPLOAD = "/v2/library/alpine/blobs/uploads/0123-session"   # allowed (push to an official repo)


def smuggled(marker, absolute):
    target = lab.manifest_path(lab.DENIED, marker)
    if absolute:
        target = f"http://{HUB}{target}"
    return f"GET {target} HTTP/1.1\r\nHost: {HUB}\r\n\r\n"


def head(method, absolute, *fields, path=UPLOAD, eol="\r\n", host=True):
    """A request head with the given field lines (no final empty line)."""
    target = f"http://{HUB}{path}" if absolute else path
    lines = [f"{method} {target} HTTP/1.1"] + ([f"Host: {HUB}"] if host else []) + list(fields)
    return eol.join(lines) + eol


# Framing refused in the header block: name -> (fields, body). The body
# is followed by the smuggled request.
HEADER_ATTACKS = {
    "content_length_and_transfer_encoding": (["Content-Length: 5", "Transfer-Encoding: chunked"],
                                             "0\r\n\r\n"),
    "transfer_encoding_and_content_length": (["Transfer-Encoding: chunked", "Content-Length: 5"],
                                             "0\r\n\r\n"),
    "duplicate_equal_content_lengths": (["Content-Length: 5", "Content-Length: 5"], "hello"),
    "conflicting_content_lengths": (["Content-Length: 5", "Content-Length: 0"], "hello"),
    "content_length_comma_list": (["Content-Length: 5, 5"], "hello"),
    "content_length_comma_list_conflicting": (["Content-Length: 0, 5"], "hello"),
    "content_length_with_sign": (["Content-Length: +5"], "hello"),
    "content_length_negative": (["Content-Length: -1"], ""),
    "content_length_hex": (["Content-Length: 0x5"], "hello"),
    "content_length_with_trailing_junk": (["Content-Length: 5x"], "hello"),
    "content_length_empty": (["Content-Length:"], "hello"),
    "content_length_too_large": (["Content-Length: 99999999999999999999999"], "hello"),
    "content_length_with_space_before_colon": (["Content-Length : 5"], "hello"),
    "transfer_encoding_gzip": (["Transfer-Encoding: gzip"], "0\r\n\r\n"),
    "transfer_encoding_gzip_then_chunked": (["Transfer-Encoding: gzip, chunked"], "0\r\n\r\n"),
    "transfer_encoding_chunked_then_gzip": (["Transfer-Encoding: chunked, gzip"], "0\r\n\r\n"),
    "transfer_encoding_identity": (["Transfer-Encoding: identity", "Content-Length: 5"], "hello"),
    "transfer_encoding_chunked_twice_in_one_field": (["Transfer-Encoding: chunked, chunked"],
                                                     "0\r\n\r\n"),
    "transfer_encoding_in_two_fields": (["Transfer-Encoding: chunked",
                                         "Transfer-Encoding: chunked"], "0\r\n\r\n"),
    "transfer_encoding_lookalike": (["Transfer-Encoding: xchunked"], "0\r\n\r\n"),
    "transfer_encoding_with_vertical_tab": (["Transfer-Encoding: \x0bchunked"], "0\r\n\r\n"),
    "transfer_encoding_with_space_before_colon": (["Transfer-Encoding : chunked"], "0\r\n\r\n"),
    "obs_fold_continuing_transfer_encoding": (["Transfer-Encoding: identity", " chunked"],
                                              "0\r\n\r\n"),
    "obs_fold_with_a_tab": (["X-Note: a", "\tTransfer-Encoding: chunked"], "0\r\n\r\n"),
    "bare_cr_inside_a_value": (["X-Note: a\rTransfer-Encoding: chunked"], "0\r\n\r\n"),
    "nul_inside_a_value": (["X-Note: a\x00b", "Content-Length: 0"], ""),
    "field_line_without_colon": (["Transfer-Encoding chunked"], "0\r\n\r\n"),
    "two_host_fields": ([f"Host: other.test"], ""),
}

# Line terminators other than CRLF: the whole block is refused.
TERMINATOR_ATTACKS = {
    "bare_lf_everywhere": "\n",
    "bare_cr_everywhere": "\r",
}

# Chunked bodies that do not parse: pullgate has already read and judged
# the header; the body must still not be guessed at.
CHUNK_ATTACKS = {
    "chunk_size_not_hex": "zz\r\nhello\r\n0\r\n\r\n",
    "chunk_size_negative": "-5\r\nhello\r\n0\r\n\r\n",
    "chunk_size_with_0x": "0x5\r\nhello\r\n0\r\n\r\n",
    "chunk_size_with_leading_space": " 5\r\nhello\r\n0\r\n\r\n",
    "chunk_size_with_trailing_space": "5 \r\nhello\r\n0\r\n\r\n",
    "chunk_size_overflowing_64_bits": "10000000000000000005\r\nhello\r\n0\r\n\r\n",
    "chunk_data_longer_than_its_size": "2\r\nhello\r\n0\r\n\r\n",
    "chunk_without_crlf_after_its_data": "5\r\nhello0\r\n\r\n",
    "chunk_extension_with_unterminated_quote": "5;x=\"a\r\nhello\r\n0\r\n\r\n",
    "chunk_extension_with_control_character": "5;x=\x01\r\nhello\r\n0\r\n\r\n",
    "chunk_lines_ended_by_bare_lf": "5\nhello\n0\n\n",
}


class RequestSmugglingIsRefused(lab.LabTestCase):

    def attack(self, data, marker, *, absolute, status=400):
        conn = self.open(None if absolute else HUB)
        conn.send(data)
        response = conn.response(timeout=8)
        self.assert_refused(response, status, conn, rule="request.invalid")
        records = self.lab.wait_records(conn, 1)
        self.lab.settle(0.3)
        self.assertEqual(len(self.lab.records(conn)), 1,
                         f"one record, none for the smuggled request: {self.lab.records(conn)}")
        self.assertNotIn(marker, str(records))
        self.assertTrue(conn.closed_within(3), "the connection must be closed after a framing "
                                               "error: what follows cannot be trusted")
        self.assert_not_forwarded(marker)

    def test_ambiguous_lengths_and_encodings_are_refused_before_anything_is_forwarded(self):
        for absolute in (False, True):
            for name, (fields, body) in HEADER_ATTACKS.items():
                with self.subTest(attack=name, plain_http=absolute):
                    marker = hostile_upstream.random_marker()
                    data = head("PATCH", absolute, *fields) + "\r\n" + body + smuggled(marker,
                                                                                      absolute)
                    self.attack(data.encode("latin-1"), marker, absolute=absolute)

    def test_line_terminators_other_than_crlf_are_refused(self):
        for absolute in (False, True):
            for name, eol in TERMINATOR_ATTACKS.items():
                with self.subTest(attack=name, plain_http=absolute):
                    marker = hostile_upstream.random_marker()
                    data = (head("PATCH", absolute, "Content-Length: 0", eol=eol) + eol +
                            smuggled(marker, absolute))
                    conn = self.open(None if absolute else HUB)
                    conn.send(data.encode("latin-1"))
                    if eol == "\r":
                        # No LF at all: no header block ever ends, so the
                        # deadline answers (408), or the size limit (431).
                        response = conn.response(timeout=8)
                        self.assertIsNotNone(response)
                        self.assertIn(response.status, (400, 408, 431), response)
                    else:
                        self.assert_refused(conn.response(timeout=8), 400, conn,
                                            rule="request.invalid")
                    self.assertTrue(conn.closed_within(4))
                    self.assert_not_forwarded(marker)

    def test_a_bare_lf_in_one_line_of_an_otherwise_crlf_block_is_refused(self):
        for absolute in (False, True):
            for where in ("request_line", "field_line", "last_line"):
                with self.subTest(where=where, plain_http=absolute):
                    marker = hostile_upstream.random_marker()
                    target = f"http://{HUB}{UPLOAD}" if absolute else UPLOAD
                    lines = [f"PATCH {target} HTTP/1.1", f"Host: {HUB}", "Content-Length: 0"]
                    ends = ["\r\n"] * 3 + ["\r\n"]
                    index = {"request_line": 0, "field_line": 1, "last_line": 3}[where]
                    ends[index] = "\n"
                    data = "".join(l + e for l, e in zip(lines + [""], ends))
                    self.attack((data + smuggled(marker, absolute)).encode("latin-1"), marker,
                                absolute=absolute)

    def test_a_chunked_body_that_does_not_parse_gets_a_400_and_a_record(self):
        # The header is fine and the request allowed, so pullgate starts
        # forwarding; the body then breaks. The client must still get a
        # clear 400 (not a silently dropped connection, not a 502 blaming
        # the upstream), the record must say so, and the request hidden
        # after the broken chunk must never surface.
        for absolute in (False, True):
            for name, body in CHUNK_ATTACKS.items():
                with self.subTest(attack=name, plain_http=absolute):
                    marker = hostile_upstream.random_marker()
                    data = (head("PATCH", absolute, "Transfer-Encoding: chunked") + "\r\n" +
                            body + smuggled(marker, absolute))
                    conn = self.open(None if absolute else HUB)
                    conn.send(data.encode("latin-1"))
                    response = conn.response(timeout=8)
                    self.assertIsNotNone(response, "pullgate dropped the connection without an "
                                                   "answer to the malformed chunked body")
                    # An unterminated quoted chunk extension reads as "more
                    # to come": the parser waits, and the client is cut off
                    # at the body deadline with a 408 instead. Either way
                    # nothing after it is forwarded (pullgate re-chunks).
                    stalls = name == "chunk_extension_with_unterminated_quote"
                    expected = (400, 408) if stalls else (400,)
                    self.assertIn(response.status, expected, response)
                    record = self.lab.wait_records(conn, 1)[-1]
                    self.assertEqual(record["status"], response.status, record)
                    if response.status == 400:
                        self.assertIn("chunk", (record.get("error") or "") +
                                      record.get("reason", ""), record)
                    self.assertTrue(conn.closed_within(3))
                    self.assert_not_forwarded(marker)

    def test_a_content_length_body_that_looks_like_a_request_stays_a_body(self):
        # Control: bytes inside a declared body are the body, never a
        # request of their own; the request after the body is decided.
        for absolute in (False, True):
            with self.subTest(plain_http=absolute):
                hidden = hostile_upstream.random_marker()
                after = hostile_upstream.random_marker()
                body = smuggled(hidden, absolute)
                data = (head("PATCH", absolute, f"Content-Length: {len(body)}") + "\r\n" + body +
                        smuggled(after, absolute))
                conn = self.open(None if absolute else HUB)
                conn.send(data.encode("latin-1"))
                first, second = conn.response(), conn.response()
                self.assertEqual(first.status, 202, first)
                self.assertEqual(second.status, 403, second)
                records = self.lab.wait_records(conn, 2)
                self.assertEqual([(r["kind"], r["decision"]) for r in records],
                                 [("upload", "allow"), ("manifest", "deny")])
                self.assertEqual(records[1]["reference"], after)
                upstream = self.lab.plain if absolute else self.lab.hub
                patch = [r for r in upstream.requests if r.body == body.encode()]
                self.assertEqual(len(patch), 1, "the upstream got the body as a body")
                self.assertFalse(upstream.requests_matching(hidden))
                self.assert_not_forwarded(after)

    def test_a_well_formed_chunked_body_is_relayed_and_the_next_request_decided(self):
        for absolute in (False, True):
            with self.subTest(plain_http=absolute):
                after = hostile_upstream.random_marker()
                data = (head("PATCH", absolute, "Transfer-Encoding: chunked") +
                        "\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n" +
                        smuggled(after, absolute))
                conn = self.open(None if absolute else HUB)
                conn.send(data.encode())
                self.assertEqual(conn.response().status, 202)
                self.assertEqual(conn.response().status, 403)
                upstream = self.lab.plain if absolute else self.lab.hub
                self.assertTrue(any(r.body == b"hello world" for r in upstream.requests))
                self.assert_not_forwarded(after)

    def test_framing_attacks_are_refused_even_in_audit_mode(self):
        # policy.mode audit lets denials through; what cannot be parsed is
        # still never forwarded (fails closed).
        from harness import net, proxy
        config = dict(self.lab.config, policy=dict(lab.DEFAULT_POLICY, mode="audit"))
        address = net.loopback_address()
        config.update(listen=f"{address}:{net.free_port(address)}",
                      admin=f"{address}:{net.free_port(address)}",
                      audit_log=os.path.join(self.tmp, "audit.log"))
        audit = self.stop_later(proxy.Pullgate(self.tmp, config, name="pullgate-audit").start())
        for fields in (["Content-Length: 1", "Transfer-Encoding: chunked"],
                       ["Content-Length: 1", "Content-Length: 2"], ["Transfer-Encoding: gzip"]):
            with self.subTest(fields=fields):
                marker = hostile_upstream.random_marker()
                conn = raw.tunnel(*audit.listen, f"{HUB}:443", cafile=audit.ca_cert)[0]
                self.addCleanup(conn.close)
                conn.send((head("PATCH", False, *fields) + "\r\n0\r\n\r\n" +
                           smuggled(marker, False)).encode())
                self.assertEqual(conn.response().status, 400)
                record = audit.wait_for_audit(lambda r: r["client"] == conn.local)[-1]
                self.assertEqual((record["rule"], record["enforced"]), ("request.invalid", True))
                self.assert_not_forwarded(marker)

    def test_pullgate_still_serves_after_the_attacks(self):
        marker = hostile_upstream.random_marker()
        self.attack((head("PATCH", False, "Content-Length: 1", "Transfer-Encoding: chunked") +
                     "\r\n0\r\n\r\n" + smuggled(marker, False)).encode(), marker, absolute=False)
        self.assert_still_serving()


if __name__ == "__main__":
    testing.main()
