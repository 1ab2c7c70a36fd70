"""Offline Vietnamese speech for commune loudspeakers and lessons: ngoso.vntext + espeak-ng.

    >>> from ngoso.speech import synthesize
    >>> result = synthesize("Hôm nay 28/11/2026 lúc 7h30 họp thôn.", "/tmp/thong-bao.wav")  # doctest: +SKIP
    >>> result.duration_seconds  # doctest: +SKIP
    4.2

The text is first normalised (numbers, dates, abbreviations… read as words, see
:mod:`ngoso.vntext`), then spoken by ``espeak-ng`` with one of its Vietnamese voices.  Pauses: the
text is split into paragraphs (blank lines) and sentences (. ! ? …) and espeak-ng receives SSML
with ``<break>`` elements between them: 0.65 s between sentences and 1.3 s between paragraphs
(espeak-ng's own pause at a full stop is about 0.36 s, too quick for elderly listeners on a
loudspeaker; a break replaces it).  One espeak-ng
process renders the whole text, so a 300-word bulletin takes a fraction of a second.

Output: ``.wav`` (written by espeak-ng) or ``.ogg`` (Vorbis, converted by ``sox``).  System
packages on Debian/Ubuntu: ``apt-get install -y espeak-ng sox libsox-fmt-all``.  No Django here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from ngoso.vntext import clean, normalize

__all__ = [
    "VOICES",
    "SpeechError",
    "SpeechResult",
    "SpeechUnavailable",
    "build_ssml",
    "speech_safe",
    "synthesize",
    "wav_duration",
]

#: our voice name -> espeak-ng voice (``espeak-ng --voices=vi``)
VOICES = {"north": "vi", "central": "vi-vn-x-central", "south": "vi-vn-x-south"}
#: our voice name -> the normaliser's region (number readings follow the voice)
_REGION = {"north": "north", "central": "central", "south": "south"}

# Measured with espeak-ng 1.51 "vi": its own pause at a full stop is about 0.36 s; an SSML <break>
# replaces that pause rather than adding to it (200 ms made a 3-sentence text 0.2 s shorter, 800 ms
# made it 1.0 s longer).  So these are the whole pauses.
SENTENCE_PAUSE_MS = 650
PARAGRAPH_PAUSE_MS = 1300
MIN_RATE, MAX_RATE = 80, 450  # espeak-ng words per minute; its default is 175

_PARAGRAPH_SPLIT = re.compile(r"\n[ \t]*\n+")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
# espeak-ng's Vietnamese voice drops the vowel of a bare "gi" ("gi ga bai" -> "z ga bai"); "di" is
# pronounced the same way in the north.  Applied to what espeak-ng reads, not to spoken_text.
_ESPEAK_FIXES = ((re.compile(r"(?<!\w)gi(?!\w)"), "di"), (re.compile(r"(?<!\w)Gi(?!\w)"), "Di"))


_ORPHAN_OR_SYMBOL = re.compile(r"[^\x00-\u02ff]")


def speech_safe(text: str) -> str:
    """What espeak-ng may receive: :func:`ngoso.vntext.clean` (a NUL would end espeak-ng's input
    and silently drop the rest of a bulletin; a lone surrogate cannot be encoded), then pictographs
    and other symbols (emoji: espeak-ng reads their English names), unassigned characters and
    combining marks with no letter before them are replaced by a space."""
    text = clean(text)
    if not _ORPHAN_OR_SYMBOL.search(text):
        return text
    out = []
    prev_letter = False
    for ch in text:
        if ch < "\u0300":
            out.append(ch)
            prev_letter = ch.isalnum()
            continue
        cat = unicodedata.category(ch)
        if cat in ("So", "Cn", "Co", "Cs", "Sk") or (cat.startswith("M") and not prev_letter):
            out.append(" ")
            prev_letter = False
        else:
            out.append(ch)
            prev_letter = cat.startswith(("L", "N", "M"))
    return "".join(out)


class SpeechUnavailable(RuntimeError):
    """espeak-ng (or sox, for .ogg) is not installed."""


class SpeechError(RuntimeError):
    """espeak-ng or sox failed on this input."""


@dataclass(frozen=True)
class SpeechResult:
    path: Path
    duration_seconds: float
    spoken_text: str
    voice: str


def _require(binary: str, package: str) -> str:
    found = shutil.which(binary)
    if not found:
        raise SpeechUnavailable(
            f"Không tìm thấy chương trình {binary}; hãy cài gói: apt-get install -y {package}. / "
            f"{binary} is not installed; install it with: apt-get install -y {package}"
        )
    return found


@lru_cache(maxsize=4)
def _sox_supports_ogg(sox: str) -> bool:
    try:
        out = subprocess.run([sox, "-h"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    formats = out.split("AUDIO FILE FORMATS:", 1)[-1].split("\n", 1)[0].split()
    return "ogg" in formats or "vorbis" in formats


def build_ssml(
    text: str, *, sentence_pause_ms: int = SENTENCE_PAUSE_MS, paragraph_pause_ms: int = PARAGRAPH_PAUSE_MS
) -> str:
    """SSML for espeak-ng: sentences separated by ``<break>`` of ``sentence_pause_ms``, paragraphs
    (blank lines) by ``paragraph_pause_ms``.  Text is XML-escaped."""
    paragraphs = []
    for para in _PARAGRAPH_SPLIT.split(text.strip()):
        sentences = [escape(" ".join(s.split())) for s in _SENTENCE_SPLIT.split(para) if s.strip()]
        if sentences:
            joiner = f' <break time="{sentence_pause_ms}ms"/> ' if sentence_pause_ms > 0 else " "
            paragraphs.append(joiner.join(sentences))
    joiner = f' <break time="{paragraph_pause_ms}ms"/> ' if paragraph_pause_ms > 0 else " "
    return "<speak>" + joiner.join(paragraphs) + "</speak>"


def wav_duration(path: str | os.PathLike) -> float:
    """Duration of a WAV file in seconds, read from its header."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        return wav.getnframes() / rate if rate else 0.0


def synthesize(
    text: str,
    out_path: str | os.PathLike,
    *,
    voice: str = "north",
    rate: int | None = None,
    normalise: bool = True,
    sentence_pause_ms: int = SENTENCE_PAUSE_MS,
    paragraph_pause_ms: int = PARAGRAPH_PAUSE_MS,
) -> SpeechResult:
    """Speak ``text`` into ``out_path`` (.wav or .ogg) and return what was written.

    ``voice``: "north" (espeak-ng "vi"), "central" or "south"; number readings follow the voice's
    region.  ``rate``: words per minute (80–450, espeak-ng's default 175 when None).
    ``normalise=False`` sends the text as it is (it must then already be in words).

    Raises :class:`SpeechUnavailable` when espeak-ng (or sox for .ogg) is missing,
    :class:`SpeechError` when synthesis fails, ``ValueError`` for bad arguments or empty text.
    """
    if voice not in VOICES:
        raise ValueError(f"giọng không hợp lệ / unknown voice {voice!r}; dùng / use one of {sorted(VOICES)}")
    if rate is not None and not (MIN_RATE <= int(rate) <= MAX_RATE):
        raise ValueError(f"tốc độ phải từ {MIN_RATE} đến {MAX_RATE} từ/phút / rate must be {MIN_RATE}-{MAX_RATE} wpm")
    out = Path(out_path)
    suffix = out.suffix.lower()
    if suffix not in (".wav", ".ogg"):
        raise ValueError(f"chỉ hỗ trợ .wav hoặc .ogg / output must be .wav or .ogg, got {out.name!r}")

    espeak = _require("espeak-ng", "espeak-ng")
    sox = None
    if suffix == ".ogg":
        sox = _require("sox", "sox libsox-fmt-all")
        if not _sox_supports_ogg(sox):
            raise SpeechUnavailable(
                "sox không hỗ trợ định dạng ogg; hãy cài gói: apt-get install -y libsox-fmt-all. / "
                "sox cannot write ogg; install it with: apt-get install -y libsox-fmt-all"
            )

    if not isinstance(text, str):
        text = "" if text is None else str(text)
    spoken = normalize(text, region=_REGION[voice]) if normalise else clean(text).strip()
    spoken = speech_safe(spoken)
    if not re.search(r"\w", spoken):
        raise ValueError("không có nội dung để đọc / nothing to say")
    espeak_text = spoken
    for pattern, repl in _ESPEAK_FIXES:
        espeak_text = pattern.sub(repl, espeak_text)
    ssml = build_ssml(espeak_text, sentence_pause_ms=sentence_pause_ms, paragraph_pause_ms=paragraph_pause_ms)

    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [espeak, "-m", "-v", VOICES[voice], "-b", "1"]  # -b 1: input is UTF-8
    if rate is not None:
        cmd += ["-s", str(int(rate))]
    timeout = 60 + len(ssml) / 200
    with tempfile.TemporaryDirectory(prefix="ngoso-say-", dir=out.parent) as tmp:
        wav_tmp = Path(tmp) / "speech.wav"
        _run(cmd + ["-w", str(wav_tmp)], ssml.encode("utf-8"), timeout, "espeak-ng")
        if not wav_tmp.exists() or wav_tmp.stat().st_size <= 44:
            raise SpeechError("espeak-ng không tạo ra âm thanh / espeak-ng produced no audio")
        duration = wav_duration(wav_tmp)
        if sox is not None:
            ogg_tmp = Path(tmp) / "speech.ogg"
            _run([sox, "-q", str(wav_tmp), "-C", "4", str(ogg_tmp)], None, timeout, "sox")
            os.replace(ogg_tmp, out)
        else:
            os.replace(wav_tmp, out)
    return SpeechResult(path=out, duration_seconds=round(duration, 3), spoken_text=spoken, voice=voice)


def _run(cmd: list[str], stdin: bytes | None, timeout: float, name: str) -> None:
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
    except FileNotFoundError as exc:  # removed between which() and run()
        raise SpeechUnavailable(f"Không chạy được {name} / cannot run {name}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise SpeechError(f"{name} quá thời gian / {name} timed out after {timeout:.0f}s") from exc
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()[:500]
        raise SpeechError(f"{name} lỗi / {name} failed (exit {proc.returncode}): {err}")
