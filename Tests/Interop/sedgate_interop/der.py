"""The subject common name of an X.509 certificate in DER, with a minimal DER reader (no third-party library).

A node's identity is its certificate's subject CN, the last one when there are several (Protocol.md,
"Connections and node identity").
"""

COMMON_NAME = bytes([0x55, 0x04, 0x03])


def _read(data, offset):
    """One DER element at `offset`: (tag, content start, content end)."""
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[offset:offset + count], "big")
        offset += count
    return tag, offset, offset + length


def _children(data, start, end):
    offset = start
    while offset < end:
        tag, content, stop = _read(data, offset)
        yield tag, content, stop
        offset = stop


def subject_common_name(der):
    """The last CN of the certificate's subject, or None."""
    _, certificate, certificate_end = _read(der, 0)
    _, tbs, tbs_end = _read(der, certificate)
    fields = list(_children(der, tbs, tbs_end))
    if fields and fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    _, subject, subject_end = fields[4][0], fields[4][1], fields[4][2]  # serial, algorithm, issuer, validity, subject
    name = None
    for _, rdn, rdn_end in _children(der, subject, subject_end):
        for _, attribute, attribute_end in _children(der, rdn, rdn_end):
            pair = list(_children(der, attribute, attribute_end))
            if der[pair[0][1]:pair[0][2]] == COMMON_NAME:
                name = der[pair[1][1]:pair[1][2]].decode("utf-8")
    return name
