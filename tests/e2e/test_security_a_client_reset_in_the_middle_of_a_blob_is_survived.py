#!/usr/bin/env python3
"""A client that resets its connection in the middle of a blob (issue 4):
in a download, pullgate stops relaying, drops the upstream connection,
records the blob with the bytes actually sent and the error, and serves
the next pull; in an upload, the record says the client went away (not
a 2xx, not the upstream's fault) and the half-sent body is not completed
by anyone. Both on plain HTTP and inside a tunnel, repeatedly, with no
file descriptors left behind."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, net, raw, testing  # noqa: E402

HUB = lab.HUB
BLOB = 64 * 1024 * 1024


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def upstream_socket_count(pid, listen_port):
    """pullgate's established TCP connections on which it is the client:
    its upstream connections, kept idle in its pool for reuse (bounded,
    and closed after 30 s), which are not a leak."""
    established = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if fields[3] == "01":  # ESTABLISHED
                    established[fields[9]] = local_port
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inode = target[len("socket:["):-1]
            if inode in established and established[inode] != listen_port:
                count += 1
    return count


class AClientResetInTheMiddleOfABlobIsSurvived(lab.LabTestCase):
    lab_options = {"hub_kwargs": {"blob_size": BLOB}}

    def blob_request(self, plain, marker):
        path = f"/v2/{lab.ALLOWED}/blobs/{hostile_upstream.blob_digest(marker)}"
        conn = self.open() if plain else self.open(HUB)
        conn.send(raw.request_bytes("GET", f"http://{HUB}{path}" if plain else path, HUB))
        return conn

    def test_a_reset_during_a_download_is_recorded_and_the_next_pull_works(self):
        pid = self.lab.pullgate.process.pid
        self.assert_still_serving()
        baseline = fd_count(pid)
        for plain in (False, True):
            for round_ in range(3):
                with self.subTest(plain_http=plain, round=round_):
                    marker = hostile_upstream.random_marker()
                    conn = self.blob_request(plain, marker)
                    got = 0
                    deadline = time.monotonic() + 10
                    while got < 1024 * 1024 and time.monotonic() < deadline:
                        chunk = conn.sock.recv(65536)
                        if not chunk:
                            break
                        got += len(chunk)
                    self.assertGreaterEqual(got, 1024 * 1024, "the blob started to flow")
                    conn.reset()
                    record = self.lab.wait_records(conn, 1)[-1]
                    self.assertEqual((record["kind"], record["status"]), ("blob", 200))
                    self.assertLess(record["bytes"], BLOB, "not recorded as complete")
                    self.assertTrue(record.get("error"), "the record says the transfer broke")
                    self.assert_still_serving()
        # Idle upstream connections wait in pullgate's pool (at most 8 per
        # upstream and I/O thread): everything else must be given back.
        listen_port = int(self.lab.listen[1])
        pooled = lambda: upstream_socket_count(pid, listen_port)  # noqa: E731
        net.wait_until(lambda: fd_count(pid) - pooled() <= baseline + 2, 10,
                       f"pullgate's descriptors back near {baseline} besides its pooled "
                       f"upstream connections (now {fd_count(pid)}, {pooled()} pooled)")
        self.assertLessEqual(pooled(), 2 * 8 * 2, "the pool is bounded")

    def test_a_reset_during_an_upload_is_recorded_as_the_client_going_away(self):
        for plain in (False, True):
            with self.subTest(plain_http=plain):
                marker = hostile_upstream.random_marker()
                path = f"/v2/{lab.ALLOWED}/blobs/uploads/{marker}"
                conn = self.open() if plain else self.open(HUB)
                conn.send(raw.request_bytes("PATCH", f"http://{HUB}{path}" if plain else path,
                                            HUB, ["Content-Length: 10000000"]))
                conn.send(b"u" * 1_000_000)
                time.sleep(0.3)
                conn.reset()
                record = self.lab.wait_records(conn, 1)[-1]
                self.assertEqual(record["kind"], "upload")
                self.assertNotIn(record["status"], (200, 201, 202, 502, 504), record)
                self.assertIn("client", (record.get("error") or "").lower(), record)
                self.assertFalse([r for r in self.lab.hub.requests + self.lab.plain.requests
                                  if marker in r.target], "no upstream saw a complete upload")
        self.assert_still_serving()


if __name__ == "__main__":
    testing.main()
