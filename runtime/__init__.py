"""The voice-bot runtime: executes compiled flows during a call."""
