import pytest

from csq_common.sealing import SealError, Sealer, check_key, generate_keypair, open_sealed, public_key_of, seal


def test_a_sealed_message_opens_only_with_the_matching_private_key():
    private, public = generate_keypair()
    other_private, _ = generate_keypair()
    payload = {"to": {"email": "li.lei@example.com", "name": "李雷"}, "survey_link": "http://x/s/abc"}

    sealed = seal(payload, public)

    assert "li.lei" not in sealed and "abc" not in sealed
    assert open_sealed(sealed, private) == payload
    with pytest.raises(SealError):
        open_sealed(sealed, other_private)


def test_sealing_twice_gives_different_ciphertexts():
    _, public = generate_keypair()
    assert seal({"a": 1}, public) != seal({"a": 1}, public)


def test_a_tampered_or_truncated_message_is_refused():
    private, public = generate_keypair()
    sealed = seal({"a": 1}, public)
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    for bad in (flipped, sealed[:20], "!!!", ""):
        with pytest.raises(SealError):
            open_sealed(bad, private)


def test_keys_are_checked_and_the_public_key_derives_from_the_private_one():
    private, public = generate_keypair()
    assert public_key_of(private) == public
    assert check_key(public, name="X") == public
    with pytest.raises(ValueError, match="SURVEY_NOTIFY_PUBLIC_KEY"):
        check_key("short", name="SURVEY_NOTIFY_PUBLIC_KEY")


def test_the_development_pair_matches():
    from csq_common.sealing import DEVELOPMENT_PRIVATE_KEY, DEVELOPMENT_PUBLIC_KEY

    assert public_key_of(DEVELOPMENT_PRIVATE_KEY) == DEVELOPMENT_PUBLIC_KEY


def test_a_sealer_seals_many_messages_each_opened_alone_with_its_own_nonce():
    private, public = generate_keypair()
    sealer = Sealer(public)
    first, second = sealer.seal({"n": 1}), sealer.seal({"n": 1})
    assert first != second  # the nonce differs, so equal payloads do not look equal
    assert open_sealed(first, private) == open_sealed(second, private) == {"n": 1}
    with pytest.raises(SealError):
        open_sealed(first, generate_keypair()[0])
