"""OCI image layouts generated at test time, and skopeo to move them.

Tests need images whose every byte and digest they know, without pulling
anything from the internet: a single-platform image with one random layer
of N bytes, and a multi-architecture index with two platforms (what
`docker pull alpine` really fetches). Layers are gzip-compressed tars
with fixed timestamps, so skopeo pushes them unchanged and digests
compare exactly (`--preserve-digests` makes skopeo fail rather than
rewrite anything).

skopeo runs with `--insecure-policy` and an empty registries.conf, so a
machine's own mirror or short-name configuration cannot change where an
image comes from.
"""

import gzip
import hashlib
import io
import json
import os
import tarfile

from . import procs

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha256_file(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def random_file(path, size, chunk=1 << 20):
    """Write `size` random bytes to `path`, streaming; returns
    "sha256:HEX"."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(chunk, left))
            h.update(block)
            f.write(block)
            left -= len(block)
    return "sha256:" + h.hexdigest()


class Layout:
    """An OCI layout directory with one tagged entry. `digest` is the
    top-level digest (a manifest, or an index for multi-arch);
    `manifests` the image manifests; `blobs` maps every digest to its
    size."""

    def __init__(self, path, tag):
        self.path = path
        self.tag = tag
        self.digest = None
        self.media_type = None
        self.manifests = []
        self.layers = []
        self.blobs = {}
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    @property
    def reference(self):
        """The skopeo name: oci:PATH:TAG."""
        return f"oci:{self.path}:{self.tag}"

    def put(self, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.path, "blobs", "sha256", digest[7:]), "wb") as f:
            f.write(data)
        self.blobs[digest] = len(data)
        return {"digest": digest, "size": len(data)}

    def tag_top(self, media_type, descriptor):
        self.digest, self.media_type = descriptor["digest"], media_type
        entry = dict(descriptor, mediaType=media_type,
                     annotations={"org.opencontainers.image.ref.name": self.tag})
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": INDEX, "manifests": [entry]}, f)


def _layer(size):
    """A gzip'd tar with one file of `size` random bytes; returns
    (compressed bytes, diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("payload.bin")
        info.size, info.mtime, info.mode = size, 0, 0o644
        t.addfile(info, io.BytesIO(os.urandom(size)))
    tar = raw.getvalue()
    compressed = gzip.compress(tar, mtime=0)
    return compressed, "sha256:" + hashlib.sha256(tar).hexdigest()


def _add_manifest(layout, layer_size, os_name, arch):
    data, diff_id = _layer(layer_size)
    layer = layout.put(data)
    layout.layers.append(layer["digest"])
    config = layout.put(json.dumps({
        "architecture": arch, "os": os_name, "created": "2026-01-01T00:00:00Z",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "config": {"Cmd": ["/payload.bin"]},
    }, sort_keys=True).encode())
    manifest = layout.put(json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": dict(config, mediaType=CONFIG),
        "layers": [dict(layer, mediaType=LAYER)],
    }, sort_keys=True).encode())
    layout.manifests.append(manifest["digest"])
    return manifest


def make_image(path, *, tag="latest", layer_size=1024, platform=("linux", "amd64")):
    """A single-platform image with one random layer of `layer_size`
    bytes (before compression)."""
    layout = Layout(path, tag)
    layout.tag_top(MANIFEST, _add_manifest(layout, layer_size, *platform))
    return layout


def make_multiarch_image(path, *, tag="latest", layer_size=1024,
                         platforms=(("linux", "amd64"), ("linux", "arm64"))):
    """An image index with one image per platform, each with its own
    random layer."""
    layout = Layout(path, tag)
    entries = []
    for os_name, arch in platforms:
        manifest = _add_manifest(layout, layer_size, os_name, arch)
        entries.append(dict(manifest, mediaType=MANIFEST,
                            platform={"os": os_name, "architecture": arch}))
    index = layout.put(json.dumps({"schemaVersion": 2, "mediaType": INDEX,
                                   "manifests": entries}, sort_keys=True).encode())
    layout.tag_top(INDEX, index)
    return layout


def read_layout_top(path):
    """(media type, digest) of the single entry of a layout's index.json:
    what a pull into `oci:PATH:TAG` stored."""
    with open(os.path.join(path, "index.json")) as f:
        entries = json.load(f)["manifests"]
    if len(entries) != 1:
        raise AssertionError(f"{path}/index.json has {len(entries)} entries, expected 1")
    return entries[0]["mediaType"], entries[0]["digest"]


def verify_layout_blobs(path):
    """Check that every blob in a layout hashes to its name; returns how
    many there are."""
    directory = os.path.join(path, "blobs", "sha256")
    names = os.listdir(directory)
    for name in names:
        actual = sha256_file(os.path.join(directory, name))
        if actual != name:
            raise AssertionError(f"blob {name} in {path} hashes to {actual}")
    return len(names)


def _skopeo_env(workdir, proxy_url):
    conf = os.path.join(workdir, "registries.conf")
    if not os.path.exists(conf):
        with open(conf, "w") as f:
            f.write("unqualified-search-registries = []\n")
    extra = {"CONTAINERS_REGISTRIES_CONF": conf,
             "REGISTRY_AUTH_FILE": os.path.join(workdir, "auth.json"),
             "HOME": workdir}
    if proxy_url:
        extra["HTTPS_PROXY"] = proxy_url
        extra["HTTP_PROXY"] = proxy_url
    return procs.clean_env(extra)


def skopeo_copy(source, destination, *, workdir, proxy_url=None, src_cert_dir=None,
                dest_cert_dir=None, all_images=False, timeout=120, check=True, digestfile=None,
                extra=()):
    """`skopeo copy SOURCE DESTINATION`, through pullgate when `proxy_url`
    is given (HTTPS_PROXY). Cert dirs hold the CA to trust: pullgate's
    when going through it, the registry's own root when not."""
    args = ["skopeo", "--insecure-policy", "copy", "--preserve-digests", "--retry-times", "0"]
    if all_images:
        args.append("--all")
    if src_cert_dir:
        args += ["--src-cert-dir", src_cert_dir]
    if dest_cert_dir:
        args += ["--dest-cert-dir", dest_cert_dir]
    if digestfile:
        args += ["--digestfile", digestfile]
    args += [*extra, source, destination]
    return procs.run(args, timeout, env=_skopeo_env(workdir, proxy_url), check=check)


def skopeo_inspect_raw(reference, *, workdir, proxy_url=None, cert_dir=None, timeout=60):
    """The raw manifest bytes of `reference`, as skopeo fetched them."""
    args = ["skopeo", "--insecure-policy", "inspect", "--raw", "--retry-times", "0"]
    if cert_dir:
        args += ["--cert-dir", cert_dir]
    args.append(reference)
    return procs.run(args, timeout, env=_skopeo_env(workdir, proxy_url), text=False).stdout


def push_direct(layout, registry, repository, *, cert_dir, workdir, timeout=120):
    """Push `layout` straight to `registry` (no proxy), by its address,
    which its certificate names. Returns the pushed top-level digest."""
    digestfile = os.path.join(workdir, "pushed.digest")
    skopeo_copy(layout.reference, f"docker://{registry.endpoint}/{repository}:{layout.tag}",
                workdir=workdir, dest_cert_dir=cert_dir,
                all_images=layout.media_type == INDEX, timeout=timeout, digestfile=digestfile)
    with open(digestfile) as f:
        return f.read().strip()


def push_through(layout, pullgate, reference, *, workdir, timeout=120):
    """Push `layout` to `reference` (docker://HOST/REPO:TAG) through
    `pullgate` (a proxy.Pullgate), trusting its CA as a client would."""
    return skopeo_copy(layout.reference, reference, workdir=workdir,
                       proxy_url=pullgate.proxy_url, dest_cert_dir=pullgate.cert_dir(),
                       all_images=layout.media_type == INDEX, timeout=timeout)
