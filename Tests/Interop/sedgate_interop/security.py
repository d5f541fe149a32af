"""WS-Security signatures, and sealing and opening SEDs, with xmlsec (Protocol.md, "The sealed SED").

A signature: wsse:Security first in env:Header, a BinarySecurityToken with the signer's certificate, one ds:Signature
(exclusive c14n, RSA-SHA256, one SHA-256 reference per signed wsu:Id), and a KeyInfo naming the token and carrying
the same certificate. A sealed SED: the SED gzipped, encrypted with AES-256-GCM under a fresh key, that key encrypted
with RSA-OAEP for the receiving AP's certificate, the whole document signed by the sending AP over #sed and #body.
"""

import base64
import gzip
import re
import ssl
import uuid
import zlib
from xml.sax.saxutils import escape

import xmlsec
from lxml import etree

from . import der, wire
from .wire import DS, ENV, SED, SG, WSSE, WSU, XENC

BASE64_BINARY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
RSA_OAEP = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
PLAIN_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
MAX_SED = 64 * 1024 * 1024

# The envelope fields in the order the wire copy writes them (Protocol.md, "The SED envelope").
FIELDS = [
    "SedId", "SedType", "SedVersion", "Sector", "BucType", "CaseId", "SenderFileNo", "ReceiverFileNo", "Sender",
    "Receiver", "SendingAP", "ReceivingAP", "InReplyTo", "SeqNo", "CreatedAt", "Language", "AckRequested",
    "Interaction", "DueDate", "ContentType", "PayloadSize",
]

# All base64 is written without line breaks (Protocol.md, "Signature"). xmlsec 1.3 refuses a line size of 0 (its
# "no breaks"), so the lines are made longer than any base64 the protocol carries (a 64 MiB body).
xmlsec.base64_default_line_size(1 << 30)


class Refusal(Exception):
    """A refusal with a protocol error code (the fault subcode or the failed receipt's code)."""

    def __init__(self, code, reason):
        super().__init__("[%s] %s" % (code, reason))
        self.code = code
        self.reason = reason


def pem_to_der(path):
    with open(path) as file:
        return ssl.PEM_cert_to_DER_cert(file.read())


def serialize(root):
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _register_ids(context, root, ids):
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("{%s}Id" % WSU) in ids:
            context.register_id(element, "Id", WSU)


def sign(root, ids, key_path, certificate_path):
    """Signs the elements carrying wsu:Id `ids`: a wsse:Security header block, first child of env:Header."""
    header = root.find("{%s}Header" % ENV)
    security = etree.Element("{%s}Security" % WSSE, nsmap={"wsse": WSSE})
    security.set("{%s}mustUnderstand" % ENV, "true")
    header.insert(0, security)
    token_id = "X509-" + str(uuid.uuid4())
    token = etree.SubElement(
        security, "{%s}BinarySecurityToken" % WSSE, EncodingType=BASE64_BINARY, ValueType=X509V3
    )
    token.set("{%s}Id" % WSU, token_id)
    token.text = base64.b64encode(pem_to_der(certificate_path)).decode()
    signature = xmlsec.template.create(
        root, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256, ns="ds"
    )
    security.append(signature)
    for name in ids:
        reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256, uri="#" + name)
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    key_info = xmlsec.template.ensure_key_info(signature)
    token_reference = etree.SubElement(key_info, "{%s}SecurityTokenReference" % WSSE)
    etree.SubElement(token_reference, "{%s}Reference" % WSSE, URI="#" + token_id, ValueType=X509V3)
    x509 = xmlsec.template.add_x509_data(key_info)
    certificate = xmlsec.template.x509_data_add_certificate(x509)
    certificate.text = token.text
    context = xmlsec.SignatureContext()
    key = xmlsec.Key.from_file(key_path, xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_file(certificate_path, xmlsec.constants.KeyDataFormatPem)
    context.key = key
    _register_ids(context, root, set(ids))
    context.sign(signature)


def verify(root, ids, ca_path):
    """Verifies the one signature of `root`, which must sign exactly `ids`; returns the signer's node id."""
    header = root.find("{%s}Header" % ENV)
    securities = header.findall("{%s}Security" % WSSE) if header is not None else []
    if len(securities) != 1:
        raise Refusal("signature-invalid", "the message has %d wsse:Security header blocks, not one" % len(securities))
    signatures = securities[0].findall("{%s}Signature" % DS)
    if len(signatures) != 1:
        raise Refusal("signature-invalid", "wsse:Security holds %d signatures, not one" % len(signatures))
    signature = signatures[0]
    signed_info = signature.find("{%s}SignedInfo" % DS)
    if signed_info is None:
        raise Refusal("signature-invalid", "the signature has no SignedInfo")
    if signed_info.find("{%s}CanonicalizationMethod" % DS).get("Algorithm") != EXC_C14N:
        raise Refusal("signature-invalid", "the canonicalization is not exclusive c14n")
    if signed_info.find("{%s}SignatureMethod" % DS).get("Algorithm") != RSA_SHA256:
        raise Refusal("signature-invalid", "the signature method is not RSA-SHA256")
    seen = []
    for reference in signed_info.findall("{%s}Reference" % DS):
        uri = reference.get("URI") or ""
        if not uri.startswith("#") or not PLAIN_ID.match(uri[1:]):
            raise Refusal("signature-invalid", "reference %r is not a same-document #id" % uri)
        transforms = [t.get("Algorithm") for t in reference.iter("{%s}Transform" % DS)]
        if transforms != [EXC_C14N] or reference.find("{%s}DigestMethod" % DS).get("Algorithm") != SHA256:
            raise Refusal("signature-invalid", "reference %s uses other algorithms" % uri)
        seen.append(uri[1:])
    if sorted(seen) != sorted(ids):
        raise Refusal("signature-invalid", "the signature covers %s, not %s" % (seen, sorted(ids)))
    for name in ids:
        carriers = [
            element for element in root.iter() if isinstance(element.tag, str)
            and any(etree.QName(key).localname in ("Id", "ID", "id") and value == name
                    for key, value in element.attrib.items())
        ]
        if len(carriers) != 1:
            raise Refusal("hostile-input", "id %r is carried by %d elements" % (name, len(carriers)))
    token = securities[0].find("{%s}BinarySecurityToken" % WSSE)
    certificate = signature.find("{%s}KeyInfo/{%s}X509Data/{%s}X509Certificate" % (DS, DS, DS))
    if token is None or certificate is None or "".join(token.text.split()) != "".join(certificate.text.split()):
        raise Refusal("signature-invalid", "the token and the KeyInfo certificate differ")
    manager = xmlsec.KeysManager()
    manager.load_cert(ca_path, xmlsec.constants.KeyDataFormatPem, xmlsec.constants.KeyDataTypeTrusted)
    context = xmlsec.SignatureContext(manager)
    _register_ids(context, root, set(ids))
    try:
        context.verify(signature)
    except xmlsec.Error as error:
        raise Refusal("signature-invalid", "the signature does not verify: %s" % error)
    signer = der.subject_common_name(base64.b64decode(token.text))
    if not signer:
        raise Refusal("unauthorized", "the signer's certificate has no CN")
    return signer


def envelope_fields(element):
    """The fields of a sed:Envelope element, as a dict (text, white space trimmed)."""
    return {etree.QName(child).localname: (child.text or "").strip() for child in element if isinstance(child.tag, str)}


def wire_envelope(fields):
    """The wire copy of an envelope: sed prefix, fields in table order, one line."""
    inner = "".join(
        "<sed:%s>%s</sed:%s>" % (name, escape(fields[name]), name) for name in FIELDS if name in fields
    )
    return '<sed:Envelope xmlns:sed="%s">%s</sed:Envelope>' % (SED, inner)


def seal(sed, fields, recipient_certificate, key_path, certificate_path, tamper=False):
    """The sealed SED, as bytes: `sed` (the accepted bytes) gzipped and encrypted for the recipient, signed."""
    content_type = fields.get("ContentType", "application/xml")
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env="%s" xmlns:sg="%s" xmlns:wsu="%s">\n'
        '<env:Header>\n<sg:SealedSED wsu:Id="sed" sedId="%s" size="%d" contentType="%s" compression="gzip">%s'
        '</sg:SealedSED>\n</env:Header>\n<env:Body wsu:Id="body"></env:Body>\n</env:Envelope>\n'
    ) % (ENV, SG, WSU, fields["SedId"], len(sed), content_type, wire_envelope(fields))
    root = etree.fromstring(text.encode(), wire.parser())
    body = root.find("{%s}Body" % ENV)
    template = xmlsec.template.encrypted_data_create(root, xmlsec.constants.TransformAes256Gcm, ns="xenc")
    template.set("Id", "ed")
    template.set("MimeType", "application/octet-stream")
    body.append(template)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="ds")
    encrypted_key = xmlsec.template.add_encrypted_key(key_info, xmlsec.constants.TransformRsaOaep)
    method = encrypted_key.find("{%s}EncryptionMethod" % XENC)
    etree.SubElement(method, "{%s}DigestMethod" % DS, Algorithm=SHA1)
    recipient_key_info = xmlsec.template.encrypted_data_ensure_key_info(encrypted_key, ns="ds")
    x509 = xmlsec.template.add_x509_data(recipient_key_info)
    xmlsec.template.x509_data_add_certificate(x509).text = base64.b64encode(
        pem_to_der(recipient_certificate)).decode()
    xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_file(recipient_certificate, xmlsec.constants.KeyDataFormatCertPem))
    context = xmlsec.EncryptionContext(manager)
    context.key = xmlsec.Key.generate(xmlsec.constants.KeyDataAes, 256, xmlsec.constants.KeyDataTypeSession)
    context.encrypt_binary(template, gzip.compress(sed))
    sign(root, ["sed", "body"], key_path, certificate_path)
    sealed = serialize(root)
    if tamper:
        # One character of the signed envelope changed after signing: the seal no longer verifies.
        marker = ("<sed:SedType>%s</sed:SedType>" % fields["SedType"]).encode()
        sealed = sealed.replace(marker, marker.replace(b"</sed:SedType>", b"X</sed:SedType>"), 1)
    return sealed


def open_sealed(data, config, listed_id=None):
    """Checks and opens a sealed SED for this AP (Protocol.md, "What the receiving AP checks").

    Returns (sed id, the SED's bytes in clear, envelope fields); raises Refusal with the code for a failed receipt.
    """
    try:
        root = etree.fromstring(data, wire.parser())
    except etree.XMLSyntaxError as error:
        raise Refusal("malformed-xml", "the sealed SED is not well-formed: %s" % error)
    signer = verify(root, ["sed", "body"], config.ca)
    bodies = root.findall("{%s}Body" % ENV)
    if len(bodies) != 1 or bodies[0].get("{%s}Id" % WSU) != "body":
        raise Refusal("protocol-violation", "the sealed SED needs one env:Body with wsu:Id body")
    sealed = root.findall("{%s}Header/{%s}SealedSED" % (ENV, SG))
    if len(sealed) != 1 or sealed[0].get("{%s}Id" % WSU) != "sed":
        raise Refusal("protocol-violation", "the header needs exactly one sg:SealedSED with wsu:Id sed")
    sed_id = (sealed[0].get("sedId") or "").lower()
    envelope = sealed[0].find("{%s}Envelope" % SED)
    if envelope is None or sealed[0].get("size") is None:
        raise Refusal("protocol-violation", "sg:SealedSED lacks its envelope or its size")
    fields = envelope_fields(envelope)
    if fields.get("SedId", "").lower() != sed_id or (listed_id and listed_id.lower() != sed_id):
        raise Refusal("protocol-violation", "the sealed envelope's SedId is not the sealed or listed id")
    if signer != fields.get("SendingAP"):
        raise Refusal("unauthorized", "sealed by %s, but its SendingAP is %s" % (signer, fields.get("SendingAP")))
    if fields.get("ReceivingAP") != config.node_id:
        raise Refusal("unauthorized", "sealed for %s, not for %s" % (fields.get("ReceivingAP"), config.node_id))
    encrypted = bodies[0].find("{%s}EncryptedData" % XENC)
    if encrypted is None or encrypted.find("{%s}EncryptionMethod" % XENC).get("Algorithm") != AES256_GCM:
        raise Refusal("protocol-violation", "the body is not AES-256-GCM EncryptedData")
    keys = encrypted.findall("{%s}KeyInfo/{%s}EncryptedKey" % (DS, XENC))
    if len(keys) != 1 or keys[0].find("{%s}EncryptionMethod" % XENC).get("Algorithm") != RSA_OAEP:
        raise Refusal("protocol-violation", "the body needs exactly one RSA-OAEP EncryptedKey")
    if encrypted.find("{%s}CipherData/{%s}CipherReference" % (XENC, XENC)) is not None:
        raise Refusal("protocol-violation", "the cipher text is not inline")
    named = keys[0].findtext("{%s}KeyInfo/{%s}X509Data/{%s}X509Certificate" % (DS, DS, DS)) or ""
    if base64.b64decode("".join(named.split())) != pem_to_der(config.certificate):
        raise Refusal("decryption-failed", "the SED is encrypted for another certificate than this AP's")
    manager = xmlsec.KeysManager()
    key = xmlsec.Key.from_file(config.private_key, xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_file(config.certificate, xmlsec.constants.KeyDataFormatPem)
    manager.add_key(key)
    try:
        clear = xmlsec.EncryptionContext(manager).decrypt(encrypted)
    except xmlsec.Error as error:
        raise Refusal("decryption-failed", "the SED cannot be decrypted with this AP's key: %s" % error)
    compression = sealed[0].get("compression")
    if compression == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        clear = inflater.decompress(clear, MAX_SED + 1)
        if len(clear) > MAX_SED:
            raise Refusal("hostile-input", "the SED inflates to more than 64 MiB")
    elif compression is not None:
        raise Refusal("unsupported-input", "unknown compression %r" % compression)
    if len(clear) != int(sealed[0].get("size")):
        raise Refusal("protocol-violation", "the SED has %d bytes, not size %s" % (len(clear), sealed[0].get("size")))
    if (sealed[0].get("contentType") or "application/xml").endswith("xml"):
        try:
            own = etree.fromstring(clear, wire.parser()).find("{%s}Envelope/{%s}SedId" % (SED, SED))
        except etree.XMLSyntaxError as error:
            raise Refusal("malformed-xml", "the SED is not well-formed: %s" % error)
        if own is None or (own.text or "").strip().lower() != sed_id:
            raise Refusal("invalid-envelope", "the SED's own SedId is not the sealed %s" % sed_id)
    return sed_id, clear, fields
