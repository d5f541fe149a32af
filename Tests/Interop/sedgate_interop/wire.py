"""Simple SOAP 1.2 messages of the protocol (Receipt, Pull, Fault, Empty) and reading any message's header.

Protocol.md, "Namespaces and addressing", "Receipts", "Faults". Simple messages are not signed: mutual TLS
authenticates them.
"""

import datetime
import uuid
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

ENV = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
SG = "urn:eessi:sedgate:protocol:1"
SED = "urn:eessi:sedgate:sed:1"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XOP = "http://www.w3.org/2004/08/xop/include"

ACTION = "urn:eessi:sedgate:1:"
SOAP_TYPE = "application/soap+xml; charset=utf-8"


def node_address(node_id):
    return "urn:eessi:node:" + node_id


def node_of(address):
    """The node id in `urn:eessi:node:<id>`, or None."""
    prefix = "urn:eessi:node:"
    return address[len(prefix):] if address and address.startswith(prefix) else None


def new_message_id():
    return "urn:uuid:" + str(uuid.uuid4())


def now():
    """ISO 8601 UTC with milliseconds, as sedgate writes `at`."""
    moment = datetime.datetime.now(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def parser():
    """A parser that refuses what a hostile peer could abuse: entities, network access, DTDs."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def header_blocks(action, sender, receiver, message_id, relates_to=None, ids=False):
    """The header blocks every message starts with, in the article's order (wsu:Ids for a compound message)."""

    def id_attribute(name):
        return ' wsu:Id="%s"' % name if ids else ""

    lines = [
        '<sg:Protocol version="1"/>',
        "<wsa:MessageID%s>%s</wsa:MessageID>" % (id_attribute("msg-id"), message_id),
        "<wsa:Action%s>%s%s</wsa:Action>" % (id_attribute("msg-action"), ACTION, action),
        "<wsa:From%s><wsa:Address>%s</wsa:Address></wsa:From>" % (id_attribute("msg-from"), node_address(sender)),
        "<wsa:To%s>%s</wsa:To>" % (id_attribute("msg-to"), node_address(receiver)),
    ]
    if relates_to:
        lines.append("<wsa:RelatesTo>%s</wsa:RelatesTo>" % relates_to)
    return "\n".join(lines)


def simple(action, sender, receiver, body, relates_to=None, message_id=None):
    """A whole simple message, as bytes."""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<env:Envelope xmlns:env="%s" xmlns:wsa="%s" xmlns:sg="%s">\n<env:Header>\n%s\n</env:Header>\n'
        "<env:Body>\n%s\n</env:Body>\n</env:Envelope>\n"
    ) % (ENV, WSA, SG, header_blocks(action, sender, receiver, message_id or new_message_id(), relates_to), body)
    return text.encode("utf-8")


def receipt_element(sed_id, kind, node, at=None, reason=None, code=None):
    text = '<sg:Receipt sedId="%s" kind="%s" node="%s" at="%s"' % (sed_id, kind, node, at or now())
    if reason is not None:
        text += " reason=%s" % quoteattr(reason)
    if code is not None:
        text += ' code="%s"' % code
    return text + "/>"


def fault_body(side, code, reason):
    return (
        "<env:Fault>\n<env:Code><env:Value>env:%s</env:Value><env:Subcode><env:Value>sg:%s</env:Value></env:Subcode>"
        '</env:Code>\n<env:Reason><env:Text xml:lang="en">%s</env:Text></env:Reason>\n</env:Fault>'
    ) % (side, code, escape(reason))


class Message:
    """What a reader needs of any message: its header blocks, its receipts, its fault."""

    def __init__(self, root):
        self.root = root
        header = root.find("{%s}Header" % ENV)
        self.header = header

        def text(path):
            element = header.find(path) if header is not None else None
            return element.text.strip() if element is not None and element.text else None

        protocol = header.find("{%s}Protocol" % SG) if header is not None else None
        self.version = protocol.get("version") if protocol is not None else None
        self.message_id = text("{%s}MessageID" % WSA)
        action = text("{%s}Action" % WSA) or ""
        self.action = action[len(ACTION):] if action.startswith(ACTION) else action
        self.sender = node_of(text("{%s}From/{%s}Address" % (WSA, WSA)))
        self.receiver = node_of(text("{%s}To" % WSA))
        self.relates_to = text("{%s}RelatesTo" % WSA)
        self.body = root.find("{%s}Body" % ENV)
        self.receipts = [dict(element.attrib) for element in self.body.iter("{%s}Receipt" % SG)]
        self.fault = None
        fault = self.body.find("{%s}Fault" % ENV)
        if fault is not None:
            side = fault.findtext("{%s}Code/{%s}Value" % (ENV, ENV)) or ""
            code = fault.findtext("{%s}Code/{%s}Subcode/{%s}Value" % (ENV, ENV, ENV)) or ""
            retry = fault.findtext("{%s}Detail/{%s}RetryAfter" % (ENV, SG))
            # Fault code QNames are read by their local part (Protocol.md, "Namespaces and addressing").
            self.fault = {
                "side": side.split(":")[-1],
                "code": code.split(":")[-1],
                "reason": fault.findtext("{%s}Reason/{%s}Text" % (ENV, ENV)),
                "retryAfter": int(retry) if retry else None,
            }

    @staticmethod
    def parse(data):
        return Message(etree.fromstring(data, parser()))
