import pytest


@pytest.mark.django_db
def test_content_security_policy_is_strict(client, writer_a, coffee_cart):
    """Pages carry a CSP with no unsafe-inline scripts or styles; style and script nonces only."""
    client.force_login(writer_a)
    response = client.get(coffee_cart.get_absolute_url())
    policy = response["Content-Security-Policy"]
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip()
    )
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["script-src"].startswith("'self'")
    assert "'nonce-" in directives["style-src"]
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    html = response.content.decode()
    assert " style=" not in html  # inline style attributes would be blocked
    assert "<script>" not in html  # every script is an external file
