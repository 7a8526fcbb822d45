"""The speech stack: voice activity detection, speech recognition, speech synthesis.

Everything here runs on models that ship inside packages (see docs/architecture.md); nothing is
downloaded at run time. The media bridge plugs these into calls through its `Synthesizer` and
`SpeechInput` ports; the deterministic runtime never sees audio, only `Speech` events.
"""
