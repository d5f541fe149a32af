"""The access point: sends SEDs to the CN, receives SEDs (pushed or pulled), answers and keeps receipts.

State lives in one directory, each fact a file written atomically:
  sent/<sed id>.json                  a SED this AP sent (written before it is posted)
  receipts/<sed id>.<kind>.json       a receipt for a SED it sent: from the CN's reply or relayed
  inbound/<sed id>.xml                a SED received, verified and decrypted (remove it to send `routed`)
  seen/<sed id>                       the seen-set: a SED id received is never landed twice
  routed/<sed id>                     the `routed` receipt the CN acknowledged
  ready                               written once the AP listens (push) or has pulled once (pull)
  log                                 one line per event, for a human
"""

import json
import os
import re
import threading
import uuid

from lxml import etree

from . import compound, security, transport, wire
from .security import Refusal
from .wire import SED

# The HTTP status of a Sender fault, by code (Protocol.md, "HTTP status codes").
SENDER_STATUS = {"unauthorized": 403, "hostile-input": 400}


class AccessPoint:
    def __init__(self, config, state):
        self.config = config
        self.state = state
        for folder in ("sent", "receipts", "inbound", "seen", "routed"):
            os.makedirs(os.path.join(state, folder), exist_ok=True)
        self.lock = threading.Lock()

    # MARK: - State

    def path(self, *parts):
        return os.path.join(self.state, *parts)

    def write(self, relative, data):
        """Writes a state file whole: a temporary name, fsync, rename, fsync of the folder (acknowledged means on
        disk: a receipt is given only after this)."""
        target = self.path(relative)
        temporary = os.path.join(os.path.dirname(target), ".tmp-" + uuid.uuid4().hex)
        with open(temporary, "wb") as file:
            file.write(data if isinstance(data, bytes) else data.encode())
            file.flush()
            os.fsync(file.fileno())
        os.rename(temporary, target)
        folder = os.open(os.path.dirname(target), os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def log(self, text):
        with self.lock, open(self.path("log"), "a") as file:
            file.write("%s %s\n" % (wire.now(), text))

    def record_receipt(self, receipt, how):
        self.write("receipts/%s.%s.json" % (receipt["sedId"].lower(), receipt["kind"]), json.dumps(receipt))
        self.log("receipt %s %s from %s (%s)" % (receipt["kind"], receipt["sedId"], receipt.get("node"), how))

    # MARK: - Sending

    def complete(self, data):
        """The SED with the fields the sending AP fills in (SedId, SendingAP, CreatedAt) inserted right after the
        <Envelope> start tag when missing, never re-serialised; and its envelope fields."""
        fields = security.envelope_fields(etree.fromstring(data, wire.parser()).find("{%s}Envelope" % SED))
        start = re.search(rb"<((?:[A-Za-z_][\w.-]*:)?)Envelope(\s[^>]*)?>", data)
        prefix = start.group(1).decode()
        added = ""
        for name, value in (("SedId", str(uuid.uuid4())), ("SendingAP", self.config.node_id),
                            ("CreatedAt", wire.now())):
            if name not in fields:
                added += "<%s%s>%s</%s%s>" % (prefix, name, value, prefix, name)
                fields[name] = value
        if added:
            data = data[:start.end()] + added.encode() + data[start.end():]
        fields["SedId"] = fields["SedId"].lower()
        return data, fields

    def send(self, files, tamper=None):
        """Seals `files` and posts them to the CN in one compound message; returns what the CN answered."""
        seds = []
        for name in files:
            with open(name, "rb") as file:
                data, fields = self.complete(file.read())
            fields["ReceivingAP"] = self.config.route(fields["Receiver"])
            sealed = security.seal(
                data, fields, self.config.certificate_of(fields["ReceivingAP"]), self.config.private_key,
                self.config.certificate, tamper=(tamper == "seal"))
            seds.append((fields["SedId"], fields, sealed))
            self.write("sent/%s.json" % fields["SedId"], json.dumps({"file": name, "envelope": fields}))
        content_type, body, message_id = compound.write(
            self.config.node_id, self.config.cn_id, seds, self.config.private_key, self.config.certificate,
            tamper=tamper if tamper in ("envelope", "signature") else None)
        reply = transport.post(self.config, content_type, body)
        message = wire.Message.parse(reply.body)
        # A fault for a message refused before it was verified (malformed, a signature that does not verify)
        # relates to nothing: nothing in it was trusted. Only a reply naming another message is wrong.
        if message.relates_to not in (None, message_id):
            raise Refusal("protocol-violation", "the reply relates to %s, not %s" % (message.relates_to, message_id))
        for receipt in message.receipts:
            self.record_receipt(receipt, "reply")
        if message.fault:
            self.log("fault %s %s: %s" % (reply.status, message.fault["code"], message.fault["reason"]))
        return {
            "status": reply.status, "action": message.action, "sedIds": [sed[0] for sed in seds],
            "receipts": message.receipts, "fault": message.fault,
        }

    # MARK: - Receiving

    def land(self, seds):
        """Opens each sealed SED of a compound message and lands it; one receipt per SED."""
        receipts = []
        for sed_id, _, sealed in seds:
            try:
                opened_id, clear, _ = security.open_sealed(sealed, self.config, listed_id=sed_id)
                if not os.path.exists(self.path("seen", opened_id)):
                    name = opened_id + ".xml"
                    self.write("inbound/" + name, clear)
                    self.write("seen/" + opened_id, name)
                    self.log("landed %s (%d bytes)" % (opened_id, len(clear)))
                receipts.append(wire.receipt_element(opened_id, "delivered", self.config.node_id))
            except Refusal as refusal:
                self.log("refused %s: %s" % (sed_id, refusal))
                receipts.append(wire.receipt_element(
                    sed_id, "failed", self.config.node_id,
                    reason="[%s] SED %s: %s" % (refusal.code, sed_id, refusal.reason), code=refusal.code))
        return receipts

    def acknowledge(self, receipts, how):
        """Records receipts relayed for SEDs this AP sent; the acknowledgement, or raises not-found."""
        answers = []
        for receipt in receipts:
            if not os.path.exists(self.path("sent", receipt["sedId"].lower() + ".json")):
                raise Refusal("not-found", "AP %s never sent SED %s" % (self.config.node_id, receipt["sedId"]))
        for receipt in receipts:
            self.record_receipt(receipt, how)
            answers.append(wire.receipt_element(receipt["sedId"], receipt["kind"], self.config.node_id))
        return answers

    def fault(self, status, side, code, reason, sender, relates_to):
        body = wire.simple(
            "Fault", self.config.node_id, sender or self.config.cn_id, wire.fault_body(side, code, reason), relates_to)
        return status, {"Content-Type": wire.SOAP_TYPE}, body

    def handle(self, peer, content_type, body):
        """One pushed request from the CN: a Deliver or a relayed Receipt. Returns (status, headers, body)."""
        kind = content_type.strip().lower()
        if not (kind.startswith("application/soap+xml") or kind.startswith("multipart/related")):
            return self.fault(415, "Sender", "protocol-violation", "Content-Type %r" % content_type, peer, None)
        message = None
        try:
            if kind.startswith("multipart/related"):
                delivery = compound.read(content_type, body, self.config.ca)
                message = delivery.message
                self.check_peer(message, peer, delivery.signer)
                if message.action != "Deliver":
                    raise Refusal("protocol-violation", "a compound message with action %s" % message.action)
                answers = self.land(delivery.seds)
            else:
                message = wire.Message.parse(body)
                self.check_peer(message, peer, None)
                if message.action != "Receipt" or not message.receipts:
                    raise Refusal("protocol-violation", "an AP takes Deliver and Receipt, not %s" % message.action)
                answers = self.acknowledge(message.receipts, "relayed")
        except Refusal as refusal:
            self.log("fault %s to %s: %s" % (refusal.code, peer, refusal.reason))
            return self.fault(
                SENDER_STATUS.get(refusal.code, 400), "Sender", refusal.code,
                "[%s] %s" % (refusal.code, refusal.reason), message.sender if message else peer,
                message.message_id if message else None)
        except etree.XMLSyntaxError as error:
            return self.fault(400, "Sender", "malformed-xml", str(error), peer, None)
        reply = wire.simple(
            "Receipt", self.config.node_id, message.sender, "\n".join(answers), relates_to=message.message_id)
        return 200, {"Content-Type": wire.SOAP_TYPE}, reply

    def check_peer(self, message, peer, signer):
        if message.version != "1":
            raise Refusal("protocol-violation", "protocol version %r" % message.version)
        if message.sender != peer or (signer is not None and signer != peer):
            raise Refusal("unauthorized", "wsa:From %s, signer %s, TLS peer %s" % (message.sender, signer, peer))
        if peer != self.config.cn_id:
            raise Refusal("unauthorized", "%s is not this AP's CN" % peer)
        if message.receiver != self.config.node_id:
            raise Refusal("unknown-route", "addressed to %s, not %s" % (message.receiver, self.config.node_id))

    # MARK: - Pull mode

    def post_receipts(self, answers):
        """Posts receipts to the CN as a request of their own; True when the CN acknowledged them."""
        message_id = wire.new_message_id()
        body = wire.simple("Receipt", self.config.node_id, self.config.cn_id, "\n".join(answers),
                           message_id=message_id)
        reply = transport.post(self.config, wire.SOAP_TYPE, body)
        answer = wire.Message.parse(reply.body)
        if reply.status != 200 or answer.relates_to != message_id:
            self.log("receipts not acknowledged: %s %s" % (reply.status, answer.fault))
            return False
        return True

    def pull_once(self):
        """One Pull; True when an item was handled (pull again at once)."""
        message_id = wire.new_message_id()
        request = wire.simple("Pull", self.config.node_id, self.config.cn_id, "<sg:Pull/>", message_id=message_id)
        reply = transport.post(self.config, wire.SOAP_TYPE, request)
        if reply.status != 200:
            self.log("pull answered %s" % reply.status)
            return False
        if reply.content_type.lower().startswith("multipart/related"):
            delivery = compound.read(reply.content_type, reply.body, self.config.ca)
            if delivery.message.relates_to is not None or delivery.signer != self.config.cn_id:
                raise Refusal("protocol-violation", "a pulled compound message must be signed by the CN, unrelated")
            return self.post_receipts(self.land(delivery.seds))
        message = wire.Message.parse(reply.body)
        if message.relates_to != message_id:
            raise Refusal("protocol-violation", "the Pull's answer relates to %s" % message.relates_to)
        if message.action == "Empty":
            return False
        if message.action == "Receipt":
            return self.post_receipts(self.acknowledge(message.receipts, "pulled"))
        raise Refusal("protocol-violation", "a Pull answered with %s" % message.action)

    # MARK: - Routed

    def send_routed(self):
        """Sends `routed` for each landed SED the national side took (removed from inbound/)."""
        for sed_id in os.listdir(self.path("seen")):
            if sed_id.startswith(".") or os.path.exists(self.path("routed", sed_id)):
                continue
            with open(self.path("seen", sed_id)) as file:
                name = file.read()
            if os.path.exists(self.path("inbound", name)):
                continue
            if self.post_receipts([wire.receipt_element(sed_id, "routed", self.config.node_id)]):
                self.write("routed/" + sed_id, "")
                self.log("routed %s" % sed_id)

    # MARK: - Running

    def run(self, stop):
        """Receives until `stop` is set: listens (push) or pulls (pull), and sends `routed` receipts."""
        if self.config.mode == "pull":
            self.write("ready", "pull")
        else:
            server = transport.Server(self.config, self.handle)
            server.start()
            self.write("ready", "push %d" % self.config.port)
        self.log("running as %s in %s mode" % (self.config.node_id, self.config.mode))
        while not stop.is_set():
            busy = False
            try:
                if self.config.mode == "pull":
                    busy = self.pull_once()
                self.send_routed()
            except (OSError, Refusal) as error:
                self.log("round failed: %s" % error)
            if not busy:
                stop.wait(self.config.poll_ms / 1000.0 if self.config.mode == "pull" else 0.1)
