"""The node's settings, read from a sedgate access point's TOML file (the keys Protocol.md names)."""

import dataclasses
import os
import tomllib


@dataclasses.dataclass
class Config:
    """What the access point needs: its identity and keys, the CN, its routes and the other APs' certificates."""

    node_id: str
    host: str
    port: int
    certificate: str
    private_key: str
    ca: str
    cn_id: str
    cn_url: str
    mode: str
    poll_ms: int
    routes: dict
    certificates: str

    @staticmethod
    def load(path):
        with open(path, "rb") as file:
            table = tomllib.load(file)
        tls = table["tls"]
        cn = table["cn"]
        directory = table.get("directory", {}).get("certificates") or os.path.dirname(tls["ca"])
        return Config(
            node_id=table["node"]["id"],
            host=table.get("server", {}).get("host", "127.0.0.1"),
            port=int(table.get("server", {}).get("port", 0)),
            certificate=tls["certificate"],
            private_key=tls["private-key"],
            ca=tls["ca"],
            cn_id=cn.get("id", "CN"),
            cn_url=cn["url"],
            mode=cn.get("mode", "push"),
            poll_ms=int(cn.get("poll-ms", 1000)),
            routes=dict(table.get("routes", {})),
            certificates=directory,
        )

    def route(self, receiver):
        """The AP serving institution `receiver`: the most specific entry (DK:0002:AAR, then DK:0002, then DK)."""
        parts = receiver.split(":")
        for count in range(len(parts), 0, -1):
            key = ":".join(parts[:count])
            if key in self.routes:
                return self.routes[key]
        raise KeyError("no route for %s" % receiver)

    def certificate_of(self, node_id):
        """The PEM path of another node's certificate: <node id>.crt in the certificates folder."""
        return os.path.join(self.certificates, node_id + ".crt")
