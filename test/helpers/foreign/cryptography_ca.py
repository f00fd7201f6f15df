"""A CA made the quick way with Python's cryptography, as its tutorial shows: the
builder adds no authorityKeyIdentifier and, unless asked, no subjectKeyIdentifier.

usage: cryptography_ca.py OUT_DIR LEAF_CN
writes root.pem, intermediate.pem, leaf.pem, leaf.key (PKCS#8) into OUT_DIR.
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

out, leaf_cn = sys.argv[1], sys.argv[2]
now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
later = now + datetime.timedelta(days=366)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "python-ca")])


def build(subject, issuer, public_key, signing_key, ca, path_length=None, client=False):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    if client:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


root_key = ec.generate_private_key(ec.SECP256R1())
root = build(name("python-root"), name("python-root"), root_key.public_key(), root_key, ca=True)
intermediate_key = ec.generate_private_key(ec.SECP256R1())
intermediate = build(name("python-intermediate"), root.subject, intermediate_key.public_key(), root_key, ca=True, path_length=0)
leaf_key = ec.generate_private_key(ec.SECP256R1())
leaf = build(name(leaf_cn), intermediate.subject, leaf_key.public_key(), intermediate_key, ca=False, client=True)

for file, cert in (("root.pem", root), ("intermediate.pem", intermediate), ("leaf.pem", leaf)):
    with open(os.path.join(out, file), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
with open(os.path.join(out, "leaf.key"), "wb") as f:
    f.write(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
