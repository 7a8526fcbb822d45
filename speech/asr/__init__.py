"""Speech recognition: one streaming interface (base.py), three engines and the policy that
picks one per input step (choose.py).

| module | what |
|---|---|
| `base.py` | `Task` (what a step expects, from the runtime's `Listen`), `Hypothesis`, the `Recognizer` and `AsrEngine` protocols |
| `sphinx.py` | pocketsphinx JSGF grammars for menus, yes/no and digit strings; confidence from the decoder's score |
| `whisper.py` | faster-whisper tiny.en: open questions with prompts, digit strings restricted to digit words |
| `vosk.py` | a Vosk model the deployment supplies (`VOXFLOW_VOSK_MODEL`): grammar mode or free |
| `cascade.py` | a grammar first, Whisper when the grammar is not sure (steps that also take intents) |
| `choose.py` | `AsrPolicy`, `engine_for(task)`, `recognizer_for(listen, rate)` |
| `text.py` | phrases as spoken words, recognised text as digit strings |

Every model ships inside a package and loads once per process; nothing is downloaded.
"""  # noqa: E501

from speech.asr.base import AsrEngine, AsrError, Hypothesis, Recognizer, Task
from speech.asr.choose import AsrPolicy, engine_for, recognizer_for

__all__ = ["AsrEngine", "AsrError", "AsrPolicy", "Hypothesis", "Recognizer", "Task",
           "engine_for", "recognizer_for"]
