"""A media bridge deployment's settings; every option says its default and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from media_bridge.protocol import FrameLimits, PlaybackMode


@dataclass(frozen=True)
class BridgeSettings:
    # The shared secret mod_audio_stream must present: `Authorization: Bearer <token>` (set it
    # with STREAM_EXTRA_HEADERS) or `?token=<token>` in the stream URL. Never logged. Empty
    # refuses every connection: there is no unauthenticated mode.
    token: str = field(default="", repr=False)
    token_header: str = "Authorization"
    token_scheme: str = "Bearer"
    token_query: str = "token"
    default_rate: int = 8000  # when the metadata does not declare `rate`
    playback: PlaybackMode = PlaybackMode.FILE  # the mode every community build supports
    limits: FrameLimits = field(default_factory=FrameLimits)
    metadata_timeout_s: float = 2.0  # the module sends metadata at +0 ms; 2 s is generous
    # Injection: how far ahead of real time audio is sent, and in what chunks. A short lead
    # keeps the fork's buffer small (a barge-in flushes less); chunks keep messages few.
    inject_lead_ms: int = 300
    inject_chunk_ms: int = 100
    play_file_timeout_s: float = 5.0  # file mode: `::play` never came -> the prompt is over
    # Handoff: the channel goes to this extension, whose dialplan runs `callcenter` with
    # ${voxflow_queue}; the variables are exported to the agent leg (cc_export_vars).
    handoff_extension: str = "to_queue"
    handoff_context: str = "default"
    # Voicemail and other `record` steps: one WAV per recording, named by call and request.
    recordings_dir: Path = Path("build/recordings")
    audio_root: Path | None = None  # where Play(audio=...) files are read in injection modes
    env: dict[str, str] = field(default_factory=dict, repr=False)  # the bots' env.* values
