"""The voice path: FreeSWITCH's mod_audio_stream (WebSocket) and Event Socket, bridged to the
runtime's `Session` through `CallDriver`.

Wire formats live in I/O-free codecs (`protocol`, `esl_codec`), sockets in `esl` and `server`;
`standin` plays FreeSWITCH's two faces for tests. See docs/architecture.md.
"""
