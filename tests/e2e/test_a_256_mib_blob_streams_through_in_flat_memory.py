#!/usr/bin/env python3
"""A 256 MiB blob fetched with curl through pullgate arrives intact while
pullgate's peak resident memory (VmHWM) grows by less than 32 MiB and stays
under 64 MiB: bodies are streamed through bounded buffers, never held whole
(issue 2, STYLE rule 8). Under ASan, whose own reservations put the
absolute figure near 200 MiB before the first request, the growth bound
alone applies."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, image, testing, world  # noqa: E402

BLOB_SIZE = 256 * 1024 * 1024
PEAK_RSS_LIMIT_KIB = 64 * 1024
GROWTH_LIMIT_KIB = 32 * 1024


class A256MibBlobStreamsThroughInFlatMemory(testing.E2ETestCase):
    def test_the_blob_hashes_right_and_peak_rss_stays_flat(self):
        testing.require_tools("curl", "docker-registry", "openssl")
        hub = world.World(self.tmp)
        self.stop_later(hub)
        source = os.path.join(self.tmp, "big.bin")
        digest = image.random_file(source, BLOB_SIZE)
        hub.hub.upload_blob("library/big", source, digest)
        os.remove(source)  # keep the disk footprint to one copy at a time

        pullgate = self.stop_later(hub.start_pullgate(self.tmp))
        before = pullgate.peak_rss_kib()
        received = os.path.join(self.tmp, "received.bin")
        result = clients.curl(f"https://{world.HUB}/v2/library/big/blobs/{digest}",
                              workdir=os.path.join(self.tmp, "curl"), proxy=pullgate.proxy_url,
                              cacert=pullgate.ca_cert, output=received, timeout=150)
        peak = pullgate.peak_rss_kib()
        print(f"\npullgate peak RSS (VmHWM): {peak / 1024:.1f} MiB after a 256 MiB blob "
              f"({before / 1024:.1f} MiB before it); "
              f"transfer {result.transfers[0].get('time_total', 0):.1f}s", file=sys.stderr)

        self.assertEqual(result.exit_code, 0, result)
        self.assertEqual(result.status, 200, result)
        self.assertEqual(os.path.getsize(received), BLOB_SIZE)
        self.assertEqual("sha256:" + image.sha256_file(received), digest)
        self.assertLess(peak - before, GROWTH_LIMIT_KIB,
                        f"pullgate's peak RSS grew {peak - before} KiB during a "
                        f"{BLOB_SIZE >> 20} MiB blob")
        if not pullgate.sanitized():
            self.assertLess(peak, PEAK_RSS_LIMIT_KIB,
                            f"pullgate's peak RSS was {peak} KiB for a {BLOB_SIZE >> 20} MiB blob")

        record = pullgate.wait_for_audit(lambda r: r.get("kind") == "blob",
                                         what="the blob's record")[0]
        self.assertEqual((record["status"], record["bytes"], record["reference"]),
                         (200, BLOB_SIZE, digest))


if __name__ == "__main__":
    testing.main()
