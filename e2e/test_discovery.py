"""OpenID Provider metadata and signing keys, as a relying party discovers them."""

from __future__ import annotations

from typing import Any

import requests

from support import HTTP_TIMEOUT


def test_discovery_document_names_the_issuer_and_endpoints(
    discovery: dict[str, Any], issuer: str
) -> None:
    assert discovery["issuer"] == issuer
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert isinstance(discovery.get(name), str), f"{name} missing: {discovery}"
        assert discovery[name].startswith(issuer), f"{name} = {discovery[name]} not under {issuer}"
    assert "code" in discovery.get("response_types_supported", [])
    assert "S256" in discovery.get("code_challenge_methods_supported", [])
    assert "RS256" in discovery.get("id_token_signing_alg_values_supported", [])


def test_discovery_endpoints_are_reachable(discovery: dict[str, Any]) -> None:
    # The userinfo endpoint exists and refuses an anonymous caller (rather than 404).
    r = requests.get(discovery["userinfo_endpoint"], timeout=HTTP_TIMEOUT)
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), r.headers


def test_jwks_publishes_rs256_public_keys_with_kid(jwks: dict[str, Any]) -> None:
    keys = jwks.get("keys")
    assert isinstance(keys, list) and keys, jwks
    for key in keys:
        assert key.get("kty") == "RSA", key
        assert key.get("kid"), key
        assert key.get("alg", "RS256") == "RS256", key
        assert key.get("use", "sig") == "sig", key
        assert key.get("n") and key.get("e"), key
        for private_part in ("d", "p", "q", "dp", "dq", "qi"):
            assert private_part not in key, f"JWKS leaks private key material: {private_part}"
    assert any(k.get("alg") == "RS256" for k in keys), "no key announces alg RS256"
    kids = [k["kid"] for k in keys]
    assert len(kids) == len(set(kids)), f"duplicate kid in JWKS: {kids}"


def test_every_advertised_endpoint_exists(discovery: dict[str, Any]) -> None:
    """Only what the server serves is advertised: no Dynamic Client Registration, so no
    registration_endpoint; every *_endpoint and jwks_uri answers GET or POST with something else
    than 404."""
    assert "registration_endpoint" not in discovery
    urls = {k: v for k, v in discovery.items() if k.endswith("_endpoint") or k == "jwks_uri"}
    assert set(urls) >= {"authorization_endpoint", "token_endpoint", "end_session_endpoint", "revocation_endpoint"}
    for name, url in urls.items():
        statuses = {
            requests.get(url, timeout=HTTP_TIMEOUT, allow_redirects=False).status_code,
            requests.post(url, timeout=HTTP_TIMEOUT, allow_redirects=False).status_code,
        }
        assert statuses != {404}, f"{name} {url} answers 404"
