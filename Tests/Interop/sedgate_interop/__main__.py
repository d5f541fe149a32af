"""Command line: `python -m sedgate_interop run|send --config AP.toml --state DIR`.

run   receives until SIGTERM: listens for the CN's pushes, or pulls (`[cn] mode = "pull"`); sends `routed`
      for each SED removed from DIR/inbound/.
send  seals the SED files given and posts them to the CN in one compound message; prints the CN's answer as
      JSON ({"status", "action", "sedIds", "receipts", "fault"}). --tamper envelope|signature breaks the hop
      signature, --tamper seal the sealed SED's. --wrap-base64 writes SignatureValue and CipherValue in lines of 64
      characters (xmlsec's default) instead of one line.
"""

import argparse
import json
import signal
import sys
import threading

import xmlsec

from .config import Config
from .node import AccessPoint


def main():
    parser = argparse.ArgumentParser(prog="sedgate_interop")
    parser.add_argument("command", choices=["run", "send"])
    parser.add_argument("--config", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--tamper", choices=["envelope", "signature", "seal"])
    parser.add_argument("--wrap-base64", action="store_true")
    parser.add_argument("files", nargs="*")
    arguments = parser.parse_intermixed_args()
    node = AccessPoint(Config.load(arguments.config), arguments.state)
    if arguments.wrap_base64:
        xmlsec.base64_default_line_size(64)
    if arguments.command == "send":
        print(json.dumps(node.send(arguments.files, tamper=arguments.tamper)))
        return 0
    stop = threading.Event()
    # A parent may start us with these blocked (a Swift test's threads block them, and a child inherits its mask).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    node.run(stop)
    return 0


sys.exit(main())
