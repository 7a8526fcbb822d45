"""voxflow's NLU: intents with calibrated confidences, out-of-scope, typed entities.

The runtime asks through `runtime.intents.IntentMatcher` (`rank`, `best`); the engines here also
answer `parse` with the whole `NLUResult`. `load_nlu` picks the engine for a bot: the built-in
one (`engine.BuiltinEngine`), or a Rasa server with the built-in one behind a circuit breaker
(`rasa.client.RasaNLU`). See docs/architecture.md.
"""

from nlu.result import NLU, Entity, NLUResult

__all__ = ["NLU", "Entity", "NLUResult"]
