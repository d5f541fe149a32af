"""An access point for the sedgate protocol, written from Sources/Transport/Transport.docc/Protocol.md alone.

It exists so that the article and the Swift code cannot drift apart: the end-to-end test InteropTests runs it
against real sedgate nodes. Modules, one concern each:

- config: the node's settings, read from the same TOML file a sedgate access point uses;
- der: the subject common name of a DER certificate (the node identity);
- wire: simple SOAP messages (Receipt, Pull, Fault, Empty) and reading any reply;
- security: WS-Security signatures, sealing and opening SEDs (xmlsec);
- compound: compound MTOM messages, written and read;
- transport: HTTPS with mutual TLS, client and server;
- node: the access point itself: send, receive (push or pull), receipts, a small state directory.
"""
