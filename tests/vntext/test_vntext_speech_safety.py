"""Speech safety: no input character silences the rest of a bulletin, synthesize never raises on
a lone surrogate, normalize and synthesize both clean their input.

Fails before the fix: a NUL reached espeak-ng (its input ends there: the audio of the NUL text
was about half as long) and a lone surrogate made synthesize raise UnicodeEncodeError."""

import shutil

import pytest

from ngoso.speech import speech_safe, synthesize
from ngoso.vntext import clean, explain, normalize

needs_espeak = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")), reason="espeak-ng and sox are needed"
)

BULLETIN = (
    "Thông báo của ủy ban nhân dân xã. Ngày mai thôn Đông họp lúc bảy giờ sáng tại nhà văn hóa. "
    "Đề nghị các hộ gia đình cử người đến đúng giờ. Sau cuộc họp, tổ công nghệ số cộng đồng hướng "
    "dẫn bà con cài đặt ứng dụng định danh điện tử."
)
UNSAFE = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\u2028", "\ufeff", "\u00ad", "\ud800", "\udfff", "\uffff",
          "\ue000", "\U0001F600", "\u0301"]


@pytest.mark.parametrize("ch", UNSAFE)
def test_normalize_and_clean_remove_unsafe_characters(ch):
    text = BULLETIN.replace("Đề nghị", f"Đề{ch} nghị")
    for out in (normalize(text), clean(text), speech_safe(text)):
        assert "\x00" not in out
        out.encode("utf-8")  # no lone surrogate left
    assert normalize(text).endswith("ứng dụng định danh điện tử.")


def test_nul_keeps_words_apart_and_is_explained():
    assert normalize("họp\x00thôn 12") == "họp thôn mười hai"
    spans = explain("họp\x00thôn")
    assert [(s.source, s.spoken, s.rule) for s in spans] == [("\x00", " ", "clean")]


def test_format_characters_are_removed_inside_words():
    assert normalize("Ngõ\u00ad Số\u200d \ufeffxã") == "Ngõ Số xã"
    assert clean("dòng 1\r\ndòng 2\u2028dòng 3") == "dòng 1\ndòng 2\ndòng 3"


@needs_espeak
@pytest.mark.parametrize("normalise", [True, False])
def test_bulletin_with_nul_is_spoken_whole(tmp_path, normalise):
    import subprocess

    with_nul = BULLETIN.replace("Đề nghị", "Đề nghị\x00")
    plain = synthesize(BULLETIN, tmp_path / "plain.wav", normalise=normalise)
    nul = synthesize(with_nul, tmp_path / "nul.wav", normalise=normalise)

    def sox_seconds(path):
        return float(subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True).stdout)

    assert sox_seconds(plain.path) > 8
    assert abs(sox_seconds(nul.path) - sox_seconds(plain.path)) < 0.3


@needs_espeak
@pytest.mark.parametrize("text", ["Xin chào\ud800 bà con", "\udfff", "họp\ud83d thôn\x00", "Tin 😀 mới"])
@pytest.mark.parametrize("normalise", [True, False])
def test_synthesize_never_raises_on_bad_characters(tmp_path, text, normalise):
    if not any(c.isalpha() for c in clean(text)):
        with pytest.raises(ValueError):
            synthesize(text, tmp_path / "x.wav", normalise=normalise)
        return
    result = synthesize(text, tmp_path / "x.wav", normalise=normalise)
    assert result.duration_seconds > 0.3
    result.spoken_text.encode("utf-8")
    assert "😀" not in result.spoken_text
