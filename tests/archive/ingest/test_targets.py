"""URL validation and normalisation to queue targets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patchwork.archive.ingest.targets import TargetError, delete_target, normalise_url

ID = "dQw4w9WgXcQ"
youtube_ids = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    min_size=11,
    max_size=11,
)


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={ID}",
        f"http://youtube.com/watch?feature=share&v={ID}&t=10s",
        f"https://m.youtube.com/watch?v={ID}#frag",
        f"https://music.youtube.com/watch?v={ID}&list=RD",
        f"https://youtu.be/{ID}",
        f"https://youtu.be/{ID}?si=abc",
        f"https://www.youtube.com/shorts/{ID}",
        f"https://www.youtube.com/embed/{ID}?autoplay=1",
        f"https://www.youtube-nocookie.com/embed/{ID}",
        f"https://www.youtube.com/live/{ID}?feature=shared",
        f"HTTPS://WWW.YOUTUBE.COM/watch?v={ID}",
    ],
)
def test_youtube_forms(url: str) -> None:
    target = normalise_url(url)
    assert target.key == f"youtube:{ID}"
    assert target.url == f"https://www.youtube.com/watch?v={ID}"
    assert target.video_id == ID


def test_bilibili_and_other_urls() -> None:
    bv = normalise_url("https://m.bilibili.com/video/BV1GJ411x7h7/?spm_id_from=333")
    assert (bv.key, bv.url) == (
        "bilibili:BV1GJ411x7h7",
        "https://www.bilibili.com/video/BV1GJ411x7h7",
    )
    other = normalise_url("HTTPS://Example.COM:443/a/b?x=1#top")
    assert other.key == other.url == "https://example.com/a/b?x=1"
    assert normalise_url("http://example.com:8080").url == "http://example.com:8080/"
    assert (
        normalise_url("https://www.youtube.com/channel/UCx").key
        == "https://www.youtube.com/channel/UCx"
    )


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "ftp://example.com/x",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://",
        "https://user:pass@example.com/",
        "https://exa mple.com/",
        "https://example.com/\x00",
        "https://example.com:99999/",
        "https://example.com/" + "a" * 3000,
        "example.com/watch",
    ],
)
def test_rejected(url: str) -> None:
    with pytest.raises(TargetError):
        normalise_url(url)


def test_delete_targets() -> None:
    assert delete_target(ID).key == f"video:{ID}"
    assert delete_target(f"https://youtu.be/{ID}").url == ID
    for bad in ("", "a/b", "../x", "https://example.com/x", "x" * 300):
        with pytest.raises(TargetError):
            delete_target(bad)


@given(
    youtube_ids,
    st.sampled_from(
        [
            "https://youtu.be/{}",
            "https://www.youtube.com/watch?v={}&t=1",
            "https://youtube.com/shorts/{}",
            "https://www.youtube.com/embed/{}",
        ]
    ),
)
def test_every_youtube_form_names_the_same_target(video_id: str, form: str) -> None:
    target = normalise_url(form.format(video_id))
    assert target.key == f"youtube:{video_id}"
    assert normalise_url(target.url) == target  # canonical URLs are fixed points


@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_and_normalising_is_idempotent(text: str) -> None:
    try:
        target = normalise_url(text)
    except TargetError:
        return
    assert target.url.startswith(("http://", "https://"))
    assert normalise_url(target.url) == target


@given(st.from_regex(r"https?://[a-z0-9.-]{1,20}(:[0-9]{1,5})?(/[ -~]{0,40})?", fullmatch=True))
def test_urlish_text_is_idempotent(text: str) -> None:
    try:
        target = normalise_url(text)
    except TargetError:
        return
    assert normalise_url(target.url) == target
