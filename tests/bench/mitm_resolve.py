"""mitmdump addon for the benchmark: connect to a fixed address for the
benchmark's host names, as `curl --resolve` does, so the machine's
/etc/hosts is left alone. Only the address changes: SNI and the upstream
certificate check still use the name the client asked for.

    mitmdump -s mitm_resolve.py --set bench_resolve=NAME=ADDRESS[,*.SUFFIX=ADDRESS…]
"""

from mitmproxy import ctx


class Resolve:
    def load(self, loader):
        loader.add_option("bench_resolve", str, "",
                          "NAME=ADDRESS entries, comma-separated; NAME may be *.SUFFIX")

    def server_connect(self, data):
        host, port = data.server.address
        for entry in filter(None, ctx.options.bench_resolve.split(",")):
            name, address = entry.split("=", 1)
            if host == name or (name.startswith("*.") and host.endswith(name[1:])):
                data.server.address = (address, port)
                return


addons = [Resolve()]
