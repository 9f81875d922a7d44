import logging

from oura_addon.logs import REDACTED, SecretRedactor


def _record(msg, *args):
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, None)


def test_known_secrets_are_replaced_in_formatted_messages():
    redactor = SecretRedactor(["client-secret-123"])
    redactor.add("access-token-xyz")
    record = _record("secret=%s token %s", "client-secret-123", "access-token-xyz")
    redactor.filter(record)
    assert "client-secret-123" not in record.getMessage()
    assert "access-token-xyz" not in record.getMessage()
    assert REDACTED in record.getMessage()


def test_credential_shapes_are_redacted_without_knowing_the_value():
    redactor = SecretRedactor()
    for text in (
        "Authorization: Bearer abc.def-ghi",
        "POST /oauth/token code=AUTHCODE123&state=x",
        '{"refresh_token": "rt-999"}',
    ):
        out = redactor.redact(text)
        for secret in ("abc.def-ghi", "AUTHCODE123", "rt-999"):
            assert secret not in out


def test_exception_text_is_redacted_too():
    redactor = SecretRedactor(["supersecretvalue"])
    try:
        raise ValueError("failed with supersecretvalue")
    except ValueError:
        import sys

        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    redactor.filter(record)
    assert "supersecretvalue" not in record.exc_text


def test_harmless_words_that_end_in_a_key_name_are_left_alone():
    redactor = SecretRedactor()
    for text in (
        "token refresh answered status_code=200",
        "Oura said error_code: invalid_grant",
        "next_token=abc is a page cursor, not a credential",
    ):
        assert redactor.redact(text) == text
    assert redactor.redact("client_secret=s3cr3t&code=abc") == (
        "client_secret=**REDACTED**&code=**REDACTED**"
    )
