"""Compound messages: SOAP 1.2 in MTOM/XOP, one binary part per sealed SED (Protocol.md, "The compound message").

Writing: build the XOP-inline form (each sg:SED holding the base64 of its sealed SED), sign it, then replace each
sg:SED's content by an xop:Include and move the bytes into a MIME part, changing no other byte of the root part.
Reading: take the boundary and the root from the HTTP Content-Type, put back the base64 of each part where its
xop:Include was, and verify the result.
"""

import base64
import email
import email.policy
import os
import re
import urllib.parse

from lxml import etree

from . import security, wire
from .wire import ENV, SG, WSU

ROOT_ID = "root.message@sedgate"
SIGNED = ["msg-id", "msg-action", "msg-from", "msg-to", "compound", "body"]


def content_type(boundary):
    return (
        'multipart/related; type="application/xop+xml"; start="<%s>"; start-info="application/soap+xml"; '
        'boundary="%s"' % (ROOT_ID, boundary)
    )


def write(sender, receiver, seds, key_path, certificate_path, tamper=None, message_id=None):
    """A Deliver from `sender` to `receiver` carrying `seds` [(sed id, envelope fields, sealed bytes)].

    Returns (Content-Type, body, wsa:MessageID). `tamper` breaks the hop signature after signing, for negative
    tests: "envelope" changes one character of a listed envelope, "signature" one of the SignatureValue.
    """
    message_id = message_id or wire.new_message_id()
    items = "\n".join(
        '<sg:Item sedId="%s">%s</sg:Item>' % (sed_id, security.wire_envelope(fields)) for sed_id, fields, _ in seds
    )
    inline = "\n".join(
        '<sg:SED sedId="%s">%s</sg:SED>' % (sed_id, base64.b64encode(sealed).decode()) for sed_id, _, sealed in seds
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env="%s" xmlns:wsa="%s" xmlns:sg="%s" '
        'xmlns:wsu="%s">\n<env:Header>\n%s\n<sg:Compound wsu:Id="compound" count="%d">\n%s\n</sg:Compound>\n'
        '</env:Header>\n<env:Body wsu:Id="body">\n%s\n</env:Body>\n</env:Envelope>\n'
    ) % (
        ENV, wire.WSA, SG, WSU, wire.header_blocks("Deliver", sender, receiver, message_id, ids=True), len(seds),
        items, inline,
    )
    root = etree.fromstring(text.encode(), wire.parser())
    security.sign(root, SIGNED, key_path, certificate_path)
    signed = security.serialize(root)
    if tamper == "envelope":
        signed = re.sub(rb"(<sg:Item [^>]*>.*?<sed:CaseId>)(.)", _other_character, signed, count=1)
    elif tamper == "signature":
        signed = re.sub(rb"(<ds:SignatureValue>)(.)", _other_character, signed, count=1)
    tag = os.urandom(8).hex()
    boundary = "MIMEBoundary_sedgate_" + os.urandom(16).hex()
    parts = []

    def include(match):
        cid = "part%d.%s@sedgate" % (len(parts) + 1, tag)
        parts.append((cid, base64.b64decode(match.group(2))))
        href = urllib.parse.quote(cid, safe="@.")
        include = '<xop:Include xmlns:xop="%s" href="cid:%s"/>' % (wire.XOP, href)
        return match.group(1) + include.encode() + b"</sg:SED>"

    root_part = re.sub(rb'(<sg:SED sedId="[^"]+">)([A-Za-z0-9+/=]+)</sg:SED>', include, signed)
    crlf = b"\r\n"
    body = b"--" + boundary.encode() + crlf
    body += (
        b'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\n'
        b"Content-Transfer-Encoding: 8bit\r\nContent-ID: <" + ROOT_ID.encode() + b">\r\n\r\n" + root_part
    )
    for cid, data in parts:
        body += crlf + b"--" + boundary.encode() + crlf
        body += b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
        body += b"Content-ID: <" + cid.encode() + b">\r\n\r\n" + data
    body += crlf + b"--" + boundary.encode() + b"--" + crlf
    return content_type(boundary), body, message_id


def _other_character(match):
    """The match with its last character replaced by another one (a tampered byte)."""
    return match.group(1) + (b"A" if match.group(2) != b"A" else b"B")


class Compound:
    """A compound message read and checked: its header, and [(sed id, listed envelope, sealed bytes)]."""

    def __init__(self, message, seds, signer):
        self.message = message
        self.seds = seds
        self.signer = signer


def read(mime_type, body, ca_path):
    """Parses, resolves and verifies a compound message; raises security.Refusal (a Sender fault)."""
    message = email.message_from_bytes(
        b"MIME-Version: 1.0\r\nContent-Type: " + mime_type.encode() + b"\r\n\r\n" + body,
        policy=email.policy.default)
    if message.get_content_type() != "multipart/related":
        raise security.Refusal("protocol-violation", "not a multipart/related message")
    parts = {}
    first = None
    for part in message.iter_parts():
        cid = (part["Content-ID"] or "").strip().strip("<>")
        if not cid or cid in parts:
            raise security.Refusal("protocol-violation", "a MIME part without a unique Content-ID")
        if (part["Content-Transfer-Encoding"] or "binary").lower() not in ("binary", "8bit", "7bit"):
            raise security.Refusal("protocol-violation", "a transfer encoding other than binary, 8bit, 7bit")
        parts[cid] = part.get_payload(decode=True)
        first = first or cid
    start = (message.get_param("start") or "<%s>" % first).strip("<>")
    root = parts.pop(start, None)
    if root is None:
        raise security.Refusal("protocol-violation", "no root part %s" % start)

    def resolve(match):
        cid = urllib.parse.unquote(match.group(1).decode())
        if cid not in parts:
            raise security.Refusal("protocol-violation", "xop:Include names no part: %s" % cid)
        return base64.b64encode(parts[cid])

    inline = re.sub(rb'<(?:[A-Za-z_][\w.-]*:)?Include\s[^>]*?href="cid:([^"]+)"[^>]*/>', resolve, root)
    try:
        document = etree.fromstring(inline, wire.parser())
    except etree.XMLSyntaxError as error:
        raise security.Refusal("malformed-xml", "the root part is not well-formed: %s" % error)
    signer = security.verify(document, SIGNED, ca_path)
    header = wire.Message(document)
    compound = document.find("{%s}Header/{%s}Compound" % (ENV, SG))
    items = compound.findall("{%s}Item" % SG) if compound is not None else []
    carried = document.find("{%s}Body" % ENV).findall("{%s}SED" % SG)
    if compound is None or int(compound.get("count", "-1")) != len(items) or len(items) != len(carried):
        raise security.Refusal("protocol-violation", "count, the items and the body disagree")
    seds = []
    for item, sed in zip(items, carried):
        if item.get("sedId") != sed.get("sedId"):
            raise security.Refusal("protocol-violation", "the body's SEDs are not in the listed order")
        fields = security.envelope_fields(item.find("{%s}Envelope" % wire.SED))
        seds.append((item.get("sedId"), fields, base64.b64decode("".join((sed.text or "").split()))))
    return Compound(header, seds, signer)
