"""Write call contacts as the transcripts telephony and speech-to-text tools produce: plain text
with speaker labels (Klant/Medewerker/Agent or numbered 'Spreker 1'), WebVTT with and without
<v> voice tags, SRT with and without 'Spreker N:' prefixes, Whisper-style JSON (no speakers) and
diarised JSON (SPEAKER_00...). One file per call; external_id = the file name."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from pipeline.sample.compose import Contact
from pipeline.sample.sink import Sink

EXTENSIONS = {"transcript_txt": "txt", "transcript_txt_numbered": "txt", "webvtt_voice": "vtt", "webvtt": "vtt",
              "srt_labels": "srt", "srt": "srt", "whisper_json": "json", "diarised_json": "json"}
ASR_SHARE = {"transcript_txt": 0.4, "transcript_txt_numbered": 0.8}


def asr_style(fmt: str, rng: random.Random) -> bool:
    return rng.random() < ASR_SHARE.get(fmt, 1.0)


@dataclass
class Cue:
    role: str
    start: float
    end: float
    text: str


def _cues(c: Contact, rng: random.Random, max_words: int) -> list[Cue]:
    cues, clock = [], rng.uniform(0.3, 2.5)
    for turn in c.turns:
        words = turn.text.split()
        for i in range(0, len(words), max_words):
            chunk = words[i:i + max_words]
            length = len(chunk) / rng.uniform(2.2, 3.0)
            cues.append(Cue(turn.role, round(clock, 3), round(clock + length, 3), " ".join(chunk)))
            clock += length + rng.uniform(0.05, 0.4)
        clock += rng.uniform(0.2, 1.5)
    return cues


def _ts(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def _caller(c: Contact, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.05:
        return "anoniem"
    return c.person.mobile if roll < 0.9 else f"0{c.person.phone_digits}"


def _numbers(rng: random.Random) -> dict[str, int]:
    agent_first = rng.random() < 0.75
    return {"agent": 1 if agent_first else 2, "customer": 2 if agent_first else 1}


class CallWriter:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    def add(self, c: Contact, rng: random.Random) -> None:
        fmt, at = c.format, c.started_at
        ext = EXTENSIONS[fmt]
        call_id = f"{rng.getrandbits(20):05x}{c.index:06d}"
        dated = not (ext == "json" and rng.random() < 0.3)
        name = f"gesprek_{at:%Y-%m-%d_%H-%M-%S}_{call_id}.{ext}" if dated else f"opname_{call_id}.{ext}"
        caller = _caller(c, rng)
        stamp = f"{at:%Y-%m-%d %H:%M:%S}"
        numbers = _numbers(rng)
        if fmt in ("transcript_txt", "transcript_txt_numbered"):
            if fmt == "transcript_txt":
                labels = {"customer": "Klant", "agent": rng.choice(("Medewerker", "Medewerker", "Agent"))}
            else:
                labels = {role: f"Spreker {n}" for role, n in numbers.items()}
            lines = [f"# datum: {stamp}", f"# beller: {caller}", ""] if rng.random() < 0.75 else []
            lines += [f"{labels[t.role]}: {t.text}" for t in c.turns]
            data = "\n".join(lines) + "\n"
        elif ext == "vtt":
            cues = _cues(c, rng, 12)
            if rng.random() < 0.5:
                voice = {"agent": "Medewerker", "customer": "Klant"}
            else:
                voice = {role: f"Spreker {n}" for role, n in numbers.items()}
            out = ["WEBVTT", "", f"NOTE datum: {stamp}", "", f"NOTE beller: {caller}", ""]
            for n, cue in enumerate(cues, 1):
                text = f"<v {voice[cue.role]}>{cue.text}" if fmt == "webvtt_voice" else cue.text
                out += [str(n), f"{_ts(cue.start, '.')} --> {_ts(cue.end, '.')}", text, ""]
            data = "\n".join(out)
        elif ext == "srt":
            cues = _cues(c, rng, 12)
            out = []
            for n, cue in enumerate(cues, 1):
                text = f"Spreker {numbers[cue.role]}: {cue.text}" if fmt == "srt_labels" else cue.text
                out += [str(n), f"{_ts(cue.start, ',')} --> {_ts(cue.end, ',')}", text, ""]
            data = "\n".join(out)
        else:
            cues = _cues(c, rng, 18)
            meta = {"started_at": at.isoformat(timespec="seconds"), "caller": caller}
            if fmt == "whisper_json":
                doc = {"text": " ".join(q.text for q in cues),
                       "segments": [{"id": i, "start": q.start, "end": q.end, "text": " " + q.text}
                                    for i, q in enumerate(cues)],
                       "language": c.language}
            else:
                speakers = {role: f"SPEAKER_{n - 1:02d}" for role, n in numbers.items()}
                doc = {"segments": [{"speaker": speakers[q.role], "start": q.start, "end": q.end, "text": q.text}
                                    for q in cues]}
            if not dated or rng.random() < 0.7:
                doc = {"metadata": meta, **doc}
            data = json.dumps(doc, ensure_ascii=False, indent=1 if rng.random() < 0.5 else None)
        path = f"calls/{ext}/{name}"
        self.sink.write(path, data.encode("utf-8"), at, c.container, fmt)
        c.external_id = name
        c.file = self.sink.display(path, c.container)

    def close(self) -> None:
        """Nothing stays open: every call is its own file."""
