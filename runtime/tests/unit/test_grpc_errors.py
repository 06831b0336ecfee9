import json

from taquilla_runtime.grpc_errors import FieldError, encode_field_errors


def repeated_nonces(count: int) -> list[FieldError]:
    return [FieldError(f"scans.{i}.nonce", "repeats an earlier nonce", "duplicate") for i in range(count)]


def test_field_errors_that_fit_travel_whole() -> None:
    errors = repeated_nonces(5)
    assert json.loads(encode_field_errors(errors)) == [
        {"field": e.field, "message": e.message, "code": e.code} for e in errors
    ]


def test_too_many_field_errors_are_cut_below_the_limit_and_counted() -> None:
    errors = repeated_nonces(500)
    encoded = encode_field_errors(errors, limit=2048)
    assert len(encoded.encode()) <= 2048
    items = json.loads(encoded)
    shown = items[:-1]
    assert [item["field"] for item in shown] == [f"scans.{i}.nonce" for i in range(len(shown))]
    assert items[-1] == {
        "field": "*",
        "message": f"and {500 - len(shown)} more invalid fields",
        "code": "too_many_errors",
    }
