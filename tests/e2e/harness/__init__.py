"""pullgate's end-to-end harness: real servers and clients on loopback.

Every test starts what it needs (CAs made with the openssl CLI, Debian's
docker-registry, pullgate itself, skopeo/curl/openssl as clients), bounds
every wait, and stops everything it started, also when it fails. The
modules are small on purpose; each docstring says why it exists.

Modules: procs (subprocesses, cleanup), net (addresses, ports, waits),
pki (certificates), registry (docker-registry), image (OCI layouts,
skopeo), proxy (pullgate), clients (curl, openssl s_client, a raw tunnel),
world (a fake Docker Hub), testing (unittest conventions).
"""
