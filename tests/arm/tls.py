"""Key and certificate material for the local ARM endpoint (generated at start-up, never checked in).

* a throw-away certificate authority and a loopback server certificate signed by it (the CA file is what clients
  trust through ``REQUESTS_CA_BUNDLE``);
* the PKCS#12 "management certificates" the vault certificates API hands out;
* verification of the client-assertion JWTs that MSAL signs for certificate-based service principals.
"""
from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_server_tls(directory: str) -> tuple[str, str, str]:
    """Create a CA and a 127.0.0.1/localhost server certificate in ``directory``.

    Returns ``(ca_file, cert_file, key_file)``; the CA file is the bundle clients must trust.
    """
    now = _now()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("tenantdr.asr local ARM test CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost")).issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = os.path.join(directory, "arm-ca.pem")
    cert_file = os.path.join(directory, "arm-server.pem")
    key_file = os.path.join(directory, "arm-server.key")
    with open(ca_file, "wb") as handle:
        handle.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(cert_file, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return ca_file, cert_file, key_file


def management_certificate(common_name: str, validity_hours: int) -> dict:
    """A self-signed RSA-2048 client certificate with private key, as PKCS#12 (no password).

    Mirrors what Azure PowerShell's legacy code made for vault credentials (issuer/subject ``CN=Windows Azure Tools``,
    client-authentication EKU); the service-side generator behind ``certificateCreateOptions`` is not public.
    """
    now = _now().replace(microsecond=0)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name(common_name)
    not_before = now - datetime.timedelta(minutes=10)
    not_after = now + datetime.timedelta(hours=validity_hours)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pfx = pkcs12.serialize_key_and_certificates(None, key, cert, None, serialization.NoEncryption())
    return {
        "pfx": pfx,
        "thumbprint": cert.fingerprint(hashes.SHA1()).hex().upper(),  # nosec - Windows thumbprints are SHA-1
        "valid_from": not_before,
        "valid_to": not_after,
        "subject": name.rfc4514_string(),
    }


def certificate_details(der_or_pem: bytes) -> dict:
    """Thumbprint and validity of an uploaded public certificate (DER or PEM)."""
    try:
        cert = x509.load_der_x509_certificate(der_or_pem)
    except ValueError:
        cert = x509.load_pem_x509_certificate(der_or_pem)
    return {
        "thumbprint": cert.fingerprint(hashes.SHA1()).hex().upper(),  # nosec
        "valid_from": cert.not_valid_before_utc,
        "valid_to": cert.not_valid_after_utc,
        "subject": cert.subject.rfc4514_string(),
    }


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_client_assertion(assertion: str, certificate_pem: bytes, client_id: str, audience_prefix: str) -> str | None:
    """Check a client-assertion JWT (RFC 7523) against a registered certificate; return an error text or None."""
    try:
        header_b64, payload_b64, signature_b64 = assertion.split(".")
        header = json.loads(_b64url_decode(header_b64))
        payload = json.loads(_b64url_decode(payload_b64))
        signature = _b64url_decode(signature_b64)
    except (ValueError, TypeError):
        return "AADSTS50027: JWT token is invalid or malformed."
    cert = x509.load_pem_x509_certificate(certificate_pem)
    public_key = cert.public_key()
    signed = f"{header_b64}.{payload_b64}".encode()
    alg = header.get("alg")
    try:
        if alg == "RS256":
            public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "PS256":
            public_key.verify(signature, signed, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
        else:
            return f"AADSTS5002730: Unsupported client assertion algorithm {alg!r}."
    except InvalidSignature:
        return "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application."
    if payload.get("iss") != client_id or payload.get("sub") != client_id:
        return "AADSTS700023: Client assertion audience or issuer is invalid."
    if not str(payload.get("aud", "")).lower().startswith(audience_prefix.lower()):
        return "AADSTS700212: No matching federated identity record found for presented assertion audience."
    if int(payload.get("exp", 0)) < int(_now().timestamp()):
        return "AADSTS700024: Client assertion is not within its valid time range."
    return None
