"""ngoso.speech and the ``ngoso say`` command: real espeak-ng synthesis (skipped when espeak-ng is
not installed), the missing-binary error path, and the command's handle()."""

import argparse
import os
import shutil
import wave

import pytest

from ngoso.cli import CommandError
from ngoso.commands import say
from ngoso.speech import (
    SpeechResult,
    SpeechUnavailable,
    build_ssml,
    synthesize,
    wav_duration,
)

HAVE_ESPEAK = shutil.which("espeak-ng") is not None
HAVE_SOX = shutil.which("sox") is not None
needs_espeak = pytest.mark.skipif(not HAVE_ESPEAK, reason="espeak-ng not installed (apt-get install espeak-ng)")
needs_sox = pytest.mark.skipif(not (HAVE_ESPEAK and HAVE_SOX), reason="espeak-ng/sox not installed")

SENTENCES = "Xin chào bà con. Hôm nay họp thôn lúc 7h30. Mọi người nhớ mang theo CCCD."


@needs_espeak
def test_wav_is_written_with_plausible_duration(tmp_path):
    out = tmp_path / "thong-bao.wav"
    result = synthesize("Hôm nay 28/11/2026 lúc 7h30", out)
    assert isinstance(result, SpeechResult)
    assert result.path == out and out.stat().st_size > 10_000
    assert result.voice == "north"
    assert result.spoken_text == (
        "Hôm nay ngày hai mươi tám tháng mười một năm hai nghìn không trăm hai mươi sáu lúc bảy giờ ba mươi"
    )
    with wave.open(str(out)) as wav:
        assert wav.getnchannels() == 1 and wav.getnframes() > 0
    # about 20 syllables at 175 wpm: a few seconds, certainly not 0.1 s or a minute
    assert 2.0 < result.duration_seconds < 15.0
    assert result.duration_seconds == pytest.approx(wav_duration(out), abs=0.01)


@needs_sox
def test_ogg_is_written(tmp_path):
    out = tmp_path / "ban-tin.ogg"
    result = synthesize(SENTENCES, out)
    data = out.read_bytes()
    assert data[:4] == b"OggS" and b"vorbis" in data[:200]
    assert 3.0 < result.duration_seconds < 30.0
    assert not list(tmp_path.glob("ngoso-say-*")), "temporary files left behind"


@needs_espeak
def test_sentence_pauses_lengthen_the_audio(tmp_path):
    plain = synthesize(SENTENCES, tmp_path / "a.wav", sentence_pause_ms=0, paragraph_pause_ms=0)
    default = synthesize(SENTENCES, tmp_path / "b.wav")
    long = synthesize(SENTENCES, tmp_path / "c.wav", sentence_pause_ms=1500)
    # espeak-ng's own full-stop pause is ~0.36 s; a <break> replaces it.  Two sentence breaks:
    assert default.duration_seconds - plain.duration_seconds > 0.4
    assert long.duration_seconds - plain.duration_seconds > 2.0


@needs_espeak
def test_paragraph_break_is_longer_than_sentence_break(tmp_path):
    one_para = synthesize("Đoạn thứ nhất. Đoạn thứ hai.", tmp_path / "a.wav")
    two_paras = synthesize("Đoạn thứ nhất.\n\nĐoạn thứ hai.", tmp_path / "b.wav")
    assert two_paras.duration_seconds > one_para.duration_seconds + 0.3


@needs_espeak
@pytest.mark.parametrize("voice", ["north", "central", "south"])
def test_each_voice(tmp_path, voice):
    result = synthesize("Một trăm linh năm hộ dân.", tmp_path / f"{voice}.wav", voice=voice)
    assert result.voice == voice and result.duration_seconds > 1.0


@needs_espeak
def test_south_voice_uses_southern_readings(tmp_path):
    result = synthesize("105 hộ", tmp_path / "s.wav", voice="south")
    assert result.spoken_text == "một trăm lẻ năm hộ"


@needs_espeak
def test_rate_changes_duration(tmp_path):
    slow = synthesize(SENTENCES, tmp_path / "slow.wav", rate=120)
    fast = synthesize(SENTENCES, tmp_path / "fast.wav", rate=300)
    assert slow.duration_seconds > fast.duration_seconds * 1.5


@needs_espeak
def test_no_normalise_sends_text_as_is(tmp_path):
    result = synthesize("Một hai ba.", tmp_path / "x.wav", normalise=False)
    assert result.spoken_text == "Một hai ba."


def test_missing_espeak_raises_bilingual_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(SpeechUnavailable) as info:
        synthesize("Xin chào", tmp_path / "x.wav")
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert "espeak-ng" in message and "Không tìm thấy" in message and "not installed" in message
    assert "apt-get install" in message
    assert not (tmp_path / "x.wav").exists()


@needs_espeak
def test_missing_sox_for_ogg(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(shutil.which("espeak-ng"), bindir / "espeak-ng")
    monkeypatch.setenv("PATH", str(bindir))
    with pytest.raises(SpeechUnavailable, match="sox"):
        synthesize("Xin chào", tmp_path / "x.ogg")
    # WAV still works without sox
    assert synthesize("Xin chào", tmp_path / "x.wav").duration_seconds > 0


@pytest.mark.parametrize(
    "kwargs, out",
    [({"voice": "hue"}, "x.wav"), ({"rate": 20}, "x.wav"), ({"rate": 1000}, "x.wav"), ({}, "x.mp3")],
)
def test_bad_arguments(tmp_path, kwargs, out):
    with pytest.raises(ValueError):
        synthesize("Xin chào", tmp_path / out, **kwargs)


@needs_espeak
@pytest.mark.parametrize("text", ["", "   ", "...", "\n\n"])
def test_empty_text(tmp_path, text):
    with pytest.raises(ValueError):
        synthesize(text, tmp_path / "x.wav")


def test_build_ssml_breaks_and_escaping():
    ssml = build_ssml("A & B. C < D?\n\nĐoạn hai!", sentence_pause_ms=300, paragraph_pause_ms=900)
    assert ssml == (
        '<speak>A &amp; B. <break time="300ms"/> C &lt; D? <break time="900ms"/> Đoạn hai!</speak>'
    )
    assert build_ssml("Một. Hai.", sentence_pause_ms=0) == "<speak>Một. Hai.</speak>"


# ------------------------------------------------------------------------------------------------
# the `ngoso say` command


def _args(**overrides):
    parser = argparse.ArgumentParser()
    say.add_arguments(parser)
    argv = overrides.pop("argv")
    return parser.parse_args(argv)


def test_command_contract():
    from ngoso.core.messages import both

    assert both(say.HELP) == ("đọc văn bản tiếng Việt ra tệp âm thanh WAV/OGG (espeak-ng, không cần mạng) / speak "
                              "Vietnamese text into a WAV/OGG file (espeak-ng, no network needed)")
    assert say.NEEDS_DJANGO is False


@needs_espeak
def test_command_writes_file_and_prints_duration(tmp_path, capsys):
    out = tmp_path / "x.wav"
    code = say.handle(_args(argv=["Hôm nay 28/11/2026 lúc 7h30", "--out", str(out), "--show-text"]))
    assert code == 0 and out.stat().st_size > 10_000
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("Hôm nay ngày hai mươi tám")
    path, duration = printed[1].split("\t")
    assert path == str(out) and duration.endswith(" s") and float(duration[:-2]) > 2


@needs_sox
def test_command_reads_file_and_stdin(tmp_path, capsys, monkeypatch):
    src = tmp_path / "ban-tin.txt"
    src.write_text("Bản tin 17h00.\n\nHết.", encoding="utf-8")
    assert say.handle(_args(argv=["--file", str(src), "--out", str(tmp_path / "a.ogg"), "--voice", "south"])) == 0
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Đọc từ bàn phím 15%."))
    assert say.handle(_args(argv=["-", "--out", str(tmp_path / "b.wav"), "--rate", "150"])) == 0
    assert (tmp_path / "a.ogg").exists() and (tmp_path / "b.wav").exists()


@pytest.mark.parametrize(
    "argv, match",
    [
        (["", "--out", "x.wav"], "rỗng"),
        (["Xin chào", "--out", "x.mp3"], ".wav"),
        (["Xin chào", "--out", "x.wav", "--rate", "5"], "80"),
        (["Xin chào", "--file", "nowhere.txt", "--out", "x.wav"], "một nguồn"),
        (["--file", "does-not-exist.txt", "--out", "x.wav"], "không đọc được"),
    ],
)
def test_command_user_errors(tmp_path, monkeypatch, argv, match):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError, match=match):
        say.handle(_args(argv=argv))


def test_command_missing_espeak(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="espeak-ng"):
        say.handle(_args(argv=["Xin chào", "--out", str(tmp_path / "x.wav")]))
